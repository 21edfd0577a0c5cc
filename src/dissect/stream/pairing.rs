//! Transaction pairing (tshark's `http.request_in`, `http.response_in`):
//! each response answers the oldest unanswered request of its stream (a 1xx
//! does not consume it); requests remember their conditional headers and
//! full URI, and each message the frame of its stream's previous one.

use super::*;
use crate::dissect::http::{Message, StartLine};

impl StreamState {
    /// HTCPCP on an HTCPCP stream, or when the message says `HTCPCP/x.y`.
    pub(super) fn message_protocol(&self, m: &Message) -> Protocol {
        let version = match &m.start_line {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => {
                Some(version)
            }
            _ => None,
        };
        if self.decision == Decision::Proto(Protocol::Htcpcp) || version.is_some_and(|v| v.htcpcp) {
            Protocol::Htcpcp
        } else {
            Protocol::Http
        }
    }

    /// Turns the messages parsed in a frame into [`Pdu`]s: frames of their
    /// segments, HTCPCP view, request/response pairing.
    /// `parsed` is left empty.
    pub(super) fn finish_parsed(
        &mut self,
        parsed: &mut Vec<(usize, Parsed)>,
        frame: u64,
        now: i128,
        out: &mut Vec<Pdu>,
    ) {
        for (d, p) in parsed.drain(..) {
            let range = match &p {
                Parsed::Http(h) => h.message.range.clone(),
                Parsed::Tls(r) => r.range.clone(),
                Parsed::Ws(f) => f.range.clone(),
            };
            let dir = &mut self.dirs[d];
            dir.emitted_to = dir.emitted_to.max(range.end);
            let segments: Vec<(u64, u32)> = dir
                .spans
                .iter()
                .filter(|s| s.0 < range.end && s.1 > range.start)
                .map(|s| (s.2, (s.1.min(range.end) - s.0.max(range.start)) as u32))
                .collect();
            let direction = d as u8;
            let body = match p {
                Parsed::Tls(r) => PduBody::Tls(Box::new(r)),
                Parsed::Ws(mut f) => {
                    // Fragments are put together by the frames they were
                    // attributed to (`websocket.fragment`).
                    let attributed = if frame > 0 {
                        frame
                    } else {
                        segments.last().map_or(0, |s| s.0)
                    };
                    if let Some(ws) = self.websocket.as_mut() {
                        ws[d].frame(&mut f, attributed);
                    }
                    PduBody::WebSocket(Box::new(f))
                }
                Parsed::Http(mut pdu) => {
                    dir.count += 1;
                    let index = dir.count;
                    let protocol = self.message_protocol(&pdu.message);
                    let message = &pdu.message;
                    let attributed = if frame > 0 {
                        frame
                    } else {
                        segments.last().map_or(0, |s| s.0)
                    };
                    let mut request = None;
                    let mut full_uri = None;
                    let prev_in;
                    match &message.start_line {
                        StartLine::Request { method, target, .. } => {
                            if let Parser::Http(resp) = &mut self.dirs[1 - d].parser {
                                resp.expect_response_to(method);
                            }
                            if let Some(dec) = self.decrypted.as_mut() {
                                dec.expect_response_to(d, method);
                            }
                            if self.unanswered.len() == MAX_UNANSWERED {
                                self.unanswered.pop_front();
                            }
                            let (if_none_match, if_modified_since) = conditionals(message);
                            full_uri = message.full_uri();
                            if self.decrypted.is_some() {
                                // Decrypted from TLS: Wireshark's scheme is https.
                                full_uri = full_uri.map(|u| match u.strip_prefix("http://") {
                                    Some(rest) => format!("https://{rest}"),
                                    None => u,
                                });
                            }
                            prev_in = self.last_request.replace(attributed);
                            self.unanswered.push_back(RequestRef {
                                frame: attributed,
                                method: method.clone(),
                                uri: target.clone(),
                                full_uri: full_uri.clone(),
                                time_nanos: now,
                                elapsed_nanos: 0,
                                if_none_match,
                                if_modified_since,
                                prev_in,
                            });
                        }
                        StartLine::Response { code, .. } if (100..200).contains(code) => {
                            request = self.unanswered.front().cloned();
                            prev_in = self.last_response.replace(attributed);
                        }
                        StartLine::Response { .. } | StartLine::None => {
                            request = self.unanswered.pop_front();
                            prev_in = self.last_response.replace(attributed);
                        }
                        StartLine::Invalid(_) => prev_in = None,
                    }
                    if let Some(r) = request.as_mut() {
                        r.elapsed_nanos = now - r.time_nanos;
                        full_uri.clone_from(&r.full_uri);
                    }
                    pdu.protocol = protocol;
                    pdu.index = index;
                    pdu.request = request;
                    pdu.full_uri = full_uri;
                    pdu.prev_in = prev_in;
                    pdu.decrypted = self.decrypted.is_some();
                    PduBody::Http(pdu)
                }
            };
            out.push(Pdu {
                segments,
                direction,
                body,
            });
        }
    }
}

/// A request's `If-None-Match` and `If-Modified-Since` (the first of each,
/// lossy UTF-8, trimmed), read in one pass over its headers.
pub(super) fn conditionals(m: &Message) -> (Option<String>, Option<String>) {
    let (mut none_match, mut modified_since) = (None, None);
    let text = |v: &[u8]| Some(crate::dissect::lossy_text(v).trim().to_string());
    // Raw names: the checked text of every name cost more than the rest.
    for (name, value) in m.headers.raw_iter() {
        if none_match.is_none() && name.eq_ignore_ascii_case(b"If-None-Match") {
            none_match = text(value);
        } else if modified_since.is_none() && name.eq_ignore_ascii_case(b"If-Modified-Since") {
            modified_since = text(value);
        }
    }
    (none_match, modified_since)
}
