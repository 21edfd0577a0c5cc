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
            random: sh.random,
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
