#!/usr/bin/env bash
# coffeeshark read vs tshark -r, side by side in one run, on the same
# generated lab capture (benches/support/generator.rs).
#
#   bash benches/compare_tshark.sh [PACKETS=1000000]
#
# Environment: RUNS (default 3) timed runs per tool, the best one counts;
# SECTIONS (default "read conv filters http rss"): which comparisons to run.
#
# Builds the release binary and the generator, writes a PACKETS-packet pcapng
# into a temporary directory (removed on exit), times `coffeeshark read BIG`
# and `tshark -r BIG` with stdout to /dev/null, and prints seconds, packets/s,
# MB/s (file size / seconds, MB = 10^6 bytes), peak RSS and the ratio
# tshark/coffeeshark. Then the same for conversations (conv vs -z conv,tcp)
# and display filters (read -Y FILTER vs tshark -r -Y FILTER, FILTER in
# $FILTERS, default the lab's port filter and the issue's response-code
# filter; the matching line counts are compared), and HTTP transactions
# (`coffeeshark http BIG` vs `tshark -r BIG -q -z http,tree`; the number of
# HTTP responses is compared). Then it writes a capture
# twice as big and shows coffeeshark's peak RSS on it, to see that memory
# does not grow with the file (and that of `conv` and `http`, with those
# sections).
#
# Wall time is taken with a nanosecond clock around each run (the 10 ms
# resolution of /usr/bin/time's %e is too coarse for sub-second runs; %e is
# printed per run alongside); peak RSS is /usr/bin/time's %M.
set -euo pipefail

PACKETS="${1:-1000000}"
RUNS="${RUNS:-3}"
SECTIONS="${SECTIONS:-read conv filters http rss}"
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
case "$PACKETS" in
'' | *[!0-9]*)
    echo "usage: $0 [PACKETS]" >&2
    exit 2
    ;;
esac
BIG_PACKETS=$((PACKETS * 2))

cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/time ]]; then
    echo "== installing GNU time (Debian package 'time')" >&2
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
fi
command -v tshark >/dev/null || {
    echo "tshark is not installed" >&2
    exit 1
}

echo "== building (release)" >&2
cargo build --release --quiet --bin coffeeshark --example gen_big_capture
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
COFFEESHARK="$TARGET_DIR/release/coffeeshark"
GENERATE="$TARGET_DIR/release/examples/gen_big_capture"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/coffeeshark-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
BIG="$WORK/big.pcapng"

echo "== generating $PACKETS packets" >&2
"$GENERATE" "$BIG" "$PACKETS"
SIZE=$(stat -c %s "$BIG")

# Warm the page cache and check that coffeeshark lists every packet.
cat "$BIG" >/dev/null
LINES=$("$COFFEESHARK" read "$BIG" | wc -l)
if [[ "$LINES" -ne "$PACKETS" ]]; then
    echo "coffeeshark listed $LINES lines for $PACKETS packets" >&2
    exit 1
fi

# measure LABEL CMD... (best wall time and its peak RSS) and now_ns.
source benches/measure.sh # (the working directory is the repository)

row() { # row TOOL SECS RSS_KB
    awk -v tool="$1" -v s="$2" -v k="$3" -v n="$PACKETS" -v size="$SIZE" 'BEGIN {
        printf "%-12s %9.3f %14.0f %10.1f %15.1f\n", tool, s, n / s, size / 1e6 / s, k / 1024 }'
}

if section read; then
echo "== timing, best of $RUNS (stdout to /dev/null)" >&2
measure coffeeshark "$COFFEESHARK" read "$BIG"
CS_SECS="$BEST_SECS"
CS_RSS="$BEST_RSS_KB"
measure tshark tshark -r "$BIG"
TS_SECS="$BEST_SECS"
TS_RSS="$BEST_RSS_KB"
fi

if section conv; then
echo "== conversations: coffeeshark conv vs tshark -q -z conv,tcp" >&2
measure "cs conv" "$COFFEESHARK" conv "$BIG"
CONV_CS_SECS="$BEST_SECS"
CONV_CS_RSS="$BEST_RSS_KB"
measure "ts conv" tshark -r "$BIG" -q -z conv,tcp
CONV_TS_SECS="$BEST_SECS"
CONV_TS_RSS="$BEST_RSS_KB"
# Same table? (coffeeshark's first block is tshark's.)
"$COFFEESHARK" conv "$BIG" | awk '/^=====/ { n++ } { print } n == 2 { exit }' >"$WORK/conv_cs.txt"
tshark -r "$BIG" -q -z conv,tcp >"$WORK/conv_ts.txt" 2>/dev/null
if cmp -s "$WORK/conv_cs.txt" "$WORK/conv_ts.txt"; then CONV_SAME="identical"; else CONV_SAME="DIFFERENT"; fi
fi

FILTER_ROWS=()
if section filters; then
echo "== display filters: coffeeshark read -Y vs tshark -r -Y" >&2
# FILTERS: filters separated by ';'. For a filter naming htcpcp.*, tshark
# (which has no HTCPCP) runs the filter's http part alone, as issue 5 asks.
FILTERS="${FILTERS:-tcp.port == 5030;(tcp.port == 5030) or (tcp.port == 5031);htcpcp.response.code == 418 || http.response.code == 304}"
IFS=';' read -r -a FILTER_LIST <<<"$FILTERS"
for F in "${FILTER_LIST[@]}"; do
    TF="$F"
    if [[ "$F" == *htcpcp* ]]; then TF="http.response.code == 304"; fi
    measure "cs -Y" "$COFFEESHARK" read "$BIG" -Y "$F"
    FCS_SECS="$BEST_SECS"
    FCS_RSS="$BEST_RSS_KB"
    measure "ts -Y" tshark -r "$BIG" -Y "$TF"
    FTS_SECS="$BEST_SECS"
    FTS_RSS="$BEST_RSS_KB"
    if [[ "$F" == "$TF" ]]; then
        N_CS=$("$COFFEESHARK" read "$BIG" -Y "$F" | wc -l)
        N_TS=$(tshark -r "$BIG" -Y "$TF" 2>/dev/null | wc -l)
        if [[ "$N_CS" -eq "$N_TS" ]]; then SAME="$N_CS lines, same count"; else SAME="DIFFERENT: $N_CS vs $N_TS lines"; fi
    else
        SAME="tshark ran: $TF"
    fi
    # Fields joined with the unit separator: filters contain '|' and ';'.
    FILTER_ROWS+=("$(printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s' "$F" "$FCS_SECS" "$FCS_RSS" "$FTS_SECS" "$FTS_RSS" "$SAME")")
done
fi

if section http; then
echo "== HTTP transactions: coffeeshark http vs tshark -q -z http,tree" >&2
measure "cs http" "$COFFEESHARK" http "$BIG"
HTTP_CS_SECS="$BEST_SECS"
HTTP_CS_RSS="$BEST_RSS_KB"
measure "ts http" tshark -r "$BIG" -q -z http,tree
HTTP_TS_SECS="$BEST_SECS"
HTTP_TS_RSS="$BEST_RSS_KB"
# Same number of HTTP responses? (tshark shows the pot's HTCPCP replies as
# continuations, so only HTTP rows with a status count; quoted CSV fields
# are dropped first, they may hold commas.) tshark is told that 5031 is HTTP:
# by itself it gives a stream to the dissector of a registered port first,
# and some ephemeral client ports are registered (44322 is PMPROXY).
N_CS=$("$COFFEESHARK" http "$BIG" --format csv | sed 's/"[^"]*"//g' | awk -F, 'NR > 1 && $2 == "HTTP" && $10 != "" { n++ } END { print n + 0 }')
N_TS=$(tshark -r "$BIG" -d tcp.port==5031,http -q -z http,tree 2>/dev/null | awk '/HTTP Response Packets/ { print $4 }')
N_ROWS=$("$COFFEESHARK" http "$BIG" --format csv | awk 'END { print NR - 1 }')
if [[ "$N_CS" == "$N_TS" ]]; then HTTP_SAME="$N_CS HTTP responses, same count; $N_ROWS rows"; else HTTP_SAME="DIFFERENT: $N_CS vs $N_TS HTTP responses"; fi
fi

if section rss; then
echo "== peak RSS of coffeeshark on $BIG_PACKETS packets" >&2
BIGGER="$WORK/bigger.pcapng"
"$GENERATE" "$BIGGER" "$BIG_PACKETS"
BIGGER_SIZE=$(stat -c %s "$BIGGER")
rm -f "$BIG" # keep the disk use down; it is not needed any more
cat "$BIGGER" >/dev/null
measure coffeeshark "$COFFEESHARK" read "$BIGGER"
CS2_SECS="$BEST_SECS"
CS2_RSS="$BEST_RSS_KB"
if section http; then
    measure "cs http" "$COFFEESHARK" http "$BIGGER"
    HTTP2_RSS="$BEST_RSS_KB"
fi
if section conv; then
    measure "cs conv" "$COFFEESHARK" conv "$BIGGER"
    CONV2_RSS="$BEST_RSS_KB"
fi
fi

echo
echo "coffeeshark read vs tshark -r: $PACKETS packets, $(awk -v s="$SIZE" 'BEGIN { printf "%.1f", s / 1e6 }') MB pcapng, best of $RUNS"
echo "($(tshark --version 2>/dev/null | head -n 1 | sed "s/\.$//"); coffeeshark $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
if section read; then
echo
printf '%-12s %9s %14s %10s %15s\n' tool seconds packets/s MB/s "peak RSS MiB"
row coffeeshark "$CS_SECS" "$CS_RSS"
row tshark "$TS_SECS" "$TS_RSS"
echo
awk -v t="$TS_SECS" -v c="$CS_SECS" 'BEGIN { printf "ratio tshark_time / coffeeshark_time: %.1fx\n", t / c }'
fi
if section conv; then
echo
echo "conversations (conv vs -q -z conv,tcp; tables $CONV_SAME):"
printf '%-12s %9s %14s %10s %15s\n' tool seconds packets/s MB/s "peak RSS MiB"
row "cs conv" "$CONV_CS_SECS" "$CONV_CS_RSS"
row "ts conv" "$CONV_TS_SECS" "$CONV_TS_RSS"
awk -v t="$CONV_TS_SECS" -v c="$CONV_CS_SECS" 'BEGIN { printf "ratio: %.1fx\n", t / c }'
fi
if section filters; then
echo
echo "display filters (read -Y vs tshark -r -Y):"
for R in "${FILTER_ROWS[@]}"; do
    IFS=$'\x1f' read -r F A AR B BR SAME <<<"$R"
    echo "  -Y '$F' ($SAME)"
    printf '%-12s %9s %14s %10s %15s\n' tool seconds packets/s MB/s "peak RSS MiB"
    row "cs -Y" "$A" "$AR"
    row "ts -Y" "$B" "$BR"
    awk -v t="$B" -v c="$A" 'BEGIN { printf "ratio: %.1fx\n", t / c }'
done
fi
if section http; then
echo
echo "HTTP transactions (http vs -q -z http,tree; $HTTP_SAME):"
printf '%-12s %9s %14s %10s %15s\n' tool seconds packets/s MB/s "peak RSS MiB"
row "cs http" "$HTTP_CS_SECS" "$HTTP_CS_RSS"
row "ts http" "$HTTP_TS_SECS" "$HTTP_TS_RSS"
awk -v t="$HTTP_TS_SECS" -v c="$HTTP_CS_SECS" 'BEGIN { printf "ratio: %.1fx\n", t / c }'
fi
if section rss; then
echo
section read && awk -v n1="$PACKETS" -v k1="$CS_RSS" -v n2="$BIG_PACKETS" -v k2="$CS2_RSS" -v s2="$CS2_SECS" -v b2="$BIGGER_SIZE" 'BEGIN {
    printf "coffeeshark peak RSS: %.1f MiB on %d packets, %.1f MiB on %d packets (%.1f MB, %.3f s)\n",
        k1 / 1024, n1, k2 / 1024, n2, b2 / 1e6, s2 }'
if section conv; then
    awk -v n1="$PACKETS" -v k1="$CONV_CS_RSS" -v n2="$BIG_PACKETS" -v k2="$CONV2_RSS" 'BEGIN {
        printf "coffeeshark conv peak RSS: %.1f MiB on %d packets, %.1f MiB on %d packets\n", k1 / 1024, n1, k2 / 1024, n2 }'
fi
if section http; then
    awk -v n1="$PACKETS" -v k1="$HTTP_CS_RSS" -v n2="$BIG_PACKETS" -v k2="$HTTP2_RSS" 'BEGIN {
        printf "coffeeshark http peak RSS: %.1f MiB on %d packets, %.1f MiB on %d packets\n", k1 / 1024, n1, k2 / 1024, n2 }'
fi
fi
