//! HTTP's layer of the field tree (Wireshark's `http` names): start line,
//! headers (with the fields Wireshark gives the known ones), the request
//! URI's parts, conditional requests, and the status code descriptions.

use super::*;
use crate::dissect::http::{Header, Message, StartLine};
use crate::dissect::stream::HttpPdu;

/// The protocol Wireshark hands an HTTP body to (`frame.protocols`).
pub(crate) fn media_protocol(m: &Message) -> Option<&'static str> {
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
pub(super) fn http_header_field(lower: &str) -> Option<&'static str> {
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
pub(super) fn http_header(h: &Header<'_>, request: bool, span: Span, out: &mut Vec<Field>) {
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
pub(super) fn uri_field(name_prefix: UriNames, uri: &str, span: Span) -> Field {
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
pub(super) struct UriNames {
    uri: &'static str,
    path: &'static str,
    query: &'static str,
    param: &'static str,
}

pub(super) const HTTP_URI: UriNames = UriNames {
    uri: "http.request.uri",
    path: "http.request.uri.path",
    query: "http.request.uri.query",
    param: "http.request.uri.query.parameter",
};

pub(crate) fn first_line_label(m: &Message) -> String {
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
pub(super) fn http_layer(h: &HttpPdu, span: Span) -> Layer {
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
        let text_end = memchr::memchr(0, &m.body).unwrap_or(m.body.len());
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
pub(super) fn conditional(
    r: &crate::dissect::stream::RequestRef,
    span: Span,
    out: &mut Vec<Field>,
) {
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
pub(super) fn notes(m: &Message, span: Span, out: &mut Vec<Field>) {
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
