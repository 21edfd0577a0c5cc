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
//! the state of a stream is dropped once both directions ended and every
//! message came out.
//!
//! [`Reassembler`]: crate::flow::reassembly::Reassembler
//! [`MessageParser`]: super::http::MessageParser
//! [`RecordParser`]: super::tls::RecordParser

use super::htcpcp::Htcpcp;
use super::http::Message;
use super::tls::Record;
use super::Protocol;

/// What the application layer says about one frame.
#[derive(Debug, Clone, Default)]
pub struct AppFrame {
    /// The Protocol column (`HTTP`, `HTTP/JSON`, `HTCPCP`, `TLSv1.3`), or
    /// `None` to keep `TCP`.
    pub protocol: Option<String>,
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
    /// The HTCPCP view, on HTCPCP streams.
    pub htcpcp: Option<Htcpcp>,
    /// 1-based position among the requests (or among the responses) of its
    /// stream: Wireshark's `[HTTP request 1/2]`.
    pub index: u32,
    /// On a response: the request it answers (the oldest unanswered one).
    pub request: Option<RequestRef>,
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
    /// The request's `If-None-Match` and `If-Modified-Since`, which explain a
    /// 304.
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
}
