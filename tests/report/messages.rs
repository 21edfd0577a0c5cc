//! Tasks 4 to 8 (HTCPCP messages, the web app's pages, responses with
//! their requests, errors, TLS) and "not answerable".

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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
