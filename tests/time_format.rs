//! The Time column in every `-t` format and both `-u` units, against
//! tshark 4.0 on the same files, line for line: a bundled sample, and three
//! samples recorded days apart merged by `mergecap` (deltas of hours and
//! days, `-u hms`'s `367h  3m 11.581585708s`). Local times are compared under
//! a POSIX `TZ` with a half-hour offset (no zone database needed), so that a
//! local/UTC mix-up cannot pass; `-Y` makes `dd` differ from `d`.

mod support;

use support::*;

/// The pot's HTCPCP rows left out: tshark has no HTCPCP (they differ in
/// Protocol and Info, not in time).
const FILTER: &str = "(tcp.flags.syn == 1 || frame.number < 300) && !(tcp.port == 5030)";

fn list(tool: &str, file: &str, t: &str, u: &str) -> Option<String> {
    let out = std::process::Command::new(tool)
        .args(["-r", file, "-t", t, "-u", u, "-Y", FILTER])
        .env("TZ", "IST-5:30")
        .output();
    match out {
        Ok(o) => {
            assert!(o.status.success(), "{tool} -t {t} -u {u} failed");
            Some(String::from_utf8(o.stdout).unwrap())
        }
        Err(e) => {
            assert!(
                std::env::var_os("COFFEESHARK_REQUIRE_TSHARK").is_none(),
                "{tool} is required (COFFEESHARK_REQUIRE_TSHARK is set): {e}"
            );
            eprintln!("{tool} not found: skipping the comparison ({e})");
            None
        }
    }
}

#[test]
fn every_time_format_equals_tsharks() {
    if tshark(&["-v"]).is_none() {
        return;
    }
    let dir = tempdir();
    let merged = path_in(&dir, "merged.pcapng");
    let status = std::process::Command::new("mergecap")
        .arg("-w")
        .arg(&merged)
        .args([
            "sample_capture/http_loopback.pcapng",
            "sample_capture/tls_openssl.pcapng",
            "sample_capture/tls12_openssl.pcapng",
        ])
        .status()
        .expect("mergecap (Wireshark's, installed with tshark) runs");
    assert!(status.success());
    let merged = merged.to_str().unwrap();
    let ours = env!("CARGO_BIN_EXE_coffeeshark");
    let mut compared = 0;
    for file in ["sample_capture/coffee_brew.pcapng", merged] {
        for t in ["r", "a", "ad", "adoy", "d", "dd", "e", "u", "ud", "udoy"] {
            for u in ["s", "hms"] {
                let theirs = list("tshark", file, t, u).unwrap();
                let mine = list(ours, file, t, u).unwrap();
                assert_eq!(mine, theirs, "-t {t} -u {u} on {file}");
                compared += theirs.lines().count();
            }
        }
    }
    assert!(compared > 4000, "only {compared} lines compared");
}

#[test]
fn a_bad_time_format_is_refused_with_tsharks_message() {
    let (out, err, code) = coffeeshark(&["-r", "sample_capture/coffee_brew.pcapng", "-t", "x"]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(
        err.contains("Invalid time stamp type \"x\"; it must be one of:"),
        "{err}"
    );
    let (_, err, code) = coffeeshark(&["-r", "sample_capture/coffee_brew.pcapng", "-u", "ms"]);
    assert_eq!(code, 2);
    assert!(err.contains("Invalid seconds type \"ms\""), "{err}");
}
