#!/usr/bin/env bash
# Every coffeeshark job against tshark on REAL loopback traffic, side by side
# in one run: nginx + wrk (keep-alive and close-per-request, 100 B to 64 KB
# bodies, 304s and 404s) and HTCPCP from our pot, recorded by
# benches/real_traffic/record.sh with tcpdump (0 kernel drops checked).
#
#   bash benches/real_traffic.sh [SIZE_MB=100]
#
# The capture is kept in target/bench-captures/real_SIZEMB.pcap and reused
# (delete it to record again). A size above 1000 is made of the 1000 MB
# capture appended to itself with `mergecap -a` (the same connections again,
# later), to see how time and memory grow with the file.
#
# Environment: RUNS (default 3): timed runs per command, the best counts;
# TSHARK=0 times coffeeshark only (for the memory table at big sizes);
# JOBS: a space-separated subset of the job names below.
#
# Prints one table: best wall time and its peak RSS for each tool, the ratio
# tshark / coffeeshark, and a check that both printed the same number of
# lines (or, for our own jobs, what they are compared with).
set -euo pipefail

SIZE_MB="${1:-100}"
RUNS="${RUNS:-3}"
TSHARK="${TSHARK:-1}"
ALL_JOBS="read read-Y-tcp read-Y-http read-Y-htcpcp fields http conv conv-requests follow report diagram"
JOBS="${JOBS:-$ALL_JOBS}"
case "$SIZE_MB" in '' | *[!0-9]*)
    echo "usage: $0 [SIZE_MB]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v mergecap >/dev/null || need+=(wireshark-common)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then
    echo "== installing ${need[*]} (Debian)" >&2
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v tshark >/dev/null || {
    echo "tshark is not installed (bash .ci/setup test)" >&2
    exit 1
}

echo "== building (release)" >&2
cargo build --release --quiet --bin coffeeshark --example pot_load
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
CS="$TARGET_DIR/release/coffeeshark"

CAPTURES="$TARGET_DIR/bench-captures"
mkdir -p "$CAPTURES"
CAP="$CAPTURES/real_${SIZE_MB}MB.pcap"
if [[ ! -s "$CAP" ]]; then
    if ((SIZE_MB > 1000)); then
        BASE="$CAPTURES/real_1000MB.pcap"
        [[ -s "$BASE" ]] || bash benches/real_traffic/record.sh "$BASE" 1000 "$CS" "$TARGET_DIR/release/examples/pot_load"
        copies=()
        for ((i = 0; i < (SIZE_MB + 999) / 1000; i++)); do copies+=("$BASE"); done
        echo "== appending ${#copies[@]} copies of $BASE" >&2
        mergecap -a -F pcap -w "$CAP" "${copies[@]}"
    else
        echo "== recording $SIZE_MB MB of real loopback traffic" >&2
        bash benches/real_traffic/record.sh "$CAP" "$SIZE_MB" "$CS" "$TARGET_DIR/release/examples/pot_load"
    fi
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/coffeeshark-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
source benches/measure.sh # measure LABEL CMD... sets BEST_SECS and BEST_RSS_KB

cat "$CAP" >/dev/null # warm the page cache
PACKETS=$(capinfos -c -M "$CAP" | awk '/Number of packets/ { print $NF }')
# A stream with a large body (nginx writes 32 KB segments), for follow.
STREAM=$("$CS" read "$CAP" -Y 'tcp.srcport == 18080 && tcp.len > 30000' -T fields -e tcp.stream | head -n 1)

# tshark has no HTCPCP: the same frames by their first bytes (a BREW request
# fits in one segment).
HTCPCP_FILTER='htcpcp.request.method == "BREW"'
TS_HTCPCP_FILTER='tcp.dstport == 15030 && tcp.payload[0:5] == "BREW "'
# tshark names the pot's frames `http` too (its HTTP takes them, as
# "Continuation"): the web server's port keeps both to the same frames.
HTTP_ONLY='http && tcp.port == 18080'
FIELDS=(-T fields -e frame.number -e http.host -e http.request.uri -e http.response.code)

# LABEL, coffeeshark's arguments and tshark's, as arrays (filters hold spaces).
run_job() {
    local job="$1" cs_args ts_args check=""
    case "$job" in
    read) cs_args=(read "$CAP") ts_args=(-r "$CAP") check=lines ;;
    read-Y-tcp)
        cs_args=(read "$CAP" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0")
        ts_args=(-r "$CAP" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0") check=lines ;;
    read-Y-http)
        cs_args=(read "$CAP" -Y "http.response.code == 304")
        ts_args=(-r "$CAP" -Y "http.response.code == 304") check=lines ;;
    read-Y-htcpcp)
        cs_args=(read "$CAP" -Y "$HTCPCP_FILTER")
        ts_args=(-r "$CAP" -Y "$TS_HTCPCP_FILTER") check=lines ;;
    fields)
        cs_args=(read "$CAP" -Y "$HTTP_ONLY" "${FIELDS[@]}")
        ts_args=(-r "$CAP" -Y "$HTTP_ONLY" "${FIELDS[@]}") check=same ;;
    http) cs_args=(http "$CAP") ts_args=(-r "$CAP" -q -z http,tree) ;;
    conv) cs_args=(conv "$CAP") ts_args=(-r "$CAP" -q -z conv,tcp) check=conv ;;
    conv-requests) cs_args=(conv --requests "$CAP") ts_args=(-r "$CAP" -q -z conv,tcp) ;;
    follow)
        cs_args=(follow --stream "$STREAM" "$CAP")
        ts_args=(-r "$CAP" -q -z "follow,tcp,ascii,$STREAM") check=same ;;
    report) cs_args=(report "$CAP") ts_args=(-r "$CAP" -q -z http,tree) ;;
    diagram) cs_args=(diagram --format txt "$CAP") ts_args=(-r "$CAP" -q -z http,tree) ;;
    *)
        echo "unknown job $job (known: $ALL_JOBS)" >&2
        exit 2
        ;;
    esac
    measure "cs $job" "$CS" "${cs_args[@]}"
    local cs_s="$BEST_SECS" cs_k="$BEST_RSS_KB" ts_s="-" ts_k="-" same="-"
    if [[ "$TSHARK" == 1 ]]; then
        # tshark chooses a dissector by port before its HTTP heuristics, and
    # some ephemeral client ports are registered (57000 is IRC's): the
    # web server's port is said to be HTTP, so both tools dissect alike.
    ts_args=(-d tcp.port==18080,http "${ts_args[@]}")
    measure "ts $job" tshark "${ts_args[@]}"
        ts_s="$BEST_SECS" ts_k="$BEST_RSS_KB"
        case "$check" in
        lines)
            a=$("$CS" "${cs_args[@]}" | wc -l)
            b=$(tshark "${ts_args[@]}" 2>/dev/null | wc -l)
            if [[ "$a" == "$b" ]]; then same="$a lines, equal"; else same="DIFFERENT: $a vs $b lines"; fi
            ;;
        same)
            if cmp -s <("$CS" "${cs_args[@]}") <(tshark "${ts_args[@]}" 2>/dev/null); then same="identical"; else same="DIFFERENT"; fi
            ;;
        conv)
            "$CS" "${cs_args[@]}" | awk '/^=====/ { n++ } { print } n == 2 { exit }' >"$WORK/cs.txt"
            tshark "${ts_args[@]}" >"$WORK/ts.txt" 2>/dev/null
            if cmp -s "$WORK/cs.txt" "$WORK/ts.txt"; then same="table identical"; else same="DIFFERENT table"; fi
            ;;
        *) same="vs: tshark ${ts_args[*]:4}" ;;
        esac
    fi
    ROWS+=("$(printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s' "$job" "$cs_s" "$cs_k" "$ts_s" "$ts_k" "$same")")
}

ROWS=()
for job in $JOBS; do run_job "$job"; done

echo
echo "real loopback traffic: $(basename "$CAP"), $(awk -v s="$(stat -c %s "$CAP")" 'BEGIN { printf "%.1f", s / 1e6 }') MB, $PACKETS packets, best of $RUNS"
echo "($(tshark --version 2>/dev/null | head -n 1 | sed "s/\.$//"); coffeeshark $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
echo
printf '%-14s %10s %8s %10s %8s %8s  %s\n' job "cs s" "cs MiB" "tshark s" "ts MiB" ratio check
for R in "${ROWS[@]}"; do
    IFS=$'\x1f' read -r job a ak b bk same <<<"$R"
    awk -v j="$job" -v a="$a" -v ak="$ak" -v b="$b" -v bk="$bk" -v same="$same" 'BEGIN {
        if (b == "-") printf "%-14s %10.3f %8.1f %10s %8s %8s  %s\n", j, a, ak / 1024, "-", "-", "-", same
        else printf "%-14s %10.3f %8.1f %10.3f %8.1f %7.1fx  %s\n", j, a, ak / 1024, b, bk / 1024, b / a, same }'
done
