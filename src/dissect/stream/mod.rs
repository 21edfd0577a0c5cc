//! The application layer of the one pass: TCP segments in (capture order),
//! per frame what HTTP, HTCPCP, TLS and WebSocket (after an HTTP upgrade,
//! RFC 6455) say about it out.
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

//!
//! The module is split by what it does: [`state`] (per stream: the
//! reassembly events fed to the parsers, the protocol decision by content,
//! FIN and RST), [`pairing`] (requests and responses paired into
//! transactions: `http.request_in`, `http.prev_request_in`, full URIs) and
//! [`columns`] (the Protocol and Info columns as tshark 4.0 fills them).

mod columns;
mod pairing;
mod state;

use state::{owned, OwnedEvent};

use super::htcpcp::Htcpcp;
use super::http::Message;
use super::tls::Record;
use super::websocket;
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
    /// HTTP/HTCPCP messages this frame's RST cut off before they were
    /// complete. tshark shows no message on a RST (TCP only hands a
    /// dissector what a FIN ends), so these are not part of the frame (no
    /// column, no tree): only the transactions table reads them, to say
    /// "response incomplete (RST at frame N)" ([`HttpPdu::reset_in`]).
    pub reset: Vec<Pdu>,
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
    /// One WebSocket frame (RFC 6455), after an HTTP upgrade.
    WebSocket(Box<websocket::Frame>),
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
    /// The frame of the RST that cut the message off ([`AppFrame::reset`]).
    pub reset_in: Option<u64>,
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
            reset_in: None,
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
    /// The request's own `http.prev_request_in`: tshark shows it on the
    /// response too.
    pub prev_in: Option<u64>,
}

use super::decrypted::Decrypted;
use super::htcpcp;
use super::http::{MessageParser, Role};
use super::tls::{KeyLog, RecordParser};
use crate::flow::reassembly::Reassembler;
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
    /// After `101 Switching Protocols` to `websocket`.
    WebSocket(Box<websocket::FrameParser>),
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
    /// Upgraded to WebSocket: each direction's fragmented message.
    websocket: Option<Box<[websocket::Fragments; 2]>>,
    /// The frame of a RST that left the other direction open, a message
    /// of its begun (its segments in flight may still complete it, as they
    /// do in tshark); what it still holds at the end was cut by that RST.
    reset_frame: Option<u64>,
}

/// A message parsed during the current frame, before it becomes a [`Pdu`].
enum Parsed {
    /// Boxed as it comes out of the parser, with what the stream tells about
    /// it still to fill in ([`StreamState::finish_parsed`]): the message is
    /// moved once, not at each step.
    Http(Box<HttpPdu>),
    Tls(Record),
    Ws(websocket::Frame),
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
                        websocket: None,
                        reset_frame: None,
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
            let from = out.len();
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
            if let Some(rst) = st.reset_frame {
                for pdu in &mut out[from..] {
                    if let PduBody::Http(h) = &mut pdu.body {
                        h.reset_in = Some(rst);
                    }
                }
            }
        }
        out
    }
}
