#!/usr/bin/env bash
# coffeeshark's terminal UI vs termshark (Debian's package), side by side in
# one run, on the same generated lab capture, each in its own tmux window.
#
#   bash benches/tui_vs_termshark.sh [PACKETS=1000000] [FILTER]
#
# For each tool it reports:
#   first screen  seconds from start until the list shows frame 1;
#   full list     seconds until every frame is listed (coffeeshark: the
#                 status line shows N/N frames and no "indexing"; termshark:
#                 its `tshark -T psml` loader has exited);
#   filter        seconds from Enter on FILTER (default the lab's
#                 `htcpcp.response.code == 418`, termshark gets `tcp.port == 5030
#                 && tcp.len > 0` as it has no HTCPCP) until the filtered
#                 list is complete;
#   peak RSS      coffeeshark's process; termshark plus every tshark child,
#                 the largest sum seen (sampled every 50 ms from /proc).
# Also `coffeeshark read FILE > /dev/null` and `read -Y FILTER` for the
# ratios the issue sets (index within 2x read, filter within 2x read -Y).
#
# Needs tmux, termshark, tshark (installed here when missing).
set -euo pipefail

PACKETS="${1:-1000000}"
FILTER="${2:-htcpcp.response.code == 418}"
TS_FILTER="${TS_FILTER:-tcp.port == 5030 && tcp.len > 0}"
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v termshark >/dev/null || need+=(termshark)
command -v tshark >/dev/null || need+=(tshark)
if [[ ${#need[@]} -gt 0 ]]; then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== building (release)" >&2
cargo build --release --quiet --bin coffeeshark --example gen_big_capture
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
COFFEESHARK="$TARGET_DIR/release/coffeeshark"
WORK="$(mktemp -d)"
trap 'tmux kill-session -t csbench 2>/dev/null || true; rm -rf "$WORK"' EXIT
BIG="$WORK/big.pcapng"
echo "== generating $PACKETS packets" >&2
"$TARGET_DIR/release/examples/gen_big_capture" "$BIG" "$PACKETS" >/dev/null
SIZE=$(stat -c %s "$BIG")

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }
screen() { tmux capture-pane -p -t csbench; }
# Sum of VmHWM (kB) of a process and its descendants.
tree_rss() {
    local total=0 p
    for p in $(pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]\+)' | tr -d '()'); do
        local kb
        kb=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}
PEAK=0
sample_rss() {
    local r
    r=$(tree_rss "$1")
    if ((r > PEAK)); then PEAK=$r; fi
}
# Waits (sampling RSS of $1) until command $2 succeeds; at most 600 s.
wait_until() {
    local pid=$1 cond=$2 start
    start=$(now)
    until eval "$cond"; do
        sample_rss "$pid"
        sleep 0.05
        if (($(echo "$(now) - $start > 600" | bc -l))); then
            echo "timeout waiting for: $cond" >&2
            return 1
        fi
    done
    sample_rss "$pid"
}
pane_pid() { tmux display-message -p -t csbench '#{pane_pid}'; }

run_tool() {
    local name=$1 cmd=$2 first_re=$3 full_cond=$4 filter=$5 filtered_cond=$6
    local started_cond=${7:-true}
    PEAK=0
    tmux kill-session -t csbench 2>/dev/null || true
    local t0
    t0=$(now)
    tmux new-session -d -s csbench -x 200 -y 50 "TERM=xterm-256color $cmd"
    local pid
    pid=$(pane_pid)
    wait_until "$pid" "screen | grep -qE '$first_re'"
    local first
    first=$(elapsed "$t0")
    wait_until "$pid" "$full_cond"
    local full
    full=$(elapsed "$t0")
    tmux send-keys -t csbench /
    sleep 0.3
    tmux send-keys -t csbench -l "$filter"
    local t1
    t1=$(now)
    tmux send-keys -t csbench Enter
    sleep 0.2
    # A pass that must be seen starting (termshark's new tshark) before its
    # end can be told from its not having started yet.
    wait_until "$pid" "$started_cond"
    wait_until "$pid" "$filtered_cond"
    local filt
    filt=$(elapsed "$t1")
    sample_rss "$pid"
    printf '%-12s %12s %12s %12s %14s\n' "$name" "$first" "$full" "$filt" "$((PEAK / 1024)) MB"
    tmux kill-session -t csbench 2>/dev/null || true
    sleep 1
}

TOTAL=$("$COFFEESHARK" read "$BIG" | wc -l)
echo "== $BIG: $PACKETS packets, $SIZE bytes, $TOTAL frames listed"
t=$(now); "$COFFEESHARK" read "$BIG" >/dev/null; READ=$(elapsed "$t")
t=$(now); "$COFFEESHARK" read -Y "$FILTER" "$BIG" >/dev/null; READY=$(elapsed "$t")
MATCHES=$("$COFFEESHARK" read -Y "$FILTER" "$BIG" | wc -l)
echo "coffeeshark read: ${READ}s; read -Y '$FILTER': ${READY}s ($MATCHES frames)"
echo
printf '%-12s %12s %12s %12s %14s\n' tool "first screen" "full list" filter "peak RSS"
run_tool coffeeshark "$COFFEESHARK tui $BIG" '^ +1 ' \
    "screen | grep -q '$TOTAL/$TOTAL frames' && ! screen | grep -q indexing" \
    "$FILTER" \
    "screen | grep -q '$MATCHES/$TOTAL frames' && ! screen | grep -q filtering"
# termshark: the list is complete when its PSML loader (tshark -T psml)
# has exited; the filtered list likewise after Enter.
psml_running() { pgrep -f 'tshark.*-T psml' >/dev/null; }
run_tool termshark "termshark -r $BIG" '^ *1 +0\.' \
    "sleep 0.5; ! psml_running" \
    "$TS_FILTER" \
    "! psml_running" \
    "psml_running"
