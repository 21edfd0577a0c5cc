//! The bundled real recordings (sample_capture/): the loopback HTTP sample
//! and the four lab captures recorded with the scripted visit.
//!
//! - Every frame not on the lab's pot port (5030) prints exactly what
//!   `tshark -r` prints: TCP, HTTP (with `[TCP segment of a reassembled
//!   PDU]`, body media types) and TLS lines alike.
//! - Frames on port 5030 are HTCPCP, which tshark lacks (it calls them HTTP,
//!   "Continuation" or TCP): there the Protocol column must say HTCPCP
//!   whenever the frame carries a message, and the Info must start with the
//!   first line of the frame's own payload (read from tshark's
//!   `tcp.payload`, independently of our dissector); the whole lines are
//!   also kept as golden files (`tests/golden/samples/`).

mod support;

use support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_capture/");
const SAMPLES: [(&str, usize); 6] = [
    ("http_loopback.pcapng", 60),
    ("homepage_coffee.pcapng", 100),
    ("coffee_brew.pcapng", 330),
    ("coffee_418_406.pcapng", 350),
    ("coffee_https.pcapng", 1029),
    ("tls12_openssl.pcapng", 26),
];
const POT_PORT: &str = "5030";

#[test]
fn samples_read_cleanly() {
    for (name, frames) in SAMPLES {
        let path = format!("{DIR}{name}");
        let (out, err, code) = coffeeshark(&["read", &path]);
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(out.lines().count(), frames, "{name}");
    }
    let (out, _, _) = coffeeshark(&["read", &format!("{DIR}http_loopback.pcapng")]);
    assert!(out.starts_with(
        "    1 0.000000000    127.0.0.1 \u{2192} 127.0.0.1    TCP 74 36680 \u{2192} 8000 [SYN]"
    ));
}

/// Per frame: (source port, destination port, payload bytes) from tshark.
fn tshark_segments(path: &str) -> Option<Vec<(String, String, Vec<u8>)>> {
    let (out, code) = tshark(&[
        "-r",
        path,
        "-T",
        "fields",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.dstport",
        "-e",
        "tcp.payload",
    ])?;
    assert_eq!(code, 0);
    Some(
        out.lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let hex = f.get(2).copied().unwrap_or("");
                let bytes = (0..hex.len() / 2)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                    .collect();
                (f[0].to_string(), f[1].to_string(), bytes)
            })
            .collect(),
    )
}

#[test]
fn sample_lines_equal_tsharks_except_htcpcp() {
    for (name, _) in SAMPLES {
        let path = format!("{DIR}{name}");
        let (ours, _, _) = coffeeshark(&["read", &path]);
        let Some((theirs, _)) = tshark(&["-r", &path]) else {
            return;
        };
        let segments = tshark_segments(&path).unwrap();
        let ours: Vec<&str> = ours.lines().collect();
        let theirs: Vec<&str> = theirs.lines().collect();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        assert_eq!(ours.len(), segments.len(), "{name}");
        let mut compared = 0;
        let mut app = 0;
        for ((o, t), (sport, dport, _)) in ours.iter().zip(&theirs).zip(&segments) {
            if sport == POT_PORT || dport == POT_PORT {
                continue;
            }
            pretty_diff(t, o, name);
            compared += 1;
            app += usize::from(!o.contains(" TCP "));
        }
        assert!(
            compared > 0 && app > 0,
            "{name}: {compared} lines, {app} HTTP/TLS"
        );
    }
}

#[test]
fn sample_htcpcp_lines_show_their_start_lines() {
    let mut all_golden = String::new();
    let mut messages = 0;
    for (name, _) in SAMPLES {
        let path = format!("{DIR}{name}");
        let (ours, _, _) = coffeeshark(&["read", &path]);
        let ours: Vec<&str> = ours.lines().collect();
        let mut golden = String::new();
        if let Some(segments) = tshark_segments(&path) {
            for (o, (sport, dport, payload)) in ours.iter().zip(&segments) {
                if sport != POT_PORT && dport != POT_PORT {
                    continue;
                }
                golden.push_str(o);
                golden.push('\n');
                let first_line = payload.split(|&b| b == b'\n').next().unwrap_or(&[]);
                let first_line = String::from_utf8_lossy(first_line);
                let first_line = first_line.trim_end_matches('\r');
                let is_start =
                    first_line.ends_with("HTTP/1.1") || first_line.starts_with("HTCPCP/");
                if payload.is_empty() || !is_start {
                    continue;
                }
                // The pot's replies end at its FIN in the lab, but ours carry
                // Content-Length: every message is complete in its segment.
                assert!(o.contains(" HTCPCP "), "{name}: {o}");
                let info = o.split_once(" HTCPCP ").unwrap().1;
                let info = info.split_once(' ').unwrap().1;
                assert!(
                    info.starts_with(&format!("{first_line} ")),
                    "{name}: {o}\n  payload starts {first_line:?}"
                );
                messages += 1;
            }
            assert_golden(&format!("samples/{name}.htcpcp.txt"), &golden);
        }
        all_golden.push_str(&golden);
    }
    if messages > 0 {
        // The lab's facts (LAB.md): BREW, the 418 teapot, the 406 additions.
        for needle in [
            "HTCPCP/1.1 418 I'm a Teapot",
            "HTCPCP/1.1 406 Not Acceptable",
            "BREW coffee://ducky HTTP/1.1",
            "PROPFIND coffee://ducky HTTP/1.1",
        ] {
            assert!(all_golden.contains(needle), "no {needle:?} in the samples");
        }
    }
}
