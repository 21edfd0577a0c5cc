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
    let decoded = percent_decode(scheme.as_bytes());
    COFFEE_SCHEMES
        .iter()
        .any(|s| percent_decode(s.as_bytes()).eq_ignore_ascii_case(&decoded))
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
    use super::*;

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
