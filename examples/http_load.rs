//! Paced HTTP/1.1 traffic on loopback, for the live TUI's CPU bench
//! (`benches/tui_live_cpu.sh`): a keep-alive server on `127.0.0.1:PORT` and
//! CLIENTS clients sending `GET /n` requests at RATE requests a second in
//! all, for SECONDS (at most 60), each answered with a small `200 OK`.
//! Every connection is closed and reopened every 100 requests, so the
//! capture has handshakes and teardowns too. Prints the requests sent.
//!
//! ```sh
//! target/release/examples/http_load PORT RATE SECONDS [CLIENTS=4]
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const BODY: &[u8] = b"<html><body>coffee</body></html>\n";

fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    let mut line = String::new();
    loop {
        // Request line and headers, up to the blank line.
        let mut first = true;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" && !first {
                break;
            }
            first = false;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
            BODY.len()
        );
        let mut msg = head.into_bytes();
        msg.extend_from_slice(BODY);
        if out.write_all(&msg).is_err() {
            return;
        }
    }
}

fn client(port: u16, rate: f64, until: Instant) -> u64 {
    let gap = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut sent = 0u64;
    let mut buf = vec![0u8; 4096];
    while Instant::now() < until {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            return sent;
        };
        let _ = s.set_nodelay(true);
        for _ in 0..100 {
            if Instant::now() >= until {
                break;
            }
            let req = format!("GET /{sent} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
            if s.write_all(req.as_bytes()).is_err() {
                break;
            }
            // Read the whole response (head + body) before the next request.
            let mut got = 0;
            let want = BODY.len();
            while got == 0 || !buf[..got].ends_with(&BODY[want - 8..]) {
                match s.read(&mut buf[got..]) {
                    Ok(0) | Err(_) => return sent,
                    Ok(n) => got += n,
                }
            }
            sent += 1;
            // Pace to the rate.
            let due = start + gap * sent as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
    }
    sent
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args.first().and_then(|a| a.parse().ok()).expect("PORT");
    let rate: f64 = args.get(1).and_then(|a| a.parse().ok()).expect("RATE");
    let secs: f64 = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10.0_f64)
        .clamp(0.1, 60.0);
    let clients: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(4).max(1);
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || serve(s));
        }
    });
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let per_client = rate / clients as f64;
    let workers: Vec<_> = (0..clients)
        .map(|_| std::thread::spawn(move || client(port, per_client, until)))
        .collect();
    let sent: u64 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    println!("{sent}");
}
