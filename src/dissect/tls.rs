//! TLS record layer (RFC 8446 §5.1; RFC 5246 §6.2 for TLS 1.2 and
//! earlier) and the plaintext handshake messages that matter for a packet
//! list. A [`RecordParser`] cuts one direction of a stream into records
//! (several per segment, or one spanning segments); the payload is kept as
//! is. Nothing is decrypted.
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
//!   the hellos are seen there.
//! - Plaintext alerts (RFC 8446 §6, RFC 5246 §7.2): [`Record::alert`].
//! - [`Record::selected_version`]: the version a ServerHello chose, which
//!   names the Protocol column (`TLSv1.3`) the way tshark does.
//!
//! Names follow Wireshark's: [`cipher_suite_name`] (IANA names, from
//! `tls-parser`'s table), [`alert_description_name`], [`handshake_type_name`].
//! Never a panic on any input; everything kept is bounded by the record size
//! ([`MAX_RECORD_LEN`]).

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

/// One handshake message of a plaintext handshake record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Handshake type (ClientHello = 1, ...; [`handshake_type_name`]).
    pub msg_type: u8,
    /// The length field of the message header (body length).
    pub length: u32,
    pub body: HandshakeBody,
}

/// What was read of a handshake message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeBody {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    /// TLS ≤ 1.2 Certificate: the names of each certificate, in the order
    /// sent (the sender's certificate first).
    Certificate(Vec<CertificateNames>),
    /// A type whose body is not read here (complete in the record).
    Other,
    /// The message continues beyond the record: type only.
    Fragment,
    /// A ClientHello, ServerHello or Certificate whose body does not parse.
    Malformed,
}

/// A ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    /// `legacy_version` (0x0303 for TLS 1.2 and 1.3).
    pub legacy_version: u16,
    /// Cipher suites offered, in order (GREASE values included).
    pub cipher_suites: Vec<u16>,
    /// `server_name` host names (RFC 6066 §3), lossily decoded as UTF-8.
    pub server_names: Vec<String>,
    /// ALPN protocol names offered (RFC 7301), lossily decoded as UTF-8.
    pub alpn: Vec<String>,
    /// `supported_versions` (RFC 8446 §4.2.1), empty when absent.
    pub supported_versions: Vec<u16>,
}

/// A ServerHello (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` (0x0303 for TLS 1.2 and 1.3).
    pub legacy_version: u16,
    /// The `supported_versions` extension (RFC 8446 §4.2.1), if present.
    pub supported_version: Option<u16>,
    /// The version chosen: `supported_version` when present, else
    /// `legacy_version`.
    pub selected_version: u16,
    /// The cipher suite chosen.
    pub cipher_suite: u16,
    /// The ALPN protocol chosen, if any.
    pub alpn: Option<String>,
}

/// Subject and issuer of one certificate, as text in Wireshark's style: the
/// `rdnSequence` summary of `tshark -V`, i.e. the relative distinguished
/// names last to first (most specific first), joined by `,`, each
/// `attribute=value` with Wireshark's attribute names (`id-at-commonName`,
/// `id-at-organizationName`, ...; the dotted OID when unknown), e.g.
/// `id-at-commonName=localhost,id-at-organizationName=Coffeeshark Lab,id-at-countryName=NL`.
/// Several values in one RDN are joined by `+`. `None` when the DER does not
/// parse (only the few fields up to the subject are read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNames {
    pub subject: Option<String>,
    pub issuer: Option<String>,
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

    /// A plaintext alert's level and description (the first alert of the
    /// record), `None` for other records, encrypted alerts, and alerts with
    /// bytes missing.
    pub fn alert(&self) -> Option<(u8, u8)> {
        if self.content_type != ALERT || self.encrypted || self.invalid || self.missing > 0 {
            return None;
        }
        match self.payload[..] {
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

/// The handshake messages of a plaintext handshake payload: type (1),
/// length (3), body; a message that continues beyond the payload is a
/// [`HandshakeBody::Fragment`] and ends the list (as do 1–3 stray bytes).
fn handshakes(payload: &[u8]) -> Vec<Handshake> {
    let mut out = Vec::new();
    let mut rest = payload;
    while rest.len() >= 4 {
        let msg_type = rest[0];
        let length = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]);
        let len = length as usize;
        if rest.len() - 4 < len {
            out.push(Handshake {
                msg_type,
                length,
                body: HandshakeBody::Fragment,
            });
            break;
        }
        let body = &rest[4..4 + len];
        out.push(Handshake {
            msg_type,
            length,
            body: handshake_body(msg_type, body),
        });
        rest = &rest[4 + len..];
    }
    out
}

fn handshake_body(msg_type: u8, body: &[u8]) -> HandshakeBody {
    let parsed = match msg_type {
        1 => client_hello(body).map(HandshakeBody::ClientHello),
        2 => server_hello(body).map(HandshakeBody::ServerHello),
        11 => certificate(body).map(HandshakeBody::Certificate),
        _ => return HandshakeBody::Other,
    };
    parsed.unwrap_or(HandshakeBody::Malformed)
}

/// The extensions of a hello, one by one: an extension whose content does
/// not parse is skipped, the ones after it are still read.
fn extensions<'a>(
    mut raw: &'a [u8],
    parse: fn(&'a [u8]) -> tls_parser::IResult<&'a [u8], tls_parser::TlsExtension<'a>>,
) -> Vec<tls_parser::TlsExtension<'a>> {
    let mut out = Vec::new();
    while raw.len() >= 4 {
        let len = 4 + usize::from(u16::from_be_bytes([raw[2], raw[3]]));
        if raw.len() < len {
            break;
        }
        if let Ok((_, ext)) = parse(&raw[..len]) {
            out.push(ext);
        }
        raw = &raw[len..];
    }
    out
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn client_hello(body: &[u8]) -> Option<ClientHello> {
    use tls_parser::TlsExtension;
    let (_, ch) = tls_parser::parse_tls_handshake_client_hello(body).ok()?;
    let mut out = ClientHello {
        legacy_version: ch.version.0,
        cipher_suites: ch.ciphers.iter().map(|c| c.0).collect(),
        ..ClientHello::default()
    };
    let raw = ch.ext.unwrap_or(&[]);
    for ext in extensions(raw, tls_parser::parse_tls_client_hello_extension) {
        match ext {
            TlsExtension::SNI(names) => out.server_names.extend(
                names
                    .iter()
                    .filter(|(t, _)| *t == tls_parser::SNIType::HostName)
                    .map(|(_, n)| lossy(n)),
            ),
            TlsExtension::ALPN(protos) => out.alpn.extend(protos.iter().map(|p| lossy(p))),
            TlsExtension::SupportedVersions(v) => {
                out.supported_versions.extend(v.iter().map(|v| v.0))
            }
            _ => {}
        }
    }
    Some(out)
}

fn server_hello(body: &[u8]) -> Option<ServerHello> {
    use tls_parser::TlsExtension;
    let (_, sh) = tls_parser::parse_tls_handshake_server_hello(body).ok()?;
    let mut out = ServerHello {
        legacy_version: sh.version.0,
        supported_version: None,
        selected_version: sh.version.0,
        cipher_suite: sh.cipher.0,
        alpn: None,
    };
    let raw = sh.ext.unwrap_or(&[]);
    for ext in extensions(raw, tls_parser::parse_tls_server_hello_extension) {
        match ext {
            TlsExtension::SupportedVersions(v) => {
                if let Some(v) = v.first() {
                    out.supported_version = Some(v.0);
                    out.selected_version = v.0;
                }
            }
            TlsExtension::ALPN(protos) => out.alpn = protos.first().map(|p| lossy(p)),
            _ => {}
        }
    }
    Some(out)
}

fn certificate(body: &[u8]) -> Option<Vec<CertificateNames>> {
    let (_, msg) = tls_parser::parse_tls_handshake_msg_certificate(body).ok()?;
    let tls_parser::TlsMessageHandshake::Certificate(c) = msg else {
        return None;
    };
    Some(
        c.cert_chain
            .iter()
            .map(|cert| {
                let names = der::issuer_and_subject(cert.data);
                CertificateNames {
                    issuer: names.as_ref().map(|n| n.0.clone()),
                    subject: names.map(|n| n.1),
                }
            })
            .collect(),
    )
}

/// Just enough DER (X.690) to read a certificate's issuer and subject
/// (RFC 5280 §4.1). A reader of our own rather than `x509-parser`: two
/// names are all that is needed, Wireshark's text style (attribute names,
/// RDN order) has to be built by hand anyway, and `x509-parser` would add a
/// dozen crates (asn1-rs, der-parser, oid-registry, time, proc macros) to
/// every build of the analyser.
mod der {
    /// One TLV: (tag, contents, rest). Definite lengths of up to 4 bytes,
    /// one-byte tags only.
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, b) = b.split_first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, mut b) = b.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || b.len() < n {
                return None;
            }
            let len = b[..n]
                .iter()
                .fold(0usize, |a, &x| (a << 8) | usize::from(x));
            b = &b[n..];
            len
        };
        if b.len() < len {
            return None;
        }
        Some((tag, &b[..len], &b[len..]))
    }

    fn expect(b: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
        let (tag, content, rest) = tlv(b)?;
        (tag == want).then_some((content, rest))
    }

    const SEQUENCE: u8 = 0x30;
    const SET: u8 = 0x31;

    /// (issuer, subject) of a DER certificate.
    pub(super) fn issuer_and_subject(cert: &[u8]) -> Option<(String, String)> {
        let (cert, _) = expect(cert, SEQUENCE)?;
        let (tbs, _) = expect(cert, SEQUENCE)?;
        let mut rest = tbs;
        // [0] EXPLICIT version, optional.
        if let Some((0xa0, _, r)) = tlv(rest) {
            rest = r;
        }
        let (_serial, rest) = expect(rest, 0x02)?;
        let (_signature, rest) = expect(rest, SEQUENCE)?;
        let (issuer, rest) = expect(rest, SEQUENCE)?;
        let (_validity, rest) = expect(rest, SEQUENCE)?;
        let (subject, _) = expect(rest, SEQUENCE)?;
        Some((name(issuer)?, name(subject)?))
    }

    /// A Name's RDNSequence contents as Wireshark shows it: RDNs last to
    /// first, joined by `,`.
    fn name(mut seq: &[u8]) -> Option<String> {
        let mut rdns = Vec::new();
        while !seq.is_empty() {
            let (mut set, rest) = expect(seq, SET)?;
            seq = rest;
            let mut atvs = Vec::new();
            while !set.is_empty() {
                let (atv, rest) = expect(set, SEQUENCE)?;
                set = rest;
                let (oid, value) = expect(atv, 0x06)?;
                let (tag, value, _) = tlv(value)?;
                atvs.push(format!("{}={}", attribute_name(oid), string(tag, value)));
            }
            rdns.push(atvs.join("+"));
        }
        rdns.reverse();
        Some(rdns.join(","))
    }

    /// Wireshark's name of an attribute type, else the dotted OID.
    fn attribute_name(oid: &[u8]) -> String {
        let name = match oid {
            [0x55, 0x04, n] => match n {
                3 => Some("id-at-commonName"),
                4 => Some("id-at-surname"),
                5 => Some("id-at-serialNumber"),
                6 => Some("id-at-countryName"),
                7 => Some("id-at-localityName"),
                8 => Some("id-at-stateOrProvinceName"),
                9 => Some("id-at-streetAddress"),
                10 => Some("id-at-organizationName"),
                11 => Some("id-at-organizationalUnitName"),
                12 => Some("id-at-title"),
                42 => Some("id-at-givenName"),
                _ => None,
            },
            _ => None,
        };
        name.map_or_else(|| dotted(oid), str::to_string)
    }

    fn dotted(oid: &[u8]) -> String {
        let mut arcs: Vec<u64> = Vec::new();
        let mut acc: u64 = 0;
        for &b in oid {
            acc = (acc << 7) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (acc / 40).min(2);
                    arcs.push(first);
                    arcs.push(acc - first * 40);
                } else {
                    arcs.push(acc);
                }
                acc = 0;
            } else if acc > u64::MAX >> 7 {
                return "?".to_string();
            }
        }
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }

    /// A directory string's text: UTF-8, PrintableString, IA5String,
    /// TeletexString (as Latin-1), BMPString (UTF-16), else hex.
    fn string(tag: u8, v: &[u8]) -> String {
        match tag {
            0x0c | 0x13 | 0x16 | 0x1a => String::from_utf8_lossy(v).into_owned(),
            0x14 => v.iter().map(|&b| char::from(b)).collect(),
            0x1e => char::decode_utf16(v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
            _ => v.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
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
                    handshakes: Vec::new(),
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

    fn hex(parts: &[&str]) -> Vec<u8> {
        let s: String = parts.concat();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// `sample_capture/coffee_https.pcapng` frame 4: the ClientHello record of rustls (TLS 1.3).
    const CH13: &[&str] = &[
        "16030100f6010000f203030f58fea80e79bcfee4c29a7bb292549fc0acd67cefbc7cc56c8d1caeb01d06cf202fcee045",
        "ee6da44b2661671061baed9fd42668a8b3d56f19286f14d97762cfca0014130213011303c02cc02bcca9c030c02fcca8",
        "00ff0100009500170000000a00080006001d0017001800230000000b00020100000d0014001205030403080708060805",
        "0804060105010401003300260024001d0020e452524c9ca92c5125637f8d855eaa710d17d0bd789edb9ac4971fbed6d2",
        "420d002b000504030403030005000501000000000010000b000908687474702f312e31002d000201010000000e000c00",
        "00096c6f63616c686f7374",
    ];
    /// Frame 6 of the same: its first record, the ServerHello.
    const SH13: &[&str] = &[
        "160303007a020000760303852025da946f94c3beda345f2ff068e63622481ccb0837d6a643c0b8443036f5202fcee045",
        "ee6da44b2661671061baed9fd42668a8b3d56f19286f14d97762cfca130200002e00330024001d00207417f3364690e8",
        "32da0b6344962230e9ff285df202f3b5d11832df1d80459f79002b00020304",
    ];
    /// `sample_capture/tls12_openssl.pcapng` frame 20: an `openssl s_client -tls1_2` ClientHello.
    const CH12: &[&str] = &[
        "16030100950100009103033896dc22da8e0c2ad5c034fd3c5804aeba362c5e536ae2da3a2c891fe10b6ca4000004c030",
        "00ff010000640000000e000c0000096c6f63616c686f7374000b000403000102000a000c000a001d0017001e00190018",
        "002300000016000000170000000d002a0028040305030603080708080809080a080b0804080508060401050106010303",
        "03010302040205020602",
    ];
    /// Frame 22 of the same: the server's plaintext handshake_failure alert.
    const ALERT12: &[&str] = &["15030300020228"];
    /// The CA certificate of `tls12_openssl.pcapng` (DER, from openssl).
    const CA_DER: &[&str] = &[
        "308201e030820185a00302010202142d04c7db0b0e5447a4cdad19d2970c55597ccde5300a06082a8648ce3d04030230",
        "45310b3009060355040613024e4c31183016060355040a0c0f436f66666565736861726b204c6162311c301a06035504",
        "030c13436f66666565736861726b2054657374204341301e170d3236313132313135313033385a170d33363131313831",
        "35313033385a3045310b3009060355040613024e4c31183016060355040a0c0f436f66666565736861726b204c616231",
        "1c301a06035504030c13436f66666565736861726b20546573742043413059301306072a8648ce3d020106082a8648ce",
        "3d0301070342000469aa1382c26409a282b8f37ca3876eeae23622c61c50782cc7e0bf73912168f54a719ade0d8d510e",
        "f899b07435952f860236e365d81272558c4c4be7edbd3cafa3533051301d0603551d0e04160414c9b7b3603621afb921",
        "f48f08896fc065f68f45dd301f0603551d23041830168014c9b7b3603621afb921f48f08896fc065f68f45dd300f0603",
        "551d130101ff040530030101ff300a06082a8648ce3d04030203490030460221008e2063126c05cba131bd9c6c21852b",
        "1ef841c128013050a627cfdcae41a7a113022100ff787a4e70baefbe8cdbcf9458072813045d1fb4f097365db3c4c3aa",
        "2482594d",
    ];

    // Expected values: what `tshark -T fields -e tls.handshake.extensions_server_name
    // -e tls.handshake.ciphersuite -e tls.handshake.extensions.supported_version
    // -e tls.handshake.extensions_alpn_str` prints for these frames
    // (tests/tls_handshake.rs compares against tshark itself).
    #[test]
    fn rustls_client_hello() {
        let r = records(&[&hex(CH13)]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].info(), "Client Hello");
        assert_eq!(r[0].handshake_types, [1]);
        let ch = r[0].client_hello().expect("a ClientHello");
        assert_eq!(ch.legacy_version, 0x0303);
        assert_eq!(
            ch.cipher_suites,
            [0x1302, 0x1301, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f, 0xcca8, 0x00ff]
        );
        assert_eq!(ch.server_names, ["localhost"]);
        assert_eq!(ch.alpn, ["http/1.1"]);
        assert_eq!(ch.supported_versions, [0x0304, 0x0303]);
        assert_eq!(r[0].selected_version(), None);
        assert_eq!(r[0].alert(), None);
    }

    #[test]
    fn rustls_server_hello() {
        let r = records(&[&hex(SH13)]);
        assert_eq!(r[0].info(), "Server Hello");
        let sh = r[0].server_hello().expect("a ServerHello");
        assert_eq!(
            sh,
            &ServerHello {
                legacy_version: 0x0303,
                supported_version: Some(0x0304),
                selected_version: 0x0304,
                cipher_suite: 0x1302,
                alpn: None,
            }
        );
        assert_eq!(r[0].selected_version(), Some(0x0304));
        assert_eq!(
            cipher_suite_name(sh.cipher_suite),
            Some("TLS_AES_256_GCM_SHA384")
        );
    }

    #[test]
    fn openssl_tls12_client_hello_and_alert() {
        let mut s = hex(CH12);
        s.extend(hex(ALERT12));
        let r = records(&[&s]);
        let ch = r[0].client_hello().expect("a ClientHello");
        assert_eq!(ch.server_names, ["localhost"]);
        assert_eq!(ch.alpn, Vec::<String>::new());
        assert!(ch.cipher_suites.contains(&0xc030));
        assert_eq!(r[1].alert(), Some((2, 40)));
        assert_eq!(
            r[1].info(),
            "Alert (Level: Fatal, Description: Handshake Failure)"
        );
        assert_eq!(alert_description_name(40), Some("Handshake Failure"));
        assert_eq!(alert_description_name(255), None);
    }

    /// A TLS 1.2 flight: ServerHello (no supported_versions), Certificate
    /// with the real openssl CA certificate, ServerHelloDone.
    #[test]
    fn tls12_server_flight_with_certificate() {
        let der = hex(CA_DER);
        let mut sh = vec![3, 3];
        sh.extend([7; 32]);
        sh.extend([0, 0xc0, 0x2b, 0]); // no session id, suite, null compression
        let alpn = [
            0, 16, 0, 11, 0, 9, 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1',
        ];
        sh.extend((alpn.len() as u16).to_be_bytes());
        sh.extend(alpn);
        let mut cert = Vec::new();
        let n = der.len() as u32;
        cert.extend(&(n + 3).to_be_bytes()[1..]);
        cert.extend(&n.to_be_bytes()[1..]);
        cert.extend(&der);
        let mut payload = Vec::new();
        for (t, body) in [(2u8, &sh), (11, &cert), (14, &Vec::new())] {
            payload.push(t);
            payload.extend(&(body.len() as u32).to_be_bytes()[1..]);
            payload.extend(body.iter());
        }
        let mut rec = vec![22, 3, 3];
        rec.extend((payload.len() as u16).to_be_bytes());
        rec.extend(&payload);
        let r = records(&[&rec]);
        assert_eq!(r[0].info(), "Server Hello, Certificate, Server Hello Done");
        assert_eq!(r[0].selected_version(), Some(0x0303));
        let sh = r[0].server_hello().unwrap();
        assert_eq!((sh.supported_version, sh.cipher_suite), (None, 0xc02b));
        assert_eq!(sh.alpn.as_deref(), Some("http/1.1"));
        let name = "id-at-commonName=Coffeeshark Test CA,id-at-organizationName=Coffeeshark Lab,id-at-countryName=NL";
        assert_eq!(
            r[0].handshakes[1].body,
            HandshakeBody::Certificate(vec![CertificateNames {
                subject: Some(name.to_string()),
                issuer: Some(name.to_string()),
            }])
        );
        assert_eq!(r[0].handshakes[2].body, HandshakeBody::Other);
        // Damaged DER: names unknown, nothing else lost.
        let mut bad = rec.clone();
        let at = bad.len() - 3 - der.len() + 1;
        bad[at] = 0x85;
        let r = records(&[&bad]);
        assert_eq!(
            r[0].handshakes[1].body,
            HandshakeBody::Certificate(vec![CertificateNames {
                subject: None,
                issuer: None
            }])
        );
    }

    #[test]
    fn fragmented_and_malformed_messages() {
        // A ClientHello cut over two records: type only, in both.
        let ch = hex(CH13);
        let body = &ch[HEADER_LEN..];
        let mut s = Vec::new();
        for part in [&body[..100], &body[100..]] {
            s.extend([22, 3, 1]);
            s.extend((part.len() as u16).to_be_bytes());
            s.extend(part);
        }
        let r = records(&[&s]);
        assert_eq!(r[0].handshake_types, [1]);
        assert_eq!(r[0].handshakes[0].body, HandshakeBody::Fragment);
        assert_eq!(r[0].client_hello(), None);
        // The second record starts inside the message: whatever its bytes
        // say, no panic.
        assert_eq!(r[1].handshakes.len(), r[1].handshake_types.len());
        // A ServerHello too short to parse.
        let r = records(&[&[22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3]]);
        assert_eq!(r[0].handshakes[0].body, HandshakeBody::Malformed);
        assert_eq!(r[0].selected_version(), None);
        assert_eq!(r[0].info(), "Server Hello");
    }

    #[test]
    fn names() {
        assert_eq!(cipher_suite_name(0x1301), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(
            cipher_suite_name(0x1303),
            Some("TLS_CHACHA20_POLY1305_SHA256")
        );
        assert_eq!(
            cipher_suite_name(0xc02f),
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        );
        assert_eq!(
            cipher_suite_name(0xcca9),
            Some("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")
        );
        assert_eq!(cipher_suite_name(0x0a0a), None);
        assert_eq!(alert_level_name(1), Some("Warning"));
    }
}
