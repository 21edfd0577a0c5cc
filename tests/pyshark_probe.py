"""Reads a capture with pyshark (as a notebook would) and prints, per packet,
one JSON line of what scripts read: number, length, relative time, layers,
highest layer, tcp.stream, the HTTP method and code, and the HTCPCP layer.

    python pyshark_probe.py TSHARK_DIR CAPTURE [pdml|json|summaries]

pdml (the default, `FileCapture(path)`), json (`use_json=True`: tshark
`-T json --no-duplicate-keys`) or summaries (`only_summaries=True`: `-T
psml`, the packet list's columns).

pyshark runs TSHARK_DIR/tshark (`tshark -l -n -T pdml -r CAPTURE`); the
test (tests/pyshark.rs) runs it once with tshark and once with a `tshark`
symlink to coffeeshark.
"""
import sys, json, pyshark
tshark_dir, capture = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "pdml"
options = {"json": {"use_json": True}, "summaries": {"only_summaries": True}}.get(mode, {})
cap = pyshark.FileCapture(capture, tshark_path=tshark_dir + "/tshark", **options)
for pkt in cap:
    if mode == "summaries":
        print(json.dumps({k: str(getattr(pkt, k, None)) for k in
                          ("no", "time", "source", "destination", "protocol", "length", "info")}))
        continue
    if mode == "json":
        row = {"n": str(pkt.number), "hl": pkt.highest_layer, "rel": pkt.frame_info.time_relative,
               "len": str(pkt.length)}
        if hasattr(pkt, "tcp"):
            row["stream"] = pkt.tcp.stream
        if hasattr(pkt, "htcpcp"):
            row["htcpcp"] = 1
        print(json.dumps(row))
        continue
    row = {"n": pkt.number, "len": pkt.length, "hl": pkt.highest_layer,
           "rel": pkt.frame_info.time_relative,
           "layers": [l.layer_name for l in pkt.layers]}
    if hasattr(pkt, "tcp"):
        row["stream"] = pkt.tcp.stream
    if hasattr(pkt, "http"):
        row["method"] = pkt.http.get_field_value("request_method")
        row["code"] = pkt.http.get_field_value("response_code")
    if hasattr(pkt, "htcpcp"):
        row["htcpcp"] = {f: pkt.htcpcp.get_field_value(f) for f in pkt.htcpcp.field_names}
    print(json.dumps(row))
try:
    cap.close()
except pyshark.capture.capture.TSharkCrashException as e:
    # Every packet has been read and printed (the test compares them all).
    # pyshark's close can lose the child's exit status to asyncio's child
    # watcher ("Unknown child process pid N, will report returncode 255")
    # and then call a finished tshark crashed: seen with Debian's tshark.
    print(f"pyshark close: {e}", file=sys.stderr)
