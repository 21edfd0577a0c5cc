//! TLS record layer (RFC 8446 §5.1; RFC 5246 §6.2 for TLS 1.2 and
//! earlier): record headers only. A [`RecordParser`] cuts one direction of a
//! stream into records (several per segment, or one spanning segments); the
//! payload is opaque, except that the handshake message types of a
//! plaintext handshake record are read (ClientHello = 1, ServerHello = 2, ...).

use std::ops::Range;

/// Record header: type (1), version (2), length (2).
pub const HEADER_LEN: usize = 5;
/// The largest record length accepted: 2¹⁴ + 2048 (TLSCiphertext, RFC 8446
/// §5.2; RFC 5246 §6.2.3).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// Content types (RFC 8446 §5.1).
pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;
pub const HEARTBEAT: u8 = 24;

/// Whether `b` starts with a plausible record header.
pub fn looks_like_record(b: &[u8]) -> bool {
    b.len() >= HEADER_LEN
        && (CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(&b[0])
        && b[1] == 3
        && b[2] <= 4
        && (u16::from_be_bytes([b[3], b[4]]) as usize) <= MAX_RECORD_LEN
}

/// Wireshark's name of a content type.
pub fn content_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        CHANGE_CIPHER_SPEC => "Change Cipher Spec",
        ALERT => "Alert",
        HANDSHAKE => "Handshake",
        APPLICATION_DATA => "Application Data",
        HEARTBEAT => "Heartbeat",
        _ => return None,
    })
}

/// `TLS 1.2` etc. for a record or protocol version.
pub fn version_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => return None,
    })
}

/// Wireshark's name of a handshake message type.
pub fn handshake_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "Hello Request",
        1 => "Client Hello",
        2 => "Server Hello",
        4 => "New Session Ticket",
        5 => "End of Early Data",
        8 => "Encrypted Extensions",
        11 => "Certificate",
        12 => "Server Key Exchange",
        13 => "Certificate Request",
        14 => "Server Hello Done",
        15 => "Certificate Verify",
        16 => "Client Key Exchange",
        20 => "Finished",
        24 => "Key Update",
        254 => "Message Hash",
        _ => return None,
    })
}

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
}

impl Record {
    /// Info column text: `Client Hello`, `Application Data`,
    /// `Encrypted Handshake Message`, `Change Cipher Spec`, ...
    pub fn info(&self) -> String {
        if self.invalid {
            return "Continuation Data".to_string();
        }
        match self.content_type {
            HANDSHAKE if self.encrypted || self.handshake_types.is_empty() => {
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
            ALERT if self.encrypted => "Encrypted Alert".to_string(),
            t => content_type_name(t).unwrap_or("Unknown").to_string(),
        }
    }
}

/// The handshake message types of a plaintext handshake payload: type (1),
/// length (3), body; stops at a message that continues beyond the payload.
fn handshake_types(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = payload;
    while rest.len() >= 4 {
        out.push(rest[0]);
        let len = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
        if rest.len() - 4 < len {
            break;
        }
        rest = &rest[4 + len..];
    }
    out
}

/// Streaming record parser of one direction.
#[derive(Debug, Default)]
pub struct RecordParser {
    pos: u64,
    /// Header or payload being collected (≤ 5 + [`MAX_RECORD_LEN`]).
    buf: Vec<u8>,
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
        self.buf.len() + self.invalid.as_ref().map_or(0, |r| r.payload.len())
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
            let need = if self.buf.len() < HEADER_LEN {
                HEADER_LEN - self.buf.len()
            } else {
                self.remaining() as usize
            };
            let n = need.min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            self.pos += n as u64;
            data = &data[n..];
            if self.buf.len() == HEADER_LEN && !looks_like_record(&self.buf) {
                let start = self.pos - HEADER_LEN as u64;
                let payload = std::mem::take(&mut self.buf);
                self.invalid = Some(Record {
                    range: start..self.pos,
                    content_type: payload[0],
                    version: u16::from_be_bytes([payload[1], payload[2]]),
                    length: u16::from_be_bytes([payload[3], payload[4]]),
                    payload,
                    handshake_types: Vec::new(),
                    encrypted: false,
                    invalid: true,
                    truncated: false,
                    missing: 0,
                });
                continue;
            }
            if self.buf.len() >= HEADER_LEN && self.remaining() == 0 {
                let rec = self.record(false);
                sink(rec);
            }
        }
    }

    /// Bytes still to come of the current record (header read).
    fn remaining(&self) -> u64 {
        let len = u16::from_be_bytes([self.buf[3], self.buf[4]]) as u64;
        HEADER_LEN as u64 + len - self.buf.len() as u64 - self.missing
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
        } else if self.buf.len() >= HEADER_LEN && len <= self.remaining() {
            self.missing += len;
            self.pos += len;
            if self.remaining() == 0 {
                let rec = self.record(false);
                sink(rec);
            }
            return;
        } else if !self.buf.is_empty() {
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
        } else if !self.buf.is_empty() {
            let rec = self.record(true);
            sink(rec);
        }
    }

    fn record(&mut self, truncated: bool) -> Record {
        let buf = std::mem::take(&mut self.buf);
        let missing = std::mem::take(&mut self.missing);
        let start = self.pos - buf.len() as u64 - missing;
        let field = |i: usize| buf.get(i).copied().unwrap_or(0);
        let content_type = field(0);
        let payload = buf.get(HEADER_LEN..).unwrap_or(&[]).to_vec();
        let encrypted = self.seen_ccs && matches!(content_type, HANDSHAKE | ALERT);
        if content_type == CHANGE_CIPHER_SPEC && !truncated {
            self.seen_ccs = true;
        }
        Record {
            range: start..self.pos,
            content_type,
            version: u16::from_be_bytes([field(1), field(2)]),
            length: u16::from_be_bytes([field(3), field(4)]),
            handshake_types: if content_type == HANDSHAKE && !encrypted && missing == 0 {
                handshake_types(&payload)
            } else {
                Vec::new()
            },
            payload,
            encrypted,
            invalid: false,
            truncated,
            missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(chunks: &[&[u8]]) -> Vec<Record> {
        let mut p = RecordParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, |r| out.push(r));
        }
        p.end_of_stream(|r| out.push(r));
        out
    }

    #[test]
    fn records_across_and_within_segments() {
        // ClientHello (type 1, 4-byte body), CCS, application data.
        let mut s = vec![22, 3, 1, 0, 8, 1, 0, 0, 4, 9, 9, 9, 9];
        s.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        s.extend_from_slice(&[22, 3, 3, 0, 3, 0xaa, 0xbb, 0xcc]);
        s.extend_from_slice(&[23, 3, 3, 0, 2, 0xde, 0xad]);
        let whole = records(&[&s]);
        let split = records(&[&s[..3], &s[3..10], &s[10..]]);
        assert_eq!(whole, split);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[0].info(), "Client Hello");
        assert_eq!(whole[0].range, 0..13);
        assert_eq!(whole[1].info(), "Change Cipher Spec");
        assert_eq!(whole[2].info(), "Encrypted Handshake Message");
        assert_eq!(whole[3].info(), "Application Data");
        assert_eq!(whole[3].length, 2);
        assert_eq!(version_name(whole[3].version), Some("TLS 1.2"));
    }

    #[test]
    fn holes() {
        let mut p = RecordParser::new();
        let mut out = Vec::new();
        p.push(&[23, 3, 3, 0, 10, 1, 2], |r| out.push(r));
        p.gap(5, |r| out.push(r));
        p.push(&[3, 23, 3, 3, 0], |r| out.push(r));
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].range.clone(), out[0].missing), (0..15, 5));
        assert_eq!(out[0].payload, [1, 2, 3, 23, 3]);
        p.gap(100, |r| out.push(r));
        assert!(out[1].truncated);
        assert_eq!(out[1].range, 15..17);
        p.push(b"xxxxxx", |r| out.push(r));
        p.end_of_stream(|r| out.push(r));
        assert!(out[2].invalid);
        assert_eq!(out[2].range, 117..123);
    }

    #[test]
    fn invalid_and_truncated() {
        let r = records(&[b"GET / HTTP/1.1\r\n"]);
        assert_eq!(r.len(), 1);
        assert!(r[0].invalid);
        assert_eq!(r[0].range, 0..16);
        let r = records(&[&[23, 3, 3, 0, 10, 1, 2]]);
        assert!(r[0].truncated);
        assert_eq!(r[0].payload, [1, 2]);
    }
}
