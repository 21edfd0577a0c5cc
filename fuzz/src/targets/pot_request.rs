//! Bytes → the pot's request reading: where the head ends, the head parsed,
//! the length checked, the request validated in the lab's order.
//!
//! What must hold: the head's end lies inside the input, before the body;
//! a parsed head has a token method, a control-free target and an HTTP or
//! HTCPCP version, and written out again it parses to the same head; a
//! request that validates as a BREW carries "start" or "stop" and only
//! accepted additions.

use coffeeshark::lab::htcpcp::{
    find_head_end, is_addition, parse_head, validate, BrewAction, Command,
};

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let (head_len, body) = match find_head_end(input) {
        Some((head_len, body_start)) => {
            assert!(head_len < body_start && body_start <= input.len());
            (head_len, &input[body_start..])
        }
        None => (input.len(), &input[input.len()..]),
    };
    let Some(head) = parse_head(&input[..head_len]) else {
        return;
    };
    assert!(!head.method.is_empty() && head.method.bytes().all(|b| b.is_ascii_graphic()));
    assert!(!head.uri.is_empty() && !head.uri.bytes().any(|b| b.is_ascii_control()));
    assert!(head.version.starts_with("HTTP/") || head.version.starts_with("HTCPCP/"));
    // Written out again (as a client would send it), the head reads the same.
    let mut again = format!("{} {} {}\r\n", head.method, head.uri, head.version);
    for (n, v) in &head.headers {
        again.push_str(&format!("{n}: {v}\r\n"));
    }
    again.push_str("\r\n");
    let (len, _) = find_head_end(again.as_bytes()).expect("a written head ends");
    let reread = parse_head(&again.as_bytes()[..len]);
    assert_eq!(reread.as_ref(), Some(&head), "{again:?}");
    let _ = head.content_length();
    if let Ok(Command::Brew { action, additions }) = validate(&head, body) {
        let text = String::from_utf8_lossy(body).trim().to_ascii_lowercase();
        match action {
            BrewAction::Start => assert_eq!(text, "start"),
            BrewAction::Stop => assert_eq!(text, "stop"),
        }
        assert!(additions.iter().all(|a| is_addition(a)));
    }
}
