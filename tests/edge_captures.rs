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
        "mid_rst.pcapng",
        "rst.pcapng",
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

/// RFC 5952 §6 on the IPv6 recording: `[::1]:port` wherever an address and
/// a port are joined (conv's and http's JSON and tables), the address and
/// port apart too; tshark's own `-z conv,tcp` block stays as tshark writes
/// it (`::1:port`).
#[test]
fn ipv6_endpoints_are_bracketed_with_the_port() {
    let p = path("rst.pcapng");
    let Some((ports, _)) = tshark(&[
        "-r",
        &p,
        "-Y",
        "tcp.flags == 0x002",
        "-T",
        "fields",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.dstport",
    ]) else {
        return;
    };
    let ports: Vec<(u16, u16)> = ports
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    assert_eq!(ports.len(), 3);
    for cmd in ["conv", "http"] {
        let (out, err, code) = coffeeshark(&[cmd, &p, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 3, "{cmd}");
        for (row, (client, server)) in rows.iter().zip(&ports) {
            assert_eq!(row["client"], format!("[::1]:{client}"), "{cmd}");
            assert_eq!(row["server"], format!("[::1]:{server}"), "{cmd}");
            assert_eq!(row["client_address"], "::1", "{cmd}");
            assert_eq!(row["client_port"], *client, "{cmd}");
            assert_eq!(row["server_address"], "::1", "{cmd}");
            assert_eq!(row["server_port"], *server, "{cmd}");
        }
        let (table, _, _) = coffeeshark(&[cmd, &p]);
        for (client, _) in &ports {
            assert!(
                table.contains(&format!("[::1]:{client} ")),
                "{cmd}: {table}"
            );
        }
    }
    // tshark's block, byte for byte, keeps tshark's spelling.
    let (theirs, _) = tshark(&["-r", &p, "-q", "-z", "conv,tcp"]).unwrap();
    let (ours, _, _) = coffeeshark(&["conv", &p]);
    assert!(ours.starts_with(theirs.trim_end()), "{ours}\n---\n{theirs}");
}

/// Responses cut by a RST (IPv6 loopback, SO_LINGER 0): tshark shows no
/// HTTP message on the RST's frame (nor anywhere); `http` keeps the
/// transaction with "response incomplete (RST at frame N)", N being the
/// RST's frame as tshark numbers it.
#[test]
fn responses_cut_by_a_rst() {
    let name = "rst.pcapng";
    let fields = [
        "frame.number",
        "tcp.stream",
        "http.request.method",
        "http.response.code",
        "http.request_in",
        "http.content_length_header",
    ];
    let Some((theirs, ours)) = fields_both(name, &fields, Some("http || tcp.flags.reset == 1"))
    else {
        return;
    };
    pretty_diff(&theirs, &ours, name);
    let p = path(name);
    let (rsts, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "tcp.flags.reset == 1",
        "-T",
        "fields",
        "-e",
        "tcp.stream",
        "-e",
        "frame.number",
    ])
    .unwrap();
    let (answered, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "http.response",
        "-T",
        "fields",
        "-e",
        "tcp.stream",
    ])
    .unwrap();
    let (out, err, code) = coffeeshark(&["http", &p, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    let (table, _, _) = coffeeshark(&["http", &p]);
    let mut cut = 0;
    for line in rsts.lines() {
        let (stream, frame) = line.split_once('\t').unwrap();
        let stream: u64 = stream.parse().unwrap();
        let row = rows
            .iter()
            .find(|r| r["stream"] == stream)
            .expect("a row per stream");
        if answered.lines().any(|s| s == stream.to_string()) {
            // Answered before the RST: an ordinary row.
            assert_eq!(row["response_complete"], true);
            assert!(row["response_frame"].is_u64());
            continue;
        }
        cut += 1;
        assert_eq!(row["response_frame"], serde_json::Value::Null, "{row}");
        assert_eq!(row["response_complete"], false, "{row}");
        assert_eq!(row["response_reset_in"].to_string(), frame, "{row}");
        let text = format!("response incomplete (RST at frame {frame})");
        assert!(table.contains(&text), "{table}");
    }
    assert_eq!(cut, 2, "two of the three responses are cut");
}
