//! `coffeeshark report`: every task's answers (their JSON `facts`) against
//! facts the test computes on its own, from tshark's fields and from the
//! raw TCP payload bytes (tshark has no HTCPCP dissector: the pot's
//! messages are parsed here from `tcp.payload`), or from how a fixture was
//! built; plain "not answerable" where a capture cannot answer; exact
//! counts with bounded citations on a big generated capture, and a
//! collector whose memory does not follow the file.

mod support;

#[path = "../benches/support/generator.rs"]
#[allow(dead_code, clippy::all)]
mod generator;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}

/// Every sample with lab traffic.
const LAB_SAMPLES: [&str; 4] = [
    "homepage_coffee.pcapng",
    "coffee_brew.pcapng",
    "coffee_418_406.pcapng",
    "coffee_https.pcapng",
];

fn report(file: &Path, task: &str) -> Value {
    let (out, err, code) = coffeeshark(&[
        "report",
        file.to_str().unwrap(),
        "--task",
        task,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The answer to the question containing `q` in the only task.
fn answer<'a>(r: &'a Value, q: &str) -> &'a Value {
    r["tasks"][0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"].as_str().unwrap().contains(q))
        .unwrap_or_else(|| panic!("no question {q:?}"))
}

/// tshark -T fields rows for a display filter (None without tshark).
fn fields(file: &Path, filter: &str, fields: &[&str]) -> Option<Vec<Vec<String>>> {
    let mut args = vec!["-r", file.to_str().unwrap(), "-Y", filter, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let (out, code) = tshark(&args)?;
    assert_eq!(code, 0);
    Some(
        out.lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect(),
    )
}

fn frames(file: &Path, filter: &str) -> Option<Vec<u64>> {
    Some(
        fields(file, filter, &["frame.number"])?
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect(),
    )
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    let hex: String = hex.chars().filter(|c| *c != ':').collect();
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn hex_text(hex: &str) -> String {
    String::from_utf8_lossy(&hex_bytes(hex)).into_owned()
}

/// Frames to or from `port` whose payload starts with `prefix`.
fn payload_frames(file: &Path, port_field: &str, prefix: &str) -> Option<Vec<u64>> {
    let rows = fields(
        file,
        &format!("{port_field} && tcp.len > 0"),
        &["frame.number", "tcp.payload"],
    )?;
    Some(
        rows.iter()
            .filter(|r| hex_text(&r[1]).starts_with(prefix))
            .map(|r| r[0].parse().unwrap())
            .collect(),
    )
}

/// One direction of one connection to `port`, reassembled from tshark's
/// `tcp.payload` in frame order (the samples have no retransmissions).
#[derive(Debug, Default, Clone)]
struct Leg {
    bytes: Vec<u8>,
    frames: Vec<u64>,
}

/// stream -> (client -> server, server -> client), for connections to `port`.
fn legs(file: &Path, port: u16) -> Option<BTreeMap<u64, (Leg, Leg)>> {
    let rows = fields(
        file,
        &format!("tcp.port == {port} && tcp.len > 0"),
        &["frame.number", "tcp.stream", "tcp.dstport", "tcp.payload"],
    )?;
    let mut out: BTreeMap<u64, (Leg, Leg)> = BTreeMap::new();
    for r in rows {
        let e = out.entry(r[1].parse().unwrap()).or_default();
        let leg = if r[2] == port.to_string() {
            &mut e.0
        } else {
            &mut e.1
        };
        leg.bytes.extend(hex_bytes(&r[3]));
        leg.frames.push(r[0].parse().unwrap());
    }
    Some(out)
}

/// An HTTP-style message parsed here: start line, header fields, body.
#[derive(Debug, Clone)]
struct Msg {
    start_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_msg(bytes: &[u8]) -> Option<Msg> {
    if bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    let (head, body_at) = match text.find("\r\n\r\n") {
        Some(i) => (&text[..i], i + 4),
        None => match text.find("\n\n") {
            Some(i) => (&text[..i], i + 2),
            None => (&text[..], text.len()),
        },
    };
    let mut lines = head.lines();
    let start_line = lines.next()?.trim_end().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Msg {
        start_line,
        headers,
        body: text.as_bytes()[body_at.min(text.len())..].to_vec(),
    })
}

/// The header lines of a request as tshark lists them (`http.request.line`).
fn request_header(line_field: &str, name: &str) -> Option<String> {
    line_field
        .split("\\r\\n,")
        .map(|l| l.trim_end_matches("\\r\\n"))
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// SYN frames to `port`: stream -> (frame, client port).
fn syns(file: &Path, port: u16) -> Option<BTreeMap<u64, (u64, u64)>> {
    Some(
        fields(
            file,
            &format!("tcp.flags == 0x002 && tcp.dstport == {port}"),
            &["tcp.stream", "frame.number", "tcp.srcport"],
        )?
        .iter()
        .map(|r| {
            (
                r[0].parse().unwrap(),
                (r[1].parse().unwrap(), r[2].parse().unwrap()),
            )
        })
        .collect(),
    )
}

// ---------------------------------------------------------------- Task 1

/// Protocol -> connections, per tshark (5031: `frame.protocols`) and per
/// the payload (5030: an HTCPCP request or status line).
fn protocols_by_tshark(file: &Path, port: u16) -> Option<BTreeMap<String, BTreeSet<u64>>> {
    let mut out: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    if port == 5030 {
        for (stream, (req, resp)) in legs(file, port)? {
            let is_htcpcp = parse_msg(&req.bytes).is_some_and(|m| {
                let parts: Vec<&str> = m.start_line.split(' ').collect();
                parts.len() == 3 && parts[1].contains("://") && parts[2].starts_with("HTTP/")
            }) || resp.bytes.starts_with(b"HTCPCP/");
            if is_htcpcp {
                out.entry("HTCPCP".into()).or_default().insert(stream);
            }
        }
        return Some(out);
    }
    let rows = fields(
        file,
        &format!("tcp.port == {port} && tcp.len > 0"),
        &["tcp.stream", "frame.protocols"],
    )?;
    for r in rows {
        let stream: u64 = r[0].parse().unwrap();
        for (needle, name) in [(":http", "HTTP"), (":tls", "TLS")] {
            if r[1].contains(needle) {
                out.entry(name.into()).or_default().insert(stream);
            }
        }
    }
    Some(out)
}

/// The report's protocol -> connection count of a pair.
fn report_protocols(facts: &Value) -> BTreeMap<String, u64> {
    facts["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["protocol"].as_str().unwrap().to_string(),
                p["connections"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn task1_protocols_per_pair_and_pot_reach_equal_tshark() {
    for name in LAB_SAMPLES {
        let file = sample(name);
        let r = report(&file, "1");
        let Some(web_syns) = syns(&file, 5031) else {
            return;
        };
        let pot_syns = syns(&file, 5030).unwrap();
        for (port, q, n) in [
            (5031, "browser and the web app", web_syns.len()),
            (5030, "web app and the coffee pot", pot_syns.len()),
        ] {
            let a = answer(&r, q);
            assert_eq!(a["answerable"], true, "{name} {q}");
            assert_eq!(a["facts"]["connections"].as_u64(), Some(n as u64), "{name}");
            let want: BTreeMap<String, u64> = protocols_by_tshark(&file, port)
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k, v.len() as u64))
                .collect();
            // Every lab connection carries its protocol: nothing else.
            assert_eq!(report_protocols(&a["facts"]), want, "{name} port {port}");
            assert_eq!(want.values().sum::<u64>(), n as u64, "{name} port {port}");
        }
        // The first HTTP/TLS frame of each browser connection is tshark's.
        let a = answer(&r, "browser and the web app");
        for p in a["facts"]["protocols"].as_array().unwrap() {
            let proto = p["protocol"].as_str().unwrap().to_ascii_lowercase();
            let rows = fields(
                &file,
                &format!("tcp.port == 5031 && {proto}"),
                &["tcp.stream", "frame.number"],
            )
            .unwrap();
            let mut first: BTreeMap<u64, u64> = BTreeMap::new();
            for r in rows {
                first
                    .entry(r[0].parse().unwrap())
                    .or_insert(r[1].parse().unwrap());
            }
            let mut want: Vec<u64> = first.into_values().collect();
            want.sort_unstable();
            assert_eq!(u64s(&p["first_frames"]), want, "{name} {proto}");
        }
        // Does the browser reach the pot? Each pot connection's SYN lies
        // inside a browser exchange: an HTTP request and its response, or
        // a TLS connection from the browser's first encrypted record to the
        // web app's FIN.
        let mut windows: Vec<(u64, u64)> = fields(
            &file,
            "http.response && tcp.srcport == 5031",
            &["http.request_in", "frame.number"],
        )
        .unwrap()
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
        let app_data = fields(
            &file,
            "tcp.dstport == 5031 && (tls.record.content_type == 23 || tls.record.opaque_type == 23)",
            &["tcp.stream", "frame.number"],
        )
        .unwrap();
        let server_fins: BTreeMap<u64, u64> = fields(
            &file,
            "tcp.srcport == 5031 && tcp.flags.fin == 1",
            &["tcp.stream", "frame.number"],
        )
        .unwrap()
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
        let mut tls_start: BTreeMap<u64, u64> = BTreeMap::new();
        for r in app_data {
            tls_start
                .entry(r[0].parse().unwrap())
                .or_insert(r[1].parse().unwrap());
        }
        for (s, start) in tls_start {
            windows.push((start, server_fins.get(&s).copied().unwrap_or(u64::MAX)));
        }
        let nested: Vec<u64> = pot_syns
            .iter()
            .filter(|(_, (syn, _))| windows.iter().any(|(a, b)| a < syn && syn < b))
            .map(|(s, _)| *s)
            .collect();
        let a = answer(&r, "directly to the coffee pot");
        let f = &a["facts"];
        let got: Vec<u64> = f["nested"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["stream"].as_u64().unwrap())
            .collect();
        assert_eq!(got, nested, "{name}");
        assert_eq!(
            f["opened_otherwise"].as_u64(),
            Some((pot_syns.len() - nested.len()) as u64)
        );
        // The lab's captures: every pot connection made for the browser,
        // every request a coffee:// URI: the browser never reaches the pot.
        assert_eq!(nested.len(), pot_syns.len(), "{name}");
        let requests: Vec<String> = legs(&file, 5030)
            .unwrap()
            .values()
            .filter_map(|(req, _)| parse_msg(&req.bytes))
            .map(|m| m.start_line)
            .collect();
        assert!(requests.iter().all(|l| l.contains("://")), "{requests:?}");
        assert_eq!(a["answerable"], true);
        assert_eq!(f["direct"], false, "{name}");
        assert_eq!(u64s(&f["origin_form_requests_to_pot"]), Vec::<u64>::new());
        assert_eq!(f["pot_client_addresses"], serde_json::json!(["127.0.0.1"]));
        let other = answer(&r, "other TCP traffic");
        assert_eq!(other["facts"]["pairs"].as_array().unwrap().len(), 0);
    }
    // No pot: python's http.server on 8000 is the web app (the only HTTP
    // server), and nothing reached a pot.
    let file = sample("http_loopback.pcapng");
    let r = report(&file, "1");
    assert_eq!(r["roles"]["web_app"]["port"], 8000);
    assert_eq!(answer(&r, "browser and the web app")["answerable"], true);
    let a = answer(&r, "directly to the coffee pot");
    assert_eq!(a["answerable"], true);
    assert_eq!(a["facts"]["pot_connections"], 0);
    let other = answer(&r, "other TCP traffic");
    assert_eq!(other["facts"]["pairs"].as_array().unwrap().len(), 0);
    let Some(syn8000) = syns(&file, 8000) else {
        return;
    };
    let pair = &answer(&r, "browser and the web app")["facts"];
    assert_eq!(pair["server_port"], 8000);
    assert_eq!(pair["connections"].as_u64(), Some(syn8000.len() as u64));
    let want: BTreeMap<String, u64> = protocols_by_tshark(&file, 8000)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.len() as u64))
        .collect();
    assert_eq!(report_protocols(pair), want);
}

const T0: u64 = 1_795_000_000_000_000_000;
const MS: u64 = 1_000_000;
const BROWSER: [u8; 4] = [10, 0, 0, 2];
const APP: [u8; 4] = [10, 0, 0, 1];
const POT: [u8; 4] = [10, 0, 0, 3];

/// Frames of several connections, in time order, written as a pcap.
fn write_merged(dir: &tempfile::TempDir, name: &str, conns: &[&TcpConn]) -> PathBuf {
    let mut frames: Vec<Frame> = conns.iter().flat_map(|c| c.frames.clone()).collect();
    frames.sort_by_key(|f| f.ts_nanos);
    let path = path_in(dir, name);
    write_pcap(&path, Link::Ethernet.linktype(), &frames, PCAP_US);
    keep_fixture(&path);
    path
}

/// A browser request to the web app that waits while the web app's pot
/// connection (`pot`, built by the caller from `t_pot`) runs, answered at
/// `t_answer`.
fn browser_exchange(addrs: Addrs, port: u16, t0: u64, t_answer: u64) -> TcpConn {
    let mut a = TcpConn::new(Link::Ethernet, addrs, port, 5031).at(t0);
    a.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"")
        .send(
            true,
            PSH_ACK,
            b"GET /?method=propfind HTTP/1.1\r\nHost: app:5031\r\n\r\n",
        );
    a.ts_nanos = t_answer;
    a.send(
        false,
        PSH_ACK,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    )
    .send(false, FIN_ACK, b"")
    .send(true, FIN_ACK, b"")
    .send(false, ACK, b"");
    a
}

const PROPFIND: &[u8] =
    b"PROPFIND coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\n";
const POT_OK: &[u8] = b"HTCPCP/1.1 200 OK\r\nContent-Type: message/coffeepot\r\n\r\n{}";

#[test]
fn task1_who_reaches_the_pot_on_fixtures() {
    let dir = tempdir();
    // 1. Three hosts: the web app asks the pot during the browser's request.
    let a = browser_exchange(Addrs::V4(BROWSER, APP), 50000, T0, T0 + 5 * MS);
    let b = TcpConn::new(Link::Ethernet, Addrs::V4(APP, POT), 40000, 5030)
        .at(T0 + 2 * MS)
        .exchange(PROPFIND, POT_OK);
    let file = write_merged(&dir, "via_app.pcap", &[&a, &b]);
    let r = report(&file, "1");
    let q = answer(&r, "directly to the coffee pot");
    assert_eq!(q["answerable"], true);
    assert_eq!(q["facts"]["direct"], false);
    assert_eq!(q["facts"]["opened_during_browser_request"], 1);
    assert_eq!(q["facts"]["nested"][0]["browser_stream"], 0);
    assert_eq!(q["facts"]["nested"][0]["browser_frame"], 4);
    assert_eq!(
        q["facts"]["pot_client_addresses"],
        serde_json::json!(["10.0.0.1"])
    );
    assert!(q["answer"].as_str().unwrap().starts_with("No"), "{q}");
    // 2. The browser itself opens port 5030, as when pointed at
    //    http://app:5030/: its address, a plain path.
    let c = TcpConn::new(Link::Ethernet, Addrs::V4(BROWSER, APP), 50002, 5030)
        .at(T0 + 20 * MS)
        .exchange(
            b"GET / HTTP/1.1\r\nHost: app:5030\r\nUser-Agent: Mozilla/5.0\r\n\r\n",
            b"HTCPCP/1.1 400 Bad Request\r\n\r\n",
        );
    let file = write_merged(&dir, "direct.pcap", &[&a, &b, &c]);
    let r = report(&file, "1");
    let q = answer(&r, "directly to the coffee pot");
    assert_eq!(q["answerable"], true);
    assert_eq!(q["facts"]["direct"], true, "{q}");
    // The browser's request to the pot: the 4th frame of stream 2, after
    // the 8 frames of stream 0 and the 10 of stream 1.
    let direct_frame = 8 + 10 + 4;
    assert_eq!(
        u64s(&q["facts"]["origin_form_requests_to_pot"]),
        vec![direct_frame]
    );
    assert_eq!(q["facts"]["opened_otherwise"], 1);
    assert!(q["answer"].as_str().unwrap().starts_with("Yes"), "{q}");
    // 3. Loopback, and a pot connection while no browser request waits:
    //    the capture cannot tell who opened it.
    let a = browser_exchange(LOOPBACK_V4, 50000, T0, T0 + 5 * MS);
    let b = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40000, 5030)
        .at(T0 + 2 * MS)
        .exchange(PROPFIND, POT_OK);
    let d = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40002, 5030)
        .at(T0 + 50 * MS)
        .exchange(PROPFIND, POT_OK);
    let file = write_merged(&dir, "unknown.pcap", &[&a, &b, &d]);
    let r = report(&file, "1");
    let q = answer(&r, "directly to the coffee pot");
    assert_eq!(q["answerable"], false, "{q}");
    assert_eq!(q["facts"]["direct"], Value::Null);
    assert_eq!(q["facts"]["opened_during_browser_request"], 1);
    assert_eq!(q["facts"]["not_nested"][0]["stream"], 2);
    assert!(q["answer"].as_str().unwrap().contains("cannot tell"), "{q}");
    // 4. Only the browser and the web app: nothing reached the pot.
    let file = write_merged(&dir, "no_pot.pcap", &[&a]);
    let r = report(&file, "1");
    let q = answer(&r, "directly to the coffee pot");
    assert_eq!(q["answerable"], true);
    assert_eq!(q["facts"]["direct"], false);
    assert_eq!(q["facts"]["pot_connections"], 0);
    assert_eq!(
        answer(&r, "web app and the coffee pot")["answerable"],
        false
    );
}

// ---------------------------------------------------------------- Task 3

#[test]
fn task3_handshakes_ports_and_counts_equal_tshark() {
    for name in ["homepage_coffee.pcapng", "coffee_https.pcapng"] {
        let file = sample(name);
        let r = report(&file, "3");
        // Handshakes: SYN, SYN/ACK per stream from tshark; the ACK is the
        // client's first pure ACK after the SYN/ACK.
        let Some(rows) = fields(
            &file,
            "tcp",
            &[
                "frame.number",
                "tcp.stream",
                "tcp.flags",
                "tcp.len",
                "tcp.srcport",
            ],
        ) else {
            return;
        };
        // stream -> (SYN, SYN/ACK, ACK, the SYN's source port).
        type Hs = (Option<u64>, Option<u64>, Option<u64>, String);
        let mut hs: BTreeMap<u64, Hs> = BTreeMap::new();
        for row in &rows {
            let (frame, stream, flags, len, sport) = (
                row[0].parse::<u64>().unwrap(),
                row[1].parse::<u64>().unwrap(),
                row[2].as_str(),
                row[3].parse::<u64>().unwrap(),
                row[4].clone(),
            );
            let e = hs.entry(stream).or_default();
            match flags {
                "0x0002" => {
                    e.0 = Some(frame);
                    e.3 = sport;
                }
                "0x0012" => e.1 = Some(frame),
                "0x0010" if len == 0 && e.1.is_some() && e.2.is_none() && sport == e.3 => {
                    e.2 = Some(frame)
                }
                _ => {}
            }
        }
        let a = answer(&r, "SYN, SYN-ACK and ACK");
        let facts = a["facts"]["connections"].as_array().unwrap();
        assert_eq!(facts.len(), hs.len());
        assert_eq!(
            a["facts"]["connection_count"].as_u64(),
            Some(hs.len() as u64)
        );
        let complete = hs
            .values()
            .filter(|e| e.0.is_some() && e.1.is_some() && e.2.is_some())
            .count();
        assert_eq!(a["facts"]["complete"].as_u64(), Some(complete as u64));
        for f in facts {
            let s = f["stream"].as_u64().unwrap();
            let e = &hs[&s];
            assert_eq!(
                (f["syn"].as_u64(), f["syn_ack"].as_u64(), f["ack"].as_u64()),
                (e.0, e.1, e.2),
                "stream {s}"
            );
        }
        // Ports: the SYNs to each server port, from tshark.
        for (q, port) in [
            ("browser and the web app", 5031u16),
            ("web app and the coffee pot", 5030),
        ] {
            let syns = syns(&file, port).unwrap();
            let a = answer(&r, q);
            assert_eq!(a["answerable"], true);
            let got: Vec<(u64, u64)> = a["facts"]["connections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    assert_eq!(c["server_port"].as_u64(), Some(u64::from(port)));
                    (
                        c["stream"].as_u64().unwrap(),
                        c["client_port"].as_u64().unwrap(),
                    )
                })
                .collect();
            let want: Vec<(u64, u64)> = syns.iter().map(|(s, (_, p))| (*s, *p)).collect();
            assert_eq!(got, want, "{q}");
            let distinct: BTreeSet<u64> = want.iter().map(|x| x.1).collect();
            assert_eq!(
                a["facts"]["distinct_client_ports"].as_u64(),
                Some(distinct.len() as u64)
            );
        }
        // HTTP: tshark's requests to 5031 and responses from it (none
        // under TLS).
        let reqs = frames(&file, "http.request && tcp.dstport == 5031").unwrap();
        let a = answer(&r, "HTTP requests");
        if reqs.is_empty() {
            assert_eq!(a["answerable"], false);
            assert!(a["answer"].as_str().unwrap().contains("TLS-encrypted"));
        } else {
            assert_eq!(u64s(&a["facts"]["requests"]), reqs);
            assert_eq!(
                u64s(&a["facts"]["responses"]),
                frames(&file, "http.response && tcp.srcport == 5031").unwrap()
            );
            assert_eq!(
                a["facts"]["request_count"].as_u64(),
                Some(reqs.len() as u64)
            );
        }
        // HTCPCP: the payloads to the pot start with a request line
        // (frames), each connection's reply with the status line (one each).
        let a = answer(&r, "HTCPCP requests");
        let legs = legs(&file, 5030).unwrap();
        let want_reqs: Vec<u64> = legs
            .values()
            .filter(|(req, _)| !req.bytes.is_empty())
            .map(|(req, _)| *req.frames.last().unwrap())
            .collect();
        assert_eq!(u64s(&a["facts"]["requests"]), want_reqs);
        let replies = legs
            .values()
            .filter(|(_, resp)| resp.bytes.starts_with(b"HTCPCP/1.1 "))
            .count();
        assert_eq!(a["facts"]["response_count"].as_u64(), Some(replies as u64));
        assert_eq!(a["facts"]["connections"].as_u64(), Some(legs.len() as u64));
    }
}

// ---------------------------------------------------------------- Task 4

#[test]
fn task4_htcpcp_formats_ports_methods_and_headers_equal_the_payload() {
    // RFC 2324 section 2.1 (methods) and 2.2 (header fields); the content
    // types of section 4 travel in Content-Type.
    let rfc_methods = ["BREW", "POST", "GET", "PROPFIND", "WHEN"];
    let rfc_headers = ["accept-additions", "safe", "content-type"];
    for name in LAB_SAMPLES {
        let file = sample(name);
        let r = report(&file, "4");
        let Some(legs) = legs(&file, 5030) else {
            return;
        };
        let parsed: Vec<(u64, Option<Msg>, Option<Msg>)> = legs
            .iter()
            .map(|(s, (q, a))| (*s, parse_msg(&q.bytes), parse_msg(&a.bytes)))
            .collect();
        for (q, pick) in [
            ("request look like", 0usize),
            ("response look like", 1usize),
        ] {
            let msgs: Vec<(u64, &Msg)> = parsed
                .iter()
                .filter_map(|(s, a, b)| [a, b][pick].as_ref().map(|m| (*s, m)))
                .collect();
            let a = answer(&r, q);
            assert_eq!(a["answerable"], true, "{name} {q}");
            let f = &a["facts"];
            assert_eq!(f["count"].as_u64(), Some(msgs.len() as u64), "{name} {q}");
            // One message per connection, its start line as sent.
            let got: Vec<(u64, String)> = f["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["stream"].as_u64().unwrap(),
                        m["start_line"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let want: Vec<(u64, String)> = msgs
                .iter()
                .map(|(s, m)| (*s, m.start_line.clone()))
                .collect();
            assert_eq!(got, want, "{name} {q}");
            let mut distinct: Vec<String> = Vec::new();
            for (_, m) in &msgs {
                if !distinct.contains(&m.start_line) {
                    distinct.push(m.start_line.clone());
                }
            }
            let got: Vec<String> =
                serde_json::from_value(f["distinct_start_lines"].clone()).unwrap();
            assert_eq!(got, distinct, "{name} {q}");
            let with_headers = msgs.iter().filter(|(_, m)| !m.headers.is_empty()).count();
            let with_body = msgs.iter().filter(|(_, m)| !m.body.is_empty()).count();
            assert_eq!(
                f["with_headers"].as_u64(),
                Some(with_headers as u64),
                "{name} {q}"
            );
            assert_eq!(
                f["with_body"].as_u64(),
                Some(with_body as u64),
                "{name} {q}"
            );
            // Requests: `METHOD <scheme>://<pot> HTTP/1.1`; responses:
            // `HTCPCP/1.1 code reason`.
            for (_, m) in &msgs {
                let parts: Vec<&str> = m.start_line.splitn(3, ' ').collect();
                if pick == 0 {
                    assert!(parts[1].contains("://") && parts[2] == "HTTP/1.1", "{m:?}");
                } else {
                    assert!(
                        parts[0] == "HTCPCP/1.1" && parts[1].parse::<u16>().is_ok(),
                        "{m:?}"
                    );
                }
            }
        }
        // Ports: a new connection, and a new client port, for every request.
        let syns = syns(&file, 5030).unwrap();
        let a = answer(&r, "do they stay the same");
        let got: Vec<u64> = a["facts"]["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["client_port"].as_u64().unwrap())
            .collect();
        assert_eq!(got, syns.values().map(|x| x.1).collect::<Vec<_>>());
        let distinct: BTreeSet<u64> = got.iter().copied().collect();
        assert_eq!(
            a["facts"]["distinct_client_ports"].as_u64(),
            Some(distinct.len() as u64)
        );
        assert_eq!(
            distinct.len(),
            syns.len(),
            "{name}: one port per connection"
        );
        assert!(a["answer"]
            .as_str()
            .unwrap()
            .contains("changes with every new connection"));
        // Methods and header fields, counted in the payload, against the RFC.
        let mut methods: BTreeMap<String, u64> = BTreeMap::new();
        let mut headers: BTreeMap<String, u64> = BTreeMap::new();
        for (_, q, resp) in &parsed {
            if let Some(q) = q {
                *methods
                    .entry(q.start_line.split(' ').next().unwrap().to_string())
                    .or_default() += 1;
            }
            for m in [q, resp].into_iter().flatten() {
                for (h, _) in &m.headers {
                    *headers.entry(h.to_ascii_lowercase()).or_default() += 1;
                }
            }
        }
        let a = answer(&r, "methods and headers");
        let f = &a["facts"];
        let got: BTreeMap<String, u64> =
            serde_json::from_value(f["method_counts"].clone()).unwrap();
        assert_eq!(got, methods, "{name}");
        let got: BTreeMap<String, u64> =
            serde_json::from_value::<BTreeMap<String, u64>>(f["header_counts"].clone())
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
        assert_eq!(got, headers, "{name}");
        let not_rfc: Vec<String> = methods
            .keys()
            .filter(|m| !rfc_methods.contains(&m.as_str()))
            .cloned()
            .collect();
        let mut got: Vec<String> =
            serde_json::from_value(f["not_in_rfc2324"]["methods"].clone()).unwrap();
        got.sort();
        assert_eq!(got, not_rfc, "{name}");
        let not_rfc: Vec<String> = headers
            .keys()
            .filter(|h| !rfc_headers.contains(&h.as_str()))
            .cloned()
            .collect();
        let mut got: Vec<String> =
            serde_json::from_value::<Vec<String>>(f["not_in_rfc2324"]["headers"].clone())
                .unwrap()
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
        got.sort();
        assert_eq!(got, not_rfc, "{name}");
    }
    // The 418/406 capture has the lab's MILK test (not an RFC method).
    let r = report(&sample("coffee_418_406.pcapng"), "4");
    let f = &answer(&r, "methods and headers")["facts"];
    assert_eq!(f["not_in_rfc2324"]["methods"], serde_json::json!(["MILK"]));
    // Without HTCPCP, Task 4 cannot be answered.
    let r = report(&sample("http_loopback.pcapng"), "4");
    for q in [
        "request look like",
        "response look like",
        "stay the same",
        "methods and headers",
    ] {
        assert_eq!(answer(&r, q)["answerable"], false, "{q}");
    }
}

// ---------------------------------------------------------------- Task 5

#[test]
fn task5_base_page_form_assets_and_persistence_equal_tshark() {
    let file = sample("coffee_brew.pcapng");
    let r = report(&file, "5");
    let Some(base) = frames(&file, "http.request.uri == \"/\"") else {
        return;
    };
    let a = answer(&r, "base page");
    assert_eq!(a["facts"]["frame"].as_u64(), Some(base[0]));
    let form = frames(&file, "http.request.uri contains \"method=brew\"").unwrap();
    let brews = payload_frames(&file, "tcp.dstport == 5030", "BREW ").unwrap();
    let a = answer(&r, "brew form");
    assert_eq!(a["facts"]["form_frame"].as_u64(), Some(form[0]));
    let first_brew_after = brews.iter().copied().find(|&b| b > form[0]);
    assert_eq!(a["facts"]["htcpcp_frame"].as_u64(), first_brew_after);
    let uri = &fields(
        &file,
        &format!("frame.number == {}", form[0]),
        &["http.request.uri.query.parameter"],
    )
    .unwrap()[0][0];
    let want: Vec<(String, String)> = uri
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let fields_sent: Vec<(String, String)> =
        serde_json::from_value(a["facts"]["fields"].clone()).unwrap();
    assert_eq!(fields_sent, want);
    // Versions, requests per connection and who closed first, from tshark.
    let versions: BTreeSet<String> = fields(
        &file,
        "tcp.port == 5031 && (http.request || http.response)",
        &["http.request.version", "http.response.version"],
    )
    .unwrap()
    .into_iter()
    .flatten()
    .filter(|v| !v.is_empty())
    .collect();
    let per_stream = fields(
        &file,
        "http.request && tcp.dstport == 5031",
        &["tcp.stream"],
    )
    .unwrap();
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for row in per_stream {
        *counts.entry(row[0].parse().unwrap()).or_default() += 1;
    }
    let fins = fields(
        &file,
        "tcp.port == 5031 && tcp.flags.fin == 1",
        &["tcp.stream", "tcp.srcport"],
    )
    .unwrap();
    let mut first_fin: BTreeMap<u64, String> = BTreeMap::new();
    for r in fins {
        first_fin
            .entry(r[0].parse().unwrap())
            .or_insert(r[1].clone());
    }
    let server_first = counts
        .keys()
        .filter(|s| first_fin.get(s).map(String::as_str) == Some("5031"))
        .count();
    let a = answer(&r, "persistent");
    let got: BTreeSet<String> = serde_json::from_value(a["facts"]["versions"].clone()).unwrap();
    assert_eq!(got, versions);
    assert_eq!(
        a["facts"]["max_requests_per_connection"].as_u64(),
        counts.values().max().copied()
    );
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(counts.len() as u64)
    );
    assert_eq!(
        a["facts"]["requests"].as_u64(),
        Some(counts.values().sum::<u64>())
    );
    assert_eq!(
        a["facts"]["closed_by_server_first"].as_u64(),
        Some(server_first as u64)
    );
    assert!(a["answer"].as_str().unwrap().contains("not persistent"));
    // Assets: the requests under /assets/, with their conditional headers.
    let rows = fields(
        &file,
        "http.request && tcp.dstport == 5031 && http.request.uri contains \"/assets/\"",
        &["frame.number", "tcp.stream", "http.request.line"],
    )
    .unwrap();
    let a = answer(&r, "further assets");
    let got: Vec<(u64, u64)> = a["facts"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["frame"].as_u64().unwrap(), x["stream"].as_u64().unwrap()))
        .collect();
    let want: Vec<(u64, u64)> = rows
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, want);
    let conditional = rows
        .iter()
        .filter(|r| {
            request_header(&r[2], "If-None-Match").is_some()
                || request_header(&r[2], "If-Modified-Since").is_some()
        })
        .count();
    assert!(conditional > 0);
    assert_eq!(a["facts"]["conditional"].as_u64(), Some(conditional as u64));
    let streams: BTreeSet<u64> = want.iter().map(|x| x.1).collect();
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(streams.len() as u64)
    );
}

// ---------------------------------------------------------------- Task 6

#[test]
fn task6_each_response_with_its_request_equals_tshark() {
    for name in ["coffee_brew.pcapng", "coffee_418_406.pcapng"] {
        let file = sample(name);
        let r = report(&file, "6");
        for code in [200, 302, 304] {
            let Some(rows) = fields(
                &file,
                &format!("http.response.code == {code} && tcp.srcport == 5031"),
                &["http.request_in", "frame.number", "http.location"],
            ) else {
                return;
            };
            let a = answer(&r, &format!("the {code} responses"));
            if rows.is_empty() {
                assert_eq!(a["answerable"], false, "{name} {code}");
                continue;
            }
            let got: Vec<&Value> = a["facts"]["responses"].as_array().unwrap().iter().collect();
            let pairs: Vec<(u64, u64)> = got
                .iter()
                .map(|f| {
                    (
                        f["request"].as_u64().unwrap(),
                        f["response"].as_u64().unwrap(),
                    )
                })
                .collect();
            let want: Vec<(u64, u64)> = rows
                .iter()
                .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
                .collect();
            assert_eq!(pairs, want, "{name} {code}");
            assert_eq!(a["facts"]["count"].as_u64(), Some(want.len() as u64));
            for (f, row) in got.iter().zip(&rows) {
                let req = fields(
                    &file,
                    &format!("frame.number == {}", row[0]),
                    &["http.request.uri", "http.request.line"],
                )
                .unwrap();
                assert_eq!(f["uri"].as_str(), Some(req[0][0].as_str()));
                match code {
                    302 => assert_eq!(f["location"].as_str(), Some(row[2].as_str())),
                    304 => {
                        assert_eq!(
                            f["if_none_match"].as_str().map(str::to_string),
                            request_header(&req[0][1], "If-None-Match")
                        );
                        assert_eq!(
                            f["if_modified_since"].as_str().map(str::to_string),
                            request_header(&req[0][1], "If-Modified-Since")
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

// ---------------------------------------------------------------- Task 7

/// `<title>` of an HTML page, parsed here.
fn title_of(html: &str) -> Option<String> {
    let i = html.find("<title>")? + "<title>".len();
    let j = html[i..].find("</title>")?;
    Some(
        html[i..i + j]
            .trim()
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

#[test]
fn task7_errors_and_the_pages_the_browser_got() {
    let file = sample("coffee_418_406.pcapng");
    let r = report(&file, "7");
    for code in [406, 418] {
        let Some(pot) =
            payload_frames(&file, "tcp.srcport == 5030", &format!("HTCPCP/1.1 {code} "))
        else {
            return;
        };
        let pot_req = payload_frames(&file, "tcp.dstport == 5030", "").unwrap();
        let web = fields(
            &file,
            &format!("http.response.code == {code} && tcp.srcport == 5031"),
            &["http.request_in", "frame.number", "tcp.stream"],
        )
        .unwrap();
        let a = answer(&r, &format!("Is a {code} produced"));
        assert_eq!(a["answerable"], true);
        assert_eq!(a["facts"]["count"].as_u64(), Some(pot.len() as u64));
        let f = &a["facts"]["responses"][0];
        assert_eq!(f["htcpcp_response"].as_u64(), Some(pot[0]));
        // The app's request to the pot: the last one before the reply.
        let q = pot_req.iter().copied().filter(|&x| x < pot[0]).max();
        assert_eq!(f["htcpcp_request"].as_u64(), q);
        let (w, x): (u64, u64) = (web[0][0].parse().unwrap(), web[0][1].parse().unwrap());
        assert!(
            w < q.unwrap() && pot[0] < x,
            "the pot's exchange is inside the page's"
        );
        assert_eq!(f["browser_request"].as_u64(), Some(w));
        assert_eq!(f["browser_response"].as_u64(), Some(x));
        assert_eq!(f["browser_status"].as_u64(), Some(code));
        // The page's title, from the web app's bytes on that connection.
        let stream: u64 = web[0][2].parse().unwrap();
        let page = parse_msg(&legs(&file, 5031).unwrap()[&stream].1.bytes).unwrap();
        let title = title_of(&String::from_utf8_lossy(&page.body)).expect("the page has a title");
        assert!(title.contains(&code.to_string()), "{title}");
        assert_eq!(f["page_title"].as_str(), Some(title.as_str()));
    }
    let r = report(&sample("coffee_brew.pcapng"), "7");
    assert_eq!(answer(&r, "Is a 418")["answerable"], false);
}

// ---------------------------------------------------------------- Task 8

#[test]
fn task8_tls_records_and_plaintext_pot_equal_tshark() {
    let file = sample("coffee_https.pcapng");
    let r = report(&file, "8");
    // TLS 1.3 records show their outer type as tls.record.opaque_type.
    let Some(rows) = fields(
        &file,
        "tls && tcp.port == 5031",
        &[
            "tcp.stream",
            "tls.record.content_type",
            "tls.record.opaque_type",
            "tls.record.length",
        ],
    ) else {
        return;
    };
    let app_records: usize = rows
        .iter()
        .flat_map(|r| r[1..3].iter())
        .map(|f| f.split(',').filter(|t| *t == "23").count())
        .sum();
    let records: usize = rows.iter().map(|r| r[3].split(',').count()).sum();
    let streams: BTreeSet<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(app_records > 100);
    let a = answer(&r, "still visible");
    let f = &a["facts"];
    assert_eq!(
        f["application_data_records"].as_u64(),
        Some(app_records as u64)
    );
    assert_eq!(f["records"].as_u64(), Some(records as u64));
    assert_eq!(f["tls_stream_count"].as_u64(), Some(streams.len() as u64));
    assert_eq!(
        u64s(&f["tls_streams"]),
        streams.into_iter().collect::<Vec<_>>()
    );
    assert_eq!(f["http_messages_on_web_port"].as_u64(), Some(0));
    let versions: BTreeSet<String> =
        fields(&file, "tls && tcp.port == 5031", &["_ws.col.Protocol"])
            .unwrap()
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
    let got: BTreeSet<String> = serde_json::from_value(f["versions"].clone()).unwrap();
    assert_eq!(got, versions);
    // The pot's leg: every HTCPCP message in clear.
    let legs = legs(&file, 5030).unwrap();
    let msgs = legs
        .values()
        .map(|(q, a)| usize::from(!q.bytes.is_empty()) + usize::from(!a.bytes.is_empty()))
        .sum::<usize>();
    let a = answer(&r, "pot leg");
    assert_eq!(a["answerable"], true);
    assert_eq!(a["facts"]["count"].as_u64(), Some(msgs as u64));
    // TLS 1.3: the certificate is encrypted.
    assert_eq!(answer(&r, "certificate")["answerable"], false);
    // TLS 1.2 (openssl s_server on 4433, not the lab's port): no lab TLS.
    let r12 = report(&sample("tls12_openssl.pcapng"), "8");
    assert_eq!(answer(&r12, "still visible")["answerable"], false);
    // Without HTTPS, Task 8 cannot be answered; with it, Task 6 cannot.
    let plain = report(&sample("homepage_coffee.pcapng"), "8");
    assert_eq!(answer(&plain, "still visible")["answerable"], false);
    let r6 = report(&file, "6");
    let a = answer(&r6, "the 200 responses");
    assert_eq!(a["answerable"], false);
    assert!(a["answer"].as_str().unwrap().contains("TLS-encrypted"));
}

#[test]
fn not_answerable_when_the_capture_has_no_lab_traffic() {
    // Neither HTTP, HTCPCP nor TLS: no role is found, the lab's ports are
    // named, and the questions about them cannot be answered.
    let dir = tempdir();
    let c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 7000).exchange(b"brew\n", b"coffee\n");
    let file = write_merged(&dir, "no_lab.pcap", &[&c]);
    let r = report(&file, "3");
    assert_eq!(r["roles"]["web_app"]["found"], "missing");
    assert_eq!(r["roles"]["web_app"]["port"], 5031);
    assert_eq!(r["roles"]["pot"]["found"], "missing");
    assert_eq!(r["roles"]["pot"]["port"], 5030);
    let q = answer(&r, "browser and the web app");
    assert_eq!(q["answerable"], false);
    assert!(q["answer"].as_str().unwrap().contains("5031"), "{q}");
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], false);
    assert_eq!(answer(&r, "SYN, SYN-ACK and ACK")["answerable"], true);
    // python -m http.server on 8000: a web app (the only HTTP server), no pot.
    let file = sample("http_loopback.pcapng");
    let r = report(&file, "3");
    assert_eq!(r["roles"]["web_app"]["port"], 8000);
    assert_eq!(r["roles"]["pot"]["found"], "missing");
    assert_eq!(answer(&r, "browser and the web app")["answerable"], true);
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], false);
    let r = report(&file, "7");
    assert_eq!(answer(&r, "Is a 418")["answerable"], false);
    for task in ["2", "9", "x"] {
        let (_, err, code) = coffeeshark(&["report", file.to_str().unwrap(), "--task", task]);
        assert_eq!(code, 1);
        assert!(err.contains("expected 1, 3, 4, 5, 6, 7, 8 or all"), "{err}");
    }
    // `all` holds every task, in order.
    let r = report(&file, "all");
    let tasks: Vec<u64> = r["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task"].as_u64().unwrap())
        .collect();
    assert_eq!(tasks, vec![1, 3, 4, 5, 6, 7, 8]);
}

// ------------------------------------------------------------- roles

fn roles_capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures/roles")
        .join(name)
}

fn report_args(file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["report", file.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let (out, err, code) = coffeeshark(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// Every answer as (task, question, answerable, text), the text with the
/// web app's and the pot's ports written `WEB` and `POT` and ephemeral
/// ports (five digits) `N`: what two recordings of the same visit share.
fn normalised_answers(r: &Value, web: u16, pot: u16) -> Vec<(u64, String, bool, String)> {
    let five = |s: &str| {
        let mut out = String::new();
        let mut digits = String::new();
        for ch in s.chars().chain(std::iter::once(' ')) {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            if digits.len() == 5 {
                out.push('N');
            } else {
                out.push_str(&digits);
            }
            digits.clear();
            out.push(ch);
        }
        out.pop();
        out
    };
    let mut v = Vec::new();
    for t in r["tasks"].as_array().unwrap() {
        for a in t["answers"].as_array().unwrap() {
            let text = a["answer"]
                .as_str()
                .unwrap()
                .replace(&web.to_string(), "WEB")
                .replace(&pot.to_string(), "POT");
            v.push((
                t["task"].as_u64().unwrap(),
                a["question"].as_str().unwrap().to_string(),
                a["answerable"].as_bool().unwrap(),
                five(&text),
            ));
        }
    }
    v
}

/// The first frame matching a tshark filter.
fn first_frame(file: &Path, filter: &str) -> Option<u64> {
    Some(*frames(file, filter)?.first().expect("a frame matches"))
}

#[test]
fn roles_moved_ports_answer_as_the_lab_ports() {
    // The same visit recorded twice on real loopback (record.sh): the
    // servers on the lab's 5031/5030, then on 6131/6130.
    let default = roles_capture("lab_default.pcapng");
    let moved = roles_capture("lab_moved.pcapng");
    let d = report_args(&default, &[]);
    let m = report_args(&moved, &[]);
    for (r, web, pot) in [(&d, 5031, 5030), (&m, 6131, 6130)] {
        assert_eq!(r["roles"]["web_app"]["port"], web);
        assert_eq!(r["roles"]["web_app"]["found"], "detected");
        assert_eq!(r["roles"]["pot"]["port"], pot);
        assert_eq!(r["roles"]["pot"]["found"], "detected");
    }
    let (nd, nm) = (
        normalised_answers(&d, 5031, 5030),
        normalised_answers(&m, 6131, 6130),
    );
    assert_eq!(nd.len(), nm.len());
    for (a, b) in nd.iter().zip(&nm) {
        assert_eq!(a, b);
    }
    // Codes and counts are there to compare: the visit's 418, 406, 302, 304.
    let all: String = nm.iter().map(|a| a.3.clone()).collect();
    for code in ["418", "406", "302", "304"] {
        assert!(all.contains(code), "{code}");
    }
    assert!(nm.iter().filter(|a| a.2).count() > 15);
    // Nothing in the moved report names the lab's ports.
    let text = serde_json::to_string(&m).unwrap();
    assert!(!text.contains("5030") && !text.contains("5031"));
    let (md, _, code) = coffeeshark(&["report", moved.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!md.contains("5030") && !md.contains("5031"));
    // The roles cite the frames that show them, as tshark numbers them: the
    // first HTCPCP request to the pot (the first payload to its port: the
    // web app speaks first), the first HTTP request to the web app.
    let web_frames = u64s(&m["roles"]["web_app"]["frames"]);
    let pot_frames = u64s(&m["roles"]["pot"]["frames"]);
    if let Some(first_pot) = first_frame(&moved, "tcp.dstport == 6130 && tcp.len > 0") {
        assert_eq!(pot_frames, vec![first_pot]);
        let first_http = first_frame(&moved, "tcp.dstport == 6131 && http.request").unwrap();
        assert_eq!(web_frames[0], first_http);
        // The browser request that waited, then the pot message.
        assert!(web_frames.contains(&first_pot), "{web_frames:?}");
        let how = m["roles"]["web_app"]["how"].as_str().unwrap();
        assert!(how.contains(&format!("#{first_pot}")), "{how}");
        assert!(how.contains("6130"), "{how}");
    }
    assert!(md.contains("## Roles"));
    assert!(
        md.contains(&format!(
            "- Web app: TCP 6131 (detected) [#{}",
            web_frames[0]
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "- Coffee pot: TCP 6130 (detected) [#{}]",
            pot_frames[0]
        )),
        "{md}"
    );
    let (html, _, _) = coffeeshark(&["report", moved.to_str().unwrap(), "--format", "html"]);
    assert!(html.contains("<h2>Roles</h2>") && html.contains("Web app: TCP 6131 (detected)"));
    // The diagram's lanes follow the roles.
    let (txt, _, code) = coffeeshark(&["diagram", moved.to_str().unwrap(), "--format", "txt"]);
    assert_eq!(code, 0);
    let head = txt.lines().nth(1).unwrap_or("");
    for lane in ["Browser", "Web app", "Coffee pot"] {
        assert!(head.contains(lane), "{head}");
    }
}

#[test]
fn roles_flags_override_detection() {
    let moved = roles_capture("lab_moved.pcapng");
    let detected = report_args(&moved, &[]);
    let flagged = report_args(&moved, &["--web-port", "6131", "--pot-port", "6130"]);
    assert_eq!(flagged["roles"]["web_app"]["found"], "flag");
    assert_eq!(flagged["roles"]["pot"]["found"], "flag");
    assert_eq!(detected["tasks"], flagged["tasks"]);
    // A flag that names a port without the server: the browser's questions
    // are about that port, and cannot be answered.
    let default = roles_capture("lab_default.pcapng");
    let r = report_args(&default, &["--web-port", "6131", "--task", "3"]);
    assert_eq!(r["roles"]["web_app"]["port"], 6131);
    assert_eq!(r["roles"]["web_app"]["found"], "flag");
    assert_eq!(r["roles"]["pot"]["port"], 5030);
    assert_eq!(r["roles"]["pot"]["found"], "detected");
    let q = answer(&r, "browser and the web app");
    assert_eq!(q["answerable"], false);
    assert!(q["answer"].as_str().unwrap().contains("6131"), "{q}");
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], true);
    let how = r["roles"]["web_app"]["how"].as_str().unwrap();
    assert!(how.contains("--web-port 6131"), "{how}");
    // A pipe is read once: no detection, the flags' ports or the lab's.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} report <(cat {}) --format json --task 3 --pot-port 6130",
            env!("CARGO_BIN_EXE_coffeeshark"),
            moved.display()
        ))
        .output()
        .expect("bash");
    assert!(out.status.success(), "{out:?}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["roles"]["pot"]["found"], "flag");
    assert_eq!(r["roles"]["web_app"]["found"], "default");
    assert_eq!(r["roles"]["web_app"]["port"], 5031);
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], true);
    // The diagram takes the flags too: 5031 is then an unnamed server.
    let (txt, _, code) = coffeeshark(&[
        "diagram",
        default.to_str().unwrap(),
        "--format",
        "txt",
        "--web-port",
        "6131",
    ]);
    assert_eq!(code, 0);
    assert!(txt.lines().nth(1).unwrap_or("").contains("Server"), "{txt}");
}

#[test]
fn roles_lone_http_server_is_the_web_app() {
    // python3 -m http.server (HTTP/1.1 keep-alive) on 8010 and curl.
    let file = roles_capture("lone_http.pcapng");
    let r = report_args(&file, &[]);
    assert_eq!(r["roles"]["web_app"]["port"], 8010);
    assert_eq!(r["roles"]["web_app"]["found"], "detected");
    assert_eq!(r["roles"]["pot"]["found"], "missing");
    let how = r["roles"]["web_app"]["how"].as_str().unwrap();
    assert!(how.contains("only HTTP server"), "{how}");
    if let Some(first) = first_frame(&file, "http.request") {
        assert_eq!(u64s(&r["roles"]["web_app"]["frames"]), vec![first]);
        // Task 6 and Task 5 answered from the web side, as tshark sees it.
        let not_modified = frames(&file, "http.response.code == 304").unwrap();
        assert_eq!(not_modified.len(), 1);
        let t6 = &r["tasks"][4];
        assert_eq!(t6["task"], 6);
        let q = t6["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["question"].as_str().unwrap().contains("304"))
            .unwrap();
        assert_eq!(q["answerable"], true, "{q}");
        assert_eq!(
            q["facts"]["responses"][0]["response"], not_modified[0],
            "{q}"
        );
        let conditional =
            first_frame(&file, "http.request.line contains \"If-Modified-Since\"").unwrap();
        assert_eq!(q["facts"]["responses"][0]["request"], conditional, "{q}");
        let requests = frames(&file, "http.request").unwrap().len() as u64;
        let t3 = report(&file, "3");
        let text = answer(&t3, "HTTP requests")["answer"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            text.starts_with(&format!("{requests} HTTP requests")),
            "{text}"
        );
    }
    // Two HTTP servers, no pot: the one with more requests, said so.
    let dir = tempdir();
    let a = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 8080)
        .at(T0)
        .exchange(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
    let b = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41001, 9090)
        .at(T0 + 10 * MS)
        .exchange(
            b"GET /x HTTP/1.1\r\nHost: b\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        );
    let c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41002, 9090)
        .at(T0 + 20 * MS)
        .exchange(
            b"GET /y HTTP/1.1\r\nHost: b\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        );
    let file = write_merged(&dir, "two_servers.pcap", &[&a, &b, &c]);
    let r = report_args(&file, &["--task", "1"]);
    assert_eq!(r["roles"]["web_app"]["port"], 9090);
    let how = r["roles"]["web_app"]["how"].as_str().unwrap();
    assert!(
        how.contains("of 2 HTTP servers") && how.contains("8080"),
        "{how}"
    );
}

// ------------------------------------------------------- big captures

/// A generated capture of `packets` packets (the benchmark's generator).
fn big_capture(dir: &tempfile::TempDir, packets: u64) -> (PathBuf, generator::Stats) {
    let path = path_in(dir, "big.pcapng");
    let stats = generator::write_lab_capture(&path, packets, generator::Format::PcapNg).unwrap();
    (path, stats)
}

/// The "… and K more" line of an answer's evidence.
fn more_count(a: &Value, what: &str) -> Option<u64> {
    a["evidence"].as_array().unwrap().iter().find_map(|e| {
        let t = e["text"].as_str().unwrap();
        let rest = t.strip_prefix("\u{2026} and ")?;
        let (n, tail) = rest.split_once(' ')?;
        tail.starts_with(&format!("more {what}"))
            .then(|| n.parse().unwrap())
    })
}

#[test]
fn big_capture_counts_are_exact_and_citations_bounded() {
    let dir = tempdir();
    let (file, stats) = big_capture(&dir, 40_000);
    let r = report(&file, "all");
    assert_eq!(r["frames"].as_u64(), Some(stats.packets));
    assert_eq!(r["tcp_streams"].as_u64(), Some(stats.connections));
    let task = |n: u64| {
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task"] == n)
            .unwrap()
    };
    let q = |n: u64, q: &str| {
        task(n)["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["question"].as_str().unwrap().contains(q))
            .unwrap()
            .clone()
    };
    let cap = 100u64;
    // Task 1: the generator's connections per port.
    let a = q(1, "browser and the web app");
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(stats.http_connections)
    );
    let a = q(1, "web app and the coffee pot");
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(stats.htcpcp_connections)
    );
    // Task 3: every connection counted, the first 100 cited, the rest said.
    let a = q(3, "SYN, SYN-ACK and ACK");
    assert_eq!(
        a["facts"]["connection_count"].as_u64(),
        Some(stats.connections)
    );
    let listed = a["facts"]["connections"].as_array().unwrap();
    assert_eq!(listed.len() as u64, cap);
    let streams: Vec<u64> = listed
        .iter()
        .map(|c| c["stream"].as_u64().unwrap())
        .collect();
    assert_eq!(
        streams,
        (0..cap).collect::<Vec<_>>(),
        "the first streams are cited"
    );
    assert_eq!(more_count(&a, "connections"), Some(stats.connections - cap));
    let a = q(3, "browser and the web app use?");
    assert_eq!(
        a["facts"]["connection_count"].as_u64(),
        Some(stats.http_connections)
    );
    assert_eq!(
        a["facts"]["connections"].as_array().unwrap().len() as u64,
        cap
    );
    // HTTP requests: tshark's count, the first 100 frames cited.
    let a = q(3, "HTTP requests");
    if let Some(reqs) = frames(&file, "http.request && tcp.dstport == 5031") {
        assert_eq!(
            a["facts"]["request_count"].as_u64(),
            Some(reqs.len() as u64)
        );
        assert_eq!(u64s(&a["facts"]["requests"]), reqs[..cap as usize].to_vec());
        assert_eq!(more_count(&a, "requests"), Some(reqs.len() as u64 - cap));
    }
    // Every answer's evidence stays bounded.
    for t in r["tasks"].as_array().unwrap() {
        for a in t["answers"].as_array().unwrap() {
            assert!(
                a["evidence"].as_array().unwrap().len() <= 2 * cap as usize + 10,
                "{}",
                a["question"]
            );
        }
    }
    // The embedded diagram stops at --max-arrows and says so.
    let (out, err, code) = coffeeshark(&[
        "report",
        file.to_str().unwrap(),
        "--task",
        "3",
        "--max-arrows",
        "50",
    ]);
    assert_eq!(code, 0, "{err}");
    let arrows = out
        .lines()
        .filter(|l| l.contains("->>") || l.contains("-->>"))
        .count();
    assert_eq!(arrows, 50);
    assert!(out.contains("Diagram truncated after 50 arrows"), "{out}");
}

#[test]
fn collector_memory_follows_open_connections_not_the_file() {
    use coffeeshark::report::{Collector, Limits, Selection, SWEEP_MIN};
    let dir = tempdir();
    let (file, stats) = big_capture(&dir, 100_000);
    assert!(stats.connections as usize > 2 * SWEEP_MIN);
    let mut reader = coffeeshark::source::CaptureReader::open(&file).unwrap();
    let mut analyzer = coffeeshark::pipeline::Analyzer::new();
    let sel = Selection {
        streams: None,
        hide_acks: true,
        max_arrows: 300,
    };
    let mut collector = Collector::new(Limits::default(), Some(sel));
    let mut most = 0;
    while let Some(raw) = reader.next_frame().unwrap() {
        let pkt = analyzer.process(&raw);
        collector.add(&pkt, true);
        most = most.max(collector.open_connections());
    }
    assert!(most <= SWEEP_MIN + 1, "{most} connections held");
    let facts = collector.finish();
    assert_eq!(facts.tcp_streams, stats.connections);
    assert_eq!(facts.segments.len(), 300);
    assert!(facts.truncated > 0);
    assert!(facts.diagram_conns.len() <= 300);
    assert_eq!(
        facts.late_packets, 0,
        "closed connections are forgotten after their last packet"
    );
}

/// `reports/` is what `reports/generate.sh` writes from `sample_capture/`.
#[test]
fn reports_directory_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempdir();
    let status = std::process::Command::new("bash")
        .arg(root.join("reports/generate.sh"))
        .arg(dir.path())
        .env("COFFEESHARK", env!("CARGO_BIN_EXE_coffeeshark"))
        .status()
        .expect("run reports/generate.sh");
    assert!(status.success());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{names:?}");
    for name in &names {
        let fresh = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let committed = std::fs::read_to_string(root.join("reports").join(name))
            .unwrap_or_else(|_| panic!("reports/{name} is missing: run reports/generate.sh"));
        pretty_diff(
            &committed,
            &fresh,
            &format!("reports/{name} is stale: run reports/generate.sh"),
        );
        // The bundled captures are small: their reports cite everything.
        assert!(
            !fresh.contains("the report cites the first"),
            "reports/{name} is cut"
        );
    }
}
