//! The HTTP, HTCPCP and TLS fields of the field tree, against tshark 4.0
//! and against the lab's facts.
//!
//! - `-T fields -e` output for a list of `http.*`, `tls.*` and reassembly
//!   fields is byte-equal to tshark's on every sample capture;
//! - the frames matching ~25 http/tls filters are tshark's;
//! - `-T json` values of the shared http/tls fields are tshark's;
//! - the `htcpcp.*` fields of the pot's traffic equal golden files and
//!   the facts read here, independently, from the payload bytes and
//!   `../shared/LAB.md` (method, scheme, pot, additions accepted or not,
//!   the status code each request must cause).
//!
//! Frames on the pot's port (5030) are left out of the tshark comparisons:
//! tshark has no HTCPCP and shows them as HTTP or "Continuation".

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use support::*;

const SAMPLES: &[&str] = &[
    "sample_capture/homepage_coffee.pcapng",
    "sample_capture/coffee_brew.pcapng",
    "sample_capture/coffee_418_406.pcapng",
    "sample_capture/coffee_https.pcapng",
    "sample_capture/http_loopback.pcapng",
    "sample_capture/tls12_openssl.pcapng",
];

const NOT_POT: &str = "!(tcp.port == 5030)";

const HTTP_FIELDS: &[&str] = &[
    "http.request",
    "http.response",
    "http.request.method",
    "http.request.uri",
    "http.request.uri.path",
    "http.request.uri.query",
    "http.request.uri.query.parameter",
    "http.request.version",
    "http.response.version",
    "http.response.code",
    "http.response.code.desc",
    "http.response.phrase",
    "http.host",
    "http.user_agent",
    "http.accept",
    "http.content_type",
    "http.content_length_header",
    "http.content_length",
    "http.location",
    "http.cookie",
    "http.set_cookie",
    "http.connection",
    "http.date",
    "http.server",
    "http.last_modified",
    "http.cache_control",
    "http.request_in",
    "http.time",
    "http.request.line",
    "http.response.line",
    "http.request.full_uri",
    "http.response_for.uri",
    "http.request_number",
    "http.response_number",
    "http.prev_request_in",
    "http.file_data",
    "tcp.segment",
    "tcp.segment.count",
    "tcp.reassembled.length",
];

const TLS_FIELDS: &[&str] = &[
    "tls.record.content_type",
    "tls.record.opaque_type",
    "tls.record.version",
    "tls.record.length",
    "tls.handshake.type",
    "tls.handshake.length",
    "tls.handshake.version",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.ciphersuite",
    "tls.handshake.extensions.supported_version",
    "tls.app_data",
    "tls.alert_message.level",
    "tls.alert_message.desc",
];

fn fields_args<'a>(file: &'a str, filter: &'a str, fields: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "-r",
        file,
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    args
}

fn ours_fields(file: &str, filter: &str, fields: &[&str]) -> String {
    let mut args = vec!["read"];
    args.extend(fields_args(file, filter, fields));
    let (out, err, code) = coffeeshark(&args);
    assert_eq!(code, 0, "{err}");
    out
}

/// Says which columns differ on the first differing line.
fn diff_columns(file: &str, fields: &[&str], theirs: &str, ours: &str) {
    for (t, o) in theirs.lines().zip(ours.lines()) {
        if t != o {
            let tc: Vec<&str> = t.split('\t').collect();
            let oc: Vec<&str> = o.split('\t').collect();
            for (i, (a, b)) in tc.iter().zip(&oc).enumerate() {
                if a != b {
                    let name = if i == 0 {
                        "frame.number"
                    } else {
                        fields[i - 1]
                    };
                    panic!(
                        "{file}: frame {}: {name}: tshark {:?}, ours {:?}",
                        tc[0],
                        a.chars().take(200).collect::<String>(),
                        b.chars().take(200).collect::<String>()
                    );
                }
            }
        }
    }
    pretty_diff(theirs, ours, file);
}

#[test]
fn fields_equal_tsharks() {
    for file in SAMPLES {
        for list in [HTTP_FIELDS, TLS_FIELDS] {
            let ours = ours_fields(file, NOT_POT, list);
            let Some((theirs, code)) = tshark(&fields_args(file, NOT_POT, list)) else {
                return;
            };
            assert_eq!(code, 0);
            assert!(ours.lines().count() > 20, "{file}: {ours}");
            diff_columns(file, list, &theirs, &ours);
        }
    }
    // The samples do carry what is compared (so that the test can fail).
    let out = ours_fields(
        SAMPLES[0],
        "http.response.code == 304",
        &["http.response_for.uri"],
    );
    assert_eq!(out.lines().count(), 3, "{out}");
}

/// `frame.protocols` too, on the plain-HTTP samples (TLS certificates are
/// dissected further by tshark: x509 layers we do not have).
#[test]
fn frame_protocols_equal_tsharks() {
    for file in &SAMPLES[..3] {
        let ours = ours_fields(file, NOT_POT, &["frame.protocols"]);
        let Some((theirs, _)) = tshark(&fields_args(file, NOT_POT, &["frame.protocols"])) else {
            return;
        };
        assert!(ours.contains(":http:data-text-lines"));
        diff_columns(file, &["frame.protocols"], &theirs, &ours);
    }
}

const FILTERS: &[&str] = &[
    "http",
    "tls",
    "http.request",
    "http.response",
    "http.response.code == 304",
    "http.response.code == 200",
    "http.response.code >= 300",
    "http.response.code in {302, 304}",
    "http.request.method == \"GET\"",
    "http.request.method != \"GET\"",
    "http.host contains \"127\"",
    "http.request.uri contains \"assets\"",
    "http.request.uri matches \"^/\\\\?method=\"",
    "http.request.uri.query.parameter == \"pots=tea\"",
    "http.content_type contains \"text/html\"",
    "http.time > 0.001",
    "http.request_in",
    "http.request_in < 50",
    "http.file_data contains \"Ducky\"",
    "http.connection == \"close\"",
    "http.location == \"/\"",
    "http.response.phrase == \"Not Modified\"",
    "http && tcp.port == 5031",
    "http.request or tls.handshake.type == 1",
    "tcp.segment",
    "tls.handshake.type == 1",
    "tls.handshake.type == 2",
    "tls.record.content_type == 23",
    "tls.record.opaque_type == 23",
    "tls.app_data",
    "tls.handshake.extensions_server_name == \"localhost\"",
    "tls.handshake.ciphersuite == 0x1302",
    "tls.record.version == 0x0301",
    "tls.alert_message.desc == 40",
];

fn frames(out: &str) -> Vec<u64> {
    out.lines().map(|l| l.trim().parse().unwrap()).collect()
}

#[test]
fn filters_match_tsharks() {
    let mut nonempty = 0;
    for file in SAMPLES {
        for f in FILTERS {
            let flt = format!("({f}) && {NOT_POT}");
            let ours = frames(&ours_fields(file, &flt, &[]));
            let Some((theirs, code)) = tshark(&fields_args(file, &flt, &[])) else {
                return;
            };
            assert_eq!(code, 0, "tshark refused {flt}");
            assert_eq!(ours, frames(&theirs), "{file}: frames matching {f}");
            nonempty += usize::from(!ours.is_empty());
        }
    }
    assert!(nonempty > 60, "only {nonempty} filter/file pairs matched");
}

/// Every value of the named keys, depth first, arrays flattened.
fn collect(v: &Value, keys: &[&str], out: &mut BTreeMap<String, Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if keys.contains(&k.as_str()) {
                    let e = out.entry(k.clone()).or_default();
                    match x {
                        Value::Array(items) => {
                            e.extend(items.iter().filter_map(|i| i.as_str().map(String::from)))
                        }
                        Value::String(s) => e.push(s.clone()),
                        _ => {}
                    }
                }
                collect(x, keys, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                collect(x, keys, out);
            }
        }
        _ => {}
    }
}

#[test]
fn json_values_equal_tsharks() {
    let mut keys: Vec<&str> = HTTP_FIELDS.iter().chain(TLS_FIELDS).copied().collect();
    keys.retain(|k| !k.starts_with("tcp."));
    let mut compared = 0;
    for file in [SAMPLES[0], SAMPLES[4], SAMPLES[5]] {
        let (ours, _, code) = coffeeshark(&["read", file, "-Y", NOT_POT, "-T", "json"]);
        assert_eq!(code, 0);
        let Some((theirs, _)) = tshark(&[
            "-r",
            file,
            "-Y",
            NOT_POT,
            "-T",
            "json",
            "--no-duplicate-keys",
        ]) else {
            return;
        };
        let ours: Value = serde_json::from_str(&ours).unwrap();
        let theirs: Value = serde_json::from_str(&theirs).unwrap();
        let (ours, theirs) = (ours.as_array().unwrap(), theirs.as_array().unwrap());
        assert_eq!(ours.len(), theirs.len());
        for (o, t) in ours.iter().zip(theirs) {
            let layers = |v: &Value| v["_source"]["layers"].clone();
            let (ol, tl) = (layers(o), layers(t));
            let n = tl["frame"]["frame.number"].clone();
            for proto in ["http", "tls"] {
                let mut a = BTreeMap::new();
                let mut b = BTreeMap::new();
                collect(&ol[proto], &keys, &mut a);
                collect(&tl[proto], &keys, &mut b);
                assert_eq!(a, b, "{file}: frame {n}: {proto}");
                compared += b.values().map(Vec::len).sum::<usize>();
            }
        }
    }
    assert!(compared > 500, "{compared} values compared");
}

/// The HTCPCP fields of the pot's traffic, as golden files.
const HTCPCP_FIELDS: &[&str] = &[
    "tcp.stream",
    "htcpcp.request.method",
    "htcpcp.request.uri",
    "htcpcp.request.scheme",
    "htcpcp.request.pot",
    "htcpcp.request.version",
    "htcpcp.content_type",
    "htcpcp.accept_additions",
    "htcpcp.addition",
    "htcpcp.addition.accepted",
    "htcpcp.use_pot",
    "htcpcp.response.version",
    "htcpcp.response.code",
    "htcpcp.response.phrase",
    "htcpcp.request_in",
    "htcpcp.body",
];

#[test]
fn htcpcp_fields_equal_golden() {
    for file in &SAMPLES[..4] {
        let out = ours_fields(file, "htcpcp", HTCPCP_FIELDS);
        assert!(out.lines().count() >= 4, "{file}: {out}");
        let name = std::path::Path::new(file).file_name().unwrap();
        assert_golden(
            &format!("app_fields/{}.htcpcp_fields.txt", name.to_string_lossy()),
            &out,
        );
    }
}

/// LAB.md's accepted additions (keys as sent).
const LAB_ADDITIONS: &[&str] = &[
    "cream",
    "half-and-half",
    "whole-milk",
    "part-skim",
    "skim",
    "non-dairy",
    "vanilla",
    "almond",
    "raspberry",
    "chocolate",
    "whisky",
    "rum",
    "kahlua",
    "aquavit",
    "oat milk",
    "soya milk",
    "coconut milk",
    "almond milk",
];

/// A few of LAB.md's accepted schemes, as sent (the samples use these).
fn lab_scheme(s: &str) -> bool {
    [
        "koffie", "akeita", "koffee", "kahva", "kafe", "kava", "kaffe", "coffee", "kafo", "kohv",
        "kahvi",
    ]
    .contains(&s.to_ascii_lowercase().as_str())
}

/// `-T fields` prints bytes as plain hex.
fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// The request and the response of each pot connection, rebuilt here from
/// the TCP payloads (in capture order; the lab's pot streams have no
/// retransmissions).
fn pot_exchanges(file: &str) -> BTreeMap<u64, (Vec<u8>, Vec<u8>)> {
    let out = ours_fields(
        file,
        "tcp.port == 5030 && tcp.len > 0",
        &["tcp.stream", "tcp.dstport", "tcp.payload"],
    );
    let mut map: BTreeMap<u64, (Vec<u8>, Vec<u8>)> = BTreeMap::new();
    for l in out.lines() {
        let c: Vec<&str> = l.split('\t').collect();
        let e = map.entry(c[1].parse().unwrap()).or_default();
        if c[2] == "5030" {
            e.0.extend(unhex(c[3]));
        } else {
            e.1.extend(unhex(c[3]));
        }
    }
    map
}

#[test]
fn htcpcp_fields_equal_the_lab_facts() {
    let mut checked_codes = BTreeMap::new();
    for file in &SAMPLES[..4] {
        let exchanges = pot_exchanges(file);
        assert!(!exchanges.is_empty());
        let req = ours_fields(file, "htcpcp.request", HTCPCP_FIELDS);
        let resp = ours_fields(file, "htcpcp.response", HTCPCP_FIELDS);
        let col = |line: &str, name: &str| -> String {
            let i = HTCPCP_FIELDS.iter().position(|f| *f == name).unwrap() + 1;
            line.split('\t').nth(i).unwrap_or("").to_string()
        };
        let mut codes_by_stream = BTreeMap::new();
        for line in resp.lines() {
            codes_by_stream.insert(col(line, "tcp.stream"), col(line, "htcpcp.response.code"));
        }
        assert_eq!(req.lines().count(), exchanges.len(), "{file}");
        for line in req.lines() {
            let stream: u64 = col(line, "tcp.stream").parse().unwrap();
            let (rq, rs) = &exchanges[&stream];
            let text = String::from_utf8_lossy(rq);
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let mut lines = head.split("\r\n");
            let mut first = lines.next().unwrap().split(' ');
            let (method, uri, version) = (
                first.next().unwrap(),
                first.next().unwrap(),
                first.next().unwrap(),
            );
            let headers: BTreeMap<String, String> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            assert_eq!(col(line, "htcpcp.request.method"), method);
            assert_eq!(col(line, "htcpcp.request.uri"), uri);
            assert_eq!(col(line, "htcpcp.request.version"), version);
            let (scheme, rest) = uri.split_once("://").unwrap();
            let pot = rest.split('/').next().unwrap();
            assert_eq!(col(line, "htcpcp.request.scheme"), scheme);
            assert_eq!(col(line, "htcpcp.request.pot"), pot);
            let additions: Vec<&str> = headers
                .get("accept-additions")
                .map(|v| {
                    v.split(';')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(col(line, "htcpcp.addition"), additions.join(","));
            let accepted: Vec<&str> = additions
                .iter()
                .map(|a| if LAB_ADDITIONS.contains(a) { "1" } else { "0" })
                .collect();
            assert_eq!(col(line, "htcpcp.addition.accepted"), accepted.join(","));
            assert_eq!(
                col(line, "htcpcp.use_pot"),
                headers.get("use-pot").cloned().unwrap_or_default()
            );
            // The code on the wire, and the one LAB.md's rules predict.
            let wire_code = String::from_utf8_lossy(rs)
                .split(' ')
                .nth(1)
                .unwrap_or("")
                .to_string();
            assert_eq!(
                codes_by_stream.get(&stream.to_string()),
                Some(&wire_code),
                "{file}: stream {stream}"
            );
            let ct = headers.get("content-type").map(String::as_str);
            let predicted = if !["BREW", "POST", "GET", "PROPFIND", "WHEN"].contains(&method) {
                None // 501, checked on the wire only
            } else if !lab_scheme(scheme) {
                Some("400")
            } else if pot != "ducky" {
                Some("404")
            } else if ct != Some("application/coffee-pot-command") {
                Some("415")
            } else if headers.get("use-pot").map(String::as_str) == Some("tea") {
                Some("418")
            } else if accepted.contains(&"0") {
                Some("406")
            } else if matches!(method, "BREW" | "POST") && !["start", "stop"].contains(&body.trim())
            {
                Some("400")
            } else {
                None // 200, or 406 when the pot is busy
            };
            if let Some(p) = predicted {
                assert_eq!(wire_code, p, "{file}: {method} {uri} {headers:?}");
            }
            *checked_codes.entry(wire_code).or_insert(0) += 1;
        }
    }
    for code in ["200", "400", "404", "406", "415", "418", "501"] {
        assert!(
            checked_codes.contains_key(code),
            "{code}: {checked_codes:?}"
        );
    }
}

/// `-V` shows the HTTP and HTCPCP layers a student reads.
#[test]
fn details_show_the_messages() {
    let (mut out, _, _) = coffeeshark(&["read", SAMPLES[2], "-V", "-Y", "htcpcp || http"]);
    out.push_str(&coffeeshark(&["read", SAMPLES[1], "-V", "-Y", "htcpcp"]).0);
    for needle in [
        "Hypertext Transfer Protocol\n    GET / HTTP/1.1\\r\\n\n        Request Method: GET\n",
        "    [Request in frame: ",
        "    [Time since request: ",
        "Hyper Text Coffee Pot Control Protocol\n",
        "        Status Code: 418 (",
        "[not accepted: the pot answers 406]",
        "(Cream) [accepted]",
        "        JSON: Object (",
    ] {
        assert!(out.contains(needle), "missing {needle:?}");
    }
    let (tls, _, _) = coffeeshark(&["read", SAMPLES[3], "-V", "-c", "10"]);
    for needle in [
        "Transport Layer Security\n    TLSv1 Record Layer: Handshake Protocol: Client Hello\n",
        "Server Name: localhost\n",
        "content not visible without keys]",
    ] {
        assert!(tls.contains(needle), "missing {needle:?}");
    }
}
