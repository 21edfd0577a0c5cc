//! Kill the `coffeeshark pot` process (SIGKILL) at random moments while
//! clients brew, in a bounded loop: the state files always parse, every brew
//! the pot acknowledged is in the history, and a restart repairs a cut line.
#![cfg(all(feature = "lab", unix))]

use coffeeshark::lab::state::{BrewRecord, CURRENT_FILE, HISTORY_FILE};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts the pot binary on an ephemeral port; returns it and its port.
fn spawn_pot(dir: &Path) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coffeeshark"))
        .args([
            "pot",
            "--local",
            "--port",
            "0",
            "--brew-time",
            "0.005",
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn coffeeshark pot");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the pot prints its address");
    let port = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("127.0.0.1:"))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, port)
}

/// One blocking exchange; `Some(status code)` when the pot answered.
fn exchange(port: u16, req: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(req.as_bytes()).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out);
    text.split(' ').nth(1)?.parse().ok()
}

/// Checks both files; returns the number of complete history lines.
fn check_files(dir: &Path) -> usize {
    let current = std::fs::read(dir.join(CURRENT_FILE)).expect("current brew file exists");
    let v: serde_json::Value = serde_json::from_slice(&current).unwrap_or_else(|e| {
        panic!(
            "{CURRENT_FILE} does not parse ({e}): {:?}",
            String::from_utf8_lossy(&current)
        )
    });
    assert!(v.is_object());
    if v.as_object().is_some_and(|o| !o.is_empty()) {
        serde_json::from_value::<BrewRecord>(v).expect("a brew record");
    }
    let history = std::fs::read(dir.join(HISTORY_FILE)).expect("history exists");
    let complete = history
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let lines: Vec<&[u8]> = history[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    for l in &lines {
        serde_json::from_slice::<BrewRecord>(l).expect("every complete history line parses");
    }
    lines.len()
}

#[test]
fn sigkill_at_random_moments_never_corrupts_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let mut acked_total = 0usize;
    let mut seen_lines = 0usize;
    // At most 12 kills and about 15 seconds.
    for round in 0..12 {
        if t0.elapsed() > Duration::from_secs(15) {
            break;
        }
        let (mut pot, port) = spawn_pot(dir.path());
        // After a restart: the history survived, the current brew is forgotten.
        let lines = check_files(dir.path());
        assert!(
            lines >= acked_total,
            "round {round}: {lines} lines, {acked_total} brews acknowledged"
        );
        assert!(lines >= seen_lines);
        assert_eq!(std::fs::read(dir.path().join(CURRENT_FILE)).unwrap(), b"{}");

        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..4)
            .map(|c| {
                let (stop, acked) = (stop.clone(), acked.clone());
                std::thread::spawn(move || {
                    let ct = "Content-Type: application/coffee-pot-command\r\n";
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) && n < 5_000 {
                        n += 1;
                        let req = match (n + c) % 3 {
                            0 => format!("BREW coffee://ducky HTTP/1.1\r\n{ct}Accept-Additions: cream\r\nContent-Length: 5\r\n\r\nstart"),
                            1 => format!("WHEN coffee://ducky HTTP/1.1\r\n{ct}\r\n"),
                            _ => format!("BREW coffee://ducky HTTP/1.1\r\n{ct}Content-Length: 4\r\n\r\nstop"),
                        };
                        let is_start = (n + c) % 3 == 0;
                        match exchange(port, &req) {
                            Some(200) if is_start => {
                                acked.fetch_add(1, Ordering::SeqCst);
                            }
                            Some(_) => {}
                            None => break, // killed
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + fastrand::u64(..200)));
        pot.kill().expect("SIGKILL the pot we started");
        pot.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        acked_total += acked.load(Ordering::SeqCst);
        seen_lines = check_files(dir.path());
        assert!(
            seen_lines >= acked_total,
            "an acknowledged brew is missing from the history"
        );
    }
    assert!(acked_total > 0, "brews happened between the kills");
    // A final restart serves normally.
    let (mut pot, port) = spawn_pot(dir.path());
    let ct = "Content-Type: application/coffee-pot-command\r\n";
    assert_eq!(
        exchange(port, &format!("GET coffee://ducky HTTP/1.1\r\n{ct}\r\n")),
        Some(200)
    );
    pot.kill().unwrap();
    pot.wait().unwrap();
}
