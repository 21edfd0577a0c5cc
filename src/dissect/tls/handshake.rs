//! Handshake messages of plaintext handshake records (RFC 8446 §4, RFC 5246
//! §7.4): ClientHello, ServerHello and the TLS ≤ 1.2 Certificate, read with
//! `tls-parser`, and the certificate names read by a small DER reader. The
//! same reader serves the TLS 1.3 handshake messages once decrypted
//! ([`super::decrypt`]).

/// One handshake message of a plaintext handshake record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Handshake type (ClientHello = 1, ...; [`super::handshake_type_name`]).
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
    /// `random` (32 bytes): the key log's index of the session.
    pub random: [u8; 32],
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
    /// `random` (32 bytes; TLS 1.2 key derivation; a HelloRetryRequest
    /// carries a fixed value, RFC 8446 §4.1.3).
    pub random: [u8; 32],
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

/// The handshake messages of a plaintext handshake payload: type (1),
/// length (3), body; a message that continues beyond the payload is a
/// [`HandshakeBody::Fragment`] and ends the list (as do 1–3 stray bytes).
pub(crate) fn handshakes(payload: &[u8]) -> Vec<Handshake> {
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

/// The `random` of a hello body: the 32 bytes after the legacy version
/// (the body parsed, so they are there).
fn random_of(body: &[u8]) -> [u8; 32] {
    body.get(2..34)
        .and_then(|r| r.try_into().ok())
        .unwrap_or([0; 32])
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn client_hello(body: &[u8]) -> Option<ClientHello> {
    use tls_parser::TlsExtension;
    let (_, ch) = tls_parser::parse_tls_handshake_client_hello(body).ok()?;
    let mut out = ClientHello {
        legacy_version: ch.version.0,
        random: random_of(body),
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
        random: random_of(body),
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
