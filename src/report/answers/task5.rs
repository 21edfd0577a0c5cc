//! Task 5: the browser's requests: base page, HTTP version, persistent
//! connections, assets, the brew form.

use super::*;

pub(super) fn task5(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let any_request = t.web_requests > 0;
    let no_http = || {
        if t.app_seen {
            format!(
                "No HTTP request to TCP {} in this capture{}.",
                t.web_port,
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
        t.web_port,
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
