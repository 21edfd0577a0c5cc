#!/usr/bin/env bash
# Records the captures of the report's role tests (issue 22 item 5) on real
# loopback, with separate server processes as students run them:
#
#   lab_default.pcapng  pot on 5030, web app on 5031 (the lab's ports)
#   lab_moved.pcapng    pot on 6130, web app on 6131: the same visit
#   lone_http.pcapng    python3 -m http.server (HTTP/1.1, keep-alive) on
#                       8010 and curl: two requests on one connection, a
#                       conditional GET answered 304, a 404; no pot
#
# Each lab capture: `coffeeshark pot --brew-time 1`, `coffeeshark webapp`,
# then `coffeeshark visit --scenario 418_406` (home page, assets, a 418 and
# a 406 and their error pages) and `--scenario brew`, captured with
# `coffeeshark capture`. Needs the right to capture on `lo` (root or
# cap_net_raw), curl, python3, and the ports free. COFFEESHARK names the
# binary (default: the debug build).
set -euo pipefail
cd "$(dirname "$0")"
BIN=${COFFEESHARK:-../../../target/debug/coffeeshark}
BIN=$(realpath "$BIN")

lab() { # OUT POT_PORT WEB_PORT
  local out=$1 pp=$2 wp=$3 data pids=()
  data=$(mktemp -d)
  rm -f "$out"
  "$BIN" capture -q -f "tcp port $pp or tcp port $wp" -w "$out" 2>/dev/null &
  local cap=$!
  sleep 1.5 # until the capture runs
  "$BIN" pot --local --port "$pp" --brew-time 1 --data-dir "$data" >/dev/null 2>&1 &
  pids+=($!)
  "$BIN" webapp --local --port "$wp" --pot "127.0.0.1:$pp" --data-dir "$data" >/dev/null 2>&1 &
  pids+=($!)
  sleep 1 # until both listen
  "$BIN" visit --scenario 418_406 "http://127.0.0.1:$wp" >/dev/null 2>&1
  "$BIN" visit --scenario brew --brew-wait 10 "http://127.0.0.1:$wp" >/dev/null 2>&1
  sleep 0.5
  kill "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
  kill -INT "$cap"
  wait "$cap" || true
  rm -rf "$data"
  echo "$out: $(stat -c %s "$out") bytes"
}

lone() { # OUT PORT
  local out=$1 port=$2 dir
  dir=$(mktemp -d)
  printf '<html><head><title>Home</title></head><body><img src="pot.gif"></body></html>\n' >"$dir/index.html"
  printf 'body { color: brown }\n' >"$dir/style.css"
  head -c 3000 /dev/zero | tr '\0' 'G' >"$dir/pot.gif"
  rm -f "$out"
  "$BIN" capture -q -f "tcp port $port" -w "$out" 2>/dev/null &
  local cap=$!
  sleep 1.5
  python3 -m http.server --protocol HTTP/1.1 --bind 127.0.0.1 --directory "$dir" "$port" >/dev/null 2>&1 &
  local srv=$!
  sleep 1
  local u=http://127.0.0.1:$port
  # One connection, two requests (curl reuses it: HTTP/1.1 keep-alive).
  curl -s -o /dev/null -o /dev/null "$u/" "$u/style.css"
  # A conditional GET: the file is older than tomorrow, so 304.
  curl -s -o /dev/null -H "If-Modified-Since: $(date -u -R -d '+1 day')" "$u/style.css"
  curl -s -o /dev/null -o /dev/null "$u/pot.gif" "$u/missing"
  sleep 0.5
  kill "$srv"
  wait "$srv" 2>/dev/null || true
  kill -INT "$cap"
  wait "$cap" || true
  rm -rf "$dir"
  echo "$out: $(stat -c %s "$out") bytes"
}

lab lab_default.pcapng 5030 5031
lab lab_moved.pcapng 6130 6131
lone lone_http.pcapng 8010
