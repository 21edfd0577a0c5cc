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
//!
//! The module is split by what it does: [`start_line`] (request and status
//! lines, versions), [`headers`] (header blocks and trailers, the head's
//! end), [`parser`] (the streaming [`MessageParser`]: heads, then the body
//! framing of RFC 9112 §6 — chunked, Content-Length, close-delimited — and
//! the messages out). The types every part shares are here.

mod headers;
mod parser;
mod start_line;
#[cfg(test)]
mod tests;

use headers::*;
pub use headers::{Header, Headers};
pub use parser::MessageParser;
pub use start_line::{parse_start_line, read_start_line, StartLineRef};

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

/// Bytes as tshark's ASCII strings: every byte ≥ 0x80 is U+FFFD.
pub fn ascii_lossy(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    push_ascii_lossy(b, &mut s);
    s
}

/// [`ascii_lossy`], appended to `out`.
fn push_ascii_lossy(b: &[u8], out: &mut String) {
    // `is_ascii` first: a word at a time, where UTF-8 validation of a 64 KB
    // body and then its ASCII check were two passes (callgrind, `-T fields`).
    match b.is_ascii().then(|| std::str::from_utf8(b)) {
        Some(Ok(s)) => out.push_str(s),
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
