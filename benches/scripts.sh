#!/usr/bin/env bash
# coffeeshark in tshark's place for scripts, side by side with tshark in one
# run, on the same generated lab capture (benches/support/generator.rs):
#
#   bash benches/scripts.sh [PACKETS=100000]
#
# 1. `-T pdml -r BIG > /dev/null` and `-T ek -r BIG > /dev/null` (what
#    pyshark's FileCapture and `use_ek=True` run, and what `-T ek | bulk
#    load` pipelines run);
# 2. pyshark iterating every packet of BIG and reading three fields
#    (frame_info.time_relative, tcp.stream, http.request_method), once by
#    PDML (the default) and once with `use_ek=True`, with a `tshark` symlink
#    to coffeeshark and with tshark.
#
# Environment: RUNS (default 3) timed runs of the -T outputs, PY_RUNS
# (default 1) of the pyshark loops (pyshark parses about 1 GB of XML per
# 100,000 packets); the best run counts. Prints seconds, peak RSS and the
# ratio tshark/coffeeshark (benches/measure.sh). Needs tshark, GNU time and
# pyshark in target/pyshark-venv (`bash .ci/setup test`). Builds the release
# binary and the generator; the capture goes to a temporary directory
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS="${1:-100000}"
RUNS="${RUNS:-3}"
PY_RUNS="${PY_RUNS:-1}"
PY=target/pyshark-venv/bin/python
cargo build --release --quiet --bin coffeeshark --example gen_big_capture
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=benches/measure.sh
source benches/measure.sh
big="$WORK/big.pcapng"
target/release/examples/gen_big_capture "$big" "$PACKETS" >&2
mkdir -p "$WORK/cs"
ln -s "$PWD/target/release/coffeeshark" "$WORK/cs/tshark"
tshark_dir="$(dirname "$(command -v tshark)")"
# pyshark caches the EK mapping per tshark version, which both report
# alike: one cache each, so that each reads its own -G elastic-mapping.
mkdir -p "$WORK/cache-cs" "$WORK/cache-ts"
cat >"$WORK/iterate.py" <<'PY'
import sys, pyshark
options = {"use_ek": True} if sys.argv[3] == "ek" else {}
cap = pyshark.FileCapture(sys.argv[2], tshark_path=sys.argv[1] + "/tshark", **options)
n = 0
for pkt in cap:
    n += 1
    _ = pkt.frame_info.time_relative
    if hasattr(pkt, "tcp"):
        _ = pkt.tcp.stream
    if hasattr(pkt, "http"):
        _ = pkt.http.get_field("request_method") if sys.argv[3] == "ek" else pkt.http.get_field_value("request_method")
try:
    cap.close()
except pyshark.capture.capture.TSharkCrashException:
    pass  # pyshark can lose a finished tshark's exit status (see tests/pyshark_probe.py)
print(n, file=sys.stderr)
PY

compare() {
    local what="$1" ours_cmd="$2" theirs_cmd="$3"
    echo "== $what"
    measure coffeeshark sh -c "$ours_cmd"
    local ours="$BEST_SECS" ours_rss="$BEST_RSS_KB"
    measure tshark sh -c "$theirs_cmd"
    local theirs="$BEST_SECS" theirs_rss="$BEST_RSS_KB"
    awk -v o="$ours" -v t="$theirs" -v orss="$ours_rss" -v trss="$theirs_rss" 'BEGIN {
        printf "   coffeeshark %8.3f s (%6.1f MiB)   tshark %8.3f s (%6.1f MiB)   tshark/coffeeshark %.1fx\n",
            o, orss / 1024, t, trss / 1024, t / o }'
}

echo "capture: $PACKETS packets, $(stat -c %s "$big") bytes"
compare "-T pdml > /dev/null" \
    "target/release/coffeeshark -l -n -T pdml -r $big > /dev/null" \
    "tshark -l -n -T pdml -r $big > /dev/null"
compare "-T ek > /dev/null" \
    "target/release/coffeeshark -l -n -T ek -r $big > /dev/null" \
    "tshark -l -n -T ek -r $big > /dev/null"
RUNS="$PY_RUNS"
for mode in pdml ek; do
    compare "pyshark FileCapture ($mode), every packet, three fields" \
        "XDG_CACHE_HOME=$WORK/cache-cs $PY $WORK/iterate.py $WORK/cs $big $mode" \
        "XDG_CACHE_HOME=$WORK/cache-ts $PY $WORK/iterate.py $tshark_dir $big $mode"
done
