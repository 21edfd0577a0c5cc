//! Task 1: which protocols run between which endpoints, and whether the
//! browser reaches the pot directly.

use super::*;

pub(super) fn protocols_text(p: &Pair) -> String {
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

pub(super) fn pair_facts(p: &Pair) -> Value {
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

pub(super) fn pair_evidence(p: &Pair, cap: usize) -> Vec<Evidence> {
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

pub(super) fn task1(t: &Tally) -> Task {
    let mut answers = Vec::new();
    for (port, q, who, usual) in [
        (
            t.web_port,
            "Which protocols run between the browser and the web app?",
            "the browser and the web app",
            "HTTP",
        ),
        (
            t.pot_port,
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
        if port == t.web_port && has("TLS") {
            answer.push_str(if t.tls.decrypted_http > 0 {
                " TLS means HTTPS: the HTTP inside is encrypted, and read here with the key log (see Task 8)."
            } else {
                " TLS means HTTPS: the HTTP inside is encrypted (see Task 8)."
            });
        }
        if port == t.web_port && has("HTTP") {
            answer.push_str(" HTTP/1.x: request lines such as `GET / HTTP/1.1` from the browser, status lines from the web app.");
        }
        if port == t.pot_port && has("HTCPCP") {
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
        .filter(|p| p.server_port != t.web_port && p.server_port != t.pot_port)
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
                format!(
                    "None: every TCP connection goes to the web app ({}) or the coffee pot ({}).",
                    t.web_port, t.pot_port
                )
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

pub(super) fn reach_answer(t: &Tally) -> Answer {
    let q = "Does the browser send messages directly to the coffee pot?";
    let (web_port, pot_port) = (t.web_port, t.pot_port);
    let pot = &t.pot;
    let web = t.pair(t.web_port).map_or(0, |p| p.connections);
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
                format!("This capture holds no connection to the web app ({web_port}) or to the pot ({pot_port}): no lab traffic."),
            );
        }
        set_direct(&mut facts, json!(false));
        return Answer {
            question: q.into(),
            answerable: true,
            answer: format!("No: the capture holds {} from the browser to the web app (port {web_port}) and none at all to the pot's port {pot_port}, so nothing reached the pot here.", plural(web, "connection", "connections")),
            evidence,
            facts,
        };
    }
    if !from_browser.is_empty() || !pot.origin_form.is_empty() {
        set_direct(&mut facts, json!(true));
        let mut parts = Vec::new();
        if !from_browser.is_empty() {
            parts.push(format!(
                "connections to port {pot_port} come from the browser's address {} (the web app is at {})",
                from_browser.join(", "),
                t.webapp_addrs.join(", ")
            ));
        }
        if !pot.origin_form.is_empty() {
            parts.push(format!(
                "{} to port {pot_port} name a plain path instead of a coffee:// URI, as a browser does when pointed at the pot",
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
                "No: all {} to the pot's port {pot_port} come from the web app's address {}, none from the browser's ({}); {} of them opened while a browser request waited for the web app's answer.{why}",
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
        format!("there is no browser traffic (port {web_port}) to compare with")
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
                "No stream goes from the browser to the pot: every one of the {} to port {pot_port} opened while a browser request to the web app was waiting for its answer (the web app asks the pot on the browser's behalf), and every request to the pot names an absolute URI such as coffee://ducky, as the web app writes them, not the plain path a browser sends ({same}).{why}",
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
            "The capture cannot tell for {} of the {} to port {pot_port}: they opened while no browser request was waiting, and {same}. {} opened during a browser request (the web app asking on its behalf).",
            pot.alone.total(),
            plural(pot_conns, "connection", "connections"),
            plural(pot.nested.total(), "other", "others"),
        ),
        evidence,
        facts,
    }
}
