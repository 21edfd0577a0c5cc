//! The record layer (RFC 8446 §5.1, RFC 5246 §6.2): [`RecordParser`] cuts one
//! direction of a stream into [`Record`]s.

use super::handshake::handshakes;
use super::*;
use std::ops::Range;

/// One record, or undissectable bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Stream offsets of the record (header included).
    pub range: Range<u64>,
    pub content_type: u8,
    pub version: u16,
    /// The header's length field.
    pub length: u16,
    /// The payload (opaque; at most [`MAX_RECORD_LEN`] bytes).
    pub payload: Vec<u8>,
    /// Handshake message types in a plaintext handshake record, in order
    /// (the first one when a message continues beyond the record).
    pub handshake_types: Vec<u8>,
    /// The same messages with what was read of them (one per entry of
    /// `handshake_types`).
    pub handshakes: Vec<Handshake>,
    /// A handshake record after ChangeCipherSpec: encrypted.
    pub encrypted: bool,
    /// Not a record: bytes after an invalid header, up to the end of the
    /// stream (only the first [`MAX_RECORD_LEN`] are kept in `payload`).
    pub invalid: bool,
    /// The stream ended inside the record, or a hole cut it off.
    pub truncated: bool,
    /// Payload bytes never captured (a hole inside the record): `payload`
    /// is shorter than `length` by that much, plus any truncation.
    pub missing: u64,
    /// What a key log made of a protected record (`None`: not protected,
    /// or no key log given): its plaintext, or why it stays opaque.
    pub decryption: Option<Box<Decryption>>,
    /// Its decrypted application data went to the HTTP/HTCPCP dissector
    /// (the frame is named after the message, not the record).
    pub inner_http: bool,
    /// With a key log: the version the session's ServerHello chose, once
    /// seen (the Protocol column may name the protocol inside instead).
    pub session_version: Option<u16>,
}

/// A protected record with a key log given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decryption {
    /// Decrypted: the real content type and content (for TLS 1.3 the inner
    /// type, padding removed). Its handshake messages are in
    /// [`Record::handshakes`].
    Plain(Plaintext),
    /// Not decrypted; the expert note saying why ("no key for this
    /// session", "decryption failed", ...).
    Opaque(&'static str),
}

impl Record {
    /// The content type and content as the user sees them: the decrypted
    /// ones when there are, else the record's own; `true` when the content
    /// is still protected.
    pub fn content(&self) -> (u8, &[u8], bool) {
        match self.decryption.as_deref() {
            Some(Decryption::Plain(p)) => (p.content_type, &p.data, false),
            _ => (self.content_type, &self.payload, self.encrypted),
        }
    }

    /// The decrypted content, if the record was decrypted.
    pub fn plaintext(&self) -> Option<&Plaintext> {
        match self.decryption.as_deref() {
            Some(Decryption::Plain(p)) => Some(p),
            _ => None,
        }
    }

    /// The expert note of a protected record left opaque with a key log.
    pub fn decryption_note(&self) -> Option<&'static str> {
        match self.decryption.as_deref() {
            Some(Decryption::Opaque(why)) => Some(why),
            _ => None,
        }
    }

    /// Info column text: `Client Hello`, `Application Data`,
    /// `Encrypted Handshake Message`, `Change Cipher Spec`, ...
    pub fn info(&self) -> String {
        if self.invalid {
            return "Continuation Data".to_string();
        }
        let (content_type, _, encrypted) = self.content();
        match content_type {
            HANDSHAKE if encrypted || self.handshake_types.is_empty() => {
                "Encrypted Handshake Message".to_string()
            }
            HANDSHAKE => self
                .handshake_types
                .iter()
                .map(|&t| {
                    handshake_type_name(t).map_or_else(|| format!("Unknown ({t})"), str::to_string)
                })
                .collect::<Vec<_>>()
                .join(", "),
            ALERT if encrypted => "Encrypted Alert".to_string(),
            ALERT => match self.alert() {
                Some((level, description)) => format!(
                    "Alert (Level: {}, Description: {})",
                    alert_level_name(level)
                        .map_or_else(|| format!("Unknown ({level})"), str::to_string),
                    alert_description_name(description)
                        .map_or_else(|| format!("Unknown ({description})"), str::to_string),
                ),
                None => "Alert".to_string(),
            },
            t => content_type_name(t).unwrap_or("Unknown").to_string(),
        }
    }

    /// The Info text the record has without a key log (what an
    /// eavesdropper sees): [`Record::info`] of the protected record.
    pub fn info_without_keys(&self) -> String {
        if self.plaintext().is_none() {
            return self.info();
        }
        match self.content_type {
            HANDSHAKE => "Encrypted Handshake Message".to_string(),
            ALERT => "Encrypted Alert".to_string(),
            t => content_type_name(t).unwrap_or("Unknown").to_string(),
        }
    }

    /// A plaintext alert's level and description (the first alert of the
    /// record), `None` for other records, encrypted alerts, and alerts with
    /// bytes missing.
    pub fn alert(&self) -> Option<(u8, u8)> {
        let (content_type, content, encrypted) = self.content();
        let plain = self.plaintext().is_some();
        if content_type != ALERT || encrypted || self.invalid || (self.missing > 0 && !plain) {
            return None;
        }
        match content[..] {
            [level, description, ..] => Some((level, description)),
            _ => None,
        }
    }

    /// The version a ServerHello in this record chose (`supported_versions`,
    /// else its legacy version): 0x0304 for TLS 1.3.
    pub fn selected_version(&self) -> Option<u16> {
        self.server_hello().map(|s| s.selected_version)
    }

    /// The ClientHello of this record, if any.
    pub fn client_hello(&self) -> Option<&ClientHello> {
        self.handshakes.iter().find_map(|h| match &h.body {
            HandshakeBody::ClientHello(c) => Some(c),
            _ => None,
        })
    }

    /// The ServerHello of this record, if any.
    pub fn server_hello(&self) -> Option<&ServerHello> {
        self.handshakes.iter().find_map(|h| match &h.body {
            HandshakeBody::ServerHello(s) => Some(s),
            _ => None,
        })
    }
}

/// Streaming record parser of one direction.
#[derive(Debug, Default)]
pub struct RecordParser {
    pos: u64,
    /// The current record's header as far as read (`header_len` bytes).
    header: [u8; HEADER_LEN],
    header_len: usize,
    /// The current record's payload as far as read (≤ [`MAX_RECORD_LEN`]).
    /// Reserved at its full length once the header is read, and handed to
    /// the [`Record`] whole: a record's bytes are copied once, from the
    /// segments into here.
    payload: Vec<u8>,
    seen_ccs: bool,
    /// Bytes of the current record lost in holes.
    missing: u64,
    /// After an invalid header: everything else is one invalid record.
    invalid: Option<Record>,
    done: bool,
}

impl RecordParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes buffered now.
    pub fn buffered(&self) -> usize {
        self.header_len + self.payload.len() + self.invalid.as_ref().map_or(0, |r| r.payload.len())
    }

    /// Nothing of a record read yet.
    fn idle(&self) -> bool {
        self.header_len == 0
    }

    /// The header's length field (the header is read).
    fn length(&self) -> u16 {
        u16::from_be_bytes([self.header[3], self.header[4]])
    }

    /// Feeds the next in-order bytes of the stream.
    pub fn push<F: FnMut(Record)>(&mut self, mut data: &[u8], mut sink: F) {
        if self.done {
            return;
        }
        while !data.is_empty() {
            if let Some(r) = self.invalid.as_mut() {
                let room = MAX_RECORD_LEN - r.payload.len();
                r.payload.extend_from_slice(&data[..data.len().min(room)]);
                r.range.end += data.len() as u64;
                self.pos += data.len() as u64;
                return;
            }
            if self.header_len < HEADER_LEN {
                let n = (HEADER_LEN - self.header_len).min(data.len());
                self.header[self.header_len..self.header_len + n].copy_from_slice(&data[..n]);
                self.header_len += n;
                self.pos += n as u64;
                data = &data[n..];
                if self.header_len < HEADER_LEN {
                    return;
                }
                if !looks_like_record(&self.header) {
                    let start = self.pos - HEADER_LEN as u64;
                    let header = self.header;
                    self.header_len = 0;
                    self.invalid = Some(Record {
                        range: start..self.pos,
                        content_type: header[0],
                        version: u16::from_be_bytes([header[1], header[2]]),
                        length: u16::from_be_bytes([header[3], header[4]]),
                        payload: header.to_vec(),
                        handshake_types: Vec::new(),
                        handshakes: Vec::new(),
                        encrypted: false,
                        invalid: true,
                        truncated: false,
                        missing: 0,
                        decryption: None,
                        inner_http: false,
                        session_version: None,
                    });
                    continue;
                }
                self.payload = Vec::with_capacity(self.length() as usize);
            }
            let n = (self.remaining() as usize).min(data.len());
            self.payload.extend_from_slice(&data[..n]);
            self.pos += n as u64;
            data = &data[n..];
            if self.remaining() == 0 {
                let rec = self.record(false);
                sink(rec);
            }
        }
    }

    /// Bytes still to come of the current record (header read).
    fn remaining(&self) -> u64 {
        u64::from(self.length()) - self.payload.len() as u64 - self.missing
    }

    /// `len` bytes at the current offset were never captured. A hole inside
    /// a record's payload is counted in `missing`; any other hole cuts the
    /// current record off (`truncated`) and parsing resumes after it (bytes
    /// that are no record header become one invalid record).
    pub fn gap<F: FnMut(Record)>(&mut self, len: u64, mut sink: F) {
        if self.done || len == 0 {
            return;
        }
        if let Some(r) = self.invalid.as_mut() {
            r.range.end += len;
            r.missing += len;
        } else if self.header_len == HEADER_LEN && len <= self.remaining() {
            self.missing += len;
            self.pos += len;
            if self.remaining() == 0 {
                let rec = self.record(false);
                sink(rec);
            }
            return;
        } else if !self.idle() {
            let rec = self.record(true);
            sink(rec);
        }
        self.pos += len;
    }

    /// The stream ended: a partial record comes out flagged `truncated`.
    pub fn end_of_stream<F: FnMut(Record)>(&mut self, mut sink: F) {
        if self.done {
            return;
        }
        self.done = true;
        if let Some(r) = self.invalid.take() {
            sink(r);
        } else if !self.idle() {
            let rec = self.record(true);
            sink(rec);
        }
    }

    fn record(&mut self, truncated: bool) -> Record {
        let header_len = std::mem::take(&mut self.header_len);
        let payload = std::mem::take(&mut self.payload);
        let missing = std::mem::take(&mut self.missing);
        let start = self.pos - header_len as u64 - payload.len() as u64 - missing;
        let field = |i: usize| if i < header_len { self.header[i] } else { 0 };
        let content_type = field(0);
        let encrypted = self.seen_ccs && matches!(content_type, HANDSHAKE | ALERT);
        let handshakes = if content_type == HANDSHAKE && !encrypted && missing == 0 {
            handshakes(&payload)
        } else {
            Vec::new()
        };
        if content_type == CHANGE_CIPHER_SPEC && !truncated {
            self.seen_ccs = true;
        }
        Record {
            range: start..self.pos,
            content_type,
            version: u16::from_be_bytes([field(1), field(2)]),
            length: u16::from_be_bytes([field(3), field(4)]),
            handshake_types: handshakes.iter().map(|h| h.msg_type).collect(),
            handshakes,
            payload,
            encrypted,
            invalid: false,
            truncated,
            missing,
            decryption: None,
            inner_http: false,
            session_version: None,
        }
    }
}
