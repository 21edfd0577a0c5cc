//! The application layer in the packet list: HTTP and TLS lines equal
//! tshark's on fixtures that reproduce each reassembly case (a head or a
//! body split over segments, chunks, pipelining, close-delimited bodies,
//! HEAD, 100 Continue, 304, media types, TLS records split and packed), on
//! a registered port (8080, 443) and on the lab's web app port (5031, where
//! tshark finds HTTP and TLS by heuristics). HTCPCP, which tshark lacks, is
//! checked against golden files and against the frame each message was
//! built to complete in (LAB.md's cases byte for byte).
//!
//! The fixtures are built in code (test-only), segment by segment.

mod support;

use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use etherparse::TransportSlice;
use support::*;

fn conn(server_port: u16) -> TcpConn {
    let mut c = TcpConn::new(
        Link::Ethernet,
        Addrs::V4([10, 0, 0, 1], [10, 0, 0, 2]),
        40000,
        server_port,
    );
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    c
}

fn close(c: &mut TcpConn) {
    c.send(true, FIN_ACK, b"")
        .send(false, FIN_ACK, b"")
        .send(true, ACK, b"");
}

fn response(code: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {code}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

const GET_A: &[u8] =
    b"GET /a HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: fixture\r\nAccept: */*\r\n\r\n";
const GET_B: &[u8] = b"GET /b HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";

/// Writes the fixture and returns (ours, tshark's) packet lists.
fn lists(name: &str, c: &TcpConn) -> (String, Option<String>) {
    let dir = tempdir();
    let path = path_in(&dir, &format!("{name}.pcap"));
    write_pcap(&path, c.link.linktype(), &c.frames, PCAP_US);
    keep_fixture(&path);
    let p = path.to_str().unwrap();
    let (ours, err, code) = coffeeshark(&["read", p]);
    assert_eq!(code, 0, "{name}: {err}");
    (ours, tshark(&["-r", p]).map(|(t, _)| t))
}

/// Our packet list equals tshark's, and the lines with `want` in them are
/// there (so a fixture that dissects nothing cannot pass).
fn same_as_tshark(name: &str, c: &TcpConn, want: &[&str]) {
    let (ours, theirs) = lists(name, c);
    for w in want {
        assert!(ours.contains(w), "{name}: no {w:?} in\n{ours}");
    }
    if let Some(theirs) = theirs {
        pretty_diff(&theirs, &ours, name);
    }
}

fn http_cases(port: u16) -> Vec<(&'static str, TcpConn, Vec<&'static str>)> {
    let mut cases = Vec::new();

    let mut c = conn(port);
    c.send(true, PSH_ACK, &GET_A[..20])
        .send(true, PSH_ACK, &GET_A[20..])
        .send(false, PSH_ACK, &response("200 OK", "text/plain", b"hello"));
    close(&mut c);
    cases.push((
        "head_split",
        c,
        vec!["GET /a HTTP/1.1  [TCP segment of a reassembled PDU]"],
    ));

    let mut c = conn(port);
    c.send(true, PSH_ACK, &GET_A[..20])
        .send(true, PSH_ACK, &GET_A[20..40])
        .send(true, PSH_ACK, &GET_A[40..]);
    let r = response("200 OK", "text/plain", &[b'x'; 300]);
    c.send(false, PSH_ACK, &r[..30])
        .send(false, PSH_ACK, &r[30..60])
        .send(false, PSH_ACK, &r[60..200])
        .send(false, PSH_ACK, &r[200..]);
    close(&mut c);
    cases.push((
        "head_and_body_split",
        c,
        vec!["HTTP/1.1 200 OK  (text/plain)"],
    ));

    let mut c = conn(port);
    c.send(true, PSH_ACK, GET_A)
        .send(
            false,
            PSH_ACK,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n",
        )
        .send(false, PSH_ACK, b"5\r\nhello\r\n")
        .send(false, PSH_ACK, b"3\r\nabc\r\n0\r\n\r\n");
    close(&mut c);
    cases.push(("chunked", c, vec!["HTTP/1.1 200 OK  (text/html)"]));

    let mut c = conn(port);
    let mut two = GET_A.to_vec();
    two.extend_from_slice(GET_B);
    let mut answers = response("200 OK", "text/plain", b"one");
    answers.extend(response("404 Not Found", "text/html", b"<p>no</p>"));
    c.send(true, PSH_ACK, &two).send(false, PSH_ACK, &answers);
    close(&mut c);
    cases.push(("pipelined", c, vec!["GET /a HTTP/1.1 GET /b HTTP/1.1 "]));

    let mut c = conn(port);
    let r1 = response("200 OK", "text/plain", &[b'1'; 60]);
    let r2 = response("200 OK", "text/css; charset=utf-8", b"body{}");
    c.send(true, PSH_ACK, &two)
        .send(false, PSH_ACK, &r1[..50])
        .send(false, PSH_ACK, &[&r1[50..], &r2[..30]].concat())
        .send(false, PSH_ACK, &r2[30..]);
    close(&mut c);
    cases.push(("end_and_start_in_one_segment", c, vec!["(text/css)"]));

    let mut c = conn(port);
    c.send(true, PSH_ACK, GET_A)
        .send(
            false,
            PSH_ACK,
            b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>",
        )
        .send(false, PSH_ACK, b"</html>")
        .send(false, FIN_ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
    cases.push(("close_delimited", c, vec!["HTTP/1.0 200 OK  (text/html)"]));

    let mut c = conn(port);
    c.send(true, PSH_ACK, b"HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n")
        .send(
            false,
            PSH_ACK,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/html\r\n\r\n",
        )
        .send(true, PSH_ACK, GET_B)
        .send(
            false,
            PSH_ACK,
            &response("200 OK", "text/html", b"<b>x</b>"),
        );
    close(&mut c);
    cases.push(("head_then_get", c, vec!["HEAD /a HTTP/1.1 "]));

    let mut c = conn(port);
    c.send(
        true,
        PSH_ACK,
        b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n",
    )
    .send(false, PSH_ACK, b"HTTP/1.1 100 Continue\r\n\r\n")
    .send(true, PSH_ACK, b"pots=ducky&")
    .send(true, PSH_ACK, b"add=cream")
    .send(
        false,
        PSH_ACK,
        b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n",
    );
    close(&mut c);
    cases.push((
        "continue_then_post_then_redirect",
        c,
        vec!["HTTP/1.1 100 Continue ", "HTTP/1.1 302 Found "],
    ));

    let mut c = conn(port);
    c.send(true, PSH_ACK, GET_A)
        .send(
            false,
            PSH_ACK,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 6\r\nETag: \"abc\"\r\nSet-Cookie: auth=true\r\n\r\nbody{}",
        )
        .send(
            true,
            PSH_ACK,
            b"GET /a HTTP/1.1\r\nHost: x\r\nCookie: auth=true\r\nIf-None-Match: \"abc\"\r\nIf-Modified-Since: Sat, 21 Nov 2026 12:00:00 GMT\r\n\r\n",
        )
        .send(
            false,
            PSH_ACK,
            b"HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n",
        );
    close(&mut c);
    cases.push(("conditional_304", c, vec!["HTTP/1.1 304 Not Modified "]));

    let gif: Vec<u8> = [
        &b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
            [..],
        &b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"[..],
    ]
    .concat();
    let mut c = conn(port);
    for (ct, body) in [
        ("image/gif", gif.as_slice()),
        ("application/json", &b"{\"brewing\": true}"[..]),
        ("Text/HTML", &b"<p>hi</p>"[..]),
        ("application/javascript", &b"var a;"[..]),
        ("application/octet-stream", &b"\x00\x01"[..]),
        ("text/xml", &b"<a/>"[..]),
        ("image/vnd.microsoft.icon", &b"\x00\x00\x01\x00"[..]),
    ] {
        c.send(true, PSH_ACK, GET_B)
            .send(false, PSH_ACK, &response("200 OK", ct, body));
    }
    close(&mut c);
    cases.push((
        "media_types",
        c,
        vec!["HTTP/JSON", "(GIF89a)", "(image/vnd.microsoft.icon)"],
    ));

    // Seed 003's server: every header on one line, joined by '/'.
    let mut c = conn(port);
    c.send(true, PSH_ACK, GET_A).send(
        false,
        PSH_ACK,
        b"HTTP/1.1 200 OK\r\nHost: 127.0.0.1:8000///Content-Type: text/html/Connection: keep-alive/Content-Length: 13\r\n\r\nHello, World!",
    );
    c.send(false, FIN_ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
    cases.push(("headers_joined_by_slash", c, vec!["HTTP/1.1 200 OK "]));

    cases
}

#[test]
fn http_on_a_registered_port_equals_tshark() {
    for (name, c, want) in http_cases(8080) {
        same_as_tshark(&format!("http8080_{name}"), &c, &want);
    }
}

#[test]
fn http_on_the_web_app_port_equals_tshark() {
    for (name, c, want) in http_cases(5031) {
        same_as_tshark(&format!("http5031_{name}"), &c, &want);
    }
}

/// TCP payloads of some frames of a bundled recording, read with our own
/// reader (real TLS 1.3 records from rustls).
fn sample_payloads(file: &str, frames: &[u64]) -> Vec<Vec<u8>> {
    let path = format!("{}/sample_capture/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = CaptureReader::open(std::path::Path::new(&path)).unwrap();
    let mut analyzer = Analyzer::new();
    let mut out = vec![Vec::new(); frames.len()];
    while let Some(raw) = reader.next_frame().unwrap() {
        let p = analyzer.process(&raw);
        if let Some(i) = frames.iter().position(|&f| f == p.frame.number) {
            if let Some(TransportSlice::Tcp(t)) = &p.decoded.transport {
                out[i] = t.payload().to_vec();
            }
        }
    }
    assert!(
        out.iter().all(|p| !p.is_empty()),
        "frames {frames:?} of {file}"
    );
    out
}

#[test]
fn tls_records_split_and_packed_equal_tshark() {
    // Client Hello; Server Hello + CCS + encrypted handshake; CCS + Finished;
    // a request; the response.
    let p = sample_payloads("coffee_https.pcapng", &[4, 6, 8, 9, 21]);
    for port in [443, 5031] {
        let mut c = conn(port);
        c.send(true, PSH_ACK, &p[0][..100])
            .send(true, PSH_ACK, &p[0][100..])
            .send(false, PSH_ACK, &p[1][..3])
            .send(false, PSH_ACK, &p[1][3..200])
            .send(false, PSH_ACK, &p[1][200..])
            .send(true, PSH_ACK, &[&p[2][..], &p[3][..]].concat())
            .send(false, PSH_ACK, &p[4][..1000])
            .send(false, PSH_ACK, &p[4][1000..]);
        close(&mut c);
        same_as_tshark(
            &format!("tls{port}"),
            &c,
            &["TLSv1 ", "Client Hello", "TLSv1.3 ", "Application Data"],
        );
    }
}

// ---- HTCPCP (LAB.md), golden files ----

const BREW: &[u8] = b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: cream; rum\r\n\r\nstart";

/// Our list for an HTCPCP fixture, checked against its golden file; the
/// frames named in `at` must carry the given text (1-based frame numbers,
/// known from how the fixture was built).
fn htcpcp_case(name: &str, c: &TcpConn, at: &[(usize, &str)]) {
    let (ours, _) = lists(name, c);
    let lines: Vec<&str> = ours.lines().collect();
    for (frame, text) in at {
        let line = lines[frame - 1];
        assert!(line.contains(text), "{name}: frame {frame}: {line}");
    }
    assert_golden(&format!("htcpcp/{name}.txt"), &ours);
}

#[test]
fn htcpcp_teapot_418_with_no_headers_ends_at_fin() {
    let mut c = conn(5030);
    c.send(
        true,
        PSH_ACK,
        b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nUse-Pot: tea\r\n\r\nstart",
    )
    .send(false, PSH_ACK, b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n")
    .send(false, FIN_ACK, b"")
    .send(true, FIN_ACK, b"")
    .send(false, ACK, b"");
    htcpcp_case(
        "teapot_418",
        &c,
        &[
            (4, "HTCPCP 1"),
            (
                4,
                "BREW coffee://ducky HTTP/1.1  (application/coffee-pot-command)",
            ),
            (
                5,
                "HTCPCP/1.1 418 I'm a Teapot  [TCP segment of a reassembled PDU]",
            ),
            (6, "HTCPCP/1.1 418 I'm a Teapot "),
        ],
    );
}

#[test]
fn htcpcp_406_lists_the_additions_in_its_body() {
    let mut c = conn(5030);
    c.send(
        true,
        PSH_ACK,
        b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: Chamomile\r\n\r\nstart",
    )
    .send(
        false,
        PSH_ACK,
        b"HTCPCP/1.1 406 Not Acceptable\r\n\r\n[\"cream\", \"half-and-half\", \"whole-milk\", \"rum\"]",
    )
    .send(false, FIN_ACK, b"")
    .send(true, FIN_ACK, b"")
    .send(false, ACK, b"");
    htcpcp_case(
        "additions_406",
        &c,
        &[(6, "HTCPCP/1.1 406 Not Acceptable ")],
    );
}

#[test]
fn htcpcp_brew_split_across_two_segments() {
    let mut c = conn(5030);
    let head_end = BREW.len() - b"start".len();
    c.send(true, PSH_ACK, &BREW[..30])
        .send(true, PSH_ACK, &BREW[30..head_end])
        .send(true, PSH_ACK, &BREW[head_end..])
        .send(
            false,
            PSH_ACK,
            b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\nContent-Length: 2\r\n\r\n{}",
        );
    close(&mut c);
    htcpcp_case(
        "brew_split",
        &c,
        &[
            (
                4,
                "BREW coffee://ducky HTTP/1.1  [TCP segment of a reassembled PDU]",
            ),
            (5, "[TCP segment of a reassembled PDU]"),
            (
                6,
                "HTCPCP 71 BREW coffee://ducky HTTP/1.1  (application/coffee-pot-command)",
            ),
            (7, "HTCPCP/1.1 200 OK  (message/coffeepot)"),
        ],
    );
}

#[test]
fn htcpcp_20_kb_json_response_ends_at_fin() {
    let mut body = String::from("[");
    while body.len() < 20_000 {
        body.push_str("{\"brew\": \"coffee\", \"additions\": [\"cream\", \"rum\"]},");
    }
    body.push_str("{}]");
    let mut reply = b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\nDate: Sat, 21 Nov 2026 12:00:00\r\n\r\n".to_vec();
    reply.extend_from_slice(body.as_bytes());
    let mut c = conn(5030);
    c.send(true, PSH_ACK, b"GET coffee://ducky HTTP/1.1\r\n\r\n");
    let chunks: Vec<&[u8]> = reply.chunks(1448).collect();
    for chunk in &chunks {
        c.send(false, PSH_ACK, chunk);
    }
    c.send(false, FIN_ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
    let fin = 4 + chunks.len() + 1;
    htcpcp_case(
        "json_20kb_to_fin",
        &c,
        &[
            (4, "GET coffee://ducky HTTP/1.1 "),
            (5, "HTCPCP/1.1 200 OK  [TCP segment of a reassembled PDU]"),
            (6, "[PSH, ACK] Seq=1449 "),
            (6, "[TCP segment of a reassembled PDU]"),
            (fin, "HTCPCP/1.1 200 OK  (message/coffeepot)"),
        ],
    );
}

#[test]
fn htcpcp_unfinished_pots_and_bare_lf() {
    // A reply with no status line (a bare JSON body), then a request
    // written with bare LF line ends and a percent-encoded scheme.
    let mut c = conn(5030);
    c.send(
        true,
        PSH_ACK,
        b"GET %D0%BA%D0%BE%D1%84%D0%B5://ducky HTTP/1.1\n\n",
    )
    .send(false, PSH_ACK, b"{\"brewing\": false}")
    .send(false, FIN_ACK, b"")
    .send(true, FIN_ACK, b"")
    .send(false, ACK, b"");
    htcpcp_case(
        "no_status_line",
        &c,
        &[
            (4, "HTCPCP"),
            (4, "GET %D0%BA%D0%BE%D1%84%D0%B5://ducky HTTP/1.1 "),
            (5, "[TCP segment of a reassembled PDU]"),
            (6, "HTCPCP"),
        ],
    );
}
