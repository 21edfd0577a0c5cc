use super::parser::*;
use super::start_line::*;
use super::*;

pub(crate) fn parse_all(htcpcp: bool, role: Role, chunks: &[&[u8]]) -> Vec<Message> {
    let mut p = MessageParser::new(htcpcp, role);
    let mut out = Vec::new();
    for c in chunks {
        p.push(c, |m| out.push(m));
    }
    p.end_of_stream(|m| out.push(m));
    out
}

#[test]
fn start_lines() {
    assert_eq!(
        parse_start_line(b"HTCPCP/1.1 418 I'm a Teapot"),
        Some(StartLine::Response {
            version: Version {
                htcpcp: true,
                major: 1,
                minor: 1
            },
            code: 418,
            reason: "I'm a Teapot".into()
        })
    );
    assert!(parse_start_line(b"HTTP/1.1 200").is_some());
    assert!(parse_start_line(b"HTTP/1.1 20 OK").is_none());
    assert!(parse_start_line(b"HTTP/2 200 OK").is_none());
    assert!(parse_start_line(b"GET  / HTTP/1.1").is_none());
    assert!(parse_start_line(b"G(T / HTTP/1.1").is_none());
    assert!(parse_start_line(b"{\"a\": 1}").is_none());
}

#[test]
fn head_end() {
    assert_eq!(find_head_end(b"", b"a\r\n\r\nb", false), Some(5));
    assert_eq!(find_head_end(b"a\r\n\r", b"\nb", false), Some(5));
    assert_eq!(find_head_end(b"a\n", b"\nb", false), Some(3));
    assert_eq!(find_head_end(b"", b"\r\n", true), Some(2));
    assert_eq!(find_head_end(b"", b"\r\n", false), None);
    assert_eq!(find_head_end(b"a\r\n", b"b\r\n", false), None);
}

#[test]
fn first_control_byte() {
    assert_eq!(first_ctl(b"/index.html HTTP/1.1"), Some(11));
    assert_eq!(
        first_ctl(b"/a-long-enough-target-to-fill-words\x7f"),
        Some(35)
    );
    assert_eq!(first_ctl(b"/caf\xc3\xa9/\x00"), Some(7));
    assert_eq!(first_ctl(b"\t"), Some(0));
    assert_eq!(first_ctl(b"/no-end-at-all-\x80\xff"), None);
    assert_eq!(first_ctl(b""), None);
}

#[test]
fn head_queue_remembers_heads_in_order() {
    let mut q = HeadQueue::default();
    assert!(!q.pop());
    for head in [false, true, false, true] {
        q.push(head);
    }
    assert_eq!(
        [q.pop(), q.pop(), q.pop(), q.pop(), q.pop()],
        [false, true, false, true, false]
    );
    // At the cap the oldest is forgotten.
    q.push(true);
    for _ in 0..MAX_PENDING_REQUESTS {
        q.push(false);
    }
    assert!(!q.pop());
    q.clear();
    q.push(true);
    assert!(q.pop());
}

#[test]
fn a_whole_head_reads_as_a_byte_by_byte_one() {
    let head: &[u8] = b"GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nX: 127.0.0.1/a/Content-Type: t\r\n\r\nab";
    let whole = parse_all(false, Role::Request, &[head]);
    let bytes: Vec<&[u8]> = head.chunks(1).collect();
    assert_eq!(whole, parse_all(false, Role::Request, &bytes));
    assert_eq!(whole[0].body, b"ab");
    assert!(whole[0].notes.contains(&Note::HeadersJoined("X".into())));
}

#[test]
fn joined_headers() {
    assert!(looks_joined(
        b"127.0.0.1:8000/index/Content-Type: text/html/Connection: keep-alive"
    ));
    assert!(!looks_joined(b"text/html; charset=utf-8"));
    assert!(!looks_joined(b"Mozilla/5.0 (X11; Linux x86_64)"));
}

#[test]
fn content_length_and_pipelining() {
    let data = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.0\n\n";
    let msgs = parse_all(false, Role::Request, &[data]);
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].range, 0..28);
    assert_eq!(msgs[1].body, b"abc");
    assert_eq!(msgs[1].framing, Framing::ContentLength(3));
    assert_eq!(msgs[2].summary(), "GET /c HTTP/1.0");
    assert_eq!(msgs[2].range.end, data.len() as u64);
    assert!(msgs.iter().all(|m| m.notes.is_empty() && m.complete));
}

#[test]
fn chunked_with_trailers() {
    let data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    let msgs = parse_all(false, Role::Response, &[data]);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].body, b"hello world");
    assert_eq!(msgs[0].trailers.get(0).map(|h| h.name), Some("X-Sum"));
    assert_eq!(msgs[0].framing, Framing::Chunked);
    assert!(msgs[0].notes.is_empty());
    assert_eq!(msgs[1].code(), Some(204));
    assert_eq!(msgs[1].range.end, data.len() as u64);
}

#[test]
fn no_body_for_head_304_and_1xx() {
    let mut p = MessageParser::new(false, Role::Response);
    p.expect_response_to("HEAD");
    p.expect_response_to("GET");
    let data = b"HTTP/1.1 100 CONTINUE\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\n\r\n";
    let mut out = Vec::new();
    p.push(data, |m| out.push(m));
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|m| m.body_len == 0 && m.complete));
    assert_eq!(out[1].framing, Framing::None);
    assert_eq!(out[2].code(), Some(304));
}

#[test]
fn seed_003_joined_head() {
    let data = b"HTTP/1.1 200 OK\r\nHost: 127.0.0.1:8000///Content-Type: text/html/Connection: keep-alive/Content-Length: 13/Date: x\r\n\r\nHello, World!";
    let msgs = parse_all(false, Role::Response, &[data]);
    assert_eq!(msgs.len(), 1);
    assert!(matches!(msgs[0].notes[0], Note::HeadersJoined(ref n) if n == "Host"));
    assert_eq!(msgs[0].framing, Framing::Close);
    assert_eq!(msgs[0].body, b"Hello, World!");
}

#[test]
fn malformed_lines_kept() {
    let data =
        b"HTTP/1.1 200 OK\r\nGood: 1\r\nbad line here\r\n(also bad)\r\nContent-Length: 2\r\n\r\nok";
    let msgs = parse_all(false, Role::Response, &[data]);
    assert_eq!(msgs.len(), 1);
    let names: Vec<_> = msgs[0].headers.iter().map(|h| h.name).collect();
    assert_eq!(names, ["Good", "Content-Length"]);
    assert_eq!(msgs[0].notes.len(), 2);
    assert_eq!(msgs[0].body, b"ok");
}

#[test]
fn not_http_is_one_continuation() {
    let msgs = parse_all(false, Role::Request, &[b"SSH-2.0-x\r\n", b"more"]);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].summary(), "Continuation");
    assert_eq!(msgs[0].body_len, 15);
    assert_eq!(msgs[0].notes, [Note::NotHttp]);
}

#[test]
fn caps() {
    let limits = Limits {
        max_head: 64,
        max_body: 10,
    };
    let mut p = MessageParser::with_limits(false, Role::Response, limits);
    let mut out = Vec::new();
    p.push(b"HTTP/1.1 200 OK\r\n", |m| out.push(m));
    p.push(&[b'a'; 100], |m| out.push(m));
    assert!(p.buffered() <= 64);
    p.end_of_stream(|m| out.push(m));
    assert_eq!(out.len(), 1);
    assert!(out[0].notes.contains(&Note::HeadTooLarge(64)));
    assert_eq!(out[0].body.len(), 10);
    assert_eq!(out[0].range, 0..117);
}

#[test]
fn gaps() {
    let mut p = MessageParser::new(false, Role::Response);
    let mut out = Vec::new();
    p.push(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", |m| {
        out.push(m)
    });
    p.gap(4, |m| out.push(m));
    p.push(b"xyzHTTP/1.1 200 OK\r\nContent-", |m| out.push(m));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].body, b"abcxyz");
    assert_eq!(out[0].body_len, 10);
    assert_eq!(out[0].notes, [Note::Gap(4)]);
    p.gap(100, |m| out.push(m));
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].summary(), "HTTP/1.1 200 OK");
    assert!(!out[1].complete);
    assert_eq!(out[1].range, 49..74);
    p.push(b"ength: 5\r\n\r\n", |m| out.push(m));
    p.end_of_stream(|m| out.push(m));
    assert_eq!(out[2].summary(), "Continuation");
    assert_eq!(out[2].range, 174..186);
}

#[test]
fn htcpcp_request_body_ends_when_the_pot_answers() {
    let mut p = MessageParser::new(true, Role::Request);
    let mut out = Vec::new();
    p.push(b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\nstart", |m| out.push(m));
    assert!(out.is_empty());
    p.peer_answered(|m| out.push(m));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].body, b"start");
    assert!(out[0].complete);
    p.end_of_stream(|m| out.push(m));
    assert_eq!(out.len(), 1);
}

#[test]
fn truncated_message_at_fin() {
    let msgs = parse_all(
        false,
        Role::Response,
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
    );
    assert_eq!(msgs.len(), 1);
    assert!(!msgs[0].complete);
    assert_eq!(msgs[0].notes, [Note::Incomplete]);
    let msgs = parse_all(false, Role::Request, &[b"GET / HTTP/1.1\r\nHost:"]);
    assert_eq!(msgs[0].summary(), "GET / HTTP/1.1");
    assert!(!msgs[0].complete);
}
