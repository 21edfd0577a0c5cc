#!/usr/bin/env bash
# Records the lab's sample captures on real loopback: `coffeeshark lab
# --script SCENARIO` (pot on TCP 5030, web app on TCP 5031, 127.0.0.1) runs
# the scripted visit while dumpcap captures both ports. Needs dumpcap (Debian's
# tshark package), capture rights on `lo` (root, or dumpcap's capabilities)
# and the ports 5030/5031 free. COFFEESHARK names the binary to use.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${COFFEESHARK:-../target/release/coffeeshark}
[ -x "$BIN" ] || (cd .. && cargo build --release)

record() {
  local out=$1
  shift
  local data
  data=$(mktemp -d)
  rm -f "$out"
  dumpcap -q -i lo -f "tcp port 5030 or tcp port 5031" -w "$out" 2>/dev/null &
  local cap=$!
  sleep 2 # until dumpcap captures
  "$BIN" lab --local --data-dir "$data" "$@" >/dev/null 2>&1
  sleep 1
  kill -INT "$cap"
  wait "$cap" || true
  chmod 644 "$out"
  rm -rf "$data"
  echo "$out: $(tshark -r "$out" 2>/dev/null | wc -l) packets"
}

record homepage_coffee.pcapng --script homepage
record coffee_brew.pcapng --brew-time 5 --script brew
record coffee_418_406.pcapng --script 418_406
rm -f coffee_https.keys
export SSLKEYLOGFILE=$PWD/coffee_https.keys
record coffee_https.pcapng --https --brew-time 5 --script full
unset SSLKEYLOGFILE
chmod 644 coffee_https.keys
