//! HTCPCP as the lab speaks it (RFC 2324, the tea of RFC 7168, and the lab's
//! configuration in `../shared/LAB.md`): the accepted schemes, additions,
//! milks, pots and beans; status codes with their reason phrases; parsing of
//! a request head; validation in the lab's order. Pure functions, no I/O: the
//! [`pot`](super::pot) does the sockets and the state.

use percent_encoding::percent_decode_str;
use serde::Serialize;

/// Host name of the pot in every coffee URI.
pub const HOST: &str = "ducky";

/// The one media type a command may carry.
pub const COMMAND_MEDIA_TYPE: &str = "application/coffee-pot-command";

/// Media type of the pot's success responses.
pub const RESPONSE_MEDIA_TYPE: &str = "message/coffeepot";

/// Value of the `Server` header of every response.
pub const SERVER: &str = "CoffeePot";

/// The 23 accepted URI schemes and the 18 accepted additions (key, label):
/// one list, shared with the analyser's HTCPCP dissector, taken from LAB.md.
pub use crate::dissect::htcpcp::{ADDITIONS, COFFEE_SCHEMES as SCHEMES};

/// The additions that are milk: poured when brewing ends, stopped by WHEN.
pub const MILKS: [&str; 10] = [
    "cream",
    "half-and-half",
    "whole-milk",
    "part-skim",
    "skim",
    "oat milk",
    "almond milk",
    "soya milk",
    "coconut milk",
    "non-dairy",
];

/// The illegal addition the web form offers so that students can provoke a 406.
pub const ILLEGAL_ADDITION: (&str, &str) = ("tea", "Chamomile");

/// Pots: (value of `Use-Pot`, label). `tea` is a teapot and answers 418.
pub const POTS: [(&str, &str); 2] = [("ducky", "Ducky's Coffee Pot"), ("tea", "Ducky's Tea Pot")];

/// Methods the pot implements; anything else is 501.
pub const METHODS: [&str; 5] = ["BREW", "POST", "GET", "PROPFIND", "WHEN"];

/// A coffee bean (the PROPFIND answer), with the lab's JSON keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bean {
    pub name: &'static str,
    pub profile: &'static str,
    pub origin: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub strength: &'static str,
    pub roast: &'static str,
}

const fn bean(
    name: &'static str,
    profile: &'static str,
    origin: &'static str,
    kind: &'static str,
    strength: &'static str,
    roast: &'static str,
) -> Bean {
    Bean {
        name,
        profile,
        origin,
        kind,
        strength,
        roast,
    }
}

/// The ten beans of the lab; a brew picks one at random.
pub const BEANS: [Bean; 10] = [
    bean(
        "Sidamo Mountain Coffee",
        "Chocolate, Floral, Spice",
        "Ethiopia, Africa",
        "Single Origin",
        "3/5",
        "Medium Dark",
    ),
    bean(
        "Yirgacheffe Heirloom Coffee",
        "Citrus, Malty",
        "Ethiopia, Africa",
        "Single Origin",
        "1/5",
        "Medium",
    ),
    bean(
        "Milano Morning Coffee",
        "Chocolate, Malty, Nutty",
        "N/A",
        "Fine Flavoured",
        "2/5",
        "Medium",
    ),
    bean(
        "Star of Hanoi Coffee",
        "Spice",
        "Vietnam, Asia",
        "Single Origin",
        "2.5/5",
        "Medium dark",
    ),
    bean(
        "Black Pearl Coffee",
        "Chocolate, Spice",
        "Kenya, Africa",
        "Single Origin",
        "3/5",
        "Medium dark",
    ),
    bean(
        "Turquino Coffee",
        "Spice",
        "Cuba, Central America And The Caribbean",
        "Single Origin",
        "1.5/5",
        "Medium dark",
    ),
    bean(
        "1910 Coffee",
        "Fruity",
        "N/A",
        "Fine Flavoured",
        "1.5/5",
        "Medium",
    ),
    bean(
        "Flores del Café Superior Coffee",
        "Floral, Fruity, Malty",
        "Nicaragua, Central America And The Caribbean",
        "Single Origin",
        "1.5/5",
        "Medium light",
    ),
    bean(
        "Paraíso Gold Coffee",
        "Chocolate, Floral, Fruity, Malty, Nutty",
        "Brazil, South America",
        "Single Origin",
        "2/5",
        "Medium light",
    ),
    bean(
        "Honey Dragon Coffee",
        "Fruity, Malty, Nutty",
        "China, Asia",
        "Single Origin",
        "2.5/5",
        "Medium dark",
    ),
];

/// The status codes the pot sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Ok,
    BadRequest,
    NotFound,
    NotAcceptable,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    ImATeapot,
    ServerError,
    NotImplemented,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 10] = [
        Status::Ok,
        Status::BadRequest,
        Status::NotFound,
        Status::NotAcceptable,
        Status::RequestTimeout,
        Status::PayloadTooLarge,
        Status::UnsupportedMediaType,
        Status::ImATeapot,
        Status::ServerError,
        Status::NotImplemented,
    ];

    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::NotAcceptable => 406,
            Status::RequestTimeout => 408,
            Status::PayloadTooLarge => 413,
            Status::UnsupportedMediaType => 415,
            Status::ImATeapot => 418,
            Status::ServerError => 500,
            Status::NotImplemented => 501,
        }
    }

    /// The reason phrase (RFC 2324 for 406/418, HTTP/1.1 for the rest).
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::NotFound => "Not Found",
            Status::NotAcceptable => "Not Acceptable",
            Status::RequestTimeout => "Request Timeout",
            Status::PayloadTooLarge => "Request Entity Too Large",
            Status::UnsupportedMediaType => "Unsupported Media Type",
            Status::ImATeapot => "I'm a Teapot",
            Status::ServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
        }
    }

    /// What the status means in the lab, for people (the web app's error page).
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Ok => "The pot did what was asked.",
            Status::BadRequest => "The pot could not understand the request: the URI scheme is not one of the 23 words for coffee, the start line is malformed, or a BREW body is neither \"start\" nor \"stop\".",
            Status::NotFound => "No such pot: the host in the coffee URI is not \"ducky\", or the pot asked for does not exist.",
            Status::NotAcceptable => "The pot cannot brew that: an addition is not on its list (chamomile is not an addition to coffee), or it is busy brewing already.",
            Status::RequestTimeout => "The request did not arrive in time, so the pot hung up.",
            Status::PayloadTooLarge => "The request was larger than the pot accepts (64 KiB).",
            Status::UnsupportedMediaType => "The command was not sent as application/coffee-pot-command.",
            Status::ImATeapot => "The pot asked to brew coffee is a teapot (RFC 2324, section 2.3.2), so it refuses.",
            Status::ServerError => "The pot failed to save its state (its data directory is not writable?).",
            Status::NotImplemented => "The pot does not know that method: it speaks BREW, POST, GET, PROPFIND and WHEN.",
        }
    }

    pub fn from_code(code: u16) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    pub uri: String,
    pub version: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header named `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// `Content-Length`, if present: `Err` when it is not `1*DIGIT` (RFC
    /// 9112, 6.3: no sign, no list) or when two of them disagree. Any
    /// leniency here is a request-smuggling gap: a proxy in front that reads
    /// the other length would see a different request boundary.
    pub fn content_length(&self) -> Result<Option<usize>, InvalidContentLength> {
        let mut found = None;
        for (_, v) in self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        {
            let v = v.trim();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidContentLength);
            }
            let len = v.parse::<usize>().map_err(|_| InvalidContentLength)?;
            if found.is_some_and(|f| f != len) {
                return Err(InvalidContentLength);
            }
            found = Some(len);
        }
        Ok(found)
    }

    /// Whether the request names a `Transfer-Encoding` (the pot knows none).
    pub fn has_transfer_encoding(&self) -> bool {
        self.header("Transfer-Encoding").is_some()
    }
}

/// A `Content-Length` that is not a decimal number, or two that disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidContentLength;

/// Where the head ends in `buf`: `(head_len, body_start)`, the head being the
/// bytes before the blank line. Accepts CRLF and bare LF line ends.
pub fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf[i + 1..].starts_with(b"\r\n") {
                return Some((i + 1, i + 3));
            }
            if buf[i + 1..].starts_with(b"\n") {
                return Some((i + 1, i + 2));
            }
        }
        i += 1;
    }
    None
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `HTTP/d.d` or `HTCPCP/d.d`.
fn is_version(s: &str) -> bool {
    let Some((proto, num)) = s.split_once('/') else {
        return false;
    };
    let Some((major, minor)) = num.split_once('.') else {
        return false;
    };
    (proto == "HTTP" || proto == "HTCPCP")
        && [major, minor]
            .iter()
            .all(|d| !d.is_empty() && d.len() <= 3 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses the head (the bytes before the blank line). `None` when the start
/// line or a header line is malformed: the pot answers 400.
pub fn parse_head(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = lines.next()?;
    let mut parts = start.split(' ');
    let (method, uri, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_token(method) || uri.is_empty() || !is_version(version) {
        return None;
    }
    if uri.bytes().any(|b| b.is_ascii_control()) {
        return None;
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue; // the final line end before the blank line
        }
        let (name, value) = line.split_once(':')?;
        if !is_token(name) {
            return None;
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Some(Head {
        method: method.to_string(),
        uri: uri.to_string(),
        version: version.to_string(),
        headers,
    })
}

/// True when `scheme`, percent-decoded, is one of [`SCHEMES`] percent-decoded
/// (ASCII case-insensitive, as URI schemes are). Decoding compares bytes, so
/// `caf%C3%E8` (not UTF-8) works too, and so does a scheme sent unencoded.
pub fn is_coffee_scheme(scheme: &str) -> bool {
    let got: Vec<u8> = percent_decode_str(scheme).collect();
    SCHEMES.iter().any(|s| {
        let want: Vec<u8> = percent_decode_str(s).collect();
        want.eq_ignore_ascii_case(&got)
    })
}

/// True when `key` (trimmed, any case) is an accepted addition.
pub fn is_addition(key: &str) -> bool {
    let k = key.trim();
    ADDITIONS.iter().any(|(a, _)| a.eq_ignore_ascii_case(k))
}

/// True when `key` is a milk.
pub fn is_milk(key: &str) -> bool {
    let k = key.trim();
    MILKS.iter().any(|m| m.eq_ignore_ascii_case(k))
}

/// The label of an addition key (the illegal one included), or the key itself.
pub fn addition_label(key: &str) -> &str {
    ADDITIONS
        .iter()
        .chain(std::iter::once(&ILLEGAL_ADDITION))
        .find(|(a, _)| a.eq_ignore_ascii_case(key.trim()))
        .map(|(_, l)| *l)
        .unwrap_or(key)
}

/// What a BREW/POST body asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrewAction {
    Start,
    Stop,
}

/// A request that passed every check of [`validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Brew {
        action: BrewAction,
        /// Addition keys as sent, trimmed and lower-cased, in order.
        additions: Vec<String>,
    },
    Get,
    Propfind,
    When,
}

/// A refusal: the status and the body that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: Status,
    pub body: String,
}

fn reject(status: Status, body: impl Into<String>) -> Rejection {
    Rejection {
        status,
        body: body.into(),
    }
}

/// Checks a request in the lab's order: scheme (400), host (404), method
/// (501), content type (415), pot (418 for tea, 404 for an unknown one),
/// additions (406, listing the accepted ones), BREW body (400). Busy-pot is
/// the pot's business (it needs the state).
pub fn validate(head: &Head, body: &[u8]) -> Result<Command, Rejection> {
    let Some((scheme, rest)) = head.uri.split_once("://") else {
        return Err(reject(Status::BadRequest, "Not a coffee URI"));
    };
    if !is_coffee_scheme(scheme) {
        return Err(reject(Status::BadRequest, "Unknown URI scheme"));
    }
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    let path = path.split('?').next().unwrap_or("");
    if !host.eq_ignore_ascii_case(HOST) || !(path.is_empty() || path == "/") {
        return Err(reject(Status::NotFound, "No such host or pot"));
    }
    if !METHODS.contains(&head.method.as_str()) {
        return Err(reject(Status::NotImplemented, "Method not implemented"));
    }
    let media_type = head
        .header("Content-Type")
        .map(|v| v.split(';').next().unwrap_or("").trim());
    if !media_type.is_some_and(|m| m.eq_ignore_ascii_case(COMMAND_MEDIA_TYPE)) {
        return Err(reject(
            Status::UnsupportedMediaType,
            "Content-Type must be application/coffee-pot-command",
        ));
    }
    if let Some(pot) = head.header("Use-Pot") {
        let pot = pot.split(';').next().unwrap_or("").trim();
        if pot.eq_ignore_ascii_case("tea") {
            return Err(reject(Status::ImATeapot, "I'm a teapot"));
        }
        if !pot.is_empty() && !pot.eq_ignore_ascii_case("ducky") {
            return Err(reject(Status::NotFound, "No such pot"));
        }
    }
    let mut additions = Vec::new();
    if let Some(list) = head.header("Accept-Additions") {
        for item in list.split(';').map(str::trim).filter(|i| !i.is_empty()) {
            if !is_addition(item) {
                let accepted: Vec<&str> = ADDITIONS.iter().map(|(k, _)| *k).collect();
                return Err(reject(
                    Status::NotAcceptable,
                    serde_json::to_string(&accepted).expect("strings serialise"),
                ));
            }
            additions.push(item.to_ascii_lowercase());
        }
    }
    match head.method.as_str() {
        "BREW" | "POST" => {
            let text = String::from_utf8_lossy(body);
            let action = match text.trim() {
                t if t.eq_ignore_ascii_case("start") => BrewAction::Start,
                t if t.eq_ignore_ascii_case("stop") => BrewAction::Stop,
                _ => {
                    return Err(reject(
                        Status::BadRequest,
                        "The body of BREW must be start or stop",
                    ))
                }
            };
            Ok(Command::Brew { action, additions })
        }
        "GET" => Ok(Command::Get),
        "PROPFIND" => Ok(Command::Propfind),
        _ => Ok(Command::When),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(s: &str) -> Head {
        let (len, _) = find_head_end(s.as_bytes()).expect("blank line");
        parse_head(&s.as_bytes()[..len]).expect("parses")
    }

    #[test]
    fn every_scheme_is_accepted_decoded_and_raw() {
        for s in SCHEMES {
            assert!(is_coffee_scheme(s), "{s}");
        }
        assert!(is_coffee_scheme("кофе"));
        assert!(is_coffee_scheme("Kaffee"));
        assert!(is_coffee_scheme("COFFEE"));
        assert!(!is_coffee_scheme("caffeine"));
        assert!(!is_coffee_scheme("http"));
    }

    #[test]
    fn start_line_shapes() {
        assert!(parse_head(b"BREW coffee://ducky HTTP/1.1\r\n").is_some());
        assert!(parse_head(b"BREW coffee://ducky HTCPCP/1.0\r\n").is_some());
        assert!(parse_head(b"BREW coffee://ducky\r\n").is_none());
        assert!(parse_head(b"BREW  coffee://ducky HTTP/1.1\r\n").is_none());
        assert!(parse_head(b"BREW coffee://ducky FTP/1.1\r\n").is_none());
        assert!(parse_head(b"BREW coffee://ducky HTTP/1.1\r\nno colon\r\n").is_none());
        assert!(parse_head(b"\xff\xfe coffee://ducky HTTP/1.1\r\n").is_none());
    }

    #[test]
    fn lab_order_of_checks() {
        let ok = "BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: cream; Rum\r\nUse-Pot: ducky\r\n\r\n";
        assert_eq!(
            validate(&head(ok), b"start"),
            Ok(Command::Brew {
                action: BrewAction::Start,
                additions: vec!["cream".into(), "rum".into()]
            })
        );
        let status = |s: &str, body: &[u8]| validate(&head(s), body).unwrap_err().status;
        let ct = "Content-Type: application/coffee-pot-command\r\n";
        assert_eq!(
            status(&format!("GET caffeine://ducky HTTP/1.1\r\n{ct}\r\n"), b""),
            Status::BadRequest
        );
        assert_eq!(
            status(&format!("GET coffee://psyduck HTTP/1.1\r\n{ct}\r\n"), b""),
            Status::NotFound
        );
        assert_eq!(
            status(&format!("MILK coffee://ducky HTTP/1.1\r\n{ct}\r\n"), b""),
            Status::NotImplemented
        );
        assert_eq!(
            status(
                "GET coffee://ducky HTTP/1.1\r\nContent-Type: application/tea-pot-command\r\n\r\n",
                b""
            ),
            Status::UnsupportedMediaType
        );
        assert_eq!(
            status("GET coffee://ducky HTTP/1.1\r\n\r\n", b""),
            Status::UnsupportedMediaType
        );
        assert_eq!(
            status(
                &format!("BREW coffee://ducky HTTP/1.1\r\n{ct}Use-Pot: tea\r\n\r\n"),
                b"start"
            ),
            Status::ImATeapot
        );
        assert_eq!(
            status(
                &format!("BREW coffee://ducky HTTP/1.1\r\n{ct}Accept-Additions: tea\r\n\r\n"),
                b"start"
            ),
            Status::NotAcceptable
        );
        assert_eq!(
            status(
                &format!("BREW coffee://ducky HTTP/1.1\r\n{ct}\r\n"),
                b"espresso"
            ),
            Status::BadRequest
        );
        assert_eq!(
            validate(
                &head(&format!(
                    "WHEN %E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC://ducky/ HTCPCP/1.0\r\n{ct}\r\n"
                )),
                b""
            ),
            Ok(Command::When)
        );
    }

    /// Request-smuggling shapes (found by tests/lab_hostile_pot.rs): a
    /// length that is not plain digits, or two that disagree, is no length.
    #[test]
    fn content_length_is_strict() {
        let len = |extra: &str| {
            head(&format!("GET coffee://ducky HTTP/1.1\r\n{extra}\r\n")).content_length()
        };
        assert_eq!(len("Content-Length: 5\r\n"), Ok(Some(5)));
        assert_eq!(
            len("Content-Length: 5\r\ncontent-length: 5\r\n"),
            Ok(Some(5))
        );
        assert_eq!(len(""), Ok(None));
        for bad in [
            "+5",
            "5, 4",
            "0x5",
            "-1",
            "",
            "5 5",
            "99999999999999999999999",
        ] {
            assert_eq!(
                len(&format!("Content-Length: {bad}\r\n")),
                Err(InvalidContentLength),
                "{bad:?}"
            );
        }
        assert_eq!(
            len("Content-Length: 5\r\nContent-Length: 4\r\n"),
            Err(InvalidContentLength)
        );
        assert!(
            head("BREW coffee://ducky HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .has_transfer_encoding()
        );
    }

    #[test]
    fn reasons_and_lookups() {
        assert_eq!(Status::ImATeapot.reason(), "I'm a Teapot");
        assert_eq!(Status::from_code(406), Some(Status::NotAcceptable));
        assert!(is_milk("Oat Milk") && !is_milk("rum"));
        assert_eq!(addition_label("tea"), "Chamomile");
        assert_eq!(find_head_end(b"A\nB\n\nbody"), Some((4, 5)));
    }
}
