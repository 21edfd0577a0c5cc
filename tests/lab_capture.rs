//! `coffeeshark lab --script NAME --capture FILE`: the lab's servers, a
//! scripted visit and a libpcap capture of both ports in one command. The
//! capture is read back by coffeeshark and by tshark, which must agree, and
//! must hold the handshakes of browser↔app and app↔pot connections.
//! Capturing needs root or CAP_NET_RAW: without it the test skips, or fails
//! when `COFFEESHARK_REQUIRE_LIVE` is set (as `.ci/run` does).

#![cfg(all(feature = "live", feature = "lab"))]

mod support;

use std::process::Command;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_coffeeshark");

fn can_capture() -> bool {
    let out = Command::new(BIN)
        .args([
            "capture",
            "-i",
            "lo",
            "-f",
            "tcp port 9",
            "-a",
            "duration:0.2",
            "-q",
        ])
        .output()
        .expect("run coffeeshark capture");
    if out.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    if std::env::var_os("COFFEESHARK_REQUIRE_LIVE").is_some() {
        panic!("live capture is required (COFFEESHARK_REQUIRE_LIVE is set) but fails here:\n{why}");
    }
    eprintln!("skipped: cannot capture on lo here: {why}");
    false
}

#[test]
fn lab_script_with_capture_records_both_legs() {
    if !can_capture() {
        return;
    }
    let dir = tempdir();
    let pcap = path_in(&dir, "lab.pcapng");
    let data = path_in(&dir, "data");
    let out = Command::new(BIN)
        .args([
            "lab",
            "--local",
            "--port",
            "0",
            "--pot-port",
            "0",
            "--brew-time",
            "1",
        ])
        .args(["--script", "homepage", "--capture", pcap.to_str().unwrap()])
        .args(["--data-dir", data.to_str().unwrap()])
        .output()
        .expect("run coffeeshark lab");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "lab failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reported: u64 = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("coffeeshark lab: ")?
                .split(" packets captured")
                .next()?
                .parse()
                .ok()
        })
        .expect("the lab reports the packets it captured");
    let (ours, err, code) = coffeeshark(&["read", pcap.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ours.lines().count() as u64, reported);
    // The homepage visit: the browser's connections to the app and, for the
    // pot status, the app's own connection to the pot, each with a handshake.
    let syns: Vec<&str> = ours.lines().filter(|l| l.contains(" [SYN] ")).collect();
    assert!(syns.len() >= 2, "{ours}");
    let (conv, _, _) = coffeeshark(&["conv", pcap.to_str().unwrap(), "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&conv).unwrap();
    let servers: std::collections::BTreeSet<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["server"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        servers.len(),
        2,
        "both the app's and the pot's port: {servers:?}"
    );
    for r in rows.as_array().unwrap() {
        assert_eq!(r["handshake_class"], "complete", "{r}");
    }
    if let Some((theirs, _)) = tshark(&["-r", pcap.to_str().unwrap()]) {
        assert_eq!(theirs.lines().count(), ours.lines().count());
    }
}
