#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut out of the bundled recordings and
the test fixtures. Usage (from the repository root):

    python3 fuzz/make_seeds.py target/debug/coffeeshark [OUT_DIR]

OUT_DIR defaults to fuzz/seeds. Each target gets inputs in its own format
(see the target's doc and fuzz/src/lib.rs): whole small captures
(capture_reader, report, diagram), single frames behind a link-type byte
(decode), TCP segment records (tcp_stream), one direction of a reassembled
stream behind the nine-byte stream header (http_parser, htcpcp,
tls_records), request heads (pot_request), query strings (webapp_form),
filters from the test suite (display_filter). Deterministic: the same
files give the same seeds, named by content hash.
"""

import base64
import gzip
import hashlib
import json
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPTURES = sorted(
    [os.path.join(ROOT, "sample_capture", f) for f in os.listdir(os.path.join(ROOT, "sample_capture")) if f.endswith(".pcapng")]
    + [os.path.join(ROOT, "tests", "captures", f) for f in os.listdir(os.path.join(ROOT, "tests", "captures")) if f.endswith(".pcapng")]
)
# Only small whole captures are seeds (libFuzzer is fastest on small inputs).
WHOLE_MAX = 24 * 1024
# decode's link-type byte: the index in LINKS of fuzz_targets/decode.rs.
LINKS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]


def put(out, target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pcapng_frames(path):
    """(link type, frame bytes) of every EPB/SPB/PB of a little-endian pcapng."""
    data = open(path, "rb").read()
    links, out, i = [], [], 0
    while i + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, i)
        if blen < 12 or i + blen > len(data):
            break
        body = data[i + 8 : i + blen - 4]
        if btype == 0x0A0D0D0A:
            links = []
        elif btype == 1:
            links.append(struct.unpack_from("<H", body, 0)[0])
        elif btype == 6 and len(body) >= 20:
            iface, _, _, cap, _ = struct.unpack_from("<IIIII", body, 0)
            if iface < len(links):
                out.append((links[iface], body[20 : 20 + cap]))
        i += blen
    return out


def streams(binary, path):
    """tcp.stream -> (server port, client bytes, server bytes), via `follow`."""
    fields = subprocess.run(
        [binary, "read", path, "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport"],
        capture_output=True, text=True,
    ).stdout
    ports = {}
    for line in fields.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0]:
            ports.setdefault(int(parts[0]), min(int(parts[1]), int(parts[2])))
    out = {}
    for s in sorted(ports)[:24]:
        r = subprocess.run(
            [binary, "follow", path, "--stream", str(s), "--format", "json"],
            capture_output=True, text=True,
        )
        try:
            chunks = json.loads(r.stdout)["chunks"]
        except (ValueError, KeyError):
            continue
        c, sv = b"", b""
        for ch in chunks:
            if "data" not in ch:
                continue
            b = ch["data"].encode("utf-8") if ch.get("encoding") == "utf8" else base64.b64decode(ch["data"])
            if ch["direction"] == "client":
                c += b
            else:
                sv += b
        out[s] = (ports[s], c, sv)
    return out


def segments(binary, path, limit=60):
    """tcp_stream records of the first frames of a capture."""
    r = subprocess.run(
        [binary, "read", path, "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
         "-e", "tcp.seq_raw", "-e", "tcp.flags", "-e", "tcp.payload", "-c", str(limit)],
        capture_output=True, text=True,
    ).stdout
    rec = b""
    client = {}  # tcp.stream -> the port of its first segment's sender
    for line in r.splitlines():
        p = line.split("\t")
        if len(p) < 5 or not p[0] or not p[2]:
            continue
        stream, sport, seq, flags = int(p[0]), int(p[1]), int(p[2]), int(p[3], 16)
        payload = bytes.fromhex(p[4].replace(":", ""))[:255]
        f = 0
        f |= 0 if client.setdefault(stream, sport) == sport else 1
        f |= (2 if flags & 0x02 else 0) | (4 if flags & 0x01 else 0) | (8 if flags & 0x04 else 0) | (16 if flags & 0x10 else 0)
        f |= 64 if stream % 2 else 0
        rec += bytes([f]) + struct.pack("<I", seq & 0xFFFFFFFF) + bytes([len(payload)]) + payload
    return rec


def stream_input(flags, data, seed=0x0123456789ABCDEF):
    return bytes([flags]) + struct.pack("<Q", seed) + data


def main():
    binary = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "fuzz", "seeds")
    for path in CAPTURES:
        raw = open(path, "rb").read()
        if len(raw) <= WHOLE_MAX:
            for t in ("capture_reader", "report"):
                put(out, t, raw)
            put(out, "diagram", bytes([0x20]) + raw)
        for link, frame in pcapng_frames(path)[:30]:
            if link in LINKS:
                put(out, "decode", bytes([LINKS.index(link)]) + frame)
        put(out, "tcp_stream", segments(binary, path))
        for s, (port, client, server) in streams(binary, path).items():
            tls = client[:1] == b"\x16"
            for role, data in ((0, client), (1, server)):
                if not data:
                    continue
                data = data[:8192]
                if tls:
                    put(out, "tls_records", stream_input(0x04, data))
                else:
                    put(out, "htcpcp" if port == 5030 else "http_parser", stream_input(0x04 | role, data))
                    if role == 0 and port == 5030:
                        put(out, "pot_request", data)
            for line in client.split(b"\r\n"):
                m = re.match(rb"GET /?\?(\S+) HTTP", line)
                if m:
                    put(out, "webapp_form", m.group(1))
    # A gzip capture for the reader.
    small = min((p for p in CAPTURES if os.path.getsize(p) <= WHOLE_MAX), key=os.path.getsize)
    put(out, "capture_reader", gzip.compress(open(small, "rb").read(), mtime=0))
    # Filters: the string literals of the filter tests that look like filters.
    lit = re.compile(r'"((?:[^"\\]|\\.)*)"')
    for t in ("filter.rs", "filter_language.rs", "filter_fields.rs"):
        p = os.path.join(ROOT, "tests", t)
        if not os.path.exists(p):
            continue
        for m in lit.finditer(open(p, encoding="utf-8").read()):
            s = m.group(1).replace('\\"', '"').replace("\\\\", "\\")
            if 2 <= len(s) <= 200 and re.search(r"\b(tcp|ip|http|htcpcp|tls|frame|udp|eth)\b", s) and "\n" not in s:
                put(out, "display_filter", s.encode())
    # Hand-made shapes the recordings lack.
    for q in (b"method=brew&message=start&pots=ducky&additions=cream&additions=rum",
              b"method=when", b"method=propfind", b"method=milk", b"method=brew&message=stop",
              b"method=brew&message=start&pots=tea&additions=tea"):
        put(out, "webapp_form", q)
    ct = b"Content-Type: application/coffee-pot-command\r\n"
    for r in (b"BREW coffee://ducky HTTP/1.1\r\n" + ct + b"Accept-Additions: cream; rum\r\nUse-Pot: ducky\r\nContent-Length: 5\r\n\r\nstart",
              b"WHEN koffie://ducky/ HTCPCP/1.0\r\n" + ct + b"\r\n",
              b"PROPFIND %E5%92%96%E5%95%A1://ducky HTTP/1.1\r\n" + ct + b"\r\n",
              b"MILK coffee://psyduck HTTP/1.1\r\n\r\n"):
        put(out, "pot_request", r)


if __name__ == "__main__":
    main()
