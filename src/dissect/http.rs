//! A streaming HTTP/1.x and HTCPCP message parser for one direction of a
//! reassembled stream (RFC 9112; HTCPCP of RFC 2324 / RFC 7168 is HTTP's
//! syntax with other methods, schemes and an `HTCPCP/x.y` version).
//!
//! Start lines are parsed here (httparse rejects `HTCPCP/1.1` status lines);
//! header blocks and trailers go through one parser, `httparse::parse_headers`
//! (a block it rejects is re-read line by line with it, so that a malformed
//! head is kept as far as it parses, with an expert note).
//!
//! Body framing (RFC 9112 §6.3): no body for answers to HEAD, 1xx, 204 and
//! 304; `Transfer-Encoding: chunked` (de-chunked body and trailers); else
//! `Content-Length`; else a response (and an HTCPCP BREW/POST request, as the
//! lab's web app sends no Content-Length) runs to the end of the stream; a
//! plain request without either has no body. On an HTCPCP stream a response
//! that starts with `{` or `[` is a bare JSON body with no status line (an
//! unfinished pot). Bytes that do not start with a start line are one
//! [`StartLine::Invalid`] "continuation" message up to the end of the stream.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::ops::Range;

/// Heads (start line + headers, or trailers) are buffered up to this size.
pub const MAX_HEAD: usize = 64 * 1024;
/// Body bytes kept per message; the rest is counted ([`Message::body_len`]).
pub const MAX_BODY: usize = 1 << 20;
/// A chunk-size line longer than this is malformed.
pub const MAX_CHUNK_LINE: usize = 1024;
/// Expert notes kept per message.
pub const MAX_NOTES: usize = 32;
/// Outstanding request methods remembered by a response parser.
pub const MAX_PENDING_REQUESTS: usize = 1024;
/// Header slots per `httparse::parse_headers` call before the line-by-line
/// reading takes over.
const HEADER_SLOTS: usize = 128;

/// Buffer caps of a parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_head: usize,
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: MAX_HEAD,
            max_body: MAX_BODY,
        }
    }
}

/// `HTTP/1.1` or `HTCPCP/1.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub htcpcp: bool,
    pub major: u8,
    pub minor: u8,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = if self.htcpcp { "HTCPCP" } else { "HTTP" };
        write!(f, "{proto}/{}.{}", self.major, self.minor)
    }
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request {
        method: String,
        /// As sent (lossy UTF-8).
        target: String,
        version: Version,
    },
    Response {
        version: Version,
        code: u16,
        reason: String,
    },
    /// No start line: a bare body on an HTCPCP response stream.
    None,
    /// Not a start line: undissectable data (its first line, at most 256
    /// bytes). The message runs to the end of the stream.
    Invalid(Vec<u8>),
}

/// One header (or trailer) field, borrowed from its [`Headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

/// The header (or trailer) fields of a message, as spans into the bytes they
/// were parsed from. The parser's head buffer is moved in whole, so a message
/// costs two allocations for all its fields instead of two per field (the
/// per-field strings were a fifth of the application layer's instructions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    bytes: Vec<u8>,
    spans: Vec<FieldSpan>,
}

/// The fields body framing reads: the first `Transfer-Encoding`, the first
/// `Content-Length` and how many there are (indexes into the fields).
#[derive(Debug, Clone, Copy, Default)]
struct FramingFields {
    te: Option<usize>,
    cl: Option<usize>,
    cls: usize,
}

impl FramingFields {
    /// Field `i` is named `name`.
    fn note(&mut self, i: usize, name: &[u8]) {
        // The lengths first: most names are neither.
        match name.len() {
            17 if self.te.is_none() && name.eq_ignore_ascii_case(b"Transfer-Encoding") => {
                self.te = Some(i)
            }
            14 if name.eq_ignore_ascii_case(b"Content-Length") => {
                self.cl = self.cl.or(Some(i));
                self.cls += 1;
            }
            _ => {}
        }
    }
}

/// Where a field's name and value sit in [`Headers::bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FieldSpan {
    name: (u32, u32),
    value: (u32, u32),
}

impl FieldSpan {
    /// The span of a field httparse read from `block`: it hands out slices
    /// of the block, so their offsets are the span.
    fn of(block: &[u8], h: &httparse::Header<'_>) -> FieldSpan {
        let base = block.as_ptr() as usize;
        let at = |b: &[u8]| {
            let start = (b.as_ptr() as usize - base) as u32;
            (start, start + b.len() as u32)
        };
        FieldSpan {
            name: at(h.name.as_bytes()),
            value: at(h.value),
        }
    }
}

impl Headers {
    /// Fields given as (name, value) pairs (fixtures, tests).
    pub fn from_pairs<N: AsRef<str>, V: AsRef<[u8]>>(pairs: &[(N, V)]) -> Headers {
        let mut h = Headers::default();
        for (n, v) in pairs {
            h.push_field(n.as_ref().as_bytes(), v.as_ref());
        }
        h
    }

    fn push_field(&mut self, name: &[u8], value: &[u8]) {
        let mut append = |b: &[u8]| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(b);
            (start, self.bytes.len() as u32)
        };
        let name = append(name);
        let value = append(value);
        self.spans.push(FieldSpan { name, value });
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The fields in the order they were sent.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Header<'_>> + ExactSizeIterator + '_ {
        self.spans.iter().map(move |s| self.field(s))
    }

    /// The `i`-th field.
    pub fn get(&self, i: usize) -> Option<Header<'_>> {
        self.spans.get(i).map(|s| self.field(s))
    }

    /// The first field of that name (case-insensitive).
    pub fn find(&self, name: &str) -> Option<Header<'_>> {
        self.spans
            .iter()
            .find(|s| self.name_is(s, name))
            .map(|s| self.field(s))
    }

    /// The values of every field of that name (case-insensitive).
    pub fn all<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h [u8]> + 'h {
        self.spans
            .iter()
            .filter(move |s| self.name_is(s, name))
            .map(|s| &self.bytes[s.value.0 as usize..s.value.1 as usize])
    }

    /// The value of the first field of that name (case-insensitive).
    pub fn value(&self, name: &str) -> Option<&[u8]> {
        self.spans
            .iter()
            .find(|s| self.name_is(s, name))
            .map(|s| self.slice(s.value))
    }

    /// The fields as (name, value) bytes, without checking that names are
    /// text.
    pub(crate) fn raw_iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.spans
            .iter()
            .map(move |s| (self.slice(s.name), self.slice(s.value)))
    }

    /// What body framing reads ([`FramingFields`]), in one pass.
    fn framing_fields(&self) -> FramingFields {
        let mut f = FramingFields::default();
        for (i, s) in self.spans.iter().enumerate() {
            f.note(i, self.slice(s.name));
        }
        f
    }

    fn name_is(&self, s: &FieldSpan, name: &str) -> bool {
        self.slice(s.name).eq_ignore_ascii_case(name.as_bytes())
    }

    fn slice(&self, (a, b): (u32, u32)) -> &[u8] {
        &self.bytes[a as usize..b as usize]
    }

    fn field(&self, s: &FieldSpan) -> Header<'_> {
        let slice = |(a, b): (u32, u32)| &self.bytes[a as usize..b as usize];
        Header {
            // Names are tokens (httparse checks them): ASCII.
            name: std::str::from_utf8(slice(s.name)).unwrap_or(""),
            value: slice(s.value),
        }
    }
}

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD answer, 1xx, 204, 304, request without length).
    None,
    ContentLength(u64),
    Chunked,
    /// Up to the end of the stream.
    Close,
}

/// Expert notes: what was odd about a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A header line that does not parse (kept out of `headers`).
    MalformedHeader(String),
    /// A header value that looks like several headers joined by `/`.
    HeadersJoined(String),
    /// A bare body with no status line (an unfinished pot).
    NoStatusLine,
    /// Data that does not start with a request or status line.
    NotHttp,
    /// The head (or trailers) exceeded `max_head` bytes.
    HeadTooLarge(usize),
    /// The body exceeded `max_body` bytes; only that many were kept.
    BodyTruncated(usize),
    /// The stream ended before the message did.
    Incomplete,
    /// A malformed chunk-size line or chunk delimiter.
    BadChunk,
    /// An invalid or conflicting Content-Length.
    BadContentLength,
    /// Both Transfer-Encoding and Content-Length (Transfer-Encoding wins).
    LengthAndEncoding,
    /// A Transfer-Encoding other than chunked on a request.
    UnknownEncoding,
    /// The connection switched protocols (101): what follows is not HTTP.
    Upgrade,
    /// That many bytes of the message were never captured.
    Gap(u64),
}

impl Note {
    /// Wireshark's expert severity: "Warning", "Note" or "Chat".
    pub fn severity(&self) -> &'static str {
        match self {
            Note::Upgrade => "Chat",
            Note::Gap(_) => "Warning",
            Note::NoStatusLine | Note::Incomplete | Note::BodyTruncated(_) => "Note",
            _ => "Warning",
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::MalformedHeader(l) => write!(f, "Malformed header line: {l}"),
            Note::HeadersJoined(n) => {
                write!(f, "Header {n} looks like several headers joined by '/'")
            }
            Note::NoStatusLine => f.write_str("No status line: a bare body"),
            Note::NotHttp => f.write_str("Not a request or status line"),
            Note::HeadTooLarge(n) => write!(f, "Head longer than {n} bytes"),
            Note::BodyTruncated(n) => write!(f, "Body longer than {n} bytes: the rest is not kept"),
            Note::Incomplete => f.write_str("The stream ended before the message did"),
            Note::BadChunk => f.write_str("Malformed chunked encoding"),
            Note::BadContentLength => f.write_str("Invalid Content-Length"),
            Note::LengthAndEncoding => {
                f.write_str("Both Transfer-Encoding and Content-Length: Content-Length ignored")
            }
            Note::UnknownEncoding => f.write_str("Unknown Transfer-Encoding on a request"),
            Note::Upgrade => f.write_str("Switching protocols: the rest is not HTTP"),
            Note::Gap(n) => write!(f, "{n} bytes missing (not captured)"),
        }
    }
}

/// A complete (or, at the end of the stream, unfinished) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Stream offsets of its first and one-past-last byte.
    pub range: Range<u64>,
    pub start_line: StartLine,
    pub headers: Headers,
    /// Bytes of the head (start line, headers, blank line).
    pub head_len: usize,
    pub framing: Framing,
    /// The body (de-chunked), at most `max_body` bytes.
    pub body: Vec<u8>,
    /// The body's full length (de-chunked), kept or not.
    pub body_len: u64,
    pub trailers: Headers,
    pub notes: Vec<Note>,
    /// False when the stream ended inside it.
    pub complete: bool,
}

impl Message {
    fn new(start: u64, start_line: StartLine) -> Self {
        Message {
            range: start..start,
            start_line,
            headers: Headers::default(),
            head_len: 0,
            framing: Framing::None,
            body: Vec::new(),
            body_len: 0,
            trailers: Headers::default(),
            notes: Vec::new(),
            complete: true,
        }
    }

    fn note(&mut self, n: Note) {
        if self.notes.len() < MAX_NOTES && !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start_line, StartLine::Request { .. })
    }

    pub fn is_response(&self) -> bool {
        matches!(
            self.start_line,
            StartLine::Response { .. } | StartLine::None
        )
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.value(name)
    }

    /// [`Message::header`] as text (lossy UTF-8).
    pub fn header_str(&self, name: &str) -> Option<Cow<'_, str>> {
        self.header(name).map(String::from_utf8_lossy)
    }

    /// The status code of a response.
    pub fn code(&self) -> Option<u16> {
        match self.start_line {
            StartLine::Response { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The media type of `Content-Type`, lowercased, without parameters
    /// (`text/css; charset=utf-8` → `text/css`); `None` when absent or empty.
    pub fn media_type(&self) -> Option<String> {
        self.media_type_bytes()
            .map(|t| String::from_utf8_lossy(t).to_ascii_lowercase())
    }

    /// [`Message::media_type`] as sent (case kept), without allocating.
    pub fn media_type_bytes(&self) -> Option<&[u8]> {
        let ct = self.header("Content-Type")?;
        let t = ct.split(|&b| b == b';').next().unwrap_or(&[]).trim_ascii();
        (!t.is_empty()).then_some(t)
    }

    /// Wireshark's `http.request.full_uri`: `http://` + Host + the target
    /// when the target is a path, else the target; `None` without a Host.
    /// Read as tshark reads header text (bytes ≥ 0x80 become U+FFFD).
    pub fn full_uri(&self) -> Option<String> {
        let StartLine::Request { target, .. } = &self.start_line else {
            return None;
        };
        let host = self.header("Host")?;
        let target = target.as_bytes();
        // One allocation: this runs for every request.
        let mut uri = String::with_capacity(7 + host.len() + target.len());
        if target.first() == Some(&b'/') {
            uri.push_str("http://");
            push_ascii_lossy(trim_unicode_ws(host), &mut uri);
        }
        push_ascii_lossy(target, &mut uri);
        Some(uri)
    }

    /// A one-line summary, as the Info column starts:
    /// `BREW coffee://ducky HTTP/1.1`, `HTCPCP/1.1 418 I'm a Teapot`.
    pub fn summary(&self) -> String {
        match &self.start_line {
            StartLine::Request {
                method,
                target,
                version,
            } => format!("{method} {target} {version}"),
            StartLine::Response {
                version,
                code,
                reason,
            } => format!("{version} {code} {reason}"),
            StartLine::None => "[no status line]".to_string(),
            StartLine::Invalid(_) => "Continuation".to_string(),
        }
    }
}

/// What a parser waits for to finish the message it has begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The rest of the head.
    Head,
    /// A known number of body bytes (Content-Length).
    Length,
    /// More chunks, or the trailers.
    Chunked,
    /// The end of the stream.
    Close,
}

/// A message begun but not finished ([`MessageParser::pending`]).
#[derive(Debug, Clone, Copy)]
pub struct Pending<'a> {
    /// Stream offset of its first byte.
    pub start: u64,
    /// While the head is incomplete: its first line, once complete.
    pub first_line: Option<&'a [u8]>,
    /// Once the head is complete: the message so far.
    pub message: Option<&'a Message>,
    pub wait: Wait,
    /// Body bytes read so far.
    pub body_len: u64,
}

/// Which messages a direction carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Client to server.
    Request,
    /// Server to client.
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    Close,
    Done,
}

/// The outstanding requests of a response parser, oldest first, at most
/// [`MAX_PENDING_REQUESTS`] (the oldest is forgotten): only whether each was
/// a HEAD matters, and HEADs are rare, so the queue is two counters and the
/// positions of the HEADs (no allocation per stream).
#[derive(Debug, Default)]
struct HeadQueue {
    /// Requests queued and taken since the parser began.
    pushed: u64,
    popped: u64,
    /// Positions (in `pushed` numbering) of the HEAD requests still queued.
    heads: VecDeque<u64>,
}

impl HeadQueue {
    fn push(&mut self, head: bool) {
        if self.pushed - self.popped == MAX_PENDING_REQUESTS as u64 {
            self.pop();
        }
        if head {
            self.heads.push_back(self.pushed);
        }
        self.pushed += 1;
    }

    fn clear(&mut self) {
        self.pushed = 0;
        self.popped = 0;
        self.heads.clear();
    }

    /// Whether the oldest outstanding request was a HEAD (false when none is).
    fn pop(&mut self) -> bool {
        if self.popped == self.pushed {
            return false;
        }
        let at = self.popped;
        self.popped += 1;
        if self.heads.front() == Some(&at) {
            self.heads.pop_front();
            true
        } else {
            false
        }
    }
}

/// The streaming parser of one direction (see the module doc of
/// [`crate::dissect`] for the contract).
#[derive(Debug)]
pub struct MessageParser {
    htcpcp: bool,
    role: Role,
    limits: Limits,
    /// Stream offset of the next byte.
    pos: u64,
    state: State,
    /// Head, chunk-size line or trailer bytes being collected.
    buf: Vec<u8>,
    /// The start line of the head in `buf`, once its first line is complete
    /// (parsed once, when it is checked, and handed to the message).
    start_line: Option<StartLine>,
    cur: Option<Message>,
    /// For a response parser: which outstanding requests were HEADs.
    pending_head: HeadQueue,
    /// After a 101: the rest of the stream is not HTTP.
    tunnel: bool,
    /// The first line of the stream, read ahead by protocol detection: the
    /// index of its LF and the start line ([`MessageParser::read_ahead`]).
    ahead: Option<(usize, StartLine)>,
}

impl MessageParser {
    /// A parser for HTTP (`htcpcp = false`) or HTCPCP messages in `role`.
    pub fn new(htcpcp: bool, role: Role) -> Self {
        Self::with_limits(htcpcp, role, Limits::default())
    }

    pub fn with_limits(htcpcp: bool, role: Role, limits: Limits) -> Self {
        MessageParser {
            htcpcp,
            role,
            limits: Limits {
                max_head: limits.max_head.max(16),
                max_body: limits.max_body,
            },
            pos: 0,
            state: State::Head,
            buf: Vec::new(),
            start_line: None,
            cur: None,
            pending_head: HeadQueue::default(),
            tunnel: false,
            ahead: None,
        }
    }

    /// Back to the state [`MessageParser::new`] gives, for a new stream,
    /// keeping the allocations (stream states are reused).
    pub(crate) fn reset(&mut self, htcpcp: bool, role: Role) {
        self.htcpcp = htcpcp;
        self.role = role;
        self.limits = Limits::default();
        self.pos = 0;
        self.state = State::Head;
        self.buf.clear();
        self.start_line = None;
        self.cur = None;
        self.pending_head.clear();
        self.tunnel = false;
        self.ahead = None;
    }

    /// The stream's first bytes (offset 0) hold a start line whose LF is at
    /// `nl`, already read as `line`: the head that begins there takes it
    /// instead of reading the line again. Ignored unless that head is read
    /// whole at once.
    pub(crate) fn read_ahead(&mut self, nl: usize, line: StartLine) {
        self.ahead = Some((nl, line));
    }

    /// Stream offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// Bytes buffered now (head or chunk line, plus the kept body).
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.cur.as_ref().map_or(0, |m| m.body.len())
    }

    /// The message begun but not finished, if any: where it starts, its
    /// first line once that is complete (without CR LF), what the parser waits
    /// for, and the body bytes read so far. The packet list uses it to label
    /// the segments of a message completed later (Wireshark's `[TCP segment
    /// of a reassembled PDU]`).
    pub fn pending(&self) -> Option<Pending<'_>> {
        let wait = match self.state {
            State::Done => return None,
            State::Head if self.buf.is_empty() => return None,
            State::Head => Wait::Head,
            State::Body(_) => Wait::Length,
            State::ChunkSize | State::ChunkData(_) | State::ChunkDataEnd | State::Trailers => {
                Wait::Chunked
            }
            State::Close => Wait::Close,
        };
        Some(match &self.cur {
            Some(m) => Pending {
                start: m.range.start,
                first_line: None,
                message: Some(m),
                wait,
                body_len: m.body_len,
            },
            None => Pending {
                start: self.pos - self.buf.len() as u64,
                first_line: self
                    .buf
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|i| trim_cr(&self.buf[..i])),
                message: None,
                wait,
                body_len: 0,
            },
        })
    }

    /// For a response parser: the peer sent a request with `method`, so the
    /// next final response answers it (an answer to HEAD has no body).
    pub fn expect_response_to(&mut self, method: &str) {
        self.pending_head.push(method == "HEAD");
    }

    /// Feeds the next in-order bytes of the stream.
    pub fn push<F: FnMut(Message)>(&mut self, mut data: &[u8], mut sink: F) {
        while !data.is_empty() {
            let used = self.step(data, &mut sink);
            self.pos += used as u64;
            data = &data[used..];
        }
    }

    /// The stream ended (FIN, or the end of the capture): a close-delimited
    /// message completes, an unfinished one comes out flagged
    /// [`Note::Incomplete`]. Later bytes are ignored.
    pub fn end_of_stream<F: FnMut(Message)>(&mut self, mut sink: F) {
        match self.state {
            State::Done => return,
            // Nothing came after the last cut of opaque data.
            State::Close
                if self.cur.as_ref().is_some_and(|m| {
                    matches!(m.start_line, StartLine::Invalid(_)) && m.body_len == 0
                }) =>
            {
                self.cur = None;
            }
            State::Close => self.finish(&mut sink),
            _ => self.finish_unfinished(None, &mut sink),
        }
        self.buf = Vec::new();
        self.state = State::Done;
    }

    /// `len` bytes at the current offset were never captured (reassembly's
    /// `Event::Gap` or `Event::Uncaptured`). Inside a body of known length
    /// or a close-delimited body the message goes on, flagged
    /// [`Note::Gap`] (`body_len` counts the hole, `body` does not hold it);
    /// inside a head, a chunk line or trailers, or past the end of a body,
    /// the message ends there unfinished and parsing resumes after the hole
    /// (bytes that are not a start line become a continuation).
    pub fn gap<F: FnMut(Message)>(&mut self, len: u64, mut sink: F) {
        if len == 0 {
            return;
        }
        match self.state {
            State::Done => return,
            State::Head if self.buf.is_empty() => {}
            State::Close => self.count_gap(len),
            State::Body(rem) if len < rem => {
                self.count_gap(len);
                self.state = State::Body(rem - len);
            }
            State::Body(rem) if len == rem => {
                self.count_gap(len);
                self.pos += len;
                self.finish(&mut sink);
                return;
            }
            State::ChunkData(rem) if len < rem => {
                self.count_gap(len);
                self.state = State::ChunkData(rem - len);
            }
            _ => self.finish_unfinished(Some(len), &mut sink),
        }
        self.pos += len;
    }

    /// For an HTCPCP request parser: the peer started answering, so a request
    /// body delimited by the end of the stream (the lab's web app sends BREW
    /// with no Content-Length) ends here. Does nothing otherwise.
    pub fn peer_answered<F: FnMut(Message)>(&mut self, mut sink: F) {
        if self.role == Role::Request
            && self.state == State::Close
            && self.cur.as_ref().is_some_and(Message::is_request)
        {
            self.finish(&mut sink);
        }
    }

    /// On an HTTP stream, bytes that are not HTTP (after a 101, or a peer
    /// speaking something else) are shown as they come, as Wireshark's
    /// "Continuation": the opaque data read so far comes out as one message
    /// and the parser goes on reading opaque data. Does nothing otherwise.
    pub fn cut_opaque<F: FnMut(Message)>(&mut self, mut sink: F) {
        let opaque = self.state == State::Close
            && self
                .cur
                .as_ref()
                .is_some_and(|m| matches!(m.start_line, StartLine::Invalid(_)) && m.body_len > 0);
        if opaque {
            self.finish(&mut sink);
            let mut next = Message::new(self.pos, StartLine::Invalid(Vec::new()));
            next.framing = Framing::Close;
            self.cur = Some(next);
            self.state = State::Close;
        }
    }

    fn count_gap(&mut self, len: u64) {
        if let Some(m) = self.cur.as_mut() {
            m.body_len += len;
            m.note(Note::Gap(len));
        }
    }

    /// Emits the message being read (or the head being collected) as
    /// unfinished, and goes back to looking for a head.
    fn finish_unfinished<F: FnMut(Message)>(&mut self, gap: Option<u64>, sink: &mut F) {
        let mut msg = match self.cur.take() {
            Some(m) => m,
            None if !self.buf.is_empty() => {
                let start = self.pos - self.buf.len() as u64;
                let head = std::mem::take(&mut self.buf);
                let head_len = head.len();
                let mut m = head_message(start, head, self.start_line.take());
                m.head_len = head_len;
                m
            }
            None => {
                self.state = State::Head;
                return;
            }
        };
        self.buf.clear();
        self.start_line = None;
        if let Some(len) = gap {
            msg.note(Note::Gap(len));
        }
        msg.note(Note::Incomplete);
        msg.complete = false;
        msg.range.end = self.pos;
        sink(msg);
        self.state = State::Head;
    }

    /// One step of the state machine; returns the bytes consumed (> 0).
    fn step<F: FnMut(Message)>(&mut self, data: &[u8], sink: &mut F) -> usize {
        match self.state {
            State::Done => data.len(),
            State::Head => self.step_head(data, sink),
            State::Body(remaining) => {
                let n = (remaining.min(data.len() as u64)) as usize;
                self.take_body(&data[..n]);
                if remaining == n as u64 {
                    self.finish_at(n, sink);
                } else {
                    self.state = State::Body(remaining - n as u64);
                }
                n
            }
            State::Close => {
                self.take_body(data);
                data.len()
            }
            State::ChunkSize => {
                let (n, line) = match data.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (data.len(), false),
                };
                let room = MAX_CHUNK_LINE + 1 - self.buf.len();
                if n > room {
                    // The line is too long: the rest is raw body.
                    self.bad_chunk();
                    return self.step_after_bad_chunk(data);
                }
                self.buf.extend_from_slice(&data[..n]);
                if line {
                    let size = parse_chunk_size(&self.buf);
                    self.buf.clear();
                    match size {
                        Some(0) => self.state = State::Trailers,
                        Some(s) => self.state = State::ChunkData(s),
                        None => {
                            self.bad_chunk();
                        }
                    }
                }
                n
            }
            State::ChunkData(remaining) => {
                let n = (remaining.min(data.len() as u64)) as usize;
                self.take_body(&data[..n]);
                self.state = if remaining == n as u64 {
                    State::ChunkDataEnd
                } else {
                    State::ChunkData(remaining - n as u64)
                };
                n
            }
            State::ChunkDataEnd => match data[0] {
                b'\r' => 1,
                b'\n' => {
                    self.state = State::ChunkSize;
                    1
                }
                _ => {
                    if let Some(m) = self.cur.as_mut() {
                        m.note(Note::BadChunk);
                    }
                    // Not consumed: read as the next chunk-size line.
                    self.state = State::ChunkSize;
                    0
                }
            },
            State::Trailers => {
                let old = self.buf.len();
                let room = self.limits.max_head - old;
                let window = &data[..data.len().min(room)];
                match find_head_end(&self.buf, window, true) {
                    Some(end) => {
                        let used = end - old;
                        self.buf.extend_from_slice(&window[..used]);
                        let block = std::mem::take(&mut self.buf);
                        if let Some(m) = self.cur.as_mut() {
                            m.trailers = parse_header_block(block, 0, m);
                        }
                        self.finish_at(used, sink);
                        used
                    }
                    None => {
                        self.buf.extend_from_slice(window);
                        if self.buf.len() >= self.limits.max_head {
                            let block = std::mem::take(&mut self.buf);
                            let limit = self.limits.max_head;
                            if let Some(m) = self.cur.as_mut() {
                                m.trailers = parse_header_block(block, 0, m);
                                m.note(Note::HeadTooLarge(limit));
                            }
                            self.state = State::Close;
                        }
                        window.len()
                    }
                }
            }
        }
    }

    /// After a chunk-size line that is too long: the message becomes
    /// close-delimited and `data` is raw body.
    fn step_after_bad_chunk(&mut self, data: &[u8]) -> usize {
        let pending = std::mem::take(&mut self.buf);
        self.take_body(&pending);
        self.take_body(data);
        data.len()
    }

    fn bad_chunk(&mut self) {
        if let Some(m) = self.cur.as_mut() {
            m.note(Note::BadChunk);
            m.framing = Framing::Close;
        }
        self.state = State::Close;
    }

    fn step_head<F: FnMut(Message)>(&mut self, data: &[u8], sink: &mut F) -> usize {
        if self.buf.is_empty() {
            // RFC 9112 §2.2: empty lines before a start line are ignored.
            let skip = data
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            if skip > 0 {
                return skip;
            }
            if self.tunnel {
                return self.start_opaque(StartLine::Invalid(Vec::new()), None, data);
            }
            if self.htcpcp && self.role == Role::Response && matches!(data[0], b'{' | b'[') {
                return self.start_opaque(StartLine::None, Some(Note::NoStatusLine), data);
            }
            if let Some(used) = self.whole_head(data, sink) {
                return used;
            }
        }
        let old = self.buf.len();
        let room = self.limits.max_head - old;
        let window = &data[..data.len().min(room)];
        let end = find_head_end(&self.buf, window, false);
        let used = end.map_or(window.len(), |e| e - old);
        self.buf.extend_from_slice(&window[..used]);
        if self.start_line.is_none() {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                let line = trim_cr(&self.buf[..i]);
                self.start_line = read_start_line(line).map(StartLineRef::to_owned_line);
                if self.start_line.is_none() {
                    let first = line[..line.len().min(256)].to_vec();
                    let pending = std::mem::take(&mut self.buf);
                    let start = self.pos - old as u64;
                    let mut msg = Message::new(start, StartLine::Invalid(first));
                    msg.note(Note::NotHttp);
                    msg.framing = Framing::Close;
                    self.cur = Some(msg);
                    self.state = State::Close;
                    self.take_body(&pending);
                    return used;
                }
            }
        }
        if end.is_some() {
            let head = std::mem::take(&mut self.buf);
            let head_len = head.len();
            let msg = head_message(self.pos - old as u64, head, self.start_line.take());
            self.begin_body(msg, head_len, used, None, sink);
        } else if self.buf.len() >= self.limits.max_head {
            let head = std::mem::take(&mut self.buf);
            let head_len = head.len();
            let mut msg = head_message(self.pos - old as u64, head, self.start_line.take());
            msg.head_len = head_len;
            msg.note(Note::HeadTooLarge(self.limits.max_head));
            msg.framing = Framing::Close;
            self.cur = Some(msg);
            self.state = State::Close;
        }
        used
    }

    /// The common case of [`MessageParser::step_head`]: nothing buffered, and
    /// `data` holds a valid start line and a whole header block that
    /// `httparse` accepts. The block is parsed once, straight from `data`,
    /// and its end is where `httparse` stopped, so the head is neither
    /// searched for its blank line nor read twice. (A block `httparse`
    /// accepts is lines that end in LF or CR LF, none empty but the last: its
    /// end is the first blank line, as [`find_head_end`] finds it.) `None`
    /// when the general path must take over (nothing is consumed then).
    fn whole_head<F: FnMut(Message)>(&mut self, data: &[u8], sink: &mut F) -> Option<usize> {
        let window = &data[..data.len().min(self.limits.max_head)];
        let nl = memchr::memchr(b'\n', window)?;
        // The first line, as detection read it (the same bytes: offset 0,
        // LF at the same place), else read now.
        let ahead = match self.ahead.take() {
            Some((at, line)) if self.pos == 0 && at == nl => Some(line),
            _ => None,
        };
        let read = match ahead {
            Some(_) => None,
            None => Some(read_start_line(trim_cr(&window[..nl]))?),
        };
        let mut few = [httparse::EMPTY_HEADER; 24];
        let httparse::Status::Complete((n, hs)) =
            httparse::parse_headers(&window[nl + 1..], &mut few).ok()?
        else {
            return None;
        };
        let end = nl + 1 + n;
        // The fields body framing reads are noted on the way.
        let mut known = FramingFields::default();
        let spans = hs
            .iter()
            .enumerate()
            .map(|(i, h)| {
                known.note(i, h.name.as_bytes());
                FieldSpan::of(window, h)
            })
            .collect();
        let start_line = match (ahead, read) {
            (Some(line), _) => line,
            (None, Some(r)) => r.to_owned_line(),
            (None, None) => return None,
        };
        let mut msg = Message::new(self.pos, start_line);
        msg.headers = Headers {
            bytes: window[..end].to_vec(),
            spans,
        };
        if looks_joined(&window[nl + 1..end]) {
            note_joined(&mut msg);
        }
        self.begin_body(msg, end, end, Some(known), sink);
        Some(end)
    }

    /// A message with no parseable head that runs to the end of the stream.
    fn start_opaque(&mut self, line: StartLine, note: Option<Note>, data: &[u8]) -> usize {
        let mut msg = Message::new(self.pos, line);
        if let Some(n) = note {
            msg.note(n);
        }
        msg.framing = Framing::Close;
        self.cur = Some(msg);
        self.state = State::Close;
        self.take_body(data);
        data.len()
    }

    /// Decides the framing of a parsed head and moves to the body.
    fn begin_body<F: FnMut(Message)>(
        &mut self,
        mut msg: Message,
        head_len: usize,
        used: usize,
        known: Option<FramingFields>,
        sink: &mut F,
    ) {
        msg.head_len = head_len;
        let framing = self.framing(&mut msg, known);
        msg.framing = framing;
        self.state = match framing {
            // Complete already: out at once, without a stay in `cur`.
            Framing::None | Framing::ContentLength(0) => {
                self.cur = None;
                return self.emit_at(msg, used, sink);
            }
            Framing::ContentLength(n) => State::Body(n),
            Framing::Chunked => State::ChunkSize,
            Framing::Close => State::Close,
        };
        self.cur = Some(msg);
    }

    /// RFC 9112 §6.3.
    /// `known`: the framing fields, when the head's reader noted them.
    fn framing(&mut self, msg: &mut Message, known: Option<FramingFields>) -> Framing {
        if let StartLine::Response { code, .. } = msg.start_line {
            if (100..200).contains(&code) {
                if code == 101 {
                    msg.note(Note::Upgrade);
                    self.tunnel = true;
                }
                return Framing::None;
            }
            let head_request = self.pending_head.pop();
            if head_request || code == 204 || code == 304 {
                return Framing::None;
            }
        }
        let request = self.role == Role::Request;
        // The first Transfer-Encoding and whether there is a Content-Length,
        // in one pass over the fields.
        let fields = known.unwrap_or_else(|| msg.headers.framing_fields());
        let value = |i: usize| msg.headers.slice(msg.headers.spans[i].value);
        let te = fields.te.map(value);
        let first_cl = fields.cl.map(value);
        let cls = fields.cls;
        let has_cl = cls > 0;
        // Whether the last Transfer-Encoding coding is chunked, if there is one.
        let chunked = te.map(|te| {
            let last = te.rsplit(|&b| b == b',').next().unwrap_or(&[]);
            trim_ws(last).eq_ignore_ascii_case(b"chunked")
        });
        if let Some(chunked) = chunked {
            if has_cl {
                msg.note(Note::LengthAndEncoding);
            }
            if chunked {
                return Framing::Chunked;
            }
            if request {
                msg.note(Note::UnknownEncoding);
            }
            return Framing::Close;
        }
        if has_cl {
            let mut value: Option<u64> = None;
            let mut bad = false;
            let mut read = |v: &[u8]| {
                for part in v.split(|&b| b == b',') {
                    match parse_decimal(trim_ws(part)) {
                        Some(n) if value.is_none() || value == Some(n) => value = Some(n),
                        _ => bad = true,
                    }
                }
            };
            // One field (the rule): no second pass over the fields for it.
            match first_cl.filter(|_| cls == 1) {
                Some(v) => read(v),
                None => msg.headers.all("Content-Length").for_each(read),
            }
            match (bad, value) {
                (false, Some(n)) => return Framing::ContentLength(n),
                _ => {
                    msg.note(Note::BadContentLength);
                    return Framing::Close;
                }
            }
        }
        if !request {
            return Framing::Close;
        }
        match &msg.start_line {
            StartLine::Request { method, .. }
                if self.htcpcp && matches!(method.as_str(), "BREW" | "POST") =>
            {
                Framing::Close
            }
            _ => Framing::None,
        }
    }

    fn take_body(&mut self, bytes: &[u8]) {
        let cap = self.limits.max_body;
        if let Some(m) = self.cur.as_mut() {
            m.body_len += bytes.len() as u64;
            let room = cap.saturating_sub(m.body.len());
            if bytes.len() > room {
                m.note(Note::BodyTruncated(cap));
            }
            m.body.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    /// Completes the current message `used` bytes into this step.
    fn finish_at<F: FnMut(Message)>(&mut self, used: usize, sink: &mut F) {
        match self.cur.take() {
            Some(m) => self.emit_at(m, used, sink),
            None => self.state = State::Head,
        }
    }

    /// `msg` ends `used` bytes into the current input: out it goes, and the
    /// next head may begin.
    fn emit_at<F: FnMut(Message)>(&mut self, mut msg: Message, used: usize, sink: &mut F) {
        msg.range.end = self.pos + used as u64;
        sink(msg);
        self.state = State::Head;
    }

    fn finish<F: FnMut(Message)>(&mut self, sink: &mut F) {
        self.finish_at(0, sink);
    }
}

/// Parses a head (complete, or cut off) that starts at stream offset
/// `start` into a message. `checked` is its start line when the parser
/// already read it (it does as soon as the first line is complete), so that
/// it is not parsed twice.
fn head_message(start: u64, head: Vec<u8>, checked: Option<StartLine>) -> Message {
    let (line, rest) = match memchr::memchr(b'\n', &head) {
        Some(i) => (trim_cr(&head[..i]), i + 1),
        None => (trim_cr(&head), head.len()),
    };
    let start_line = checked
        .or_else(|| parse_start_line(line))
        .unwrap_or_else(|| StartLine::Invalid(line[..line.len().min(256)].to_vec()));
    let mut msg = Message::new(start, start_line);
    if matches!(msg.start_line, StartLine::Invalid(_)) {
        msg.note(Note::NotHttp);
    }
    // Whether any line of the header block looks joined, in one pass over
    // the block (header values are short: one search per value cost more).
    // Only then is the field found, by its value.
    let maybe_joined = looks_joined(&head[rest.min(head.len())..]);
    msg.headers = parse_header_block(head, rest, &mut msg);
    if maybe_joined {
        note_joined(&mut msg);
    }
    msg
}

/// Notes the first field whose value looks like several headers joined.
fn note_joined(msg: &mut Message) {
    let joined = msg
        .headers
        .spans
        .iter()
        .find(|s| looks_joined(msg.headers.slice(s.value)))
        .map(|s| String::from_utf8_lossy(msg.headers.slice(s.name)).into_owned());
    if let Some(name) = joined {
        msg.note(Note::HeadersJoined(name));
    }
}

/// Bytes as tshark's ASCII strings: every byte ≥ 0x80 is U+FFFD.
pub fn ascii_lossy(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    push_ascii_lossy(b, &mut s);
    s
}

/// [`ascii_lossy`], appended to `out`.
fn push_ascii_lossy(b: &[u8], out: &mut String) {
    match std::str::from_utf8(b) {
        Ok(s) if s.is_ascii() => out.push_str(s),
        _ => out.extend(
            b.iter()
                .map(|&c| if c < 0x80 { c as char } else { '\u{fffd}' }),
        ),
    }
}

/// `str::trim` of [`ascii_lossy`] text, on the bytes: the only whitespace
/// such text can hold is ASCII (U+FFFD is not whitespace).
fn trim_unicode_ws(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |i| i + 1);
    &b[start..end]
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_ws(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    // At most 19 digits: no overflow.
    s.iter().try_fold(0u64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
    })
}

/// The size of a chunk-size line (`1a;ext=1\r\n`), hex.
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let line = trim_cr(line.strip_suffix(b"\n").unwrap_or(line));
    let size = line.split(|&b| b == b';').next().unwrap_or(&[]);
    let size = trim_ws(size);
    if size.is_empty() || size.len() > 15 || !size.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(size).ok()?, 16).ok()
}

/// Where a head ends in `buf` + `more` (index one past the blank line, in
/// the concatenation), looking only at the bytes that end in `more`. With
/// `empty_ok` a block that is only a blank line ends at once (trailers).
fn find_head_end(buf: &[u8], more: &[u8], empty_ok: bool) -> Option<usize> {
    let at = |i: usize| -> u8 {
        if i < buf.len() {
            buf[i]
        } else {
            more[i - buf.len()]
        }
    };
    // memchr finds the line ends; a head is a dozen lines of a few hundred
    // bytes, and a byte-by-byte scan was the parser's largest cost.
    for j in memchr::memchr_iter(b'\n', more) {
        let i = buf.len() + j;
        // The line ending at i is empty if the previous byte is \n, or it is
        // \r preceded by \n (or the block start, for trailers).
        let prev = i.checked_sub(1).map(at);
        let prev2 = i.checked_sub(2).map(at);
        let empty = match (prev, prev2) {
            (None, _) => empty_ok,
            (Some(b'\n'), _) => true,
            (Some(b'\r'), None) => empty_ok,
            (Some(b'\r'), Some(b'\n')) => true,
            _ => false,
        };
        if empty {
            return Some(i + 1);
        }
    }
    None
}

/// RFC 9110 §5.6.2 token characters, as a table: every request line's
/// method is checked byte by byte.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"!#$%&'*+-.^_`|~";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// `HTTP/1.x` (major 1 only) or `HTCPCP/x.y`.
fn parse_version(s: &[u8]) -> Option<Version> {
    let (htcpcp, rest) = if let Some(r) = s.strip_prefix(b"HTTP/") {
        (false, r)
    } else if let Some(r) = s.strip_prefix(b"HTCPCP/") {
        (true, r)
    } else {
        return None;
    };
    match rest {
        [ma, b'.', mi] if ma.is_ascii_digit() && mi.is_ascii_digit() => {
            let (major, minor) = (ma - b'0', mi - b'0');
            (htcpcp || major == 1).then_some(Version {
                htcpcp,
                major,
                minor,
            })
        }
        _ => None,
    }
}

/// A start line as slices of the line it was read from (no allocation:
/// detection and the head check read every start line before the message is
/// built).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLineRef<'a> {
    Request {
        method: &'a [u8],
        target: &'a [u8],
        version: Version,
    },
    Response {
        version: Version,
        code: u16,
        reason: &'a [u8],
    },
}

impl StartLineRef<'_> {
    /// The owned [`StartLine`] (lossy UTF-8).
    pub fn to_owned_line(self) -> StartLine {
        let text = |b: &[u8]| match std::str::from_utf8(b) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(b).into_owned(),
        };
        match self {
            StartLineRef::Request {
                method,
                target,
                version,
            } => StartLine::Request {
                method: text(method),
                target: text(target),
                version,
            },
            StartLineRef::Response {
                version,
                code,
                reason,
            } => StartLine::Response {
                version,
                code,
                reason: text(reason),
            },
        }
    }
}

/// A request line (`token SP target SP version`) or a status line
/// (`version SP 3DIGIT [SP reason]`), without its line ending; `None` when
/// it is neither.
pub fn parse_start_line(line: &[u8]) -> Option<StartLine> {
    read_start_line(line).map(StartLineRef::to_owned_line)
}

/// [`parse_start_line`] without building strings.
pub fn read_start_line(line: &[u8]) -> Option<StartLineRef<'_>> {
    if line.starts_with(b"HTTP/") || line.starts_with(b"HTCPCP/") {
        // A version is its name, `/` and `d.d`: the space after it is at a
        // known place (no search).
        let sp = if line[2] == b'T' { 8 } else { 10 };
        if line.get(sp) != Some(&b' ') {
            return None;
        }
        let version = parse_version(&line[..sp])?;
        let rest = &line[sp + 1..];
        let (code, reason) = match rest {
            [a, b, c] => ([*a, *b, *c], &[][..]),
            [a, b, c, b' ', reason @ ..] => ([*a, *b, *c], reason),
            _ => return None,
        };
        if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
            return None;
        }
        let code =
            (code[0] - b'0') as u16 * 100 + (code[1] - b'0') as u16 * 10 + (code[2] - b'0') as u16;
        return Some(StartLineRef::Response {
            version,
            code,
            reason,
        });
    }
    // A method is a short token: it ends at the first byte that is not one.
    let sp1 = line.iter().position(|&b| !is_tchar(b))?;
    if sp1 == 0 || line[sp1] != b' ' {
        return None;
    }
    let method = &line[..sp1];
    let rest = &line[sp1 + 1..];
    // The target ends at the first space; a control byte (or DEL) before
    // it, or no space at all, is not a request line.
    let sp2 = first_ctl(rest)?;
    if rest[sp2] != b' ' {
        return None;
    }
    let target = &rest[..sp2];
    if target.is_empty() {
        return None;
    }
    let version = parse_version(&rest[sp2 + 1..])?;
    Some(StartLineRef::Request {
        method,
        target,
        version,
    })
}

/// The index of the first byte below 0x21 (controls and space) or DEL.
/// Eight bytes at a time: request targets are tens of bytes, and this runs
/// on every request line.
fn first_ctl(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // A byte below 0x21 (bytes from 0x80 are left out by `!w`), or one
        // equal to 0x7f: exact as a whole-word test.
        let low = w.wrapping_sub(ONES * 0x21) & !w & HIGH;
        let del = (w ^ (ONES * 0x7f)).wrapping_sub(ONES) & !(w ^ (ONES * 0x7f)) & HIGH;
        if low | del != 0 {
            break;
        }
        at += 8;
    }
    b[at..]
        .iter()
        .position(|&c| c < 0x21 || c == 0x7f)
        .map(|i| at + i)
}

/// A header block (the lines of `block` from `from` on, with or without the
/// final blank line) through `httparse::parse_headers`; if it rejects the
/// block, line by line, noting the lines that do not parse. The block is
/// kept as the fields' bytes.
fn parse_header_block(block: Vec<u8>, from: usize, msg: &mut Message) -> Headers {
    let mut spans = Vec::new();
    {
        let span_of = |h: &httparse::Header<'_>| FieldSpan::of(&block, h);
        let rest = &block[from.min(block.len())..];
        spans.reserve(16);
        // Most heads have few headers: a small slot array first (zeroing 128
        // slots costs more than parsing a typical head).
        let mut few = [httparse::EMPTY_HEADER; 24];
        let mut parsed = false;
        match httparse::parse_headers(rest, &mut few) {
            Ok(httparse::Status::Complete((_, hs))) => {
                spans.extend(hs.iter().map(span_of));
                parsed = true;
            }
            Err(httparse::Error::TooManyHeaders) => {
                let mut slots = [httparse::EMPTY_HEADER; HEADER_SLOTS];
                if let Ok(httparse::Status::Complete((_, hs))) =
                    httparse::parse_headers(rest, &mut slots)
                {
                    spans.extend(hs.iter().map(span_of));
                    parsed = true;
                }
            }
            _ => {}
        }
        if !parsed {
            let mut line_buf = Vec::new();
            let mut line_start = from.min(block.len());
            for raw in rest.split(|&b| b == b'\n') {
                let offset = line_start;
                line_start += raw.len() + 1;
                let line = trim_cr(raw);
                if line.is_empty() {
                    continue;
                }
                line_buf.clear();
                line_buf.extend_from_slice(line);
                line_buf.extend_from_slice(b"\r\n\r\n");
                let mut one = [httparse::EMPTY_HEADER; 1];
                match httparse::parse_headers(&line_buf, &mut one) {
                    Ok(httparse::Status::Complete((_, [h]))) => {
                        // The same bytes sit at `offset` in the block.
                        let copy = line_buf.as_ptr() as usize;
                        let at = |b: &[u8]| {
                            let start = (offset + (b.as_ptr() as usize - copy)) as u32;
                            (start, start + b.len() as u32)
                        };
                        spans.push(FieldSpan {
                            name: at(h.name.as_bytes()),
                            value: at(h.value),
                        });
                    }
                    _ => {
                        let shown =
                            String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
                        msg.note(Note::MalformedHeader(shown));
                    }
                }
            }
        }
    }
    Headers {
        bytes: block,
        spans,
    }
}

/// A value like `127.0.0.1/x/Content-Type: text/html/Content-Length: 3`:
/// a `/` followed by a token and `:`.
fn looks_joined(value: &[u8]) -> bool {
    // memchr: this runs over every header value of every message.
    memchr::memchr_iter(b'/', value).any(|i| {
        let rest = &value[i + 1..];
        // Most slashes (`text/html`, `Firefox/128.0`) fail here.
        if !rest.first().is_some_and(u8::is_ascii_uppercase) {
            return false;
        }
        let n = rest
            .iter()
            .take_while(|&&c| c.is_ascii_alphabetic() || c == b'-')
            .count();
        n >= 2 && rest.get(n) == Some(&b':') && rest[0].is_ascii_uppercase()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn parse_all(htcpcp: bool, role: Role, chunks: &[&[u8]]) -> Vec<Message> {
        let mut p = MessageParser::new(htcpcp, role);
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, |m| out.push(m));
        }
        p.end_of_stream(|m| out.push(m));
        out
    }

    #[test]
    fn start_lines() {
        assert_eq!(
            parse_start_line(b"HTCPCP/1.1 418 I'm a Teapot"),
            Some(StartLine::Response {
                version: Version {
                    htcpcp: true,
                    major: 1,
                    minor: 1
                },
                code: 418,
                reason: "I'm a Teapot".into()
            })
        );
        assert!(parse_start_line(b"HTTP/1.1 200").is_some());
        assert!(parse_start_line(b"HTTP/1.1 20 OK").is_none());
        assert!(parse_start_line(b"HTTP/2 200 OK").is_none());
        assert!(parse_start_line(b"GET  / HTTP/1.1").is_none());
        assert!(parse_start_line(b"G(T / HTTP/1.1").is_none());
        assert!(parse_start_line(b"{\"a\": 1}").is_none());
    }

    #[test]
    fn head_end() {
        assert_eq!(find_head_end(b"", b"a\r\n\r\nb", false), Some(5));
        assert_eq!(find_head_end(b"a\r\n\r", b"\nb", false), Some(5));
        assert_eq!(find_head_end(b"a\n", b"\nb", false), Some(3));
        assert_eq!(find_head_end(b"", b"\r\n", true), Some(2));
        assert_eq!(find_head_end(b"", b"\r\n", false), None);
        assert_eq!(find_head_end(b"a\r\n", b"b\r\n", false), None);
    }

    #[test]
    fn first_control_byte() {
        assert_eq!(first_ctl(b"/index.html HTTP/1.1"), Some(11));
        assert_eq!(
            first_ctl(b"/a-long-enough-target-to-fill-words\x7f"),
            Some(35)
        );
        assert_eq!(first_ctl(b"/caf\xc3\xa9/\x00"), Some(7));
        assert_eq!(first_ctl(b"\t"), Some(0));
        assert_eq!(first_ctl(b"/no-end-at-all-\x80\xff"), None);
        assert_eq!(first_ctl(b""), None);
    }

    #[test]
    fn head_queue_remembers_heads_in_order() {
        let mut q = HeadQueue::default();
        assert!(!q.pop());
        for head in [false, true, false, true] {
            q.push(head);
        }
        assert_eq!(
            [q.pop(), q.pop(), q.pop(), q.pop(), q.pop()],
            [false, true, false, true, false]
        );
        // At the cap the oldest is forgotten.
        q.push(true);
        for _ in 0..MAX_PENDING_REQUESTS {
            q.push(false);
        }
        assert!(!q.pop());
        q.clear();
        q.push(true);
        assert!(q.pop());
    }

    #[test]
    fn a_whole_head_reads_as_a_byte_by_byte_one() {
        let head: &[u8] = b"GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nX: 127.0.0.1/a/Content-Type: t\r\n\r\nab";
        let whole = parse_all(false, Role::Request, &[head]);
        let bytes: Vec<&[u8]> = head.chunks(1).collect();
        assert_eq!(whole, parse_all(false, Role::Request, &bytes));
        assert_eq!(whole[0].body, b"ab");
        assert!(whole[0].notes.contains(&Note::HeadersJoined("X".into())));
    }

    #[test]
    fn joined_headers() {
        assert!(looks_joined(
            b"127.0.0.1:8000/index/Content-Type: text/html/Connection: keep-alive"
        ));
        assert!(!looks_joined(b"text/html; charset=utf-8"));
        assert!(!looks_joined(b"Mozilla/5.0 (X11; Linux x86_64)"));
    }

    #[test]
    fn content_length_and_pipelining() {
        let data = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.0\n\n";
        let msgs = parse_all(false, Role::Request, &[data]);
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].range, 0..28);
        assert_eq!(msgs[1].body, b"abc");
        assert_eq!(msgs[1].framing, Framing::ContentLength(3));
        assert_eq!(msgs[2].summary(), "GET /c HTTP/1.0");
        assert_eq!(msgs[2].range.end, data.len() as u64);
        assert!(msgs.iter().all(|m| m.notes.is_empty() && m.complete));
    }

    #[test]
    fn chunked_with_trailers() {
        let data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        let msgs = parse_all(false, Role::Response, &[data]);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].body, b"hello world");
        assert_eq!(msgs[0].trailers.get(0).map(|h| h.name), Some("X-Sum"));
        assert_eq!(msgs[0].framing, Framing::Chunked);
        assert!(msgs[0].notes.is_empty());
        assert_eq!(msgs[1].code(), Some(204));
        assert_eq!(msgs[1].range.end, data.len() as u64);
    }

    #[test]
    fn no_body_for_head_304_and_1xx() {
        let mut p = MessageParser::new(false, Role::Response);
        p.expect_response_to("HEAD");
        p.expect_response_to("GET");
        let data = b"HTTP/1.1 100 CONTINUE\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\n\r\n";
        let mut out = Vec::new();
        p.push(data, |m| out.push(m));
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|m| m.body_len == 0 && m.complete));
        assert_eq!(out[1].framing, Framing::None);
        assert_eq!(out[2].code(), Some(304));
    }

    #[test]
    fn seed_003_joined_head() {
        let data = b"HTTP/1.1 200 OK\r\nHost: 127.0.0.1:8000///Content-Type: text/html/Connection: keep-alive/Content-Length: 13/Date: x\r\n\r\nHello, World!";
        let msgs = parse_all(false, Role::Response, &[data]);
        assert_eq!(msgs.len(), 1);
        assert!(matches!(msgs[0].notes[0], Note::HeadersJoined(ref n) if n == "Host"));
        assert_eq!(msgs[0].framing, Framing::Close);
        assert_eq!(msgs[0].body, b"Hello, World!");
    }

    #[test]
    fn malformed_lines_kept() {
        let data = b"HTTP/1.1 200 OK\r\nGood: 1\r\nbad line here\r\n(also bad)\r\nContent-Length: 2\r\n\r\nok";
        let msgs = parse_all(false, Role::Response, &[data]);
        assert_eq!(msgs.len(), 1);
        let names: Vec<_> = msgs[0].headers.iter().map(|h| h.name).collect();
        assert_eq!(names, ["Good", "Content-Length"]);
        assert_eq!(msgs[0].notes.len(), 2);
        assert_eq!(msgs[0].body, b"ok");
    }

    #[test]
    fn not_http_is_one_continuation() {
        let msgs = parse_all(false, Role::Request, &[b"SSH-2.0-x\r\n", b"more"]);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].summary(), "Continuation");
        assert_eq!(msgs[0].body_len, 15);
        assert_eq!(msgs[0].notes, [Note::NotHttp]);
    }

    #[test]
    fn caps() {
        let limits = Limits {
            max_head: 64,
            max_body: 10,
        };
        let mut p = MessageParser::with_limits(false, Role::Response, limits);
        let mut out = Vec::new();
        p.push(b"HTTP/1.1 200 OK\r\n", |m| out.push(m));
        p.push(&[b'a'; 100], |m| out.push(m));
        assert!(p.buffered() <= 64);
        p.end_of_stream(|m| out.push(m));
        assert_eq!(out.len(), 1);
        assert!(out[0].notes.contains(&Note::HeadTooLarge(64)));
        assert_eq!(out[0].body.len(), 10);
        assert_eq!(out[0].range, 0..117);
    }

    #[test]
    fn gaps() {
        let mut p = MessageParser::new(false, Role::Response);
        let mut out = Vec::new();
        p.push(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", |m| {
            out.push(m)
        });
        p.gap(4, |m| out.push(m));
        p.push(b"xyzHTTP/1.1 200 OK\r\nContent-", |m| out.push(m));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].body, b"abcxyz");
        assert_eq!(out[0].body_len, 10);
        assert_eq!(out[0].notes, [Note::Gap(4)]);
        p.gap(100, |m| out.push(m));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].summary(), "HTTP/1.1 200 OK");
        assert!(!out[1].complete);
        assert_eq!(out[1].range, 49..74);
        p.push(b"ength: 5\r\n\r\n", |m| out.push(m));
        p.end_of_stream(|m| out.push(m));
        assert_eq!(out[2].summary(), "Continuation");
        assert_eq!(out[2].range, 174..186);
    }

    #[test]
    fn htcpcp_request_body_ends_when_the_pot_answers() {
        let mut p = MessageParser::new(true, Role::Request);
        let mut out = Vec::new();
        p.push(b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\nstart", |m| out.push(m));
        assert!(out.is_empty());
        p.peer_answered(|m| out.push(m));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].body, b"start");
        assert!(out[0].complete);
        p.end_of_stream(|m| out.push(m));
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn truncated_message_at_fin() {
        let msgs = parse_all(
            false,
            Role::Response,
            &[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
        );
        assert_eq!(msgs.len(), 1);
        assert!(!msgs[0].complete);
        assert_eq!(msgs[0].notes, [Note::Incomplete]);
        let msgs = parse_all(false, Role::Request, &[b"GET / HTTP/1.1\r\nHost:"]);
        assert_eq!(msgs[0].summary(), "GET / HTTP/1.1");
        assert!(!msgs[0].complete);
    }
}
