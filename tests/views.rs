//! The other views of `read`: `-x` (byte for byte tshark's hex dump), `-T json`
//! (tshark's object shape; shared field values equal tshark's), `-T jsonl`,
//! `-V` (one block per layer), `-c`.

mod support;

use serde_json::Value;
use support::*;

fn fixture(dir: &tempfile::TempDir) -> String {
    let path = path_in(dir, "views.pcapng");
    let c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 55433, 5030).exchange(b"brew\n", b"coffee\n");
    write_pcapng(
        &path,
        &[NgInterface {
            linktype: 1,
            name: "lo",
        }],
        &c.frames,
    );
    path.to_str().unwrap().to_string()
}

#[test]
fn hex_dump_equals_tshark() {
    let dir = tempdir();
    let p = fixture(&dir);
    let (ours, _, code) = coffeeshark(&["read", &p, "-x"]);
    assert_eq!(code, 0);
    assert!(ours
        .starts_with("0000  00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00   ..............E.\n"));
    if let Some((theirs, _)) = tshark(&["-r", &p, "-x"]) {
        pretty_diff(&theirs, &ours, "-x vs tshark");
    }
    let (ours, _, _) = coffeeshark(&["read", &p, "-P", "-x", "-c", "2"]);
    if let Some((theirs, _)) = tshark(&["-r", &p, "-P", "-x", "-c", "2"]) {
        pretty_diff(&theirs, &ours, "-P -x vs tshark");
    }
}

/// Field names whose values we expect to equal tshark's exactly.
const SHARED_FIELDS: &[(&str, &str)] = &[
    ("frame", "frame.number"),
    ("frame", "frame.len"),
    ("frame", "frame.cap_len"),
    ("frame", "frame.time_relative"),
    ("frame", "frame.time_delta"),
    ("frame", "frame.time_epoch"),
    ("frame", "frame.encap_type"),
    ("frame", "frame.protocols"),
    ("eth", "eth.dst"),
    ("eth", "eth.src"),
    ("eth", "eth.type"),
    ("ip", "ip.src"),
    ("ip", "ip.dst"),
    ("ip", "ip.len"),
    ("ip", "ip.ttl"),
    ("ip", "ip.proto"),
    ("ip", "ip.id"),
    ("ip", "ip.checksum"),
    ("tcp", "tcp.srcport"),
    ("tcp", "tcp.dstport"),
    ("tcp", "tcp.port"),
    ("tcp", "tcp.stream"),
    ("tcp", "tcp.len"),
    ("tcp", "tcp.seq"),
    ("tcp", "tcp.seq_raw"),
    ("tcp", "tcp.nxtseq"),
    ("tcp", "tcp.ack"),
    ("tcp", "tcp.ack_raw"),
    ("tcp", "tcp.hdr_len"),
    ("tcp", "tcp.flags"),
    ("tcp", "tcp.window_size_value"),
    ("tcp", "tcp.window_size"),
    ("tcp", "tcp.checksum"),
    ("tcp", "tcp.urgent_pointer"),
    ("tcp", "tcp.completeness"),
];

fn layers(v: &Value) -> &serde_json::Map<String, Value> {
    v["_source"]["layers"].as_object().expect("layers object")
}

#[test]
fn json_has_tsharks_shape_and_values() {
    let dir = tempdir();
    let p = fixture(&dir);
    let (ours, _, code) = coffeeshark(&["read", &p, "-T", "json"]);
    assert_eq!(code, 0);
    let ours: Value = serde_json::from_str(&ours).expect("valid JSON");
    let ours = ours.as_array().expect("an array");
    assert_eq!(ours.len(), 10);
    assert_eq!(ours[0]["_type"], "doc");
    assert_eq!(layers(&ours[3])["tcp"]["tcp.len"], "5");
    assert_eq!(
        layers(&ours[3])["tcp"]["tcp.flags_tree"]["tcp.flags.push"],
        "1"
    );
    assert_eq!(
        layers(&ours[0])["tcp"]["tcp.port"],
        serde_json::json!(["55433", "5030"])
    );
    // Repeated fields (tcp.port) become arrays, as with tshark --no-duplicate-keys.
    let Some((theirs, _)) = tshark(&["-r", &p, "-T", "json", "--no-duplicate-keys"]) else {
        return;
    };
    let theirs: Value = serde_json::from_str(&theirs).expect("tshark JSON");
    let theirs = theirs.as_array().unwrap();
    assert_eq!(theirs.len(), ours.len());
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(o["_index"], t["_index"]);
        for (layer, field) in SHARED_FIELDS {
            let tv = &layers(t)[*layer][*field];
            let ov = &layers(o)[*layer][*field];
            if tv.is_null() {
                continue; // tshark omits e.g. tcp.ack on a bare SYN
            }
            assert_eq!(ov, tv, "frame {}: {field}", i + 1);
        }
    }
}

#[test]
fn jsonl_is_one_object_per_line() {
    let dir = tempdir();
    let p = fixture(&dir);
    let (out, _, _) = coffeeshark(&["read", &p, "-T", "jsonl", "-c", "3"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    for (i, l) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(l).expect("each line parses");
        assert_eq!(layers(&v)["frame"]["frame.number"], (i + 1).to_string());
    }
}

#[test]
fn details_one_block_per_layer() {
    let dir = tempdir();
    let p = fixture(&dir);
    let (out, _, _) = coffeeshark(&["read", &p, "-V", "-c", "1"]);
    let tops: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    assert_eq!(tops.len(), 4, "{out}");
    assert!(tops[0].starts_with(
        "Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits) on interface lo, id 0"
    ));
    assert!(tops[1].starts_with("Ethernet II"));
    assert_eq!(
        tops[2],
        "Internet Protocol Version 4, Src: 127.0.0.1, Dst: 127.0.0.1"
    );
    assert_eq!(
        tops[3],
        "Transmission Control Protocol, Src Port: 55433, Dst Port: 5030, Seq: 0, Len: 0"
    );
    assert!(out.contains("\n    Sequence Number: 0    (relative sequence number)\n"));
    assert!(out.contains("\n        TCP Option - Window scale: 7 (multiply by 128)\n"));
    if let Some((theirs, _)) = tshark(&["-r", &p, "-V", "-c", "1"]) {
        // Layer headlines are the same as tshark's.
        let their_tops: Vec<&str> = theirs
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.is_empty())
            .collect();
        assert_eq!(their_tops[0], tops[0]);
        assert_eq!(their_tops[2], tops[2]);
        assert_eq!(their_tops[3], tops[3]);
    }
}

#[test]
fn count_and_tshark_style_r() {
    let dir = tempdir();
    let p = fixture(&dir);
    let (a, _, _) = coffeeshark(&["read", &p, "-c", "4"]);
    let (b, _, _) = coffeeshark(&["-r", &p, "-c", "4"]);
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 4);
}
