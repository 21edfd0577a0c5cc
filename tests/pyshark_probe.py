"""Reads a capture with pyshark (as a notebook would) and prints, per packet,
one JSON line of what scripts read: number, length, relative time, layers,
highest layer, tcp.stream, the HTTP method and code, and the HTCPCP layer.

    python pyshark_probe.py TSHARK_DIR CAPTURE [MODE [ARG]]

MODE:
  pdml       (the default) `FileCapture(path)`: tshark -l -n -T pdml -r
  json       `use_json=True`: -T json --no-duplicate-keys
  ek         `use_ek=True`: -T ek (pyshark types values with -G elastic-mapping)
  summaries  `only_summaries=True`: -T psml, the packet list's columns
  filter     `display_filter=ARG`: -Y ARG
  decode     `decode_as={'tcp.port==ARG': 'http'}`: -d tcp.port==ARG,http
  nokeep     `keep_packets=False`, read with `next()` until the end
  live       `LiveCapture(interface='lo', bpf_filter='tcp port ARG')` and
             `sniff(timeout=...)` while this script makes HTTP exchanges on
             127.0.0.1:ARG (CAPTURE is then unused); pyshark runs
             TSHARK_DIR/dumpcap piped into TSHARK_DIR/tshark -i -

pyshark runs TSHARK_DIR/tshark; the test (tests/pyshark.rs) runs it once
with tshark and once with `tshark` (and `dumpcap`) symlinks to coffeeshark.
"""
import json
import socket
import sys
import threading
import time

import pyshark

tshark_dir, capture = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "pdml"
arg = sys.argv[4] if len(sys.argv) > 4 else None
tshark_path = tshark_dir + "/tshark"


def field(layer, name):
    """A field's value as text, or None (pyshark's PDML, JSON and EK layers
    answer differently for a missing field)."""
    try:
        v = getattr(layer, name)
    except AttributeError:
        v = None
    if v is None:
        return None
    if isinstance(v, list):
        v = v[0]
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def row_of(pkt):
    row = {"n": str(pkt.number), "len": str(pkt.length), "hl": pkt.highest_layer,
           "rel": str(pkt.frame_info.time_relative),
           "layers": [l.layer_name for l in pkt.layers]}
    if hasattr(pkt, "tcp"):
        row["stream"] = str(pkt.tcp.stream)
    if hasattr(pkt, "http"):
        row["method"] = field(pkt.http, "request_method")
        row["code"] = field(pkt.http, "response_code")
    if hasattr(pkt, "tls"):
        row["tls"] = field(pkt.tls, "record_content_type") or field(pkt.tls, "record")
    if hasattr(pkt, "htcpcp"):
        if mode == "json":
            # pyshark's JSON layer turns a key with a colon (the request
            # line `GET coffee://ducky HTTP/1.1`) into a sub-layer named
            # after its first word: the values are read from the JSON.
            row["htcpcp"] = {f: find(pkt.htcpcp._all_fields, "htcpcp." + f.replace("_", "."))
                             for f in ("request_method", "response_code")}
        else:
            names = pkt.htcpcp.field_names if mode != "ek" else ["request_method", "response_code"]
            row["htcpcp"] = {f: field(pkt.htcpcp, f) for f in names}
    return row


def find(tree, key):
    """The first value of `key` in a JSON layer's nested fields."""
    if isinstance(tree, dict):
        if key in tree:
            return str(tree[key])
        for v in tree.values():
            found = find(v, key)
            if found is not None:
                return found
    return None


def live_traffic(port, exchanges, started):
    """HTTP exchanges on loopback, one connection each, after the capture
    has had time to start."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    srv.settimeout(5)
    started.wait(10)
    # tshark loads all its dissectors before it reads: on a busy machine
    # that takes seconds, and what is sent before is not captured.
    time.sleep(6.0)
    for i in range(exchanges):
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        s, _ = srv.accept()
        c.sendall(b"GET /brew/%d HTTP/1.1\r\nHost: ducky\r\n\r\n" % i)
        s.recv(4096)
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        c.recv(4096)
        s.close()
        c.close()
        time.sleep(0.1)
    srv.close()


options = {"json": {"use_json": True}, "ek": {"use_ek": True},
           "summaries": {"only_summaries": True}}.get(mode, {})
if mode == "filter":
    options["display_filter"] = arg
if mode == "decode":
    options["decode_as"] = {"tcp.port==" + arg: "http"}
if mode == "nokeep":
    options["keep_packets"] = False

if mode == "live":
    port = int(arg)
    started = threading.Event()
    t = threading.Thread(target=live_traffic, args=(port, 3, started), daemon=True)
    t.start()
    cap = pyshark.LiveCapture(interface="lo", bpf_filter="tcp port %d" % port, tshark_path=tshark_path)
    started.set()
    cap.sniff(timeout=16)
    # After a timeout, iterating would start a new capture: read what sniff kept.
    for i in range(len(cap)):
        print(json.dumps(row_of(cap[i])))
    t.join(10)
elif mode == "nokeep":
    cap = pyshark.FileCapture(capture, tshark_path=tshark_path, **options)
    while True:
        try:
            pkt = cap.next()
        except StopIteration:
            break
        print(json.dumps(row_of(pkt)))
    # Nothing was kept.
    assert len(cap) == 0, len(cap)
else:
    cap = pyshark.FileCapture(capture, tshark_path=tshark_path, **options)
    for pkt in cap:
        if mode == "summaries":
            print(json.dumps({k: str(getattr(pkt, k, None)) for k in
                              ("no", "time", "source", "destination", "protocol", "length", "info")}))
            continue
        print(json.dumps(row_of(pkt)))
try:
    cap.close()
except pyshark.capture.capture.TSharkCrashException as e:
    # Every packet has been read and printed (the test compares them all).
    # pyshark's close can lose the child's exit status to asyncio's child
    # watcher ("Unknown child process pid N, will report returncode 255")
    # and then call a finished tshark crashed: seen with Debian's tshark.
    print(f"pyshark close: {e}", file=sys.stderr)
