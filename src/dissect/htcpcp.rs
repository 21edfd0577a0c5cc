//! HTCPCP (RFC 2324, tea extension RFC 7168) on top of the HTTP message
//! parser: the lab's coffee schemes, additions, methods and status codes
//! (`../shared/LAB.md`), and [`interpret`], which reads an HTCPCP view out of
//! a parsed [`Message`].

use super::http::{Message, StartLine, Version};

/// The lab's accepted URI schemes, percent-encoded as listed in LAB.md
/// (RFC 2324 §3: "coffee" in many languages). Compared percent-decoded and
/// ASCII case-insensitively.
pub const COFFEE_SCHEMES: &[&str] = &[
    "koffie",
    "q%C3%A6hv%C3%A6",
    "%D9%82%D9%87%D9%88%D8%A9",
    "akeita",
    "koffee",
    "kahva",
    "kafe",
    "caf%C3%E8",
    "%E5%92%96%E5%95%A1",
    "kava",
    "k%C3%A1va",
    "kaffe",
    "coffee",
    "kafo",
    "kohv",
    "kahvi",
    "%4Baffee",
    "%CE%BA%CE%B1%CF%86%CE%AD",
    "%E0%A4%95%E0%A5%8C%E0%A4%AB%E0%A5%80",
    "%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC",
    "%EC%BB%A4%ED%94%BC",
    "%D0%BA%D0%BE%D1%84%D0%B5",
    "%E0%B8%81%E0%B8%B2%E0%B9%81%E0%B8%9F",
];

/// The lab's accepted additions: (key as sent in `Accept-Additions`, label).
pub const ADDITIONS: &[(&str, &str)] = &[
    ("cream", "Cream"),
    ("half-and-half", "Half-and-half"),
    ("whole-milk", "Whole milk"),
    ("part-skim", "Part skimmed milk"),
    ("skim", "Skimmed milk"),
    ("non-dairy", "Non-dairy milk"),
    ("vanilla", "Vanilla syrup"),
    ("almond", "Almond syrup"),
    ("raspberry", "Raspberry syrup"),
    ("chocolate", "Chocolate syrup"),
    ("whisky", "Whisky"),
    ("rum", "Rum"),
    ("kahlua", "Kahlua"),
    ("aquavit", "Aquavit"),
    ("oat milk", "Oat milk"),
    ("soya milk", "Soya milk"),
    ("coconut milk", "Coconut milk"),
    ("almond milk", "Almond milk"),
];

/// Methods the lab's pot knows (POST is RFC 2324's deprecated alias of BREW).
pub const METHODS: &[&str] = &["BREW", "POST", "GET", "PROPFIND", "WHEN"];

/// The lab's host name.
pub const HOST: &str = "ducky";

/// The request Content-Type RFC 2324 requires.
pub const COMMAND_CONTENT_TYPE: &str = "application/coffee-pot-command";

/// Reason phrase and meaning of the status codes the lab's pot sends.
pub fn status(code: u16) -> Option<(&'static str, &'static str)> {
    Some(match code {
        200 => ("OK", "success"),
        400 => (
            "Bad Request",
            "scheme not accepted, or a BREW body that is neither start nor stop",
        ),
        404 => ("Not Found", "host is not ducky"),
        406 => (
            "Not Acceptable",
            "an addition not in the list (the body lists the accepted ones), or the pot is busy",
        ),
        415 => (
            "Unsupported Media Type",
            "Content-Type is not application/coffee-pot-command",
        ),
        418 => ("I'm a Teapot", "Use-Pot: tea"),
        501 => ("Not Implemented", "unknown method"),
        503 => ("Service Unavailable", "the pot is unavailable"),
        _ => return None,
    })
}

/// Percent-decodes `s` (RFC 3986 §2.1) to bytes; a `%` not followed by two
/// hex digits is kept as is.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// A scheme for display: percent-decoded when that gives UTF-8 (`кофе`),
/// else as sent (`caf%C3%E8` is not UTF-8).
pub fn display_scheme(raw: &str) -> String {
    match String::from_utf8(percent_decode(raw.as_bytes())) {
        Ok(s) => s,
        Err(_) => raw.to_string(),
    }
}

/// Whether `scheme` (as sent) is one of the lab's coffee schemes.
pub fn is_coffee_scheme(scheme: &str) -> bool {
    // The list decoded once: decoding it per call was most of the cost of
    // reading a request's scheme.
    static DECODED: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    let schemes = DECODED.get_or_init(|| {
        COFFEE_SCHEMES
            .iter()
            .map(|s| percent_decode(s.as_bytes()))
            .collect()
    });
    let decoded: std::borrow::Cow<'_, [u8]> = if scheme.contains('%') {
        percent_decode(scheme.as_bytes()).into()
    } else {
        scheme.as_bytes().into()
    };
    schemes.iter().any(|s| s.eq_ignore_ascii_case(&decoded))
}

/// The scheme of an absolute URI target (`coffee://ducky` → `coffee`).
pub fn scheme_of(target: &str) -> Option<&str> {
    let (scheme, _) = target.split_once("://")?;
    (!scheme.is_empty() && !scheme.contains('/')).then_some(scheme)
}

/// Whether a request line is HTCPCP by its method or scheme: a coffee scheme,
/// or method BREW, WHEN or PROPFIND.
pub fn is_htcpcp_request(method: &str, target: &str) -> bool {
    matches!(method, "BREW" | "WHEN" | "PROPFIND")
        || scheme_of(target).is_some_and(is_coffee_scheme)
}

/// [`is_htcpcp_request`] on the bytes of a request line, as their lossy
/// UTF-8 text would answer: the methods are ASCII, and a scheme that is not
/// UTF-8 has U+FFFD in its text, which no coffee scheme holds.
pub fn is_htcpcp_request_bytes(method: &[u8], target: &[u8]) -> bool {
    if matches!(method, b"BREW" | b"WHEN" | b"PROPFIND") {
        return true;
    }
    // An origin-form target (`/index`) has no scheme: most requests.
    if target.first() == Some(&b'/') {
        return false;
    }
    let Some(colon) = memchr::memmem::find(target, b"://") else {
        return false;
    };
    let scheme = &target[..colon];
    !scheme.is_empty()
        && !scheme.contains(&b'/')
        && std::str::from_utf8(scheme).is_ok_and(is_coffee_scheme)
}

/// One entry of `Accept-Additions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addition {
    /// As sent, trimmed.
    pub name: String,
    /// In the lab's list (case-insensitive).
    pub accepted: bool,
    /// The lab's label when accepted.
    pub label: Option<&'static str>,
}

/// Splits an `Accept-Additions` value on `;`, each marked against the lab's
/// list. Empty entries are skipped.
pub fn split_additions(value: &str) -> Vec<Addition> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            let label = ADDITIONS
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, l)| *l);
            Addition {
                name: name.to_string(),
                accepted: label.is_some(),
                label,
            }
        })
        .collect()
}

/// The BREW/POST body command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start,
    Stop,
    /// Anything else (the pot answers 400).
    Other(String),
}

/// An HTCPCP request as the lab reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// One of [`METHODS`]; otherwise unknown (the pot answers 501).
    pub known_method: bool,
    /// The request target as sent.
    pub uri: String,
    /// The scheme as sent (`%D0%BA...`), if the target is absolute.
    pub scheme_raw: Option<String>,
    /// The scheme for display (`кофе`).
    pub scheme: Option<String>,
    pub scheme_accepted: bool,
    /// The host of the URI (the pot's name, `ducky`).
    pub pot: Option<String>,
    /// The path after the host, if any.
    pub path: String,
    pub version: Version,
    pub accept_additions: Vec<Addition>,
    pub use_pot: Option<String>,
    pub content_type: Option<String>,
    /// Body of BREW/POST (trimmed), when there is one.
    pub command: Option<Command>,
}

/// An HTCPCP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `None` for a bare body with no status line (an unfinished pot).
    pub version: Option<Version>,
    pub code: Option<u16>,
    pub reason: String,
    /// The lab's meaning of the code, when it is one of the lab's.
    pub meaning: Option<&'static str>,
    pub content_type: Option<String>,
}

/// The HTCPCP view of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Htcpcp {
    Request(Request),
    Response(Response),
}

/// Reads the HTCPCP view of a message parsed on an HTCPCP stream; `None`
/// for undissectable data (a continuation).
pub fn interpret(msg: &Message) -> Option<Htcpcp> {
    let header = |name: &str| msg.header_str(name).map(|s| s.trim().to_string());
    match &msg.start_line {
        StartLine::Request {
            method,
            target,
            version,
        } => {
            let scheme_raw = scheme_of(target).map(str::to_string);
            let (pot, path) = match target.split_once("://") {
                Some((_, rest)) => match rest.find('/') {
                    Some(i) => (Some(rest[..i].to_string()), rest[i..].to_string()),
                    None => (Some(rest.to_string()), String::new()),
                },
                None => (None, target.clone()),
            };
            let command = if matches!(method.as_str(), "BREW" | "POST") && !msg.body.is_empty() {
                let text = String::from_utf8_lossy(&msg.body).trim().to_string();
                Some(match text.as_str() {
                    "start" => Command::Start,
                    "stop" => Command::Stop,
                    _ => Command::Other(text),
                })
            } else {
                None
            };
            Some(Htcpcp::Request(Request {
                method: method.clone(),
                known_method: METHODS.contains(&method.as_str()),
                uri: target.clone(),
                scheme: scheme_raw.as_deref().map(display_scheme),
                scheme_accepted: scheme_raw.as_deref().is_some_and(is_coffee_scheme),
                scheme_raw,
                pot,
                path,
                version: *version,
                accept_additions: header("Accept-Additions")
                    .map(|v| split_additions(&v))
                    .unwrap_or_default(),
                use_pot: header("Use-Pot"),
                content_type: header("Content-Type"),
                command,
            }))
        }
        StartLine::Response {
            version,
            code,
            reason,
        } => Some(Htcpcp::Response(Response {
            version: Some(*version),
            code: Some(*code),
            reason: reason.clone(),
            meaning: status(*code).map(|(_, m)| m),
            content_type: header("Content-Type"),
        })),
        StartLine::None => Some(Htcpcp::Response(Response {
            version: None,
            code: None,
            reason: String::new(),
            meaning: None,
            content_type: None,
        })),
        StartLine::Invalid(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::http::{Framing, MessageParser, Note, Role};
    use super::*;

    /// Feeds `chunks` to an HTCPCP parser, then the FIN.
    fn parse(role: Role, chunks: &[&[u8]]) -> Vec<Message> {
        let mut p = MessageParser::new(true, role);
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, |m| out.push(m));
        }
        p.end_of_stream(|m| out.push(m));
        out
    }

    fn response(m: &Message) -> Response {
        match interpret(m) {
            Some(Htcpcp::Response(r)) => r,
            other => panic!("not a response: {other:?}"),
        }
    }

    fn request(m: &Message) -> Request {
        match interpret(m) {
            Some(Htcpcp::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn teapot_418_with_no_headers() {
        let wire = b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n";
        let msgs = parse(Role::Response, &[wire]);
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert_eq!(m.summary(), "HTCPCP/1.1 418 I'm a Teapot");
        assert!(m.headers.is_empty() && m.notes.is_empty() && m.complete);
        assert_eq!(m.framing, Framing::Close);
        assert_eq!(m.range, 0..wire.len() as u64);
        let r = response(m);
        assert_eq!(r.code, Some(418));
        assert_eq!(r.meaning, Some("Use-Pot: tea"));
        // With an optional body, ending at the close.
        let msgs = parse(
            Role::Response,
            &[b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n", b"I'm a teapot"],
        );
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].body, b"I'm a teapot");
    }

    #[test]
    fn not_acceptable_406_lists_additions() {
        let list: Vec<&str> = ADDITIONS.iter().map(|(k, _)| *k).collect();
        let body = list.join(", ");
        let wire = format!("HTCPCP/1.1 406 Not Acceptable\r\n\r\n{body}");
        let msgs = parse(Role::Response, &[wire.as_bytes()]);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].body, body.as_bytes());
        assert_eq!(msgs[0].range.end, wire.len() as u64);
        assert_eq!(response(&msgs[0]).reason, "Not Acceptable");
    }

    #[test]
    fn brew_split_across_two_feeds() {
        let wire: &[u8] = b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: cream; rum; tea\r\nUse-Pot: ducky\r\nContent-Length: 5\r\n\r\nstart";
        for cut in [1, 20, 60, wire.len() - 8, wire.len() - 2] {
            let mut p = MessageParser::new(true, Role::Request);
            let mut out = Vec::new();
            p.push(&wire[..cut], |m| out.push(m));
            assert!(out.is_empty(), "cut {cut}");
            p.push(&wire[cut..], |m| out.push(m));
            assert_eq!(out.len(), 1, "cut {cut}");
            let r = request(&out[0]);
            assert_eq!(r.method, "BREW");
            assert!(r.known_method && r.scheme_accepted);
            assert_eq!(r.scheme.as_deref(), Some("coffee"));
            assert_eq!(r.pot.as_deref(), Some("ducky"));
            assert_eq!(r.version.to_string(), "HTTP/1.1");
            assert_eq!(r.use_pot.as_deref(), Some("ducky"));
            assert_eq!(r.content_type.as_deref(), Some(COMMAND_CONTENT_TYPE));
            assert_eq!(r.command, Some(Command::Start));
            let adds: Vec<_> = r
                .accept_additions
                .iter()
                .map(|a| (a.name.as_str(), a.accepted))
                .collect();
            assert_eq!(adds, [("cream", true), ("rum", true), ("tea", false)]);
        }
    }

    #[test]
    fn brew_without_length_ends_at_fin() {
        // The lab's web app sends no Content-Length: the body is what
        // precedes the client's FIN.
        let msgs = parse(
            Role::Request,
            &[
                b"BREW %D0%BA%D0%BE%D1%84%D0%B5://ducky HTCPCP/1.0\r\nContent-Type: application/coffee-pot-command\r\n\r\n",
                b"stop",
            ],
        );
        assert_eq!(msgs.len(), 1);
        let r = request(&msgs[0]);
        assert_eq!(r.scheme.as_deref(), Some("кофе"));
        assert_eq!(r.version.to_string(), "HTCPCP/1.0");
        assert_eq!(r.command, Some(Command::Stop));
    }

    #[test]
    fn json_body_of_20_kb_ends_at_fin() {
        let mut json = String::from("{\"history\": [");
        while json.len() < 20_000 {
            json.push_str("{\"beverage_type\": \"coffee\", \"additions\": [\"cream\"]},");
        }
        json.push_str("{}]}");
        let mut wire = b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\nDate: Sat, 21 Nov 2026 14:42:39\r\n\r\n".to_vec();
        let head_len = wire.len();
        wire.extend_from_slice(json.as_bytes());
        let mut p = MessageParser::new(true, Role::Response);
        let mut out = Vec::new();
        for seg in wire.chunks(1448) {
            p.push(seg, |m| out.push(m));
        }
        assert!(out.is_empty(), "a close-delimited body waits for the FIN");
        p.end_of_stream(|m| out.push(m));
        assert_eq!(out.len(), 1);
        let m = &out[0];
        assert!(m.complete && m.notes.is_empty());
        assert_eq!(m.head_len, head_len);
        assert_eq!(m.body, json.as_bytes());
        assert_eq!(m.range, 0..wire.len() as u64);
        assert_eq!(m.header_str("Server").as_deref(), Some("CoffeePot"));
        assert_eq!(
            response(m).content_type.as_deref(),
            Some("message/coffeepot")
        );
    }

    #[test]
    fn bare_lf_and_unfinished_pot() {
        let msgs = parse(
            Role::Response,
            &[b"HTCPCP/1.1 200 OK\nServer: CoffeePot\n\n{}"],
        );
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].headers.len(), 1);
        assert_eq!(msgs[0].body, b"{}");
        // A reply that is a bare JSON body with no status line.
        let msgs = parse(Role::Response, &[b"{\"beverage\": ", b"\"coffee\"}"]);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].notes, [Note::NoStatusLine]);
        assert_eq!(msgs[0].body, b"{\"beverage\": \"coffee\"}");
        let r = response(&msgs[0]);
        assert_eq!((r.version, r.code), (None, None));
    }

    #[test]
    fn unknown_method_and_bad_scheme() {
        let msgs = parse(
            Role::Request,
            &[b"MILK caffeine://psyduck/pot HTTP/1.1\r\nContent-Type: application/tea-pot-command\r\n\r\n"],
        );
        let r = request(&msgs[0]);
        assert!(!r.known_method && !r.scheme_accepted);
        assert_eq!(r.pot.as_deref(), Some("psyduck"));
        assert_eq!(r.path, "/pot");
        assert_eq!(r.command, None);
    }

    #[test]
    fn schemes_compare_decoded() {
        assert!(is_coffee_scheme("coffee"));
        assert!(is_coffee_scheme("Kaffee"));
        assert!(is_coffee_scheme("%4Baffee"));
        assert!(is_coffee_scheme("%d0%ba%d0%be%d1%84%d0%b5"));
        assert!(is_coffee_scheme("caf%C3%E8"));
        assert!(!is_coffee_scheme("caffeine"));
        assert!(!is_coffee_scheme("http"));
        assert_eq!(display_scheme("%D0%BA%D0%BE%D1%84%D0%B5"), "кофе");
        assert_eq!(display_scheme("caf%C3%E8"), "caf%C3%E8");
        assert_eq!(display_scheme("50%"), "50%");
        assert_eq!(percent_decode(b"%4"), b"%4");
        assert_eq!(percent_decode(b"a%4Bb"), b"aKb");
    }

    #[test]
    fn additions_are_marked() {
        let a = split_additions("cream; rum;tea ; ;Oat milk");
        let names: Vec<_> = a.iter().map(|a| (a.name.as_str(), a.accepted)).collect();
        assert_eq!(
            names,
            [
                ("cream", true),
                ("rum", true),
                ("tea", false),
                ("Oat milk", true)
            ]
        );
        assert_eq!(a[0].label, Some("Cream"));
    }

    #[test]
    fn status_phrases() {
        assert_eq!(status(418).unwrap().0, "I'm a Teapot");
        assert_eq!(status(406).unwrap().0, "Not Acceptable");
        assert!(status(302).is_none());
    }
}
