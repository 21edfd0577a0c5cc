#!/usr/bin/env bash
# Records a real loopback capture for benches/real_traffic.sh: nginx (Debian's
# nginx-light) serving static files of 100 B to 64 KB to wrk, with a
# keep-alive mix (16 connections, 100 requests each before nginx closes them)
# and a close-per-request mix (`Connection: close`), conditional requests
# answered 304 and misses answered 404; plus HTCPCP traffic from our pot under
# examples/pot_load (one request per connection, BREW/GET mix). tcpdump writes
# the capture (snaplen 262144: whole 64 KB loopback segments) until it holds
# SIZE_MB megabytes, then everything is stopped; the kernel's drop count is
# checked to be 0.
#
#   bash benches/real_traffic/record.sh OUT.pcap SIZE_MB COFFEESHARK POT_LOAD
#
# Ports: 18080 (nginx) and 15030 (the pot), loopback only. Every process is
# started here and stopped by its PID; wrk and the pot load run for at most
# 10 minutes in all.
set -euo pipefail

OUT="$1"
SIZE_MB="$2"
COFFEESHARK="$3"
POT_LOAD="$4"
HTTP_PORT=18080
POT_PORT=15030
LIMIT_SECS=600

WORK="$(mktemp -d "${TMPDIR:-/tmp}/coffeeshark-record.XXXXXX")"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Static files: 100 B to 64 KB of text (so `follow` has something to show).
mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/pot"
SIZES=(100 512 1024 2048 4096 8192 16384 32768 65536)
for s in "${SIZES[@]}"; do
    # Cut with truncate, not a second `head`: base64 would die of SIGPIPE,
    # which pipefail turns into an exit of the whole script.
    head -c $((s * 3 / 4 + 3)) /dev/urandom | base64 -w 76 >"$WORK/www/f$s.txt"
    truncate -s "$s" "$WORK/www/f$s.txt"
done
touch -d '2026-01-01 00:00:00 UTC' "$WORK"/www/*

cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $WORK/nginx/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    keepalive_requests 100;
    # A request whose If-Modified-Since is later than the file's date gets 304.
    if_modified_since before;
    default_type text/plain;
    server {
        listen 127.0.0.1:$HTTP_PORT;
        root $WORK/www;
    }
}
EOF

# wrk: a random file for each request; one in five conditional (304), one in
# twenty a miss (404).
cat >"$WORK/mix.lua" <<'EOF'
local sizes = {100, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
math.randomseed(os.time())
request = function()
    local r = math.random(20)
    local path = "/f" .. sizes[math.random(#sizes)] .. ".txt"
    if r == 1 then
        return wrk.format("GET", "/missing" .. math.random(100) .. ".txt")
    elseif r <= 5 then
        return wrk.format("GET", path, { ["If-Modified-Since"] = "Fri, 01 Jan 2027 00:00:00 GMT" })
    end
    return wrk.format("GET", path)
end
EOF

tcpdump -i lo -s 262144 -B 262144 -U -w "$OUT" \
    "tcp port $HTTP_PORT or tcp port $POT_PORT" 2>"$WORK/tcpdump.txt" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.txt" && break; sleep 0.1; done

nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
PIDS+=($!)
"$COFFEESHARK" pot --local --port "$POT_PORT" --data-dir "$WORK/pot" --brew-time 0.05 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

URL="http://127.0.0.1:$HTTP_PORT"
wrk -t 1 -c 16 -d "${LIMIT_SECS}s" -s "$WORK/mix.lua" "$URL" >/dev/null 2>&1 &
KEEP=$!
PIDS+=("$KEEP")
wrk -t 1 -c 2 -d "${LIMIT_SECS}s" -s "$WORK/mix.lua" -H "Connection: close" "$URL" >/dev/null 2>&1 &
CLOSE=$!
PIDS+=("$CLOSE")
(
    end=$((SECONDS + LIMIT_SECS))
    while ((SECONDS < end)) && [[ ! -e "$WORK/stop" ]]; do
        "$POT_LOAD" 20 60 MIX "127.0.0.1:$POT_PORT" >/dev/null 2>&1
    done
) &
POTLOAD=$!
PIDS+=("$POTLOAD")

target=$((SIZE_MB * 1000 * 1000))
start=$SECONDS
while (($(stat -c %s "$OUT" 2>/dev/null || echo 0) < target)); do
    if ((SECONDS - start > LIMIT_SECS)); then
        echo "record: no $SIZE_MB MB after $LIMIT_SECS s" >&2
        exit 1
    fi
    sleep 0.2
done
kill "$KEEP" "$CLOSE" 2>/dev/null || true
# The pot load's loop stops at the file; its running client is stopped until
# the loop has seen it (killing the loop first would orphan the client).
touch "$WORK/stop"
while kill -0 "$POTLOAD" 2>/dev/null; do
    pkill -P "$POTLOAD" 2>/dev/null || true
    sleep 0.1
done
sleep 0.5
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cat "$WORK/tcpdump.txt" >&2
dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.txt")
if [[ "$dropped" != "0" ]]; then
    echo "record: the kernel dropped ${dropped:-?} packets; the capture is incomplete" >&2
    rm -f "$OUT"
    exit 1
fi
