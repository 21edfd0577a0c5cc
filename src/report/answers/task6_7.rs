//! Tasks 6 and 7: the web app's 200, 302 and 304 responses with their
//! causes, and the pot's 406 and 418 errors with the pages they became.

use super::*;

pub(super) fn task6(t: &Tally) -> Task {
    let mut answers = Vec::new();
    for (i, code) in CODES.iter().enumerate() {
        let q = format!("Which requests produced the {code} responses, and why?");
        let rows = &t.codes[i];
        if rows.is_empty() {
            answers.push(cannot(
                &q,
                format!(
                    "No HTTP {code} response on TCP {} in this capture{}.",
                    t.web_port,
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

pub(super) fn task7(t: &Tally) -> Task {
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
