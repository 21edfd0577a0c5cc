use super::*;
use crate::dissect::http::{Framing, Headers};

pub(crate) const V11: Version = Version {
    htcpcp: false,
    major: 1,
    minor: 1,
};
pub(crate) const HTCPCP11: Version = Version {
    htcpcp: true,
    major: 1,
    minor: 1,
};

pub(crate) fn ep(port: u16) -> Endpoint {
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[127, 0, 0, 1]);
    Endpoint { addr, port }
}

fn message(start_line: StartLine, headers: &[(&str, &str)], body: &[u8]) -> Message {
    Message {
        range: 0..0,
        start_line,
        headers: Headers::from_pairs(headers),
        head_len: 0,
        framing: Framing::None,
        body: body.to_vec(),
        body_len: body.len() as u64,
        trailers: Headers::default(),
        notes: Vec::new(),
        complete: true,
    }
}

/// A request as the lab sends it (HTCPCP requests too say `HTTP/1.1`).
pub(crate) fn request(
    protocol: Protocol,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> HttpPdu {
    let message = message(
        StartLine::Request {
            method: method.into(),
            target: uri.into(),
            version: V11,
        },
        headers,
        b"",
    );
    HttpPdu::new(protocol, message, 1, None, None, None)
}

/// A response (`code: None`: a bare body with no status line) answering
/// the request `(frame, method, uri)`, 1.5 ms after it.
pub(crate) fn response(
    protocol: Protocol,
    code: Option<u16>,
    reason: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    answers: Option<(u64, &str, &str)>,
) -> HttpPdu {
    let version = if protocol == Protocol::Htcpcp {
        HTCPCP11
    } else {
        V11
    };
    let start_line = match code {
        Some(code) => StartLine::Response {
            version,
            code,
            reason: reason.into(),
        },
        None => StartLine::None,
    };
    let request = answers.map(|(frame, method, uri)| RequestRef {
        frame,
        method: method.into(),
        uri: uri.into(),
        full_uri: None,
        time_nanos: 0,
        elapsed_nanos: 1_500_000,
        if_none_match: None,
        if_modified_since: None,
        prev_in: None,
    });
    HttpPdu::new(
        protocol,
        message(start_line, headers, body),
        1,
        request,
        None,
        None,
    )
}

pub(crate) fn pdu(direction: u8, frame: u64, http: HttpPdu) -> Pdu {
    Pdu {
        segments: vec![(frame, 100)],
        direction,
        body: PduBody::Http(Box::new(http)),
    }
}

/// One message of the input: stream, frame, sent by the client, message.
type Input = (u32, u64, bool, HttpPdu);

/// Feeds the messages in order, each frame matching when `matching`
/// says so; returns the rows and how many came out before `finish`.
fn run_with(
    mut table: TransactionTable,
    input: Vec<Input>,
    matching: &dyn Fn(u64) -> bool,
    unfinished: Vec<Pdu>,
) -> (Vec<Transaction>, usize) {
    let mut rows = Vec::new();
    for (stream, frame, from_client, http) in input {
        let (c, s) = (ep(40000 + stream as u16), ep(5031));
        let addrs = if from_client {
            (c, s, false)
        } else {
            (s, c, false)
        };
        let origin = Origin {
            stream: Some(stream),
            frame,
            addrs: Some(addrs),
            matched: matching(frame),
        };
        let dir = u8::from(!from_client);
        table.add_frame(origin, &[pdu(dir, frame, http)], false, |r| rows.push(r));
    }
    let before_finish = rows.len();
    table.finish(unfinished, |r| rows.push(r));
    (rows, before_finish)
}

fn run(input: Vec<Input>) -> (Vec<Transaction>, usize) {
    run_with(TransactionTable::new(), input, &|_| true, Vec::new())
}

type Summary = (u32, Option<u64>, Option<u64>, String, Option<u16>);

fn summary(rows: &[Transaction]) -> Vec<Summary> {
    rows.iter()
        .map(|r| {
            (
                r.stream.unwrap_or(u32::MAX),
                r.request.as_ref().map(|q| q.frame),
                r.response.as_ref().map(|q| q.frame),
                r.request
                    .as_ref()
                    .map(|q| q.method.clone())
                    .unwrap_or_default(),
                r.response.as_ref().and_then(|q| q.code),
            )
        })
        .collect()
}

use Protocol::{Htcpcp, Http};

/// The home page of the lab: the browser's GET / on stream 0, and while
/// it waits the app's GET to the pot on stream 1.
fn homepage() -> Vec<Input> {
    vec![
        (0, 4, true, request(Http, "GET", "/", &[("Host", "x")])),
        (1, 9, true, request(Htcpcp, "GET", "coffee://ducky", &[])),
        (
            1,
            11,
            false,
            response(
                Htcpcp,
                Some(200),
                "OK",
                &[("Content-Type", "message/coffeepot")],
                b"{}",
                Some((9, "GET", "coffee://ducky")),
            ),
        ),
        (
            0,
            16,
            false,
            response(
                Http,
                Some(200),
                "OK",
                &[("Content-Type", " text/html; charset=utf-8 ")],
                &[b'x'; 1234],
                Some((4, "GET", "/")),
            ),
        ),
    ]
}

#[test]
fn pairs_in_request_order_and_streams_rows_out() {
    let (rows, before_finish) = run(homepage());
    assert_eq!(
        summary(&rows),
        vec![
            (0, Some(4), Some(16), "GET".into(), Some(200)),
            (1, Some(9), Some(11), "GET".into(), Some(200)),
        ]
    );
    // Both rows were out before the end of the capture.
    assert_eq!(before_finish, 2);
    let page = &rows[0];
    assert_eq!(page.protocol, Http);
    assert_eq!(page.client, Some(ep(40000)));
    assert_eq!(page.server, Some(ep(5031)));
    let resp = page.response.as_ref().unwrap();
    assert_eq!(
        resp.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(resp.body_len, 1234);
    assert_eq!(resp.time_nanos, Some(1_500_000));
    assert_eq!(resp.reason, "OK");
    assert_eq!(resp.version, Some(V11));
    let pot = &rows[1];
    assert_eq!(pot.protocol, Htcpcp);
    assert_eq!(pot.request.as_ref().unwrap().uri, "coffee://ducky");
    assert_eq!(pot.response.as_ref().unwrap().version, Some(HTCPCP11));
    assert_eq!(pot.client, Some(ep(40001)));
}

#[test]
fn an_unanswered_request_holds_later_rows_back_and_ends_with_an_empty_response() {
    let mut input = vec![(7, 2, true, request(Htcpcp, "BREW", "coffee://ducky", &[]))];
    input.extend(homepage());
    let (rows, before_finish) = run(input);
    assert_eq!(before_finish, 0, "the BREW was never answered");
    assert_eq!(
        summary(&rows),
        vec![
            (7, Some(2), None, "BREW".into(), None),
            (0, Some(4), Some(16), "GET".into(), Some(200)),
            (1, Some(9), Some(11), "GET".into(), Some(200)),
        ]
    );
}

#[test]
fn pipelined_requests_pair_with_their_own_responses() {
    let ok = |frame, uri| response(Http, Some(200), "OK", &[], b"ab", Some((frame, "GET", uri)));
    let (rows, _) = run(vec![
        (3, 10, true, request(Http, "GET", "/a", &[])),
        (3, 10, true, request(Http, "GET", "/b", &[])),
        (3, 12, false, ok(10, "/a")),
        (3, 14, false, ok(10, "/b")),
    ]);
    // Two requests completed by the same frame: each answered once, in
    // order.
    assert_eq!(
        summary(&rows),
        vec![
            (3, Some(10), Some(12), "GET".into(), Some(200)),
            (3, Some(10), Some(14), "GET".into(), Some(200)),
        ]
    );
    assert_eq!(rows[1].request.as_ref().unwrap().uri, "/b");
    let (rows, _) = run(vec![
        (3, 10, true, request(Http, "GET", "/a", &[])),
        (3, 11, true, request(Http, "HEAD", "/b", &[])),
        (3, 12, false, ok(10, "/a")),
        (3, 14, false, ok(11, "/b")),
    ]);
    assert_eq!(
        summary(&rows),
        vec![
            (3, Some(10), Some(12), "GET".into(), Some(200)),
            (3, Some(11), Some(14), "HEAD".into(), Some(200)),
        ]
    );
}

#[test]
fn a_response_without_its_request_is_a_row_of_its_own() {
    let (rows, _) = run(vec![
        (
            0,
            5,
            false,
            response(Http, Some(304), "Not Modified", &[], b"", None),
        ),
        (
            1,
            6,
            false,
            response(
                Http,
                Some(404),
                "Not Found",
                &[],
                b"",
                Some((2, "GET", "/missing")),
            ),
        ),
    ]);
    assert_eq!(
        summary(&rows),
        vec![
            (0, None, Some(5), String::new(), Some(304)),
            (1, Some(2), Some(6), "GET".into(), Some(404)),
        ]
    );
    // The client is the response's receiver.
    assert_eq!(rows[1].client, Some(ep(40001)));
    assert_eq!(rows[1].server, Some(ep(5031)));
    assert_eq!(rows[1].request.as_ref().unwrap().uri, "/missing");
    assert_eq!(rows[1].request.as_ref().unwrap().version, None);
}

#[test]
fn the_cap_lets_the_oldest_out_without_its_response() {
    let table = TransactionTable::with_cap(2);
    let ok = |frame| response(Http, Some(200), "OK", &[], b"", Some((frame, "GET", "/")));
    let input = vec![
        (0, 1, true, request(Http, "GET", "/slow", &[])),
        (1, 2, true, request(Http, "GET", "/", &[])),
        (1, 3, false, ok(2)),
        (2, 4, true, request(Http, "GET", "/", &[])),
        (2, 5, false, ok(4)),
        (
            0,
            6,
            false,
            response(Http, Some(200), "OK", &[], b"", Some((1, "GET", "/slow"))),
        ),
    ];
    let mut evicted = 0;
    let mut rows = Vec::new();
    let mut table = table;
    for (stream, frame, from_client, http) in input {
        let origin = Origin {
            stream: Some(stream),
            frame,
            addrs: None,
            matched: true,
        };
        table.add_frame(
            origin,
            &[pdu(u8::from(!from_client), frame, http)],
            false,
            |r| rows.push(r),
        );
        assert!(table.waiting() <= 2);
        evicted = table.evicted();
    }
    assert_eq!(evicted, 1);
    table.finish(Vec::new(), |r| rows.push(r));
    assert_eq!(
        summary(&rows),
        vec![
            (0, Some(1), None, "GET".into(), None),
            (1, Some(2), Some(3), "GET".into(), Some(200)),
            (2, Some(4), Some(5), "GET".into(), Some(200)),
            (0, Some(1), Some(6), "GET".into(), Some(200)),
        ]
    );
}

#[test]
fn a_filtered_table_keeps_rows_with_a_matching_frame() {
    // Frames 11 (the pot's answer) and 4 (the page's request) match.
    let table = TransactionTable::new().filtered(true);
    let (rows, _) = run_with(table, homepage(), &|f| f == 11 || f == 4, Vec::new());
    assert_eq!(rows.len(), 2);
    let table = TransactionTable::new().filtered(true);
    let (rows, _) = run_with(table, homepage(), &|f| f == 11, Vec::new());
    assert_eq!(
        summary(&rows),
        vec![(1, Some(9), Some(11), "GET".into(), Some(200))]
    );
    let table = TransactionTable::new().filtered(true);
    let (rows, _) = run_with(table, homepage(), &|_| false, Vec::new());
    assert!(rows.is_empty());
}

#[test]
fn messages_left_at_the_end_of_the_capture_are_rows_too() {
    let mut table = TransactionTable::new();
    let mut rows = Vec::new();
    let origin = |stream, frame, from_client: bool| {
        let (c, s) = (ep(40000 + stream as u16), ep(5030));
        Origin {
            stream: Some(stream),
            frame,
            addrs: Some(if from_client {
                (c, s, false)
            } else {
                (s, c, false)
            }),
            matched: true,
        }
    };
    let get = pdu(0, 20, request(Htcpcp, "GET", "coffee://ducky", &[]));
    table.add_frame(origin(5, 20, true), &[get], false, |r| rows.push(r));
    // A BREW whose head came in frame 18 (stream 6) and never ended,
    // and the pot's bare JSON answer to the GET, cut off.
    table.add_frame(origin(6, 18, true), &[], true, |r| rows.push(r));
    table.add_frame(origin(5, 22, false), &[], true, |r| rows.push(r));
    assert_eq!(table.continuing(), 2);
    assert!(rows.is_empty());
    let mut brew = request(Htcpcp, "BREW", "coffee://ducky", &[]);
    brew.message.complete = false;
    let mut json = response(
        Htcpcp,
        None,
        "",
        &[],
        br#"{"date": "Sat"}"#,
        Some((20, "GET", "coffee://ducky")),
    );
    json.message.complete = false;
    let mut brew = pdu(0, 18, brew);
    brew.segments = vec![(18, 90), (24, 5)];
    let lost = pdu(0, 99, request(Http, "GET", "/", &[]));
    table.finish(vec![pdu(1, 22, json), brew, lost], |r| rows.push(r));
    assert_eq!(
        summary(&rows),
        vec![
            (5, Some(20), Some(22), "GET".into(), None),
            (6, Some(24), None, "BREW".into(), None),
            (u32::MAX, Some(99), None, "GET".into(), None),
        ]
    );
    let reply = rows[0].response.as_ref().unwrap();
    assert!(!reply.complete);
    assert_eq!(reply.version, None);
    assert_eq!(reply.body_len, 15);
    assert_eq!(rows[1].client, Some(ep(40006)));
    assert_eq!(rows[1].server, Some(ep(5030)));
    assert!(!rows[1].request.as_ref().unwrap().complete);
    // No frame of it was seen: no stream, no endpoints.
    assert_eq!(rows[2].stream, None);
    assert_eq!(rows[2].client, None);
}

#[test]
fn conditional_headers_and_non_messages() {
    let mut input = vec![(
        0,
        4,
        true,
        request(
            Http,
            "GET",
            "/assets/styles.css",
            &[
                ("If-None-Match", "\"abc\""),
                ("If-Modified-Since", "Sat, 21 Nov 2026 12:54:25 GMT"),
            ],
        ),
    )];
    let mut junk = request(Http, "GET", "/", &[]);
    junk.message.start_line = StartLine::Invalid(b"\x16\x03".to_vec());
    input.push((0, 5, true, junk));
    input.push((
        0,
        6,
        false,
        response(
            Http,
            Some(304),
            "Not Modified",
            &[],
            b"",
            Some((4, "GET", "/assets/styles.css")),
        ),
    ));
    let (rows, _) = run(input);
    assert_eq!(rows.len(), 1);
    let req = rows[0].request.as_ref().unwrap();
    assert_eq!(req.if_none_match.as_deref(), Some("\"abc\""));
    assert_eq!(
        req.if_modified_since.as_deref(),
        Some("Sat, 21 Nov 2026 12:54:25 GMT")
    );
    assert_eq!(rows[0].response.as_ref().unwrap().code, Some(304));
}
