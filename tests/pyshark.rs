//! pyshark, a real client of tshark's command line, with coffeeshark in
//! tshark's place: `tests/pyshark_probe.py` reads every bundled sample with
//! `pyshark.FileCapture` (which runs `tshark -l -n -T pdml -r FILE`), once
//! with Debian's tshark and once with a `tshark` symlink to coffeeshark
//! (pyshark runs the `tshark` of the folder it is given), and the two
//! readings are compared packet by packet:
//!
//! - the same packets, numbers, lengths, `frame_info.time_relative` and
//!   `tcp.stream`;
//! - off the pot's port, the same `http.request_method` and
//!   `http.response_code`, and the same `highest_layer` where tshark's is a
//!   protocol coffeeshark dissects (tshark adds layers for HTTP bodies —
//!   data-text-lines, media, png — that coffeeshark does not);
//! - on the pot's traffic, where tshark says HTTP, coffeeshark's packets
//!   have an `htcpcp` layer exactly on the frames `read -Y htcpcp` lists,
//!   with the method and code of `read -T fields`.
//!
//! pyshark comes from PyPI into `target/pyshark-venv` (`.ci/setup test`);
//! without it the test skips, or fails when `COFFEESHARK_REQUIRE_TSHARK` is
//! set (as in CI).

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const SAMPLES: &[&str] = &[
    "sample_capture/homepage_coffee.pcapng",
    "sample_capture/coffee_brew.pcapng",
    "sample_capture/coffee_418_406.pcapng",
    "sample_capture/coffee_https.pcapng",
    "sample_capture/http_loopback.pcapng",
    "sample_capture/tls12_openssl.pcapng",
];

/// Layers both tools dissect: a `highest_layer` among them is compared.
const SHARED_TOP: &[&str] = &["ETH", "IP", "IPV6", "TCP", "UDP", "HTTP", "TLS", "DATA"];

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyshark-venv/bin/python");
    let ok = Command::new(&p)
        .args(["-c", "import pyshark"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(p);
    }
    if std::env::var_os("COFFEESHARK_REQUIRE_TSHARK").is_some() {
        panic!("pyshark is not installed in target/pyshark-venv: run `bash .ci/setup test`");
    }
    eprintln!("skipped: pyshark is not installed in target/pyshark-venv");
    None
}

fn probe(python: &Path, tshark_dir: &Path, capture: &str) -> Vec<Value> {
    probe_mode(python, tshark_dir, capture, "pdml")
}

fn probe_mode(python: &Path, tshark_dir: &Path, capture: &str, mode: &str) -> Vec<Value> {
    let out = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyshark_probe.py"))
        .arg(tshark_dir)
        .arg(capture)
        .arg(mode)
        .output()
        .expect("run the pyshark probe");
    assert!(
        out.status.success(),
        "pyshark with {}/tshark on {capture}: {}",
        tshark_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// `read -Y htcpcp -T fields`: frame → (method, code).
fn htcpcp_frames(capture: &str) -> BTreeMap<String, (String, String)> {
    let (out, err, code) = coffeeshark(&[
        "read",
        capture,
        "-Y",
        "htcpcp",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "htcpcp.request.method",
        "-e",
        "htcpcp.response.code",
    ]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| {
            let mut c = l.split('\t').map(str::to_string);
            let n = c.next().unwrap_or_default();
            (
                n,
                (c.next().unwrap_or_default(), c.next().unwrap_or_default()),
            )
        })
        .collect()
}

fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The folder of Debian's tshark, and one with a `tshark` symlink to
/// coffeeshark.
fn tshark_dirs() -> (PathBuf, tempfile::TempDir) {
    let tshark_dir = PathBuf::from(
        String::from_utf8(
            Command::new("sh")
                .args(["-c", "dirname \"$(command -v tshark)\""])
                .output()
                .expect("sh")
                .stdout,
        )
        .unwrap()
        .trim(),
    );
    let ours_dir = tempdir();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_coffeeshark"),
        ours_dir.path().join("tshark"),
    )
    .expect("symlink");
    (tshark_dir, ours_dir)
}

#[test]
fn pyshark_reads_coffeeshark_as_it_reads_tshark() {
    let Some(python) = python() else { return };
    let Some(_) = tshark(&["-v"]) else { return };
    let (tshark_dir, ours_dir) = tshark_dirs();
    let (mut packets, mut tops, mut http, mut pot) = (0, 0, 0, 0);
    for sample in SAMPLES {
        let ours = probe(&python, ours_dir.path(), sample);
        let theirs = probe(&python, &tshark_dir, sample);
        assert_eq!(ours.len(), theirs.len(), "{sample}: packets");
        let htcpcp = htcpcp_frames(sample);
        for (o, t) in ours.iter().zip(&theirs) {
            let n = text(o, "n");
            for key in ["n", "len", "rel", "stream"] {
                assert_eq!(text(o, key), text(t, key), "{sample} frame {n}: {key}");
            }
            let on_pot = o["layers"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x == "htcpcp"));
            assert_eq!(
                on_pot,
                htcpcp.contains_key(&n),
                "{sample} frame {n}: htcpcp layer"
            );
            if let Some((method, code)) = htcpcp.get(&n) {
                assert_eq!(
                    &text(&o["htcpcp"], "request_method"),
                    method,
                    "{sample} {n}"
                );
                assert_eq!(&text(&o["htcpcp"], "response_code"), code, "{sample} {n}");
                pot += 1;
                continue;
            }
            for key in ["method", "code"] {
                assert_eq!(text(o, key), text(t, key), "{sample} frame {n}: http {key}");
            }
            if !text(o, "method").is_empty() || !text(o, "code").is_empty() {
                http += 1;
            }
            if SHARED_TOP.contains(&text(t, "hl").as_str()) {
                assert_eq!(
                    text(o, "hl"),
                    text(t, "hl"),
                    "{sample} frame {n}: highest_layer"
                );
                tops += 1;
            }
            packets += 1;
        }
    }
    eprintln!(
        "pyshark: {packets} packets equal off the pot ({tops} highest layers, {http} HTTP \
         messages), {pot} HTCPCP messages equal `read -Y htcpcp`"
    );
    assert!(packets > 1000 && http > 50 && pot > 20);
}

/// `use_json=True` (`-T json --no-duplicate-keys`): the same packets,
/// numbers, lengths, times, streams and highest layers (off the pot, where
/// tshark's is a protocol coffeeshark dissects), and the `htcpcp` layer on
/// the frames of `read -Y htcpcp`. (`only_summaries=True`, `-T psml`, is
/// not driven through pyshark: pyshark 0.6 returns a varying part of the
/// packets with tshark itself; `tests/pdml.rs` compares the PSML with
/// tshark's directly.)
#[test]
fn pyshark_json() {
    let Some(python) = python() else { return };
    let Some(_) = tshark(&["-v"]) else { return };
    let (tshark_dir, ours_dir) = tshark_dirs();
    let mut json_rows = 0;
    for sample in SAMPLES {
        let htcpcp = htcpcp_frames(sample);
        let ours = probe_mode(&python, ours_dir.path(), sample, "json");
        let theirs = probe_mode(&python, &tshark_dir, sample, "json");
        assert_eq!(ours.len(), theirs.len(), "{sample}: json packets");
        for (o, t) in ours.iter().zip(&theirs) {
            let n = text(o, "n");
            for key in ["n", "len", "rel", "stream"] {
                assert_eq!(text(o, key), text(t, key), "{sample} frame {n}: json {key}");
            }
            assert_eq!(
                o["htcpcp"] == 1,
                htcpcp.contains_key(&n),
                "{sample} frame {n}"
            );
            if !htcpcp.contains_key(&n) && SHARED_TOP.contains(&text(t, "hl").as_str()) {
                assert_eq!(
                    text(o, "hl"),
                    text(t, "hl"),
                    "{sample} frame {n}: json highest_layer"
                );
            }
            json_rows += 1;
        }
    }
    eprintln!("pyshark: {json_rows} JSON packets equal");
    assert!(json_rows > 1800);
}
