//! The lab's questions (Tasks 3 to 8 of the handout, `LAB.md`) answered from
//! a capture's [`Facts`]: every answer is a sentence built from what was
//! found, with the evidence (frames, streams, ports, quoted start lines and
//! headers) and, for graders, the key values as JSON. When the capture
//! cannot answer, the answer says so and `answerable` is false.

use super::{addr_text, client_server, Facts, Message, MsgKind, POT_PORT, WEBAPP_PORT};
use crate::model::conversations::{Conversation, Handshake};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub capture: String,
    pub frames: u64,
    pub tcp_streams: usize,
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
pub const TASKS: [u8; 6] = [3, 4, 5, 6, 7, 8];

fn ev(frames: Vec<u64>, stream: Option<u32>, text: impl Into<String>) -> Evidence {
    Evidence {
        frames,
        stream,
        text: text.into(),
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the capture holds, indexed for the questions.
struct View<'a> {
    f: &'a Facts,
}

impl<'a> View<'a> {
    /// Why HTTP on 5031 may be missing: it is inside TLS.
    fn tls_note(&self) -> &'static str {
        if self
            .f
            .tls
            .iter()
            .any(|r| self.server_port(r.stream) == Some(WEBAPP_PORT))
        {
            ": the browser \u{2194} web app traffic is TLS-encrypted (see Task 8)"
        } else {
            ""
        }
    }
    fn conv(&self, stream: u32) -> Option<&'a Conversation> {
        self.f.conversations.get(stream as usize)
    }
    fn server_port(&self, stream: u32) -> Option<u16> {
        self.conv(stream).map(|c| client_server(c).1.port)
    }
    fn convs_to(&self, port: u16) -> Vec<&'a Conversation> {
        self.f
            .conversations
            .iter()
            .filter(|c| client_server(c).1.port == port)
            .collect()
    }
    /// Messages on connections to `port`; requests (from the client) or responses.
    fn msgs(&self, port: u16, requests: bool) -> Vec<&'a Message> {
        self.f
            .messages
            .iter()
            .filter(|m| self.server_port(m.stream) == Some(port))
            .filter(|m| {
                let client_is_a = self.conv(m.stream).is_some_and(|c| c.client_side() == 0);
                (m.from_a == client_is_a) == requests
            })
            .collect()
    }
    fn endpoints(&self, c: &Conversation) -> String {
        let (cl, sv) = client_server(c);
        format!(
            "{}:{} \u{2192} {}:{}",
            addr_text(&cl, c.v6),
            cl.port,
            addr_text(&sv, c.v6),
            sv.port
        )
    }
}

/// A message quoted: start line, headers, body (cut).
fn quote(m: &Message) -> String {
    let mut s = m.start_line.clone();
    for (n, v) in &m.headers {
        s.push_str(&format!("\n{n}: {v}"));
    }
    if !m.body.is_empty() {
        let body: String = m.body.chars().take(300).collect();
        s.push_str("\n\n");
        s.push_str(&body);
        if m.body_len as usize > body.len() {
            s.push_str(&format!("\n[... {} body bytes in all]", m.body_len));
        }
    }
    s
}

fn target(m: &Message) -> Option<&str> {
    match &m.kind {
        MsgKind::Request { target, .. } => Some(target),
        _ => None,
    }
}

fn method(m: &Message) -> Option<&str> {
    match &m.kind {
        MsgKind::Request { method, .. } => Some(method),
        _ => None,
    }
}

/// A page's asset (stylesheet, image, icon, script): under `/assets/` or
/// named with a file extension.
fn is_asset(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    path.starts_with("/assets/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
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

/// Handshakes and ports (Task 3's first questions), for connections to `port`.
fn ports_answer(v: &View, port: u16, who: &str, question: &str) -> Answer {
    let convs = v.convs_to(port);
    if convs.is_empty() {
        return cannot(
            question,
            format!("This capture holds no TCP connection to port {port}, so it cannot show the {who} ports."),
        );
    }
    let client_ports: Vec<u16> = convs.iter().map(|c| client_server(c).0.port).collect();
    let mut distinct = client_ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let same = distinct.len() == 1;
    let answer = format!(
        "The {who} connections go to server port {port}; the client side used {} ({}){}",
        plural(
            distinct.len(),
            "ephemeral port",
            "different ephemeral ports"
        ),
        distinct
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if convs.len() > 1 && !same {
            format!(
                ": the client port changes with every new connection ({} connections).",
                convs.len()
            )
        } else if convs.len() > 1 {
            format!(
                ": the same client port for all {} connections.",
                convs.len()
            )
        } else {
            ".".to_string()
        }
    );
    Answer {
        question: question.to_string(),
        answerable: true,
        answer,
        evidence: convs
            .iter()
            .map(|c| ev(vec![c.first_frame], Some(c.stream), v.endpoints(c)))
            .collect(),
        facts: json!({
            "server_port": port,
            "connections": convs.iter().map(|c| json!({
                "stream": c.stream,
                "client_port": client_server(c).0.port,
                "server_port": client_server(c).1.port,
            })).collect::<Vec<_>>(),
            "distinct_client_ports": distinct.len(),
        }),
    }
}

fn count_answer(v: &View, port: u16, proto: &str, htcpcp: bool, question: &str) -> Answer {
    let reqs: Vec<&Message> = v
        .msgs(port, true)
        .into_iter()
        .filter(|m| m.htcpcp == htcpcp)
        .collect();
    let resps: Vec<&Message> = v
        .msgs(port, false)
        .into_iter()
        .filter(|m| m.htcpcp == htcpcp)
        .collect();
    if reqs.is_empty() && resps.is_empty() {
        let why = if v.f.app_seen {
            format!("No {proto} message on TCP {port} in this capture.")
        } else {
            "No application-layer message was dissected in this capture.".to_string()
        };
        return cannot(question, why);
    }
    let conns = {
        let mut s: Vec<u32> = reqs.iter().chain(&resps).map(|m| m.stream).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    let status_word = if htcpcp { "HTCPCP/1.x" } else { "HTTP/1.x" };
    let answer = format!(
        "{} and {} on {}. A request starts with a request line (method, target, version) and travels from the client to port {port}; a response starts with a status line ({status_word} code reason) and travels back from port {port}.",
        plural(reqs.len(), &format!("{proto} request"), &format!("{proto} requests")),
        plural(resps.len(), "response", "responses"),
        plural(conns, "connection", "connections"),
    );
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut all: Vec<&Message> = reqs.iter().chain(&resps).copied().collect();
    all.sort_by_key(|m| m.frame);
    for m in all {
        evidence.push(ev(
            vec![m.frame],
            Some(m.stream),
            format!(
                "{}: {}",
                if m.is_request() {
                    "request"
                } else {
                    "response"
                },
                m.start_line
            ),
        ));
    }
    Answer {
        question: question.to_string(),
        answerable: true,
        answer,
        evidence,
        facts: json!({
            "requests": reqs.iter().map(|m| m.frame).collect::<Vec<_>>(),
            "responses": resps.iter().map(|m| m.frame).collect::<Vec<_>>(),
        }),
    }
}

fn task3(v: &View) -> Task {
    let mut answers = Vec::new();
    let q = "Find the SYN, SYN-ACK and ACK segments: when is a three-way handshake needed?";
    if v.f.conversations.is_empty() {
        answers.push(cannot(q, "This capture holds no TCP connection.".into()));
    } else {
        let convs = &v.f.conversations;
        let complete = convs
            .iter()
            .filter(|c| c.handshake() == Handshake::Complete)
            .count();
        let max_req =
            v.f.messages
                .iter()
                .filter(|m| {
                    let c = &convs[m.stream as usize];
                    m.from_a == (c.client_side() == 0) && m.is_request()
                })
                .fold(std::collections::HashMap::new(), |mut h, m| {
                    *h.entry(m.stream).or_insert(0usize) += 1;
                    h
                });
        let per_conn = max_req.values().copied().max().unwrap_or(0);
        let mut answer = format!(
            "{} {} opened with a complete three-way handshake (SYN, SYN-ACK, ACK) out of {}. A handshake is needed every time a new TCP connection is opened",
            plural(complete, "connection", "connections"),
            if complete == 1 { "was" } else { "were" },
            plural(convs.len(), "TCP connection", "TCP connections"),
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
        let evidence = convs
            .iter()
            .map(|c| {
                let cs = c.client_side();
                let f = |x: crate::model::conversations::FrameRef| x.map(|n| n.get());
                let (syn, sa, ack) = (
                    f(c.sides[cs].syn),
                    f(c.sides[1 - cs].syn_ack),
                    f(c.handshake_ack),
                );
                let show =
                    |x: Option<u64>| x.map_or("not captured".to_string(), |n| format!("#{n}"));
                ev(
                    [syn, sa, ack].into_iter().flatten().collect(),
                    Some(c.stream),
                    format!(
                        "{}: SYN {}, SYN-ACK {}, ACK {} ({})",
                        v.endpoints(c),
                        show(syn),
                        show(sa),
                        show(ack),
                        c.handshake().as_str()
                    ),
                )
            })
            .collect();
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer,
            evidence,
            facts: json!(convs
                .iter()
                .map(|c| {
                    let cs = c.client_side();
                    json!({
                        "stream": c.stream,
                        "syn": c.sides[cs].syn.map(|n| n.get()),
                        "syn_ack": c.sides[1 - cs].syn_ack.map(|n| n.get()),
                        "ack": c.handshake_ack.map(|n| n.get()),
                        "handshake": c.handshake().as_str(),
                    })
                })
                .collect::<Vec<_>>()),
        });
    }
    answers.push(ports_answer(
        v,
        WEBAPP_PORT,
        "browser \u{2194} web app",
        "Which ports do the browser and the web app use?",
    ));
    answers.push(ports_answer(
        v,
        POT_PORT,
        "web app \u{2194} coffee pot",
        "Which ports do the web app and the coffee pot use?",
    ));
    answers.push(count_answer(
        v,
        WEBAPP_PORT,
        "HTTP",
        false,
        "How many HTTP requests and responses are there, and how do you tell them apart?",
    ));
    answers.push(count_answer(
        v,
        POT_PORT,
        "HTCPCP",
        true,
        "How many HTCPCP requests and responses are there, and how do you tell them apart?",
    ));
    Task {
        task: 3,
        title: "Homepage: handshakes, ports, requests and responses".into(),
        answers,
    }
}

/// RFC 2324's header fields (section 2.2) and its two content types.
const RFC2324_HEADERS: [&str; 3] = ["accept-additions", "safe", "content-type"];

fn task4(v: &View) -> Task {
    let reqs: Vec<&Message> = v
        .msgs(POT_PORT, true)
        .into_iter()
        .filter(|m| m.htcpcp)
        .collect();
    let resps: Vec<&Message> = v
        .msgs(POT_PORT, false)
        .into_iter()
        .filter(|m| m.htcpcp)
        .collect();
    let mut answers = Vec::new();
    let none = || {
        if v.f.app_seen {
            "No HTCPCP message on TCP 5030 in this capture.".to_string()
        } else {
            "No application-layer message was dissected in this capture.".to_string()
        }
    };
    for (q, msgs, what) in [
        ("What does an HTCPCP request look like?", &reqs, "request"),
        (
            "What does an HTCPCP response look like?",
            &resps,
            "response",
        ),
    ] {
        if msgs.is_empty() {
            answers.push(cannot(q, none()));
            continue;
        }
        // One quote per distinct start line.
        let mut seen: Vec<&str> = Vec::new();
        let mut evidence = Vec::new();
        for m in msgs.iter() {
            if seen.contains(&m.start_line.as_str()) {
                continue;
            }
            seen.push(&m.start_line);
            evidence.push(ev(vec![m.frame], Some(m.stream), quote(m)));
        }
        let with_headers = msgs.iter().filter(|m| !m.headers.is_empty()).count();
        let with_body = msgs.iter().filter(|m| m.body_len > 0).count();
        let answer = if what == "request" {
            format!(
                "{} HTCPCP requests, {} distinct start lines. Each is an HTTP-style message: a request line `METHOD coffee-URI version`, header lines ({} of them carry headers), a blank line and an optional body ({} carry one, e.g. `start`/`stop` for BREW).",
                msgs.len(), seen.len(), with_headers, with_body
            )
        } else {
            format!(
                "{} HTCPCP responses, {} distinct status lines. Each starts with a status line `HTCPCP/1.x code reason`; {} carry headers, {} a body (JSON on success). There is no Content-Length: a response ends when the pot closes the connection.",
                msgs.len(), seen.len(), with_headers, with_body
            )
        };
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer,
            evidence,
            facts: json!(msgs
                .iter()
                .map(|m| json!({"frame": m.frame, "stream": m.stream, "start_line": m.start_line}))
                .collect::<Vec<_>>()),
        });
    }
    answers.push(ports_answer(
        v,
        POT_PORT,
        "web app \u{2194} coffee pot",
        "Which ports do the web app and the pot use, and do they stay the same?",
    ));
    let q = "Which HTCPCP methods and headers appear, compared with RFC 2324?";
    if reqs.is_empty() {
        answers.push(cannot(q, none()));
    } else {
        let mut methods: Vec<(String, Vec<u64>)> = Vec::new();
        let mut headers: Vec<(String, Vec<u64>)> = Vec::new();
        for m in reqs.iter().chain(&resps) {
            if let Some(me) = method(m) {
                match methods.iter_mut().find(|(x, _)| x == me) {
                    Some((_, f)) => f.push(m.frame),
                    None => methods.push((me.to_string(), vec![m.frame])),
                }
            }
            for (n, _) in &m.headers {
                match headers.iter_mut().find(|(x, _)| x.eq_ignore_ascii_case(n)) {
                    Some((_, f)) => f.push(m.frame),
                    None => headers.push((n.clone(), vec![m.frame])),
                }
            }
        }
        let rfc_method = |m: &str| crate::dissect::htcpcp::METHODS.contains(&m);
        let mut evidence = Vec::new();
        for (m, frames) in &methods {
            evidence.push(ev(
                frames.clone(),
                None,
                format!(
                    "method {m}: {}",
                    if rfc_method(m) {
                        "defined by RFC 2324"
                    } else {
                        "not an RFC 2324 method"
                    }
                ),
            ));
        }
        for (h, frames) in &headers {
            let rfc = RFC2324_HEADERS.contains(&h.to_ascii_lowercase().as_str());
            evidence.push(ev(
                frames.clone(),
                None,
                format!(
                    "header {h}: {}",
                    if rfc {
                        "named in RFC 2324"
                    } else {
                        "not in RFC 2324 (HTTP's or the lab's own)"
                    }
                ),
            ));
        }
        let names = |v: &[(String, Vec<u64>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "Methods seen: {}; RFC 2324 defines BREW (and POST, deprecated), GET, PROPFIND and WHEN. Header fields seen: {}; RFC 2324 names Accept-Additions, Safe and the content types application/coffee-pot-command and message/coffeepot.",
                names(&methods).join(", "),
                names(&headers).join(", ")
            ),
            evidence,
            facts: json!({"methods": names(&methods), "headers": names(&headers)}),
        });
    }
    Task {
        task: 4,
        title: "Brewing: the HTCPCP messages".into(),
        answers,
    }
}

fn task5(v: &View) -> Task {
    let reqs = v.msgs(WEBAPP_PORT, true);
    let resps = v.msgs(WEBAPP_PORT, false);
    let mut answers = Vec::new();
    let no_http = || {
        if v.f.app_seen {
            format!(
                "No HTTP request to TCP 5031 in this capture{}.",
                v.tls_note()
            )
        } else {
            "No application-layer message was dissected in this capture.".to_string()
        }
    };
    let q = "Which packet carries the browser's request for the base page?";
    match reqs.iter().find(|m| target(m) == Some("/")) {
        Some(m) => answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "Frame {} carries `{}` (stream {}).",
                m.frame, m.start_line, m.stream
            ),
            evidence: vec![ev(
                m.segments.iter().map(|s| s.0).collect(),
                Some(m.stream),
                quote(m),
            )],
            facts: json!({"frame": m.frame, "stream": m.stream}),
        }),
        None => answers.push(cannot(
            q,
            if reqs.is_empty() {
                no_http()
            } else {
                "No request for `/` in this capture.".into()
            },
        )),
    }
    answers.push(ports_answer(
        v,
        WEBAPP_PORT,
        "browser \u{2194} web app",
        "Which ports do the browser and the web app use, and do they stay the same?",
    ));
    let q = "Which HTTP version is used, and are connections persistent?";
    if reqs.is_empty() {
        answers.push(cannot(q, no_http()));
    } else {
        let mut versions: Vec<String> = reqs
            .iter()
            .chain(&resps)
            .filter_map(|m| match &m.kind {
                MsgKind::Request { version, .. } | MsgKind::Response { version, .. } => {
                    Some(version.clone())
                }
                MsgKind::Other => None,
            })
            .collect();
        versions.sort();
        versions.dedup();
        let mut per_conn: std::collections::BTreeMap<u32, usize> = Default::default();
        for m in &reqs {
            *per_conn.entry(m.stream).or_default() += 1;
        }
        let max = per_conn.values().copied().max().unwrap_or(0);
        let close_hdr: Vec<&Message> = resps
            .iter()
            .chain(&reqs)
            .filter(|m| m.header("Connection").is_some())
            .copied()
            .collect();
        let mut server_first = 0;
        let mut evidence = Vec::new();
        for (&s, &n) in &per_conn {
            let Some(c) = v.conv(s) else { continue };
            let cs = c.client_side();
            let (cf, sf) = (
                c.sides[cs].fin.map(|x| x.get()),
                c.sides[1 - cs].fin.map(|x| x.get()),
            );
            let who = match (cf, sf) {
                (Some(a), Some(b)) if b < a => {
                    server_first += 1;
                    format!("the web app closed first (FIN #{b}), the browser followed (FIN #{a})")
                }
                (Some(a), Some(b)) => {
                    format!("the browser closed first (FIN #{a}), then the web app (FIN #{b})")
                }
                (None, Some(b)) => {
                    server_first += 1;
                    format!("the web app closed (FIN #{b})")
                }
                (Some(a), None) => format!("the browser closed (FIN #{a})"),
                (None, None) => "still open at the end of the capture".to_string(),
            };
            evidence.push(ev(
                [cf, sf].into_iter().flatten().collect(),
                Some(s),
                format!(
                    "{}: {} {}; {who}",
                    v.endpoints(c),
                    n,
                    if n == 1 { "request" } else { "requests" }
                ),
            ));
        }
        for m in close_hdr.iter().take(5) {
            evidence.push(ev(
                vec![m.frame],
                Some(m.stream),
                format!(
                    "Connection: {} ({})",
                    m.header("Connection").unwrap_or(""),
                    m.start_line
                ),
            ));
        }
        let persistent = max > 1;
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "Version{} {}. {}: {} for {} connections, at most {max} per connection; {} of them were closed by the web app first{}.",
                if versions.len() == 1 { "" } else { "s" },
                versions.join(", "),
                if persistent { "Connections are reused (persistent)" } else { "Connections are not persistent" },
                plural(reqs.len(), "request", "requests"),
                per_conn.len(),
                server_first,
                {
                    let mut vals: Vec<String> = close_hdr
                        .iter()
                        .map(|m| {
                            format!(
                                "Connection: {} in {}",
                                m.header("Connection").unwrap_or("").trim(),
                                if m.is_request() { "requests" } else { "responses" }
                            )
                        })
                        .collect();
                    vals.sort();
                    vals.dedup();
                    if vals.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", vals.join(", "))
                    }
                }
            ),
            evidence,
            facts: json!({"versions": versions, "max_requests_per_connection": max, "connections": per_conn.len(), "closed_by_server_first": server_first}),
        });
    }
    let q = "How does the browser fetch the page's further assets?";
    let assets: Vec<&&Message> = reqs
        .iter()
        .filter(|m| target(m).is_some_and(is_asset))
        .collect();
    if assets.is_empty() {
        answers.push(cannot(
            q,
            if reqs.is_empty() {
                no_http()
            } else {
                "No request other than the page itself.".into()
            },
        ));
    } else {
        let streams: std::collections::BTreeSet<u32> = assets.iter().map(|m| m.stream).collect();
        let conditional = assets
            .iter()
            .filter(|m| {
                m.header("If-None-Match").is_some() || m.header("If-Modified-Since").is_some()
            })
            .count();
        let answered: std::collections::HashMap<u64, &Message> = resps
            .iter()
            .filter_map(|x| x.request.as_ref().map(|q| (q.frame, *x)))
            .collect();
        let answer_for = |m: &Message| answered.get(&m.frame).map(|r| r.start_line.clone());
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "{} for assets, each a separate GET on {} ({} conditional, revalidating a cached copy).",
                plural(assets.len(), "request", "requests"),
                plural(streams.len(), "connection", "connections"),
                conditional
            ),
            evidence: assets
                .iter()
                .map(|m| ev(vec![m.frame], Some(m.stream), format!("{} \u{2192} {}", m.start_line, answer_for(m).unwrap_or_else(|| "no response captured".into()))))
                .collect(),
            facts: json!(assets.iter().map(|m| json!({"frame": m.frame, "stream": m.stream, "target": target(m)})).collect::<Vec<_>>()),
        });
    }
    let q = "How do the brew form's choices reach the web app, and which HTCPCP message do they become?";
    let form = reqs.iter().find(|m| {
        query_pairs(target(m).unwrap_or(""))
            .iter()
            .any(|(k, v)| k == "method" && v == "brew")
    });
    match form {
        None => answers.push(cannot(
            q,
            if reqs.is_empty() {
                no_http()
            } else {
                "No brew form submission (`/?method=brew...`) in this capture.".into()
            },
        )),
        Some(m) => {
            let pairs = query_pairs(target(m).unwrap_or(""));
            let end = resps
                .iter()
                .find(|r| r.request.as_ref().is_some_and(|q| q.frame == m.frame))
                .map_or(u64::MAX, |r| r.frame);
            let pot = v
                .msgs(POT_PORT, true)
                .into_iter()
                .find(|p| p.htcpcp && p.frame > m.frame && p.frame < end);
            let mut evidence = vec![ev(
                vec![m.frame],
                Some(m.stream),
                format!(
                    "{}\nquery fields: {}",
                    m.start_line,
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )];
            let answer = match pot {
                Some(p) => {
                    evidence.push(ev(vec![p.frame], Some(p.stream), quote(p)));
                    format!(
                        "The form is sent with GET: its fields travel in the query string of frame {} ({}). The web app turns them into the HTCPCP request of frame {}: `{}`{}{}.",
                        m.frame,
                        pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
                        p.frame,
                        p.start_line,
                        p.header("Accept-Additions").map_or(String::new(), |a| format!(", Accept-Additions: {a}")),
                        if p.body.is_empty() { String::new() } else { format!(", body `{}`", p.body.trim()) },
                    )
                }
                None => format!(
                    "The form is sent with GET: its fields travel in the query string of frame {} ({}); no HTCPCP request follows it in this capture.",
                    m.frame,
                    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
                ),
            };
            answers.push(Answer {
                question: q.into(),
                answerable: true,
                answer,
                evidence,
                facts: json!({"form_frame": m.frame, "fields": pairs, "htcpcp_frame": pot.map(|p| p.frame)}),
            });
        }
    }
    Task {
        task: 5,
        title: "Brewing: the browser, HTTP and the form".into(),
        answers,
    }
}

fn task6(v: &View) -> Task {
    let resps = v.msgs(WEBAPP_PORT, false);
    let mut answers = Vec::new();
    for code in [200u16, 302, 304] {
        let q = format!("Which requests produced the {code} responses, and why?");
        let rs: Vec<&&Message> = resps.iter().filter(|m| m.code() == Some(code)).collect();
        if rs.is_empty() {
            answers.push(cannot(
                &q,
                format!(
                    "No HTTP {code} response on TCP 5031 in this capture{}.",
                    v.tls_note()
                ),
            ));
            continue;
        }
        let mut evidence = Vec::new();
        let mut facts = Vec::new();
        for r in &rs {
            let Some(req) = &r.request else {
                evidence.push(ev(
                    vec![r.frame],
                    Some(r.stream),
                    format!("{}: its request was not captured", r.start_line),
                ));
                continue;
            };
            let why = match code {
                302 => format!(
                    "redirect to {} after the action `{}` was handled",
                    r.header("Location").unwrap_or("(no Location header)"),
                    req.uri
                ),
                304 => {
                    let mut c = Vec::new();
                    if let Some(x) = &req.if_none_match {
                        c.push(format!("If-None-Match: {x}"));
                    }
                    if let Some(x) = &req.if_modified_since {
                        c.push(format!("If-Modified-Since: {x}"));
                    }
                    if c.is_empty() {
                        "not modified, although the request carried no condition".to_string()
                    } else {
                        format!(
                            "a conditional request ({}) for a copy that had not changed{}",
                            c.join(", "),
                            r.header("ETag")
                                .map_or(String::new(), |e| format!(" (ETag {e})"))
                        )
                    }
                }
                _ => format!(
                    "the resource was served{}",
                    r.header("Content-Type")
                        .map_or(String::new(), |t| format!(" ({t})"))
                ),
            };
            evidence.push(ev(
                vec![req.frame, r.frame],
                Some(r.stream),
                format!(
                    "#{} {} {} \u{2192} #{} {}: {why}",
                    req.frame, req.method, req.uri, r.frame, r.start_line
                ),
            ));
            facts.push(json!({"request": req.frame, "response": r.frame, "uri": req.uri}));
        }
        let answer = match code {
            302 => format!("{}: the web app redirects after handling a form action (brew, when) so that the browser reloads the page with GET.", plural(rs.len(), "302 response", "302 responses")),
            304 => format!("{}: the browser revalidated cached copies with conditional requests, and the web app answered that they had not changed (no body).", plural(rs.len(), "304 response", "304 responses")),
            _ => format!("{}: each request was served with the resource.", plural(rs.len(), "200 response", "200 responses")),
        };
        answers.push(Answer {
            question: q,
            answerable: true,
            answer,
            evidence,
            facts: json!(facts),
        });
    }
    Task {
        task: 6,
        title: "The 200, 302 and 304 responses".into(),
        answers,
    }
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

fn task7(v: &View) -> Task {
    let pot_resps: Vec<&Message> = v
        .msgs(POT_PORT, false)
        .into_iter()
        .filter(|m| m.htcpcp)
        .collect();
    let web_reqs = v.msgs(WEBAPP_PORT, true);
    let web_resps = v.msgs(WEBAPP_PORT, false);
    let answered: std::collections::HashMap<u64, &Message> = web_resps
        .iter()
        .filter_map(|x| x.request.as_ref().map(|q| (q.frame, *x)))
        .collect();
    // (request, response) of the browser, by request frame.
    let exchanges: Vec<(&Message, &Message)> = web_reqs
        .iter()
        .filter_map(|w| answered.get(&w.frame).map(|x| (*w, *x)))
        .collect();
    let mut answers = Vec::new();
    for code in [406u16, 418] {
        let q = format!("Is a {code} produced, and what does the browser get back?");
        let rs: Vec<&&Message> = pot_resps
            .iter()
            .filter(|m| m.code() == Some(code))
            .collect();
        if rs.is_empty() {
            answers.push(cannot(
                &q,
                format!("No HTCPCP {code} response in this capture."),
            ));
            continue;
        }
        let mut evidence = Vec::new();
        let mut facts = Vec::new();
        for r in &rs {
            let req = r.request.as_ref();
            let mut e = vec![r.frame];
            let mut text = format!("pot: #{} {}", r.frame, r.start_line);
            if let Some(q) = req {
                e.insert(0, q.frame);
                text = format!(
                    "app \u{2192} pot: #{} {} {} ; {text}",
                    q.frame, q.method, q.uri
                );
            }
            if !r.body.is_empty() {
                text.push_str(&format!(
                    " ; body: {}",
                    r.body.chars().take(160).collect::<String>().trim()
                ));
            }
            let start = req.map_or(r.frame, |q| q.frame);
            // The browser's exchange around it: the latest request sent
            // before it (among the last 64) whose answer came after it.
            let before = exchanges.partition_point(|(w, _)| w.frame < start);
            let outer = exchanges[before.saturating_sub(64)..before]
                .iter()
                .filter(|(_, x)| x.frame > r.frame)
                .min_by_key(|(_, x)| x.frame)
                .map(|(w, x)| (*w, *x));
            let mut page = None;
            if let Some((w, x)) = outer {
                e.extend([w.frame, x.frame]);
                page = html_title(&x.body);
                text.push_str(&format!(
                    " ; browser: #{} {} \u{2192} #{} {}{}",
                    w.frame,
                    w.start_line,
                    x.frame,
                    x.start_line,
                    page.as_ref()
                        .map_or(String::new(), |t| format!(", page \"{t}\""))
                ));
            }
            facts.push(json!({"htcpcp_response": r.frame, "htcpcp_request": req.map(|q| q.frame), "browser_request": outer.map(|o| o.0.frame), "browser_response": outer.map(|o| o.1.frame), "browser_status": outer.and_then(|o| o.1.code()), "page_title": page}));
            evidence.push(ev(e, Some(r.stream), text));
        }
        let shown = facts
            .iter()
            .filter(|f| f["browser_response"].is_u64())
            .count();
        answers.push(Answer {
            question: q,
            answerable: true,
            answer: format!(
                "{} from the pot; for {} of them the capture shows the page the web app sent back to the browser{}.",
                plural(rs.len(), &format!("{code} response"), &format!("{code} responses")),
                shown,
                v.tls_note()
            ),
            evidence,
            facts: json!(facts),
        });
    }
    Task {
        task: 7,
        title: "The 406 and 418 errors".into(),
        answers,
    }
}

fn task8(v: &View) -> Task {
    let mut answers = Vec::new();
    let tls: Vec<&super::TlsRecord> =
        v.f.tls
            .iter()
            .filter(|r| v.server_port(r.stream) == Some(WEBAPP_PORT))
            .collect();
    let q = "With HTTPS on, what is still visible between the browser and the web app?";
    if tls.is_empty() {
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
    let streams: std::collections::BTreeSet<u32> = tls.iter().map(|r| r.stream).collect();
    let mut kinds: Vec<(String, Vec<u64>)> = Vec::new();
    for r in &tls {
        match kinds.iter_mut().find(|k| k.0 == r.info) {
            Some(k) => {
                if k.1.len() < 8 {
                    k.1.push(r.frame)
                }
            }
            None => kinds.push((r.info.clone(), vec![r.frame])),
        }
    }
    let app: Vec<&&super::TlsRecord> = tls
        .iter()
        .filter(|r| r.content_type == crate::dissect::tls::APPLICATION_DATA)
        .collect();
    let app_bytes: u64 = app.iter().map(|r| r.length as u64).sum();
    let mut versions: Vec<String> = tls.iter().filter_map(|r| r.protocol.clone()).collect();
    versions.sort();
    versions.dedup();
    let http_on_web =
        v.f.messages
            .iter()
            .filter(|m| v.server_port(m.stream) == Some(WEBAPP_PORT))
            .count();
    answers.push(Answer {
        question: q.into(),
        answerable: true,
        answer: format!(
            "{} on {} to port 5031 ({}). Visible: addresses, ports, TCP handshakes and teardowns, the TLS handshake messages ({}), record types and sizes, and timing. Hidden: {} Application Data records ({} bytes) carry the HTTP requests and responses encrypted, so no URL, header, form field or status code is visible ({} HTTP messages dissected on port 5031).",
            plural(tls.len(), "TLS record", "TLS records"),
            plural(streams.len(), "connection", "connections"),
            if versions.is_empty() { "version not shown".to_string() } else { versions.join(", ") },
            kinds.iter().map(|k| k.0.clone()).collect::<Vec<_>>().join(", "),
            app.len(),
            app_bytes,
            http_on_web
        ),
        evidence: kinds.iter().map(|(k, f)| ev(f.clone(), None, format!("{k} (first frames)"))).collect(),
        facts: json!({"tls_streams": streams, "records": tls.len(), "application_data_records": app.len(), "application_data_bytes": app_bytes, "versions": versions, "http_messages_on_5031": http_on_web}),
    });
    let q = "Is the web app \u{2194} pot leg still readable?";
    let pot: Vec<&Message> =
        v.f.messages
            .iter()
            .filter(|m| m.htcpcp && v.server_port(m.stream) == Some(POT_PORT))
            .collect();
    if pot.is_empty() {
        answers.push(cannot(q, "No HTCPCP on TCP 5030 in this capture.".into()));
    } else {
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!("Yes: the web app talks to the pot in plaintext HTCPCP even when the browser uses HTTPS; {} are readable.", plural(pot.len(), "HTCPCP message", "HTCPCP messages")),
            evidence: pot.iter().take(20).map(|m| ev(vec![m.frame], Some(m.stream), m.start_line.clone())).collect(),
            facts: json!(pot.iter().map(|m| m.frame).collect::<Vec<_>>()),
        });
    }
    let q = "Why does the browser warn about the certificate?";
    let cert = tls
        .iter()
        .find(|r| r.info.split(", ").any(|x| x == "Certificate"));
    answers.push(match cert {
        Some(r) => Answer {
            question: q.into(),
            answerable: true,
            answer: format!("The server's certificate travels in clear in frame {} (TLS 1.2). The browser warns because it is self-signed: no certificate authority the browser trusts signed it.", r.frame),
            evidence: vec![ev(vec![r.frame], Some(r.stream), r.info.clone())],
            facts: json!({"certificate_frame": r.frame}),
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
pub fn answer(facts: &Facts, capture: &str, tasks: &[u8]) -> Report {
    let v = View { f: facts };
    let tasks = tasks
        .iter()
        .filter_map(|t| match t {
            3 => Some(task3(&v)),
            4 => Some(task4(&v)),
            5 => Some(task5(&v)),
            6 => Some(task6(&v)),
            7 => Some(task7(&v)),
            8 => Some(task8(&v)),
            _ => None,
        })
        .collect();
    Report {
        capture: capture.to_string(),
        frames: facts.frames,
        tcp_streams: facts.conversations.len(),
        tasks,
    }
}
