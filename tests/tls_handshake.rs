//! TLS handshake details (`dissect::tls`) on real recordings, compared with
//! tshark 4.0:
//!
//! - `sample_capture/coffee_https.pcapng`: rustls, TLS 1.3, 44 connections;
//! - `sample_capture/tls12_openssl.pcapng`: `openssl s_server`/`s_client`
//!   with `-tls1_2` (a server certificate signed by a test CA, sent with
//!   the CA certificate), and a second connection refused with a plaintext
//!   handshake_failure alert (see `sample_capture/README.md`).
//!
//! Records come from our reader, decoder and `RecordParser` (each direction's
//! TCP payloads in capture order: these loopback captures have no loss or
//! reordering). Each test states the values it expects, then compares with
//! what tshark prints for the same frames when tshark is installed
//! (`COFFEESHARK_REQUIRE_TSHARK=1` makes a missing tshark a failure). A
//! synthetic fixture checks every cipher suite and alert name against
//! tshark's.

mod support;

use coffeeshark::decode::decode;
use coffeeshark::dissect::tls::{
    alert_description_name, cipher_suite_name, HandshakeBody, Record, RecordParser,
};
use coffeeshark::source::CaptureReader;
use etherparse::TransportSlice;
use std::collections::HashMap;
use std::path::Path;
use support::*;

const HTTPS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample_capture/coffee_https.pcapng"
);
const TLS12: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample_capture/tls12_openssl.pcapng"
);

/// The records of every TCP direction, each with the frame (1-based) whose
/// segment completed it.
fn records_by_frame(path: &str) -> Vec<(u64, Record)> {
    let mut reader = CaptureReader::open(Path::new(path)).expect("open capture");
    let mut parsers: HashMap<(u16, u16), RecordParser> = HashMap::new();
    let mut out = Vec::new();
    let mut number = 0u64;
    while let Some(frame) = reader.next_frame().expect("read frame") {
        number += 1;
        let d = decode(frame.link_type, frame.data);
        let Some(TransportSlice::Tcp(tcp)) = d.transport else {
            continue;
        };
        let payload = tcp.payload();
        if payload.is_empty() {
            continue;
        }
        let key = (tcp.source_port(), tcp.destination_port());
        let p = parsers.entry(key).or_default();
        p.push(payload, |r| out.push((number, r)));
    }
    out
}

/// Frame, `Record::alert()`, `Record::info()`.
type FrameAlert = (u64, Option<(u8, u8)>, String);

fn hex16(v: u16) -> String {
    format!("0x{v:04x}")
}

fn join(v: impl IntoIterator<Item = String>) -> String {
    v.into_iter().collect::<Vec<_>>().join(",")
}

/// Per frame with a plaintext handshake: the four fields tshark prints with
/// `-e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite
/// -e tls.handshake.extensions.supported_version
/// -e tls.handshake.extensions_alpn_str`.
fn our_hello_fields(path: &str) -> String {
    let mut lines: Vec<(u64, [Vec<String>; 4])> = Vec::new();
    for (frame, r) in records_by_frame(path) {
        if r.handshakes.is_empty() {
            continue;
        }
        if lines.last().map(|l| l.0) != Some(frame) {
            lines.push((frame, Default::default()));
        }
        let f = &mut lines.last_mut().unwrap().1;
        for h in &r.handshakes {
            match &h.body {
                HandshakeBody::ClientHello(c) => {
                    f[0].extend(c.server_names.iter().cloned());
                    f[1].extend(c.cipher_suites.iter().map(|&v| hex16(v)));
                    f[2].extend(c.supported_versions.iter().map(|&v| hex16(v)));
                    f[3].extend(c.alpn.iter().cloned());
                }
                HandshakeBody::ServerHello(s) => {
                    f[1].push(hex16(s.cipher_suite));
                    f[2].extend(s.supported_version.map(hex16));
                    f[3].extend(s.alpn.iter().cloned());
                }
                _ => {}
            }
        }
    }
    lines
        .into_iter()
        .map(|(frame, f)| format!("{frame}\t{}\n", f.map(join).join("\t")))
        .collect()
}

fn tshark_hello_fields(path: &str) -> Option<String> {
    let (out, code) = tshark(&[
        "-r",
        path,
        "-Y",
        "tls.handshake",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tls.handshake.extensions_server_name",
        "-e",
        "tls.handshake.ciphersuite",
        "-e",
        "tls.handshake.extensions.supported_version",
        "-e",
        "tls.handshake.extensions_alpn_str",
    ])?;
    assert_eq!(code, 0);
    Some(out)
}

#[test]
fn tls13_hellos_equal_tsharks() {
    let ours = our_hello_fields(HTTPS);
    assert_eq!(ours.lines().count(), 116, "58 connections, two hellos each");
    let mut lines = ours.lines();
    assert_eq!(
        lines.next().unwrap(),
        "4\tlocalhost\t0x1302,0x1301,0x1303,0xc02c,0xc02b,0xcca9,0xc030,0xc02f,0xcca8,0x00ff\t0x0304,0x0303\thttp/1.1"
    );
    assert_eq!(lines.next().unwrap(), "6\t\t0x1302\t0x0304\t");
    let records = records_by_frame(HTTPS);
    let versions: Vec<u16> = records
        .iter()
        .filter_map(|(_, r)| r.selected_version())
        .collect();
    assert_eq!(versions, vec![0x0304; 58]);
    if let Some(theirs) = tshark_hello_fields(HTTPS) {
        pretty_diff(&theirs, &ours, "coffee_https.pcapng hellos");
    }
}

#[test]
fn tls12_hellos_certificates_and_alert_equal_tsharks() {
    let ours = our_hello_fields(TLS12);
    let expected_server = "6\t\t0xc02b\t\thttp/1.1";
    assert!(ours.lines().any(|l| l == expected_server), "{ours}");
    if let Some(theirs) = tshark_hello_fields(TLS12) {
        pretty_diff(&theirs, &ours, "tls12_openssl.pcapng hellos");
    }

    let records = records_by_frame(TLS12);
    // The ServerHello of TLS 1.2 has no supported_versions: the legacy
    // version is the selected one.
    let versions: Vec<(u64, u16)> = records
        .iter()
        .filter_map(|(f, r)| Some((*f, r.selected_version()?)))
        .collect();
    assert_eq!(versions, [(6, 0x0303)]);

    // Certificates: (issuer, subject) of each, in order.
    let ours: Vec<String> = records
        .iter()
        .flat_map(|(_, r)| &r.handshakes)
        .filter_map(|h| match &h.body {
            HandshakeBody::Certificate(certs) => Some(certs),
            _ => None,
        })
        .flatten()
        .flat_map(|c| [c.issuer.clone().unwrap(), c.subject.clone().unwrap()])
        .collect();
    let ca = "id-at-commonName=Coffeeshark Test CA,id-at-organizationName=Coffeeshark Lab,id-at-countryName=NL";
    let server = "id-at-commonName=localhost,id-at-organizationalUnitName=Pots,\
        id-at-organizationName=Coffeeshark Lab,id-at-localityName=Amsterdam,\
        id-at-stateOrProvinceName=Noord-Holland,id-at-countryName=NL";
    assert_eq!(ours, [ca, server, ca, ca]);
    if let Some((out, code)) = tshark(&["-r", TLS12, "-Y", "tls.handshake.certificate", "-V"]) {
        assert_eq!(code, 0);
        // `rdnSequence: 3 items (TEXT)`: issuer, then subject, per certificate.
        let theirs: Vec<String> = out
            .lines()
            .filter_map(|l| {
                let rest = l.trim_start().strip_prefix("rdnSequence: ")?;
                let open = rest.find('(')?;
                Some(rest[open + 1..rest.rfind(')')?].to_string())
            })
            .collect();
        assert_eq!(ours, theirs);
    }

    // The plaintext alert and its Info column; the encrypted ones.
    let alerts: Vec<FrameAlert> = records
        .iter()
        .filter(|(_, r)| r.content_type == 21)
        .map(|(f, r)| (*f, r.alert(), r.info()))
        .collect();
    assert_eq!(
        alerts,
        [
            (10, None, "Encrypted Alert".to_string()),
            (14, None, "Encrypted Alert".to_string()),
            (
                22,
                Some((2, 40)),
                "Alert (Level: Fatal, Description: Handshake Failure)".to_string()
            ),
        ]
    );
    if let Some((out, code)) = tshark(&[
        "-r",
        TLS12,
        "-Y",
        "tls.record.content_type == 21",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tls.alert_message.level",
        "-e",
        "tls.alert_message.desc",
        "-e",
        "_ws.col.Info",
    ]) {
        assert_eq!(code, 0);
        let ours: String = alerts
            .iter()
            .map(|(f, a, info)| {
                let (l, d) = a.map_or((String::new(), String::new()), |(l, d)| {
                    (l.to_string(), d.to_string())
                });
                format!("{f}\t{l}\t{d}\t{info}\n")
            })
            .collect();
        pretty_diff(&out, &ours, "tls12_openssl.pcapng alerts");
    }
}

fn handshake_message(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend(body);
    m
}

fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend((payload.len() as u16).to_be_bytes());
    r.extend(payload);
    r
}

/// A synthetic ClientHello offering every cipher suite we name, answered by
/// one plaintext alert record per description value 0..=255: tshark's
/// names must be ours (and `Unknown` where we have none).
#[test]
fn cipher_suite_and_alert_names_equal_tsharks() {
    let suites: Vec<u16> = (0..=u16::MAX)
        .filter(|&v| cipher_suite_name(v).is_some())
        .collect();
    assert!(suites.len() > 300, "{}", suites.len());
    let mut ch = vec![3, 3];
    ch.extend([0x11; 32]);
    ch.push(0);
    ch.extend(((suites.len() * 2) as u16).to_be_bytes());
    for s in &suites {
        ch.extend(s.to_be_bytes());
    }
    ch.extend([1, 0, 0, 0]); // null compression, no extensions
    let client = record(22, &handshake_message(1, &ch));
    let server: Vec<u8> = (0..=255u8).flat_map(|d| record(21, &[2, d])).collect();

    // Our side first.
    let mut p = RecordParser::new();
    let mut recs = Vec::new();
    p.push(&client, |r| recs.push(r));
    assert_eq!(recs[0].client_hello().unwrap().cipher_suites, suites);
    let mut p = RecordParser::new();
    let mut alerts = Vec::new();
    p.push(&server, |r| alerts.push(r.alert()));
    assert_eq!(alerts.len(), 256);
    assert!(alerts
        .iter()
        .enumerate()
        .all(|(i, a)| *a == Some((2, i as u8))));

    let dir = tempdir();
    let path = path_in(&dir, "tls_names.pcap");
    let mut conn = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40443, 443);
    conn.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"")
        .send(true, PSH_ACK, &client)
        .send(false, PSH_ACK, &server);
    write_pcap(&path, 1, &conn.frames, PCAP_US);
    keep_fixture(&path);
    let Some((out, code)) = tshark(&["-r", path.to_str().unwrap(), "-V"]) else {
        return;
    };
    assert_eq!(code, 0);
    let mut theirs_suites = Vec::new();
    let mut theirs_alerts = Vec::new();
    for l in out.lines() {
        let l = l.trim_start();
        if let Some(rest) = l.strip_prefix("Cipher Suite: ") {
            theirs_suites.push(rest.to_string());
        } else if let Some(rest) = l.strip_prefix("Description: ") {
            theirs_alerts.push(rest.to_string());
        }
    }
    let ours_suites: Vec<String> = suites
        .iter()
        .map(|&s| format!("{} (0x{s:04x})", cipher_suite_name(s).unwrap()))
        .collect();
    pretty_diff(
        &theirs_suites.join("\n"),
        &ours_suites.join("\n"),
        "cipher suite names",
    );
    let ours_alerts: Vec<String> = (0..=255u8)
        .map(|d| format!("{} ({d})", alert_description_name(d).unwrap_or("Unknown")))
        .collect();
    pretty_diff(
        &theirs_alerts.join("\n"),
        &ours_alerts.join("\n"),
        "alert descriptions",
    );
}
