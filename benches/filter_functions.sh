#!/usr/bin/env bash
# Display filters with functions and arithmetic (issue 23): coffeeshark
# read -Y vs tshark -r -Y, side by side in one run, on the same generated
# lab capture (benches/support/generator.rs, as benches/compare_tshark.sh).
#
#   bash benches/filter_functions.sh [PACKETS=1000000]
#
# Environment: RUNS (default 3) timed runs per tool, the best one counts;
# FILTERS: filters separated by ';' (default below: a function and
# arithmetic on an HTTP field and a TCP field, then integer arithmetic and
# a bit test alone, then string functions).
#
# Builds the release binary and the generator, writes a PACKETS-packet
# pcapng into a temporary directory (removed on exit), compares the frames
# both tools select for each filter (how many differ is printed), then
# times each tool with stdout to /dev/null and prints seconds, the ratio
# tshark/coffeeshark, and the frames selected. Wall time is a nanosecond
# clock around each run; peak RSS is /usr/bin/time's %M.
set -euo pipefail

PACKETS="${1:-1000000}"
RUNS="${RUNS:-3}"
FILTERS="${FILTERS:-len(http.request.uri) > 20 && tcp.len * 2 > 100;tcp.srcport + tcp.dstport > 10000 && tcp.flags & 0x18 == 0x18;upper(http.request.method) == \"GET\" || lower(http.server) contains \"werkzeug\"}"
case "$PACKETS" in
'' | *[!0-9]*)
    echo "usage: $0 [PACKETS]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."
command -v tshark >/dev/null || {
    echo "tshark is not installed" >&2
    exit 1
}
[[ -x /usr/bin/time ]] || {
    echo "GNU time is not installed (Debian package 'time')" >&2
    exit 1
}

echo "== building (release)" >&2
cargo build --release --quiet --bin coffeeshark --example gen_big_capture
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
COFFEESHARK="$TARGET_DIR/release/coffeeshark"
GENERATE="$TARGET_DIR/release/examples/gen_big_capture"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/coffeeshark-filter-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
BIG="$WORK/big.pcapng"
echo "== generating $PACKETS packets" >&2
"$GENERATE" "$BIG" "$PACKETS"
cat "$BIG" >/dev/null

# measure LABEL CMD... (best wall time and its peak RSS) and now_ns.
source benches/measure.sh # (the working directory is the repository)

IFS=';' read -r -a FILTER_LIST <<<"$FILTERS"
printf '%-60s %12s %12s %9s %8s %7s\n' "filter" "coffeeshark" "tshark" "ratio" "frames" "differ"
for F in "${FILTER_LIST[@]}"; do
    echo "== $F" >&2
    "$COFFEESHARK" read "$BIG" -Y "$F" -T fields -e frame.number >"$WORK/cs.txt"
    tshark -r "$BIG" -Y "$F" -T fields -e frame.number >"$WORK/ts.txt" 2>/dev/null
    # The generator's client ports are random: tshark hands a few
    # connections to another dissector by port (44818 is EtherNet/IP), so a
    # handful of HTTP frames are not HTTP to it. Their count is printed.
    DIFFER=$(diff "$WORK/cs.txt" "$WORK/ts.txt" | grep -c '^[<>]' || true)
    measure coffeeshark "$COFFEESHARK" read "$BIG" -Y "$F"
    CS="$BEST_SECS"
    measure tshark tshark -r "$BIG" -Y "$F"
    TS="$BEST_SECS"
    printf '%-60s %11.3fs %11.3fs %8.1fx %8d %7d\n' "$F" "$CS" "$TS" \
        "$(awk -v a="$TS" -v b="$CS" 'BEGIN { print a / b }')" "$(wc -l <"$WORK/cs.txt")" "$DIFFER"
done
