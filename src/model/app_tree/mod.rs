//! The application layers of the field tree: HTTP (`http`, Wireshark's
//! names), HTCPCP (`htcpcp`, ours in the same style) and TLS (`tls`), built
//! from what the one pass attributed to a frame ([`AppFrame`]), plus the
//! `[N Reassembled TCP Segments (...)]` block of a message that spans
//! segments (`tcp.segment`, `tcp.segment.count`, `tcp.reassembled.length`).
//!
//! As in tshark's one pass (`tshark -r`), a request does not know its
//! response (no `http.response_in`); a response knows its request
//! (`http.request_in`, `http.time`, `http.response_for.uri`).
//!
//! Values follow tshark 4.0: header values are read as ASCII (every byte
//! ≥ 0x80 becomes U+FFFD), header lines keep their `\r\n`, hidden fields
//! (`http.request`, `http.request.line`, ...) are in the tree for filters,
//! JSON and `-T fields` but not shown by `-V`. Every field of an
//! application layer covers the frame's TCP payload (messages completed by
//! reassembly have no single span in the frame).

use super::field::{Field, Layer, Value};
use crate::dissect::stream::{AppFrame, Pdu, PduBody};
use crate::dissect::tls::Record;
use crate::dissect::Protocol;
use crate::source::time::write_seconds;

mod htcpcp_tree;
mod http_tree;
mod tls_tree;

use htcpcp_tree::*;
pub use http_tree::status_description;
use http_tree::*;
pub(crate) use http_tree::{first_line_label, media_protocol};
use tls_tree::*;

/// Where the application layers sit in the frame: the TCP payload.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

/// Appends the application layers of a frame to `layers` and their names to
/// `protocols` (`frame.protocols`).
pub fn push_layers(
    app: &AppFrame,
    span: Span,
    layers: &mut Vec<Layer>,
    protocols: &mut Vec<&'static str>,
) {
    let mut tls_records: Vec<&Record> = Vec::new();
    // Decrypted: TLS, then the protocol inside (tshark's layer order).
    let inside = app
        .messages
        .iter()
        .any(|m| matches!(&m.body, PduBody::Tls(r) if r.inner_http));
    let records_at = layers.len();
    let protocols_at = protocols.len();
    for pdu in &app.messages {
        if pdu.segments.len() > 1 {
            layers.push(segments_layer(pdu, span));
        }
        match &pdu.body {
            PduBody::Http(h) => {
                if h.protocol == Protocol::Htcpcp {
                    layers.push(htcpcp_layer(h, span));
                    protocols.push("htcpcp");
                } else {
                    layers.push(http_layer(h, span));
                    protocols.push("http");
                    if let Some(p) = media_protocol(&h.message) {
                        protocols.push(p);
                    }
                }
            }
            PduBody::Tls(r) => tls_records.push(r),
            // tshark's HTTP dissector hands the upgraded stream on: `http`
            // stays in frame.protocols, once, before `websocket`.
            PduBody::WebSocket(w) => {
                if !protocols.contains(&"websocket") {
                    protocols.extend(["http", "websocket"]);
                }
                super::websocket_tree::push_frame(pdu, w, span, layers, protocols);
            }
        }
    }
    if !tls_records.is_empty() {
        let session = app
            .protocol
            .and_then(column_version)
            .or_else(|| tls_records.iter().find_map(|r| r.session_version));
        let layer = tls_layer(&tls_records, session, span);
        if inside {
            layers.insert(records_at, layer);
            protocols.insert(protocols_at, "tls");
        } else {
            layers.push(layer);
            protocols.push("tls");
        }
    }
}

fn f(name: &'static str, value: Value, label: String, span: Span) -> Field {
    Field::new(name, value, label, span.start, span.len)
}

fn text(label: String, span: Span) -> Field {
    Field::text(label, span.start, span.len)
}

fn hidden(mut field: Field) -> Field {
    field.hidden = true;
    field
}

fn s(name: &'static str, label: &str, value: String, span: Span) -> Field {
    let shown = escape_label(&value);
    f(name, Value::Str(value), format!("{label}: {shown}"), span)
}

fn uint(name: &'static str, label: String, v: u64, span: Span) -> Field {
    f(name, Value::UInt(v), label, span)
}

pub use crate::dissect::http::ascii_lossy;

/// A string parsed as lossy UTF-8, as tshark's ASCII reading shows it: one
/// U+FFFD per byte of each non-ASCII character.
pub fn ascii_of(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let n = if c == '\u{fffd}' { 1 } else { c.len_utf8() };
            out.extend(std::iter::repeat('\u{fffd}').take(n));
        }
    }
    out
}

/// Control characters in a label as tshark's details show them.
fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

fn seconds(nanos: i128) -> String {
    let mut s = String::new();
    write_seconds(&mut s, nanos, 9);
    s
}

/// `[2 Reassembled TCP Segments (300 bytes): #6(186), #8(114)]`.
fn segments_layer(pdu: &Pdu, span: Span) -> Layer {
    let total: u64 = pdu.segments.iter().map(|s| u64::from(s.1)).sum();
    let list: Vec<String> = pdu
        .segments
        .iter()
        .map(|(fr, n)| format!("#{fr}({n})"))
        .collect();
    let mut fields = Vec::new();
    let mut at = 0u64;
    for (fr, n) in &pdu.segments {
        let n = u64::from(*n);
        fields.push(uint(
            "tcp.segment",
            format!(
                "[Frame: {fr}, payload: {at}-{} ({n} bytes)]",
                (at + n).saturating_sub(1)
            ),
            *fr,
            span,
        ));
        at += n;
    }
    fields.push(uint(
        "tcp.segment.count",
        format!("[Segment count: {}]", pdu.segments.len()),
        pdu.segments.len() as u64,
        span,
    ));
    fields.push(uint(
        "tcp.reassembled.length",
        format!("[Reassembled TCP length: {total}]"),
        total,
        span,
    ));
    Layer {
        proto: "tcp.segments",
        label: format!(
            "[{} Reassembled TCP Segments ({total} bytes): {}]",
            pdu.segments.len(),
            list.join(", ")
        ),
        start: span.start,
        len: span.len,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_reading_is_one_replacement_per_byte() {
        assert_eq!(ascii_lossy(b"caf\xc3\xa9"), "caf\u{fffd}\u{fffd}");
        assert_eq!(ascii_of("café"), "caf\u{fffd}\u{fffd}");
        assert_eq!(ascii_of("ok"), "ok");
    }

    #[test]
    fn status_descriptions() {
        assert_eq!(status_description(418), "I'm a teapot");
        assert_eq!(status_description(304), "Not Modified");
        assert_eq!(status_description(306), "Unknown (306)");
    }
}
