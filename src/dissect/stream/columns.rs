//! The Protocol and Info columns of a frame, exactly as tshark 4.0 fills
//! them: the pieces of the messages completed in it, the first line of a
//! message begun in it, `[TCP segment of a reassembled PDU]`, TLS record
//! names and versions.

use super::*;
use crate::dissect::http::{Message, StartLine, Wait};

impl StreamState {
    /// The Protocol column for the TLS records completed in a frame (`None`
    /// without `columns` or records; the TLS version is noted either way).
    /// HTTP messages name it in [`messages_info`].
    pub(super) fn column_protocol(
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
                Parsed::Http(_) | Parsed::Ws(_) => {}
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
    pub(super) fn frame_columns(
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
            Parser::WebSocket(p) => {
                // tcp_dissect_pdus: a frame's first segments keep TCP's
                // Info, with `[TCP segment of a reassembled PDU]`.
                let pending = p.pending_start();
                let began = matches!((pending, first_offset), (Some(s), Some(o)) if s >= o);
                (
                    None,
                    began,
                    first_offset.is_some() && pending.is_some(),
                    None,
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
                reset: Vec::new(),
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
                reset: Vec::new(),
            }));
        }
        None
    }
}

/// The Info text of the messages completed in a frame: the pieces of each
/// HTTP message, TLS records joined by `, `; and the Protocol column the last
/// HTTP message gives, if any.
pub(super) fn messages_info(messages: &[Pdu]) -> (String, Option<&'static str>) {
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
            // Each WebSocket frame sets the column anew: the last one of
            // the segment shows (checked on a real capture with two
            // frames in one segment).
            PduBody::WebSocket(f) => {
                info.clear();
                info.push_str(&f.info());
                name = Some("WebSocket");
                after_tls = false;
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
pub(super) const TLS_SEGMENT: &str = "[TLS segment of a reassembled PDU]";

/// The first line (and a space) of a message begun and not finished, once
/// it is known, for the Info of the frames that carry it.
pub(super) fn pending_first_line(pd: &crate::dissect::http::Pending<'_>) -> Option<String> {
    let mut s = String::with_capacity(96);
    match (pd.first_line, pd.message) {
        (Some(l), _) => s.push_str(&crate::dissect::lossy_text(l)),
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

/// Writes `GET / HTTP/1.1` or `HTTP/1.1 200 OK`.
pub(super) fn start_line_text(line: &StartLine, out: &mut String) {
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

pub(super) fn push_version(v: crate::dissect::http::Version, out: &mut String) {
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
pub(super) fn http_piece(h: &HttpPdu, out: &mut String) -> &'static str {
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
pub(super) fn push_lowercase(t: &[u8], out: &mut String) {
    let from = out.len();
    out.push_str(&crate::dissect::lossy_text(t));
    out[from..].make_ascii_lowercase();
}

/// How Wireshark's body dissectors show a media type in the Info column.
pub(super) enum Media<'a> {
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

pub(super) fn media(m: &Message) -> Media<'_> {
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
pub(super) fn tls_column_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLSv1.1",
        0x0303 => "TLSv1.2",
        0x0304 => "TLSv1.3",
        _ => "TLS",
    }
}
