//! Load generator for the coffee pot: N concurrent HTCPCP clients on
//! loopback, each doing one request per connection (as the lab does) in a
//! loop, for a bounded time. Prints requests per second and latencies.
//!
//! ```sh
//! cargo run --release --example pot_load -- [CLIENTS] [SECONDS] [GET|BREW|MIX] [ADDR]
//! ```
//!
//! Defaults: 100 clients, 5 seconds, GET, and a pot started in this process
//! on 127.0.0.1 (ephemeral port, temporary data directory). ADDR must be a
//! loopback address (this tool never sends traffic anywhere else); seconds
//! are capped at 60 and clients at 5,000.

use coffeeshark::lab::client::{build_request, exchange};
use coffeeshark::lab::log::Log;
use coffeeshark::lab::pot::{self, PotConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let clients: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(100)
        .clamp(1, 5000);
    let seconds: f64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5.0_f64)
        .clamp(0.1, 60.0);
    let mode = args
        .get(2)
        .map_or("GET", String::as_str)
        .to_ascii_uppercase();
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (addr, handle) = match args.get(3) {
        Some(a) => {
            let addr: SocketAddr = a.parse().expect("ADDR is IP:PORT");
            assert!(
                addr.ip().is_loopback(),
                "only loopback addresses are load-tested"
            );
            (addr, None)
        }
        None => {
            let mut cfg = PotConfig::new(dir.path().to_path_buf());
            cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
            cfg.brew_time = Duration::from_millis(50);
            cfg.log = Log::off();
            let h = pot::start(cfg).await.expect("pot starts");
            (h.addr(), Some(h))
        }
    };
    println!("{clients} clients, {seconds} s, {mode} requests, pot at {addr}");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mode = mode.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut other, mut errors) = (0u64, 0u64, 0u64);
            let mut latencies = Vec::new();
            let mut n = c;
            while Instant::now() < deadline {
                n += 1;
                let brew = mode == "BREW" || (mode == "MIX" && n % 4 == 0);
                let req = if brew {
                    build_request("BREW", "coffee://ducky", &[], "start")
                } else {
                    build_request("GET", "coffee://ducky", &[], "")
                };
                let t = Instant::now();
                match exchange(&addr.to_string(), &req, Duration::from_secs(10)).await {
                    Ok(r) if r.code == 200 => ok += 1,
                    Ok(_) => other += 1, // 406 Pot is busy
                    Err(_) => errors += 1,
                }
                latencies.push(t.elapsed());
            }
            (ok, other, errors, latencies)
        }));
    }
    let (mut ok, mut other, mut errors, mut lat) = (0, 0, 0, Vec::new());
    for t in tasks {
        let (o, b, e, l) = t.await.expect("client task");
        ok += o;
        other += b;
        errors += e;
        lat.extend(l);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let total = ok + other + errors;
    println!(
        "{total} requests in {elapsed:.2} s: {:.0} requests/s ({ok} 200, {other} other statuses, {errors} errors)",
        total as f64 / elapsed
    );
    println!(
        "latency p50 {:?}, p99 {:?}, max {:?}",
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
    if let Some(h) = handle {
        h.shutdown().await.expect("pot stops");
    }
}
