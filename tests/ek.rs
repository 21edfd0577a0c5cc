//! `-T ek`, `-T tabs` and the `-j`/`-J` layer filters against tshark 4.0's
//! output on every bundled capture.
//!
//! EK lines repeat keys (tshark writes `eth_eth_addr` once under `eth.dst`
//! and once under `eth.src`), so they are parsed here keeping every key in
//! order. For each packet:
//! - the index line is tshark's byte for byte, and so is the `timestamp`;
//! - the link, network and transport layers are the same, in the same order;
//! - in every layer, for every key both tools write, the same values in the
//!   same order (strings, `true`/`false`, `null`, arrays), and the keys both
//!   write come in the same order (the grouping and flattening are
//!   tshark's); `text` keys (Wireshark's label-only lines) are left out,
//!   since the two trees do not label the same lines.
//!
//! Known differences are listed with their reason (`KNOWN`, as in
//! `tests/pdml.rs`): the pot's messages are HTCPCP for coffeeshark and HTTP
//! for tshark, and a few TLS frames are cut into records differently. Where
//! the two trees differ, the keys differ as tshark's algorithm makes them
//! differ: coffeeshark's TCP options are label lines (`text`) over
//! `tcp.option_kind`/`tcp.option_len`, tshark's are named option protocols,
//! so those two keys are grouped differently and their values are compared
//! as multisets; coffeeshark lists a ClientHello's extensions by type, not
//! in wire order, so the order of TLS keys is not compared.

mod support;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::{BTreeMap, BTreeSet};
use support::*;

/// Every bundled capture: the lab's samples and the test captures.
fn captures() -> Vec<String> {
    let mut all = Vec::new();
    for dir in ["sample_capture", "tests/captures", "tests/captures/roles"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "pcapng" || x == "pcap") {
                all.push(p.display().to_string());
            }
        }
    }
    all.sort();
    assert!(all.len() >= 15, "{all:?}");
    all
}

/// Known differences, (capture, frame, EK key), the same facts as
/// `tests/pdml.rs`'s list: tshark cuts these TLS 1.2 frames into handshake
/// records differently and names the certificates' x509 layers in
/// `frame.protocols`; the two replace a GIF body's invalid UTF-8 differently.
/// Frame 0: every frame of the capture. Beyond `tests/pdml.rs`'s samples:
/// in `tls_openssl`, the TLS 1.2 sessions' frames that hold a
/// ClientKeyExchange and an encrypted Finished, or a ticket and encrypted
/// records, are two handshakes for tshark (as above), and frame 56 is the last
/// segment of records tshark reassembles differently (`tcp.segment_data`);
/// in `mid_ack` (a capture that starts inside a connection) tshark counts
/// a request it did not see in `http.request_number`.
const KNOWN: &[(&str, usize, &str)] = &[
    ("tls12_openssl.pcapng", 8, "tls_tls_handshake"),
    ("tls12_openssl.pcapng", 6, "frame_frame_protocols"),
    ("tls12_openssl.pcapng", 9, "tls_tls_handshake"),
    ("http_loopback.pcapng", 32, "http_http_file_data"),
    ("tls_openssl.pcapng", 0, "tls_tls_handshake"),
    ("tls_openssl.pcapng", 56, "tcp_tcp_segment_data"),
    ("mid_ack.pcapng", 0, "http_http_request_number"),
];

/// Keys whose values are compared as multisets: grouped differently
/// because the trees differ (see the module doc).
const GROUPED_DIFFERENTLY: &[&str] = &["tcp_tcp_option_kind", "tcp_tcp_option_len"];

/// Layers whose key order is compared.
const ORDERED_LAYERS: &[&str] = &[
    "frame", "eth", "sll", "null", "ip", "ipv6", "tcp", "udp", "http",
];

/// Keys never compared: `tcp.options.sack_perm` has no value of its own in
/// coffeeshark (see `tests/pdml.rs`).
const NOT_COMPARED: &[&str] = &["tcp_options_sack_perm", "text"];

/// A JSON value that keeps repeated keys.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Str(String),
    Num(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_none<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<J, E> {
                Ok(J::Bool(b))
            }
            fn visit_str<E>(self, s: &str) -> Result<J, E> {
                Ok(J::Str(s.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<J, E> {
                Ok(J::Num(n.to_string()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<J, E> {
                Ok(J::Num(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<J, E> {
                Ok(J::Num(n.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, J>()? {
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn parse(line: &str) -> J {
    let mut de = serde_json::Deserializer::from_str(line);
    J::deserialize(&mut de).unwrap_or_else(|e| panic!("{e}: {line:.300}"))
}

fn member<'a>(obj: &'a J, key: &str) -> &'a J {
    match obj {
        J::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v).unwrap(),
        other => panic!("not an object: {other:?}"),
    }
}

/// One packet's EK document: its layers, each flattened to (key, value)
/// in order (objects inside a layer, such as `_ws_expert`, are flattened
/// too; arrays are kept as one value).
struct Doc {
    index: String,
    timestamp: J,
    layers: Vec<(String, Vec<(String, J)>)>,
}

fn flatten(obj: &J, out: &mut Vec<(String, J)>) {
    if let J::Obj(m) = obj {
        for (k, v) in m {
            match v {
                // -j's marker stays the value of its key.
                J::Obj(inner) if inner.len() == 1 && inner[0].0 == "filtered" => {
                    out.push((k.clone(), v.clone()))
                }
                J::Obj(_) => flatten(v, out),
                _ => out.push((k.clone(), v.clone())),
            }
        }
    }
}

fn docs(text: &str) -> Vec<Doc> {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() % 2, 0, "EK writes two lines a packet");
    lines
        .chunks(2)
        .map(|pair| {
            let body = parse(pair[1]);
            let mut layers = Vec::new();
            if let J::Obj(m) = member(&body, "layers") {
                for (name, v) in m {
                    let mut fields = Vec::new();
                    match v {
                        J::Obj(_) => flatten(v, &mut fields),
                        // A field directly in `layers` (tcp.segments).
                        other => fields.push((name.clone(), other.clone())),
                    }
                    layers.push((name.clone(), fields));
                }
            }
            Doc {
                index: pair[0].to_string(),
                timestamp: member(&body, "timestamp").clone(),
                layers,
            }
        })
        .collect()
}

const SHARED_LAYERS: &[&str] = &[
    "frame", "eth", "sll", "null", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6",
];

#[test]
fn ek_is_tsharks_on_every_capture() {
    let mut compared = 0usize;
    let mut packets = 0usize;
    let mut bad: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut ours_only: BTreeSet<String> = BTreeSet::new();
    for capture in captures() {
        let (ours, err, code) = coffeeshark(&["-r", &capture, "-T", "ek"]);
        assert_eq!(code, 0, "{capture}: {err}");
        let Some((theirs, _)) = tshark(&["-r", &capture, "-T", "ek"]) else {
            return;
        };
        let (ours, theirs) = (docs(&ours), docs(&theirs));
        assert_eq!(ours.len(), theirs.len(), "{capture}: packets");
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            let frame = i + 1;
            assert_eq!(o.index, t.index, "{capture} frame {frame}: index line");
            assert_eq!(o.timestamp, t.timestamp, "{capture} frame {frame}");
            let names = |d: &Doc| {
                d.layers
                    .iter()
                    .map(|l| l.0.clone())
                    .filter(|n| SHARED_LAYERS.contains(&n.as_str()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(o), names(t), "{capture} frame {frame}: layers");
            // The pot's traffic: HTCPCP here, HTTP there.
            let on_pot = o.layers.iter().any(|l| l.0 == "htcpcp");
            for (name, fields) in &o.layers {
                let Some((_, their)) = t.layers.iter().find(|l| &l.0 == name) else {
                    ours_only.insert(name.clone());
                    continue;
                };
                let keys =
                    |f: &[(String, J)]| f.iter().map(|x| x.0.clone()).collect::<BTreeSet<_>>();
                let (ok, tk) = (keys(fields), keys(their));
                // tshark names the certificates' x509 layers in frame.protocols.
                let x509 = their.iter().any(|(k, v)| {
                    k == "frame_frame_protocols" && matches!(v, J::Str(p) if p.contains("x509"))
                });
                let skip = |k: &str| {
                    NOT_COMPARED.contains(&k)
                        || ((on_pot || x509) && k == "frame_frame_protocols")
                        || KNOWN.iter().any(|(c, f, n)| {
                            capture.ends_with(c) && (*f == frame || *f == 0) && *n == k
                        })
                };
                for k in ok.difference(&tk) {
                    ours_only.insert(k.clone());
                }
                // The same keys in the same order, where both have them.
                let order = |f: &[(String, J)], other: &BTreeSet<String>| {
                    f.iter()
                        .map(|x| x.0.clone())
                        .filter(|k| {
                            other.contains(k)
                                && !skip(k)
                                && !GROUPED_DIFFERENTLY.contains(&k.as_str())
                        })
                        .collect::<Vec<_>>()
                };
                let (oo, to) = (order(fields, &tk), order(their, &ok));
                if ORDERED_LAYERS.contains(&name.as_str()) && oo != to {
                    let e = bad.entry(format!("{name} key order")).or_default();
                    e.0 += 1;
                    if e.1.is_empty() {
                        e.1 = format!("{capture} frame {frame}:\n ours   {oo:?}\n theirs {to:?}");
                    }
                }
                for k in ok.intersection(&tk) {
                    if skip(k) {
                        continue;
                    }
                    let values = |f: &[(String, J)]| {
                        let mut v: Vec<J> = f
                            .iter()
                            .filter(|x| &x.0 == k)
                            .map(|x| x.1.clone())
                            .collect();
                        if GROUPED_DIFFERENTLY.contains(&k.as_str()) {
                            v = v
                                .into_iter()
                                .flat_map(|x| match x {
                                    J::Arr(items) => items,
                                    one => vec![one],
                                })
                                .collect();
                            v.sort_by_key(|x| format!("{x:?}"));
                        }
                        v
                    };
                    let (ov, tv) = (values(fields), values(their));
                    if ov != tv {
                        let e = bad.entry(k.clone()).or_default();
                        e.0 += 1;
                        if e.1.is_empty() {
                            e.1 = format!(
                                "{capture} frame {frame}: ours {ov:.200?} theirs {tv:.200?}"
                            );
                        }
                        continue;
                    }
                    compared += ov.len();
                }
            }
            packets += 1;
        }
    }
    eprintln!("keys only coffeeshark writes: {ours_only:?}");
    for (k, (n, ex)) in &bad {
        eprintln!("MISMATCH {k}: {n} packets, e.g. {ex}");
    }
    assert!(bad.is_empty(), "{} keys differ", bad.len());
    eprintln!("ek: {compared} values equal tshark's in {packets} packets");
    assert!(compared > 20_000, "{compared}");
}

/// `-j` and `-J` on EK, JSON and PDML: tshark's output for the layers and
/// fields both tools know, on the lab's brew sample.
#[test]
fn layer_filters_are_tsharks() {
    let capture = "sample_capture/coffee_brew.pcapng";
    for (flag, protos) in [
        ("-j", "ip"),
        ("-J", "ip"),
        ("-j", "ip tcp"),
        ("-j", "frame ip.flags"),
    ] {
        // EK: the filtered markers and values are tshark's, line for line.
        let (ours, err, code) = coffeeshark(&["-r", capture, "-T", "ek", flag, protos, "-c", "40"]);
        assert_eq!(code, 0, "{err}");
        let Some((theirs, _)) = tshark(&["-r", capture, "-T", "ek", flag, protos, "-c", "40"])
        else {
            return;
        };
        let (ours, theirs) = (docs(&ours), docs(&theirs));
        assert_eq!(ours.len(), theirs.len());
        for (o, t) in ours.iter().zip(&theirs) {
            for (name, fields) in &o.layers {
                if !SHARED_LAYERS.contains(&name.as_str()) {
                    continue;
                }
                let (_, their) = t.layers.iter().find(|l| &l.0 == name).expect("layer");
                let skip = |k: &str| NOT_COMPARED.contains(&k) || GROUPED_DIFFERENTLY.contains(&k);
                let theirs_known: Vec<_> = their
                    .iter()
                    .filter(|x| fields.iter().any(|y| y.0 == x.0) && !skip(&x.0))
                    .collect();
                let ours_known: Vec<_> = fields
                    .iter()
                    .filter(|x| their.iter().any(|y| y.0 == x.0) && !skip(&x.0))
                    .collect();
                assert_eq!(
                    ours_known, theirs_known,
                    "ek {flag} {protos:?} layer {name}"
                );
            }
        }
        // JSON: the layers tshark filters out are `{"filtered": NAME}`.
        let (ours, _, _) = coffeeshark(&["-r", capture, "-T", "json", flag, protos, "-c", "5"]);
        let (theirs, _) = tshark(&[
            "-r",
            capture,
            "-T",
            "json",
            "--no-duplicate-keys",
            flag,
            protos,
            "-c",
            "5",
        ])
        .unwrap();
        let (ours, theirs): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&ours).unwrap(),
            serde_json::from_str(&theirs).unwrap(),
        );
        for (o, t) in ours
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs.as_array().unwrap())
        {
            for name in ["frame", "eth", "ip", "tcp"] {
                let (ol, tl) = (&o["_source"]["layers"][name], &t["_source"]["layers"][name]);
                for (k, tv) in tl.as_object().unwrap() {
                    if let Some(ov) = ol.get(k) {
                        if tv.get("filtered").is_some()
                            || ov.get("filtered").is_some()
                            || tv.is_string()
                        {
                            assert_eq!(ov, tv, "json {flag} {protos:?} {name}.{k}");
                        }
                    }
                }
            }
        }
        // PDML: the markers, in place, with tshark's indentation.
        let (ours, _, _) = coffeeshark(&["-r", capture, "-T", "pdml", flag, protos, "-c", "5"]);
        let (theirs, _) = tshark(&["-r", capture, "-T", "pdml", flag, protos, "-c", "5"]).unwrap();
        let markers = |x: &str| {
            x.lines()
                // Label lines (`text`) are not the same lines in the two trees.
                .filter(|l| l.contains("name=\"filtered\"") && !l.contains("value=\"text\""))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let (om, tm) = (markers(&ours), markers(&theirs));
        // tshark also filters the children of fields coffeeshark does not
        // have (ip.dsfield's): every one of ours is tshark's, in order.
        let mut it = tm.iter();
        for m in &om {
            assert!(
                it.any(|t| t == m),
                "pdml {flag} {protos:?}: {m} not in tshark's {tm:?}"
            );
        }
        assert!(
            !om.is_empty() || flag == "-J",
            "pdml {flag} {protos:?}: no marker"
        );
    }
}

/// `-T tabs`: tshark's packet list with tabs, byte for byte, on every
/// sample (but the pot's HTCPCP rows, which tshark calls HTTP).
#[test]
fn tabs_are_tsharks() {
    let mut rows = 0;
    for capture in captures()
        .iter()
        .filter(|c| c.starts_with("sample_capture"))
    {
        let (ours, err, code) = coffeeshark(&["-r", capture, "-T", "tabs"]);
        assert_eq!(code, 0, "{err}");
        let Some((theirs, _)) = tshark(&["-r", capture, "-T", "tabs"]) else {
            return;
        };
        assert_eq!(ours.lines().count(), theirs.lines().count(), "{capture}");
        for (o, t) in ours.lines().zip(theirs.lines()) {
            if o.contains("\tHTCPCP\t") {
                continue;
            }
            assert_eq!(o, t, "{capture}");
            rows += 1;
        }
    }
    assert!(rows > 1500, "{rows}");
}
