#!/usr/bin/env python3
"""Real loopback traffic for coffeeshark's edge-case captures (issue 22).

Standard library only. Each scenario runs a tiny server and a client in
this process, on loopback, and writes nothing but TCP traffic:

  websocket  RFC 6455 over 127.0.0.1:8765: the HTTP upgrade (101), masked
             client frames and unmasked server frames; a text message in
             three fragments with a ping between them (control frames may
             sit between fragments, §5.4), 7-bit, 16-bit and 64-bit payload
             lengths, a 70000-byte binary frame (split over segments by the
             loopback MTU), a small frame sent in two writes (split over two
             segments), two frames in one write (one segment), and the
             closing handshake with status code 1000.
  rst        HTTP/1.1 over [::1]:8766, torn down by RST (SO_LINGER 0):
             a response cut after part of its body, one cut inside its
             head, and a whole response followed by a RST.
  keepalive  Several requests on one HTTP/1.1 connection over
             127.0.0.1:8767 (the recording that editcap cuts into streams
             starting mid-connection).
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"
PAUSE = 0.05  # between writes, so that each write is its own segment


def nodelay(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def frame(opcode, payload, fin=True, mask=None):
    """One RFC 6455 §5.2 frame; `mask` is the 4-byte key (client frames)."""
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        head += mask
    return head + payload


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_frame(s):
    b0, b1 = recv_exact(s, 2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", recv_exact(s, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", recv_exact(s, 8))
    key = recv_exact(s, 4) if b1 & 0x80 else None
    data = recv_exact(s, n)
    if key:
        data = bytes(c ^ key[i % 4] for i, c in enumerate(data))
    return b0 & 0x80, b0 & 0x0F, data


def ws_server(ls):
    s, _ = ls.accept()
    nodelay(s)
    head = read_head(s)
    key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")][0]
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    while True:
        fin, op, data = read_frame(s)
        if op == 0x9:  # ping: answer with a pong carrying its data
            s.sendall(frame(0xA, data))
        elif op == 0x8:  # close: echo the status code, then close TCP
            s.sendall(frame(0x8, data[:2] + b"bye"))
            time.sleep(PAUSE)
            s.close()
            return
        elif op == 0x1 and fin:
            s.sendall(frame(0x1, b"echo: " + data[:40]))
        elif op == 0x2:
            s.sendall(frame(0x2, bytes([len(data) & 0xFF])))


def websocket():
    ls = socket.create_server(("127.0.0.1", 8765))
    t = threading.Thread(target=ws_server, args=(ls,))
    t.start()
    c = socket.create_connection(("127.0.0.1", 8765))
    nodelay(c)
    key = base64.b64encode(os.urandom(16))
    c.sendall(b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    read_head(c)
    m = lambda: os.urandom(4)
    send = lambda b: (c.sendall(b), time.sleep(PAUSE))
    send(frame(0x1, b"hello", mask=m()))
    send(frame(0x1, b"frag-one ", fin=False, mask=m()))
    send(frame(0x9, b"ping", mask=m()))  # control frame between fragments
    send(frame(0x0, b"frag-two ", fin=False, mask=m()))
    send(frame(0x0, b"frag-three", mask=m()))
    send(frame(0x1, b"x" * 300, mask=m()))  # 16-bit length
    send(frame(0x2, bytes(range(256)) * 273 + b"end", mask=m()))  # 64-bit length, several segments
    split = frame(0x1, b"split over two segments", mask=m())
    send(split[:5])
    send(split[5:])
    send(frame(0x1, b"first of two", mask=m()) + frame(0x1, b"second of two", mask=m()))
    send(frame(0x8, struct.pack("!H", 1000) + b"done", mask=m()))
    while True:
        try:
            read_frame(c)
        except EOFError:
            break
    c.close()
    t.join()
    ls.close()


def rst_server(ls, responses):
    for resp in responses:
        s, _ = ls.accept()
        nodelay(s)
        read_head(s)
        for piece in resp:
            s.sendall(piece)
            time.sleep(PAUSE)
        # SO_LINGER with a zero timeout: close() sends a RST, not a FIN.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def rst():
    body = b"<html>" + b"coffee " * 200 + b"</html>\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
    responses = [
        [head, body[:300], body[300:600]],  # cut inside the body
        [head[:20]],  # cut inside the head
        [head + body],  # whole, then a RST
    ]
    ls = socket.create_server(("::1", 8766), family=socket.AF_INET6)
    t = threading.Thread(target=rst_server, args=(ls, responses))
    t.start()
    for path in ["/cut-body", "/cut-head", "/whole"]:
        c = socket.create_connection(("::1", 8766))
        c.sendall(b"GET %s HTTP/1.1\r\nHost: [::1]:8766\r\n\r\n" % path.encode())
        try:
            while c.recv(65536):
                pass
        except ConnectionResetError:
            pass
        c.close()
        time.sleep(PAUSE)
    t.join()
    ls.close()


def keepalive():
    ls = socket.create_server(("127.0.0.1", 8767))

    def serve():
        s, _ = ls.accept()
        nodelay(s)
        for i in range(4):
            read_head(s)
            body = b"cup %d\n" % i
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(PAUSE)
        s.close()

    t = threading.Thread(target=serve)
    t.start()
    c = socket.create_connection(("127.0.0.1", 8767))
    nodelay(c)
    for i in range(4):
        c.sendall(b"GET /cup/%d HTTP/1.1\r\nHost: 127.0.0.1:8767\r\n\r\n" % i)
        time.sleep(PAUSE)
        c.recv(65536)
        time.sleep(PAUSE)
    # The server closes first after the fourth answer; read its FIN.
    while c.recv(65536):
        pass
    time.sleep(PAUSE)
    c.close()
    t.join()
    ls.close()


if __name__ == "__main__":
    {"websocket": websocket, "rst": rst, "keepalive": keepalive}[sys.argv[1]]()
