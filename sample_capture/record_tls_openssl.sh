#!/usr/bin/env bash
# Records tls_openssl.pcapng and its key log tls_openssl.keys on real
# loopback: OpenSSL's s_client (-keylogfile, ALPN http/1.1) against a
# Python HTTPS file server (http.server + ssl, one HTTP/1.0 request per
# connection, Content-Length on every response) on port 443, then against
# OpenSSL's s_server -www (no Content-Length: the body runs to the close),
# one connection per case:
#
#   1  TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256        GET /
#   2  TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384        GET /
#   3  TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305        GET /
#   4  TLS 1.3 TLS_AES_128_GCM_SHA256             GET /big.html (40 KB: many records, many segments)
#   5  TLS 1.3 TLS_CHACHA20_POLY1305_SHA256       GET /
#   6  TLS 1.3 TLS_AES_256_GCM_SHA384, KeyUpdate  K (KeyUpdate, update requested) then GET /
#   7  TLS 1.3 TLS_AES_128_GCM_SHA256             GET /, its secrets NOT in the key log
#   8  TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256        GET / to s_server -www (body to the close)
#
# Needs openssl, python3, dumpcap (Debian's tshark package), capture rights
# on lo and port 443 free. The RSA certificate is made here and thrown away.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD/tls_openssl.pcapng
keys=$PWD/tls_openssl.keys
work=$(mktemp -d)
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout srv.key -out srv.pem -days 3650 \
  -subj "/C=NL/O=Coffeeshark Lab/CN=localhost" 2>/dev/null
printf '<html><body><h1>coffee over TLS</h1></body></html>\n' > index.html
head -c 30000 /dev/urandom | base64 -w 76 | sed 's/^/<p>/' > big.html

rm -f "$out" "$keys"
dumpcap -q -i lo -f "tcp port 443" -w "$out" 2>/dev/null &
cap=$!
python3 - 2>/dev/null <<'PY' &
import http.server, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("srv.pem", "srv.key")
ctx.set_alpn_protocols(["http/1.1"])
srv = http.server.HTTPServer(("127.0.0.1", 443), http.server.SimpleHTTPRequestHandler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
py=$!
trap 'kill $py 2>/dev/null; rm -rf "$work"' EXIT
sleep 2

ask() { # ask KEYLOG PATH ARGS...
  local log=$1 path=$2
  shift 2
  { printf 'GET %s HTTP/1.0\r\n\r\n' "$path"; sleep 1; } |
    openssl s_client -connect 127.0.0.1:443 -servername localhost -alpn http/1.1 -quiet \
      -keylogfile "$log" "$@" >/dev/null 2>&1 || true
  sleep 0.3
}

ask "$keys" / -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
ask "$keys" / -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
ask "$keys" / -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305
ask "$keys" /big.html -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
ask "$keys" / -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
# KeyUpdate: s_client sends one when a line starts with K (not with -quiet).
{ sleep 0.5; printf 'K\n'; sleep 0.5; printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1; } |
  openssl s_client -connect 127.0.0.1:443 -servername localhost -alpn http/1.1 \
    -keylogfile "$keys" -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 >/dev/null 2>&1 || true
sleep 0.3
ask "$work/other.keys" / -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
kill $py
wait $py 2>/dev/null || true
openssl s_server -accept 443 -tls1_2 -cert srv.pem -key srv.key -alpn http/1.1 -www -naccept 1 -quiet \
  >/dev/null 2>&1 &
srv=$!
sleep 0.5
ask "$keys" / -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
wait $srv || true

sleep 1
kill -INT "$cap"
wait "$cap" || true
chmod 644 "$out" "$keys"
echo "$out: $(tshark -r "$out" 2>/dev/null | wc -l) packets; $(grep -c . "$keys") key log lines"
