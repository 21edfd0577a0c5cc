//! TLS record layer (RFC 8446 §5.1; RFC 5246 §6.2 for TLS 1.2 and
//! earlier) and the plaintext handshake messages that matter for a packet
//! list. A [`RecordParser`] cuts one direction of a stream into records
//! (several per segment, or one spanning segments); the payload is kept as
//! is. With a key log ([`KeyLog`]), a [`Session`] per stream decrypts the
//! protected records ([`decrypt`]: TLS 1.3 per RFC 8446, TLS 1.2 AEAD per
//! RFC 5246, 5288 and 7905) into [`Record::decryption`]; without one
//! nothing is decrypted.
//!
//! The modules: `records` (the record parser), `handshake` (handshake
//! messages and the DER reader), [`keylog`] (the NSS key log format),
//! [`decrypt`] (key schedules and AEAD record protection, on `ring`),
//! [`session`] (one session's handshake state and keys per direction).
//!
//! What is read out of a record, beyond its header:
//!
//! - Plaintext handshake records (before ChangeCipherSpec): every handshake
//!   message (type (1), length (3), body; RFC 8446 §4, RFC 5246 §7.4) as a
//!   [`Handshake`] in [`Record::handshakes`]. Bodies are parsed with the
//!   `tls-parser` crate: ClientHello (legacy version, cipher suites, SNI host
//!   names, ALPN, supported_versions), ServerHello (legacy and selected
//!   version, cipher suite, ALPN; RFC 8446 §4.1.3 and §4.2.1) and, for TLS
//!   ≤ 1.2, Certificate (RFC 5246 §7.4.2: the subject and issuer of each
//!   certificate, read by a small DER reader, see [`CertificateNames`]). A
//!   message that continues beyond its record (fragmented over records) is
//!   [`HandshakeBody::Fragment`]: its type only, nothing guessed (handshake
//!   messages are not reassembled across records: the record carrying the
//!   rest is read from its first byte, as before). A body that
//!   does not parse is [`HandshakeBody::Malformed`]. TLS 1.3 sends everything
//!   after the ServerHello encrypted in application-data records, so only
//!   the hellos are seen there, unless a key log decrypts them (the session
//!   then fills [`Record::handshakes`], messages reassembled across records).
//! - Plaintext alerts (RFC 8446 §6, RFC 5246 §7.2): [`Record::alert`].
//! - [`Record::selected_version`]: the version a ServerHello chose, which
//!   names the Protocol column (`TLSv1.3`) the way tshark does.
//!
//! Names follow Wireshark's: [`cipher_suite_name`] (IANA names, from
//! `tls-parser`'s table), [`alert_description_name`], [`handshake_type_name`].
//! Never a panic on any input; everything kept is bounded by the record size
//! ([`MAX_RECORD_LEN`]).

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

/// Wireshark's name of an alert level.
pub fn alert_level_name(level: u8) -> Option<&'static str> {
    Some(match level {
        1 => "Warning",
        2 => "Fatal",
        _ => return None,
    })
}

/// Wireshark's name of an alert description (RFC 8446 §6, RFC 5246 §7.2,
/// and the later registrations Wireshark knows).
pub fn alert_description_name(description: u8) -> Option<&'static str> {
    Some(match description {
        0 => "Close Notify",
        1 => "End of Early Data",
        10 => "Unexpected Message",
        20 => "Bad Record MAC",
        21 => "Decryption Failed",
        22 => "Record Overflow",
        30 => "Decompression Failure",
        40 => "Handshake Failure",
        41 => "No Certificate",
        42 => "Bad Certificate",
        43 => "Unsupported Certificate",
        44 => "Certificate Revoked",
        45 => "Certificate Expired",
        46 => "Certificate Unknown",
        47 => "Illegal Parameter",
        48 => "Unknown CA",
        49 => "Access Denied",
        50 => "Decode Error",
        51 => "Decrypt Error",
        60 => "Export Restriction",
        70 => "Protocol Version",
        71 => "Insufficient Security",
        80 => "Internal Error",
        86 => "Inappropriate Fallback",
        90 => "User Canceled",
        100 => "No Renegotiation",
        109 => "Missing Extension",
        110 => "Unsupported Extension",
        111 => "Certificate Unobtainable",
        112 => "Unrecognized Name",
        113 => "Bad Certificate Status Response",
        114 => "Bad Certificate Hash Value",
        115 => "Unknown PSK Identity",
        116 => "Certificate Required",
        120 => "No application Protocol",
        121 => "ECH Required",
        _ => return None,
    })
}

/// The IANA name of a cipher suite as Wireshark prints it
/// (`TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256`,
/// ...), from `tls-parser`'s copy of the IANA registry; `None` for values
/// it does not know (GREASE, unassigned) and for the two AEGIS suites
/// (0x1306, 0x1307), registered after Wireshark 4.0, which calls them
/// `Unknown`. Every other name of the table equals tshark 4.0's
/// (`tests/tls_handshake.rs` checks all of them).
pub fn cipher_suite_name(id: u16) -> Option<&'static str> {
    match id {
        0x1306 | 0x1307 => None,
        _ => tls_parser::TlsCipherSuite::from_id(id).map(|c| c.name),
    }
}

pub mod decrypt;
mod handshake;
pub mod keylog;
mod records;
pub mod session;
#[cfg(test)]
mod tests;

pub use decrypt::Plaintext;
pub use handshake::{CertificateNames, ClientHello, Handshake, HandshakeBody, ServerHello};
pub use keylog::KeyLog;
pub use records::{Decryption, Record, RecordParser};
pub use session::Session;
