//! Tasks 3 and 4: connections and client ports per server, message counts,
//! and the HTCPCP messages between the web app and the pot.

use super::*;

/// Handshakes and ports (Task 3's first questions), for connections to `port`.
pub(super) fn ports_answer(t: &Tally, port: u16, who: &str, question: &str) -> Answer {
    let ps = if port == t.web_port {
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

pub(super) fn count_answer(t: &Tally, port: u16, proto: &str, question: &str) -> Answer {
    let c = if port == t.web_port {
        &t.http_counts
    } else {
        &t.htcpcp_counts
    };
    let (nreq, nresp) = (c.requests.total(), c.responses.total());
    if nreq == 0 && nresp == 0 {
        let mut why = t.no_message(&format!("{proto} message on TCP {port}"));
        if port == t.web_port && t.app_seen && !t.tls_note().is_empty() {
            why.pop();
            why.push_str(t.tls_note());
            why.push('.');
        }
        return cannot(question, why);
    }
    let status_word = if port == t.pot_port {
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

pub(super) fn task3(t: &Tally) -> Task {
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
        t.web_port,
        "browser \u{2194} web app",
        "Which ports do the browser and the web app use?",
    ));
    answers.push(ports_answer(
        t,
        t.pot_port,
        "web app \u{2194} coffee pot",
        "Which ports do the web app and the coffee pot use?",
    ));
    answers.push(count_answer(
        t,
        t.web_port,
        "HTTP",
        "How many HTTP requests and responses are there, and how do you tell them apart?",
    ));
    answers.push(count_answer(
        t,
        t.pot_port,
        "HTCPCP",
        "How many HTCPCP requests and responses are there, and how do you tell them apart?",
    ));
    Task {
        task: 3,
        title: "Homepage: handshakes, ports, requests and responses".into(),
        answers,
    }
}

pub(super) fn task4(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let none = || t.no_message(&format!("HTCPCP message on TCP {}", t.pot_port));
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
        t.pot_port,
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
