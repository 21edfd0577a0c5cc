//! Record decryption with keys derived from a key log ([`super::keylog`]):
//! the key schedules and the AEAD record protection of TLS 1.3 and 1.2.
//! The ciphers, HKDF and HMAC are `ring`'s; only the framing (labels,
//! nonces, additional data) is written here.
//!
//! - TLS 1.3 (RFC 8446 §7.1, §7.3, §5.2, §5.3): a traffic secret gives
//!   `key = HKDF-Expand-Label(secret, "key", "", key_len)` and
//!   `iv = HKDF-Expand-Label(secret, "iv", "", 12)`; record `n` of a key is
//!   opened with nonce `iv XOR n` (n as 64 bits, left-padded) and the
//!   record header as additional data; the plaintext is
//!   `content ‖ type ‖ zeros`. A KeyUpdate moves a direction to
//!   `HKDF-Expand-Label(secret, "traffic upd", "", hash_len)` (§7.2).
//! - TLS 1.2 (RFC 5246 §5, §6.3; RFC 5288 for AES-GCM, RFC 7905 for
//!   ChaCha20-Poly1305): `key_block = PRF(master, "key expansion",
//!   server_random ‖ client_random)` with the suite's hash (SHA-256 or
//!   SHA-384), cut into the client and server write keys and IVs. GCM: the
//!   4-byte implicit salt ‖ the record's 8-byte explicit nonce; ChaCha20:
//!   the 12-byte IV XOR the sequence number. Additional data: sequence
//!   number ‖ type ‖ version ‖ plaintext length.
//!
//! Suites: AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, in TLS 1.3 and
//! 1.2 ([`suite`]). CBC suites are not decrypted (`ring` has no CBC mode,
//! and no browser or rustls negotiates them): their records stay opaque.
//!
//! [`DirectionKeys::open`] never panics; a record that does not
//! authenticate gives `None` and nothing of its bytes.

use ring::{aead, hkdf, hmac};

/// The AEAD of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Cipher {
    fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Cipher::Aes128Gcm => &aead::AES_128_GCM,
            Cipher::Aes256Gcm => &aead::AES_256_GCM,
            Cipher::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    fn key_len(self) -> usize {
        self.algorithm().key_len()
    }
}

/// The hash of a suite's PRF / HKDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

/// A cipher suite this module decrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    pub cipher: Cipher,
    pub hash: Hash,
    /// A TLS 1.3 suite (0x13xx).
    pub tls13: bool,
}

/// The suite `id` if it is one this module decrypts.
pub fn suite(id: u16) -> Option<Suite> {
    use Cipher::*;
    use Hash::*;
    let (cipher, hash, tls13) = match id {
        0x1301 => (Aes128Gcm, Sha256, true),
        0x1302 => (Aes256Gcm, Sha384, true),
        0x1303 => (ChaCha20Poly1305, Sha256, true),
        // TLS 1.2 AES-GCM (RFC 5288, RFC 5289): RSA, DHE_RSA, ECDHE_ECDSA, ECDHE_RSA.
        0x009c | 0x009e | 0xc02b | 0xc02f => (Aes128Gcm, Sha256, false),
        0x009d | 0x009f | 0xc02c | 0xc030 => (Aes256Gcm, Sha384, false),
        // TLS 1.2 ChaCha20-Poly1305 (RFC 7905): ECDHE_RSA, ECDHE_ECDSA, DHE_RSA.
        0xcca8..=0xccaa => (ChaCha20Poly1305, Sha256, false),
        _ => return None,
    };
    Some(Suite {
        id,
        cipher,
        hash,
        tls13,
    })
}

/// An output length for `ring`'s HKDF.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The HKDF pseudorandom key of a secret (made once for the several
/// labels expanded from it).
fn prk(hash: Hash, secret: &[u8]) -> hkdf::Prk {
    let alg = match hash {
        Hash::Sha256 => hkdf::HKDF_SHA256,
        Hash::Sha384 => hkdf::HKDF_SHA384,
    };
    hkdf::Prk::new_less_safe(alg, secret)
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
#[cfg(test)]
fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Vec<u8> {
    expand(&prk(hash, secret), label, len)
}

/// HKDF-Expand-Label of `prk`'s secret.
fn expand(prk: &hkdf::Prk, label: &[u8], len: usize) -> Vec<u8> {
    let full = 6 + label.len();
    let mut info = Vec::with_capacity(4 + full);
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push(full as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0; len];
    // Lengths here are at most 48 bytes, far below HKDF's 255 × hash limit.
    let info = [&info[..]];
    if let Ok(okm) = prk.expand(&info, Len(len)) {
        let _ = okm.fill(&mut out);
    }
    out
}

/// The TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label ‖ seed), `len` bytes.
fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let alg = match hash {
        Hash::Sha256 => hmac::HMAC_SHA256,
        Hash::Sha384 => hmac::HMAC_SHA384,
    };
    let key = hmac::Key::new(alg, secret);
    let mut label_seed = Vec::with_capacity(label.len() + seed.len());
    label_seed.extend_from_slice(label);
    label_seed.extend_from_slice(seed);
    let mut out = Vec::with_capacity(len + hash.len());
    // A(1) = HMAC(secret, label ‖ seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = hmac::sign(&key, &label_seed);
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(&label_seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, a.as_ref());
    }
    out.truncate(len);
    out
}

/// A decrypted record: the real content type and the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    pub content_type: u8,
    pub data: Vec<u8>,
}

/// The keys of one direction of a session, with its record sequence number.
pub struct DirectionKeys {
    suite: Suite,
    key: aead::LessSafeKey,
    /// TLS 1.3 and ChaCha20: the 12-byte IV; TLS 1.2 GCM: the 4-byte salt
    /// in the first bytes.
    iv: [u8; 12],
    /// The next record's sequence number.
    seq: u64,
    /// TLS 1.3: the current traffic secret, for KeyUpdate.
    secret: Vec<u8>,
}

impl std::fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        f.debug_struct("DirectionKeys")
            .field("suite", &self.suite.id)
            .field("seq", &self.seq)
            .finish()
    }
}

impl DirectionKeys {
    /// TLS 1.3 keys from a traffic secret; `None` when the secret's length
    /// does not fit the suite's hash (a key log of another session).
    pub fn tls13(suite: Suite, secret: &[u8]) -> Option<DirectionKeys> {
        if !suite.tls13 || secret.len() != suite.hash.len() {
            return None;
        }
        let prk = prk(suite.hash, secret);
        let key = expand(&prk, b"key", suite.cipher.key_len());
        let iv = expand(&prk, b"iv", 12);
        Some(DirectionKeys {
            suite,
            key: aead::LessSafeKey::new(
                aead::UnboundKey::new(suite.cipher.algorithm(), &key).ok()?,
            ),
            iv: iv.try_into().ok()?,
            seq: 0,
            secret: secret.to_vec(),
        })
    }

    /// TLS 1.2 keys of (client, server) from the master secret and the two
    /// hellos' randoms.
    pub fn tls12(
        suite: Suite,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Option<(DirectionKeys, DirectionKeys)> {
        if suite.tls13 || master.len() != 48 {
            return None;
        }
        let key_len = suite.cipher.key_len();
        let iv_len = match suite.cipher {
            Cipher::ChaCha20Poly1305 => 12,
            _ => 4,
        };
        let mut seed = [0u8; 64];
        seed[..32].copy_from_slice(server_random);
        seed[32..].copy_from_slice(client_random);
        let block = prf(
            suite.hash,
            master,
            b"key expansion",
            &seed,
            2 * (key_len + iv_len),
        );
        let (client_key, rest) = block.split_at(key_len);
        let (server_key, rest) = rest.split_at(key_len);
        let (client_iv, server_iv) = rest.split_at(iv_len);
        let make = |key: &[u8], iv_part: &[u8]| -> Option<DirectionKeys> {
            let mut iv = [0u8; 12];
            iv[..iv_part.len()].copy_from_slice(iv_part);
            Some(DirectionKeys {
                suite,
                key: aead::LessSafeKey::new(
                    aead::UnboundKey::new(suite.cipher.algorithm(), key).ok()?,
                ),
                iv,
                seq: 0,
                secret: Vec::new(),
            })
        };
        Some((make(client_key, client_iv)?, make(server_key, server_iv)?))
    }

    /// TLS 1.3 KeyUpdate (RFC 8446 §7.2): the next generation of this
    /// direction's keys, sequence number back to 0.
    pub fn update(&mut self) {
        if !self.suite.tls13 {
            return;
        }
        let next = expand(
            &prk(self.suite.hash, &self.secret),
            b"traffic upd",
            self.suite.hash.len(),
        );
        if let Some(k) = DirectionKeys::tls13(self.suite, &next) {
            *self = k;
        }
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Opens one protected record (`header`: its 5-byte header as sent;
    /// `payload`: the bytes after it). The sequence number moves on either
    /// way: a record that fails still took its number. `None` when the
    /// record does not authenticate or is too short to hold a tag.
    pub fn open(&mut self, header: [u8; 5], payload: &[u8]) -> Option<Plaintext> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let tag = aead::MAX_TAG_LEN;
        let mut nonce = self.iv;
        let xor_seq = |nonce: &mut [u8; 12]| {
            for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *n ^= s;
            }
        };
        let body: &[u8];
        let mut aad = [0u8; 13];
        let aad: &[u8] = if self.suite.tls13 {
            xor_seq(&mut nonce);
            body = payload;
            if body.len() < tag + 1 {
                return None;
            }
            &header
        } else {
            let body_start = match self.suite.cipher {
                Cipher::ChaCha20Poly1305 => {
                    xor_seq(&mut nonce);
                    0
                }
                _ => {
                    // RFC 5288 §3: salt (4) ‖ explicit nonce (8, the record's first bytes).
                    nonce[4..].copy_from_slice(payload.get(..8)?);
                    8
                }
            };
            body = &payload[body_start..];
            let plain_len = body.len().checked_sub(tag)?;
            aad[..8].copy_from_slice(&seq.to_be_bytes());
            aad[8..11].copy_from_slice(&header[..3]);
            aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
            &aad
        };
        let mut buf = body.to_vec();
        let len = self
            .key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                &mut buf,
            )
            .ok()?
            .len();
        buf.truncate(len);
        if self.suite.tls13 {
            // TLSInnerPlaintext (RFC 8446 §5.2): the type is the last
            // non-zero byte; all zeros is a protocol error.
            let at = buf.iter().rposition(|&b| b != 0)?;
            let content_type = buf[at];
            buf.truncate(at);
            Some(Plaintext {
                content_type,
                data: buf,
            })
        } else {
            Some(Plaintext {
                content_type: header[0],
                data: buf,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8448 §3 (simple 1-RTT handshake, TLS_AES_128_GCM_SHA256): the
    /// server handshake traffic secret gives the key and IV the RFC lists.
    #[test]
    fn rfc8448_server_handshake_keys() {
        let secret = hex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
        let key = expand_label(Hash::Sha256, &secret, b"key", 16);
        let iv = expand_label(Hash::Sha256, &secret, b"iv", 12);
        assert_eq!(key, hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
        assert_eq!(iv, hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
    }

    /// Round trip through `ring`'s sealing with the same framing, each
    /// suite and version; a flipped bit fails; a short record fails.
    #[test]
    fn seal_then_open() {
        for id in [0x1301, 0x1302, 0x1303, 0xc02f, 0xc030, 0xcca8] {
            let s = suite(id).unwrap();
            let (mut opener, sealer_key, iv) = if s.tls13 {
                let secret = vec![7u8; s.hash.len()];
                let k = DirectionKeys::tls13(s, &secret).unwrap();
                let key = expand_label(s.hash, &secret, b"key", s.cipher.key_len());
                (k, key, expand_label(s.hash, &secret, b"iv", 12))
            } else {
                let (c, _) = DirectionKeys::tls12(s, &[1; 48], &[2; 32], &[3; 32]).unwrap();
                let iv_len = if s.cipher == Cipher::ChaCha20Poly1305 {
                    12
                } else {
                    4
                };
                let kl = s.cipher.key_len();
                let mut seed = [3u8; 64];
                seed[32..].copy_from_slice(&[2; 32]);
                let block = prf(s.hash, &[1; 48], b"key expansion", &seed, 2 * (kl + iv_len));
                let iv = block[2 * kl..2 * kl + iv_len].to_vec();
                (c, block[..kl].to_vec(), iv)
            };
            let sealer = aead::LessSafeKey::new(
                aead::UnboundKey::new(s.cipher.algorithm(), &sealer_key).unwrap(),
            );
            for seq in 0u64..3 {
                let mut inner = b"GET / HTTP/1.1\r\n\r\n".to_vec();
                let mut nonce = [0u8; 12];
                nonce[..iv.len()].copy_from_slice(&iv);
                let explicit = [9u8, 8, 7, 6, 5, 4, 3, 2];
                let header;
                let mut record;
                if s.tls13 {
                    inner.extend([23, 0, 0]);
                    for (n, b) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                        *n ^= b;
                    }
                    let len = (inner.len() + 16) as u16;
                    header = [23, 3, 3, len.to_be_bytes()[0], len.to_be_bytes()[1]];
                    record = inner.clone();
                    sealer
                        .seal_in_place_append_tag(
                            aead::Nonce::assume_unique_for_key(nonce),
                            aead::Aad::from(header),
                            &mut record,
                        )
                        .unwrap();
                } else {
                    let chacha = s.cipher == Cipher::ChaCha20Poly1305;
                    if chacha {
                        for (n, b) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                            *n ^= b;
                        }
                    } else {
                        nonce[4..].copy_from_slice(&explicit);
                    }
                    let mut aad = seq.to_be_bytes().to_vec();
                    aad.extend([23, 3, 3]);
                    aad.extend((inner.len() as u16).to_be_bytes());
                    let mut body = inner.clone();
                    sealer
                        .seal_in_place_append_tag(
                            aead::Nonce::assume_unique_for_key(nonce),
                            aead::Aad::from(&aad),
                            &mut body,
                        )
                        .unwrap();
                    record = if chacha {
                        Vec::new()
                    } else {
                        explicit.to_vec()
                    };
                    record.extend(body);
                    let len = record.len() as u16;
                    header = [23, 3, 3, len.to_be_bytes()[0], len.to_be_bytes()[1]];
                }
                let mut bad = record.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                let mut twin = DirectionKeys {
                    suite: opener.suite,
                    key: aead::LessSafeKey::new(
                        aead::UnboundKey::new(s.cipher.algorithm(), &sealer_key).unwrap(),
                    ),
                    iv: opener.iv,
                    seq: opener.seq,
                    secret: Vec::new(),
                };
                assert_eq!(twin.open(header, &bad), None, "suite {id:04x}");
                assert_eq!(twin.open(header, &record[..10]), None);
                let p = opener.open(header, &record).expect("opens");
                assert_eq!(p.content_type, 23, "suite {id:04x}");
                assert_eq!(p.data, b"GET / HTTP/1.1\r\n\r\n");
            }
        }
    }

    /// RFC 5246's PRF, checked against the widely used test vector for
    /// TLS 1.2 PRF (SHA-256) (the IETF TLS mailing list vector).
    #[test]
    fn prf_sha256_vector() {
        let secret = hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = prf(Hash::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            &out[..16],
            &hex("e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53")[..]
        );
        assert_eq!(out.len(), 100);
    }

    #[test]
    fn key_update_changes_keys() {
        let s = suite(0x1301).unwrap();
        let mut k = DirectionKeys::tls13(s, &[5; 32]).unwrap();
        k.seq = 9;
        let before = k.iv;
        k.update();
        assert_eq!(k.seq(), 0);
        assert_ne!(k.iv, before);
        assert!(DirectionKeys::tls13(s, &[5; 48]).is_none());
        assert!(suite(0x002f).is_none());
    }
}
