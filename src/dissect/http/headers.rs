//! Header blocks and trailers (RFC 9112 §5, RFC 9110 §5): where a head
//! ends, its fields through `httparse::parse_headers` (re-read line by line
//! when it rejects the block, so that a malformed head is kept with expert
//! notes), and the fields body framing reads.

use super::*;

/// One header (or trailer) field, borrowed from its [`Headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

/// The header (or trailer) fields of a message, as spans into the bytes they
/// were parsed from. The parser's head buffer is moved in whole, so a message
/// costs two allocations for all its fields instead of two per field (the
/// per-field strings were a fifth of the application layer's instructions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    pub(super) bytes: Vec<u8>,
    pub(super) spans: Vec<FieldSpan>,
}

/// The fields body framing reads: the first `Transfer-Encoding`, the first
/// `Content-Length` and how many there are (indexes into the fields).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FramingFields {
    pub(super) te: Option<usize>,
    pub(super) cl: Option<usize>,
    pub(super) cls: usize,
}

impl FramingFields {
    /// Field `i` is named `name`.
    pub(super) fn note(&mut self, i: usize, name: &[u8]) {
        // The lengths first: most names are neither.
        match name.len() {
            17 if self.te.is_none() && name.eq_ignore_ascii_case(b"Transfer-Encoding") => {
                self.te = Some(i)
            }
            14 if name.eq_ignore_ascii_case(b"Content-Length") => {
                self.cl = self.cl.or(Some(i));
                self.cls += 1;
            }
            _ => {}
        }
    }
}

/// Where a field's name and value sit in [`Headers::bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FieldSpan {
    pub(super) name: (u32, u32),
    pub(super) value: (u32, u32),
}

impl FieldSpan {
    /// The span of a field httparse read from `block`: it hands out slices
    /// of the block, so their offsets are the span.
    pub(super) fn of(block: &[u8], h: &httparse::Header<'_>) -> FieldSpan {
        let base = block.as_ptr() as usize;
        let at = |b: &[u8]| {
            let start = (b.as_ptr() as usize - base) as u32;
            (start, start + b.len() as u32)
        };
        FieldSpan {
            name: at(h.name.as_bytes()),
            value: at(h.value),
        }
    }
}

impl Headers {
    /// Fields given as (name, value) pairs (fixtures, tests).
    pub fn from_pairs<N: AsRef<str>, V: AsRef<[u8]>>(pairs: &[(N, V)]) -> Headers {
        let mut h = Headers::default();
        for (n, v) in pairs {
            h.push_field(n.as_ref().as_bytes(), v.as_ref());
        }
        h
    }

    pub(super) fn push_field(&mut self, name: &[u8], value: &[u8]) {
        let mut append = |b: &[u8]| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(b);
            (start, self.bytes.len() as u32)
        };
        let name = append(name);
        let value = append(value);
        self.spans.push(FieldSpan { name, value });
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The fields in the order they were sent.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Header<'_>> + ExactSizeIterator + '_ {
        self.spans.iter().map(move |s| self.field(s))
    }

    /// The `i`-th field.
    pub fn get(&self, i: usize) -> Option<Header<'_>> {
        self.spans.get(i).map(|s| self.field(s))
    }

    /// The first field of that name (case-insensitive).
    pub fn find(&self, name: &str) -> Option<Header<'_>> {
        self.spans
            .iter()
            .find(|s| self.name_is(s, name))
            .map(|s| self.field(s))
    }

    /// The values of every field of that name (case-insensitive).
    pub fn all<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h [u8]> + 'h {
        self.spans
            .iter()
            .filter(move |s| self.name_is(s, name))
            .map(|s| &self.bytes[s.value.0 as usize..s.value.1 as usize])
    }

    /// The value of the first field of that name (case-insensitive).
    pub fn value(&self, name: &str) -> Option<&[u8]> {
        self.spans
            .iter()
            .find(|s| self.name_is(s, name))
            .map(|s| self.slice(s.value))
    }

    /// The fields as (name, value) bytes, without checking that names are
    /// text.
    pub(crate) fn raw_iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.spans
            .iter()
            .map(move |s| (self.slice(s.name), self.slice(s.value)))
    }

    /// What body framing reads ([`FramingFields`]), in one pass.
    pub(super) fn framing_fields(&self) -> FramingFields {
        let mut f = FramingFields::default();
        for (i, s) in self.spans.iter().enumerate() {
            f.note(i, self.slice(s.name));
        }
        f
    }

    pub(super) fn name_is(&self, s: &FieldSpan, name: &str) -> bool {
        self.slice(s.name).eq_ignore_ascii_case(name.as_bytes())
    }

    pub(super) fn slice(&self, (a, b): (u32, u32)) -> &[u8] {
        &self.bytes[a as usize..b as usize]
    }

    pub(super) fn field(&self, s: &FieldSpan) -> Header<'_> {
        let slice = |(a, b): (u32, u32)| &self.bytes[a as usize..b as usize];
        Header {
            // Names are tokens (httparse checks them): ASCII.
            name: std::str::from_utf8(slice(s.name)).unwrap_or(""),
            value: slice(s.value),
        }
    }
}

/// Parses a head (complete, or cut off) that starts at stream offset
/// `start` into a message. `checked` is its start line when the parser
/// already read it (it does as soon as the first line is complete), so that
/// it is not parsed twice.
pub(super) fn head_message(start: u64, head: Vec<u8>, checked: Option<StartLine>) -> Message {
    let (line, rest) = match memchr::memchr(b'\n', &head) {
        Some(i) => (trim_cr(&head[..i]), i + 1),
        None => (trim_cr(&head), head.len()),
    };
    let start_line = checked
        .or_else(|| parse_start_line(line))
        .unwrap_or_else(|| StartLine::Invalid(line[..line.len().min(256)].to_vec()));
    let mut msg = Message::new(start, start_line);
    if matches!(msg.start_line, StartLine::Invalid(_)) {
        msg.note(Note::NotHttp);
    }
    // Whether any line of the header block looks joined, in one pass over
    // the block (header values are short: one search per value cost more).
    // Only then is the field found, by its value.
    let maybe_joined = looks_joined(&head[rest.min(head.len())..]);
    msg.headers = parse_header_block(head, rest, &mut msg);
    if maybe_joined {
        note_joined(&mut msg);
    }
    msg
}

/// Notes the first field whose value looks like several headers joined.
pub(super) fn note_joined(msg: &mut Message) {
    let joined = msg
        .headers
        .spans
        .iter()
        .find(|s| looks_joined(msg.headers.slice(s.value)))
        .map(|s| String::from_utf8_lossy(msg.headers.slice(s.name)).into_owned());
    if let Some(name) = joined {
        msg.note(Note::HeadersJoined(name));
    }
}

/// Where a head ends in `buf` + `more` (index one past the blank line, in
/// the concatenation), looking only at the bytes that end in `more`. With
/// `empty_ok` a block that is only a blank line ends at once (trailers).
pub(super) fn find_head_end(buf: &[u8], more: &[u8], empty_ok: bool) -> Option<usize> {
    let at = |i: usize| -> u8 {
        if i < buf.len() {
            buf[i]
        } else {
            more[i - buf.len()]
        }
    };
    // memchr finds the line ends; a head is a dozen lines of a few hundred
    // bytes, and a byte-by-byte scan was the parser's largest cost.
    for j in memchr::memchr_iter(b'\n', more) {
        let i = buf.len() + j;
        // The line ending at i is empty if the previous byte is \n, or it is
        // \r preceded by \n (or the block start, for trailers).
        let prev = i.checked_sub(1).map(at);
        let prev2 = i.checked_sub(2).map(at);
        let empty = match (prev, prev2) {
            (None, _) => empty_ok,
            (Some(b'\n'), _) => true,
            (Some(b'\r'), None) => empty_ok,
            (Some(b'\r'), Some(b'\n')) => true,
            _ => false,
        };
        if empty {
            return Some(i + 1);
        }
    }
    None
}

/// A header block (the lines of `block` from `from` on, with or without the
/// final blank line) through `httparse::parse_headers`; if it rejects the
/// block, line by line, noting the lines that do not parse. The block is
/// kept as the fields' bytes.
pub(super) fn parse_header_block(block: Vec<u8>, from: usize, msg: &mut Message) -> Headers {
    let mut spans = Vec::new();
    {
        let span_of = |h: &httparse::Header<'_>| FieldSpan::of(&block, h);
        let rest = &block[from.min(block.len())..];
        spans.reserve(16);
        // Most heads have few headers: a small slot array first (zeroing 128
        // slots costs more than parsing a typical head).
        let mut few = [httparse::EMPTY_HEADER; 24];
        let mut parsed = false;
        match httparse::parse_headers(rest, &mut few) {
            Ok(httparse::Status::Complete((_, hs))) => {
                spans.extend(hs.iter().map(span_of));
                parsed = true;
            }
            Err(httparse::Error::TooManyHeaders) => {
                let mut slots = [httparse::EMPTY_HEADER; HEADER_SLOTS];
                if let Ok(httparse::Status::Complete((_, hs))) =
                    httparse::parse_headers(rest, &mut slots)
                {
                    spans.extend(hs.iter().map(span_of));
                    parsed = true;
                }
            }
            _ => {}
        }
        if !parsed {
            let mut line_buf = Vec::new();
            let mut line_start = from.min(block.len());
            for raw in rest.split(|&b| b == b'\n') {
                let offset = line_start;
                line_start += raw.len() + 1;
                let line = trim_cr(raw);
                if line.is_empty() {
                    continue;
                }
                line_buf.clear();
                line_buf.extend_from_slice(line);
                line_buf.extend_from_slice(b"\r\n\r\n");
                let mut one = [httparse::EMPTY_HEADER; 1];
                match httparse::parse_headers(&line_buf, &mut one) {
                    Ok(httparse::Status::Complete((_, [h]))) => {
                        // The same bytes sit at `offset` in the block.
                        let copy = line_buf.as_ptr() as usize;
                        let at = |b: &[u8]| {
                            let start = (offset + (b.as_ptr() as usize - copy)) as u32;
                            (start, start + b.len() as u32)
                        };
                        spans.push(FieldSpan {
                            name: at(h.name.as_bytes()),
                            value: at(h.value),
                        });
                    }
                    _ => {
                        let shown =
                            String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
                        msg.note(Note::MalformedHeader(shown));
                    }
                }
            }
        }
    }
    Headers {
        bytes: block,
        spans,
    }
}

/// A value like `127.0.0.1/x/Content-Type: text/html/Content-Length: 3`:
/// a `/` followed by a token and `:`.
pub(super) fn looks_joined(value: &[u8]) -> bool {
    // memchr: this runs over every header value of every message.
    memchr::memchr_iter(b'/', value).any(|i| {
        let rest = &value[i + 1..];
        // Most slashes (`text/html`, `Firefox/128.0`) fail here.
        if !rest.first().is_some_and(u8::is_ascii_uppercase) {
            return false;
        }
        let n = rest
            .iter()
            .take_while(|&&c| c.is_ascii_alphabetic() || c == b'-')
            .count();
        n >= 2 && rest.get(n) == Some(&b':') && rest[0].is_ascii_uppercase()
    })
}
