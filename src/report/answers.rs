//! The lab's questions (Tasks 1 and 3 to 8 of the handout, `LAB.md`)
//! answered from a capture: every answer is a sentence built from what was
//! found, with the evidence (frames, streams, ports, quoted start lines and
//! headers) and, for graders, the key values as JSON. When the capture
//! cannot answer, the answer says so and `answerable` is false.
//!
//! [`Tally`] accumulates what the answers need while the collector reads
//! the capture, in memory that does not grow with it: counts, plus the
//! first [`Limits::max_cited`] items of each category (by frame or stream
//! number) in a [`Cited`]; what is beyond is counted and the answers say
//! "and K more". [`answer`] turns the tally into a [`Report`].
//!
//! Task 2 of the handout (install the lab's Wireshark dissector) is about
//! the tool, not the traffic: a capture cannot show whether a dissector is
//! installed, so there is no Task 2 here.

use super::{addr_text, is_asset, Connection, Limits, POT_PORT, WEBAPP_PORT};
use crate::dissect::http::{self, StartLine};
use crate::dissect::stream::{HttpPdu, Pdu};
use crate::dissect::{tls, Protocol};
use crate::model::conversations::Handshake;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub capture: String,
    pub frames: u64,
    pub tcp_streams: u64,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub task: u8,
    pub title: String,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub answerable: bool,
    pub answer: String,
    pub evidence: Vec<Evidence>,
    /// The key values, for graders and tests.
    pub facts: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub frames: Vec<u64>,
    pub stream: Option<u32>,
    pub text: String,
}

/// The tasks this module answers.
pub const TASKS: [u8; 7] = [1, 3, 4, 5, 6, 7, 8];

/// Browser requests remembered while they wait for their answer.
const MAX_PENDING: usize = 4096;
/// Distinct names (methods, headers, TLS record kinds, addresses, ...)
/// kept per list; the rest is counted.
const MAX_NAMES: usize = 64;
/// Frames cited per name (methods, headers).
const MAX_NAME_FRAMES: usize = 100;
/// Frames cited per TLS record kind.
const MAX_KIND_FRAMES: usize = 8;
/// Client ports named in a sentence (the evidence lists the connections).
const MAX_PORTS_NAMED: usize = 12;
/// Browser requests considered as the one a pot error belongs to.
const MAX_CANDIDATES: usize = 64;

/// The first `cap` items of a category by key (a frame or stream number),
/// and how many there were.
#[derive(Debug, Clone)]
pub struct Cited<T> {
    cap: usize,
    seq: u64,
    items: BTreeMap<(u64, u64), T>,
    total: u64,
}

impl<T> Cited<T> {
    pub fn new(cap: usize) -> Self {
        Cited {
            cap,
            seq: 0,
            items: BTreeMap::new(),
            total: 0,
        }
    }

    /// Counts one item; keeps it (built by `make`) if it is among the
    /// `cap` smallest keys so far.
    pub fn add(&mut self, key: u64, make: impl FnOnce() -> T) {
        self.total += 1;
        self.seq += 1;
        let k = (key, self.seq);
        if self.items.len() < self.cap {
            self.items.insert(k, make());
        } else if self
            .items
            .last_key_value()
            .is_some_and(|(last, _)| k < *last)
        {
            self.items.pop_last();
            self.items.insert(k, make());
        }
    }

    /// How many were counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many were counted but not kept.
    pub fn more(&self) -> u64 {
        self.total - self.items.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The kept items, by key.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.values()
    }

    /// The first kept item with this key.
    pub fn get_mut(&mut self, key: u64) -> Option<&mut T> {
        self.items
            .range_mut((key, 0)..=(key, u64::MAX))
            .next()
            .map(|(_, v)| v)
    }
}

/// Names with how often they appeared and the first frames: methods,
/// headers.
#[derive(Debug, Clone, Default)]
pub struct Names {
    entries: Vec<(String, u64, Vec<u64>)>,
    /// Occurrences of names beyond the first [`MAX_NAMES`].
    other: u64,
}

impl Names {
    fn add(&mut self, name: &str, frame: u64, frames_cap: usize) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.0.eq_ignore_ascii_case(name))
        {
            e.1 += 1;
            if e.2.len() < frames_cap {
                e.2.push(frame);
            }
        } else if self.entries.len() < MAX_NAMES {
            self.entries.push((name.to_string(), 1, vec![frame]));
        } else {
            self.other += 1;
        }
    }

    fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.0.clone()).collect()
    }
}

fn push_distinct(v: &mut Vec<String>, s: &str) {
    if v.len() < MAX_NAMES && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// A message as quoted in the evidence.
#[derive(Debug, Clone)]
struct Quoted {
    frame: u64,
    stream: u32,
    start_line: String,
    quote: String,
}

/// (frame, stream, start line).
type Line = (u64, u32, String);

/// Requests and responses of one protocol on one port (Task 3).
#[derive(Debug, Clone)]
struct MsgCounts {
    requests: Cited<Line>,
    responses: Cited<Line>,
    /// Connections that carried at least one of them.
    connections: u64,
}

/// Connections to one of the lab's ports (Task 3, 4, 5).
#[derive(Debug, Clone)]
struct PortStats {
    connections: Cited<(u32, u64, u16, u16, String)>,
    /// Client ports seen, one bit each.
    client_ports: Vec<u64>,
}

impl PortStats {
    fn new(cap: usize) -> Self {
        PortStats {
            connections: Cited::new(cap),
            client_ports: vec![0; 1024],
        }
    }
    fn distinct_client_ports(&self) -> u32 {
        self.client_ports.iter().map(|w| w.count_ones()).sum()
    }
    fn first_client_ports(&self, n: usize) -> Vec<u16> {
        (0..=u16::MAX)
            .filter(|&p| self.client_ports[p as usize / 64] & (1 << (p % 64)) != 0)
            .take(n)
            .collect()
    }
}

/// One endpoint pair by role (Task 1): the connections to one server port.
#[derive(Debug, Clone)]
struct Pair {
    server_port: u16,
    connections: u64,
    client_addrs: Vec<String>,
    server_addrs: Vec<String>,
    /// Protocol name -> connections that carried it, first frame of each.
    protocols: Vec<(&'static str, Cited<u64>)>,
}

/// Task 1: who talks to the pot.
#[derive(Debug, Clone)]
struct PotReach {
    /// Connections to 5030 opened while a browser request waited for its
    /// answer: (stream, first frame, browser stream, browser frame, the
    /// browser's connection is TLS).
    nested: Cited<(u32, u64, u32, u64, bool)>,
    /// Connections to 5030 opened while no browser request waited.
    alone: Cited<(u32, u64, String)>,
    /// Requests to 5030 with an origin-form target (`GET /`), as a browser
    /// sends, not a `coffee://` URI.
    origin_form: Cited<Line>,
    /// Client addresses of the pot's connections, with their counts.
    client_addrs: Vec<(String, u64)>,
}

/// Task 4: the HTCPCP messages of one direction.
#[derive(Debug, Clone)]
struct PotQuotes {
    /// First message of each distinct start line.
    distinct: Vec<String>,
    distinct_more: bool,
    quotes: Cited<Quoted>,
    all: Cited<Line>,
    with_headers: u64,
    with_body: u64,
}

impl PotQuotes {
    fn new(cap: usize) -> Self {
        PotQuotes {
            distinct: Vec::new(),
            distinct_more: false,
            quotes: Cited::new(cap),
            all: Cited::new(cap),
            with_headers: 0,
            with_body: 0,
        }
    }
}

/// Task 5: one browser connection's requests and teardown.
#[derive(Debug, Clone)]
struct PersistRow {
    stream: u32,
    endpoints: String,
    requests: u32,
    client_fin: Option<u64>,
    server_fin: Option<u64>,
}

#[derive(Debug, Clone)]
struct AssetRow {
    frame: u64,
    stream: u32,
    start_line: String,
    target: String,
    response: Option<String>,
}

#[derive(Debug, Clone)]
struct Form {
    frame: u64,
    stream: u32,
    start_line: String,
    pairs: Vec<(String, String)>,
    answered: bool,
    pot: Option<(Quoted, Option<String>, String)>,
}

/// Task 6: one response with the request that caused it.
#[derive(Debug, Clone)]
struct CodeRow {
    request: Option<(u64, String, String)>,
    response: u64,
    stream: u32,
    start_line: String,
    why: String,
    /// The 302's `Location`.
    location: Option<String>,
    /// The request's `If-None-Match` and `If-Modified-Since` (for a 304).
    conditions: (Option<String>, Option<String>),
}

/// Task 7: the browser's exchange around a pot error.
#[derive(Debug, Clone)]
struct Outer {
    request: u64,
    request_line: String,
    response: u64,
    response_line: String,
    status: Option<u16>,
    title: Option<String>,
}

#[derive(Debug, Clone)]
struct ErrRow {
    response: u64,
    stream: u32,
    start_line: String,
    body: String,
    request: Option<(u64, String, String)>,
    outer: Option<Outer>,
}

/// Task 8: TLS on 5031.
#[derive(Debug, Clone, Default)]
struct TlsStats {
    records: u64,
    kinds: Vec<(String, Vec<u64>)>,
    app_records: u64,
    app_bytes: u64,
    versions: Vec<String>,
    certificate: Option<(u64, u32, String)>,
    /// With a key log: records decrypted, HTTP messages read from them (the
    /// first few: frame, stream, start line), records left opaque.
    decrypted: u64,
    decrypted_http: u64,
    decrypted_examples: Vec<(u64, u32, String)>,
    opaque_with_keys: u64,
}

/// What the answers need, accumulated in one pass (see the module doc).
#[derive(Debug, Clone)]
pub struct Tally {
    cap: usize,
    max_body: usize,
    app_seen: bool,
    // Connections, as they are forgotten.
    conns: u64,
    complete: u64,
    handshakes: Cited<(u32, [Option<u64>; 3], &'static str, String)>,
    max_requests: u32,
    // Task 1.
    pairs: Vec<Pair>,
    other_pairs: u64,
    pot: PotReach,
    browser_addrs: Vec<String>,
    webapp_addrs: Vec<String>,
    /// Browser requests waiting for their answer: frame -> (stream, start line).
    pending: BTreeMap<u64, (u32, String)>,
    /// Browser TLS connections in use: stream -> frame of the client's
    /// first Application Data record (until the web app's FIN).
    tls_busy: BTreeMap<u32, u64>,
    // Task 3.
    web_ports: PortStats,
    pot_ports: PortStats,
    http_counts: MsgCounts,
    htcpcp_counts: MsgCounts,
    // Task 4.
    pot_requests: PotQuotes,
    pot_responses: PotQuotes,
    methods: Names,
    headers: Names,
    // Task 5.
    base_page: Option<(Quoted, Vec<u64>)>,
    versions: Vec<String>,
    web_requests: u64,
    persist: Cited<PersistRow>,
    request_conns: u64,
    max_per_conn: u32,
    server_first: u64,
    connection_headers: Cited<(u64, u32, String, String)>,
    connection_values: Vec<String>,
    assets: Cited<AssetRow>,
    asset_conns: u64,
    conditional: u64,
    form: Option<Form>,
    // Task 6: 200, 302, 304.
    codes: [Cited<CodeRow>; 3],
    // Task 7: 406, 418; browser request frame -> errors waiting for it.
    errors: [Cited<ErrRow>; 2],
    waiting: HashMap<u64, Vec<(usize, u64)>>,
    // Task 8.
    tls: TlsStats,
    tls_streams: Cited<u32>,
    http_on_web: u64,
    pot_msgs: Cited<Line>,
}

/// RFC 2324's header fields (section 2.2) and its two content types.
const RFC2324_HEADERS: [&str; 3] = ["accept-additions", "safe", "content-type"];
const CODES: [u16; 3] = [200, 302, 304];
const ERRORS: [u16; 2] = [406, 418];

/// A message quoted: start line, headers, body (cut).
fn quote(m: &http::Message, start_line: &str, max_body: usize) -> String {
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
fn start_line(m: &http::Message) -> String {
    match &m.start_line {
        StartLine::Invalid(b) => String::from_utf8_lossy(b).into_owned(),
        StartLine::None => String::new(),
        _ => m.summary(),
    }
}

fn header(m: &http::Message, name: &str) -> Option<String> {
    m.header_str(name).map(|v| v.into_owned())
}

/// `a=1&b=2` percent-decoded (`+` is a space), in order.
fn query_pairs(target: &str) -> Vec<(String, String)> {
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
fn html_title(body: &str) -> Option<String> {
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

fn body_text(m: &http::Message, max: usize) -> String {
    String::from_utf8_lossy(&m.body[..m.body.len().min(max)]).into_owned()
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new(Limits::default())
    }
}

impl Tally {
    pub fn new(limits: Limits) -> Self {
        let cap = limits.max_cited;
        Tally {
            cap,
            max_body: limits.max_body,
            app_seen: false,
            conns: 0,
            complete: 0,
            handshakes: Cited::new(cap),
            max_requests: 0,
            pairs: Vec::new(),
            other_pairs: 0,
            pot: PotReach {
                nested: Cited::new(cap),
                alone: Cited::new(cap),
                origin_form: Cited::new(cap),
                client_addrs: Vec::new(),
            },
            browser_addrs: Vec::new(),
            webapp_addrs: Vec::new(),
            pending: BTreeMap::new(),
            tls_busy: BTreeMap::new(),
            web_ports: PortStats::new(cap),
            pot_ports: PortStats::new(cap),
            http_counts: MsgCounts {
                requests: Cited::new(cap),
                responses: Cited::new(cap),
                connections: 0,
            },
            htcpcp_counts: MsgCounts {
                requests: Cited::new(cap),
                responses: Cited::new(cap),
                connections: 0,
            },
            pot_requests: PotQuotes::new(cap),
            pot_responses: PotQuotes::new(cap),
            methods: Names::default(),
            headers: Names::default(),
            base_page: None,
            versions: Vec::new(),
            web_requests: 0,
            persist: Cited::new(cap),
            request_conns: 0,
            max_per_conn: 0,
            server_first: 0,
            connection_headers: Cited::new(5),
            connection_values: Vec::new(),
            assets: Cited::new(cap),
            asset_conns: 0,
            conditional: 0,
            form: None,
            codes: [Cited::new(cap), Cited::new(cap), Cited::new(cap)],
            errors: [Cited::new(cap), Cited::new(cap)],
            waiting: HashMap::new(),
            tls: TlsStats::default(),
            tls_streams: Cited::new(cap),
            http_on_web: 0,
            pot_msgs: Cited::new(cap),
        }
    }

    /// A connection's first packet.
    pub(crate) fn opened(&mut self, c: &mut Connection) {
        if c.server_port() != POT_PORT {
            return;
        }
        // The browser request waiting for its answer right now, the latest
        // one if several: the web app is asking the pot on its behalf.
        let http = self.pending.last_key_value().map(|(&f, v)| (v.0, f, false));
        let tls = self
            .tls_busy
            .iter()
            .max_by_key(|(_, &f)| f)
            .map(|(&s, &f)| (s, f, true));
        c.nested_in = match (http, tls) {
            (Some(h), Some(t)) => Some(if h.1 >= t.1 { h } else { t }),
            (h, t) => h.or(t),
        };
    }

    /// A FIN or RST from `side`: a browser connection the web app closes
    /// waits for nothing any more.
    pub(crate) fn closing(&mut self, c: &mut Connection, side: usize) {
        if c.server_port() != WEBAPP_PORT || side == c.client_side() {
            return;
        }
        self.tls_busy.remove(&c.stream);
        if c.pending > 0 {
            self.pending.retain(|_, v| v.0 != c.stream);
            c.pending = 0;
        }
    }

    /// One HTTP or HTCPCP message, attributed to `frame`.
    pub(crate) fn message(
        &mut self,
        c: &mut Connection,
        frame: u64,
        from_a: bool,
        pdu: &Pdu,
        h: &HttpPdu,
        decrypted: bool,
    ) {
        self.app_seen = true;
        if decrypted {
            let t = &mut self.tls;
            t.decrypted_http += 1;
            if t.decrypted_examples.len() < 10 {
                t.decrypted_examples
                    .push((frame, c.stream, h.message.summary()));
            }
        }
        let htcpcp = h.protocol == Protocol::Htcpcp;
        let from_client = from_a == (c.client_side() == 0);
        let f = std::num::NonZeroU64::new(frame);
        if htcpcp {
            c.htcpcp += 1;
            c.first_htcpcp = c.first_htcpcp.or(f);
        } else {
            c.http += 1;
            c.first_http = c.first_http.or(f);
        }
        if from_client {
            c.requests += 1;
        }
        match c.server_port() {
            WEBAPP_PORT => self.web_message(c, frame, from_client, pdu, h),
            POT_PORT => self.pot_message(c, frame, from_client, h),
            _ => {}
        }
    }

    fn web_message(
        &mut self,
        c: &mut Connection,
        frame: u64,
        from_client: bool,
        pdu: &Pdu,
        h: &HttpPdu,
    ) {
        let m = &h.message;
        let stream = c.stream;
        self.http_on_web += 1;
        if h.protocol != Protocol::Htcpcp {
            let counts = if from_client {
                &mut self.http_counts.requests
            } else {
                &mut self.http_counts.responses
            };
            counts.add(frame, || (frame, stream, start_line(m)));
        }
        match &m.start_line {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => {
                push_distinct(&mut self.versions, &version.to_string())
            }
            _ => {}
        }
        if let Some(v) = m.header_str("Connection") {
            let v = v.trim().to_string();
            push_distinct(
                &mut self.connection_values,
                &format!(
                    "Connection: {v} in {}",
                    if m.is_request() {
                        "requests"
                    } else {
                        "responses"
                    }
                ),
            );
            self.connection_headers
                .add(frame, || (frame, stream, v, start_line(m)));
        }
        if from_client {
            self.web_requests += 1;
            let StartLine::Request { target, .. } = &m.start_line else {
                return;
            };
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_first();
            }
            self.pending.insert(frame, (stream, start_line(m)));
            c.pending += 1;
            if target == "/" && self.base_page.is_none() {
                let sl = start_line(m);
                self.base_page = Some((
                    Quoted {
                        frame,
                        stream,
                        quote: quote(m, &sl, self.max_body),
                        start_line: sl,
                    },
                    pdu.segments.iter().map(|s| s.0).collect(),
                ));
            }
            if is_asset(target) {
                c.assets += 1;
                if m.header("If-None-Match").is_some() || m.header("If-Modified-Since").is_some() {
                    self.conditional += 1;
                }
                self.assets.add(frame, || AssetRow {
                    frame,
                    stream,
                    start_line: start_line(m),
                    target: target.clone(),
                    response: None,
                });
            }
            if self.form.is_none() && target.contains('?') {
                let pairs = query_pairs(target);
                if pairs.iter().any(|(k, v)| k == "method" && v == "brew") {
                    self.form = Some(Form {
                        frame,
                        stream,
                        start_line: start_line(m),
                        pairs,
                        answered: false,
                        pot: None,
                    });
                }
            }
            return;
        }
        let code = m.code();
        if let Some(q) = &h.request {
            let request_line = match self.pending.remove(&q.frame) {
                Some((_, line)) => {
                    c.pending = c.pending.saturating_sub(1);
                    line
                }
                None => format!("{} {}", q.method, q.uri),
            };
            if let Some(row) = self.assets.get_mut(q.frame) {
                row.response = Some(start_line(m));
            }
            if let Some(form) = &mut self.form {
                if form.frame == q.frame {
                    form.answered = true;
                }
            }
            if let Some(list) = self.waiting.remove(&q.frame) {
                for (i, key) in list {
                    if let Some(e) = self.errors[i].get_mut(key) {
                        if e.outer.is_none() {
                            e.outer = Some(Outer {
                                request: q.frame,
                                request_line: request_line.clone(),
                                response: frame,
                                response_line: start_line(m),
                                status: code,
                                title: html_title(&body_text(m, self.max_body)),
                            });
                        }
                    }
                }
            }
        }
        let Some(i) = code.and_then(|code| CODES.iter().position(|&x| x == code)) else {
            return;
        };
        self.codes[i].add(frame, || {
            let sl = start_line(m);
            let Some(req) = &h.request else {
                return CodeRow {
                    request: None,
                    response: frame,
                    stream,
                    start_line: sl,
                    why: String::new(),
                    location: header(m, "Location"),
                    conditions: (None, None),
                };
            };
            let why = match CODES[i] {
                302 => format!(
                    "redirect to {} after the action `{}` was handled",
                    header(m, "Location").unwrap_or_else(|| "(no Location header)".into()),
                    req.uri
                ),
                304 => {
                    let mut cond = Vec::new();
                    if let Some(x) = &req.if_none_match {
                        cond.push(format!("If-None-Match: {x}"));
                    }
                    if let Some(x) = &req.if_modified_since {
                        cond.push(format!("If-Modified-Since: {x}"));
                    }
                    if cond.is_empty() {
                        "not modified, although the request carried no condition".to_string()
                    } else {
                        format!(
                            "a conditional request ({}) for a copy that had not changed{}",
                            cond.join(", "),
                            header(m, "ETag").map_or(String::new(), |e| format!(" (ETag {e})"))
                        )
                    }
                }
                _ => format!(
                    "the resource was served{}",
                    header(m, "Content-Type").map_or(String::new(), |t| format!(" ({t})"))
                ),
            };
            CodeRow {
                request: Some((req.frame, req.method.clone(), req.uri.clone())),
                response: frame,
                stream,
                start_line: sl,
                why,
                location: header(m, "Location"),
                conditions: (req.if_none_match.clone(), req.if_modified_since.clone()),
            }
        });
    }

    fn pot_message(&mut self, c: &Connection, frame: u64, from_client: bool, h: &HttpPdu) {
        let m = &h.message;
        let stream = c.stream;
        if let StartLine::Request { target, .. } = &m.start_line {
            if from_client && !target.contains("://") {
                self.pot
                    .origin_form
                    .add(frame, || (frame, stream, start_line(m)));
            }
        }
        if h.protocol != Protocol::Htcpcp {
            return;
        }
        let sl = start_line(m);
        let counts = if from_client {
            &mut self.htcpcp_counts.requests
        } else {
            &mut self.htcpcp_counts.responses
        };
        counts.add(frame, || (frame, stream, sl.clone()));
        self.pot_msgs.add(frame, || (frame, stream, sl.clone()));
        let max_body = self.max_body;
        let q = if from_client {
            &mut self.pot_requests
        } else {
            &mut self.pot_responses
        };
        if !m.headers.is_empty() {
            q.with_headers += 1;
        }
        if m.body_len > 0 {
            q.with_body += 1;
        }
        if !q.distinct.contains(&sl) {
            if q.distinct.len() < self.cap {
                q.distinct.push(sl.clone());
                q.quotes.add(frame, || Quoted {
                    frame,
                    stream,
                    start_line: sl.clone(),
                    quote: quote(m, &sl, max_body),
                });
            } else {
                q.distinct_more = true;
            }
        }
        q.all.add(frame, || (frame, stream, sl.clone()));
        if let StartLine::Request { method, .. } = &m.start_line {
            self.methods.add(method, frame, MAX_NAME_FRAMES);
        }
        for hd in m.headers.iter() {
            self.headers.add(hd.name, frame, MAX_NAME_FRAMES);
        }
        if from_client && m.is_request() {
            if let Some(form) = &mut self.form {
                if form.pot.is_none() && !form.answered && frame > form.frame {
                    form.pot = Some((
                        Quoted {
                            frame,
                            stream,
                            start_line: sl.clone(),
                            quote: quote(m, &sl, max_body),
                        },
                        header(m, "Accept-Additions"),
                        body_text(m, max_body).trim().to_string(),
                    ));
                }
            }
            return;
        }
        let Some(i) = m
            .code()
            .and_then(|code| ERRORS.iter().position(|&x| x == code))
        else {
            return;
        };
        let request = h
            .request
            .as_ref()
            .map(|q| (q.frame, q.method.clone(), q.uri.clone()));
        let start = request.as_ref().map_or(frame, |q| q.0);
        let pending = &self.pending;
        let waiting = &mut self.waiting;
        self.errors[i].add(frame, || {
            // The browser's request this error belongs to: one sent before
            // the pot's request and still waiting; the first answered wins.
            for (&w, _) in pending.range(..start).rev().take(MAX_CANDIDATES) {
                waiting.entry(w).or_default().push((i, frame));
            }
            ErrRow {
                response: frame,
                stream,
                start_line: sl.clone(),
                body: body_text(m, max_body).chars().take(160).collect(),
                request,
                outer: None,
            }
        });
    }

    /// One TLS record.
    pub(crate) fn tls(
        &mut self,
        c: &mut Connection,
        frame: u64,
        from_a: bool,
        r: &tls::Record,
        protocol: Option<&str>,
    ) {
        self.app_seen = true;
        c.tls += 1;
        c.first_tls = c.first_tls.or(std::num::NonZeroU64::new(frame));
        if c.server_port() != WEBAPP_PORT {
            return;
        }
        let from_client = from_a == (c.client_side() == 0);
        let server_fin = c.fin[1 - c.client_side()].is_some();
        if from_client && r.content_type == tls::APPLICATION_DATA && !server_fin {
            self.tls_busy.entry(c.stream).or_insert(frame);
        }
        let t = &mut self.tls;
        t.records += 1;
        if r.plaintext().is_some() {
            t.decrypted += 1;
        } else if r.decryption_note().is_some() {
            t.opaque_with_keys += 1;
        }
        // What an eavesdropper sees, key log or not.
        let info = r.info_without_keys();
        if let Some(k) = t.kinds.iter_mut().find(|k| k.0 == info) {
            if k.1.len() < MAX_KIND_FRAMES {
                k.1.push(frame);
            }
        } else if t.kinds.len() < MAX_NAMES {
            t.kinds.push((info.clone(), vec![frame]));
        }
        if r.content_type == tls::APPLICATION_DATA {
            t.app_records += 1;
            t.app_bytes += u64::from(r.length);
        }
        // The column names HTTP when a decrypted message is in the frame.
        if let Some(p) = protocol.filter(|p| p.starts_with("TLS") || p.starts_with("SSL")) {
            push_distinct(&mut t.versions, p);
        }
        if t.certificate.is_none() && info.split(", ").any(|x| x == "Certificate") {
            t.certificate = Some((frame, c.stream, info));
        }
    }

    /// A connection forgotten (closed, idle, or the end of the capture).
    pub(crate) fn closed(&mut self, c: &Connection) {
        self.conns += 1;
        let class = c.handshake();
        if class == Handshake::Complete {
            self.complete += 1;
        }
        self.handshakes.add(u64::from(c.stream), || {
            (
                c.stream,
                c.handshake_frames(),
                class.as_str(),
                c.endpoints_text(),
            )
        });
        self.max_requests = self.max_requests.max(c.requests);
        let (client, server) = c.client_server();
        let port = server.port;
        let caddr = addr_text(&client, c.v6);
        let saddr = addr_text(&server, c.v6);
        // Task 1: the pair and its protocols.
        let pair = match self.pairs.iter_mut().position(|p| p.server_port == port) {
            Some(i) => Some(i),
            None if self.pairs.len() < MAX_NAMES || port == WEBAPP_PORT || port == POT_PORT => {
                self.pairs.push(Pair {
                    server_port: port,
                    connections: 0,
                    client_addrs: Vec::new(),
                    server_addrs: Vec::new(),
                    protocols: Vec::new(),
                });
                Some(self.pairs.len() - 1)
            }
            None => None,
        };
        match pair {
            Some(i) => {
                let cap = self.cap;
                let p = &mut self.pairs[i];
                p.connections += 1;
                push_distinct(&mut p.client_addrs, &caddr);
                push_distinct(&mut p.server_addrs, &saddr);
                let mut protos: Vec<(&'static str, u64)> = Vec::new();
                for (name, n, first) in [
                    ("HTTP", c.http, c.first_http),
                    ("HTCPCP", c.htcpcp, c.first_htcpcp),
                    ("TLS", c.tls, c.first_tls),
                ] {
                    if let (true, Some(f)) = (n > 0, first) {
                        protos.push((name, f.get()));
                    }
                }
                if protos.is_empty() {
                    match c.first_payload {
                        Some(f) => protos.push((PROTO_DATA, f.get())),
                        None => protos.push((PROTO_NONE, c.first_frame)),
                    }
                }
                for (name, f) in protos {
                    let e = match p.protocols.iter().position(|x| x.0 == name) {
                        Some(j) => &mut p.protocols[j].1,
                        None => {
                            p.protocols.push((name, Cited::new(cap)));
                            &mut p.protocols.last_mut().expect("pushed").1
                        }
                    };
                    e.add(f, || f);
                }
            }
            None => self.other_pairs += 1,
        }
        let ports = match port {
            WEBAPP_PORT => Some(&mut self.web_ports),
            POT_PORT => Some(&mut self.pot_ports),
            _ => None,
        };
        if let Some(ps) = ports {
            ps.client_ports[client.port as usize / 64] |= 1 << (client.port % 64);
            let endpoints = c.endpoints_text();
            ps.connections.add(u64::from(c.stream), || {
                (c.stream, c.first_frame, client.port, server.port, endpoints)
            });
        }
        if port == WEBAPP_PORT {
            push_distinct(&mut self.browser_addrs, &caddr);
            push_distinct(&mut self.webapp_addrs, &saddr);
            if c.http > 0 {
                self.http_counts.connections += 1;
            }
            if c.requests > 0 {
                self.request_conns += 1;
                self.max_per_conn = self.max_per_conn.max(c.requests);
                let cs = c.client_side();
                let (cf, sf) = (c.fin[cs].map(|x| x.get()), c.fin[1 - cs].map(|x| x.get()));
                if matches!((cf, sf), (Some(a), Some(b)) if b < a) || (cf.is_none() && sf.is_some())
                {
                    self.server_first += 1;
                }
                self.persist.add(u64::from(c.stream), || PersistRow {
                    stream: c.stream,
                    endpoints: c.endpoints_text(),
                    requests: c.requests,
                    client_fin: cf,
                    server_fin: sf,
                });
            }
            if c.assets > 0 {
                self.asset_conns += 1;
            }
            if c.tls > 0 {
                self.tls_streams.add(u64::from(c.stream), || c.stream);
            }
            self.tls_busy.remove(&c.stream);
            if c.pending > 0 {
                self.pending.retain(|_, v| v.0 != c.stream);
            }
        }
        if port == POT_PORT {
            if c.htcpcp > 0 {
                self.htcpcp_counts.connections += 1;
            }
            if let Some(a) = self.pot.client_addrs.iter_mut().find(|a| a.0 == caddr) {
                a.1 += 1;
            } else if self.pot.client_addrs.len() < MAX_NAMES {
                self.pot.client_addrs.push((caddr, 1));
            }
            match c.nested_in {
                Some((bs, bf, tls)) => self.pot.nested.add(u64::from(c.stream), || {
                    (c.stream, c.first_frame, bs, bf, tls)
                }),
                None => self.pot.alone.add(u64::from(c.stream), || {
                    (c.stream, c.first_frame, c.endpoints_text())
                }),
            }
        }
    }

    pub(crate) fn finish(&mut self) {
        self.pending.clear();
        self.tls_busy.clear();
        self.waiting.clear();
    }
}

const PROTO_DATA: &str = "unrecognised TCP payload";
const PROTO_NONE: &str = "TCP without payload";

fn ev(frames: Vec<u64>, stream: Option<u32>, text: impl Into<String>) -> Evidence {
    Evidence {
        frames,
        stream,
        text: text.into(),
    }
}

/// "… and K more" when a list was cut.
fn more(evidence: &mut Vec<Evidence>, n: u64, what: &str, cap: usize) {
    if n > 0 {
        evidence.push(ev(
            Vec::new(),
            None,
            format!("\u{2026} and {n} more {what} (the report cites the first {cap})"),
        ));
    }
}

fn cannot(question: &str, why: String) -> Answer {
    Answer {
        question: question.to_string(),
        answerable: false,
        answer: why,
        evidence: Vec::new(),
        facts: Value::Null,
    }
}

fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

fn is_were(n: u64) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

impl Tally {
    fn pair(&self, port: u16) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.server_port == port)
    }

    /// Why HTTP on 5031 may be missing: it is inside TLS.
    fn tls_note(&self) -> &'static str {
        if self.tls.decrypted_http > 0 {
            // A key log was given: the HTTP above was read inside TLS.
            " (the browser \u{2194} web app traffic is TLS, decrypted with the key log: see Task 8)"
        } else if self.tls.records > 0 {
            ": the browser \u{2194} web app traffic is TLS-encrypted (see Task 8)"
        } else {
            ""
        }
    }

    fn no_message(&self, what: &str) -> String {
        if self.app_seen {
            format!("No {what} in this capture.")
        } else {
            "No application-layer message was dissected in this capture.".to_string()
        }
    }
}

fn protocols_text(p: &Pair) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (name, frames) in &p.protocols {
        let n = frames.total();
        let over = if *name == PROTO_DATA || *name == PROTO_NONE {
            name.to_string()
        } else {
            format!("{name} over TCP")
        };
        if n == p.connections {
            parts.push(format!(
                "{over} on {}",
                match n {
                    1 => "the one connection".to_string(),
                    2 => "both connections".to_string(),
                    _ => format!("all {n} connections"),
                }
            ));
        } else {
            parts.push(format!(
                "{over} on {n} of the {} connections",
                p.connections
            ));
        }
    }
    parts.join("; ")
}

fn pair_facts(p: &Pair) -> Value {
    json!({
        "server_port": p.server_port,
        "connections": p.connections,
        "client_addresses": p.client_addrs,
        "server_addresses": p.server_addrs,
        "protocols": p.protocols.iter().map(|(name, frames)| json!({
            "protocol": name,
            "connections": frames.total(),
            "first_frames": frames.iter().copied().collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn pair_evidence(p: &Pair, cap: usize) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    for (name, frames) in &p.protocols {
        evidence.push(ev(
            frames.iter().copied().collect(),
            None,
            format!(
                "{name}: {} (the first frame of each)",
                plural(frames.total(), "connection", "connections")
            ),
        ));
        more(
            &mut evidence,
            frames.more(),
            &format!("{name} connections"),
            cap,
        );
    }
    evidence
}

fn task1(t: &Tally) -> Task {
    let mut answers = Vec::new();
    for (port, q, who, usual) in [
        (
            WEBAPP_PORT,
            "Which protocols run between the browser and the web app?",
            "the browser and the web app",
            "HTTP",
        ),
        (
            POT_PORT,
            "Which protocol runs between the web app and the coffee pot?",
            "the web app and the coffee pot",
            "HTCPCP",
        ),
    ] {
        let Some(p) = t.pair(port) else {
            answers.push(cannot(
                q,
                format!("This capture holds no TCP connection to port {port}, so it cannot show what {who} speak."),
            ));
            continue;
        };
        let mut answer = format!(
            "{} to port {port}: {}.",
            plural(p.connections, "TCP connection", "TCP connections"),
            protocols_text(p)
        );
        let has = |n: &str| p.protocols.iter().any(|x| x.0 == n);
        if port == WEBAPP_PORT && has("TLS") {
            answer.push_str(if t.tls.decrypted_http > 0 {
                " TLS means HTTPS: the HTTP inside is encrypted, and read here with the key log (see Task 8)."
            } else {
                " TLS means HTTPS: the HTTP inside is encrypted (see Task 8)."
            });
        }
        if port == WEBAPP_PORT && has("HTTP") {
            answer.push_str(" HTTP/1.x: request lines such as `GET / HTTP/1.1` from the browser, status lines from the web app.");
        }
        if port == POT_PORT && has("HTCPCP") {
            answer.push_str(" HTCPCP is HTTP's coffee-pot dialect (RFC 2324): requests name a coffee:// URI, responses start `HTCPCP/1.x`.");
        }
        if !has(usual) {
            answer.push_str(&format!(" No {usual} was recognised on this pair."));
        }
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer,
            evidence: pair_evidence(p, t.cap),
            facts: pair_facts(p),
        });
    }
    answers.push(reach_answer(t));
    let q = "What other TCP traffic does the capture hold?";
    let others: Vec<&Pair> = t
        .pairs
        .iter()
        .filter(|p| p.server_port != WEBAPP_PORT && p.server_port != POT_PORT)
        .collect();
    if t.conns == 0 {
        answers.push(cannot(q, "This capture holds no TCP connection.".into()));
    } else {
        let mut evidence = Vec::new();
        for p in &others {
            for (name, frames) in &p.protocols {
                evidence.push(ev(
                    frames.iter().copied().collect(),
                    None,
                    format!(
                        "port {}: {name} on {}",
                        p.server_port,
                        plural(frames.total(), "connection", "connections")
                    ),
                ));
                more(&mut evidence, frames.more(), "connections", t.cap);
            }
        }
        if t.other_pairs > 0 {
            evidence.push(ev(
                Vec::new(),
                None,
                format!(
                    "\u{2026} and {} connections to further ports",
                    t.other_pairs
                ),
            ));
        }
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: if others.is_empty() {
                "None: every TCP connection goes to the web app (5031) or the coffee pot (5030)."
                    .to_string()
            } else {
                format!(
                    "Connections to {} other server {}: {}.",
                    others.len() as u64 + u64::from(t.other_pairs > 0),
                    if others.len() == 1 { "port" } else { "ports" },
                    others
                        .iter()
                        .map(|p| format!("port {} ({})", p.server_port, protocols_text(p)))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            },
            evidence,
            facts: json!({
                "pairs": others.iter().map(|p| pair_facts(p)).collect::<Vec<_>>(),
                "connections_to_further_ports": t.other_pairs,
            }),
        });
    }
    Task {
        task: 1,
        title: "Architecture: protocols and who talks to whom".into(),
        answers,
    }
}

fn reach_answer(t: &Tally) -> Answer {
    let q = "Does the browser send messages directly to the coffee pot?";
    let pot = &t.pot;
    let web = t.pair(WEBAPP_PORT).map_or(0, |p| p.connections);
    let pot_conns = pot.nested.total() + pot.alone.total();
    let pot_clients: Vec<&str> = pot.client_addrs.iter().map(|a| a.0.as_str()).collect();
    // Browser and web app told apart by address.
    let distinct_hosts = !t.browser_addrs.is_empty()
        && !t.webapp_addrs.is_empty()
        && t.browser_addrs.iter().all(|a| !t.webapp_addrs.contains(a));
    let from_browser: Vec<&str> = pot_clients
        .iter()
        .copied()
        .filter(|a| {
            t.browser_addrs.iter().any(|b| b == a) && !t.webapp_addrs.iter().any(|w| w == a)
        })
        .collect();
    let mut facts = json!({
        "browser_connections": web,
        "pot_connections": pot_conns,
        "opened_during_browser_request": pot.nested.total(),
        "opened_otherwise": pot.alone.total(),
        "origin_form_requests_to_pot": pot.origin_form.iter().map(|x| x.0).collect::<Vec<_>>(),
        "browser_addresses": t.browser_addrs,
        "web_app_addresses": t.webapp_addrs,
        "pot_client_addresses": pot_clients,
        "nested": pot.nested.iter().map(|x| json!({"stream": x.0, "first_frame": x.1, "browser_stream": x.2, "browser_frame": x.3, "browser_tls": x.4})).collect::<Vec<_>>(),
        "not_nested": pot.alone.iter().map(|x| json!({"stream": x.0, "first_frame": x.1})).collect::<Vec<_>>(),
        "direct": Value::Null,
    });
    let mut evidence = Vec::new();
    for (s, f, bs, bf, tls) in pot.nested.iter() {
        let waiting = if *tls {
            format!("the browser's TLS connection (stream {bs}, encrypted requests since #{bf}) waited for the web app's answer")
        } else {
            format!("the browser's request #{bf} (stream {bs}) waited for its answer")
        };
        evidence.push(ev(
            vec![*bf, *f],
            Some(*s),
            format!("stream {s} to the pot opened at #{f}, while {waiting}"),
        ));
    }
    more(&mut evidence, pot.nested.more(), "such connections", t.cap);
    for (s, f, e) in pot.alone.iter() {
        evidence.push(ev(
            vec![*f],
            Some(*s),
            format!("{e}: opened while no browser request was waiting"),
        ));
    }
    more(&mut evidence, pot.alone.more(), "such connections", t.cap);
    for (f, s, l) in pot.origin_form.iter() {
        evidence.push(ev(
            vec![*f],
            Some(*s),
            format!(
                "`{l}`: a request with a plain path, as a browser sends it, not a coffee:// URI"
            ),
        ));
    }
    let why = " Why: the browser speaks HTTP(S) to the web app only; the pot speaks HTCPCP with coffee:// URIs, which the web app writes for it.";
    let set_direct = |facts: &mut Value, v: Value| facts["direct"] = v;
    if pot_conns == 0 {
        if web == 0 {
            return cannot(
                q,
                "This capture holds no connection to the web app (5031) or to the pot (5030): no lab traffic.".into(),
            );
        }
        set_direct(&mut facts, json!(false));
        return Answer {
            question: q.into(),
            answerable: true,
            answer: format!("No: the capture holds {} from the browser to the web app (port 5031) and none at all to the pot's port 5030, so nothing reached the pot here.", plural(web, "connection", "connections")),
            evidence,
            facts,
        };
    }
    if !from_browser.is_empty() || !pot.origin_form.is_empty() {
        set_direct(&mut facts, json!(true));
        let mut parts = Vec::new();
        if !from_browser.is_empty() {
            parts.push(format!(
                "connections to port 5030 come from the browser's address {} (the web app is at {})",
                from_browser.join(", "),
                t.webapp_addrs.join(", ")
            ));
        }
        if !pot.origin_form.is_empty() {
            parts.push(format!(
                "{} to port 5030 name a plain path instead of a coffee:// URI, as a browser does when pointed at the pot",
                plural(pot.origin_form.total(), "request", "requests")
            ));
        }
        return Answer {
            question: q.into(),
            answerable: true,
            answer: format!("Yes, in this capture: {}.", parts.join("; ")),
            evidence,
            facts,
        };
    }
    if distinct_hosts
        && pot_clients
            .iter()
            .all(|a| t.webapp_addrs.iter().any(|w| w == a))
    {
        set_direct(&mut facts, json!(false));
        return Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "No: all {} to the pot's port 5030 come from the web app's address {}, none from the browser's ({}); {} of them opened while a browser request waited for the web app's answer.{why}",
                plural(pot_conns, "connection", "connections"),
                t.webapp_addrs.join(", "),
                t.browser_addrs.join(", "),
                pot.nested.total()
            ),
            evidence,
            facts,
        };
    }
    let same = if t.browser_addrs.is_empty() {
        "there is no browser traffic (port 5031) to compare with".to_string()
    } else {
        let mut all: Vec<&str> = pot_clients.clone();
        for a in t.browser_addrs.iter().chain(&t.webapp_addrs) {
            if !all.contains(&a.as_str()) {
                all.push(a);
            }
        }
        format!(
            "the endpoints share the address{} {}, so addresses alone cannot tell who opened them",
            if all.len() == 1 { "" } else { "es" },
            all.join(", ")
        )
    };
    if pot.alone.is_empty() {
        set_direct(&mut facts, json!(false));
        return Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "No stream goes from the browser to the pot: every one of the {} to port 5030 opened while a browser request to the web app was waiting for its answer (the web app asks the pot on the browser's behalf), and every request to the pot names an absolute URI such as coffee://ducky, as the web app writes them, not the plain path a browser sends ({same}).{why}",
                plural(pot_conns, "connection", "connections"),
            ),
            evidence,
            facts,
        };
    }
    Answer {
        question: q.into(),
        answerable: false,
        answer: format!(
            "The capture cannot tell for {} of the {} to port 5030: they opened while no browser request was waiting, and {same}. {} opened during a browser request (the web app asking on its behalf).",
            pot.alone.total(),
            plural(pot_conns, "connection", "connections"),
            plural(pot.nested.total(), "other", "others"),
        ),
        evidence,
        facts,
    }
}

/// Handshakes and ports (Task 3's first questions), for connections to `port`.
fn ports_answer(t: &Tally, port: u16, who: &str, question: &str) -> Answer {
    let ps = if port == WEBAPP_PORT {
        &t.web_ports
    } else {
        &t.pot_ports
    };
    let n = ps.connections.total();
    if n == 0 {
        return cannot(
            question,
            format!("This capture holds no TCP connection to port {port}, so it cannot show the {who} ports."),
        );
    }
    let distinct = ps.distinct_client_ports();
    let shown = ps.first_client_ports(MAX_PORTS_NAMED);
    let answer = format!(
        "The {who} connections go to server port {port}; the client side used {} ({}{}){}",
        plural(distinct, "ephemeral port", "different ephemeral ports"),
        shown
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if distinct as usize > shown.len() {
            ", \u{2026}"
        } else {
            ""
        },
        if n > 1 && distinct > 1 {
            format!(": the client port changes with every new connection ({n} connections).")
        } else if n > 1 {
            format!(": the same client port for all {n} connections.")
        } else {
            ".".to_string()
        }
    );
    let mut evidence: Vec<Evidence> = ps
        .connections
        .iter()
        .map(|(s, f, _, _, e)| ev(vec![*f], Some(*s), e.clone()))
        .collect();
    more(&mut evidence, ps.connections.more(), "connections", t.cap);
    Answer {
        question: question.to_string(),
        answerable: true,
        answer,
        evidence,
        facts: json!({
            "server_port": port,
            "connection_count": n,
            "connections": ps.connections.iter().map(|(s, _, cp, sp, _)| json!({
                "stream": s,
                "client_port": cp,
                "server_port": sp,
            })).collect::<Vec<_>>(),
            "distinct_client_ports": distinct,
        }),
    }
}

fn count_answer(t: &Tally, port: u16, proto: &str, question: &str) -> Answer {
    let c = if port == WEBAPP_PORT {
        &t.http_counts
    } else {
        &t.htcpcp_counts
    };
    let (nreq, nresp) = (c.requests.total(), c.responses.total());
    if nreq == 0 && nresp == 0 {
        let mut why = t.no_message(&format!("{proto} message on TCP {port}"));
        if port == WEBAPP_PORT && t.app_seen && !t.tls_note().is_empty() {
            why.pop();
            why.push_str(t.tls_note());
            why.push('.');
        }
        return cannot(question, why);
    }
    let status_word = if port == POT_PORT {
        "HTCPCP/1.x"
    } else {
        "HTTP/1.x"
    };
    let answer = format!(
        "{} and {} on {}. A request starts with a request line (method, target, version) and travels from the client to port {port}; a response starts with a status line ({status_word} code reason) and travels back from port {port}.",
        plural(nreq, &format!("{proto} request"), &format!("{proto} requests")),
        plural(nresp, "response", "responses"),
        plural(c.connections, "connection", "connections"),
    );
    let mut all: Vec<(&Line, bool)> = c
        .requests
        .iter()
        .map(|l| (l, true))
        .chain(c.responses.iter().map(|l| (l, false)))
        .collect();
    all.sort_by_key(|(l, _)| l.0);
    let mut evidence: Vec<Evidence> = all
        .iter()
        .map(|((f, s, l), req)| {
            ev(
                vec![*f],
                Some(*s),
                format!("{}: {l}", if *req { "request" } else { "response" }),
            )
        })
        .collect();
    more(&mut evidence, c.requests.more(), "requests", t.cap);
    more(&mut evidence, c.responses.more(), "responses", t.cap);
    Answer {
        question: question.to_string(),
        answerable: true,
        answer,
        evidence,
        facts: json!({
            "request_count": nreq,
            "response_count": nresp,
            "connections": c.connections,
            "requests": c.requests.iter().map(|l| l.0).collect::<Vec<_>>(),
            "responses": c.responses.iter().map(|l| l.0).collect::<Vec<_>>(),
        }),
    }
}

fn task3(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let q = "Find the SYN, SYN-ACK and ACK segments: when is a three-way handshake needed?";
    if t.conns == 0 {
        answers.push(cannot(q, "This capture holds no TCP connection.".into()));
    } else {
        let per_conn = t.max_requests;
        let mut answer = format!(
            "{} {} opened with a complete three-way handshake (SYN, SYN-ACK, ACK) out of {}. A handshake is needed every time a new TCP connection is opened",
            plural(t.complete, "connection", "connections"),
            is_were(t.complete),
            plural(t.conns, "TCP connection", "TCP connections"),
        );
        if per_conn == 1 {
            answer.push_str(": here each connection carried one request (the web app closes after every response and opens a new connection to the pot for every HTCPCP request), so every request needed its own handshake.");
        } else if per_conn > 1 {
            answer.push_str(&format!(
                "; a persistent connection reuses one handshake for several requests (up to {per_conn} here)."
            ));
        } else {
            answer.push('.');
        }
        let show = |x: &Option<u64>| x.map_or("not captured".to_string(), |n| format!("#{n}"));
        let mut evidence: Vec<Evidence> = t
            .handshakes
            .iter()
            .map(|(s, hs, class, e)| {
                ev(
                    hs.iter().flatten().copied().collect(),
                    Some(*s),
                    format!(
                        "{e}: SYN {}, SYN-ACK {}, ACK {} ({class})",
                        show(&hs[0]),
                        show(&hs[1]),
                        show(&hs[2]),
                    ),
                )
            })
            .collect();
        more(&mut evidence, t.handshakes.more(), "connections", t.cap);
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer,
            evidence,
            facts: json!({
                "connection_count": t.conns,
                "complete": t.complete,
                "connections": t.handshakes.iter().map(|(s, hs, class, _)| json!({
                    "stream": s,
                    "syn": hs[0],
                    "syn_ack": hs[1],
                    "ack": hs[2],
                    "handshake": class,
                })).collect::<Vec<_>>(),
            }),
        });
    }
    answers.push(ports_answer(
        t,
        WEBAPP_PORT,
        "browser \u{2194} web app",
        "Which ports do the browser and the web app use?",
    ));
    answers.push(ports_answer(
        t,
        POT_PORT,
        "web app \u{2194} coffee pot",
        "Which ports do the web app and the coffee pot use?",
    ));
    answers.push(count_answer(
        t,
        WEBAPP_PORT,
        "HTTP",
        "How many HTTP requests and responses are there, and how do you tell them apart?",
    ));
    answers.push(count_answer(
        t,
        POT_PORT,
        "HTCPCP",
        "How many HTCPCP requests and responses are there, and how do you tell them apart?",
    ));
    Task {
        task: 3,
        title: "Homepage: handshakes, ports, requests and responses".into(),
        answers,
    }
}

fn task4(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let none = || t.no_message("HTCPCP message on TCP 5030");
    for (q, p, what) in [
        (
            "What does an HTCPCP request look like?",
            &t.pot_requests,
            "request",
        ),
        (
            "What does an HTCPCP response look like?",
            &t.pot_responses,
            "response",
        ),
    ] {
        let n = p.all.total();
        if n == 0 {
            answers.push(cannot(q, none()));
            continue;
        }
        let distinct = if p.distinct_more {
            format!("more than {} distinct", p.distinct.len())
        } else {
            format!("{} distinct", p.distinct.len())
        };
        let mut evidence: Vec<Evidence> = p
            .quotes
            .iter()
            .map(|m| ev(vec![m.frame], Some(m.stream), m.quote.clone()))
            .collect();
        if p.distinct_more {
            evidence.push(ev(
                Vec::new(),
                None,
                format!(
                    "\u{2026} and more distinct start lines (the report quotes the first {})",
                    t.cap
                ),
            ));
        }
        let answer = if what == "request" {
            format!(
                "{} HTCPCP requests, {distinct} start lines. Each is an HTTP-style message: a request line `METHOD coffee-URI version`, header lines ({} of them carry headers), a blank line and an optional body ({} carry one, e.g. `start`/`stop` for BREW).",
                n, p.with_headers, p.with_body
            )
        } else {
            format!(
                "{} HTCPCP responses, {distinct} status lines. Each starts with a status line `HTCPCP/1.x code reason`; {} carry headers, {} a body (JSON on success). There is no Content-Length: a response ends when the pot closes the connection.",
                n, p.with_headers, p.with_body
            )
        };
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer,
            evidence,
            facts: json!({
                "count": n,
                "with_headers": p.with_headers,
                "with_body": p.with_body,
                "distinct_start_lines": p.distinct,
                "messages": p.all.iter().map(|(f, s, l)| json!({"frame": f, "stream": s, "start_line": l})).collect::<Vec<_>>(),
            }),
        });
    }
    answers.push(ports_answer(
        t,
        POT_PORT,
        "web app \u{2194} coffee pot",
        "Which ports do the web app and the pot use, and do they stay the same?",
    ));
    let q = "Which HTCPCP methods and headers appear, compared with RFC 2324?";
    if t.pot_requests.all.is_empty() {
        answers.push(cannot(q, none()));
    } else {
        let rfc_method = |m: &str| crate::dissect::htcpcp::METHODS.contains(&m);
        let mut evidence = Vec::new();
        for (m, count, frames) in &t.methods.entries {
            evidence.push(ev(
                frames.clone(),
                None,
                format!(
                    "method {m} ({}): {}",
                    plural(*count, "time", "times"),
                    if rfc_method(m) {
                        "defined by RFC 2324"
                    } else {
                        "not an RFC 2324 method"
                    }
                ),
            ));
        }
        for (h, count, frames) in &t.headers.entries {
            let rfc = RFC2324_HEADERS.contains(&h.to_ascii_lowercase().as_str());
            evidence.push(ev(
                frames.clone(),
                None,
                format!(
                    "header {h} ({}): {}",
                    plural(*count, "time", "times"),
                    if rfc {
                        "named in RFC 2324"
                    } else {
                        "not in RFC 2324 (HTTP's or the lab's own)"
                    }
                ),
            ));
        }
        let (methods, headers) = (t.methods.names(), t.headers.names());
        let not_rfc_methods: Vec<&String> = methods.iter().filter(|m| !rfc_method(m)).collect();
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "Methods seen: {}; RFC 2324 defines BREW (and POST, deprecated), GET, PROPFIND and WHEN{}. Header fields seen: {}; RFC 2324 names Accept-Additions, Safe and the content types application/coffee-pot-command and message/coffeepot.",
                methods.join(", "),
                if not_rfc_methods.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} {} not)",
                        not_rfc_methods.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                        if not_rfc_methods.len() == 1 { "is" } else { "are" }
                    )
                },
                headers.join(", ")
            ),
            evidence,
            facts: json!({
                "methods": methods,
                "method_counts": t.methods.entries.iter().map(|e| (e.0.clone(), e.1)).collect::<BTreeMap<_, _>>(),
                "headers": headers,
                "header_counts": t.headers.entries.iter().map(|e| (e.0.clone(), e.1)).collect::<BTreeMap<_, _>>(),
                "not_in_rfc2324": {
                    "methods": not_rfc_methods,
                    "headers": headers.iter().filter(|h| !RFC2324_HEADERS.contains(&h.to_ascii_lowercase().as_str())).collect::<Vec<_>>(),
                },
            }),
        });
    }
    Task {
        task: 4,
        title: "Brewing: the HTCPCP messages".into(),
        answers,
    }
}

fn task5(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let any_request = t.web_requests > 0;
    let no_http = || {
        if t.app_seen {
            format!(
                "No HTTP request to TCP 5031 in this capture{}.",
                t.tls_note()
            )
        } else {
            "No application-layer message was dissected in this capture.".to_string()
        }
    };
    let q = "Which packet carries the browser's request for the base page?";
    match &t.base_page {
        Some((m, segments)) => answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "Frame {} carries `{}` (stream {}).",
                m.frame, m.start_line, m.stream
            ),
            evidence: vec![ev(segments.clone(), Some(m.stream), m.quote.clone())],
            facts: json!({"frame": m.frame, "stream": m.stream}),
        }),
        None => answers.push(cannot(
            q,
            if any_request {
                "No request for `/` in this capture.".into()
            } else {
                no_http()
            },
        )),
    }
    answers.push(ports_answer(
        t,
        WEBAPP_PORT,
        "browser \u{2194} web app",
        "Which ports do the browser and the web app use, and do they stay the same?",
    ));
    let q = "Which HTTP version is used, and are connections persistent?";
    if !any_request {
        answers.push(cannot(q, no_http()));
    } else {
        let mut versions = t.versions.clone();
        versions.sort();
        let max = t.max_per_conn;
        let mut evidence = Vec::new();
        for r in t.persist.iter() {
            let who = match (r.client_fin, r.server_fin) {
                (Some(a), Some(b)) if b < a => {
                    format!("the web app closed first (FIN #{b}), the browser followed (FIN #{a})")
                }
                (Some(a), Some(b)) => {
                    format!("the browser closed first (FIN #{a}), then the web app (FIN #{b})")
                }
                (None, Some(b)) => format!("the web app closed (FIN #{b})"),
                (Some(a), None) => format!("the browser closed (FIN #{a})"),
                (None, None) => "still open at the end of the capture".to_string(),
            };
            evidence.push(ev(
                [r.client_fin, r.server_fin].into_iter().flatten().collect(),
                Some(r.stream),
                format!(
                    "{}: {}; {who}",
                    r.endpoints,
                    plural(r.requests, "request", "requests")
                ),
            ));
        }
        more(&mut evidence, t.persist.more(), "connections", t.cap);
        for (f, s, v, l) in t.connection_headers.iter() {
            evidence.push(ev(vec![*f], Some(*s), format!("Connection: {v} ({l})")));
        }
        let mut vals = t.connection_values.clone();
        vals.sort();
        let persistent = max > 1;
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "Version{} {}. {}: {} for {} connections, at most {max} per connection; {} of them were closed by the web app first{}.",
                if versions.len() == 1 { "" } else { "s" },
                versions.join(", "),
                if persistent { "Connections are reused (persistent)" } else { "Connections are not persistent" },
                plural(t.web_requests, "request", "requests"),
                t.request_conns,
                t.server_first,
                if vals.is_empty() { String::new() } else { format!(" ({})", vals.join(", ")) }
            ),
            evidence,
            facts: json!({"versions": versions, "requests": t.web_requests, "max_requests_per_connection": max, "connections": t.request_conns, "closed_by_server_first": t.server_first}),
        });
    }
    let q = "How does the browser fetch the page's further assets?";
    if t.assets.is_empty() {
        answers.push(cannot(
            q,
            if any_request {
                "No request other than the page itself.".into()
            } else {
                no_http()
            },
        ));
    } else {
        let mut evidence: Vec<Evidence> = t
            .assets
            .iter()
            .map(|a| {
                ev(
                    vec![a.frame],
                    Some(a.stream),
                    format!(
                        "{} \u{2192} {}",
                        a.start_line,
                        a.response.as_deref().unwrap_or("no response captured")
                    ),
                )
            })
            .collect();
        more(&mut evidence, t.assets.more(), "asset requests", t.cap);
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "{} for assets, each a separate GET on {} ({} conditional, revalidating a cached copy).",
                plural(t.assets.total(), "request", "requests"),
                plural(t.asset_conns, "connection", "connections"),
                t.conditional
            ),
            evidence,
            facts: json!({
                "count": t.assets.total(),
                "connections": t.asset_conns,
                "conditional": t.conditional,
                "requests": t.assets.iter().map(|a| json!({"frame": a.frame, "stream": a.stream, "target": a.target})).collect::<Vec<_>>(),
            }),
        });
    }
    let q = "How do the brew form's choices reach the web app, and which HTCPCP message do they become?";
    match &t.form {
        None => answers.push(cannot(
            q,
            if any_request {
                "No brew form submission (`/?method=brew...`) in this capture.".into()
            } else {
                no_http()
            },
        )),
        Some(form) => {
            let fields = form
                .pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut evidence = vec![ev(
                vec![form.frame],
                Some(form.stream),
                format!("{}\nquery fields: {fields}", form.start_line),
            )];
            let answer = match &form.pot {
                Some((p, additions, body)) => {
                    evidence.push(ev(vec![p.frame], Some(p.stream), p.quote.clone()));
                    format!(
                        "The form is sent with GET: its fields travel in the query string of frame {} ({fields}). The web app turns them into the HTCPCP request of frame {}: `{}`{}{}.",
                        form.frame,
                        p.frame,
                        p.start_line,
                        additions.as_ref().map_or(String::new(), |a| format!(", Accept-Additions: {a}")),
                        if body.is_empty() { String::new() } else { format!(", body `{body}`") },
                    )
                }
                None => format!(
                    "The form is sent with GET: its fields travel in the query string of frame {} ({fields}); no HTCPCP request follows it in this capture.",
                    form.frame,
                ),
            };
            answers.push(Answer {
                question: q.into(),
                answerable: true,
                answer,
                evidence,
                facts: json!({"form_frame": form.frame, "fields": form.pairs, "htcpcp_frame": form.pot.as_ref().map(|p| p.0.frame)}),
            });
        }
    }
    Task {
        task: 5,
        title: "Brewing: the browser, HTTP and the form".into(),
        answers,
    }
}

fn task6(t: &Tally) -> Task {
    let mut answers = Vec::new();
    for (i, code) in CODES.iter().enumerate() {
        let q = format!("Which requests produced the {code} responses, and why?");
        let rows = &t.codes[i];
        if rows.is_empty() {
            answers.push(cannot(
                &q,
                format!(
                    "No HTTP {code} response on TCP 5031 in this capture{}.",
                    t.tls_note()
                ),
            ));
            continue;
        }
        let mut evidence = Vec::new();
        let mut facts = Vec::new();
        for r in rows.iter() {
            match &r.request {
                None => evidence.push(ev(
                    vec![r.response],
                    Some(r.stream),
                    format!("{}: its request was not captured", r.start_line),
                )),
                Some((rf, method, uri)) => {
                    evidence.push(ev(
                        vec![*rf, r.response],
                        Some(r.stream),
                        format!(
                            "#{rf} {method} {uri} \u{2192} #{} {}: {}",
                            r.response, r.start_line, r.why
                        ),
                    ));
                    let mut f = json!({"request": rf, "response": r.response, "uri": uri});
                    match code {
                        302 => f["location"] = json!(r.location),
                        304 => {
                            f["if_none_match"] = json!(r.conditions.0);
                            f["if_modified_since"] = json!(r.conditions.1);
                        }
                        _ => {}
                    }
                    facts.push(f);
                }
            }
        }
        more(&mut evidence, rows.more(), "responses", t.cap);
        let n = rows.total();
        let answer = match code {
            302 => format!("{}: the web app redirects after handling a form action (brew, when) so that the browser reloads the page with GET.", plural(n, "302 response", "302 responses")),
            304 => format!("{}: the browser revalidated cached copies with conditional requests, and the web app answered that they had not changed (no body).", plural(n, "304 response", "304 responses")),
            _ => format!("{}: each request was served with the resource.", plural(n, "200 response", "200 responses")),
        };
        answers.push(Answer {
            question: q,
            answerable: true,
            answer,
            evidence,
            facts: json!({"count": n, "responses": facts}),
        });
    }
    Task {
        task: 6,
        title: "The 200, 302 and 304 responses".into(),
        answers,
    }
}

fn task7(t: &Tally) -> Task {
    let mut answers = Vec::new();
    for (i, code) in ERRORS.iter().enumerate() {
        let q = format!("Is a {code} produced, and what does the browser get back?");
        let rows = &t.errors[i];
        if rows.is_empty() {
            answers.push(cannot(
                &q,
                format!("No HTCPCP {code} response in this capture."),
            ));
            continue;
        }
        let mut evidence = Vec::new();
        let mut facts = Vec::new();
        for r in rows.iter() {
            let mut e = vec![r.response];
            let mut text = format!("pot: #{} {}", r.response, r.start_line);
            if let Some((f, method, uri)) = &r.request {
                e.insert(0, *f);
                text = format!("app \u{2192} pot: #{f} {method} {uri} ; {text}");
            }
            if !r.body.trim().is_empty() {
                text.push_str(&format!(" ; body: {}", r.body.trim()));
            }
            if let Some(o) = &r.outer {
                e.extend([o.request, o.response]);
                text.push_str(&format!(
                    " ; browser: #{} {} \u{2192} #{} {}{}",
                    o.request,
                    o.request_line,
                    o.response,
                    o.response_line,
                    o.title
                        .as_ref()
                        .map_or(String::new(), |t| format!(", page \"{t}\""))
                ));
            }
            facts.push(json!({
                "htcpcp_response": r.response,
                "htcpcp_request": r.request.as_ref().map(|q| q.0),
                "browser_request": r.outer.as_ref().map(|o| o.request),
                "browser_response": r.outer.as_ref().map(|o| o.response),
                "browser_status": r.outer.as_ref().and_then(|o| o.status),
                "page_title": r.outer.as_ref().and_then(|o| o.title.clone()),
            }));
            evidence.push(ev(e, Some(r.stream), text));
        }
        more(&mut evidence, rows.more(), "responses", t.cap);
        let shown = rows.iter().filter(|r| r.outer.is_some()).count() as u64;
        answers.push(Answer {
            question: q,
            answerable: true,
            answer: format!(
                "{} from the pot; for {shown} of {} the capture shows the page the web app sent back to the browser{}.",
                plural(rows.total(), &format!("{code} response"), &format!("{code} responses")),
                if rows.more() > 0 {
                    format!("the first {} of them", t.cap)
                } else {
                    "them".to_string()
                },
                t.tls_note()
            ),
            evidence,
            facts: json!({"count": rows.total(), "responses": facts}),
        });
    }
    Task {
        task: 7,
        title: "The 406 and 418 errors".into(),
        answers,
    }
}

fn task8(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let tl = &t.tls;
    let q = "With HTTPS on, what is still visible between the browser and the web app?";
    if tl.records == 0 {
        answers.push(cannot(
            q,
            "No TLS on TCP 5031 in this capture: HTTPS was not in use.".into(),
        ));
        return Task {
            task: 8,
            title: "HTTPS".into(),
            answers,
        };
    }
    let mut versions = tl.versions.clone();
    versions.sort();
    let streams = t.tls_streams.total();
    answers.push(Answer {
        question: q.into(),
        answerable: true,
        answer: format!(
            "{} on {} to port 5031 ({}). Visible: addresses, ports, TCP handshakes and teardowns, the TLS handshake messages ({}), record types and sizes, and timing. Hidden: {} Application Data records ({} bytes) carry the HTTP requests and responses encrypted, so no URL, header, form field or status code is visible ({} HTTP messages dissected on port 5031).",
            plural(tl.records, "TLS record", "TLS records"),
            plural(streams, "connection", "connections"),
            if versions.is_empty() { "version not shown".to_string() } else { versions.join(", ") },
            tl.kinds.iter().map(|k| k.0.clone()).collect::<Vec<_>>().join(", "),
            tl.app_records,
            tl.app_bytes,
            // Without the key log: the messages read in the clear only.
            t.http_on_web - tl.decrypted_http
        ),
        evidence: tl.kinds.iter().map(|(k, f)| ev(f.clone(), None, format!("{k} (first frames)"))).collect(),
        facts: json!({"tls_streams": t.tls_streams.iter().collect::<Vec<_>>(), "tls_stream_count": streams, "records": tl.records, "application_data_records": tl.app_records, "application_data_bytes": tl.app_bytes, "versions": versions, "http_messages_on_5031": t.http_on_web}),
    });
    let q = "What does the key log (SSLKEYLOGFILE) reveal?";
    if tl.decrypted > 0 || tl.opaque_with_keys > 0 {
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "With the key log given, {} of the {} were decrypted{}: the TLS 1.3 handshake messages after the ServerHello (certificate included), the alerts, and {} inside them, URLs, headers, form fields, status codes and bodies \u{2014} everything TLS hid from the eavesdropper above. Whoever holds the key log reads the session as if it were plain HTTP; the log must stay as secret as the server's key.",
                plural(tl.decrypted, "record", "records"),
                plural(tl.records, "TLS record", "TLS records"),
                if tl.opaque_with_keys > 0 {
                    format!(" ({} had no usable key and stay opaque)", tl.opaque_with_keys)
                } else {
                    String::new()
                },
                plural(tl.decrypted_http, "HTTP message", "HTTP messages"),
            ),
            evidence: tl
                .decrypted_examples
                .iter()
                .map(|(f, s, l)| ev(vec![*f], Some(*s), format!("{l} (decrypted)")))
                .collect(),
            facts: json!({"decrypted_records": tl.decrypted, "decrypted_http_messages": tl.decrypted_http, "opaque_records_with_key_log": tl.opaque_with_keys}),
        });
    }
    let q = "Is the web app \u{2194} pot leg still readable?";
    if t.pot_msgs.is_empty() {
        answers.push(cannot(q, "No HTCPCP on TCP 5030 in this capture.".into()));
    } else {
        let mut evidence: Vec<Evidence> = t
            .pot_msgs
            .iter()
            .take(20)
            .map(|(f, s, l)| ev(vec![*f], Some(*s), l.clone()))
            .collect();
        let rest = t.pot_msgs.total().saturating_sub(20);
        if rest > 0 {
            evidence.push(ev(
                Vec::new(),
                None,
                format!("\u{2026} and {rest} more HTCPCP messages (Tasks 3 and 4 list them)"),
            ));
        }
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!("Yes: the web app talks to the pot in plaintext HTCPCP even when the browser uses HTTPS; {} are readable.", plural(t.pot_msgs.total(), "HTCPCP message", "HTCPCP messages")),
            evidence,
            facts: json!({"count": t.pot_msgs.total(), "frames": t.pot_msgs.iter().map(|l| l.0).collect::<Vec<_>>()}),
        });
    }
    let q = "Why does the browser warn about the certificate?";
    answers.push(match &tl.certificate {
        Some((frame, stream, info)) => Answer {
            question: q.into(),
            answerable: true,
            answer: format!("The server's certificate travels in clear in frame {frame} (TLS 1.2). The browser warns because it is self-signed: no certificate authority the browser trusts signed it."),
            evidence: vec![ev(vec![*frame], Some(*stream), info.clone())],
            facts: json!({"certificate_frame": frame}),
        },
        None => Answer {
            question: q.into(),
            answerable: false,
            answer: "The capture cannot show the certificate: no plaintext Certificate message (TLS 1.3 encrypts it in the Encrypted Handshake Message/Application Data records after the Server Hello). The lab's web app uses a self-signed certificate, which no certificate authority the browser trusts has signed: hence the warning.".into(),
            evidence: Vec::new(),
            facts: Value::Null,
        },
    });
    Task {
        task: 8,
        title: "HTTPS".into(),
        answers,
    }
}

/// Answers the given tasks (`TASKS` for all).
pub fn answer(facts: &super::Facts, capture: &str, tasks: &[u8]) -> Report {
    let t = &facts.tally;
    let tasks = tasks
        .iter()
        .filter_map(|n| match n {
            1 => Some(task1(t)),
            3 => Some(task3(t)),
            4 => Some(task4(t)),
            5 => Some(task5(t)),
            6 => Some(task6(t)),
            7 => Some(task7(t)),
            8 => Some(task8(t)),
            _ => None,
        })
        .collect();
    Report {
        capture: capture.to_string(),
        frames: facts.frames,
        tcp_streams: facts.tcp_streams,
        tasks,
    }
}
