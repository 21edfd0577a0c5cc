//! The field registry against the field tree, the fast path against the
//! tree, and the filter compiler against random input.
//!
//! - every field the tree produces (on the fixtures of the read tests and
//!   the real sample) is registered, with a type that fits its value;
//! - every field with a fast extractor gives, packet by packet, the same
//!   values (as `-T fields` prints them) as the field tree does;
//! - random strings and random token soups never make the compiler panic,
//!   and what compiles evaluates without panicking.

mod support;

use coffeeshark::filter::fields::{self, Ftype, FIELDS};
use coffeeshark::filter::format::write_value;
use coffeeshark::filter::values::{fast_kind, FieldRef, PacketFields};
use coffeeshark::filter::Filter;
use coffeeshark::model::tree::{Field, Value};
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use proptest::prelude::*;
use std::path::Path;
use support::*;

/// Captures to check: the sample and a few link types.
fn captures(dir: &tempfile::TempDir) -> Vec<std::path::PathBuf> {
    // HTTP, HTCPCP (with 406/418 and no-header replies) and TLS 1.2.
    let mut out: Vec<std::path::PathBuf> = [
        "sample_capture/http_loopback.pcapng",
        "sample_capture/coffee_418_406.pcapng",
        "sample_capture/tls12_openssl.pcapng",
    ]
    .iter()
    .map(|p| Path::new(p).to_path_buf())
    .collect();
    for (i, (link, addrs)) in [
        (Link::NullLe, LOOPBACK_V4),
        (Link::EthernetVlan(3), LOOPBACK_V4),
        (Link::Sll, LOOPBACK_V6),
        (Link::Sll2, LOOPBACK_V4),
        (Link::RawIpv6, LOOPBACK_V6),
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = TcpConn::new(link, addrs, 40000 + i as u16, 5030);
        c.send(true, SYN, b"")
            .send(false, SYN_ACK, b"")
            .send(true, ACK, b"")
            .send(true, PSH_ACK, b"BREW coffee://ducky HTTP/1.1\r\n\r\nstart")
            .send(true, PSH_ACK, b"again")
            // A retransmission and a duplicate ACK: analysis fields.
            .send_at_seq(true, PSH_ACK, 1_000_001, b"BREW")
            .send(false, ACK, b"")
            .send(false, ACK, b"")
            .send(false, RST_ACK, b"");
        let path = path_in(dir, &format!("f{i}.pcap"));
        write_pcap(&path, link.linktype(), &c.frames, PCAP_US);
        out.push(path);
    }
    out
}

fn for_each_packet(path: &Path, mut f: impl FnMut(&PacketFields<'_, '_>)) {
    let mut reader = CaptureReader::open(path).unwrap();
    let mut analyzer = Analyzer::new();
    while let Some(raw) = reader.next_frame().unwrap() {
        let pkt = analyzer.process(&raw);
        f(&PacketFields::new(&pkt));
    }
}

fn fits(ftype: Ftype, v: &Value) -> bool {
    match v {
        Value::None => matches!(ftype, Ftype::None),
        Value::UInt(_) | Value::Hex(..) => ftype.is_integer() && ftype != Ftype::Boolean,
        Value::Int(_) => matches!(ftype, Ftype::Int(_)),
        Value::Bool(_) => ftype == Ftype::Boolean,
        // Times in the tree are their text (`frame.time` in local time).
        Value::Str(_) => matches!(ftype, Ftype::String | Ftype::RelTime | Ftype::AbsTime),
        Value::Ipv4(_) => ftype == Ftype::Ipv4,
        Value::Ipv6(_) => ftype == Ftype::Ipv6,
        Value::Mac(_) => ftype == Ftype::Ether,
        Value::Seconds(..) => ftype == Ftype::RelTime,
        Value::Bytes(_) => ftype == Ftype::Bytes,
    }
}

#[test]
fn every_tree_field_is_registered_with_its_type() {
    let dir = tempdir();
    let mut seen = std::collections::BTreeSet::new();
    for path in captures(&dir) {
        for_each_packet(&path, |pf| {
            fn rec(fs: &[Field], seen: &mut std::collections::BTreeSet<&'static str>) {
                for f in fs {
                    if !f.name.is_empty() {
                        let id = fields::lookup(f.name)
                            .unwrap_or_else(|| panic!("{} is not registered", f.name));
                        let t = fields::def(id).ftype;
                        assert!(fits(t, &f.value), "{}: {t:?} vs {:?}", f.name, f.value);
                        seen.insert(f.name);
                    }
                    rec(&f.children, seen);
                }
            }
            for l in &pf.tree().layers {
                assert!(fields::lookup(l.proto).is_some(), "protocol {}", l.proto);
                assert!(
                    coffeeshark::filter::values::TREE_PROTOCOLS.contains(&l.proto),
                    "layer {} missing from TREE_PROTOCOLS",
                    l.proto
                );
                rec(&l.fields, &mut seen);
            }
        });
    }
    assert!(seen.len() > 60, "only {} fields seen", seen.len());
}

#[test]
fn fast_path_equals_the_tree() {
    let dir = tempdir();
    let fast: Vec<usize> = (0..FIELDS.len())
        .filter(|&id| fast_kind(FIELDS[id].name).is_some())
        .collect();
    assert!(fast.len() > 60);
    let mut compared = 0;
    for path in captures(&dir) {
        for_each_packet(&path, |pf| {
            for &id in &fast {
                let def = fields::def(id);
                let show = |r: FieldRef| {
                    let mut vals = Vec::new();
                    pf.each(r, &mut |v| {
                        let mut s = String::new();
                        write_value(&mut s, id, &v);
                        vals.push(s);
                        false
                    });
                    vals
                };
                let a = show(FieldRef::new(id));
                // `vlan` has no layer of its own in our tree, and the list's
                // columns (`_ws.col.*`, compared with tshark's in
                // tests/pdml.rs) are not tree fields.
                if def.name == "vlan" || def.name.starts_with("_ws.col.") {
                    continue;
                }
                let b = show(FieldRef::tree_only(id));
                assert_eq!(a, b, "{} in frame {}", def.name, pf.packet().frame.number);
                compared += 1;
            }
        });
    }
    assert!(compared > 1000);
}

const WORDS: &[&str] = &[
    "tcp",
    "tcp.port",
    "ip.addr",
    "frame.len",
    "tcp.payload",
    "eth.src",
    "ipv6.addr",
    "http",
    "htcpcp.request.method",
    "frame.time_relative",
    "tcp.flags",
    "tcp.flags.syn",
    "==",
    "!=",
    "~=",
    "<",
    ">=",
    "&",
    "and",
    "or",
    "not",
    "xor",
    "&&",
    "||",
    "!",
    "^^",
    "(",
    ")",
    "{",
    "}",
    "..",
    ",",
    "in",
    "contains",
    "matches",
    "[",
    "]",
    "0:3",
    "-1",
    "1-2",
    "5030",
    "0x1f",
    "127.0.0.1",
    "10.0.0.0/8",
    "::1",
    "fe80::/10",
    "00:11:22:33:44:55",
    "42:52",
    "\"BREW\"",
    "\"(?i)get\"",
    "\"(\"",
    "\"\\x41\\101\"",
    "True",
    "0.5",
    "ducky",
    "\"",
    "\\",
    "@",
    "..5",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,40}") {
        let _ = Filter::compile(&s).map_err(|e| e.render(&s));
    }

    #[test]
    fn random_token_soups_never_panic(toks in proptest::collection::vec(0..WORDS.len(), 0..12)) {
        let s: Vec<&str> = toks.iter().map(|&i| WORDS[i]).collect();
        let s = s.join(" ");
        match Filter::compile(&s) {
            Ok(f) => {
                for_each_packet(Path::new("sample_capture/http_loopback.pcapng"), |pf| {
                    let _ = f.matches_fields(pf);
                });
            }
            Err(e) => {
                let _ = e.render(&s);
            }
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let s = format!("{}tcp{}", "(".repeat(5000), ")".repeat(5000));
    assert!(Filter::compile(&s).is_err());
    let s = format!("{}tcp", "!".repeat(5000));
    assert!(Filter::compile(&s).is_err());
}

#[test]
fn long_arithmetic_chains_are_an_error_not_a_stack_overflow() {
    let s = format!("tcp.port == 1{}", " + 1".repeat(5000));
    assert!(Filter::compile(&s).is_err());
    let s = format!("tcp.port == {}1{}", "{".repeat(5000), "}".repeat(5000));
    assert!(Filter::compile(&s).is_err());
    let s = format!("tcp.port == {}1", "-".repeat(5000));
    assert!(Filter::compile(&s).is_err());
    assert!(Filter::compile(&format!("tcp.port == 1{}", " + 1".repeat(30))).is_ok());
}
