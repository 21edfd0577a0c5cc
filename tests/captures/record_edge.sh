#!/usr/bin/env bash
# Records the edge-case captures of issue 22 on real loopback (`lo`):
# edge_traffic.py (Python standard library only) runs a tiny server and
# client per scenario while dumpcap captures its port; editcap then cuts the
# keep-alive and RST recordings so that their first stream starts
# mid-connection. Needs dumpcap and editcap (Debian's tshark package),
# capture rights on `lo` (root, or dumpcap's capabilities), IPv6 on
# loopback and the ports 8765-8767 free.
set -euo pipefail
cd "$(dirname "$0")"

record() {
  local name=$1 port=$2
  rm -f "$name.pcapng"
  dumpcap -q -i lo -f "tcp port $port" -w "$name.pcapng" 2>/dev/null &
  local cap=$!
  sleep 2 # until dumpcap captures
  timeout 60 python3 edge_traffic.py "$name"
  sleep 1
  kill -INT "$cap"
  wait "$cap" || true
  chmod 644 "$name.pcapng"
  echo "$name.pcapng: $(tshark -r "$name.pcapng" 2>/dev/null | wc -l) packets"
}

record websocket 8765
record rst 8766
record keepalive 8767

# The first frame of the cut file is the frame named by the filter (the
# first match): a bare ACK, data, a FIN, a SYN-ACK, a RST.
cut() {
  local from=$1 filter=$2 out=$3
  local n
  n=$(tshark -r "$from.pcapng" -Y "$filter" -T fields -e frame.number 2>/dev/null | head -1)
  editcap -r "$from.pcapng" "$out.pcapng" "$n-999999"
  chmod 644 "$out.pcapng"
  echo "$out.pcapng: from frame $n of $from.pcapng"
}
cut keepalive 'tcp.len == 0 && tcp.flags == 0x010 && tcp.srcport == 8767' mid_ack
cut keepalive 'tcp.len > 0 && tcp.srcport != 8767 && frame.number > 5' mid_data
cut keepalive 'tcp.flags.fin == 1' mid_fin
cut keepalive 'tcp.flags == 0x012' mid_synack
cut rst 'tcp.flags.reset == 1' mid_rst

# curl against Python's http.server with HTTP/1.1 keep-alive, over IPv6
# loopback: several requests on one connection (index, a file, a 404, a
# conditional GET answered 304, HEAD, a POST answered 501), then a
# directory listing on a second connection.
www=$(mktemp -d)
printf '<html><body><h1>coffee</h1></body></html>\n' > "$www/index.html"
head -c 5000 /dev/zero | tr '\0' 'c' > "$www/beans.txt"
mkdir "$www/pots"
touch -d '2020-01-01' "$www/beans.txt"
rm -f curl_http_server.pcapng
dumpcap -q -i lo -f "tcp port 8768" -w curl_http_server.pcapng 2>/dev/null &
cap=$!
python3 -m http.server 8768 --bind ::1 --protocol HTTP/1.1 --directory "$www" >/dev/null 2>&1 &
srv=$!
sleep 2
curl -s -g "http://[::1]:8768/" "http://[::1]:8768/beans.txt" "http://[::1]:8768/missing" \
  -H "If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT" "http://[::1]:8768/beans.txt" >/dev/null || true
curl -s -o /dev/null -g -I "http://[::1]:8768/beans.txt" || true
curl -s -o /dev/null -g -d 'brew=start' "http://[::1]:8768/pots/" || true
curl -s -o /dev/null -g "http://[::1]:8768/pots/" || true
sleep 1
kill "$srv"
wait "$srv" 2>/dev/null || true
kill -INT "$cap"
wait "$cap" || true
chmod 644 curl_http_server.pcapng
rm -rf "$www"
echo "curl_http_server.pcapng: $(tshark -r curl_http_server.pcapng 2>/dev/null | wc -l) packets"
