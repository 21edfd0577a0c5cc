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
