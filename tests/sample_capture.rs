//! The bundled real recording (`sample_capture/http_loopback.pcapng`: curl
//! fetching pages from `python3 -m http.server` on Linux loopback). Until HTTP
//! is dissected (issue "Dissect HTTP/1.x, HTCPCP and TLS"), the lines tshark
//! attributes to TCP itself must equal ours; the HTTP lines must at least
//! agree on number, time, addresses and length.

mod support;

use support::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample_capture/http_loopback.pcapng"
);

#[test]
fn sample_reads_cleanly() {
    let (out, err, code) = coffeeshark(&["read", SAMPLE]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 60);
    assert!(out.starts_with(
        "    1 0.000000000    127.0.0.1 \u{2192} 127.0.0.1    TCP 74 36680 \u{2192} 8000 [SYN]"
    ));
}

#[test]
fn sample_tcp_lines_equal_tsharks() {
    let (ours, _, _) = coffeeshark(&["read", SAMPLE]);
    let Some((theirs, _)) = tshark(&["-r", SAMPLE]) else {
        return;
    };
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(ours.len(), theirs.len());
    let mut compared = 0;
    for (o, t) in ours.iter().zip(&theirs) {
        // Columns up to and including Length: "No. Time Src → Dst Proto Len".
        let head = |l: &str| l.split_whitespace().take(5).collect::<Vec<_>>().join(" ");
        assert_eq!(head(o), head(t));
        let t_proto = t.split_whitespace().nth(5).unwrap();
        if t_proto == "TCP" && !t.contains("reassembled PDU") {
            assert_eq!(o, t);
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} TCP lines compared");
}
