//! HTTP and HTCPCP transactions: one row per request with the response that
//! answered it (`coffeeshark http`).
//!
//! Input: the application-layer messages of each packet
//! ([`Packet::app`]), in capture order, then the messages the dissector
//! still held at the end of the capture. A request opens a row (attributed
//! to the frame that completed it, as Wireshark does); a response fills the
//! row of the request it answers ([`RequestRef::frame`]: a frame carries one
//! segment of one stream, so the frame alone names the request). A response
//! whose request was not seen (the capture started after it) is a row of
//! its own, with what the response tells about its request.
//!
//! Output is streamed: rows come out in order of their first frame (the
//! request's, else the response's) as soon as every earlier row is
//! finished. Memory is the rows still waiting: a request not answered yet
//! holds back the rows after it, up to [`MAX_WAITING`] rows; beyond that the
//! oldest one comes out without its response (should the response still
//! come, it becomes a row of its own). Requests never answered come out at
//! [`TransactionTable::finish`] with an empty response.
//!
//! Messages from the end of the capture carry no stream; their stream (and
//! endpoints) is found through the frames of their segments, remembered
//! while a message is unfinished (at most [`MAX_CONTINUING`] frames).
//!
//! With a display filter, a row is kept when any frame of its request or
//! response matches ([`TransactionTable::add_packet`]'s `matched`).

use crate::dissect::http::{Message, StartLine, Version};
use crate::dissect::stream::{HttpPdu, Pdu, PduBody, RequestRef};
use crate::dissect::Protocol;
use crate::flow::{endpoints, Endpoint};
use crate::model::Packet;
use etherparse::{LaxNetSlice, TransportSlice};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Rows held back behind an unanswered request before the oldest comes out
/// without its response.
pub const MAX_WAITING: usize = 16 * 1024;
/// Frames of unfinished messages remembered (for messages that come out at
/// the end of the capture).
pub const MAX_CONTINUING: usize = 64 * 1024;

/// The request half of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPart {
    /// The frame the request is attributed to (the one that completed it;
    /// for a request cut off by the end of the capture, its last frame; 0
    /// when unknown).
    pub frame: u64,
    pub method: String,
    /// The request target as sent.
    pub uri: String,
    /// `None` when only a response told about the request.
    pub version: Option<Version>,
    /// `If-None-Match` / `If-Modified-Since`, which explain a 304.
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    /// False when the capture ended inside the request.
    pub complete: bool,
}

/// The response half of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePart {
    /// The frame the response is attributed to (as for requests).
    pub frame: u64,
    /// `None` for an HTCPCP reply with no status line (a bare body).
    pub version: Option<Version>,
    pub code: Option<u16>,
    pub reason: String,
    pub content_type: Option<String>,
    /// The body's length (de-chunked), kept or not.
    pub body_len: u64,
    /// Request to response (`http.time`), when the request is known.
    pub time_nanos: Option<i128>,
    /// False when the capture ended inside the response.
    pub complete: bool,
    /// The frame of the RST that cut the response off (then `frame` is 0:
    /// tshark shows the response in no frame).
    pub reset_in: Option<u64>,
    /// A `101 Switching Protocols`: the protocol its `Upgrade` names. The
    /// stream's later data is that protocol's (WebSocket frames are no
    /// transactions).
    pub upgrade: Option<String>,
}

/// One transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// `tcp.stream`; `None` only for a message from the end of the capture
    /// none of whose frames is known.
    pub stream: Option<u32>,
    /// [`Protocol::Http`] or [`Protocol::Htcpcp`].
    pub protocol: Protocol,
    /// Decrypted from TLS with a key log: the table says HTTPS.
    pub decrypted: bool,
    /// The request's sender and receiver, when known.
    pub client: Option<Endpoint>,
    pub server: Option<Endpoint>,
    pub v6: bool,
    pub request: Option<RequestPart>,
    pub response: Option<ResponsePart>,
    /// A frame of the row matched the display filter (always true without
    /// one).
    pub matched: bool,
}

impl Transaction {
    /// The row's first frame: the request's, else the response's.
    pub fn first_frame(&self) -> u64 {
        self.request
            .as_ref()
            .map(|r| r.frame)
            .or(self.response.as_ref().map(|r| r.frame))
            .unwrap_or(0)
    }
}

/// The frame's sender and receiver, and whether they are IPv6.
pub type Addrs = (Endpoint, Endpoint, bool);

/// Where a message came from: its stream, the frame it is attributed to and
/// the sender and receiver of that frame.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub stream: Option<u32>,
    pub frame: u64,
    pub addrs: Option<Addrs>,
    /// The frame matched the display filter.
    pub matched: bool,
}

/// The transaction pairing state (see the module doc).
#[derive(Debug)]
pub struct TransactionTable {
    /// Rows in order of first frame, from the oldest not yet emitted.
    waiting: VecDeque<Transaction>,
    /// Sequence number of `waiting[0]`.
    base: u64,
    /// Request frame -> sequence number of the oldest unanswered request
    /// attributed to it, and how many there are (a pipelining client can
    /// complete several requests in one segment).
    open: FxHashMap<u64, (u64, u32)>,
    /// Frames carrying bytes of a message not finished yet -> where they
    /// came from.
    continuing: FxHashMap<u64, Origin>,
    max_waiting: usize,
    /// Rows emitted without their response because the queue was full.
    evicted: u64,
    /// Keep only rows with a matching frame.
    filtered: bool,
}

impl Default for TransactionTable {
    fn default() -> Self {
        Self::new()
    }
}

impl TransactionTable {
    pub fn new() -> Self {
        Self::with_cap(MAX_WAITING)
    }

    /// A table holding back at most `max_waiting` rows (at least 1).
    pub fn with_cap(max_waiting: usize) -> Self {
        TransactionTable {
            waiting: VecDeque::new(),
            base: 0,
            open: FxHashMap::default(),
            continuing: FxHashMap::default(),
            max_waiting: max_waiting.max(1),
            evicted: 0,
            filtered: false,
        }
    }

    /// Rows are kept only when one of their frames matched
    /// ([`Origin::matched`]).
    pub fn filtered(mut self, on: bool) -> Self {
        self.filtered = on;
        self
    }

    /// Rows emitted early, without the response they were waiting for.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Rows held back right now.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Frames of unfinished messages remembered right now.
    pub fn continuing(&self) -> usize {
        self.continuing.len()
    }

    /// Whether a packet can matter here: it completes messages or carries
    /// bytes of one (callers skip the display filter for the others).
    pub fn wants(pkt: &Packet) -> bool {
        pkt.app
            .as_deref()
            .is_some_and(|a| a.pdu_continues || !a.messages.is_empty() || !a.reset.is_empty())
    }

    /// The HTTP/HTCPCP messages of one packet. `matched`: the packet passed
    /// the display filter (true without one).
    pub fn add_packet<F: FnMut(Transaction)>(&mut self, pkt: &Packet, matched: bool, mut emit: F) {
        let Some(app) = pkt.app.as_deref() else {
            return;
        };
        let Some(stream) = pkt.tcp.map(|t| t.stream) else {
            return;
        };
        let addrs = match (&pkt.decoded.net, &pkt.decoded.transport) {
            (Some(net), Some(TransportSlice::Tcp(tcp))) => {
                let (src, dst) = endpoints(net, tcp.source_port(), tcp.destination_port());
                Some((src, dst, matches!(net, LaxNetSlice::Ipv6(_))))
            }
            _ => None,
        };
        let origin = Origin {
            stream: Some(stream),
            frame: pkt.frame.number,
            addrs,
            matched,
        };
        self.add_frame(origin, &app.messages, app.pdu_continues, &mut emit);
        self.add_frame(origin, &app.reset, false, &mut emit);
    }

    /// The messages attributed to one frame ([`Origin`]; TLS records are
    /// ignored); `continues`: the frame also carries bytes of a message
    /// finished later ([`crate::dissect::stream::AppFrame::pdu_continues`]).
    pub fn add_frame<F: FnMut(Transaction)>(
        &mut self,
        origin: Origin,
        pdus: &[Pdu],
        continues: bool,
        mut emit: F,
    ) {
        if continues && self.continuing.len() < MAX_CONTINUING {
            self.continuing.insert(origin.frame, origin);
        }
        for pdu in pdus {
            if !self.continuing.is_empty() {
                for (frame, _) in &pdu.segments {
                    self.continuing.remove(frame);
                }
            }
            if let PduBody::Http(http) = &pdu.body {
                self.add_message(origin, http, &mut emit);
            }
        }
    }

    /// The messages the dissector still held at the end of the capture,
    /// then every row still waiting, in order.
    pub fn finish<F: FnMut(Transaction)>(
        mut self,
        unfinished: impl IntoIterator<Item = Pdu>,
        mut emit: F,
    ) {
        for pdu in unfinished {
            let PduBody::Http(http) = &pdu.body else {
                continue;
            };
            let frame = pdu.segments.last().map_or(0, |s| s.0);
            let mut origin = Origin {
                stream: None,
                frame,
                addrs: None,
                matched: false,
            };
            for (f, _) in &pdu.segments {
                if let Some(o) = self.continuing.remove(f) {
                    origin.stream = o.stream;
                    origin.addrs = o.addrs;
                    origin.matched |= o.matched;
                }
            }
            self.add_message(origin, http, &mut emit);
        }
        self.open.clear();
        // What was held back, in order of first frame (a message cut off by
        // the end of the capture came last but may have started earlier).
        let mut rest: Vec<Transaction> = self.waiting.drain(..).collect();
        rest.sort_by_key(Transaction::first_frame);
        for row in rest {
            self.emit(row, &mut emit);
        }
    }

    fn add_message<F: FnMut(Transaction)>(&mut self, origin: Origin, pdu: &HttpPdu, emit: &mut F) {
        let msg = &pdu.message;
        match &msg.start_line {
            StartLine::Request {
                method,
                target,
                version,
            } => {
                let request = RequestPart {
                    frame: origin.frame,
                    method: method.clone(),
                    uri: target.clone(),
                    version: Some(*version),
                    if_none_match: header(msg, "If-None-Match"),
                    if_modified_since: header(msg, "If-Modified-Since"),
                    complete: msg.complete,
                };
                let (client, server, v6) = match origin.addrs {
                    Some((src, dst, v6)) => (Some(src), Some(dst), v6),
                    None => (None, None, false),
                };
                let seq = self.base + self.waiting.len() as u64;
                self.open
                    .entry(origin.frame)
                    .and_modify(|e| e.1 += 1)
                    .or_insert((seq, 1));
                self.push(
                    Transaction {
                        stream: origin.stream,
                        protocol: pdu.protocol,
                        decrypted: pdu.decrypted,
                        client,
                        server,
                        v6,
                        request: Some(request),
                        response: None,
                        matched: origin.matched,
                    },
                    emit,
                );
            }
            StartLine::Response { .. } | StartLine::None => {
                let mut response = response_part(origin.frame, msg, pdu.request.as_ref());
                if pdu.reset_in.is_some() {
                    // Cut off by a RST: attributed to no frame, as tshark.
                    response.frame = 0;
                    response.reset_in = pdu.reset_in;
                }
                let waiting = pdu
                    .request
                    .as_ref()
                    .and_then(|r| self.take_open(r.frame))
                    .and_then(|seq| seq.checked_sub(self.base))
                    .and_then(|i| self.waiting.get_mut(i as usize));
                if let Some(row) = waiting {
                    row.response = Some(response);
                    row.matched |= origin.matched;
                    if row.stream.is_none() {
                        row.stream = origin.stream;
                    }
                    if row.client.is_none() {
                        if let Some((src, dst, v6)) = origin.addrs {
                            (row.client, row.server, row.v6) = (Some(dst), Some(src), v6);
                        }
                    }
                    self.drain(emit);
                } else {
                    let (client, server, v6) = match origin.addrs {
                        Some((src, dst, v6)) => (Some(dst), Some(src), v6),
                        None => (None, None, false),
                    };
                    let request = pdu.request.as_ref().map(|r| RequestPart {
                        frame: r.frame,
                        method: r.method.clone(),
                        uri: r.uri.clone(),
                        version: None,
                        if_none_match: r.if_none_match.clone(),
                        if_modified_since: r.if_modified_since.clone(),
                        complete: true,
                    });
                    self.push(
                        Transaction {
                            stream: origin.stream,
                            protocol: pdu.protocol,
                            decrypted: pdu.decrypted,
                            client,
                            server,
                            v6,
                            request,
                            response: Some(response),
                            matched: origin.matched,
                        },
                        emit,
                    );
                }
            }
            // Undissectable data is no transaction.
            StartLine::Invalid(_) => {}
        }
    }

    /// Appends a row, then emits what is ready and, past the cap, the oldest.
    fn push<F: FnMut(Transaction)>(&mut self, row: Transaction, emit: &mut F) {
        self.waiting.push_back(row);
        while self.waiting.len() > self.max_waiting {
            let row = self.pop_front();
            if row.response.is_none() && row.request.is_some() {
                self.evicted += 1;
            }
            self.emit(row, emit);
        }
        self.drain(emit);
    }

    /// Emits the finished rows at the front.
    fn drain<F: FnMut(Transaction)>(&mut self, emit: &mut F) {
        while self
            .waiting
            .front()
            .is_some_and(|r| r.response.is_some() || r.request.is_none())
        {
            let row = self.pop_front();
            self.emit(row, emit);
        }
    }

    fn pop_front(&mut self) -> Transaction {
        if let Some(row) = self.waiting.front() {
            if let (Some(req), None) = (&row.request, &row.response) {
                // The oldest row of its frame, so the one `open` points at.
                let frame = req.frame;
                self.take_open(frame);
            }
        }
        let row = self.waiting.pop_front().expect("a row waits");
        self.base += 1;
        row
    }

    /// Removes and returns the oldest unanswered request of a frame,
    /// pointing the frame at the next one when there are several.
    fn take_open(&mut self, frame: u64) -> Option<u64> {
        let (seq, count) = self.open.remove(&frame)?;
        if count > 1 {
            let from = (seq + 1).saturating_sub(self.base) as usize;
            let next = self.waiting.iter().skip(from).position(|r| {
                r.response.is_none() && r.request.as_ref().is_some_and(|q| q.frame == frame)
            });
            if let Some(i) = next {
                self.open
                    .insert(frame, (self.base + (from + i) as u64, count - 1));
            }
        }
        Some(seq)
    }

    fn emit<F: FnMut(Transaction)>(&self, row: Transaction, emit: &mut F) {
        if row.matched || !self.filtered {
            emit(row);
        }
    }
}

fn header(msg: &Message, name: &str) -> Option<String> {
    msg.header_str(name).map(|v| v.trim().to_string())
}

fn response_part(frame: u64, msg: &Message, request: Option<&RequestRef>) -> ResponsePart {
    let (version, code, reason) = match &msg.start_line {
        StartLine::Response {
            version,
            code,
            reason,
        } => (Some(*version), Some(*code), reason.clone()),
        _ => (None, None, String::new()),
    };
    ResponsePart {
        frame,
        version,
        code,
        reason,
        content_type: header(msg, "Content-Type"),
        body_len: msg.body_len,
        time_nanos: request.map(|r| r.elapsed_nanos),
        complete: msg.complete,
        reset_in: None,
        upgrade: code
            .filter(|&c| c == 101)
            .and_then(|_| header(msg, "Upgrade")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
        let ok =
            |frame, uri| response(Http, Some(200), "OK", &[], b"ab", Some((frame, "GET", uri)));
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
}
