//! The lab's sample captures, recorded on real loopback with the scripted
//! visit (`sample_capture/record_lab.sh`): each holds what its scenario did,
//! as tshark reads it (HTTP statuses, one HTCPCP connection per pot request),
//! coffeeshark reads every frame of it, and the HTTPS one decrypts with its
//! key log while its pot leg stays readable without it.
#![cfg(feature = "lab")]

mod support;

use std::collections::BTreeMap;
use support::*;

fn path(name: &str) -> String {
    format!("{}/sample_capture/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// HTTP response codes on the web app's port, counted.
fn response_codes(file: &str, extra: &[&str]) -> Option<BTreeMap<u16, usize>> {
    let mut args = vec!["-r", file];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "-Y",
        "tcp.srcport == 5031 && http.response",
        "-T",
        "fields",
        "-e",
        "http.response.code",
    ]);
    let (out, code) = tshark(&args)?;
    assert_eq!(code, 0);
    let mut counts = BTreeMap::new();
    for l in out.lines() {
        *counts.entry(l.trim().parse::<u16>().unwrap()).or_insert(0) += 1;
    }
    Some(counts)
}

fn count(file: &str, filter: &str) -> Option<usize> {
    let (out, code) = tshark(&["-r", file, "-Y", filter])?;
    assert_eq!(code, 0);
    Some(out.lines().count())
}

fn reads_every_frame(file: &str) {
    let (ours, err, code) = coffeeshark(&["read", file]);
    assert_eq!(code, 0, "{err}");
    if let Some(frames) = count(file, "frame") {
        assert_eq!(ours.lines().count(), frames);
    }
    assert!(ours.contains("5030") && ours.contains("5031"));
}

const POT_SYN: &str = "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 5030";
const APP_SYN: &str = "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 5031";

#[test]
fn homepage_capture() {
    let f = path("homepage_coffee.pcapng");
    reads_every_frame(&f);
    let Some(codes) = response_codes(&f, &[]) else {
        return;
    };
    // Two page loads: page + 3 assets, then page + 3 revalidated assets.
    assert_eq!(codes, BTreeMap::from([(200, 5), (304, 3)]));
    assert_eq!(
        count(&f, APP_SYN),
        Some(8),
        "one connection per HTTP request"
    );
    assert_eq!(count(&f, POT_SYN), Some(2), "one HTCPCP GET per page");
}

#[test]
fn brew_capture() {
    let f = path("coffee_brew.pcapng");
    reads_every_frame(&f);
    let Some(codes) = response_codes(&f, &[]) else {
        return;
    };
    assert_eq!(codes.get(&302), Some(&2), "brew and WHEN redirect");
    assert_eq!(codes.get(&304), Some(&15));
    assert_eq!(
        count(
            &f,
            "tcp.dstport == 5030 && tcp.payload contains \"BREW coffee://ducky \""
        ),
        Some(1)
    );
    assert_eq!(
        count(
            &f,
            "tcp.dstport == 5030 && tcp.payload contains \"PROPFIND coffee://ducky \""
        ),
        Some(1)
    );
    assert_eq!(
        count(
            &f,
            "tcp.dstport == 5030 && tcp.payload contains \"WHEN coffee://ducky \""
        ),
        Some(1)
    );
    assert_eq!(
        count(
            &f,
            "tcp.dstport == 5030 && tcp.payload contains \"GET coffee://ducky \""
        ),
        Some(4)
    );
    assert_eq!(count(&f, POT_SYN), Some(7));
}

#[test]
fn teapot_and_chamomile_capture() {
    let f = path("coffee_418_406.pcapng");
    reads_every_frame(&f);
    let Some(codes) = response_codes(&f, &[]) else {
        return;
    };
    for code in [418, 406, 400, 404, 501, 415] {
        assert_eq!(codes.get(&code), Some(&1), "{code}: {codes:?}");
    }
    // The pot's own answers, on port 5030 (tshark shows them as continuations).
    let (out, _) = tshark(&[
        "-r",
        &f,
        "-Y",
        "tcp.srcport == 5030 && tcp.len > 0",
        "-T",
        "fields",
        "-e",
        "tcp.payload",
    ])
    .unwrap();
    let text: String = out
        .lines()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap() as char)
                .collect::<String>()
        })
        .collect();
    assert!(text.contains("HTCPCP/1.1 418 I'm a Teapot\r\n"));
    assert!(text.contains("HTCPCP/1.1 406 Not Acceptable\r\n"));
}

#[test]
fn https_capture_decrypts_with_its_key_log() {
    let f = path("coffee_https.pcapng");
    let keys = path("coffee_https.keys");
    reads_every_frame(&f);
    let Some(opaque) = response_codes(&f, &[]) else {
        return;
    };
    assert!(
        opaque.is_empty(),
        "without keys the web app's HTTP is opaque: {opaque:?}"
    );
    assert!(count(&f, "tls.handshake.type == 1").unwrap() > 0);
    // The pot leg is still plaintext HTCPCP (the lab's Task 8 question).
    assert!(count(&f, "tcp.dstport == 5030 && http.request").unwrap() > 0);
    let keylog = format!("tls.keylog_file:{keys}");
    let codes = response_codes(&f, &["-o", &keylog]).unwrap();
    for code in [302, 304, 418, 406] {
        assert!(codes.contains_key(&code), "{code} decrypted: {codes:?}");
    }
    let sessions = count(&f, APP_SYN).unwrap();
    let (out, _) = tshark(&[
        "-r",
        &f,
        "-o",
        &keylog,
        "-Y",
        "tcp.dstport == 5031 && http.request",
    ])
    .unwrap();
    assert_eq!(
        out.lines().count(),
        sessions,
        "every TLS session decrypts: one request each"
    );
}
