//! Application-layer message parsers for reassembled TCP streams: HTTP/1.x
//! (RFC 9112), HTCPCP (RFC 2324, with the tea extension of RFC 7168) and TLS
//! records (RFC 8446 §5.1). A pure library layer: nothing in the packet list
//! calls it yet.
//!
//! # Contract
//!
//! - [`detect`] looks at the first bytes of one direction of a stream and
//!   names the protocol by content (ports are hints only, for the caller).
//! - One parser per direction of a stream: [`http::MessageParser`] (HTTP and
//!   HTCPCP, requests or responses) or [`tls::RecordParser`]. Feed it the
//!   in-order bytes of `flow::reassembly` [`Event::Data`] with `push`, in
//!   stream order, in chunks of any size, `gap(len)` for bytes never
//!   captured (`Event::Gap`, `Event::Uncaptured`), and `end_of_stream` at the
//!   FIN (or when the capture ends). A response parser is told the methods of
//!   the requests it answers (`expect_response_to`: no body after HEAD); an
//!   HTCPCP request parser is told when the pot starts answering
//!   (`peer_answered`: the lab's BREW has no Content-Length). Complete
//!   messages come out through the sink
//!   closure, each with its byte range in the stream (`start..end`, stream
//!   offsets as in `Event::Data::offset`), so the caller can map it to the
//!   frames that carried it.
//! - Chunking never matters: the same bytes fed in different chunk sizes give
//!   the same messages (every decision depends on the bytes seen, never on
//!   where a chunk ended).
//! - Never a panic, never an unbounded buffer: a head is buffered up to
//!   [`http::Limits::max_head`] (64 KiB), a body up to
//!   [`http::Limits::max_body`]; beyond that the message is flagged with an
//!   expert [`http::Note`] and the rest is counted, not kept. A TLS record is
//!   at most 2¹⁴ + 2048 bytes (RFC 8446 §5.2).
//! - Malformed input is returned as far as it parsed, flagged, never dropped.
//! - After an HTTP `101 Switching Protocols` to `websocket`, the stream
//!   layer hands both directions to [`websocket::FrameParser`] (RFC 6455).
//! - [`htcpcp::interpret`] reads the HTCPCP view (method, scheme, pot,
//!   additions, status meaning) out of a message parsed on an HTCPCP stream.
//!
//! [`Event::Data`]: crate::flow::reassembly::Event::Data

pub mod decrypted;
pub mod htcpcp;
pub mod http;
pub mod stream;
pub mod tls;
pub mod websocket;

/// A protocol recognised by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// HTTP/1.0 or HTTP/1.1.
    Http,
    /// HTCPCP (RFC 2324 / RFC 7168) as the lab speaks it.
    Htcpcp,
    /// TLS (or SSL 3.0) records.
    Tls,
}

impl Protocol {
    /// The name of the Protocol column.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Htcpcp => "HTCPCP",
            Protocol::Tls => "TLS",
        }
    }
}

/// The protocol of a stream direction from its first bytes, or `None` when
/// they are none of HTTP/1.x, HTCPCP or TLS.
///
/// - TLS: a record header (content type 20–24, version 0x0300–0x0304,
///   length ≤ 2¹⁴ + 2048).
/// - HTCPCP: an `HTCPCP/x.y` status line; or a request line whose version is
///   `HTCPCP/x.y`, whose URI scheme is one of the lab's coffee schemes
///   (compared percent-decoded), or whose method is BREW, WHEN or PROPFIND.
/// - HTTP: an `HTTP/1.x` status line, or a request line `token SP target SP
///   HTTP/1.x`.
pub fn detect(first: &[u8]) -> Option<Protocol> {
    if tls::looks_like_record(first) {
        return Some(Protocol::Tls);
    }
    let line = match memchr::memchr(b'\n', first) {
        Some(i) => &first[..i],
        None => first,
    };
    detect_line(line)
}

/// [`detect`] on a first line that is not a TLS record (line end excluded;
/// a CR before it is dropped).
pub(crate) fn detect_line(line: &[u8]) -> Option<Protocol> {
    detect_start_line(line).map(|(p, _)| p)
}

/// [`detect_line`], with the start line it read.
pub(crate) fn detect_start_line(line: &[u8]) -> Option<(Protocol, http::StartLineRef<'_>)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = http::read_start_line(line)?;
    let htcpcp = match start {
        http::StartLineRef::Response { version, .. } => version.htcpcp,
        http::StartLineRef::Request {
            method,
            target,
            version,
        } => version.htcpcp || htcpcp::is_htcpcp_request_bytes(method, target),
    };
    let p = if htcpcp {
        Protocol::Htcpcp
    } else {
        Protocol::Http
    };
    Some((p, start))
}

/// `String::from_utf8_lossy`, with a quicker check for the common case of
/// valid (mostly ASCII) text: the lossy decoder walks the bytes one by one.
pub(crate) fn lossy_text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(
            detect(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Some(Protocol::Http)
        );
        assert_eq!(detect(b"HTTP/1.0 200 OK\r\n"), Some(Protocol::Http));
        assert_eq!(detect(b"PRRT / HTTP/1.1\r\n"), Some(Protocol::Http));
        assert_eq!(
            detect(b"BREW coffee://ducky HTTP/1.1\r\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(
            detect(b"GET koffie://ducky HTTP/1.1\r\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(
            detect(b"GET %D0%BA%D0%BE%D1%84%D0%B5://ducky HTTP/1.1\r\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(
            detect(b"GET Kaffee://ducky HTTP/1.1\r\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(
            detect(b"WHEN caffeine://ducky HTTP/1.1\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(
            detect(b"GET coffee://ducky HTCPCP/1.0\r\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(
            detect(b"HTCPCP/1.1 418 I'm a Teapot\r\n"),
            Some(Protocol::Htcpcp)
        );
        assert_eq!(detect(&[22, 3, 1, 0, 200, 1]), Some(Protocol::Tls));
        assert_eq!(detect(&[23, 3, 3, 0x48, 0x00]), Some(Protocol::Tls));
        assert_eq!(detect(&[23, 3, 3, 0x48, 0x01]), None);
        assert_eq!(detect(&[25, 3, 3, 0, 1]), None);
        assert_eq!(detect(b"{\"a\": 1}"), None);
        assert_eq!(detect(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(detect(b"GET / HTTP/2.0\r\n"), None);
        assert_eq!(detect(b""), None);
    }
}
