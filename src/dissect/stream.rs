//! The application layer of the one pass: TCP segments in (capture order),
//! per frame what HTTP, HTCPCP and TLS say about it out.
//!
//! # Contract
//!
//! [`StreamDissector::process`] is called once per TCP segment, after the
//! flow table gave it its `tcp.stream`. Per stream it keeps one
//! [`Reassembler`] and one parser ([`MessageParser`] or [`RecordParser`])
//! per direction, decides the protocol by content ([`super::detect`], ports
//! are only hints; `--decode-as` rules override), and returns an
//! [`AppFrame`] for every segment that carries data of a dissected stream
//! (or ends one with FIN/RST):
//!
//! - a message is attributed to the frame whose segment completes it, as
//!   Wireshark does: it is in that frame's [`AppFrame::messages`], with the
//!   frames of all its segments ([`Pdu::segments`]);
//! - a frame whose bytes belong to a message completed later, and that
//!   completes none, has [`AppFrame::pdu_continues`] set: the packet list
//!   shows `[TCP segment of a reassembled PDU]` with Protocol `TCP`;
//! - [`AppFrame::protocol`] and [`AppFrame::info`] are the Protocol and Info
//!   columns exactly as tshark 4.0 fills them (see `column_rules` below).
//!
//! Memory is bounded per stream by the reassembler's and parsers' caps;
//! the state of a stream is released once both directions ended and every
//! message came out (a few released states are kept, emptied, for new
//! streams to reuse their buffers).
//!
//! [`Reassembler`]: crate::flow::reassembly::Reassembler
//! [`MessageParser`]: super::http::MessageParser
//! [`RecordParser`]: super::tls::RecordParser

use super::htcpcp::Htcpcp;
use super::http::Message;
use super::tls::Record;
use super::Protocol;
use std::cell::OnceCell;

/// What the application layer says about one frame.
#[derive(Debug, Clone, Default)]
pub struct AppFrame {
    /// The Protocol column (`HTTP`, `HTTP/JSON`, `HTCPCP`, `TLSv1.3`), or
    /// `None` to keep `TCP`. Always one of a few names: no string per frame.
    pub protocol: Option<&'static str>,
    /// The Info column's text when the application layer sets it (`GET /
    /// HTTP/1.1 `, `Client Hello`); `None` keeps TCP's text.
    pub info: Option<String>,
    /// The frame carries bytes of a message completed in a later frame and
    /// completes none itself: Info gets ` [TCP segment of a reassembled PDU]`.
    pub pdu_continues: bool,
    /// Messages (PDUs) completed in this frame, in stream order.
    pub messages: Vec<Pdu>,
}

/// One application message and where it came from.
#[derive(Debug, Clone)]
pub struct Pdu {
    /// The frames whose segments carried its bytes, in stream order, with
    /// the number of bytes each contributed (Wireshark's
    /// `[N Reassembled TCP Segments (...): #a(x), #b(y)]`).
    pub segments: Vec<(u64, u32)>,
    /// 0 when sent by the side that sent the stream's first packet (usually
    /// the client), 1 otherwise.
    pub direction: u8,
    pub body: PduBody,
}

/// The message itself.
#[derive(Debug, Clone)]
pub enum PduBody {
    /// An HTTP or HTCPCP message (`protocol` says which).
    Http(Box<HttpPdu>),
    /// One TLS record.
    Tls(Box<Record>),
}

/// An HTTP or HTCPCP message with what its stream tells about it.
#[derive(Debug, Clone)]
pub struct HttpPdu {
    /// [`Protocol::Http`] or [`Protocol::Htcpcp`].
    pub protocol: Protocol,
    pub message: Message,
    /// The HTCPCP view, read on first use ([`HttpPdu::htcpcp`]): most jobs
    /// never look at it, and reading it (schemes, additions, the JSON body)
    /// costs more than parsing the message.
    /// Boxed: the view is large, and an `HttpPdu` is moved as it is built.
    htcpcp_view: OnceCell<Option<Box<Htcpcp>>>,
    /// 1-based position among the requests (or among the responses) of its
    /// stream: Wireshark's `[HTTP request 1/2]`.
    pub index: u32,
    /// On a response: the request it answers (the oldest unanswered one).
    pub request: Option<RequestRef>,
    /// `http.request.full_uri` on a request, its request's on a response
    /// (`http.response_for.uri`).
    pub full_uri: Option<String>,
    /// The frame of the stream's previous request (on a request) or response
    /// (on a response): `http.prev_request_in` / `http.prev_response_in`.
    pub prev_in: Option<u64>,
    /// Decrypted from TLS with a key log (HTTPS).
    pub decrypted: bool,
}

impl HttpPdu {
    /// A message of `protocol` with what its stream told about it.
    pub fn new(
        protocol: Protocol,
        message: Message,
        index: u32,
        request: Option<RequestRef>,
        full_uri: Option<String>,
        prev_in: Option<u64>,
    ) -> Self {
        HttpPdu {
            protocol,
            message,
            htcpcp_view: OnceCell::new(),
            index,
            request,
            full_uri,
            prev_in,
            decrypted: false,
        }
    }

    /// The HTCPCP view of an HTCPCP message ([`htcpcp::interpret`]).
    pub fn htcpcp(&self) -> Option<&Htcpcp> {
        self.htcpcp_view
            .get_or_init(|| {
                (self.protocol == Protocol::Htcpcp)
                    .then(|| htcpcp::interpret(&self.message))
                    .flatten()
                    .map(Box::new)
            })
            .as_deref()
    }
}

/// The request a response answers (`http.request_in`, `http.time`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRef {
    /// The frame the request was attributed to.
    pub frame: u64,
    pub method: String,
    /// The request target as sent.
    pub uri: String,
    /// Capture time of the request's frame, nanoseconds since the epoch.
    pub time_nanos: i128,
    /// Seconds between the request and this response (`http.time`), in
    /// nanoseconds.
    pub elapsed_nanos: i128,
    /// `http://` + Host + target (`http.request.full_uri`).
    pub full_uri: Option<String>,
    /// The request's `If-None-Match` and `If-Modified-Since`, which explain a
    /// 304.
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
}

use super::decrypted::Decrypted;
use super::http::{MessageParser, Role, StartLine, Wait};
use super::tls::{KeyLog, RecordParser};
use super::{detect, htcpcp, tls};
use crate::flow::reassembly::{Event, Reassembler, Segment};
use crate::flow::Endpoint;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::Arc;

/// Bytes of a direction held while its protocol is not known yet (its first
/// line is not complete, or it waits for the other direction to decide).
const MAX_UNDECIDED: usize = 4096;
/// Emptied stream states kept for reuse ([`StreamDissector::spare`]).
const MAX_SPARE: usize = 32;
/// Unanswered requests remembered per stream for pairing.
const MAX_UNANSWERED: usize = 1024;
/// The lab's coffee pot port: a hint that HTTP-looking requests there are
/// HTCPCP (the lab's bad-scheme test sends `GET caffeine://ducky`).
pub const POT_PORT: u16 = 5030;

/// `--decode-as tcp.port==N,PROTO`: a port whose streams are dissected as
/// `protocol` whatever their content (`None`: never dissected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeAs {
    pub port: u16,
    pub protocol: Option<Protocol>,
}

impl DecodeAs {
    /// Wireshark's `-d` syntax: `tcp.port==N,PROTO` (spaces allowed around
    /// `==`), PROTO one of `http`, `htcpcp`, `tls` (or `ssl`), `data` (or
    /// `tcp`: not dissected).
    pub fn parse(rule: &str) -> Result<DecodeAs, String> {
        let bad = |why: &str| {
            format!("bad --decode-as {rule:?}: {why} (expected tcp.port==N,PROTO, PROTO one of http, htcpcp, tls, data)")
        };
        let (selector, proto) = rule.split_once(',').ok_or_else(|| bad("no ','"))?;
        let (field, port) = selector.split_once("==").ok_or_else(|| bad("no '=='"))?;
        if field.trim() != "tcp.port" {
            return Err(bad("only tcp.port is supported"));
        }
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| bad("the port is not a number from 0 to 65535"))?;
        let protocol = match proto.trim().to_ascii_lowercase().as_str() {
            "http" => Some(Protocol::Http),
            "htcpcp" => Some(Protocol::Htcpcp),
            "tls" | "ssl" => Some(Protocol::Tls),
            "data" | "tcp" => None,
            _ => return Err(bad("unknown protocol")),
        };
        Ok(DecodeAs { port, protocol })
    }
}

/// One TCP segment as the application layer needs it.
#[derive(Debug, Clone, Copy)]
pub struct SegmentIn<'a> {
    pub frame: u64,
    /// Capture time, nanoseconds since the epoch.
    pub time_nanos: i128,
    pub stream: u32,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// Relative sequence number (only differences matter).
    pub seq: u32,
    /// Relative acknowledgement number, when the ACK flag is set.
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    /// Payload bytes the capture did not keep (snapshot length).
    pub uncaptured: u32,
}

/// The application layer's state over a whole capture (see the module doc).
#[derive(Default)]
pub struct StreamDissector {
    /// Boxed: a state is large, and the map only moves the pointer.
    streams: FxHashMap<u32, Box<StreamState>>,
    /// States of ended streams, emptied, for new streams to take: they keep
    /// their buffers and parser boxes (most streams carry one request and
    /// one response, so allocating them per stream was a large part of the
    /// cost). At most [`MAX_SPARE`]. Boxes: a state moves between the map
    /// and this list as a pointer.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<StreamState>>,
    decode_as: Vec<DecodeAs>,
    /// [`StreamDissector::set_columns`] turned off.
    no_columns: bool,
    /// The messages parsed during one segment: kept between segments so
    /// that its buffer is allocated once.
    parsed: Vec<(usize, Parsed)>,
    /// The reassembly events of one segment that are not fed straight to
    /// its parser (a FIN, mostly): kept for the same reason.
    events: Vec<OwnedEvent>,
    /// The key log (`-o tls.keylog_file:`): TLS streams are decrypted.
    keylog: Option<Arc<KeyLog>>,
    /// A port taken as the pot's besides [`POT_PORT`]
    /// ([`StreamDissector::set_pot_port`]).
    other_pot_port: Option<u16>,
    /// Messages decrypted from TLS that were still unfinished when their
    /// stream ended (a body running to the close): tshark never shows them
    /// in a frame, as TLS does not see the FIN; they come out with
    /// [`StreamDissector::finish`], attributed to no frame.
    ended_unfinished: Vec<Pdu>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Undecided,
    /// Not HTTP, HTCPCP or TLS: shown as TCP.
    Plain,
    Proto(Protocol),
}

enum Parser {
    /// Protocol not known yet: bytes are held.
    Undecided,
    Plain,
    Http(Box<MessageParser>),
    Tls(RecordParser),
}

struct Dir {
    reasm: Reassembler,
    parser: Parser,
    role: Option<Role>,
    /// Bytes delivered while undecided, from stream offset 0.
    held: Vec<u8>,
    /// Delivered data not yet wholly inside emitted messages:
    /// (start offset, end offset, frame).
    spans: VecDeque<(u64, u64, u64)>,
    /// End of the last emitted message (TLS: where the next record starts).
    emitted_to: u64,
    /// The previous frame left the parser waiting for "one more segment"
    /// (an incomplete head, or chunks): Wireshark re-dissects the message
    /// from its start with the next segment, and the Info shows its first
    /// line again.
    redissect: bool,
    /// Messages emitted so far (`[HTTP request N/..]`).
    count: u32,
    /// Data was seen in this direction.
    started: bool,
    ended: bool,
    /// The HTTP parser box of an earlier stream, for this direction's
    /// parser to reuse.
    spare_parser: Option<Box<MessageParser>>,
}

impl Dir {
    fn new() -> Self {
        Dir {
            reasm: Reassembler::default(),
            parser: Parser::Undecided,
            role: None,
            held: Vec::new(),
            spans: VecDeque::new(),
            emitted_to: 0,
            redissect: false,
            count: 0,
            started: false,
            ended: false,
            spare_parser: None,
        }
    }

    /// Back to [`Dir::new`]'s state, keeping the buffers' capacity and the
    /// parser's box.
    fn reset(&mut self) {
        // Field by field: a whole new `Dir` moved in cost more.
        if let Parser::Http(p) = std::mem::replace(&mut self.parser, Parser::Undecided) {
            self.spare_parser = Some(p);
        }
        self.reasm = Reassembler::default();
        self.role = None;
        self.held.clear();
        self.spans.clear();
        self.emitted_to = 0;
        self.redissect = false;
        self.count = 0;
        self.started = false;
        self.ended = false;
    }
}

struct StreamState {
    first_src: Endpoint,
    /// One end is the lab's pot port ([`POT_PORT`]).
    pot_port: bool,
    decision: Decision,
    dirs: [Dir; 2],
    unanswered: VecDeque<RequestRef>,
    /// The TLS version the ServerHello chose, once seen.
    tls_version: Option<u16>,
    /// Frames of the stream's latest request and response.
    last_request: Option<u64>,
    last_response: Option<u64>,
    keylog: Option<Arc<KeyLog>>,
    /// A TLS stream with a key log: the session and the HTTP inside.
    decrypted: Option<Box<Decrypted>>,
}

/// A message parsed during the current frame, before it becomes a [`Pdu`].
enum Parsed {
    /// Boxed as it comes out of the parser, with what the stream tells about
    /// it still to fill in ([`StreamState::finish_parsed`]): the message is
    /// moved once, not at each step.
    Http(Box<HttpPdu>),
    Tls(Record),
}

impl Parsed {
    fn http(m: Message) -> Parsed {
        Parsed::Http(Box::new(HttpPdu::new(
            Protocol::Http,
            m,
            0,
            None,
            None,
            None,
        )))
    }
}

impl StreamDissector {
    pub fn new() -> Self {
        Self::default()
    }

    /// With `--decode-as` rules.
    pub fn with_decode_as(rules: Vec<DecodeAs>) -> Self {
        StreamDissector {
            decode_as: rules,
            ..Self::default()
        }
    }

    /// Whether to fill the Protocol and Info columns ([`AppFrame::protocol`],
    /// [`AppFrame::info`]); on by default. Jobs that only read the messages
    /// (the transactions table) turn it off: the frames and their
    /// [`AppFrame::messages`] and [`AppFrame::pdu_continues`] stay the same,
    /// `protocol` and `info` are `None`.
    pub fn set_columns(&mut self, on: bool) {
        self.no_columns = !on;
    }

    /// Decrypt TLS streams with the secrets of `keylog` ([`Decrypted`]).
    pub fn set_keylog(&mut self, keylog: Option<Arc<KeyLog>>) {
        self.keylog = keylog;
    }

    /// Take `port` as the pot's too (the report, when it found the pot on
    /// another port): HTTP-looking requests there are HTCPCP, as on
    /// [`POT_PORT`], so the lab's `GET caffeine://ducky` reads the same.
    pub fn set_pot_port(&mut self, port: u16) {
        self.other_pot_port = (port != POT_PORT).then_some(port);
    }

    /// Streams whose state is held now.
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// One TCP segment in capture order; what the application layer says
    /// about its frame, if anything.
    pub fn process(&mut self, seg: &SegmentIn<'_>) -> Option<Box<AppFrame>> {
        use std::collections::hash_map::Entry;
        let st = match self.streams.entry(seg.stream) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(_) if seg.payload.is_empty() && !seg.syn => return None,
            Entry::Vacant(e) => {
                let spare = self.spare.pop();
                let forced = self
                    .decode_as
                    .iter()
                    .find(|r| r.port == seg.src.port || r.port == seg.dst.port)
                    .map(|r| r.protocol);
                let decision = match forced {
                    Some(Some(p)) => Decision::Proto(p),
                    Some(None) => Decision::Plain,
                    None => Decision::Undecided,
                };
                let first_src = seg.src;
                let is_pot = |p: u16| p == POT_PORT || Some(p) == self.other_pot_port;
                let pot_port = is_pot(seg.src.port) || is_pot(seg.dst.port);
                let mut st = match spare {
                    Some(mut st) => {
                        st.reuse(first_src, pot_port);
                        st.keylog.clone_from(&self.keylog);
                        st
                    }
                    None => Box::new(StreamState {
                        first_src,
                        pot_port,
                        decision: Decision::Undecided,
                        dirs: [Dir::new(), Dir::new()],
                        unanswered: VecDeque::new(),
                        tls_version: None,
                        last_request: None,
                        last_response: None,
                        keylog: self.keylog.clone(),
                        decrypted: None,
                    }),
                };
                if decision != Decision::Undecided {
                    st.decide(decision);
                }
                e.insert(st)
            }
        };
        let frame = st.segment(seg, &mut self.parsed, &mut self.events, !self.no_columns);
        if st.dirs.iter().all(|d| d.ended) {
            if let Some(mut st) = self.streams.remove(&seg.stream) {
                if st.decrypted.is_some() {
                    let mut parsed = Vec::new();
                    st.end_decrypted(&mut parsed);
                    st.finish_parsed(&mut parsed, 0, seg.time_nanos, &mut self.ended_unfinished);
                }
                if self.spare.len() < MAX_SPARE {
                    self.spare.push(st);
                }
            }
        }
        frame
    }

    /// The end of the capture: every stream's unfinished messages (holes
    /// skipped, unfinished heads and bodies flagged), attributed to no frame.
    pub fn finish(&mut self) -> Vec<Pdu> {
        let mut streams: Vec<(u32, Box<StreamState>)> = self.streams.drain().collect();
        streams.sort_by_key(|(id, _)| *id);
        let mut out = std::mem::take(&mut self.ended_unfinished);
        for (_, mut st) in streams {
            let mut parsed = Vec::new();
            for d in 0..2 {
                let dir = &mut st.dirs[d];
                let mut events = Vec::new();
                dir.reasm.flush(u64::MAX, |e| events.push(owned(e)));
                for e in events {
                    st.apply(d, e, 0, &mut parsed);
                }
                st.end(d, &mut parsed);
            }
            st.decrypt(&mut parsed);
            st.end_decrypted(&mut parsed);
            st.finish_parsed(&mut parsed, 0, 0, &mut out);
        }
        out
    }
}

/// A reassembly event with its bytes owned (events of a flush outlive the
/// reassembler's borrow).
enum OwnedEvent {
    Data {
        offset: u64,
        data: Vec<u8>,
        frame: u64,
    },
    Gap(u64),
    Fin,
    Other,
}

fn owned(e: Event<'_>) -> OwnedEvent {
    match e {
        Event::Data {
            offset,
            data,
            frame,
        } => OwnedEvent::Data {
            offset,
            data: data.to_vec(),
            frame,
        },
        Event::Gap { len, .. } | Event::Uncaptured { len, .. } => OwnedEvent::Gap(len),
        Event::Fin { .. } => OwnedEvent::Fin,
        Event::Overflow { .. } | Event::DataAfterFin { .. } => OwnedEvent::Other,
    }
}

impl StreamState {
    /// An ended stream's state made new for another stream (first packet
    /// from `first_src`), keeping its allocations.
    fn reuse(&mut self, first_src: Endpoint, pot_port: bool) {
        for dir in &mut self.dirs {
            dir.reset();
        }
        self.unanswered.clear();
        self.first_src = first_src;
        self.pot_port = pot_port;
        self.decision = Decision::Undecided;
        self.tls_version = None;
        self.last_request = None;
        self.last_response = None;
        self.decrypted = None;
    }

    fn decide(&mut self, decision: Decision) {
        self.decision = decision;
        for d in 0..2 {
            if matches!(self.dirs[d].parser, Parser::Undecided) {
                self.instantiate(d);
            }
        }
    }

    /// Gives direction `d` its parser once the stream's protocol is known,
    /// and replays what it held.
    fn instantiate(&mut self, d: usize) {
        let other_role = self.dirs[1 - d].role;
        let dir = &mut self.dirs[d];
        let role = dir.role.unwrap_or(match other_role {
            Some(Role::Request) => Role::Response,
            Some(Role::Response) => Role::Request,
            None if d == 0 => Role::Request,
            None => Role::Response,
        });
        dir.role = Some(role);
        dir.parser = match self.decision {
            Decision::Undecided => return,
            Decision::Plain => Parser::Plain,
            Decision::Proto(Protocol::Tls) => {
                if let (None, Some(k)) = (&self.decrypted, &self.keylog) {
                    self.decrypted = Some(Box::new(Decrypted::new(k.clone())));
                }
                Parser::Tls(RecordParser::new())
            }
            Decision::Proto(p) => {
                let htcpcp = p == Protocol::Htcpcp;
                Parser::Http(match dir.spare_parser.take() {
                    Some(mut b) => {
                        b.reset(htcpcp, role);
                        b
                    }
                    None => Box::new(MessageParser::new(htcpcp, role)),
                })
            }
        };
    }

    /// One segment of this stream. `parsed` and `events` are empty scratch
    /// buffers (left empty); `columns`: fill the Protocol and Info columns.
    fn segment(
        &mut self,
        seg: &SegmentIn<'_>,
        parsed: &mut Vec<(usize, Parsed)>,
        events: &mut Vec<OwnedEvent>,
        columns: bool,
    ) -> Option<Box<AppFrame>> {
        let d = usize::from(seg.src != self.first_src);
        let frame = seg.frame;
        // Fast path: a pure ACK changes nothing unless it acknowledges data
        // held behind a hole (most packets of a capture are pure ACKs).
        let bare =
            seg.payload.is_empty() && seg.uncaptured == 0 && !seg.syn && !seg.fin && !seg.rst;
        if bare && (seg.ack.is_none() || self.dirs[1 - d].reasm.lowest_pending_seq().is_none()) {
            return None;
        }
        debug_assert!(parsed.is_empty());

        // The peer acknowledged data this stream holds behind a hole: the
        // hole was lost in the capture, not on the wire.
        // Whether anything reached a parser or changed its state (see the
        // early return below).
        let mut stirred = false;
        if let Some(ack) = seg.ack {
            let mut events = Vec::new();
            let other = &mut self.dirs[1 - d].reasm;
            while other
                .lowest_pending_seq()
                .is_some_and(|low| (ack.wrapping_sub(low) as i32) > 0)
            {
                other.skip_gap(frame, |e| events.push(owned(e)));
            }
            stirred = !events.is_empty();
            for e in events {
                self.apply_owned(1 - d, e, frame, parsed);
            }
        }

        // The peer (an HTCPCP pot) starts answering: a request that runs to
        // the end of the stream ends here, before this answer is parsed.
        if !seg.payload.is_empty() && !self.dirs[d].started {
            self.dirs[d].started = true;
            if self.dirs[1 - d].role == Some(Role::Request) {
                if let Parser::Http(p) = &mut self.dirs[1 - d].parser {
                    p.peer_answered(|m| parsed.push((1 - d, Parsed::http(m))));
                }
            }
        }

        // The first data of an undecided direction, in order and with a whole
        // first line (or TLS header): decided on the segment before the
        // reassembler delivers it, so that it goes straight to the new parser
        // below instead of being copied into an event first.
        let dir = &self.dirs[d];
        if matches!(dir.parser, Parser::Undecided)
            && !dir.ended
            && !seg.payload.is_empty()
            && dir.held.is_empty()
            && dir.spans.is_empty()
            && dir.reasm.offset() == 0
            && dir.reasm.lowest_pending_seq().is_none()
            && dir
                .reasm
                .next_seq()
                .map_or(true, |n| n == seg.seq.wrapping_add(u32::from(seg.syn)))
        {
            if let Some((p, line)) = decisive_with_line(seg.payload) {
                stirred = true;
                self.settle(d, p, seg.payload);
                if let (Parser::Http(parser), Some((nl, line))) = (&mut self.dirs[d].parser, line) {
                    parser.read_ahead(nl, line);
                }
                self.replay_held(parsed);
            }
        }

        let mut first_offset: Option<u64> = None;
        debug_assert!(events.is_empty());
        {
            // In-order data of a direction whose protocol is known goes
            // straight to its parser, without a copy; anything else (holes,
            // FIN, undecided directions) is applied below, in order.
            let Dir {
                reasm,
                parser,
                spans,
                ..
            } = &mut self.dirs[d];
            reasm.push(
                Segment {
                    seq: seg.seq,
                    data: seg.payload,
                    frame,
                    syn: seg.syn,
                    fin: seg.fin,
                    uncaptured: seg.uncaptured,
                },
                |e| match e {
                    Event::Data {
                        offset,
                        data,
                        frame: f,
                    } if events.is_empty()
                        && matches!(parser, Parser::Http(_) | Parser::Tls(_)) =>
                    {
                        if f == frame && first_offset.is_none() {
                            first_offset = Some(offset);
                        }
                        stirred = true;
                        spans.push_back((offset, offset + data.len() as u64, f));
                        match parser {
                            Parser::Http(p) => p.push(data, |m| parsed.push((d, Parsed::http(m)))),
                            Parser::Tls(p) => p.push(data, |r| parsed.push((d, Parsed::Tls(r)))),
                            Parser::Undecided | Parser::Plain => {}
                        }
                    }
                    e => events.push(owned(e)),
                },
            );
        }
        stirred |= !events.is_empty();
        for e in events.drain(..) {
            if let OwnedEvent::Data {
                offset, frame: f, ..
            } = &e
            {
                if *f == frame && first_offset.is_none() {
                    first_offset = Some(*offset);
                }
            }
            self.apply_owned(d, e, frame, parsed);
        }
        // The lab's web app sends BREW with no Content-Length: its body is
        // what came with the head, as the lab's pot reads it.
        if let Parser::Http(p) = &mut self.dirs[d].parser {
            if p.pending().is_some_and(|pd| {
                pd.wait == Wait::Close
                    && pd.body_len > 0
                    && pd.message.is_some_and(Message::is_request)
            }) {
                p.peer_answered(|m| parsed.push((d, Parsed::http(m))));
            }
        }
        // On HTTP streams, non-HTTP data is shown frame by frame
        // ("Continuation"), not held to the end of the stream.
        if self.decision == Decision::Proto(Protocol::Http) {
            if let Parser::Http(p) = &mut self.dirs[d].parser {
                p.cut_opaque(|m| parsed.push((d, Parsed::http(m))));
            }
        }
        if seg.rst {
            for dd in 0..2 {
                self.end(dd, parsed);
            }
        }
        self.decrypt(parsed);
        // Nothing reached a parser and nothing came out (a SYN, a
        // retransmission): the frame says nothing (no message, no bytes of
        // one), and the spans were tidied after the last change.
        if !stirred && parsed.is_empty() && !seg.rst {
            return None;
        }

        let mut pdus = Vec::with_capacity(parsed.len());
        let protocol = self.column_protocol(parsed, columns);
        self.finish_parsed(parsed, frame, seg.time_nanos, &mut pdus);
        let frame_out = self.frame_columns(d, first_offset, pdus, protocol, columns);
        // Spans behind everything still pending are done with.
        for (d, dir) in self.dirs.iter_mut().enumerate() {
            let keep_from = match &dir.parser {
                Parser::Http(p) => p.pending().map_or(p.offset(), |pd| pd.start),
                _ => dir.emitted_to,
            };
            let keep_from = match self.decrypted.as_mut() {
                Some(dec) => dec.keep_from(d).map_or(keep_from, |k| k.min(keep_from)),
                None => keep_from,
            };
            while dir.spans.front().is_some_and(|s| s.1 <= keep_from) {
                dir.spans.pop_front();
            }
        }
        frame_out
    }

    fn apply_owned(
        &mut self,
        d: usize,
        e: OwnedEvent,
        frame: u64,
        parsed: &mut Vec<(usize, Parsed)>,
    ) {
        self.apply(d, e, frame, parsed);
    }

    /// Feeds one reassembly event of direction `d` to its parser.
    fn apply(&mut self, d: usize, e: OwnedEvent, _frame: u64, parsed: &mut Vec<(usize, Parsed)>) {
        match e {
            OwnedEvent::Data {
                offset,
                data,
                frame,
            } => {
                let end = offset + data.len() as u64;
                self.dirs[d].spans.push_back((offset, end, frame));
                if matches!(self.dirs[d].parser, Parser::Undecided) {
                    // The common case, a whole first line in the first
                    // segment, is decided on the segment itself, no copy.
                    if self.dirs[d].held.is_empty() && self.dirs[d].spans.len() == 1 {
                        if let Some(p) = decisive(&data) {
                            self.settle(d, p, &data);
                            self.replay_held(parsed);
                            self.feed(d, &data, parsed);
                            return;
                        }
                    }
                    self.hold(d, &data);
                    // Once decided, what either direction held (this chunk
                    // included) goes to its new parser.
                    self.replay_held(parsed);
                    return;
                }
                self.feed(d, &data, parsed);
            }
            OwnedEvent::Gap(len) => {
                let dir = &mut self.dirs[d];
                match &mut dir.parser {
                    Parser::Http(p) => p.gap(len, |m| parsed.push((d, Parsed::http(m)))),
                    Parser::Tls(p) => p.gap(len, |r| parsed.push((d, Parsed::Tls(r)))),
                    // A hole before the protocol is known: give up on this direction.
                    Parser::Undecided => {
                        dir.held.clear();
                        dir.parser = Parser::Plain;
                    }
                    Parser::Plain => {}
                }
            }
            OwnedEvent::Fin => self.end(d, parsed),
            OwnedEvent::Other => {}
        }
    }

    /// Bytes of an undecided direction: held until its first line (or TLS
    /// header) shows the protocol, or the other direction decides it.
    fn hold(&mut self, d: usize, data: &[u8]) {
        let dir = &mut self.dirs[d];
        let room = MAX_UNDECIDED.saturating_sub(dir.held.len());
        dir.held.extend_from_slice(&data[..data.len().min(room)]);
        let held = &dir.held;
        let detected = if tls::looks_like_record(held) {
            Some(Some(Protocol::Tls))
        } else if held.contains(&b'\n') {
            Some(detect(held))
        } else if held.len() >= MAX_UNDECIDED || data.len() > room {
            Some(None)
        } else {
            None
        };
        match detected {
            None => {}
            Some(Some(p)) => {
                let held = std::mem::take(&mut dir.held);
                self.settle(d, p, &held);
                self.dirs[d].held = held;
            }
            Some(None) => match self.decision {
                Decision::Undecided if data.len() > room || dir.held.len() >= MAX_UNDECIDED => {
                    dir.held.clear();
                    dir.parser = Parser::Plain;
                }
                // Wait for the other direction to decide.
                Decision::Undecided => {}
                _ => self.instantiate(d),
            },
        }
    }

    /// Direction `d`'s first bytes `first` say protocol `p`: its role, and
    /// the stream's protocol unless the other direction decided it.
    fn settle(&mut self, d: usize, mut p: Protocol, first: &[u8]) {
        if p == Protocol::Http && self.pot_port {
            p = Protocol::Htcpcp;
        }
        if p != Protocol::Tls {
            self.dirs[d].role = Some(if is_status_line(first) {
                Role::Response
            } else {
                Role::Request
            });
        }
        match self.decision {
            Decision::Undecided => self.decide(Decision::Proto(p)),
            _ => self.instantiate(d),
        }
    }

    fn replay_held(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        for d in 0..2 {
            if !matches!(self.dirs[d].parser, Parser::Undecided) && !self.dirs[d].held.is_empty() {
                let held = std::mem::take(&mut self.dirs[d].held);
                self.feed(d, &held, parsed);
            }
        }
    }

    fn feed(&mut self, d: usize, data: &[u8], parsed: &mut Vec<(usize, Parsed)>) {
        match &mut self.dirs[d].parser {
            Parser::Http(p) => p.push(data, |m| parsed.push((d, Parsed::http(m)))),
            Parser::Tls(p) => p.push(data, |r| parsed.push((d, Parsed::Tls(r)))),
            Parser::Undecided | Parser::Plain => {}
        }
    }

    /// Direction `d` ended (FIN, RST, end of capture).
    fn end(&mut self, d: usize, parsed: &mut Vec<(usize, Parsed)>) {
        let dir = &mut self.dirs[d];
        if dir.ended {
            return;
        }
        dir.ended = true;
        if matches!(dir.parser, Parser::Undecided) && !dir.held.is_empty() {
            // Never decided: the stream is what the other side made it, or
            // nothing.
            if self.decision == Decision::Undecided {
                self.dirs[d].parser = Parser::Plain;
            } else {
                self.instantiate(d);
                let held = std::mem::take(&mut self.dirs[d].held);
                self.feed(d, &held, parsed);
            }
        }
        match &mut self.dirs[d].parser {
            Parser::Http(p) => p.end_of_stream(|m| parsed.push((d, Parsed::http(m)))),
            Parser::Tls(p) => p.end_of_stream(|r| parsed.push((d, Parsed::Tls(r)))),
            Parser::Undecided | Parser::Plain => {}
        }
    }

    /// With a key log: decrypts the TLS records parsed in this frame, in
    /// place, and puts the HTTP/HTCPCP messages their data completed after
    /// them ([`Decrypted`]).
    fn decrypt(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        let Some(dec) = self.decrypted.as_mut() else {
            return;
        };
        let pot = self.pot_port;
        // In place: a record is decrypted where it lies, and the messages
        // its data completed (rarely more than one) go in right after it.
        let mut i = 0;
        while i < parsed.len() {
            let (d, p) = &mut parsed[i];
            let d = *d;
            i += 1;
            let Parsed::Tls(rec) = p else { continue };
            let mut msgs = Vec::new();
            rec.inner_http = dec.record(d, rec, pot, |m| msgs.push((d, Parsed::http(m))));
            if !msgs.is_empty() {
                let n = msgs.len();
                parsed.splice(i..i, msgs);
                i += n;
            }
        }
    }

    /// The end of a decrypted stream: the messages the inner parsers still
    /// hold (TLS sees no FIN: only the end of the stream ends them).
    fn end_decrypted(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        if let Some(dec) = self.decrypted.as_mut() {
            for d in 0..2 {
                dec.end(d, |m| parsed.push((d, Parsed::http(m))));
            }
        }
    }

    /// HTCPCP on an HTCPCP stream, or when the message says `HTCPCP/x.y`.
    fn message_protocol(&self, m: &Message) -> Protocol {
        let version = match &m.start_line {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => {
                Some(version)
            }
            _ => None,
        };
        if self.decision == Decision::Proto(Protocol::Htcpcp) || version.is_some_and(|v| v.htcpcp) {
            Protocol::Htcpcp
        } else {
            Protocol::Http
        }
    }

    /// The Protocol column for the TLS records completed in a frame (`None`
    /// without `columns` or records; the TLS version is noted either way).
    /// HTTP messages name it in [`messages_info`].
    fn column_protocol(
        &mut self,
        parsed: &[(usize, Parsed)],
        columns: bool,
    ) -> Option<&'static str> {
        // HTTP messages name the column as their Info piece is written
        // ([`messages_info`]): their media type is looked up once.
        let mut name: Option<&'static str> = None;
        let mut record_version = None;
        for (_, p) in parsed {
            match p {
                Parsed::Http(_) => {}
                Parsed::Tls(r) => {
                    if let Some(v) = r.selected_version() {
                        self.tls_version = Some(v);
                    }
                    record_version.get_or_insert(r.version);
                }
            }
        }
        if let Some(v) = record_version {
            let v = self.tls_version.unwrap_or(v);
            name = Some(tls_column_name(v));
        }
        name.filter(|_| columns)
    }

    /// Turns the messages parsed in a frame into [`Pdu`]s: frames of their
    /// segments, HTCPCP view, request/response pairing.
    /// `parsed` is left empty.
    fn finish_parsed(
        &mut self,
        parsed: &mut Vec<(usize, Parsed)>,
        frame: u64,
        now: i128,
        out: &mut Vec<Pdu>,
    ) {
        for (d, p) in parsed.drain(..) {
            let range = match &p {
                Parsed::Http(h) => h.message.range.clone(),
                Parsed::Tls(r) => r.range.clone(),
            };
            let dir = &mut self.dirs[d];
            dir.emitted_to = dir.emitted_to.max(range.end);
            let segments: Vec<(u64, u32)> = dir
                .spans
                .iter()
                .filter(|s| s.0 < range.end && s.1 > range.start)
                .map(|s| (s.2, (s.1.min(range.end) - s.0.max(range.start)) as u32))
                .collect();
            let direction = d as u8;
            let body = match p {
                Parsed::Tls(r) => PduBody::Tls(Box::new(r)),
                Parsed::Http(mut pdu) => {
                    dir.count += 1;
                    let index = dir.count;
                    let protocol = self.message_protocol(&pdu.message);
                    let message = &pdu.message;
                    let attributed = if frame > 0 {
                        frame
                    } else {
                        segments.last().map_or(0, |s| s.0)
                    };
                    let mut request = None;
                    let mut full_uri = None;
                    let prev_in;
                    match &message.start_line {
                        StartLine::Request { method, target, .. } => {
                            if let Parser::Http(resp) = &mut self.dirs[1 - d].parser {
                                resp.expect_response_to(method);
                            }
                            if let Some(dec) = self.decrypted.as_mut() {
                                dec.expect_response_to(d, method);
                            }
                            if self.unanswered.len() == MAX_UNANSWERED {
                                self.unanswered.pop_front();
                            }
                            let (if_none_match, if_modified_since) = conditionals(message);
                            full_uri = message.full_uri();
                            if self.decrypted.is_some() {
                                // Decrypted from TLS: Wireshark's scheme is https.
                                full_uri = full_uri.map(|u| match u.strip_prefix("http://") {
                                    Some(rest) => format!("https://{rest}"),
                                    None => u,
                                });
                            }
                            prev_in = self.last_request.replace(attributed);
                            self.unanswered.push_back(RequestRef {
                                frame: attributed,
                                method: method.clone(),
                                uri: target.clone(),
                                full_uri: full_uri.clone(),
                                time_nanos: now,
                                elapsed_nanos: 0,
                                if_none_match,
                                if_modified_since,
                            });
                        }
                        StartLine::Response { code, .. } if (100..200).contains(code) => {
                            request = self.unanswered.front().cloned();
                            prev_in = self.last_response.replace(attributed);
                        }
                        StartLine::Response { .. } | StartLine::None => {
                            request = self.unanswered.pop_front();
                            prev_in = self.last_response.replace(attributed);
                        }
                        StartLine::Invalid(_) => prev_in = None,
                    }
                    if let Some(r) = request.as_mut() {
                        r.elapsed_nanos = now - r.time_nanos;
                        full_uri.clone_from(&r.full_uri);
                    }
                    pdu.protocol = protocol;
                    pdu.index = index;
                    pdu.request = request;
                    pdu.full_uri = full_uri;
                    pdu.prev_in = prev_in;
                    pdu.decrypted = self.decrypted.is_some();
                    PduBody::Http(pdu)
                }
            };
            out.push(Pdu {
                segments,
                direction,
                body,
            });
        }
    }

    /// Protocol and Info of frame `frame` (direction `d`), tshark 4.0's way:
    ///
    /// - messages completed here: Protocol `HTTP`/`HTCPCP`/`TLSv1.x`; Info
    ///   the pieces of each (`GET / HTTP/1.1 `, `HTTP/1.1 200 OK  (text/html)`;
    ///   TLS records joined by `, `), then the first line of a message begun
    ///   here and not finished;
    /// - else, when the frame's bytes belong to a message finished later:
    ///   Protocol `TCP`, `[TCP segment of a reassembled PDU]`, after the
    ///   message's first line when HTTP parsed it in this frame (the message
    ///   began here, or the previous segment left its head or its chunks
    ///   incomplete, so Wireshark re-dissected it), else after TCP's text.
    fn frame_columns(
        &mut self,
        d: usize,
        first_offset: Option<u64>,
        messages: Vec<Pdu>,
        protocol: Option<&'static str>,
        columns: bool,
    ) -> Option<Box<AppFrame>> {
        let dir = &mut self.dirs[d];
        // What is pending in this direction after the frame.
        let (pending_line, began_here, contributes, wait) = match &dir.parser {
            Parser::Http(p) => match p.pending() {
                Some(pd) => {
                    let began = first_offset.is_some_and(|o| pd.start >= o);
                    // The line shows only after messages completed here when
                    // the pending one began here, else when it began here or
                    // is re-dissected: made only then.
                    let shown = began || (messages.is_empty() && dir.redissect);
                    let line = if columns && shown {
                        pending_first_line(&pd)
                    } else {
                        None
                    };
                    let contributes = first_offset.is_some();
                    (line, began, contributes, Some(pd.wait))
                }
                None => (None, false, false, None),
            },
            Parser::Tls(_) => {
                // TLS clears the Info column before it asks for the rest of a
                // record: an empty "first line" (none without columns).
                let delivered = dir.spans.back().map_or(0, |s| s.1);
                let pending = delivered > dir.emitted_to;
                let began = first_offset.is_some_and(|o| dir.emitted_to >= o);
                // Until the 5-byte header is whole, TLS asks for one more
                // segment and re-dissects; then for the exact rest.
                let wait = (pending && delivered - dir.emitted_to < 5).then_some(Wait::Head);
                (
                    (pending && columns).then(String::new),
                    began,
                    first_offset.is_some() && pending,
                    wait,
                )
            }
            Parser::Undecided => (None, false, first_offset.is_some(), None),
            Parser::Plain => (None, false, false, None),
        };
        let redissect = dir.redissect;
        if first_offset.is_some() {
            dir.redissect = matches!(wait, Some(Wait::Head | Wait::Chunked));
        }
        if !messages.is_empty() {
            let (info, http_name) = if columns {
                let (mut info, name) = messages_info(&messages);
                if let (Some(line), true) = (&pending_line, began_here) {
                    info.push_str(line);
                }
                (Some(info), name)
            } else {
                (None, None)
            };
            return Some(Box::new(AppFrame {
                // TLS names the column whenever a record is here, unless
                // an HTTP message decrypted from it is here too.
                protocol: http_name.or(protocol),
                info,
                pdu_continues: false,
                messages,
            }));
        }
        if contributes && !matches!(dir.parser, Parser::Undecided) {
            let info = match pending_line {
                Some(line) if began_here || redissect => Some(line),
                _ => None,
            };
            return Some(Box::new(AppFrame {
                protocol: None,
                info,
                pdu_continues: true,
                messages,
            }));
        }
        None
    }
}

/// The Info text of the messages completed in a frame: the pieces of each
/// HTTP message, TLS records joined by `, `; and the Protocol column the last
/// HTTP message gives, if any.
fn messages_info(messages: &[Pdu]) -> (String, Option<&'static str>) {
    // Room for a typical request line and media type at once (growing the
    // string piece by piece was measurable).
    let mut info = String::with_capacity(if messages.is_empty() { 0 } else { 160 });
    let mut name = None;
    let mut after_tls = false;
    // TLS's reassembly of decrypted data wrote its own Info (tshark then
    // appends the HTTP piece to it, with no separator, and the Protocol
    // column stays TLS).
    let mut segment_info = false;
    for (i, m) in messages.iter().enumerate() {
        match &m.body {
            PduBody::Http(h) => {
                // Only where HTTP decrypted from TLS follows a record.
                if after_tls {
                    info.push_str(", ");
                }
                let n = http_piece(h, &mut info);
                if !segment_info {
                    name = Some(n);
                }
                after_tls = false;
            }
            // Decrypted data: named by the message it completes (the
            // message follows its record in `messages`), or, when it only
            // begins or continues one, by TLS's reassembly, which replaces
            // what came before.
            PduBody::Tls(r) if r.inner_http => {
                let completes =
                    matches!(messages.get(i + 1).map(|m| &m.body), Some(PduBody::Http(_)));
                // tshark 4.0 writes its reassembly note when no message
                // completes in the frame, or when the record itself was
                // reassembled from earlier segments (checked on real
                // captures: a record wholly in the frame before the one
                // completing the message leaves the HTTP Info alone).
                let http_later = messages[i..]
                    .iter()
                    .any(|m| matches!(m.body, PduBody::Http(_)));
                let began_earlier =
                    m.segments.first().map(|s| s.0) != m.segments.last().map(|s| s.0);
                if !completes && !segment_info && (!http_later || began_earlier) {
                    info.clear();
                    info.push_str(TLS_SEGMENT);
                    segment_info = true;
                    after_tls = false;
                }
            }
            PduBody::Tls(r) => {
                if i > 0 && !info.is_empty() {
                    info.push_str(", ");
                }
                info.push_str(&r.info());
                after_tls = true;
            }
        }
    }
    (info, name)
}

/// The Info of a frame whose decrypted data belongs to a message finished
/// later.
const TLS_SEGMENT: &str = "[TLS segment of a reassembled PDU]";

/// The first line (and a space) of a message begun and not finished, once
/// it is known, for the Info of the frames that carry it.
fn pending_first_line(pd: &super::http::Pending<'_>) -> Option<String> {
    let mut s = String::with_capacity(96);
    match (pd.first_line, pd.message) {
        (Some(l), _) => s.push_str(&super::lossy_text(l)),
        (None, Some(m)) => match &m.start_line {
            StartLine::Request { .. } | StartLine::Response { .. } => {
                start_line_text(&m.start_line, &mut s)
            }
            _ => return None,
        },
        (None, None) => return None,
    }
    s.push(' ');
    Some(s)
}

/// A request's `If-None-Match` and `If-Modified-Since` (the first of each,
/// lossy UTF-8, trimmed), read in one pass over its headers.
fn conditionals(m: &Message) -> (Option<String>, Option<String>) {
    let (mut none_match, mut modified_since) = (None, None);
    let text = |v: &[u8]| Some(super::lossy_text(v).trim().to_string());
    // Raw names: the checked text of every name cost more than the rest.
    for (name, value) in m.headers.raw_iter() {
        if none_match.is_none() && name.eq_ignore_ascii_case(b"If-None-Match") {
            none_match = text(value);
        } else if modified_since.is_none() && name.eq_ignore_ascii_case(b"If-Modified-Since") {
            modified_since = text(value);
        }
    }
    (none_match, modified_since)
}

/// The protocol of a direction's first bytes when they are enough to tell
/// (a TLS record header, or a whole first line that is HTTP or HTCPCP).
fn decisive(first: &[u8]) -> Option<Protocol> {
    if tls::looks_like_record(first) {
        return Some(Protocol::Tls);
    }
    let nl = memchr::memchr(b'\n', first)?;
    super::detect_line(&first[..nl])
}

/// [`decisive`] on a segment's payload, with the start line it read for an
/// HTTP or HTCPCP direction (owned, and the index of its LF): the new parser
/// takes it instead of reading the line again.
fn decisive_with_line(first: &[u8]) -> Option<(Protocol, Option<(usize, StartLine)>)> {
    if tls::looks_like_record(first) {
        return Some((Protocol::Tls, None));
    }
    let nl = memchr::memchr(b'\n', first)?;
    let (p, line) = super::detect_start_line(&first[..nl])?;
    Some((p, Some((nl, line.to_owned_line()))))
}

fn is_status_line(b: &[u8]) -> bool {
    b.starts_with(b"HTTP/") || b.starts_with(b"HTCPCP/")
}

/// Writes `GET / HTTP/1.1` or `HTTP/1.1 200 OK`.
fn start_line_text(line: &StartLine, out: &mut String) {
    // push_str, not write!: this runs for every message of the packet list.
    match line {
        StartLine::Request {
            method,
            target,
            version,
        } => {
            out.push_str(method);
            out.push(' ');
            out.push_str(target);
            out.push(' ');
            push_version(*version, out);
        }
        StartLine::Response {
            version,
            code,
            reason,
        } => {
            push_version(*version, out);
            out.push(' ');
            out.push_str(itoa::Buffer::new().format(*code));
            out.push(' ');
            out.push_str(reason);
        }
        StartLine::None => out.push_str("[No status line]"),
        StartLine::Invalid(_) => out.push_str("Continuation"),
    }
}

fn push_version(v: super::http::Version, out: &mut String) {
    // The usual versions in one piece.
    let whole = match (v.htcpcp, v.major, v.minor) {
        (false, 1, 1) => "HTTP/1.1",
        (false, 1, 0) => "HTTP/1.0",
        (true, 1, 0) => "HTCPCP/1.0",
        (true, 1, 1) => "HTCPCP/1.1",
        _ => "",
    };
    if !whole.is_empty() {
        out.push_str(whole);
        return;
    }
    out.push_str(if v.htcpcp { "HTCPCP/" } else { "HTTP/" });
    out.push(char::from(b'0' + v.major.min(9)));
    out.push('.');
    out.push(char::from(b'0' + v.minor.min(9)));
}

/// The Info piece of one HTTP/HTCPCP message, as tshark writes it: the first
/// line and a space, then what the body's dissector adds. Returns the
/// Protocol column the message gives (`HTCPCP`, `HTTP/JSON`...).
fn http_piece(h: &HttpPdu, out: &mut String) -> &'static str {
    let m = &h.message;
    let column = |media: &Media<'_>| match (h.protocol, media) {
        (Protocol::Htcpcp, _) => "HTCPCP",
        (_, Media::Json) => "HTTP/JSON",
        (_, Media::Xml) => "HTTP/XML",
        _ => "HTTP",
    };
    if let StartLine::Invalid(_) = m.start_line {
        out.push_str("Continuation");
        return column(&media(m));
    }
    start_line_text(&m.start_line, out);
    out.push(' ');
    if m.body_len == 0 {
        return column(&Media::None);
    }
    if h.protocol == Protocol::Htcpcp {
        // Our own dissector: always the media type.
        if let Some(t) = m.media_type_bytes() {
            out.push_str(" (");
            push_lowercase(t, out);
            out.push(')');
        }
        return "HTCPCP";
    }
    let media = media(m);
    match &media {
        Media::None | Media::Xml | Media::Opaque => {}
        Media::Json => out.push_str(", JavaScript Object Notation (application/json)"),
        Media::Gif(v) => {
            out.push_str(" (");
            out.push_str(v);
            out.push(')');
        }
        Media::Png => out.push_str(" (PNG)"),
        Media::Jpeg => out.push_str(" (JPEG JFIF image)"),
        Media::Other(t) => {
            out.push_str(" (");
            push_lowercase(t, out);
            out.push(')');
        }
    }
    column(&media)
}

/// [`Message::media_type`]'s text (lossy UTF-8, ASCII lowercased) appended
/// to `out`, without a string of its own.
fn push_lowercase(t: &[u8], out: &mut String) {
    let from = out.len();
    out.push_str(&super::lossy_text(t));
    out[from..].make_ascii_lowercase();
}

/// How Wireshark's body dissectors show a media type in the Info column.
enum Media<'a> {
    /// No Content-Type.
    None,
    Json,
    Xml,
    /// `application/octet-stream`: shown as data, nothing added.
    Opaque,
    Gif(&'static str),
    Png,
    Jpeg,
    /// `(type)`: line-based text and the media fallback (as sent; shown
    /// lowercased).
    Other(&'a [u8]),
}

fn media(m: &Message) -> Media<'_> {
    if m.body_len == 0 {
        return Media::None;
    }
    let Some(t) = m.media_type_bytes() else {
        return Media::None;
    };
    let is = |name: &str| t.eq_ignore_ascii_case(name.as_bytes());
    let body = &m.body;
    let gif = is("image/gif") && body.len() >= 20;
    if is("application/json") {
        Media::Json
    } else if is("text/xml") || is("application/xml") {
        Media::Xml
    } else if is("application/octet-stream") {
        Media::Opaque
    } else if gif && body.starts_with(b"GIF89a") {
        Media::Gif("GIF89a")
    } else if gif && body.starts_with(b"GIF87a") {
        Media::Gif("GIF87a")
    } else if is("image/png") && body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Media::Png
    } else if is("image/jpeg") && body.starts_with(&[0xff, 0xd8]) {
        Media::Jpeg
    } else {
        Media::Other(t)
    }
}

/// The Protocol column of TLS, as tshark names versions.
fn tls_column_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLSv1.1",
        0x0303 => "TLSv1.2",
        0x0304 => "TLSv1.3",
        _ => "TLS",
    }
}
