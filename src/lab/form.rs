//! The web app's form, as a pure function: a query string in, the HTCPCP
//! request the web app sends to the pot (or a refusal) out. No I/O, so the
//! web app's handler and the `webapp_form` fuzz target share it.
//!
//! Contract: whatever the query string, a request built here is exactly one
//! HTCPCP request whose header fields are the ones the web app means to send
//! (`Content-Type`, and `Accept-Additions`, `Use-Pot`, `Content-Length` when
//! they apply): a form value can never add a header line or a second request
//! (values with control characters, or longer than [`MAX_VALUE`] bytes, are
//! refused).

use super::client::build_request;
use super::htcpcp;

/// Longest form value that may go into a header line or a body.
pub const MAX_VALUE: usize = 200;

/// What the form asks the web app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormAction {
    /// No method (or `get`): show the home page.
    Home,
    /// Send this request; a 200 answer redirects home (BREW, WHEN, any
    /// other method name, which the pot answers 501).
    Send(Vec<u8>),
    /// Send this PROPFIND and show the bean page.
    Propfind(Vec<u8>),
    /// A value the web app will not put into an HTCPCP request.
    Refused,
}

/// `application/x-www-form-urlencoded` pairs of a query string, in order.
pub fn query_pairs(q: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// A form value that may go into an HTCPCP header line.
pub fn header_safe(v: &str) -> bool {
    v.len() <= MAX_VALUE && !v.chars().any(char::is_control)
}

/// The request for a query string (the lab's form fields: `method`,
/// `message`, `pots`, `additions`).
pub fn action(query: &str) -> FormAction {
    let pairs = query_pairs(query);
    let first = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let all = |k: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let method = first("method").unwrap_or("").to_ascii_lowercase();
    let uri = format!("coffee://{}", htcpcp::HOST);
    match method.as_str() {
        "" | "get" => FormAction::Home,
        "brew" | "post" => {
            let message = first("message").unwrap_or("").to_ascii_lowercase();
            let (additions, pots) = (all("additions"), all("pots"));
            if !additions.iter().chain(&pots).all(|v| header_safe(v)) || !header_safe(&message) {
                return FormAction::Refused;
            }
            let mut headers = Vec::new();
            let joined_additions = additions.join("; ");
            let joined_pots = pots.join("; ");
            // Joined values stay one line, but not necessarily short: bound them too.
            if joined_additions.len() > 8 * MAX_VALUE || joined_pots.len() > 8 * MAX_VALUE {
                return FormAction::Refused;
            }
            if !additions.is_empty() {
                headers.push(("Accept-Additions", joined_additions.as_str()));
            }
            if !pots.is_empty() {
                headers.push(("Use-Pot", joined_pots.as_str()));
            }
            FormAction::Send(build_request("BREW", &uri, &headers, &message))
        }
        "when" => FormAction::Send(build_request("WHEN", &uri, &[], "")),
        "propfind" => FormAction::Propfind(build_request("PROPFIND", &uri, &[], "")),
        // Any other method goes to the pot as it is: `method=milk` shows its 501.
        other if other.len() <= 20 && other.bytes().all(|b| b.is_ascii_alphabetic()) => {
            FormAction::Send(build_request(&other.to_ascii_uppercase(), &uri, &[], ""))
        }
        _ => FormAction::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_actions() {
        assert_eq!(
            query_pairs("method=brew&additions=oat+milk&additions=rum&x"),
            vec![
                ("method".into(), "brew".into()),
                ("additions".into(), "oat milk".into()),
                ("additions".into(), "rum".into()),
                ("x".into(), String::new())
            ]
        );
        assert!(!header_safe("cream\r\nUse-Pot: tea"));
        assert_eq!(action(""), FormAction::Home);
        assert_eq!(
            action("method=brew&additions=a%0d%0aX:%20y"),
            FormAction::Refused
        );
        let FormAction::Send(req) = action("method=brew&message=start&additions=cream&pots=ducky")
        else {
            panic!("a brew")
        };
        assert_eq!(
            String::from_utf8(req).unwrap(),
            "BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\
             Accept-Additions: cream\r\nUse-Pot: ducky\r\nContent-Length: 5\r\n\r\nstart"
        );
        assert!(matches!(action("method=propfind"), FormAction::Propfind(_)));
        assert!(matches!(action("method=milk"), FormAction::Send(_)));
        assert_eq!(action("method=m1lk"), FormAction::Refused);
    }
}
