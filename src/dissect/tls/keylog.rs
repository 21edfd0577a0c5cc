//! The NSS key log format (`SSLKEYLOGFILE`), as browsers, curl, OpenSSL's
//! `-keylogfile`, rustls' `KeyLog` and our own web app write it, and as
//! Wireshark reads it (`tls.keylog_file`):
//!
//! ```text
//! # a comment
//! CLIENT_RANDOM <client random, 64 hex> <master secret, 96 hex>        (TLS ≤ 1.2)
//! CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>            (TLS 1.3)
//! SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>
//! CLIENT_TRAFFIC_SECRET_0 <client random> <secret>
//! SERVER_TRAFFIC_SECRET_0 <client random> <secret>
//! ```
//!
//! Every entry is keyed by the ClientHello's random, which is how a
//! session in a capture finds its secrets. Blank lines, comments, other
//! labels (`EXPORTER_SECRET`, `EARLY_EXPORTER_SECRET`, `RSA`, ...) and lines
//! that do not parse are skipped, as Wireshark skips them; the count of
//! each is kept for a message. Secrets are at most 64 bytes (SHA-384's 48
//! and the 48-byte master secret fit).

use rustc_hash::FxHashMap;
use std::path::Path;

/// A secret from the key log (at most [`MAX_SECRET`] bytes).
pub type Secret = Vec<u8>;

/// The longest secret kept.
pub const MAX_SECRET: usize = 64;

/// The secrets of one session (one client random).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `CLIENT_RANDOM`: the TLS ≤ 1.2 master secret (48 bytes).
    pub master: Option<Secret>,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_handshake: Option<Secret>,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_handshake: Option<Secret>,
    /// `CLIENT_TRAFFIC_SECRET_0`.
    pub client_traffic: Option<Secret>,
    /// `SERVER_TRAFFIC_SECRET_0`.
    pub server_traffic: Option<Secret>,
}

/// A parsed key log: secrets by client random.
#[derive(Debug, Clone, Default)]
pub struct KeyLog {
    sessions: FxHashMap<[u8; 32], Secrets>,
    /// Lines read as entries.
    pub entries: usize,
    /// Lines skipped (comments and blanks excluded): unknown labels and
    /// lines that do not parse.
    pub skipped: usize,
}

impl KeyLog {
    /// Reads a key log file, line by line (a browser's log of a long
    /// session can hold megabytes). Only an unreadable file is an error.
    pub fn read(path: &Path) -> std::io::Result<KeyLog> {
        use std::io::BufRead;
        let mut file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
        let mut log = KeyLog::default();
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            if file.read_until(b'\n', &mut line)? == 0 {
                return Ok(log);
            }
            log.line(&line);
        }
    }

    /// Parses key log text.
    pub fn parse(text: &str) -> KeyLog {
        let mut log = KeyLog::default();
        for line in text.lines() {
            log.line(line.as_bytes());
        }
        log
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            return;
        }
        if self.entry(line).is_some() {
            self.entries += 1;
        } else {
            self.skipped += 1;
        }
    }

    fn entry(&mut self, line: &[u8]) -> Option<()> {
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let (label, random, secret) = (words.next()?, words.next()?, words.next()?);
        if words.next().is_some() {
            return None;
        }
        let random: [u8; 32] = unhex(random)?.try_into().ok()?;
        let secret = unhex(secret).filter(|s| !s.is_empty() && s.len() <= MAX_SECRET)?;
        let pick: fn(&mut Secrets) -> &mut Option<Secret> = match label {
            b"CLIENT_RANDOM" if secret.len() == 48 => |e| &mut e.master,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => |e| &mut e.client_handshake,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => |e| &mut e.server_handshake,
            b"CLIENT_TRAFFIC_SECRET_0" => |e| &mut e.client_traffic,
            b"SERVER_TRAFFIC_SECRET_0" => |e| &mut e.server_traffic,
            _ => return None,
        };
        let slot = pick(self.sessions.entry(random).or_default());
        // The last line for a label wins, as in Wireshark.
        *slot = Some(secret);
        Some(())
    }

    /// The secrets of the session whose ClientHello carried `client_random`.
    pub fn get(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.sessions.get(client_random)
    }

    /// Sessions with at least one entry.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }
}

/// Hex to bytes (a key log of a big capture holds megabytes of hex: read
/// byte by byte, no char decoding).
fn unhex(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(b.len() / 2);
    for p in b.chunks_exact(2) {
        out.push(digit(p[0])? << 4 | digit(p[1])?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_comments_and_junk() {
        let r1 = "0f".repeat(32);
        let r2 = "AB".repeat(32);
        let text = format!(
            "# SSL/TLS secrets log file\n\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {r1} {s1}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {r1} {s2}\n\
             CLIENT_TRAFFIC_SECRET_0 {r1} {s1}\n\
             SERVER_TRAFFIC_SECRET_0 {r1} {s2}\n\
             EXPORTER_SECRET {r1} {s2}\n\
             CLIENT_RANDOM {r2} {m}\r\n\
             CLIENT_RANDOM {r2}\n\
             CLIENT_RANDOM zz{r2} {m}\n\
             CLIENT_RANDOM {r1} 00\n",
            s1 = "11".repeat(32),
            s2 = "22".repeat(48),
            m = "33".repeat(48),
        );
        let log = KeyLog::parse(&text);
        assert_eq!((log.entries, log.skipped, log.sessions()), (5, 4, 2));
        let s = log.get(&[0x0f; 32]).unwrap();
        assert_eq!(s.client_handshake.as_deref(), Some(&[0x11; 32][..]));
        assert_eq!(s.server_traffic.as_deref(), Some(&[0x22; 48][..]));
        assert_eq!(s.master, None);
        let s = log.get(&[0xab; 32]).unwrap();
        assert_eq!(s.master.as_deref(), Some(&[0x33; 48][..]));
        assert!(log.get(&[0; 32]).is_none());
    }
}
