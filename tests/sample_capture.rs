//! The bundled real recordings (sample_capture/): the loopback HTTP sample
//! and the four lab captures recorded with the scripted visit. Until HTTP,
//! HTCPCP and TLS are dissected (issue "Dissect HTTP/1.x, HTCPCP and TLS"),
//! every line tshark attributes to TCP must equal ours, except that tshark
//! may append what its HTTP dissector guessed (`(application/...)`): ours
//! must then be a prefix of tshark's. Every other line must agree on number,
//! time, addresses and length.

mod support;

use support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_capture/");
const SAMPLES: [(&str, usize); 5] = [
    ("http_loopback.pcapng", 60),
    ("homepage_coffee.pcapng", 100),
    ("coffee_brew.pcapng", 330),
    ("coffee_418_406.pcapng", 350),
    ("coffee_https.pcapng", 1029),
];

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

#[test]
fn sample_tcp_lines_equal_tsharks() {
    for (name, _) in SAMPLES {
        let path = format!("{DIR}{name}");
        let (ours, _, _) = coffeeshark(&["read", &path]);
        let Some((theirs, _)) = tshark(&["-r", &path]) else {
            return;
        };
        let ours: Vec<&str> = ours.lines().collect();
        let theirs: Vec<&str> = theirs.lines().collect();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        let mut compared = 0;
        for (o, t) in ours.iter().zip(&theirs) {
            // Columns up to and including Length: "No. Time Src → Dst Proto Len".
            let head = |l: &str| l.split_whitespace().take(5).collect::<Vec<_>>().join(" ");
            assert_eq!(head(o), head(t), "{name}");
            let t_proto = t.split_whitespace().nth(5).unwrap();
            if t_proto == "TCP" && !t.contains("reassembled PDU") {
                assert!(t.starts_with(o), "{name}:\n  ours:   {o}\n  tshark: {t}");
                compared += 1;
            }
        }
        assert!(
            compared * 2 >= ours.len() / 2,
            "{name}: only {compared} TCP lines compared"
        );
    }
}
