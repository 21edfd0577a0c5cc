//! Form bodies and query strings → the HTCPCP request the web app would send.
//!
//! What must hold: a request is exactly one head and its body, as the pot
//! reads it; its header fields are only those the web app writes
//! (`Content-Type`, `Accept-Additions`, `Use-Pot`, `Content-Length`), each
//! at most once, with `Content-Length` equal to the body's length: no form
//! value can inject a header or a second request.

use coffeeshark::lab::form::{action, query_pairs, FormAction};
use coffeeshark::lab::htcpcp::{find_head_end, parse_head};

const ALLOWED: [&str; 4] = [
    "Content-Type",
    "Accept-Additions",
    "Use-Pot",
    "Content-Length",
];

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let query = String::from_utf8_lossy(input);
    let _ = query_pairs(&query);
    let req = match action(&query) {
        FormAction::Send(req) | FormAction::Propfind(req) => req,
        FormAction::Home | FormAction::Refused => return,
    };
    let (head_len, body_start) = find_head_end(&req).expect("the request has a head");
    let head = parse_head(&req[..head_len]).expect("the pot parses the request's head");
    let body = &req[body_start..];
    for name in ALLOWED {
        assert!(
            head.headers.iter().filter(|(n, _)| n == name).count() <= 1,
            "{name} twice"
        );
    }
    for (n, _) in &head.headers {
        assert!(
            ALLOWED.contains(&n.as_str()),
            "injected header {n:?} in {:?}",
            String::from_utf8_lossy(&req)
        );
    }
    let declared = head.content_length().expect("a valid length").unwrap_or(0);
    assert_eq!(
        declared,
        body.len(),
        "the body is exactly the declared length"
    );
    // The body (a BREW's message) is one line: no second request hides in it.
    assert!(!body.iter().any(|b| b.is_ascii_control()));
}
