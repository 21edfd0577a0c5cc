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
pub(crate) mod tests;
