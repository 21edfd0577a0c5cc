//! The protocol inside TLS, once a key log lets records be decrypted: the
//! bridge between a stream's [`tls::Session`] and the HTTP/HTCPCP
//! [`MessageParser`] of each direction, as Wireshark hands decrypted
//! application data to the dissector of the protocol inside.
//!
//! # Contract
//!
//! [`Decrypted::record`] takes each TLS record of the stream (in stream
//! order per direction), decrypts it through the session, and feeds its
//! application data to the direction's inner parser. The protocol inside is
//! decided by content on a direction's first decrypted bytes
//! ([`super::detect`]): HTTP or HTCPCP gets a [`MessageParser`] (the role
//! from the start line); anything else (HTTP/2, a private protocol) stays
//! "Application Data". Messages come out with their byte range moved from
//! plaintext offsets to the TCP stream's: from the start of the record that
//! carried their first byte to the end of the record that carried their last,
//! so the caller maps them to frames as it does any message.
//!
//! Memory: per direction the inner parser's caps and one map entry per
//! record still under a pending message ([`Decrypted::keep_from`] lets the
//! caller drop what is done).

use super::http::{Message, MessageParser, Role};
use super::tls::{self, KeyLog, Record, Session};
use super::{detect, Protocol};
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Default)]
struct Inner {
    /// `None` until the first decrypted bytes; `Some(None)`: not HTTP.
    parser: Option<Option<Box<MessageParser>>>,
    /// Plaintext bytes delivered so far.
    plain_pos: u64,
    /// (plaintext start, plaintext end, TCP start, TCP end) of each record
    /// whose application data went to the parser.
    map: VecDeque<(u64, u64, u64, u64)>,
    ended: bool,
}

/// The decryption state of one TLS stream (see the module doc).
pub struct Decrypted {
    session: Session,
    dirs: [Inner; 2],
}

impl Decrypted {
    pub fn new(keylog: Arc<KeyLog>) -> Self {
        Decrypted {
            session: Session::new(keylog),
            dirs: Default::default(),
        }
    }

    /// One record of direction `d`: decrypted in place
    /// ([`Record::decryption`]); the HTTP/HTCPCP messages its application
    /// data completed go to `sink`. Returns whether its application data
    /// went to an inner HTTP/HTCPCP parser.
    pub fn record<F: FnMut(Message)>(
        &mut self,
        d: usize,
        rec: &mut Record,
        htcpcp_port: bool,
        mut sink: F,
    ) -> bool {
        if !self.session.record(d, rec) {
            match rec.decryption_note() {
                Some(tls::session::INCOMPLETE) => {
                    // Bytes missing from the capture: the inner parser skips
                    // the record's plaintext as a hole, as it does TCP's.
                    let lost = self.session.lost_plaintext(rec);
                    let inner = &mut self.dirs[d];
                    if let (Some(Some(p)), false) = (inner.parser.as_mut(), inner.ended) {
                        let start = inner.plain_pos;
                        inner.plain_pos += lost;
                        inner.map.push_back((
                            start,
                            inner.plain_pos,
                            rec.range.start,
                            rec.range.end,
                        ));
                        let map = &inner.map;
                        p.gap(lost, |m| sink(to_stream(map, m, rec)));
                    }
                }
                // Nothing after it can be read: what the inner parser holds
                // ends here.
                Some(_) => self.end(d, sink),
                None => {}
            }
            return false;
        }
        let Some(data) = rec.plaintext().map(|p| &p.data) else {
            return false;
        };
        let inner = &mut self.dirs[d];
        if inner.ended {
            return false;
        }
        let parser = inner.parser.get_or_insert_with(|| {
            let p = detect(data)?;
            let htcpcp = p == Protocol::Htcpcp || (p == Protocol::Http && htcpcp_port);
            if p == Protocol::Tls {
                return None;
            }
            let role = if data.starts_with(b"HTTP/") || data.starts_with(b"HTCPCP/") {
                Role::Response
            } else {
                Role::Request
            };
            Some(Box::new(MessageParser::new(htcpcp, role)))
        });
        let Some(parser) = parser else {
            return false;
        };
        let start = inner.plain_pos;
        inner.plain_pos += data.len() as u64;
        inner
            .map
            .push_back((start, inner.plain_pos, rec.range.start, rec.range.end));
        let map = &inner.map;
        parser.push(data, |m| sink(to_stream(map, m, rec)));
        true
    }

    /// A hole in the TCP stream of direction `d` inside or across records:
    /// the inner parser cannot know how much plaintext it lost, so the
    /// direction's inner protocol ends there.
    pub fn end<F: FnMut(Message)>(&mut self, d: usize, mut sink: F) {
        let inner = &mut self.dirs[d];
        if inner.ended {
            return;
        }
        inner.ended = true;
        if let Some(Some(p)) = inner.parser.as_mut() {
            let map = &inner.map;
            let last = map.back().map_or(0..0, |e| e.2..e.3);
            p.end_of_stream(|mut m| {
                m.range = stream_range(map, &m.range).unwrap_or(last.clone());
                sink(m)
            });
        }
    }

    /// A request of direction `d` went out: its method tells the other
    /// direction's parser whether the response has a body (HEAD).
    pub fn expect_response_to(&mut self, d: usize, method: &str) {
        if let Some(Some(p)) = self.dirs[1 - d].parser.as_mut() {
            p.expect_response_to(method);
        }
    }

    /// The TCP offset before which direction `d` needs no more bytes mapped
    /// to frames (the start of the record holding the first byte of a
    /// pending inner message); `None` when nothing is pending. Map entries
    /// behind it are dropped.
    pub fn keep_from(&mut self, d: usize) -> Option<u64> {
        let inner = &mut self.dirs[d];
        let Some(Some(p)) = inner.parser.as_ref() else {
            inner.map.clear();
            return None;
        };
        let from = p.pending().map_or(p.offset(), |pd| pd.start);
        while inner.map.front().is_some_and(|e| e.1 <= from) {
            inner.map.pop_front();
        }
        p.pending()?;
        inner.map.front().map(|e| e.2)
    }
}

/// The TCP range of plaintext range `r`, from the map.
fn stream_range(
    map: &VecDeque<(u64, u64, u64, u64)>,
    r: &std::ops::Range<u64>,
) -> Option<std::ops::Range<u64>> {
    let first = map.iter().find(|e| e.0 <= r.start && r.start < e.1)?;
    let last_byte = r.end.saturating_sub(1).max(r.start);
    let last = map
        .iter()
        .rev()
        .find(|e| e.0 <= last_byte && last_byte < e.1)?;
    Some(first.2..last.3)
}

fn to_stream(map: &VecDeque<(u64, u64, u64, u64)>, mut m: Message, rec: &Record) -> Message {
    m.range = stream_range(map, &m.range).unwrap_or(rec.range.clone());
    m
}

/// Whether a record's decrypted content is application data (shown as the
/// protocol inside when that protocol is dissected).
pub fn is_application_data(rec: &Record) -> bool {
    rec.plaintext()
        .is_some_and(|p| p.content_type == tls::APPLICATION_DATA)
}
