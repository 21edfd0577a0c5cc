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
use crate::dissect::htcpcp::{self, Htcpcp};
use crate::dissect::http::{Header, Message, StartLine};
use crate::dissect::stream::{AppFrame, HttpPdu, Pdu, PduBody};
use crate::dissect::tls::{self, HandshakeBody, Record};
use crate::dissect::Protocol;
use crate::source::time::write_seconds;

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

/// The protocol Wireshark hands an HTTP body to (`frame.protocols`).
fn media_protocol(m: &Message) -> Option<&'static str> {
    if m.body_len == 0 {
        return None;
    }
    let ct = m.media_type();
    Some(match ct.as_deref() {
        None => "data",
        Some(t) if t.starts_with("text/") => "data-text-lines",
        Some("application/json") => "json",
        // Checked with curl -d on a real capture (tshark 4.0).
        Some("application/x-www-form-urlencoded") => "urlencoded-form",
        Some("image/gif")
            if m.body.len() >= 20
                && (m.body.starts_with(b"GIF89a") || m.body.starts_with(b"GIF87a")) =>
        {
            "image-gif"
        }
        Some(_) => "media",
    })
}

/// Wireshark's status code descriptions (`http.response.code.desc`).
pub fn status_description(code: u16) -> String {
    let name = match code {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        199 => "Informational - Others",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        299 => "Success - Others",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        399 => "Redirection - Others",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        499 => "Client Error - Others",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "HTTP Version not supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        599 => "Server Error - Others",
        _ => return format!("Unknown ({code})"),
    };
    name.to_string()
}

/// Wireshark's field for a header it knows (lower-case name).
fn http_header_field(lower: &str) -> Option<&'static str> {
    Some(match lower {
        "host" => "http.host",
        "user-agent" => "http.user_agent",
        "accept" => "http.accept",
        "accept-language" => "http.accept_language",
        "accept-encoding" => "http.accept_encoding",
        "connection" => "http.connection",
        "content-type" => "http.content_type",
        "content-length" => "http.content_length_header",
        "content-encoding" => "http.content_encoding",
        "transfer-encoding" => "http.transfer_encoding",
        "upgrade" => "http.upgrade",
        "cookie" => "http.cookie",
        "set-cookie" => "http.set_cookie",
        "location" => "http.location",
        "date" => "http.date",
        "server" => "http.server",
        "last-modified" => "http.last_modified",
        "cache-control" => "http.cache_control",
        "referer" => "http.referer",
        "authorization" => "http.authorization",
        "www-authenticate" => "http.www_authenticate",
        "x-forwarded-for" => "http.x_forwarded_for",
        _ => return None,
    })
}

/// One header: its field (or a text line), with Wireshark's children.
fn http_header(h: &Header<'_>, request: bool, span: Span, out: &mut Vec<Field>) {
    let value = ascii_lossy(h.value);
    let line = format!("{}: {value}\r\n", ascii_of(h.name));
    let label = escape_label(&line);
    let lower = h.name.to_ascii_lowercase();
    let line_name = if request {
        "http.request.line"
    } else {
        "http.response.line"
    };
    let Some(name) = http_header_field(&lower) else {
        // A header Wireshark has no field for is its `http.request.line`
        // alone, shown (no text node: tshark's JSON has no key for it).
        out.push(f(line_name, Value::Str(line), label, span));
        return;
    };
    let mut field = f(name, Value::Str(value.clone()), label, span);
    match lower.as_str() {
        "content-length" => {
            if let Ok(n) = value.trim().parse::<u64>() {
                field.children.push(uint(
                    "http.content_length",
                    format!("[Content length: {n}]"),
                    n,
                    span,
                ));
            }
        }
        "cookie" => {
            for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                field
                    .children
                    .push(s("http.cookie_pair", "Cookie pair", pair.to_string(), span));
            }
        }
        _ => {}
    }
    out.push(field);
    out.push(hidden(f(line_name, Value::Str(line), String::new(), span)));
}

/// `Request URI` with its path, query and query parameters.
fn uri_field(name_prefix: UriNames, uri: &str, span: Span) -> Field {
    let mut field = s(name_prefix.uri, "Request URI", uri.to_string(), span);
    if let Some((path, query)) = uri.split_once('?') {
        field.children.push(s(
            name_prefix.path,
            "Request URI Path",
            path.to_string(),
            span,
        ));
        let mut q = s(
            name_prefix.query,
            "Request URI Query",
            query.to_string(),
            span,
        );
        for p in query.split('&') {
            q.children.push(s(
                name_prefix.param,
                "Request URI Query Parameter",
                p.to_string(),
                span,
            ));
        }
        field.children.push(q);
    }
    field
}

#[derive(Clone, Copy)]
struct UriNames {
    uri: &'static str,
    path: &'static str,
    query: &'static str,
    param: &'static str,
}

const HTTP_URI: UriNames = UriNames {
    uri: "http.request.uri",
    path: "http.request.uri.path",
    query: "http.request.uri.query",
    param: "http.request.uri.query.parameter",
};

fn first_line_label(m: &Message) -> String {
    match &m.start_line {
        StartLine::Request {
            method,
            target,
            version,
        } => format!("{} {} {version}\\r\\n", ascii_of(method), ascii_of(target)),
        StartLine::Response {
            version,
            code,
            reason,
        } => format!("{version} {code} {}\\r\\n", ascii_of(reason)),
        StartLine::None => "[No status line: a bare body]".to_string(),
        StartLine::Invalid(line) => format!("Continuation: {}", escape_label(&ascii_lossy(line))),
    }
}

/// The `http` layer of one message.
fn http_layer(h: &HttpPdu, span: Span) -> Layer {
    let m = &h.message;
    let mut fields = Vec::new();
    let request = m.is_request();
    match &m.start_line {
        StartLine::Request {
            method,
            target,
            version,
        } => {
            fields.push(text(first_line_label(m), span).with(vec![
                s(
                    "http.request.method",
                    "Request Method",
                    ascii_of(method),
                    span,
                ),
                uri_field(HTTP_URI, &ascii_of(target), span),
                s(
                    "http.request.version",
                    "Request Version",
                    version.to_string(),
                    span,
                ),
            ]));
        }
        StartLine::Response {
            version,
            code,
            reason,
        } => {
            fields.push(text(first_line_label(m), span).with(vec![
                s(
                    "http.response.version",
                    "Response Version",
                    version.to_string(),
                    span,
                ),
                uint(
                    "http.response.code",
                    format!("Status Code: {code}"),
                    u64::from(*code),
                    span,
                ),
                f(
                    "http.response.code.desc",
                    Value::Str(status_description(*code)),
                    format!("[Status Code Description: {}]", status_description(*code)),
                    span,
                ),
                s(
                    "http.response.phrase",
                    "Response Phrase",
                    ascii_of(reason),
                    span,
                ),
            ]));
        }
        StartLine::None | StartLine::Invalid(_) => {
            fields.push(text(first_line_label(m), span));
        }
    }
    let headed = matches!(
        m.start_line,
        StartLine::Request { .. } | StartLine::Response { .. }
    );
    for hd in m.headers.iter() {
        http_header(&hd, request, span, &mut fields);
    }
    if headed && m.head_len > 0 {
        fields.push(text("\\r\\n".into(), span));
    }
    notes(m, span, &mut fields);
    match &m.start_line {
        StartLine::Request { .. } => {
            if let Some(uri) = &h.full_uri {
                fields.push(f(
                    "http.request.full_uri",
                    Value::Str(uri.clone()),
                    format!("[Full request URI: {uri}]"),
                    span,
                ));
            }
            fields.push(hidden(f(
                "http.request",
                Value::Bool(true),
                String::new(),
                span,
            )));
            fields.push(uint(
                "http.request_number",
                format!("[HTTP request {}/{}]", h.index, h.index),
                u64::from(h.index),
                span,
            ));
            if let Some(p) = h.prev_in {
                fields.push(uint(
                    "http.prev_request_in",
                    format!("[Prev request in frame: {p}]"),
                    p,
                    span,
                ));
            }
        }
        StartLine::Response { .. } | StartLine::None => {
            fields.push(hidden(f(
                "http.response",
                Value::Bool(true),
                String::new(),
                span,
            )));
            fields.push(uint(
                "http.response_number",
                format!("[HTTP response {}/{}]", h.index, h.index),
                u64::from(h.index),
                span,
            ));
            // tshark 4.0's order: the time, the previous request (its
            // request's) and response, then the request.
            if let Some(r) = &h.request {
                fields.push(f(
                    "http.time",
                    Value::Seconds(r.elapsed_nanos, 9),
                    format!("[Time since request: {} seconds]", seconds(r.elapsed_nanos)),
                    span,
                ));
                if let Some(p) = r.prev_in {
                    fields.push(uint(
                        "http.prev_request_in",
                        format!("[Prev request in frame: {p}]"),
                        p,
                        span,
                    ));
                }
            }
            if let Some(p) = h.prev_in {
                fields.push(uint(
                    "http.prev_response_in",
                    format!("[Prev response in frame: {p}]"),
                    p,
                    span,
                ));
            }
            if let Some(r) = &h.request {
                fields.push(uint(
                    "http.request_in",
                    format!("[Request in frame: {}]", r.frame),
                    r.frame,
                    span,
                ));
                // Without a Host the request's own target (as Wireshark).
                if let Some(uri) = h
                    .full_uri
                    .as_ref()
                    .or(Some(&r.uri))
                    .filter(|u| !u.is_empty())
                {
                    fields.push(f(
                        "http.response_for.uri",
                        Value::Str(uri.clone()),
                        format!("[Request URI: {uri}]"),
                        span,
                    ));
                }
                if m.code() == Some(304) {
                    conditional(r, span, &mut fields);
                }
            }
        }
        StartLine::Invalid(_) => {}
    }
    if m.body_len > 0 {
        // An FT_STRING: the text ends at the first NUL, as in tshark.
        let text_end = m.body.iter().position(|&b| b == 0).unwrap_or(m.body.len());
        fields.push(f(
            "http.file_data",
            Value::Str(ascii_lossy(&m.body[..text_end])),
            format!("File Data: {} bytes", m.body_len),
            span,
        ));
    }
    Layer {
        proto: "http",
        label: "Hypertext Transfer Protocol".into(),
        start: span.start,
        len: span.len,
        fields,
    }
}

/// The request's conditional headers next to the 304 they caused (ours:
/// text only, Wireshark has no such lines).
fn conditional(r: &crate::dissect::stream::RequestRef, span: Span, out: &mut Vec<Field>) {
    if let Some(v) = &r.if_none_match {
        out.push(text(
            format!("[Request had If-None-Match: {}]", escape_label(v)),
            span,
        ));
    }
    if let Some(v) = &r.if_modified_since {
        out.push(text(
            format!("[Request had If-Modified-Since: {}]", escape_label(v)),
            span,
        ));
    }
}

/// Expert notes of a message, as `[Expert Info (Severity): text]` lines.
fn notes(m: &Message, span: Span, out: &mut Vec<Field>) {
    for n in &m.notes {
        out.push(text(
            format!(
                "[Expert Info ({}): {}]",
                n.severity(),
                escape_label(&n.to_string())
            ),
            span,
        ));
    }
}

/// The `htcpcp` layer of one message (our names, Wireshark's style).
fn htcpcp_layer(h: &HttpPdu, span: Span) -> Layer {
    let m = &h.message;
    let mut fields = Vec::new();
    let view = h.htcpcp();
    match (&m.start_line, view) {
        (StartLine::Request { .. }, Some(Htcpcp::Request(r))) => {
            let scheme = match (&r.scheme, r.scheme_accepted) {
                (Some(sc), true) => Some(f(
                    "htcpcp.request.scheme",
                    Value::Str(sc.clone()),
                    format!(
                        "URI scheme: {} (a coffee scheme: accepted)",
                        escape_label(sc)
                    ),
                    span,
                )),
                (Some(sc), false) => Some(f(
                    "htcpcp.request.scheme",
                    Value::Str(sc.clone()),
                    format!(
                        "URI scheme: {} (not a coffee scheme: the pot answers 400)",
                        escape_label(sc)
                    ),
                    span,
                )),
                (None, _) => None,
            };
            let method_label = if r.known_method {
                format!("Request Method: {}", escape_label(&r.method))
            } else {
                format!(
                    "Request Method: {} (unknown to HTCPCP: the pot answers 501)",
                    escape_label(&r.method)
                )
            };
            let mut children = vec![
                f(
                    "htcpcp.request.method",
                    Value::Str(r.method.clone()),
                    method_label,
                    span,
                ),
                s("htcpcp.request.uri", "Request URI", r.uri.clone(), span),
            ];
            children.extend(scheme);
            if let Some(p) = &r.pot {
                let label = if p == htcpcp::HOST {
                    format!("Pot: {p}")
                } else {
                    format!(
                        "Pot: {} (not {}: the pot answers 404)",
                        escape_label(p),
                        htcpcp::HOST
                    )
                };
                children.push(f("htcpcp.request.pot", Value::Str(p.clone()), label, span));
            }
            children.push(s(
                "htcpcp.request.version",
                "Request Version",
                r.version.to_string(),
                span,
            ));
            fields.push(text(first_line_label(m), span).with(children));
            for hd in m.headers.iter() {
                let lower = hd.name.to_ascii_lowercase();
                let value = String::from_utf8_lossy(hd.value).trim().to_string();
                let label = escape_label(&format!("{}: {value}\r\n", hd.name));
                match lower.as_str() {
                    "accept-additions" => {
                        let adds = htcpcp::split_additions(&value);
                        let mut field = f(
                            "htcpcp.accept_additions",
                            Value::Str(value.clone()),
                            label,
                            span,
                        );
                        for a in adds {
                            let l = match a.label {
                                Some(lab) => format!("Addition: {} ({lab}) [accepted]", a.name),
                                None => format!(
                                    "Addition: {} [not accepted: the pot answers 406]",
                                    escape_label(&a.name)
                                ),
                            };
                            field.children.push(
                                f("htcpcp.addition", Value::Str(a.name.clone()), l, span).with(
                                    vec![f(
                                        "htcpcp.addition.accepted",
                                        Value::Bool(a.accepted),
                                        format!("Accepted: {}", a.accepted),
                                        span,
                                    )],
                                ),
                            );
                        }
                        fields.push(field);
                    }
                    "use-pot" => {
                        let l = if value.eq_ignore_ascii_case("tea") {
                            format!("{label} (a teapot: the pot answers 418)")
                        } else {
                            label
                        };
                        fields.push(f("htcpcp.use_pot", Value::Str(value), l, span));
                    }
                    "content-type" => {
                        let l = if value.eq_ignore_ascii_case(htcpcp::COMMAND_CONTENT_TYPE) {
                            label
                        } else {
                            format!(
                                "{label} (not {}: the pot answers 415)",
                                htcpcp::COMMAND_CONTENT_TYPE
                            )
                        };
                        fields.push(f("htcpcp.content_type", Value::Str(value), l, span));
                    }
                    _ => fields.push(text(label, span)),
                }
            }
            if m.head_len > 0 {
                fields.push(text("\\r\\n".into(), span));
            }
            fields.push(hidden(f(
                "htcpcp.request",
                Value::Bool(true),
                String::new(),
                span,
            )));
            fields.push(uint(
                "htcpcp.request_number",
                format!("[HTCPCP request {}/{}]", h.index, h.index),
                u64::from(h.index),
                span,
            ));
            if let Some(p) = h.prev_in {
                fields.push(uint(
                    "htcpcp.prev_request_in",
                    format!("[Prev request in frame: {p}]"),
                    p,
                    span,
                ));
            }
            if let Some(c) = &r.command {
                let what = match c {
                    htcpcp::Command::Start => "start brewing".to_string(),
                    htcpcp::Command::Stop => "stop brewing".to_string(),
                    htcpcp::Command::Other(o) => format!(
                        "{} (neither start nor stop: the pot answers 400)",
                        escape_label(o)
                    ),
                };
                fields.push(text(format!("[Command: {what}]"), span));
            }
        }
        (_, Some(Htcpcp::Response(r))) => {
            match (&m.start_line, r.code) {
                (StartLine::Response { version, .. }, Some(code)) => {
                    let meaning = r.meaning.map(|mn| format!(" ({mn})")).unwrap_or_default();
                    fields.push(text(first_line_label(m), span).with(vec![
                        s(
                            "htcpcp.response.version",
                            "Response Version",
                            version.to_string(),
                            span,
                        ),
                        uint(
                            "htcpcp.response.code",
                            format!("Status Code: {code}{meaning}"),
                            u64::from(code),
                            span,
                        ),
                        s(
                            "htcpcp.response.phrase",
                            "Response Phrase",
                            r.reason.clone(),
                            span,
                        ),
                    ]));
                }
                _ => fields.push(text(first_line_label(m), span)),
            }
            for hd in m.headers.iter() {
                let value = String::from_utf8_lossy(hd.value).trim().to_string();
                let label = escape_label(&format!("{}: {value}\r\n", hd.name));
                if hd.name.eq_ignore_ascii_case("content-type") {
                    fields.push(f("htcpcp.content_type", Value::Str(value), label, span));
                } else {
                    fields.push(text(label, span));
                }
            }
            if m.head_len > 0 && !matches!(m.start_line, StartLine::None) {
                fields.push(text("\\r\\n".into(), span));
            }
            fields.push(hidden(f(
                "htcpcp.response",
                Value::Bool(true),
                String::new(),
                span,
            )));
            fields.push(uint(
                "htcpcp.response_number",
                format!("[HTCPCP response {}/{}]", h.index, h.index),
                u64::from(h.index),
                span,
            ));
            if let Some(p) = h.prev_in {
                fields.push(uint(
                    "htcpcp.prev_response_in",
                    format!("[Prev response in frame: {p}]"),
                    p,
                    span,
                ));
            }
            if let Some(rq) = &h.request {
                fields.push(f(
                    "htcpcp.time",
                    Value::Seconds(rq.elapsed_nanos, 9),
                    format!(
                        "[Time since request: {} seconds]",
                        seconds(rq.elapsed_nanos)
                    ),
                    span,
                ));
                fields.push(uint(
                    "htcpcp.request_in",
                    format!("[Request in frame: {}]", rq.frame),
                    rq.frame,
                    span,
                ));
                fields.push(text(
                    format!(
                        "[Request: {} {}]",
                        escape_label(&rq.method),
                        escape_label(&rq.uri)
                    ),
                    span,
                ));
            }
        }
        _ => fields.push(text(first_line_label(m), span)),
    }
    notes(m, span, &mut fields);
    if m.body_len > 0 {
        let body = String::from_utf8_lossy(&m.body).into_owned();
        let mut field = f(
            "htcpcp.body",
            Value::Str(body),
            format!("Body: {} bytes", m.body_len),
            span,
        );
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&m.body) {
            field.children.push(json_tree("JSON", &v, span, 0));
        }
        fields.push(field);
    }
    Layer {
        proto: "htcpcp",
        label: "Hyper Text Coffee Pot Control Protocol".into(),
        start: span.start,
        len: span.len,
        fields,
    }
}

/// Nesting kept of a JSON body in the tree.
const MAX_JSON_DEPTH: usize = 32;

/// A JSON value as text nodes: `key: value` leaves, objects and arrays with
/// their members as children.
fn json_tree(key: &str, v: &serde_json::Value, span: Span, depth: usize) -> Field {
    use serde_json::Value as J;
    let key = escape_label(key);
    match v {
        J::Object(map) => {
            let mut node = text(format!("{key}: Object ({} members)", map.len()), span);
            if depth < MAX_JSON_DEPTH {
                node.children = map
                    .iter()
                    .map(|(k, x)| json_tree(k, x, span, depth + 1))
                    .collect();
            }
            node
        }
        J::Array(items) => {
            let mut node = text(format!("{key}: Array ({} items)", items.len()), span);
            if depth < MAX_JSON_DEPTH {
                node.children = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| json_tree(&format!("[{i}]"), x, span, depth + 1))
                    .collect();
            }
            node
        }
        J::String(st) => text(format!("{key}: \"{}\"", escape_label(st)), span),
        other => text(format!("{key}: {other}"), span),
    }
}

/// `TLSv1.3` (the Protocol column) as a version number.
fn column_version(col: &str) -> Option<u16> {
    Some(match col {
        "SSLv3" => 0x0300,
        "TLSv1" => 0x0301,
        "TLSv1.1" => 0x0302,
        "TLSv1.2" => 0x0303,
        "TLSv1.3" => 0x0304,
        _ => return None,
    })
}

/// `TLSv1.2` as a record layer is named.
fn record_version_name(v: u16) -> String {
    match v {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        _ => "TLS".into(),
    }
}

fn version_label(v: u16) -> String {
    match tls::version_name(v) {
        Some(n) => format!("{n} (0x{v:04x})"),
        None => format!("Unknown (0x{v:04x})"),
    }
}

fn hex_preview(b: &[u8]) -> String {
    const MAX: usize = 36;
    let mut s: String = b.iter().take(MAX).map(|x| format!("{x:02x}")).collect();
    if b.len() > MAX {
        s.push('\u{2026}');
    }
    s
}

/// `tls.app_data_proto` of decrypted data dissected as HTTP/HTCPCP.
const HTTP_PROTO: &str = "Hypertext Transfer Protocol";

/// The `tls` layer: the frame's records.
fn tls_layer(records: &[&Record], session: Option<u16>, span: Span) -> Layer {
    // The version a record is named after: the session's once a
    // ServerHello in this frame chose it, else the column's (which is the
    // record's own before any ServerHello).
    let has_server_hello = records.iter().any(|r| r.server_hello().is_some());
    let mut known = if has_server_hello { None } else { session };
    let mut fields = Vec::new();
    for r in records {
        let named = known.unwrap_or(r.version);
        fields.push(tls_record(r, named, span));
        if let Some(v) = r.selected_version() {
            known = Some(v);
        }
    }
    Layer {
        proto: "tls",
        label: "Transport Layer Security".into(),
        start: span.start,
        len: span.len,
        fields,
    }
}

fn tls_record(r: &Record, named: u16, span: Span) -> Field {
    let vname = record_version_name(named);
    if r.invalid {
        return text(
            format!(
                "{vname} Record Layer: Continuation Data ({} bytes)",
                r.payload.len()
            ),
            span,
        );
    }
    // A decrypted record is shown by what it holds (its inner type).
    let (ctype, content, encrypted) = r.content();
    let decrypted = r.plaintext().is_some();
    let proto = match ctype {
        tls::CHANGE_CIPHER_SPEC => "Change Cipher Spec Protocol",
        tls::ALERT => "Alert Protocol",
        tls::HANDSHAKE => "Handshake Protocol",
        tls::APPLICATION_DATA => "Application Data Protocol",
        tls::HEARTBEAT => "Heartbeat Protocol",
        _ => "Unknown Protocol",
    };
    let what = match ctype {
        tls::HANDSHAKE if !encrypted && r.handshake_types.len() > 1 => {
            "Multiple Handshake Messages".to_string()
        }
        tls::APPLICATION_DATA if r.inner_http => HTTP_PROTO.to_string(),
        tls::ALERT if !encrypted => match r.alert() {
            Some((_, d)) => tls::alert_description_name(d)
                .map_or_else(|| format!("Unknown ({d})"), str::to_string),
            None => "Alert".to_string(),
        },
        _ => r.info(),
    };
    let mut children = Vec::new();
    let ct_label = format!(
        "{}: {} ({})",
        if named == 0x0304 && r.content_type == tls::APPLICATION_DATA {
            "Opaque Type"
        } else {
            "Content Type"
        },
        tls::content_type_name(r.content_type).unwrap_or("Unknown"),
        r.content_type
    );
    // TLS 1.3 names the outer type of protected records "opaque type".
    let ct_name = if named == 0x0304 && r.content_type == tls::APPLICATION_DATA {
        "tls.record.opaque_type"
    } else {
        "tls.record.content_type"
    };
    children.push(uint(ct_name, ct_label, u64::from(r.content_type), span));
    children.push(f(
        "tls.record.version",
        Value::Hex(u64::from(r.version), 4),
        format!("Version: {}", version_label(r.version)),
        span,
    ));
    children.push(uint(
        "tls.record.length",
        format!("Length: {}", r.length),
        u64::from(r.length),
        span,
    ));
    if decrypted && ct_name == "tls.record.opaque_type" {
        // TLS 1.3: the real type, from the decrypted inner plaintext.
        children.push(uint(
            "tls.record.content_type",
            format!(
                "[Content Type: {} ({ctype})]",
                tls::content_type_name(ctype).unwrap_or("Unknown")
            ),
            u64::from(ctype),
            span,
        ));
    }
    match ctype {
        tls::HANDSHAKE if encrypted || r.handshakes.is_empty() => {
            children.push(text(
                "Handshake Protocol: Encrypted Handshake Message".into(),
                span,
            ));
        }
        tls::HANDSHAKE => {
            for hs in &r.handshakes {
                children.push(handshake(hs, span));
            }
        }
        tls::CHANGE_CIPHER_SPEC => {
            children.push(f(
                "tls.change_cipher_spec",
                Value::None,
                "Change Cipher Spec Message".into(),
                span,
            ));
        }
        tls::ALERT => match r.alert() {
            Some((level, d)) => {
                let ln = tls::alert_level_name(level)
                    .map_or_else(|| format!("Unknown ({level})"), str::to_string);
                let dn = tls::alert_description_name(d)
                    .map_or_else(|| format!("Unknown ({d})"), str::to_string);
                children.push(
                    f(
                        "tls.alert_message",
                        Value::None,
                        "Alert Message".to_string(),
                        span,
                    )
                    .with(vec![
                        uint(
                            "tls.alert_message.level",
                            format!("Level: {ln} ({level})"),
                            u64::from(level),
                            span,
                        ),
                        uint(
                            "tls.alert_message.desc",
                            format!("Description: {dn} ({d})"),
                            u64::from(d),
                            span,
                        ),
                    ]),
                );
            }
            None => children.push(text("Alert Message: Encrypted Alert".into(), span)),
        },
        tls::APPLICATION_DATA => {
            children.push(f(
                "tls.app_data",
                Value::Bytes(r.payload.clone()),
                format!("Encrypted Application Data: {}", hex_preview(&r.payload)),
                span,
            ));
            if decrypted {
                if r.inner_http {
                    children.push(f(
                        "tls.app_data_proto",
                        Value::Str(HTTP_PROTO.into()),
                        format!("[Application Data Protocol: {HTTP_PROTO}]"),
                        span,
                    ));
                }
                children.push(text(
                    format!("[Decrypted TLS ({} bytes)]", content.len()),
                    span,
                ));
            } else {
                children.push(text(
                    format!(
                        "[Encrypted Application Data, {} bytes \u{2014} content not visible without keys]",
                        r.length
                    ),
                    span,
                ));
            }
        }
        _ => {}
    }
    if r.missing > 0 {
        children.push(text(
            format!("[{} bytes missing in capture file]", r.missing),
            span,
        ));
    }
    if let Some(why) = r.decryption_note() {
        children.push(text(format!("[Expert Info (Warning): {why}]"), span));
    }
    f(
        "tls.record",
        Value::None,
        format!("{vname} Record Layer: {proto}: {what}"),
        span,
    )
    .with(children)
}

fn handshake(hs: &tls::Handshake, span: Span) -> Field {
    let name = tls::handshake_type_name(hs.msg_type)
        .map_or_else(|| format!("Unknown ({})", hs.msg_type), str::to_string);
    let mut children = vec![
        uint(
            "tls.handshake.type",
            format!("Handshake Type: {name} ({})", hs.msg_type),
            u64::from(hs.msg_type),
            span,
        ),
        uint(
            "tls.handshake.length",
            format!("Length: {}", hs.length),
            u64::from(hs.length),
            span,
        ),
    ];
    let suite = |id: u16| {
        let n = tls::cipher_suite_name(id).unwrap_or("Unknown");
        f(
            "tls.handshake.ciphersuite",
            Value::Hex(u64::from(id), 4),
            format!("Cipher Suite: {n} (0x{id:04x})"),
            span,
        )
    };
    match &hs.body {
        HandshakeBody::ClientHello(c) => {
            children.push(f(
                "tls.handshake.version",
                Value::Hex(u64::from(c.legacy_version), 4),
                format!("Version: {}", version_label(c.legacy_version)),
                span,
            ));
            children.push(
                f(
                    "tls.handshake.ciphersuites",
                    Value::None,
                    format!("Cipher Suites ({} suites)", c.cipher_suites.len()),
                    span,
                )
                .with(c.cipher_suites.iter().map(|&id| suite(id)).collect()),
            );
            if !c.supported_versions.is_empty() {
                children.push(
                    text("Extension: supported_versions".into(), span).with(
                        c.supported_versions
                            .iter()
                            .map(|&v| {
                                f(
                                    "tls.handshake.extensions.supported_version",
                                    Value::Hex(u64::from(v), 4),
                                    format!("Supported Version: {}", version_label(v)),
                                    span,
                                )
                            })
                            .collect(),
                    ),
                );
            }
            if !c.alpn.is_empty() {
                children.push(
                    text(
                        "Extension: application_layer_protocol_negotiation".into(),
                        span,
                    )
                    .with(
                        c.alpn
                            .iter()
                            .map(|p| {
                                s(
                                    "tls.handshake.extensions_alpn_str",
                                    "ALPN Next Protocol",
                                    p.clone(),
                                    span,
                                )
                            })
                            .collect(),
                    ),
                );
            }
            if !c.server_names.is_empty() {
                children.push(
                    text("Extension: server_name".into(), span).with(
                        c.server_names
                            .iter()
                            .map(|n| {
                                s(
                                    "tls.handshake.extensions_server_name",
                                    "Server Name",
                                    n.clone(),
                                    span,
                                )
                            })
                            .collect(),
                    ),
                );
            }
        }
        HandshakeBody::ServerHello(sh) => {
            children.push(f(
                "tls.handshake.version",
                Value::Hex(u64::from(sh.legacy_version), 4),
                format!("Version: {}", version_label(sh.legacy_version)),
                span,
            ));
            children.push(suite(sh.cipher_suite));
            if let Some(v) = sh.supported_version {
                children.push(
                    text("Extension: supported_versions".into(), span).with(vec![f(
                        "tls.handshake.extensions.supported_version",
                        Value::Hex(u64::from(v), 4),
                        format!("Supported Version: {}", version_label(v)),
                        span,
                    )]),
                );
            }
            if let Some(p) = &sh.alpn {
                children.push(
                    text(
                        "Extension: application_layer_protocol_negotiation".into(),
                        span,
                    )
                    .with(vec![s(
                        "tls.handshake.extensions_alpn_str",
                        "ALPN Next Protocol",
                        p.clone(),
                        span,
                    )]),
                );
            }
        }
        HandshakeBody::Certificate(certs) => {
            for (i, c) in certs.iter().enumerate() {
                let mut node = text(format!("Certificate {}", i + 1), span);
                if let Some(sub) = &c.subject {
                    node.children
                        .push(text(format!("subject: rdnSequence: {sub}"), span));
                }
                if let Some(iss) = &c.issuer {
                    node.children
                        .push(text(format!("issuer: rdnSequence: {iss}"), span));
                }
                children.push(node);
            }
        }
        HandshakeBody::Fragment => {
            children.push(text(
                "[Handshake message continues in the next record]".into(),
                span,
            ));
        }
        HandshakeBody::Malformed => {
            children.push(text("[Malformed handshake message]".into(), span));
        }
        HandshakeBody::Other => {}
    }
    f(
        "tls.handshake",
        Value::None,
        format!("Handshake Protocol: {name}"),
        span,
    )
    .with(children)
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
