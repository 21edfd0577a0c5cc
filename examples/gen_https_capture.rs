//! Writes a generated HTTPS capture, its key log, and the same HTTP
//! exchanges in clear, for the decryption benchmark
//! (`benches/tls_decrypt.sh`):
//!
//! ```text
//! cargo run --release --example gen_https_capture -- OUT_DIR [CONNECTIONS=2000] [REQUESTS=1]
//! ```
//!
//! writes `OUT_DIR/https.pcapng` + `OUT_DIR/https.keys` and
//! `OUT_DIR/clear.pcapng`. Each connection is a real rustls TLS 1.3
//! session (ring, in memory, AES-256-GCM, AES-128-GCM and ChaCha20-Poly1305
//! in turn) between a client and a server with a self-signed certificate:
//! REQUESTS exchanges, each a `GET /page/N` and its `200 OK` (bodies of
//! 200 B to 24 KB), then close_notify both ways. The TLS bytes of each
//! flight become TCP segments (loopback, Ethernet, at most 16 KB each) with
//! a SYN handshake, ACKs and FINs; `clear.pcapng` carries the same
//! requests and responses as plain HTTP on the same ports. Write it to a
//! temporary path: never commit what it writes.

#[path = "../benches/support/https_gen.rs"]
mod https_gen;

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: gen_https_capture OUT_DIR [CONNECTIONS] [REQUESTS]"),
    );
    let connections: u32 = args.next().map_or(2000, |n| n.parse().expect("a number"));
    let requests: u32 = args.next().map_or(1, |n| n.parse().expect("a number"));
    https_gen::write(&dir, connections, requests.max(1));
    eprintln!(
        "{}: {connections} HTTPS connections of {requests} requests, https.pcapng + https.keys, clear.pcapng",
        dir.display()
    );
}
