//! Shared helpers of the answers: messages quoted for the evidence, query
//! strings and page titles read, evidence rows (`ev`, `more`), the
//! unanswerable answer (`cannot`), number words (`plural`, `is_were`), and
//! the tally's lookups that several tasks share.

use super::*;

/// A message quoted: start line, headers, body (cut).
pub(super) fn quote(m: &http::Message, start_line: &str, max_body: usize) -> String {
    let mut s = start_line.to_string();
    for h in m.headers.iter().take(64) {
        s.push_str(&format!(
            "\n{}: {}",
            h.name,
            String::from_utf8_lossy(h.value)
        ));
    }
    if !m.body.is_empty() {
        let cut = m.body.len().min(max_body);
        let body: String = String::from_utf8_lossy(&m.body[..cut])
            .chars()
            .take(300)
            .collect();
        s.push_str("\n\n");
        s.push_str(&body);
        if m.body_len as usize > body.len() {
            s.push_str(&format!("\n[... {} body bytes in all]", m.body_len));
        }
    }
    s
}

/// The start line as sent (`GET / HTTP/1.1`), the first line of
/// undissectable data, or empty (a bare body).
pub(super) fn start_line(m: &http::Message) -> String {
    match &m.start_line {
        StartLine::Invalid(b) => String::from_utf8_lossy(b).into_owned(),
        StartLine::None => String::new(),
        _ => m.summary(),
    }
}

pub(super) fn header(m: &http::Message, name: &str) -> Option<String> {
    m.header_str(name).map(|v| v.into_owned())
}

/// `a=1&b=2` percent-decoded (`+` is a space), in order.
pub(super) fn query_pairs(target: &str) -> Vec<(String, String)> {
    let Some((_, q)) = target.split_once('?') else {
        return Vec::new();
    };
    let dec = |s: &str| {
        let s = s.replace('+', " ");
        String::from_utf8_lossy(&crate::dissect::htcpcp::percent_decode(s.as_bytes())).into_owned()
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (dec(k), dec(v)),
            None => (dec(p), String::new()),
        })
        .collect()
}

/// `<title>` of an HTML body, else its first `<h1>`.
pub(super) fn html_title(body: &str) -> Option<String> {
    for (open, close) in [("<title>", "</title>"), ("<h1>", "</h1>")] {
        let lower = body.to_ascii_lowercase();
        if let Some(i) = lower.find(open) {
            let rest = &body[i + open.len()..];
            if let Some(j) = rest.to_ascii_lowercase().find(close) {
                return Some(
                    rest[..j]
                        .trim()
                        .replace("&#x27;", "'")
                        .replace("&#39;", "'")
                        .replace("&quot;", "\"")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&amp;", "&"),
                );
            }
        }
    }
    None
}

pub(super) fn body_text(m: &http::Message, max: usize) -> String {
    String::from_utf8_lossy(&m.body[..m.body.len().min(max)]).into_owned()
}

pub(super) const PROTO_DATA: &str = "unrecognised TCP payload";
pub(super) const PROTO_NONE: &str = "TCP without payload";

pub(super) fn ev(frames: Vec<u64>, stream: Option<u32>, text: impl Into<String>) -> Evidence {
    Evidence {
        frames,
        stream,
        text: text.into(),
    }
}

/// "… and K more" when a list was cut.
pub(super) fn more(evidence: &mut Vec<Evidence>, n: u64, what: &str, cap: usize) {
    if n > 0 {
        evidence.push(ev(
            Vec::new(),
            None,
            format!("\u{2026} and {n} more {what} (the report cites the first {cap})"),
        ));
    }
}

pub(super) fn cannot(question: &str, why: String) -> Answer {
    Answer {
        question: question.to_string(),
        answerable: false,
        answer: why,
        evidence: Vec::new(),
        facts: Value::Null,
    }
}

pub(super) fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn is_were(n: u64) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

impl Tally {
    pub(super) fn pair(&self, port: u16) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.server_port == port)
    }

    /// Why HTTP on the web app's port may be missing: it is inside TLS.
    pub(super) fn tls_note(&self) -> &'static str {
        if self.tls.decrypted_http > 0 {
            // A key log was given: the HTTP above was read inside TLS.
            " (the browser \u{2194} web app traffic is TLS, decrypted with the key log: see Task 8)"
        } else if self.tls.records > 0 {
            ": the browser \u{2194} web app traffic is TLS-encrypted (see Task 8)"
        } else {
            ""
        }
    }

    pub(super) fn no_message(&self, what: &str) -> String {
        if self.app_seen {
            format!("No {what} in this capture.")
        } else {
            "No application-layer message was dissected in this capture.".to_string()
        }
    }
}
