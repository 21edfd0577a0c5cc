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
    // pyshark caches the EK field mapping per tshark version, which both
    // tools report alike: each run gets its own cache, so that each reads
    // its own `-G elastic-mapping`.
    let cache = tempdir();
    let out = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyshark_probe.py"))
        .arg(tshark_dir)
        .arg(capture)
        .arg(mode)
        .env("XDG_CACHE_HOME", cache.path())
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
    // pyshark's LiveCapture runs the `dumpcap` of the same folder.
    for name in ["tshark", "dumpcap"] {
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_coffeeshark"),
            ours_dir.path().join(name),
        )
        .expect("symlink");
    }
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

/// Compares two readings of `sample` packet by packet, as
/// [`pyshark_reads_coffeeshark_as_it_reads_tshark`] does: numbers, lengths,
/// times, streams; off the pot the HTTP method and code and the highest
/// layer where tshark's is one coffeeshark dissects; on the pot the
/// `htcpcp` layer exactly on `htcpcp`'s frames (`pot` = `read -Y htcpcp`'s,
/// empty when the pot is decoded as HTTP). Returns the packets compared.
fn compare(
    what: &str,
    sample: &str,
    ours: &[Value],
    theirs: &[Value],
    pot: &BTreeMap<String, (String, String)>,
) -> usize {
    assert_eq!(ours.len(), theirs.len(), "{what} {sample}: packets");
    for (o, t) in ours.iter().zip(theirs) {
        let n = text(o, "n");
        for key in ["n", "len", "rel", "stream"] {
            assert_eq!(
                text(o, key),
                text(t, key),
                "{what} {sample} frame {n}: {key}"
            );
        }
        assert_eq!(
            !o["htcpcp"].is_null(),
            pot.contains_key(&n),
            "{what} {sample} frame {n}: htcpcp layer"
        );
        if let Some((method, code)) = pot.get(&n) {
            assert_eq!(
                &text(&o["htcpcp"], "request_method"),
                method,
                "{what} {sample} {n}"
            );
            assert_eq!(
                &text(&o["htcpcp"], "response_code"),
                code,
                "{what} {sample} {n}"
            );
            continue;
        }
        for key in ["method", "code"] {
            assert_eq!(
                text(o, key),
                text(t, key),
                "{what} {sample} frame {n}: http {key}"
            );
        }
        if SHARED_TOP.contains(&text(t, "hl").as_str()) {
            assert_eq!(
                text(o, "hl"),
                text(t, "hl"),
                "{what} {sample} frame {n}: highest_layer"
            );
        }
    }
    ours.len()
}

/// pyshark's other ways to read a file, each with tshark and with
/// coffeeshark on every sample: `use_json=True` (`-T json
/// --no-duplicate-keys`), `use_ek=True` (`-T ek`, values typed by `-G
/// elastic-mapping`), `keep_packets=False` (read with `next()`),
/// `display_filter=` (`-Y`: the web app's port, and SYNs).
#[test]
fn pyshark_json_ek_nokeep_and_filters() {
    let Some(python) = python() else { return };
    let Some(_) = tshark(&["-v"]) else { return };
    let (tshark_dir, ours_dir) = tshark_dirs();
    let mut rows = BTreeMap::new();
    for sample in SAMPLES {
        let htcpcp = htcpcp_frames(sample);
        for mode in ["json", "ek", "nokeep"] {
            let ours = probe_mode(&python, ours_dir.path(), sample, mode);
            let theirs = probe_mode(&python, &tshark_dir, sample, mode);
            *rows.entry(mode).or_insert(0) += compare(mode, sample, &ours, &theirs, &htcpcp);
        }
        for filter in ["tcp.port == 5031", "tcp.flags.syn == 1"] {
            let ours = probe_filtered(&python, ours_dir.path(), sample, "filter", filter);
            let theirs = probe_filtered(&python, &tshark_dir, sample, "filter", filter);
            let none = BTreeMap::new();
            *rows.entry("filter").or_insert(0) += compare(filter, sample, &ours, &theirs, &none);
        }
    }
    eprintln!("pyshark: packets equal per mode: {rows:?}");
    assert!(
        rows["json"] > 1800 && rows["ek"] > 1800 && rows["nokeep"] > 1800,
        "{rows:?}"
    );
    assert!(rows["filter"] > 200, "{rows:?}");
}

/// `decode_as={'tcp.port==5030': 'http'}` (`-d tcp.port==5030,http`): both
/// tools then read the pot's requests as HTTP, with the same method where
/// tshark knows the method (GET, POST, PROPFIND). They differ, and the test
/// says how: tshark's HTTP dissector knows no BREW, WHEN or the lab's MILK (those requests
/// are "Continuation" there), where coffeeshark's HTTP takes any method;
/// and the pot's responses start `HTCPCP/1.1 200 OK`, which tshark does
/// not take for a status line (no response code there) while
/// coffeeshark still reads them as HTCPCP responses (an `htcpcp` layer
/// with the code).
#[test]
fn pyshark_decode_as() {
    let Some(python) = python() else { return };
    let Some(_) = tshark(&["-v"]) else { return };
    let (tshark_dir, ours_dir) = tshark_dirs();
    let (mut methods, mut responses, mut unknown_to_tshark) = (0, 0, 0);
    for sample in SAMPLES.iter().filter(|s| s.contains("coffee_")) {
        let ours = probe_filtered(&python, ours_dir.path(), sample, "decode", "5030");
        let theirs = probe_filtered(&python, &tshark_dir, sample, "decode", "5030");
        assert_eq!(ours.len(), theirs.len(), "{sample}");
        for (o, t) in ours.iter().zip(&theirs) {
            let n = text(o, "n");
            for key in ["n", "len", "rel", "stream"] {
                assert_eq!(text(o, key), text(t, key), "{sample} frame {n}: {key}");
            }
            let (om, tm) = (text(o, "method"), text(t, "method"));
            if tm.is_empty() && !om.is_empty() {
                // A method tshark's HTTP does not know.
                assert!(
                    ["BREW", "WHEN", "MILK"].contains(&om.as_str()),
                    "{sample} frame {n}: {om}"
                );
                unknown_to_tshark += 1;
            } else {
                assert_eq!(om, tm, "{sample} frame {n}: method");
            }
            if !om.is_empty() {
                methods += 1;
            }
            if o["htcpcp"].is_null() {
                assert_eq!(text(o, "code"), text(t, "code"), "{sample} frame {n}: code");
                continue;
            }
            // The pot's response: HTCPCP for coffeeshark; for tshark no
            // response (Continuation, or TCP data after a request it did
            // not recognise).
            assert_eq!(text(t, "code"), "", "{sample} frame {n}: tshark {t}");
            assert!(
                !text(&o["htcpcp"], "response_code").is_empty(),
                "{sample} frame {n}: {o}"
            );
            responses += 1;
        }
    }
    eprintln!(
        "decode_as: {methods} methods ({unknown_to_tshark} BREW/WHEN/MILK unknown to tshark), \
         {responses} pot responses HTCPCP here, Continuation there"
    );
    assert!(methods > 20 && responses > 10, "{methods} {responses}");
}

/// `only_summaries=True` (`-T psml`): pyshark 0.6 returns only part of the
/// packets, a part that varies from run to run, with tshark itself (on
/// every read after the first it looks for the `<structure>` header again,
/// reading on and dropping what it held). What it returns is checked:
/// every summary coffeeshark gives pyshark is tshark's row of the same
/// number (`tshark -T psml`; the time as the float pyshark makes of it),
/// but the pot's HTCPCP rows (HTTP or Continuation in tshark).
#[test]
fn pyshark_summaries() {
    let Some(python) = python() else { return };
    let Some(_) = tshark(&["-v"]) else { return };
    let (_, ours_dir) = tshark_dirs();
    let (mut seen, mut total) = (0, 0);
    for sample in SAMPLES {
        let pot = htcpcp_frames(sample);
        let ours = probe_mode(&python, ours_dir.path(), sample, "summaries");
        let (psml, _) = tshark(&["-r", sample, "-T", "psml"]).unwrap();
        let doc = roxmltree::Document::parse(&psml).expect("tshark's PSML");
        let rows: BTreeMap<String, Vec<String>> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("packet"))
            .map(|p| {
                let cells: Vec<String> = p
                    .children()
                    .filter(|c| c.has_tag_name("section"))
                    .map(|c| c.text().unwrap_or("").to_string())
                    .collect();
                (cells[0].clone(), cells)
            })
            .collect();
        total += rows.len();
        for o in &ours {
            let n = text(o, "no");
            if pot.contains_key(&n) {
                continue;
            }
            let theirs = &rows[&n];
            let mine: Vec<String> = [
                "no",
                "time",
                "source",
                "destination",
                "protocol",
                "length",
                "info",
            ]
            .iter()
            .map(|k| text(o, k))
            .collect();
            // pyshark turns the time into a float (`1.8007e-05`).
            let secs = |s: &str| s.parse::<f64>().expect("a time");
            assert_eq!(
                secs(&mine[1]),
                secs(&theirs[1]),
                "{sample} summary {n}: time"
            );
            assert_eq!(
                (&mine[..1], &mine[2..]),
                (&theirs[..1], &theirs[2..]),
                "{sample} summary {n}"
            );
            seen += 1;
        }
    }
    eprintln!("pyshark summaries: {seen} of {total} rows read, each tshark's");
    assert!(seen > 0, "{seen} of {total}");
}

fn probe_filtered(
    python: &Path,
    tshark_dir: &Path,
    capture: &str,
    mode: &str,
    arg: &str,
) -> Vec<Value> {
    let cache = tempdir();
    let out = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyshark_probe.py"))
        .args([tshark_dir.to_str().unwrap(), capture, mode, arg])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .expect("run the pyshark probe");
    assert!(
        out.status.success(),
        "pyshark {mode} {arg} with {}/tshark on {capture}: {}",
        tshark_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Whether this process may capture on `lo` (as `tests/live_capture.rs`
/// decides): skip without, or fail when `COFFEESHARK_REQUIRE_LIVE` is set.
fn live_allowed() -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_coffeeshark"))
        .args(["capture", "-i", "lo", "-q", "-a", "duration:0"])
        .output()
        .expect("run coffeeshark");
    if out.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    if std::env::var_os("COFFEESHARK_REQUIRE_LIVE").is_some() {
        panic!("live capture is required (COFFEESHARK_REQUIRE_LIVE) but fails: {why}");
    }
    eprintln!("skipped, cannot capture on lo here: {why}");
    false
}

/// A free loopback port (bound then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `LiveCapture(interface='lo', bpf_filter='tcp port N')` with
/// `sniff(timeout=16)` while the probe makes three HTTP exchanges on that
/// port: pyshark runs `dumpcap -q -f ... -i lo -w -` piped into `tshark -l
/// -n -T pdml -i -`, here both Wireshark's and both coffeeshark's
/// (symlinks). The traffic is new each run, so what is compared is what the
/// script reads: every packet on the port, streams 0, 1, 2 in order, each
/// exchange's GET and 200, the same in both runs.
#[test]
fn pyshark_live_capture() {
    let Some(python) = python() else { return };
    let Some(_) = tshark(&["-v"]) else { return };
    if !live_allowed() {
        return;
    }
    let (tshark_dir, ours_dir) = tshark_dirs();
    let summary = |rows: &[Value]| {
        let streams: Vec<String> = rows.iter().map(|r| text(r, "stream")).collect();
        let methods: Vec<String> = rows
            .iter()
            .map(|r| text(r, "method"))
            .filter(|m| !m.is_empty())
            .collect();
        let codes: Vec<String> = rows
            .iter()
            .map(|r| text(r, "code"))
            .filter(|m| !m.is_empty())
            .collect();
        let mut distinct = streams.clone();
        distinct.dedup();
        (distinct, methods, codes)
    };
    let ours = probe_filtered(
        &python,
        ours_dir.path(),
        "-",
        "live",
        &free_port().to_string(),
    );
    let theirs = probe_filtered(&python, &tshark_dir, "-", "live", &free_port().to_string());
    let (o, t) = (summary(&ours), summary(&theirs));
    assert_eq!(o, t, "coffeeshark {ours:?}\ntshark {theirs:?}");
    assert_eq!(o.0, ["0", "1", "2"], "{ours:?}");
    assert_eq!(o.1, ["GET", "GET", "GET"]);
    assert_eq!(o.2, ["200", "200", "200"]);
    // Numbered from 1 in capture order, as tshark numbers them.
    for (i, r) in ours.iter().enumerate() {
        assert_eq!(text(r, "n"), (i + 1).to_string());
    }
}
