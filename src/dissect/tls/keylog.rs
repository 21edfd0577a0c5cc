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

/// The longest secret kept.
pub const MAX_SECRET: usize = 64;

/// A secret from the key log (1 to [`MAX_SECRET`] bytes), kept inline: a
/// browser's log holds five per session, and a map of small vectors would
/// cost an allocation each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret {
    bytes: [u8; MAX_SECRET],
    len: u8,
}

impl Secret {
    /// The secret of `bytes` (1 to [`MAX_SECRET`] of them).
    pub fn new(bytes: &[u8]) -> Option<Secret> {
        if bytes.is_empty() || bytes.len() > MAX_SECRET {
            return None;
        }
        let mut s = Secret {
            bytes: [0; MAX_SECRET],
            len: bytes.len() as u8,
        };
        s.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(s)
    }
}

impl std::ops::Deref for Secret {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret itself.
        write!(f, "Secret({} bytes)", self.len)
    }
}

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
    /// Reads a key log file. Only an unreadable file is an error. A key
    /// log is a few hundred bytes a session (16 MB for 20,000 sessions):
    /// it is read in blocks, whole lines parsed in place, so that memory
    /// holds the secrets and one block, not the text.
    pub fn read(path: &Path) -> std::io::Result<KeyLog> {
        use std::io::Read;
        const BLOCK: usize = 1 << 20;
        let mut file = std::fs::File::open(path)?;
        let mut log = KeyLog::default();
        if let Ok(meta) = file.metadata() {
            log.reserve_for(meta.len() as usize);
        }
        let mut buf = vec![0u8; BLOCK];
        // Bytes of an unfinished line at the start of `buf`.
        let mut kept = 0;
        loop {
            if kept == buf.len() {
                // A line longer than a block is no entry: skip to its end.
                log.skipped += 1;
                loop {
                    let n = file.read(&mut buf)?;
                    if n == 0 {
                        return Ok(log);
                    }
                    if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
                        buf.copy_within(end + 1..n, 0);
                        kept = n - end - 1;
                        break;
                    }
                }
            }
            let n = file.read(&mut buf[kept..])?;
            if n == 0 {
                log.line(&buf[..kept]);
                return Ok(log);
            }
            let filled = kept + n;
            let done = memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |i| i + 1);
            log.lines(&buf[..done]);
            buf.copy_within(done..filled, 0);
            kept = filled - done;
        }
    }

    /// Room for the sessions of a key log of `bytes` bytes (about 150 bytes
    /// a line, four or five lines a TLS 1.3 session).
    fn reserve_for(&mut self, bytes: usize) {
        self.sessions.reserve(bytes / 600);
    }

    /// Parses key log text.
    pub fn parse(text: &str) -> KeyLog {
        KeyLog::parse_bytes(text.as_bytes())
    }

    /// Parses key log bytes (not necessarily UTF-8: lines that are not
    /// entries are skipped).
    pub fn parse_bytes(text: &[u8]) -> KeyLog {
        let mut log = KeyLog::default();
        log.reserve_for(text.len());
        log.lines(text);
        log
    }

    /// Each line of `text` (the last one without its newline too).
    fn lines(&mut self, text: &[u8]) {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text) {
            self.line(&text[start..end]);
            start = end + 1;
        }
        self.line(&text[start..]);
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
        let (label, random, secret) = match words_single_spaced(line) {
            Some(words) => words,
            None => {
                let mut words = line
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty());
                let words3 = (words.next()?, words.next()?, words.next()?);
                if words.next().is_some() {
                    return None;
                }
                words3
            }
        };
        // The label first: a line of another kind costs no hex decoding.
        let pick: fn(&mut Secrets) -> &mut Option<Secret> = match label {
            b"CLIENT_RANDOM" => |e| &mut e.master,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => |e| &mut e.client_handshake,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => |e| &mut e.server_handshake,
            b"CLIENT_TRAFFIC_SECRET_0" => |e| &mut e.client_traffic,
            b"SERVER_TRAFFIC_SECRET_0" => |e| &mut e.server_traffic,
            _ => return None,
        };
        let mut random_bytes = [0u8; 32];
        if random.len() != 64 {
            return None;
        }
        unhex(random, &mut random_bytes)?;
        let random = random_bytes;
        let mut secret_bytes = [0u8; MAX_SECRET];
        let secret_len = secret.len() / 2;
        if secret.len() > 2 * MAX_SECRET {
            return None;
        }
        unhex(secret, &mut secret_bytes[..secret_len])?;
        let secret = Secret::new(&secret_bytes[..secret_len])?;
        if label == b"CLIENT_RANDOM" && secret.len() != 48 {
            return None;
        }
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

/// The three words of a line as every writer of key logs spells it:
/// `LABEL SP RANDOM(64) SP SECRET`, cut at those places (`None`: any other
/// spacing, for the general split). Whitespace later inside the random or
/// the secret is no hex digit, so such a line fails as the general split
/// makes it fail (four words, or a random that is not 64 digits).
fn words_single_spaced(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let sp = memchr::memchr(b' ', line)?;
    let (label, rest) = (&line[..sp], line.get(sp + 1..)?);
    let (random, rest) = (rest.get(..64)?, rest.get(64..)?);
    let secret = rest.strip_prefix(b" ")?;
    let starts_word = |w: &[u8]| w.first().is_some_and(|b| !b.is_ascii_whitespace());
    let label_ok = !label.is_empty() && !label.iter().any(u8::is_ascii_whitespace);
    (label_ok && starts_word(random) && starts_word(secret)).then_some((label, random, secret))
}

/// The value of each hex digit, 0xff for other bytes.
const HEX: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Hex `b` into `out` (exactly `2 * out.len()` digits). A key log of a big
/// capture holds megabytes of hex: a table lookup a digit, and the validity
/// of a whole line checked once.
fn unhex(b: &[u8], out: &mut [u8]) -> Option<()> {
    if b.len() != 2 * out.len() {
        return None;
    }
    let mut bad = 0u8;
    for (i, o) in out.iter_mut().enumerate() {
        let (hi, lo) = (HEX[usize::from(b[2 * i])], HEX[usize::from(b[2 * i + 1])]);
        bad |= hi | lo;
        *o = hi << 4 | (lo & 0x0f);
    }
    // A valid digit is below 16; 0xff marks any other byte.
    (bad < 16).then_some(())
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
        assert_eq!(format!("{:?}", s.master), "Some(Secret(48 bytes))");
        assert!(log.get(&[0; 32]).is_none());
    }

    /// Any spacing Wireshark accepts reads as the single spaces of the
    /// fast path do; a random or secret with whitespace inside is no entry
    /// either way.
    #[test]
    fn spacing() {
        let r = "0f".repeat(32);
        let k = "11".repeat(32);
        let want = KeyLog::parse(&format!("CLIENT_TRAFFIC_SECRET_0 {r} {k}"));
        assert_eq!((want.entries, want.skipped), (1, 0));
        let secret = |log: &KeyLog| log.get(&[0x0f; 32]).and_then(|s| s.client_traffic);
        for line in [
            format!("CLIENT_TRAFFIC_SECRET_0\t{r}\t{k}"),
            format!("CLIENT_TRAFFIC_SECRET_0  {r} {k}"),
            format!("CLIENT_TRAFFIC_SECRET_0 {r}  {k}"),
            format!("CLIENT_TRAFFIC_SECRET_0\t{r} {k}"),
            format!("  CLIENT_TRAFFIC_SECRET_0 {r} {k} \t"),
        ] {
            let log = KeyLog::parse(&line);
            assert_eq!((log.entries, log.skipped), (1, 0), "{line:?}");
            assert_eq!(secret(&log), secret(&want), "{line:?}");
        }
        for line in [
            format!("CLIENT_TRAFFIC_SECRET_0 {} {} {k}", &r[..32], &r[32..]),
            format!("CLIENT_TRAFFIC_SECRET_0 {r} {} {}", &k[..10], &k[10..]),
            format!("CLIENT_TRAFFIC_SECRET_0 {r}{k}"),
            format!("CLIENT_TRAFFIC_SECRET_0 {r}"),
            format!("CLIENT_TRAFFIC_SECRET_0 {r} "),
            format!(" {r} {k}"),
        ] {
            let log = KeyLog::parse(&line);
            assert_eq!((log.entries, log.skipped), (0, 1), "{line:?}");
        }
    }

    /// Lines of labels, hex words of about the right lengths and every kind
    /// of spacing: the parser (fast split first) reads each as a reference
    /// made of the general split alone does.
    #[test]
    fn fast_split_agrees_with_the_general_one() {
        use proptest::prelude::*;
        fn hex(w: &str) -> Option<Vec<u8>> {
            if w.len() % 2 != 0 {
                return None;
            }
            (0..w.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(w.get(i..i + 2)?, 16).ok())
                .collect()
        }
        // (label, random, secret) of an entry, by the general split alone.
        let reference = |line: &str| -> Option<(String, Vec<u8>, Vec<u8>)> {
            let mut w = line.split_ascii_whitespace();
            let (label, random, secret) = (w.next()?, w.next()?, w.next()?);
            if w.next().is_some() || random.len() != 64 {
                return None;
            }
            let (random, secret) = (hex(random)?, hex(secret)?);
            let known = match label {
                "CLIENT_RANDOM" => secret.len() == 48,
                "CLIENT_TRAFFIC_SECRET_0" => true,
                _ => false,
            };
            (known && !secret.is_empty() && secret.len() <= MAX_SECRET)
                .then(|| (label.to_string(), random, secret))
        };
        let word = prop_oneof![
            Just("CLIENT_RANDOM".to_string()),
            Just("CLIENT_TRAFFIC_SECRET_0".to_string()),
            Just("EXPORTER_SECRET".to_string()),
            "[0-9a-f]{63,65}",
            "[0-9a-fA-F]{95,97}",
            "[0-9a-f]{64}",
            "[0-9a-f]{96}",
            "[0-9a-f x]{1,6}",
        ];
        let space = prop_oneof![
            Just(" "),
            Just(" "),
            Just("  "),
            Just("\t"),
            Just(" \t"),
            Just("")
        ];
        let line = proptest::collection::vec((word, space), 1..5).prop_map(|parts| {
            parts
                .into_iter()
                .map(|(w, s)| format!("{w}{s}"))
                .collect::<String>()
        });
        proptest!(ProptestConfig::with_cases(5000), |(line in line)| {
            let log = KeyLog::parse(&line);
            match reference(&line) {
                Some((label, random, secret)) => {
                    prop_assert_eq!(log.entries, 1, "{:?}", line);
                    let s = log.get(&random.try_into().unwrap()).unwrap();
                    let got = if label == "CLIENT_RANDOM" { s.master } else { s.client_traffic };
                    prop_assert_eq!(got.as_deref(), Some(&secret[..]), "{:?}", line);
                }
                None => prop_assert_eq!(log.entries, 0, "{:?}", line),
            }
        });
    }

    /// The block reader gives what the text parser gives, whatever the
    /// block boundaries cut: lines across blocks, a last line without a
    /// newline, and a line longer than a block (skipped).
    #[test]
    fn read_in_blocks_equals_parse() {
        let mut text = String::new();
        for i in 0..12_000u32 {
            let random = format!("{:064x}", i);
            let secret = format!("{:096x}", u128::from(i) * 7919);
            text.push_str(&format!("CLIENT_TRAFFIC_SECRET_0 {random} {secret}\n"));
            if i == 5000 {
                text.push_str(&format!("# {}\n", "x".repeat(3 << 20)));
            }
        }
        text.push_str(&format!(
            "SERVER_TRAFFIC_SECRET_0 {:064x} {}",
            1,
            "ab".repeat(48)
        ));
        let path = std::env::temp_dir().join(format!("keylog-test-{}", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let read = KeyLog::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let parsed = KeyLog::parse(&text);
        assert_eq!(parsed.entries, 12_001);
        assert_eq!(
            (read.entries, read.sessions()),
            (parsed.entries, parsed.sessions())
        );
        // The over-long comment is one skipped line for the reader (the
        // text parser skips comments without counting them).
        assert_eq!((read.skipped, parsed.skipped), (1, 0));
        for i in [0u32, 4999, 5000, 5001, 11_999, 1] {
            let mut r = [0u8; 32];
            r[28..].copy_from_slice(&i.to_be_bytes());
            assert_eq!(read.get(&r), parsed.get(&r), "session {i}");
            assert!(read.get(&r).is_some());
        }
    }
}
