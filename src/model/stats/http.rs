//! tshark's HTTP statistics (packet-http.c's stats trees and
//! ui/cli/tap-httpstat.c, 4.0), and their HTCPCP twin.
//!
//! tshark's HTTP tap fires once per HTTP message it dissects: a request, a
//! response, or data on an HTTP stream that is neither ("Continuation"),
//! in the frame that completes it. [`events`] reads the same from a
//! packet's application layer: one [`HttpEvent`] per HTTP (or HTCPCP)
//! message of the frame, in stream order. Each statistic below is what one
//! `-z` spelling counts:
//!
//! - [`PacketCounter`]: `http,tree` (`HTTP/Packet Counter`), and
//!   `htcpcp,tree` (`HTCPCP/Packet Counter`, ours, the same shape);
//! - [`Requests`]: `http_req,tree` (`HTTP/Requests`: host, then URI);
//! - [`LoadDistribution`]: `http_srv,tree` (`HTTP/Load Distribution`:
//!   requests by server address and by Host, responses OK/KO by server);
//! - [`HttpStat`]: `http,stat` (status codes and methods, in the order of
//!   tshark's GLib hash tables: [`super::ghash`]).
//!
//! Status codes are named from Wireshark's table ([`STATUS_CODES`]), not
//! from the reason phrase the server sent.

use super::ghash::{direct_hash, str_hash, GHashOrder};
use super::stats_tree::{StatsTree, ROOT};
use crate::dissect::http::StartLine;
use crate::dissect::stream::PduBody;
use crate::dissect::Protocol;
use crate::model::Packet;
use etherparse::LaxNetSlice;

/// What tshark's HTTP tap hands a statistic about one message
/// (`http_info_value_t`), plus the frame's addresses and time.
#[derive(Debug, Clone)]
pub struct HttpEvent<'a> {
    pub method: Option<&'a str>,
    /// 0 for anything but a response.
    pub code: u16,
    pub host: Option<String>,
    pub uri: Option<&'a str>,
    /// The frame's network source and destination (`pinfo->src/dst`).
    pub src: String,
    pub dst: String,
    /// `pinfo->rel_ts` in ms.
    pub rel_ms: f64,
}

/// The network addresses of a frame as `address_to_str` writes them.
pub fn addresses(pkt: &Packet<'_>) -> (String, String) {
    match &pkt.decoded.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            (
                std::net::Ipv4Addr::from(h.source()).to_string(),
                std::net::Ipv4Addr::from(h.destination()).to_string(),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                std::net::Ipv6Addr::from(h.source()).to_string(),
                std::net::Ipv6Addr::from(h.destination()).to_string(),
            )
        }
        _ => (String::new(), String::new()),
    }
}

/// Calls `f` for each message of `protocol` the frame completes.
pub fn events<'p>(pkt: &'p Packet<'_>, protocol: Protocol, mut f: impl FnMut(HttpEvent<'p>)) {
    let Some(app) = pkt.app.as_deref() else {
        return;
    };
    let mut addrs: Option<(String, String)> = None;
    for m in &app.messages {
        let PduBody::Http(h) = &m.body else { continue };
        if h.protocol != protocol {
            continue;
        }
        let (src, dst) = addrs.get_or_insert_with(|| addresses(pkt)).clone();
        let msg = &h.message;
        let (method, uri, code) = match &msg.start_line {
            StartLine::Request { method, target, .. } => {
                (Some(method.as_str()), Some(target.as_str()), 0)
            }
            StartLine::Response { code, .. } => (None, None, *code),
            StartLine::None | StartLine::Invalid(_) => (None, None, 0),
        };
        let host = method.and_then(|_| msg.header("host").map(crate::model::app_tree::ascii_lossy));
        f(HttpEvent {
            method,
            code,
            host,
            uri,
            src,
            dst,
            rel_ms: super::stats_tree::rel_ms(pkt.frame.rel_nanos),
        });
    }
}

/// `http,tree`: all messages, requests by method, responses by class and
/// code, the rest as "Other".
#[derive(Debug, Clone)]
pub struct PacketCounter {
    pub tree: StatsTree,
    packets: usize,
    requests: usize,
    responses: usize,
    other: usize,
    classes: [usize; 6],
}

const CLASS_NAMES: [&str; 6] = [
    "???: broken",
    "1xx: Informational",
    "2xx: Success",
    "3xx: Redirection",
    "4xx: Client Error",
    "5xx: Server Error",
];

impl PacketCounter {
    /// `proto` names the protocol in every node: `HTTP` or `HTCPCP`.
    pub fn new(proto: &'static str) -> Self {
        let name: &'static str = if proto == "HTTP" {
            "HTTP/Packet Counter"
        } else {
            "HTCPCP/Packet Counter"
        };
        let mut tree = StatsTree::new(name);
        let packets = tree.create(&format!("Total {proto} Packets"), ROOT);
        let requests = tree.create(&format!("{proto} Request Packets"), packets);
        let responses = tree.create(&format!("{proto} Response Packets"), packets);
        let mut classes = [0; 6];
        for (c, n) in classes.iter_mut().zip(CLASS_NAMES) {
            *c = tree.create(n, responses);
        }
        let other = tree.create(&format!("Other {proto} Packets"), packets);
        PacketCounter {
            tree,
            packets,
            requests,
            responses,
            other,
            classes,
        }
    }

    pub fn add(&mut self, e: &HttpEvent<'_>) {
        let t = &mut self.tree;
        t.tapped(e.rel_ms);
        t.bump(self.packets);
        if e.code != 0 {
            t.bump(self.responses);
            let class = match e.code {
                c if !(100..600).contains(&c) => 0,
                c => usize::from(c / 100),
            };
            t.bump(self.classes[class]);
            let label = format!("{} {}", e.code, status_name(e.code));
            t.tick(&label, self.classes[class]);
        } else if let Some(m) = e.method {
            t.tick_pivot(self.requests, m);
        } else {
            t.bump(self.other);
        }
    }
}

/// `http_req,tree`: requests by Host, then by URI.
#[derive(Debug, Clone)]
pub struct Requests {
    pub tree: StatsTree,
    by_host: usize,
}

const REQS_BY_HOST: &str = "HTTP Requests by HTTP Host";

impl Default for Requests {
    fn default() -> Self {
        let mut tree = StatsTree::new("HTTP/Requests");
        let by_host = tree.create(REQS_BY_HOST, ROOT);
        Requests { tree, by_host }
    }
}

impl Requests {
    pub fn add(&mut self, e: &HttpEvent<'_>) {
        let t = &mut self.tree;
        t.tapped(e.rel_ms);
        if e.method.is_none() {
            return;
        }
        t.tick(REQS_BY_HOST, ROOT);
        if let Some(host) = &e.host {
            let h = t.tick(host, self.by_host);
            if let Some(uri) = e.uri {
                t.tick(uri, h);
            }
        }
    }
}

/// `http_srv,tree`: requests by server address and by Host, responses by
/// server address, OK (101-399) or KO.
#[derive(Debug, Clone)]
pub struct LoadDistribution {
    pub tree: StatsTree,
    reqs: usize,
    by_addr: usize,
    by_host: usize,
    resps: usize,
}

const REQS: &str = "HTTP Requests by Server";
const REQS_BY_ADDR: &str = "HTTP Requests by Server Address";
const RESPS_BY_ADDR: &str = "HTTP Responses by Server Address";

impl Default for LoadDistribution {
    fn default() -> Self {
        let mut tree = StatsTree::new("HTTP/Load Distribution");
        let reqs = tree.create(REQS, ROOT);
        let by_addr = tree.create(REQS_BY_ADDR, reqs);
        let by_host = tree.create(REQS_BY_HOST, reqs);
        let resps = tree.create(RESPS_BY_ADDR, ROOT);
        LoadDistribution {
            tree,
            reqs,
            by_addr,
            by_host,
            resps,
        }
    }
}

impl LoadDistribution {
    pub fn add(&mut self, e: &HttpEvent<'_>) {
        let t = &mut self.tree;
        t.tapped(e.rel_ms);
        if e.method.is_some() {
            t.tick(REQS, ROOT);
            t.tick(REQS_BY_ADDR, self.reqs);
            t.tick(REQS_BY_HOST, self.reqs);
            let addr = t.tick(&e.dst, self.by_addr);
            if let Some(host) = &e.host {
                let h = t.tick(host, self.by_host);
                t.tick(&e.dst, h);
                t.tick(host, addr);
            }
        } else if e.code != 0 {
            t.tick(RESPS_BY_ADDR, ROOT);
            let addr = t.tick(&e.src, self.resps);
            let ok = e.code > 100 && e.code < 400;
            t.tick(if ok { "OK" } else { "KO" }, addr);
        }
    }
}

/// `http,stat`: packets per status code and per method.
#[derive(Debug, Clone)]
pub struct HttpStat {
    /// Counts in the order of Wireshark's status table.
    codes: Vec<u32>,
    code_order: GHashOrder<u16>,
    methods: Vec<(String, u32)>,
    method_order: GHashOrder<String>,
}

impl Default for HttpStat {
    fn default() -> Self {
        let mut code_order = GHashOrder::new();
        for (c, _) in STATUS_CODES {
            code_order.insert(*c, direct_hash(u32::from(*c)));
        }
        HttpStat {
            codes: vec![0; STATUS_CODES.len()],
            code_order,
            methods: Vec::new(),
            method_order: GHashOrder::new(),
        }
    }
}

impl HttpStat {
    pub fn add(&mut self, e: &HttpEvent<'_>) {
        if e.code != 0 {
            let code = match STATUS_CODES.iter().position(|(c, _)| *c == e.code) {
                Some(i) => Some(i),
                // A code Wireshark has no name for counts as its class's
                // "Others"; outside 100-599 it is not counted.
                None if (100..600).contains(&e.code) => {
                    let others = e.code / 100 * 100 + 99;
                    STATUS_CODES.iter().position(|(c, _)| *c == others)
                }
                None => None,
            };
            if let Some(i) = code {
                self.codes[i] += 1;
            }
        } else if let Some(m) = e.method {
            match self.methods.iter_mut().find(|(n, _)| n == m) {
                Some((_, n)) => *n += 1,
                None => {
                    self.methods.push((m.to_string(), 1));
                    self.method_order.insert(m.to_string(), str_hash(m));
                }
            }
        }
    }

    /// `(code, name, packets)` of the codes seen, in tshark's order.
    pub fn codes(&self) -> Vec<(u16, &'static str, u32)> {
        self.code_order
            .keys()
            .filter_map(|c| {
                let i = STATUS_CODES.iter().position(|(k, _)| k == c)?;
                (self.codes[i] > 0).then_some((*c, STATUS_CODES[i].1, self.codes[i]))
            })
            .collect()
    }

    /// `(method, packets)` in tshark's order.
    pub fn methods(&self) -> Vec<(&str, u32)> {
        self.method_order
            .keys()
            .filter_map(|m| {
                self.methods
                    .iter()
                    .find(|(n, _)| n == m)
                    .map(|(n, c)| (n.as_str(), *c))
            })
            .collect()
    }
}

/// Wireshark's name of a status code, `Unknown (N)` for one it lacks.
pub fn status_name(code: u16) -> String {
    match STATUS_CODES.iter().find(|(c, _)| *c == code) {
        Some((_, n)) => (*n).to_string(),
        None => format!("Unknown ({code})"),
    }
}

/// `vals_http_status_code` of packet-http.c (4.0), in its order.
pub const STATUS_CODES: &[(u16, &str)] = &[
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (199, "Informational - Others"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (299, "Success - Others"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (399, "Redirection - Others"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Time-out"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Request Entity Too Large"),
    (414, "Request-URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Requested Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (418, "I'm a teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Entity"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (499, "Client Error - Others"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Time-out"),
    (505, "HTTP Version not supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
    (599, "Server Error - Others"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is the field tree's (`http.response.code.desc`).
    #[test]
    fn status_names_agree_with_the_field_tree() {
        for (c, n) in STATUS_CODES {
            assert_eq!(crate::model::app_tree::status_description(*c), *n);
        }
        assert_eq!(status_name(299), "Success - Others");
        assert_eq!(status_name(42), "Unknown (42)");
    }
}
