#!/usr/bin/env bash
# CPU of the live terminal UI against termshark's, side by side in one run:
# each captures loopback in its own tmux window (capture filter on one TCP
# port) while examples/http_load sends paced HTTP/1.1 keep-alive traffic
# (~2 packets a request) to that port, then sits idle.
#
#   sudo bash benches/tui_live_cpu.sh [REQUESTS_PER_S=5000] [SECONDS=10]
#
# For each tool it reports, from /proc (utime+stime of the process and
# every descendant, plus what exited children left in cutime/cstime):
#   idle      CPU % of one core over 5 s with no traffic, after start (and
#             a 1 s warm-up of 50 requests/s: termshark's UI starts at the
#             first packet);
#   load      CPU % of one core while the traffic runs;
#   packets   what the tool's status line says it captured (coffeeshark),
#             or what dumpcap wrote (termshark: its capture file), and the
#             packets per second that makes.
# Capturing needs root (or cap_net_raw,cap_net_admin on both binaries).
set -euo pipefail

RATE="${1:-5000}"
SECS="${2:-10}"
PORT="${PORT:-5990}"
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v termshark >/dev/null || need+=(termshark)
command -v tshark >/dev/null || need+=(tshark)
command -v pstree >/dev/null || need+=(psmisc)
command -v bc >/dev/null || need+=(bc)
if [[ ${#need[@]} -gt 0 ]]; then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== building (release)" >&2
cargo build --release --quiet --bin coffeeshark --example http_load
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
COFFEESHARK="$TARGET_DIR/release/coffeeshark"
LOAD="$TARGET_DIR/release/examples/http_load"
WORK="$(mktemp -d)"
trap 'tmux kill-session -t csload 2>/dev/null || true; rm -rf "$WORK"' EXIT
HZ=$(getconf CLK_TCK)

screen() { tmux capture-pane -p -t csload; }
pane_pid() { tmux display-message -p -t csload '#{pane_pid}'; }
# CPU ticks used so far by a process and its descendants.
tree_ticks() {
    local total=0 p
    for p in $(pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]\+)' | tr -d '()'); do
        local t
        # Fields after the ")" of comm: utime is the 12th, stime 13th,
        # cutime 14th, cstime 15th.
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}' || echo 0)
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
percent() { echo "scale=1; 100 * $1 / ($HZ * $2)" | bc -l; }
wait_screen() {
    local re=$1 i
    for i in $(seq 1 200); do
        if screen | grep -qE "$re"; then return 0; fi
        sleep 0.1
    done
    echo "timeout waiting for /$re/ on screen:" >&2
    screen >&2
    return 1
}

run_tool() {
    local name=$1 cmd=$2 ready_re=$3
    tmux kill-session -t csload 2>/dev/null || true
    tmux new-session -d -s csload -x 200 -y 50 "TERM=xterm-256color $cmd; sleep 600"
    sleep 0.5
    local pid
    pid=$(pane_pid)
    # A little traffic first: termshark starts its UI once dumpcap's file
    # has packets.
    local i
    for i in $(seq 1 40); do
        "$LOAD" "$PORT" 50 0.5 >/dev/null
        if screen | grep -qE "$ready_re"; then break; fi
    done
    wait_screen "$ready_re"
    sleep 2
    local a b
    a=$(tree_ticks "$pid")
    sleep 5
    b=$(tree_ticks "$pid")
    local idle
    idle=$(percent $((b - a)) 5)
    a=$(tree_ticks "$pid")
    local t0 sent t1
    t0=$(date +%s.%N)
    sent=$("$LOAD" "$PORT" "$RATE" "$SECS")
    t1=$(date +%s.%N)
    b=$(tree_ticks "$pid")
    local took load
    took=$(echo "$t1 - $t0" | bc -l)
    load=$(percent $((b - a)) "$took")
    sleep 2
    local packets=$4
    packets=$(eval "$packets")
    printf '%-12s %8s %8s %10s %10s %10s\n' "$name" "$idle%" "$load%" "$sent" "$packets" \
        "$(echo "$packets / $took" | bc)"
    # Quit (termshark asks to confirm), then end the window; whatever the
    # tool started and left running (termshark's capture helper and
    # dumpcap outlive its window) is stopped by PID.
    local tree
    tree=$(pstree -p -T "$pid" 2>/dev/null | grep -o '([0-9]\+)' | tr -d '()' | grep -vx "$pid" || true)
    tmux send-keys -t csload q
    sleep 1
    tmux send-keys -t csload Enter
    sleep 2
    tmux kill-session -t csload 2>/dev/null || true
    sleep 1
    local p
    for p in $tree; do kill "$p" 2>/dev/null || true; done
}

echo "== $RATE requests/s for ${SECS}s on 127.0.0.1:$PORT; $(nproc) cores"
printf '%-12s %8s %8s %10s %10s %10s\n' tool idle load requests packets "packets/s"
run_tool coffeeshark "$COFFEESHARK tui -i lo -f 'tcp port $PORT' -w $WORK/cs.pcapng" \
    'capturing' \
    "screen | grep -o 'captured [0-9]*' | grep -o '[0-9]*'"
# termshark keeps dumpcap's file in its cache directory; count it with
# capinfos-free tshark after the run.
run_tool termshark "termshark -i lo -f 'tcp port $PORT'" \
    'Filter:' \
    "ls -t ~/.cache/termshark/pcaps/*.pcap* 2>/dev/null | head -1 | xargs -r tshark -r 2>/dev/null | wc -l"
