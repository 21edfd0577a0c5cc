//! Tasks 1 and 3: protocols per pair and who reaches the pot, handshakes
//! and counts, against tshark and against built fixtures.

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
