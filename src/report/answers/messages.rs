//! One HTTP or HTCPCP message folded into the [`Tally`]: the browser's side
//! (web app port: Tasks 3, 5, 6, 7) and the pot's side (Tasks 3, 4, 7).

use super::*;

impl Tally {
    pub(super) fn web_message(
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

    pub(super) fn pot_message(
        &mut self,
        c: &Connection,
        frame: u64,
        from_client: bool,
        h: &HttpPdu,
    ) {
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
}
