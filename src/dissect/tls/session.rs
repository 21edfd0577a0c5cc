//! One TLS session (one TCP stream) seen with a key log: follows the
//! handshake in both directions and decrypts each protected record as its
//! [`super::RecordParser`] lets it out, in stream order per direction.
//!
//! # Contract
//!
//! [`Session::record`] is called with every record of the stream, in the
//! order of each direction (the two directions may interleave in any way).
//! It fills [`Record::decryption`] on protected records and, for decrypted
//! handshake records, [`Record::handshakes`]; it returns the application
//! data of a decrypted record, for the caller to dissect as the protocol
//! inside. A record is protected:
//!
//! - TLS 1.3 (RFC 8446 §2, §5): every `application_data` record of a
//!   direction after the ServerHello. The client and server handshake
//!   traffic secrets protect the records up to each side's Finished, the
//!   `*_TRAFFIC_SECRET_0` ones after it; a KeyUpdate (§4.6.3) moves its
//!   sender to the next secret. ChangeCipherSpec records are the
//!   compatibility ones (§D.4), plaintext, ignored.
//! - TLS 1.2 (RFC 5246 §7.1): every record of a direction after its
//!   ChangeCipherSpec, with the keys of the master secret logged as
//!   `CLIENT_RANDOM`.
//!
//! A protected record that cannot be read stays opaque with a note
//! ([`Decryption::Opaque`]): no key in the log for the session's client
//! random, a suite not decrypted here, bytes missing from the capture, or a
//! record that does not authenticate (a wrong key, a damaged record). After
//! a failure the direction's sequence number can no longer be trusted: the
//! records after it stay opaque too, noted "decryption failed". Nothing is
//! ever shown that did not authenticate.
//!
//! Memory: keys and a handshake reassembly buffer per direction (at most
//! [`MAX_HANDSHAKE`] bytes: a TLS 1.3 Certificate can span records).

use super::decrypt::{suite, DirectionKeys, Plaintext, Suite};
use super::handshake::handshakes;
use super::keylog::KeyLog;
use super::{
    Decryption, Handshake, HandshakeBody, Record, ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC,
    HANDSHAKE,
};
use std::sync::Arc;

/// The largest handshake message reassembled across decrypted records.
pub const MAX_HANDSHAKE: usize = 1 << 18;

/// The expert notes of records left opaque.
pub const NO_KEY: &str = "no key for this session";
pub const FAILED: &str = "decryption failed";
pub const UNSUPPORTED: &str = "cipher suite not supported for decryption";
pub const INCOMPLETE: &str = "record incomplete in the capture, not decrypted";

/// The random of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256 of
/// "HelloRetryRequest".
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

#[derive(Debug, Default)]
struct Direction {
    /// The keys in force.
    keys: Option<DirectionKeys>,
    /// TLS 1.2: the keys this direction's ChangeCipherSpec turns on.
    pending: Option<DirectionKeys>,
    /// TLS 1.3: the application traffic secret, turned on after this
    /// direction's Finished.
    next_secret: Option<super::keylog::Secret>,
    /// Records of this direction are protected from now on.
    protected: bool,
    /// Why records of this direction stay opaque, once known.
    opaque: Option<&'static str>,
    /// Decrypted handshake bytes of a message not yet complete.
    handshake: Vec<u8>,
}

/// A session's decryption state (see the module doc).
#[derive(Debug)]
pub struct Session {
    keylog: Arc<KeyLog>,
    /// The direction (0 or 1, as the stream numbers them) of the ClientHello.
    client: Option<usize>,
    client_random: Option<[u8; 32]>,
    tls13: bool,
    suite: Option<Suite>,
    dirs: [Direction; 2],
}

impl Session {
    pub fn new(keylog: Arc<KeyLog>) -> Self {
        Session {
            keylog,
            client: None,
            client_random: None,
            tls13: false,
            suite: None,
            dirs: Default::default(),
        }
    }

    /// One record of direction `d` (see the module doc); whether it was
    /// decrypted to application data (then in [`Record::plaintext`]).
    pub fn record(&mut self, d: usize, rec: &mut Record) -> bool {
        if rec.invalid {
            return false;
        }
        let out = self.record_inner(d, rec);
        if let Some(s) = self.suite {
            rec.session_version = Some(if s.tls13 { 0x0304 } else { 0x0303 });
        }
        out
    }

    fn record_inner(&mut self, d: usize, rec: &mut Record) -> bool {
        let dir = &self.dirs[d];
        let protected = dir.protected
            && (if self.tls13 {
                rec.content_type == APPLICATION_DATA
            } else {
                matches!(rec.content_type, HANDSHAKE | ALERT | APPLICATION_DATA)
            });
        if !protected {
            self.plaintext_record(d, rec);
            return false;
        }
        let dir = &mut self.dirs[d];
        let why = match (&mut dir.keys, dir.opaque) {
            (_, Some(why)) => Some(why),
            (None, None) => Some(NO_KEY),
            (Some(keys), None) if rec.truncated || rec.missing > 0 => {
                // The record took its sequence number all the same; the next
                // ones can still be read.
                let _ = keys.open([0; 5], &[]);
                Some(INCOMPLETE)
            }
            (Some(_), None) => None,
        };
        if let Some(why) = why {
            rec.decryption = Some(Box::new(Decryption::Opaque(why)));
            return false;
        }
        let header = {
            let l = rec.length.to_be_bytes();
            let v = rec.version.to_be_bytes();
            [rec.content_type, v[0], v[1], l[0], l[1]]
        };
        let opened = dir.keys.as_mut().and_then(|k| k.open(header, &rec.payload));
        let Some(plain) = opened else {
            dir.opaque = Some(FAILED);
            rec.decryption = Some(Box::new(Decryption::Opaque(FAILED)));
            return false;
        };
        self.plaintext_content(d, rec, &plain);
        let application = plain.content_type == APPLICATION_DATA;
        rec.decryption = Some(Box::new(Decryption::Plain(plain)));
        application
    }

    /// The plaintext length of a protected record that could not be read
    /// (bytes missing from the capture): its length less the AEAD's
    /// overhead (TLS 1.3: tag and inner type, padding assumed absent, as
    /// OpenSSL, rustls and browsers send; TLS 1.2 GCM: explicit nonce and
    /// tag; ChaCha20: tag).
    pub fn lost_plaintext(&self, rec: &Record) -> u64 {
        use super::decrypt::Cipher;
        let overhead = match self.suite {
            Some(s) if s.tls13 => 17,
            Some(s) if s.cipher == Cipher::ChaCha20Poly1305 => 16,
            _ => 24,
        };
        u64::from(rec.length).saturating_sub(overhead)
    }

    /// A record sent in the clear: the hellos and ChangeCipherSpec.
    fn plaintext_record(&mut self, d: usize, rec: &Record) {
        if rec.content_type == CHANGE_CIPHER_SPEC && !self.tls13 && !rec.truncated {
            let why = self.why_no_keys();
            let dir = &mut self.dirs[d];
            dir.keys = dir.pending.take();
            dir.protected = true;
            if dir.keys.is_none() && dir.opaque.is_none() {
                dir.opaque = Some(why);
            }
            return;
        }
        if let Some(ch) = rec.client_hello() {
            if self.client.is_none() {
                self.client = Some(d);
                self.client_random = Some(ch.random);
            }
        }
        if let Some(sh) = rec.server_hello() {
            if self.client == Some(1 - d) && sh.random != HRR_RANDOM && self.suite.is_none() {
                self.server_hello(d, sh.selected_version, sh.cipher_suite, &sh.random);
            }
        }
    }

    fn why_no_keys(&self) -> &'static str {
        if self.suite.is_none() && self.client.is_some() {
            UNSUPPORTED
        } else {
            NO_KEY
        }
    }

    /// The ServerHello (from direction `server`) chose `version` and
    /// `suite_id`: the keys of both directions, from the key log.
    fn server_hello(&mut self, server: usize, version: u16, suite_id: u16, random: &[u8; 32]) {
        let client = 1 - server;
        self.tls13 = version == 0x0304;
        let secrets = self.client_random.and_then(|r| self.keylog.get(&r));
        let Some(suite) = suite(suite_id).filter(|s| s.tls13 == self.tls13) else {
            for dir in &mut self.dirs {
                dir.opaque = Some(UNSUPPORTED);
            }
            self.dirs[server].protected = self.tls13;
            self.dirs[client].protected = self.tls13;
            return;
        };
        self.suite = Some(suite);
        if self.tls13 {
            // Both directions are protected from here (the client's
            // compatibility ChangeCipherSpec is plaintext and skipped).
            for (d, hs, ap) in [
                (
                    client,
                    secrets.and_then(|s| s.client_handshake.as_ref()),
                    secrets.and_then(|s| s.client_traffic),
                ),
                (
                    server,
                    secrets.and_then(|s| s.server_handshake.as_ref()),
                    secrets.and_then(|s| s.server_traffic),
                ),
            ] {
                let dir = &mut self.dirs[d];
                dir.protected = true;
                dir.keys = hs.and_then(|s| DirectionKeys::tls13(suite, s));
                dir.next_secret = ap;
                if dir.keys.is_none() {
                    dir.opaque = Some(NO_KEY);
                }
            }
        } else {
            let keys = match (secrets.and_then(|s| s.master.as_ref()), self.client_random) {
                (Some(master), Some(cr)) => DirectionKeys::tls12(suite, master, &cr, random),
                _ => None,
            };
            if let Some((c, s)) = keys {
                self.dirs[client].pending = Some(c);
                self.dirs[server].pending = Some(s);
            }
        }
    }

    /// What a decrypted record holds: handshake messages (reassembled
    /// across records) and the key changes they call for.
    fn plaintext_content(&mut self, d: usize, rec: &mut Record, plain: &Plaintext) {
        if plain.content_type != HANDSHAKE {
            return;
        }
        {
            let dir = &mut self.dirs[d];
            let began_here = dir.handshake.is_empty();
            if dir.handshake.len() + plain.data.len() > MAX_HANDSHAKE {
                dir.handshake.clear();
            }
            dir.handshake.extend_from_slice(&plain.data);
            let mut msgs = handshakes(&dir.handshake);
            let whole: usize = msgs
                .iter()
                .filter(|m| m.body != HandshakeBody::Fragment)
                .map(|m| 4 + m.length as usize)
                .sum();
            dir.handshake.drain(..whole.min(dir.handshake.len()));
            if !began_here {
                // A message begun in an earlier record: named where it ends.
                msgs.retain(|m| m.body != HandshakeBody::Fragment);
            }
            for m in &mut msgs {
                if self.tls13 && m.msg_type == 11 {
                    // The TLS 1.3 Certificate has its own layout (RFC 8446
                    // §4.4.2), which the TLS 1.2 reader does not fit.
                    m.body = HandshakeBody::Other;
                }
            }
            self.key_changes(d, &msgs);
            rec.handshake_types = msgs.iter().map(|m| m.msg_type).collect();
            rec.handshakes = msgs;
        }
    }

    /// TLS 1.3: Finished turns on the application keys of its sender;
    /// KeyUpdate moves its sender to the next generation.
    fn key_changes(&mut self, d: usize, msgs: &[Handshake]) {
        if !self.tls13 {
            return;
        }
        let Some(suite) = self.suite else { return };
        let dir = &mut self.dirs[d];
        for m in msgs {
            match m.msg_type {
                20 => {
                    if let Some(secret) = dir.next_secret.take() {
                        dir.keys = DirectionKeys::tls13(suite, &secret);
                        if dir.keys.is_none() {
                            dir.opaque = Some(NO_KEY);
                        }
                    } else {
                        dir.keys = None;
                        dir.opaque = Some(NO_KEY);
                    }
                }
                24 => {
                    if let Some(k) = dir.keys.as_mut() {
                        k.update();
                    }
                }
                _ => {}
            }
        }
    }
}
