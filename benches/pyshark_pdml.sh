#!/usr/bin/env bash
# coffeeshark as tshark for scripts, side by side with tshark in one run
# (farm-bench, A/B paired), on the same generated lab capture:
#
#   bash benches/pyshark_pdml.sh [PACKETS=100000] [PY_PACKETS=10000]
#
# 1. `-T pdml -r BIG > /dev/null` (what pyshark runs, minus pyshark), BIG
#    of PACKETS packets;
# 2. pyshark iterating every packet of a capture of PY_PACKETS packets and
#    reading three fields (tcp.stream, http.request_method,
#    frame_info.time_relative), with coffeeshark (a `tshark` symlink) and
#    with tshark. (pyshark parses about 1 GB of XML per 100,000 packets.)
#
# Needs tshark, farm-bench and pyshark in target/pyshark-venv
# (`bash .ci/setup test`). Builds the release binary and the generator;
# the capture goes to a temporary directory removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS="${1:-100000}"
PY_PACKETS="${2:-10000}"
RUNS="${RUNS:-3}"
PY=target/pyshark-venv/bin/python
cargo build --release --quiet --bin coffeeshark --example gen_big_capture
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
big="$dir/big.pcapng"
target/release/examples/gen_big_capture "$big" "$PACKETS" >&2
small="$dir/small.pcapng"
target/release/examples/gen_big_capture "$small" "$PY_PACKETS" >&2
mkdir -p "$dir/cs"
ln -s "$PWD/target/release/coffeeshark" "$dir/cs/tshark"
tshark_dir="$(dirname "$(command -v tshark)")"
cat > "$dir/iterate.py" <<'PY'
import sys, pyshark
cap = pyshark.FileCapture(sys.argv[2], tshark_path=sys.argv[1] + "/tshark")
n = 0
for pkt in cap:
    n += 1
    _ = pkt.frame_info.time_relative
    if hasattr(pkt, "tcp"):
        _ = pkt.tcp.stream
    if hasattr(pkt, "http"):
        _ = pkt.http.get_field_value("request_method")
try:
    cap.close()
except pyshark.capture.capture.TSharkCrashException:
    pass  # pyshark can lose a finished tshark's exit status (see tests/pyshark_probe.py)
print(n, file=sys.stderr)
PY

echo "== -T pdml > /dev/null: coffeeshark (A) vs tshark (B), $PACKETS packets"
farm-bench -n "$RUNS" --warmup 0 --timeout 3600 \
  --vs "sh -c 'tshark -l -n -T pdml -r $big > /dev/null'" \
  -- sh -c "target/release/coffeeshark -l -n -T pdml -r $big > /dev/null"

echo "== pyshark FileCapture, every packet, three fields: coffeeshark (A) vs tshark (B), $PY_PACKETS packets"
farm-bench -n "$RUNS" --warmup 0 --timeout 3600 \
  --vs "$PY $dir/iterate.py $tshark_dir $small" \
  -- "$PY" "$dir/iterate.py" "$dir/cs" "$small"
