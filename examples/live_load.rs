//! How many packets per second `coffeeshark capture` keeps up with on
//! loopback: for each rate, start a capture on `lo` (BPF filter on one UDP
//! port, `-w` to a temporary pcapng, with or without `-q`), send small UDP
//! datagrams to 127.0.0.1 at that rate for a fixed time, then compare what
//! was sent with what was captured and with the kernel's drop count.
//!
//! ```sh
//! cargo build --release
//! sudo target/release/examples/live_load [SECONDS] [RATE,RATE,...]
//! ```
//!
//! Bounded: every run lasts SECONDS (default 3, at most 30) plus a second
//! of margin; rate 0 means "as fast as one sender thread can".

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0_f64)
        .clamp(0.5, 30.0);
    let rates: Vec<u64> = args
        .next()
        .unwrap_or_else(|| "50000,100000,200000,400000,0".into())
        .split(',')
        .map(|r| r.trim().parse().expect("rates are integers"))
        .collect();
    let bin = std::env::var("COFFEESHARK").unwrap_or_else(|_| {
        let me = std::env::current_exe().unwrap();
        // target/release/examples/live_load -> target/release/coffeeshark
        me.parent()
            .and_then(|p| p.parent())
            .unwrap()
            .join("coffeeshark")
            .to_string_lossy()
            .into_owned()
    });
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("live_load.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("load.pcapng");
    println!("{bin}, {secs} s per run, UDP 18-byte payloads to 127.0.0.1:{port}");
    println!(
        "{:>10} {:>6} {:>10} {:>10} {:>10} {:>8} {:>10}",
        "rate", "mode", "sent", "sent/s", "captured", "dropped", "printed"
    );
    for &rate in &rates {
        for quiet in [true, false] {
            let filter = format!("udp port {port}");
            let duration = format!("duration:{}", secs + 1.5);
            let mut cmd = Command::new(&bin);
            cmd.args(["capture", "-i", "lo", "-f", &filter, "-a", &duration, "-w"])
                .arg(&file);
            if quiet {
                cmd.arg("-q");
            }
            let out_path = dir.join("lines.txt");
            let child = cmd
                .stdout(std::fs::File::create(&out_path).unwrap())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run coffeeshark capture");
            std::thread::sleep(Duration::from_millis(700));
            let (sent, took) = blast(port, rate, secs);
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            let summary = err
                .lines()
                .find(|l| l.contains("packets captured"))
                .unwrap_or_else(|| panic!("no summary from the capture:\n{err}"));
            let captured: u64 = summary.split(' ').next().unwrap().parse().unwrap();
            let dropped: u64 = summary
                .split(", ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let printed = std::fs::read_to_string(&out_path)
                .map(|s| s.lines().count())
                .unwrap_or(0);
            println!(
                "{:>10} {:>6} {:>10} {:>10} {:>10} {:>8} {:>10}",
                if rate == 0 {
                    "max".into()
                } else {
                    rate.to_string()
                },
                if quiet { "-q" } else { "lines" },
                sent,
                (sent as f64 / took) as u64,
                captured,
                dropped,
                printed
            );
            // Empty the sink so its buffer never matters.
            sink.set_nonblocking(true).unwrap();
            let mut buf = [0u8; 64];
            for _ in 0..10_000_000 {
                if sink.recv(&mut buf).is_err() {
                    break;
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends 18-byte datagrams at `rate` per second in all (0: flat out) for
/// `secs`, from `SENDERS` threads (default 1).
fn blast(port: u16, rate: u64, secs: f64) -> (u64, f64) {
    let threads: u64 = std::env::var("SENDERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1u64)
        .clamp(1, 8);
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let workers: Vec<_> = (0..threads)
        .map(|_| std::thread::spawn(move || send_until(port, rate / threads, start, end)))
        .collect();
    let sent = workers.into_iter().map(|w| w.join().unwrap()).sum();
    (sent, start.elapsed().as_secs_f64())
}

fn send_until(port: u16, rate: u64, start: Instant, end: Instant) -> u64 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.connect(("127.0.0.1", port)).unwrap();
    let payload = b"coffeecoffeecoffee";
    let mut sent = 0u64;
    loop {
        let now = Instant::now();
        if now >= end {
            return sent;
        }
        let due = if rate == 0 {
            sent + 256
        } else {
            // At most 256 ahead per turn, so the deadline is checked often.
            (((now - start).as_secs_f64() * rate as f64) as u64 + 1).min(sent + 256)
        };
        while sent < due {
            // A full socket buffer drops at the sender; count only what left.
            if s.send(payload).is_ok() {
                sent += 1;
            } else {
                break;
            }
        }
        if rate != 0 && sent >= due {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}
