//! HTCPCP's layer of the field tree (`htcpcp`, ours in Wireshark's style):
//! the lab's methods, headers and additions, and the pot's JSON bodies as a
//! tree.

use super::*;
use crate::dissect::htcpcp::{self, Htcpcp};
use crate::dissect::http::StartLine;
use crate::dissect::stream::HttpPdu;

/// The `htcpcp` layer of one message (our names, Wireshark's style).
pub(super) fn htcpcp_layer(h: &HttpPdu, span: Span) -> Layer {
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
pub(super) const MAX_JSON_DEPTH: usize = 32;

/// A JSON value as text nodes: `key: value` leaves, objects and arrays with
/// their members as children.
pub(super) fn json_tree(key: &str, v: &serde_json::Value, span: Span, depth: usize) -> Field {
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
