//! One stream's state as segments come in: the reassembler's events fed to
//! each direction's parser in stream order, the protocol decided by content
//! (held bytes replayed once it is known), holes, FIN and RST, and TLS
//! records decrypted with a key log.

use super::*;
use crate::dissect::http::{MessageParser, Role, StartLine, Wait};
use crate::dissect::tls::RecordParser;
use crate::dissect::{detect, tls};
use crate::flow::reassembly::{Event, Segment};

/// A reassembly event with its bytes owned (events of a flush outlive the
/// reassembler's borrow).
pub(super) enum OwnedEvent {
    Data {
        offset: u64,
        data: Vec<u8>,
        frame: u64,
    },
    Gap(u64),
    Fin,
    Other,
}

pub(super) fn owned(e: Event<'_>) -> OwnedEvent {
    match e {
        Event::Data {
            offset,
            data,
            frame,
        } => OwnedEvent::Data {
            offset,
            data: data.to_vec(),
            frame,
        },
        Event::Gap { len, .. } | Event::Uncaptured { len, .. } => OwnedEvent::Gap(len),
        Event::Fin { .. } => OwnedEvent::Fin,
        Event::Overflow { .. } | Event::DataAfterFin { .. } => OwnedEvent::Other,
    }
}
impl StreamState {
    /// An ended stream's state made new for another stream (first packet
    /// from `first_src`), keeping its allocations.
    pub(super) fn reuse(&mut self, first_src: Endpoint, pot_port: bool) {
        for dir in &mut self.dirs {
            dir.reset();
        }
        self.unanswered.clear();
        self.first_src = first_src;
        self.pot_port = pot_port;
        self.decision = Decision::Undecided;
        self.tls_version = None;
        self.last_request = None;
        self.last_response = None;
        self.decrypted = None;
        self.websocket = None;
        self.reset_frame = None;
    }

    pub(super) fn decide(&mut self, decision: Decision) {
        self.decision = decision;
        for d in 0..2 {
            if matches!(self.dirs[d].parser, Parser::Undecided) {
                self.instantiate(d);
            }
        }
    }

    /// Gives direction `d` its parser once the stream's protocol is known,
    /// and replays what it held.
    pub(super) fn instantiate(&mut self, d: usize) {
        let other_role = self.dirs[1 - d].role;
        let dir = &mut self.dirs[d];
        let role = dir.role.unwrap_or(match other_role {
            Some(Role::Request) => Role::Response,
            Some(Role::Response) => Role::Request,
            None if d == 0 => Role::Request,
            None => Role::Response,
        });
        dir.role = Some(role);
        dir.parser = match self.decision {
            Decision::Undecided => return,
            Decision::Plain => Parser::Plain,
            Decision::Proto(Protocol::Tls) => {
                if let (None, Some(k)) = (&self.decrypted, &self.keylog) {
                    self.decrypted = Some(Box::new(Decrypted::new(k.clone())));
                }
                Parser::Tls(RecordParser::new())
            }
            Decision::Proto(p) => {
                let htcpcp = p == Protocol::Htcpcp;
                Parser::Http(match dir.spare_parser.take() {
                    Some(mut b) => {
                        b.reset(htcpcp, role);
                        b
                    }
                    None => Box::new(MessageParser::new(htcpcp, role)),
                })
            }
        };
    }

    /// One segment of this stream. `parsed` and `events` are empty scratch
    /// buffers (left empty); `columns`: fill the Protocol and Info columns.
    pub(super) fn segment(
        &mut self,
        seg: &SegmentIn<'_>,
        parsed: &mut Vec<(usize, Parsed)>,
        events: &mut Vec<OwnedEvent>,
        columns: bool,
    ) -> Option<Box<AppFrame>> {
        let d = usize::from(seg.src != self.first_src);
        let frame = seg.frame;
        // Fast path: a pure ACK changes nothing unless it acknowledges data
        // held behind a hole (most packets of a capture are pure ACKs).
        let bare =
            seg.payload.is_empty() && seg.uncaptured == 0 && !seg.syn && !seg.fin && !seg.rst;
        if bare && (seg.ack.is_none() || self.dirs[1 - d].reasm.lowest_pending_seq().is_none()) {
            return None;
        }
        debug_assert!(parsed.is_empty());

        // The peer acknowledged data this stream holds behind a hole: the
        // hole was lost in the capture, not on the wire.
        // Whether anything reached a parser or changed its state (see the
        // early return below).
        let mut stirred = false;
        if let Some(ack) = seg.ack {
            let mut events = Vec::new();
            let other = &mut self.dirs[1 - d].reasm;
            while other
                .lowest_pending_seq()
                .is_some_and(|low| (ack.wrapping_sub(low) as i32) > 0)
            {
                other.skip_gap(frame, |e| events.push(owned(e)));
            }
            stirred = !events.is_empty();
            for e in events {
                self.apply_owned(1 - d, e, frame, parsed);
            }
        }

        // The peer (an HTCPCP pot) starts answering: a request that runs to
        // the end of the stream ends here, before this answer is parsed.
        if !seg.payload.is_empty() && !self.dirs[d].started {
            self.dirs[d].started = true;
            if self.dirs[1 - d].role == Some(Role::Request) {
                if let Parser::Http(p) = &mut self.dirs[1 - d].parser {
                    p.peer_answered(|m| parsed.push((1 - d, Parsed::http(m))));
                }
            }
        }

        // The first data of an undecided direction, in order and with a whole
        // first line (or TLS header): decided on the segment before the
        // reassembler delivers it, so that it goes straight to the new parser
        // below instead of being copied into an event first.
        let dir = &self.dirs[d];
        if matches!(dir.parser, Parser::Undecided)
            && !dir.ended
            && !seg.payload.is_empty()
            && dir.held.is_empty()
            && dir.spans.is_empty()
            && dir.reasm.offset() == 0
            && dir.reasm.lowest_pending_seq().is_none()
            && dir
                .reasm
                .next_seq()
                .map_or(true, |n| n == seg.seq.wrapping_add(u32::from(seg.syn)))
        {
            if let Some((p, line)) = decisive_with_line(seg.payload) {
                stirred = true;
                self.settle(d, p, seg.payload);
                if let (Parser::Http(parser), Some((nl, line))) = (&mut self.dirs[d].parser, line) {
                    parser.read_ahead(nl, line);
                }
                self.replay_held(parsed);
            }
        }

        let mut first_offset: Option<u64> = None;
        debug_assert!(events.is_empty());
        {
            // In-order data of a direction whose protocol is known goes
            // straight to its parser, without a copy; anything else (holes,
            // FIN, undecided directions) is applied below, in order.
            let Dir {
                reasm,
                parser,
                spans,
                ..
            } = &mut self.dirs[d];
            reasm.push(
                Segment {
                    seq: seg.seq,
                    data: seg.payload,
                    frame,
                    syn: seg.syn,
                    fin: seg.fin,
                    uncaptured: seg.uncaptured,
                },
                |e| match e {
                    Event::Data {
                        offset,
                        data,
                        frame: f,
                    } if events.is_empty()
                        && matches!(
                            parser,
                            Parser::Http(_) | Parser::Tls(_) | Parser::WebSocket(_)
                        ) =>
                    {
                        if f == frame && first_offset.is_none() {
                            first_offset = Some(offset);
                        }
                        stirred = true;
                        spans.push_back((offset, offset + data.len() as u64, f));
                        match parser {
                            Parser::Http(p) => p.push(data, |m| parsed.push((d, Parsed::http(m)))),
                            Parser::Tls(p) => p.push(data, |r| parsed.push((d, Parsed::Tls(r)))),
                            Parser::WebSocket(p) => {
                                p.push(data, |f| parsed.push((d, Parsed::Ws(f))))
                            }
                            Parser::Undecided | Parser::Plain => {}
                        }
                    }
                    e => events.push(owned(e)),
                },
            );
        }
        stirred |= !events.is_empty();
        for e in events.drain(..) {
            if let OwnedEvent::Data {
                offset, frame: f, ..
            } = &e
            {
                if *f == frame && first_offset.is_none() {
                    first_offset = Some(*offset);
                }
            }
            self.apply_owned(d, e, frame, parsed);
        }
        // `101 Switching Protocols` to WebSocket: both directions carry
        // WebSocket frames from the end of its head on, as tshark hands the
        // stream to its WebSocket dissector.
        if self.websocket.is_none()
            && self.decision == Decision::Proto(Protocol::Http)
            && parsed
                .iter()
                .any(|(_, p)| matches!(p, Parsed::Http(h) if is_websocket_upgrade(&h.message)))
        {
            self.upgrade_to_websocket(parsed);
        }
        // The lab's web app sends BREW with no Content-Length: its body is
        // what came with the head, as the lab's pot reads it.
        if let Parser::Http(p) = &mut self.dirs[d].parser {
            if p.pending().is_some_and(|pd| {
                pd.wait == Wait::Close
                    && pd.body_len > 0
                    && pd.message.is_some_and(Message::is_request)
            }) {
                p.peer_answered(|m| parsed.push((d, Parsed::http(m))));
            }
        }
        // On HTTP streams, non-HTTP data is shown frame by frame
        // ("Continuation"), not held to the end of the stream.
        if self.decision == Decision::Proto(Protocol::Http) {
            if let Parser::Http(p) = &mut self.dirs[d].parser {
                p.cut_opaque(|m| parsed.push((d, Parsed::http(m))));
            }
        }
        // A RST ends its sender's direction; what it cuts off is not shown
        // in the frame ([`AppFrame::reset`]). TLS records are left as they
        // were. The other direction ends too, unless an HTTP message of its
        // is begun: its segments in flight may still arrive and complete it
        // (tshark reassembles them); it ends once nothing is begun, or at
        // the end of the capture, cut by this RST ([`Self::reset_frame`]).
        let mut cut = Vec::new();
        if seg.rst {
            let from = parsed.len();
            self.end(d, parsed);
            if self.http_message_begun(1 - d) {
                self.reset_frame.get_or_insert(frame);
            } else {
                self.end(1 - d, parsed);
            }
            let mut i = from;
            while i < parsed.len() {
                if matches!(parsed[i].1, Parsed::Http(_)) {
                    cut.push(parsed.remove(i));
                } else {
                    i += 1;
                }
            }
        }
        if self.reset_frame.is_some()
            && !seg.rst
            && !self.dirs[d].ended
            && !self.http_message_begun(d)
        {
            self.end(d, parsed);
        }
        self.decrypt(parsed);
        // Nothing reached a parser and nothing came out (a SYN, a
        // retransmission): the frame says nothing (no message, no bytes of
        // one), and the spans were tidied after the last change.
        if !stirred && parsed.is_empty() && !seg.rst {
            return None;
        }

        let mut pdus = Vec::with_capacity(parsed.len());
        let protocol = self.column_protocol(parsed, columns);
        self.finish_parsed(parsed, frame, seg.time_nanos, &mut pdus);
        let mut frame_out = self.frame_columns(d, first_offset, pdus, protocol, columns);
        if !cut.is_empty() {
            let mut reset = Vec::with_capacity(cut.len());
            self.finish_parsed(&mut cut, 0, seg.time_nanos, &mut reset);
            for pdu in &mut reset {
                if let PduBody::Http(h) = &mut pdu.body {
                    h.reset_in = Some(frame);
                }
            }
            frame_out.get_or_insert_with(Default::default).reset = reset;
        }
        // Spans behind everything still pending are done with.
        for (d, dir) in self.dirs.iter_mut().enumerate() {
            let keep_from = match &dir.parser {
                Parser::Http(p) => p.pending().map_or(p.offset(), |pd| pd.start),
                _ => dir.emitted_to,
            };
            let keep_from = match self.decrypted.as_mut() {
                Some(dec) => dec.keep_from(d).map_or(keep_from, |k| k.min(keep_from)),
                None => keep_from,
            };
            while dir.spans.front().is_some_and(|s| s.1 <= keep_from) {
                dir.spans.pop_front();
            }
        }
        frame_out
    }

    pub(super) fn apply_owned(
        &mut self,
        d: usize,
        e: OwnedEvent,
        frame: u64,
        parsed: &mut Vec<(usize, Parsed)>,
    ) {
        self.apply(d, e, frame, parsed);
    }

    /// Feeds one reassembly event of direction `d` to its parser.
    pub(super) fn apply(
        &mut self,
        d: usize,
        e: OwnedEvent,
        _frame: u64,
        parsed: &mut Vec<(usize, Parsed)>,
    ) {
        match e {
            OwnedEvent::Data {
                offset,
                data,
                frame,
            } => {
                let end = offset + data.len() as u64;
                self.dirs[d].spans.push_back((offset, end, frame));
                if matches!(self.dirs[d].parser, Parser::Undecided) {
                    // The common case, a whole first line in the first
                    // segment, is decided on the segment itself, no copy.
                    if self.dirs[d].held.is_empty() && self.dirs[d].spans.len() == 1 {
                        if let Some(p) = decisive(&data) {
                            self.settle(d, p, &data);
                            self.replay_held(parsed);
                            self.feed(d, &data, parsed);
                            return;
                        }
                    }
                    self.hold(d, &data);
                    // Once decided, what either direction held (this chunk
                    // included) goes to its new parser.
                    self.replay_held(parsed);
                    return;
                }
                self.feed(d, &data, parsed);
            }
            OwnedEvent::Gap(len) => {
                let dir = &mut self.dirs[d];
                match &mut dir.parser {
                    Parser::Http(p) => p.gap(len, |m| parsed.push((d, Parsed::http(m)))),
                    Parser::Tls(p) => p.gap(len, |r| parsed.push((d, Parsed::Tls(r)))),
                    Parser::WebSocket(p) => p.gap(len),
                    // A hole before the protocol is known: give up on this direction.
                    Parser::Undecided => {
                        dir.held.clear();
                        dir.parser = Parser::Plain;
                    }
                    Parser::Plain => {}
                }
            }
            OwnedEvent::Fin => self.end(d, parsed),
            OwnedEvent::Other => {}
        }
    }

    /// Bytes of an undecided direction: held until its first line (or TLS
    /// header) shows the protocol, or the other direction decides it.
    pub(super) fn hold(&mut self, d: usize, data: &[u8]) {
        let dir = &mut self.dirs[d];
        let room = MAX_UNDECIDED.saturating_sub(dir.held.len());
        dir.held.extend_from_slice(&data[..data.len().min(room)]);
        let held = &dir.held;
        let detected = if tls::looks_like_record(held) {
            Some(Some(Protocol::Tls))
        } else if held.contains(&b'\n') {
            Some(detect(held))
        } else if held.len() >= MAX_UNDECIDED || data.len() > room {
            Some(None)
        } else {
            None
        };
        match detected {
            None => {}
            Some(Some(p)) => {
                let held = std::mem::take(&mut dir.held);
                self.settle(d, p, &held);
                self.dirs[d].held = held;
            }
            Some(None) => match self.decision {
                Decision::Undecided if data.len() > room || dir.held.len() >= MAX_UNDECIDED => {
                    dir.held.clear();
                    dir.parser = Parser::Plain;
                }
                // Wait for the other direction to decide.
                Decision::Undecided => {}
                _ => self.instantiate(d),
            },
        }
    }

    /// Direction `d`'s first bytes `first` say protocol `p`: its role, and
    /// the stream's protocol unless the other direction decided it.
    pub(super) fn settle(&mut self, d: usize, mut p: Protocol, first: &[u8]) {
        if p == Protocol::Http && self.pot_port {
            p = Protocol::Htcpcp;
        }
        if p != Protocol::Tls {
            self.dirs[d].role = Some(if is_status_line(first) {
                Role::Response
            } else {
                Role::Request
            });
        }
        match self.decision {
            Decision::Undecided => self.decide(Decision::Proto(p)),
            _ => self.instantiate(d),
        }
    }

    pub(super) fn replay_held(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        for d in 0..2 {
            if !matches!(self.dirs[d].parser, Parser::Undecided) && !self.dirs[d].held.is_empty() {
                let held = std::mem::take(&mut self.dirs[d].held);
                self.feed(d, &held, parsed);
            }
        }
    }

    pub(super) fn feed(&mut self, d: usize, data: &[u8], parsed: &mut Vec<(usize, Parsed)>) {
        match &mut self.dirs[d].parser {
            Parser::Http(p) => p.push(data, |m| parsed.push((d, Parsed::http(m)))),
            Parser::Tls(p) => p.push(data, |r| parsed.push((d, Parsed::Tls(r)))),
            Parser::WebSocket(p) => p.push(data, |f| parsed.push((d, Parsed::Ws(f)))),
            Parser::Undecided | Parser::Plain => {}
        }
    }

    /// Direction `d` ended (FIN, RST, end of capture).
    pub(super) fn end(&mut self, d: usize, parsed: &mut Vec<(usize, Parsed)>) {
        let dir = &mut self.dirs[d];
        if dir.ended {
            return;
        }
        dir.ended = true;
        if matches!(dir.parser, Parser::Undecided) && !dir.held.is_empty() {
            // Never decided: the stream is what the other side made it, or
            // nothing.
            if self.decision == Decision::Undecided {
                self.dirs[d].parser = Parser::Plain;
            } else {
                self.instantiate(d);
                let held = std::mem::take(&mut self.dirs[d].held);
                self.feed(d, &held, parsed);
            }
        }
        match &mut self.dirs[d].parser {
            Parser::Http(p) => p.end_of_stream(|m| parsed.push((d, Parsed::http(m)))),
            Parser::Tls(p) => p.end_of_stream(|r| parsed.push((d, Parsed::Tls(r)))),
            Parser::WebSocket(p) => p.end_of_stream(),
            Parser::Undecided | Parser::Plain => {}
        }
    }

    /// Whether direction `d` is an HTTP/HTCPCP parser in the middle of a
    /// message (bytes of it seen, its end not).
    fn http_message_begun(&self, d: usize) -> bool {
        let dir = &self.dirs[d];
        !dir.ended && matches!(&dir.parser, Parser::Http(p) if p.pending().is_some())
    }

    /// With a key log: decrypts the TLS records parsed in this frame, in
    /// place, and puts the HTTP/HTCPCP messages their data completed after
    /// them ([`Decrypted`]).
    pub(super) fn decrypt(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        let Some(dec) = self.decrypted.as_mut() else {
            return;
        };
        let pot = self.pot_port;
        // In place: a record is decrypted where it lies, and the messages
        // its data completed (rarely more than one) go in right after it.
        let mut i = 0;
        while i < parsed.len() {
            let (d, p) = &mut parsed[i];
            let d = *d;
            i += 1;
            let Parsed::Tls(rec) = p else { continue };
            let mut msgs = Vec::new();
            rec.inner_http = dec.record(d, rec, pot, |m| msgs.push((d, Parsed::http(m))));
            if !msgs.is_empty() {
                let n = msgs.len();
                parsed.splice(i..i, msgs);
                i += n;
            }
        }
    }

    /// Both directions become WebSocket frame parsers, from where the
    /// HTTP parser stopped (the bytes it took after the 101 as tunnel data
    /// are parsed as frames).
    pub(super) fn upgrade_to_websocket(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        self.websocket = Some(Box::default());
        for d in 0..2 {
            let (start, bytes) = match &mut self.dirs[d].parser {
                Parser::Http(p) => p.take_tunnel(),
                _ => continue,
            };
            let mut ws = Box::new(websocket::FrameParser::new(start));
            ws.push(&bytes, |f| parsed.push((d, Parsed::Ws(f))));
            let old = std::mem::replace(&mut self.dirs[d].parser, Parser::WebSocket(ws));
            if let Parser::Http(p) = old {
                self.dirs[d].spare_parser = Some(p);
            }
        }
    }

    /// The end of a decrypted stream: the messages the inner parsers still
    /// hold (TLS sees no FIN: only the end of the stream ends them).
    pub(super) fn end_decrypted(&mut self, parsed: &mut Vec<(usize, Parsed)>) {
        if let Some(dec) = self.decrypted.as_mut() {
            for d in 0..2 {
                dec.end(d, |m| parsed.push((d, Parsed::http(m))));
            }
        }
    }
}

/// The protocol of a direction's first bytes when they are enough to tell
/// (a TLS record header, or a whole first line that is HTTP or HTCPCP).
pub(super) fn decisive(first: &[u8]) -> Option<Protocol> {
    if tls::looks_like_record(first) {
        return Some(Protocol::Tls);
    }
    let nl = memchr::memchr(b'\n', first)?;
    crate::dissect::detect_line(&first[..nl])
}

/// [`decisive`] on a segment's payload, with the start line it read for an
/// HTTP or HTCPCP direction (owned, and the index of its LF): the new parser
/// takes it instead of reading the line again.
pub(super) fn decisive_with_line(first: &[u8]) -> Option<(Protocol, Option<(usize, StartLine)>)> {
    if tls::looks_like_record(first) {
        return Some((Protocol::Tls, None));
    }
    let nl = memchr::memchr(b'\n', first)?;
    let (p, line) = crate::dissect::detect_start_line(&first[..nl])?;
    Some((p, Some((nl, line.to_owned_line()))))
}

pub(super) fn is_status_line(b: &[u8]) -> bool {
    b.starts_with(b"HTTP/") || b.starts_with(b"HTCPCP/")
}

/// A `101` whose `Upgrade` names `websocket` (RFC 6455 §4.2.2).
pub(super) fn is_websocket_upgrade(m: &Message) -> bool {
    matches!(m.start_line, StartLine::Response { code: 101, .. })
        && m.headers.all("Upgrade").any(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
        })
}
