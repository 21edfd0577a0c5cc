//! The streaming message parser of one direction: heads collected up to
//! [`Limits::max_head`], then the body framed as RFC 9112 §6.3 says (no body
//! for answers to HEAD, 1xx, 204, 304; chunked, de-chunked with trailers;
//! Content-Length; else to the end of the stream), messages out through a
//! sink with their stream byte range. Chunking of the input never matters.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Head,
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    Close,
    Done,
}

/// The outstanding requests of a response parser, oldest first, at most
/// [`MAX_PENDING_REQUESTS`] (the oldest is forgotten): only whether each was
/// a HEAD matters, and HEADs are rare, so the queue is two counters and the
/// positions of the HEADs (no allocation per stream).
#[derive(Debug, Default)]
pub(super) struct HeadQueue {
    /// Requests queued and taken since the parser began.
    pub(super) pushed: u64,
    pub(super) popped: u64,
    /// Positions (in `pushed` numbering) of the HEAD requests still queued.
    pub(super) heads: VecDeque<u64>,
}

impl HeadQueue {
    pub(super) fn push(&mut self, head: bool) {
        if self.pushed - self.popped == MAX_PENDING_REQUESTS as u64 {
            self.pop();
        }
        if head {
            self.heads.push_back(self.pushed);
        }
        self.pushed += 1;
    }

    pub(super) fn clear(&mut self) {
        self.pushed = 0;
        self.popped = 0;
        self.heads.clear();
    }

    /// Whether the oldest outstanding request was a HEAD (false when none is).
    pub(super) fn pop(&mut self) -> bool {
        if self.popped == self.pushed {
            return false;
        }
        let at = self.popped;
        self.popped += 1;
        if self.heads.front() == Some(&at) {
            self.heads.pop_front();
            true
        } else {
            false
        }
    }
}

/// The streaming parser of one direction (see the module doc of
/// [`crate::dissect`] for the contract).
#[derive(Debug)]
pub struct MessageParser {
    pub(super) htcpcp: bool,
    pub(super) role: Role,
    pub(super) limits: Limits,
    /// Stream offset of the next byte.
    pub(super) pos: u64,
    pub(super) state: State,
    /// Head, chunk-size line or trailer bytes being collected.
    pub(super) buf: Vec<u8>,
    /// The start line of the head in `buf`, once its first line is complete
    /// (parsed once, when it is checked, and handed to the message).
    pub(super) start_line: Option<StartLine>,
    pub(super) cur: Option<Message>,
    /// For a response parser: which outstanding requests were HEADs.
    pub(super) pending_head: HeadQueue,
    /// After a 101: the rest of the stream is not HTTP.
    pub(super) tunnel: bool,
    /// The first line of the stream, read ahead by protocol detection: the
    /// index of its LF and the start line ([`MessageParser::read_ahead`]).
    pub(super) ahead: Option<(usize, StartLine)>,
}

impl MessageParser {
    /// A parser for HTTP (`htcpcp = false`) or HTCPCP messages in `role`.
    pub fn new(htcpcp: bool, role: Role) -> Self {
        Self::with_limits(htcpcp, role, Limits::default())
    }

    pub fn with_limits(htcpcp: bool, role: Role, limits: Limits) -> Self {
        MessageParser {
            htcpcp,
            role,
            limits: Limits {
                max_head: limits.max_head.max(16),
                max_body: limits.max_body,
            },
            pos: 0,
            state: State::Head,
            buf: Vec::new(),
            start_line: None,
            cur: None,
            pending_head: HeadQueue::default(),
            tunnel: false,
            ahead: None,
        }
    }

    /// Back to the state [`MessageParser::new`] gives, for a new stream,
    /// keeping the allocations (stream states are reused).
    pub(crate) fn reset(&mut self, htcpcp: bool, role: Role) {
        self.htcpcp = htcpcp;
        self.role = role;
        self.limits = Limits::default();
        self.pos = 0;
        self.state = State::Head;
        self.buf.clear();
        self.start_line = None;
        self.cur = None;
        self.pending_head.clear();
        self.tunnel = false;
        self.ahead = None;
    }

    /// The stream's first bytes (offset 0) hold a start line whose LF is at
    /// `nl`, already read as `line`: the head that begins there takes it
    /// instead of reading the line again. Ignored unless that head is read
    /// whole at once.
    pub(crate) fn read_ahead(&mut self, nl: usize, line: StartLine) {
        self.ahead = Some((nl, line));
    }

    /// Stream offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// Bytes buffered now (head or chunk line, plus the kept body).
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.cur.as_ref().map_or(0, |m| m.body.len())
    }

    /// The message begun but not finished, if any: where it starts, its
    /// first line once that is complete (without CR LF), what the parser waits
    /// for, and the body bytes read so far. The packet list uses it to label
    /// the segments of a message completed later (Wireshark's `[TCP segment
    /// of a reassembled PDU]`).
    pub fn pending(&self) -> Option<Pending<'_>> {
        let wait = match self.state {
            State::Done => return None,
            State::Head if self.buf.is_empty() => return None,
            State::Head => Wait::Head,
            State::Body(_) => Wait::Length,
            State::ChunkSize | State::ChunkData(_) | State::ChunkDataEnd | State::Trailers => {
                Wait::Chunked
            }
            State::Close => Wait::Close,
        };
        Some(match &self.cur {
            Some(m) => Pending {
                start: m.range.start,
                first_line: None,
                message: Some(m),
                wait,
                body_len: m.body_len,
            },
            None => Pending {
                start: self.pos - self.buf.len() as u64,
                first_line: self
                    .buf
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|i| trim_cr(&self.buf[..i])),
                message: None,
                wait,
                body_len: 0,
            },
        })
    }

    /// After a `101 Switching Protocols`: the bytes this parser took since
    /// as tunnel data (the next protocol's first bytes) and the stream
    /// offset where they start. The parser is done with the stream.
    pub fn take_tunnel(&mut self) -> (u64, Vec<u8>) {
        let start = self.pos - self.buf.len() as u64;
        let out = match self.cur.take() {
            Some(m) if matches!(m.start_line, StartLine::Invalid(_)) => (m.range.start, m.body),
            other => {
                self.cur = other;
                (start, std::mem::take(&mut self.buf))
            }
        };
        self.state = State::Done;
        out
    }

    /// For a response parser: the peer sent a request with `method`, so the
    /// next final response answers it (an answer to HEAD has no body).
    pub fn expect_response_to(&mut self, method: &str) {
        self.pending_head.push(method == "HEAD");
    }

    /// Feeds the next in-order bytes of the stream.
    pub fn push<F: FnMut(Message)>(&mut self, mut data: &[u8], mut sink: F) {
        while !data.is_empty() {
            let used = self.step(data, &mut sink);
            self.pos += used as u64;
            data = &data[used..];
        }
    }

    /// The stream ended (FIN, or the end of the capture): a close-delimited
    /// message completes, an unfinished one comes out flagged
    /// [`Note::Incomplete`]. Later bytes are ignored.
    pub fn end_of_stream<F: FnMut(Message)>(&mut self, mut sink: F) {
        match self.state {
            State::Done => return,
            // Nothing came after the last cut of opaque data.
            State::Close
                if self.cur.as_ref().is_some_and(|m| {
                    matches!(m.start_line, StartLine::Invalid(_)) && m.body_len == 0
                }) =>
            {
                self.cur = None;
            }
            State::Close => self.finish(&mut sink),
            _ => self.finish_unfinished(None, &mut sink),
        }
        self.buf = Vec::new();
        self.state = State::Done;
    }

    /// `len` bytes at the current offset were never captured (reassembly's
    /// `Event::Gap` or `Event::Uncaptured`). Inside a body of known length
    /// or a close-delimited body the message goes on, flagged
    /// [`Note::Gap`] (`body_len` counts the hole, `body` does not hold it);
    /// inside a head, a chunk line or trailers, or past the end of a body,
    /// the message ends there unfinished and parsing resumes after the hole
    /// (bytes that are not a start line become a continuation).
    pub fn gap<F: FnMut(Message)>(&mut self, len: u64, mut sink: F) {
        if len == 0 {
            return;
        }
        match self.state {
            State::Done => return,
            State::Head if self.buf.is_empty() => {}
            State::Close => self.count_gap(len),
            State::Body(rem) if len < rem => {
                self.count_gap(len);
                self.state = State::Body(rem - len);
            }
            State::Body(rem) if len == rem => {
                self.count_gap(len);
                self.pos += len;
                self.finish(&mut sink);
                return;
            }
            State::ChunkData(rem) if len < rem => {
                self.count_gap(len);
                self.state = State::ChunkData(rem - len);
            }
            _ => self.finish_unfinished(Some(len), &mut sink),
        }
        self.pos += len;
    }

    /// For an HTCPCP request parser: the peer started answering, so a request
    /// body delimited by the end of the stream (the lab's web app sends BREW
    /// with no Content-Length) ends here. Does nothing otherwise.
    pub fn peer_answered<F: FnMut(Message)>(&mut self, mut sink: F) {
        if self.role == Role::Request
            && self.state == State::Close
            && self.cur.as_ref().is_some_and(Message::is_request)
        {
            self.finish(&mut sink);
        }
    }

    /// On an HTTP stream, bytes that are not HTTP (after a 101, or a peer
    /// speaking something else) are shown as they come, as Wireshark's
    /// "Continuation": the opaque data read so far comes out as one message
    /// and the parser goes on reading opaque data. Does nothing otherwise.
    pub fn cut_opaque<F: FnMut(Message)>(&mut self, mut sink: F) {
        let opaque = self.state == State::Close
            && self
                .cur
                .as_ref()
                .is_some_and(|m| matches!(m.start_line, StartLine::Invalid(_)) && m.body_len > 0);
        if opaque {
            self.finish(&mut sink);
            let mut next = Message::new(self.pos, StartLine::Invalid(Vec::new()));
            next.framing = Framing::Close;
            self.cur = Some(next);
            self.state = State::Close;
        }
    }

    pub(super) fn count_gap(&mut self, len: u64) {
        if let Some(m) = self.cur.as_mut() {
            m.body_len += len;
            m.note(Note::Gap(len));
        }
    }

    /// Emits the message being read (or the head being collected) as
    /// unfinished, and goes back to looking for a head.
    pub(super) fn finish_unfinished<F: FnMut(Message)>(&mut self, gap: Option<u64>, sink: &mut F) {
        let mut msg = match self.cur.take() {
            Some(m) => m,
            None if !self.buf.is_empty() => {
                let start = self.pos - self.buf.len() as u64;
                let head = std::mem::take(&mut self.buf);
                let head_len = head.len();
                let mut m = head_message(start, head, self.start_line.take());
                m.head_len = head_len;
                m
            }
            None => {
                self.state = State::Head;
                return;
            }
        };
        self.buf.clear();
        self.start_line = None;
        if let Some(len) = gap {
            msg.note(Note::Gap(len));
        }
        msg.note(Note::Incomplete);
        msg.complete = false;
        msg.range.end = self.pos;
        sink(msg);
        self.state = State::Head;
    }

    /// One step of the state machine; returns the bytes consumed (> 0).
    pub(super) fn step<F: FnMut(Message)>(&mut self, data: &[u8], sink: &mut F) -> usize {
        match self.state {
            State::Done => data.len(),
            State::Head => self.step_head(data, sink),
            State::Body(remaining) => {
                let n = (remaining.min(data.len() as u64)) as usize;
                self.take_body(&data[..n]);
                if remaining == n as u64 {
                    self.finish_at(n, sink);
                } else {
                    self.state = State::Body(remaining - n as u64);
                }
                n
            }
            State::Close => {
                self.take_body(data);
                data.len()
            }
            State::ChunkSize => {
                let (n, line) = match data.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (data.len(), false),
                };
                let room = MAX_CHUNK_LINE + 1 - self.buf.len();
                if n > room {
                    // The line is too long: the rest is raw body.
                    self.bad_chunk();
                    return self.step_after_bad_chunk(data);
                }
                self.buf.extend_from_slice(&data[..n]);
                if line {
                    let size = parse_chunk_size(&self.buf);
                    self.buf.clear();
                    match size {
                        Some(0) => self.state = State::Trailers,
                        Some(s) => self.state = State::ChunkData(s),
                        None => {
                            self.bad_chunk();
                        }
                    }
                }
                n
            }
            State::ChunkData(remaining) => {
                let n = (remaining.min(data.len() as u64)) as usize;
                self.take_body(&data[..n]);
                self.state = if remaining == n as u64 {
                    State::ChunkDataEnd
                } else {
                    State::ChunkData(remaining - n as u64)
                };
                n
            }
            State::ChunkDataEnd => match data[0] {
                b'\r' => 1,
                b'\n' => {
                    self.state = State::ChunkSize;
                    1
                }
                _ => {
                    if let Some(m) = self.cur.as_mut() {
                        m.note(Note::BadChunk);
                    }
                    // Not consumed: read as the next chunk-size line.
                    self.state = State::ChunkSize;
                    0
                }
            },
            State::Trailers => {
                let old = self.buf.len();
                let room = self.limits.max_head - old;
                let window = &data[..data.len().min(room)];
                match find_head_end(&self.buf, window, true) {
                    Some(end) => {
                        let used = end - old;
                        self.buf.extend_from_slice(&window[..used]);
                        let block = std::mem::take(&mut self.buf);
                        if let Some(m) = self.cur.as_mut() {
                            m.trailers = parse_header_block(block, 0, m);
                        }
                        self.finish_at(used, sink);
                        used
                    }
                    None => {
                        self.buf.extend_from_slice(window);
                        if self.buf.len() >= self.limits.max_head {
                            let block = std::mem::take(&mut self.buf);
                            let limit = self.limits.max_head;
                            if let Some(m) = self.cur.as_mut() {
                                m.trailers = parse_header_block(block, 0, m);
                                m.note(Note::HeadTooLarge(limit));
                            }
                            self.state = State::Close;
                        }
                        window.len()
                    }
                }
            }
        }
    }

    /// After a chunk-size line that is too long: the message becomes
    /// close-delimited and `data` is raw body.
    pub(super) fn step_after_bad_chunk(&mut self, data: &[u8]) -> usize {
        let pending = std::mem::take(&mut self.buf);
        self.take_body(&pending);
        self.take_body(data);
        data.len()
    }

    pub(super) fn bad_chunk(&mut self) {
        if let Some(m) = self.cur.as_mut() {
            m.note(Note::BadChunk);
            m.framing = Framing::Close;
        }
        self.state = State::Close;
    }

    pub(super) fn step_head<F: FnMut(Message)>(&mut self, data: &[u8], sink: &mut F) -> usize {
        if self.buf.is_empty() {
            // RFC 9112 §2.2: empty lines before a start line are ignored.
            let skip = data
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            if skip > 0 {
                return skip;
            }
            if self.tunnel {
                return self.start_opaque(StartLine::Invalid(Vec::new()), None, data);
            }
            if self.htcpcp && self.role == Role::Response && matches!(data[0], b'{' | b'[') {
                return self.start_opaque(StartLine::None, Some(Note::NoStatusLine), data);
            }
            if let Some(used) = self.whole_head(data, sink) {
                return used;
            }
        }
        let old = self.buf.len();
        let room = self.limits.max_head - old;
        let window = &data[..data.len().min(room)];
        let end = find_head_end(&self.buf, window, false);
        let used = end.map_or(window.len(), |e| e - old);
        self.buf.extend_from_slice(&window[..used]);
        if self.start_line.is_none() {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                let line = trim_cr(&self.buf[..i]);
                self.start_line = read_start_line(line).map(StartLineRef::to_owned_line);
                if self.start_line.is_none() {
                    let first = line[..line.len().min(256)].to_vec();
                    let pending = std::mem::take(&mut self.buf);
                    let start = self.pos - old as u64;
                    let mut msg = Message::new(start, StartLine::Invalid(first));
                    msg.note(Note::NotHttp);
                    msg.framing = Framing::Close;
                    self.cur = Some(msg);
                    self.state = State::Close;
                    self.take_body(&pending);
                    return used;
                }
            }
        }
        if end.is_some() {
            let head = std::mem::take(&mut self.buf);
            let head_len = head.len();
            let msg = head_message(self.pos - old as u64, head, self.start_line.take());
            self.begin_body(msg, head_len, used, None, sink);
        } else if self.buf.len() >= self.limits.max_head {
            let head = std::mem::take(&mut self.buf);
            let head_len = head.len();
            let mut msg = head_message(self.pos - old as u64, head, self.start_line.take());
            msg.head_len = head_len;
            msg.note(Note::HeadTooLarge(self.limits.max_head));
            msg.framing = Framing::Close;
            self.cur = Some(msg);
            self.state = State::Close;
        }
        used
    }

    /// The common case of [`MessageParser::step_head`]: nothing buffered, and
    /// `data` holds a valid start line and a whole header block that
    /// `httparse` accepts. The block is parsed once, straight from `data`,
    /// and its end is where `httparse` stopped, so the head is neither
    /// searched for its blank line nor read twice. (A block `httparse`
    /// accepts is lines that end in LF or CR LF, none empty but the last: its
    /// end is the first blank line, as [`find_head_end`] finds it.) `None`
    /// when the general path must take over (nothing is consumed then).
    pub(super) fn whole_head<F: FnMut(Message)>(
        &mut self,
        data: &[u8],
        sink: &mut F,
    ) -> Option<usize> {
        let window = &data[..data.len().min(self.limits.max_head)];
        let nl = memchr::memchr(b'\n', window)?;
        // The first line, as detection read it (the same bytes: offset 0,
        // LF at the same place), else read now.
        let ahead = match self.ahead.take() {
            Some((at, line)) if self.pos == 0 && at == nl => Some(line),
            _ => None,
        };
        let read = match ahead {
            Some(_) => None,
            None => Some(read_start_line(trim_cr(&window[..nl]))?),
        };
        let mut few = [httparse::EMPTY_HEADER; 24];
        let httparse::Status::Complete((n, hs)) =
            httparse::parse_headers(&window[nl + 1..], &mut few).ok()?
        else {
            return None;
        };
        let end = nl + 1 + n;
        // The fields body framing reads are noted on the way.
        let mut known = FramingFields::default();
        let spans = hs
            .iter()
            .enumerate()
            .map(|(i, h)| {
                known.note(i, h.name.as_bytes());
                FieldSpan::of(window, h)
            })
            .collect();
        let start_line = match (ahead, read) {
            (Some(line), _) => line,
            (None, Some(r)) => r.to_owned_line(),
            (None, None) => return None,
        };
        let mut msg = Message::new(self.pos, start_line);
        msg.headers = Headers {
            bytes: window[..end].to_vec(),
            spans,
        };
        if looks_joined(&window[nl + 1..end]) {
            note_joined(&mut msg);
        }
        self.begin_body(msg, end, end, Some(known), sink);
        Some(end)
    }

    /// A message with no parseable head that runs to the end of the stream.
    pub(super) fn start_opaque(
        &mut self,
        line: StartLine,
        note: Option<Note>,
        data: &[u8],
    ) -> usize {
        let mut msg = Message::new(self.pos, line);
        if let Some(n) = note {
            msg.note(n);
        }
        msg.framing = Framing::Close;
        self.cur = Some(msg);
        self.state = State::Close;
        self.take_body(data);
        data.len()
    }

    /// Decides the framing of a parsed head and moves to the body.
    pub(super) fn begin_body<F: FnMut(Message)>(
        &mut self,
        mut msg: Message,
        head_len: usize,
        used: usize,
        known: Option<FramingFields>,
        sink: &mut F,
    ) {
        msg.head_len = head_len;
        let framing = self.framing(&mut msg, known);
        msg.framing = framing;
        self.state = match framing {
            // Complete already: out at once, without a stay in `cur`.
            Framing::None | Framing::ContentLength(0) => {
                self.cur = None;
                return self.emit_at(msg, used, sink);
            }
            Framing::ContentLength(n) => {
                // The body's room at once: grown segment by segment, a 64 KB
                // body was copied again at each doubling (a third of the
                // application thread's copying on real nginx traffic). At
                // most 64 KiB ahead: a Content-Length may lie, and many
                // streams may wait for their bodies at once.
                let keep = n.min(self.limits.max_body.min(64 << 10) as u64) as usize;
                msg.body.reserve_exact(keep);
                State::Body(n)
            }
            Framing::Chunked => State::ChunkSize,
            Framing::Close => State::Close,
        };
        self.cur = Some(msg);
    }

    /// RFC 9112 §6.3.
    /// `known`: the framing fields, when the head's reader noted them.
    pub(super) fn framing(&mut self, msg: &mut Message, known: Option<FramingFields>) -> Framing {
        if let StartLine::Response { code, .. } = msg.start_line {
            if (100..200).contains(&code) {
                if code == 101 {
                    msg.note(Note::Upgrade);
                    self.tunnel = true;
                }
                return Framing::None;
            }
            let head_request = self.pending_head.pop();
            if head_request || code == 204 || code == 304 {
                return Framing::None;
            }
        }
        let request = self.role == Role::Request;
        // The first Transfer-Encoding and whether there is a Content-Length,
        // in one pass over the fields.
        let fields = known.unwrap_or_else(|| msg.headers.framing_fields());
        let value = |i: usize| msg.headers.slice(msg.headers.spans[i].value);
        let te = fields.te.map(value);
        let first_cl = fields.cl.map(value);
        let cls = fields.cls;
        let has_cl = cls > 0;
        // Whether the last Transfer-Encoding coding is chunked, if there is one.
        let chunked = te.map(|te| {
            let last = te.rsplit(|&b| b == b',').next().unwrap_or(&[]);
            trim_ws(last).eq_ignore_ascii_case(b"chunked")
        });
        if let Some(chunked) = chunked {
            if has_cl {
                msg.note(Note::LengthAndEncoding);
            }
            if chunked {
                return Framing::Chunked;
            }
            if request {
                msg.note(Note::UnknownEncoding);
            }
            return Framing::Close;
        }
        if has_cl {
            let mut value: Option<u64> = None;
            let mut bad = false;
            let mut read = |v: &[u8]| {
                for part in v.split(|&b| b == b',') {
                    match parse_decimal(trim_ws(part)) {
                        Some(n) if value.is_none() || value == Some(n) => value = Some(n),
                        _ => bad = true,
                    }
                }
            };
            // One field (the rule): no second pass over the fields for it.
            match first_cl.filter(|_| cls == 1) {
                Some(v) => read(v),
                None => msg.headers.all("Content-Length").for_each(read),
            }
            match (bad, value) {
                (false, Some(n)) => return Framing::ContentLength(n),
                _ => {
                    msg.note(Note::BadContentLength);
                    return Framing::Close;
                }
            }
        }
        if !request {
            return Framing::Close;
        }
        match &msg.start_line {
            StartLine::Request { method, .. }
                if self.htcpcp && matches!(method.as_str(), "BREW" | "POST") =>
            {
                Framing::Close
            }
            _ => Framing::None,
        }
    }

    pub(super) fn take_body(&mut self, bytes: &[u8]) {
        let cap = self.limits.max_body;
        if let Some(m) = self.cur.as_mut() {
            m.body_len += bytes.len() as u64;
            let room = cap.saturating_sub(m.body.len());
            if bytes.len() > room {
                m.note(Note::BodyTruncated(cap));
            }
            m.body.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    /// Completes the current message `used` bytes into this step.
    pub(super) fn finish_at<F: FnMut(Message)>(&mut self, used: usize, sink: &mut F) {
        match self.cur.take() {
            Some(m) => self.emit_at(m, used, sink),
            None => self.state = State::Head,
        }
    }

    /// `msg` ends `used` bytes into the current input: out it goes, and the
    /// next head may begin.
    pub(super) fn emit_at<F: FnMut(Message)>(
        &mut self,
        mut msg: Message,
        used: usize,
        sink: &mut F,
    ) {
        msg.range.end = self.pos + used as u64;
        sink(msg);
        self.state = State::Head;
    }

    pub(super) fn finish<F: FnMut(Message)>(&mut self, sink: &mut F) {
        self.finish_at(0, sink);
    }
}
