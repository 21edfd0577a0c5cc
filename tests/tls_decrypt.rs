//! TLS decryption with a key log (`-o tls.keylog_file:FILE`), compared with
//! tshark 4.0 given the same key log, on real recordings:
//!
//! - `sample_capture/coffee_https.pcapng` + `.keys`: rustls, TLS 1.3
//!   (AES-256-GCM), 58 HTTPS connections of the lab's web app, and the
//!   plaintext HTCPCP leg (port 5030, left out of the comparisons: tshark
//!   has no HTCPCP dissector, see `tests/sample_capture.rs`);
//! - `sample_capture/tls_openssl.pcapng` + `.keys`: OpenSSL's s_client,
//!   TLS 1.2 AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305; TLS 1.3
//!   AES-128-GCM (a 40 KB response over many records and segments),
//!   ChaCha20-Poly1305, AES-256-GCM with KeyUpdates both ways; a session
//!   whose secrets are not in the key log; a body that runs to the close
//!   (see `sample_capture/README.md`).
//!
//! Compared: the packet list, `-T fields` of HTTP and TLS fields, and
//! `follow --tls` (`-z follow,tls`). Then the failures: a wrong secret, a
//! missing one, segments lost inside a record, a file cut inside a record,
//! the same sessions cut into small segments (compared with tshark too), and
//! a property test: mutated records and key logs never panic and never give
//! plaintext.

mod support;

use coffeeshark::decode::decode;
use coffeeshark::dissect::tls::{Decryption, KeyLog, Record, RecordParser, Session};
use coffeeshark::source::CaptureReader;
use etherparse::TransportSlice;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use support::*;

fn sample(name: &str) -> String {
    format!("{}/sample_capture/{name}", env!("CARGO_MANIFEST_DIR"))
}

const SAMPLES: [&str; 2] = ["tls_openssl", "coffee_https"];

fn pref(keys: &str) -> String {
    format!("tls.keylog_file:{keys}")
}

/// Frames of the lab's pot leg (TCP 5030), where tshark says HTTP and we
/// say HTCPCP by design.
fn pot_frames(pcap: &str) -> HashSet<String> {
    let (out, _, _) = coffeeshark(&[
        "read",
        pcap,
        "-Y",
        "tcp.port == 5030",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    out.lines().map(str::to_owned).collect()
}

/// Runs the same `-r FILE -o tls.keylog_file:KEYS ARGS` through both tools;
/// `None` without tshark.
fn both(pcap: &str, keys: &str, args: &[&str]) -> Option<(String, String)> {
    let p = pref(keys);
    let mut full = vec!["-r", pcap, "-o", &p];
    full.extend_from_slice(args);
    let (theirs, code) = tshark(&full)?;
    assert_eq!(code, 0, "tshark {full:?}");
    let mut ours_args = vec!["read"];
    ours_args.extend_from_slice(&full);
    let (ours, err, code) = coffeeshark(&ours_args);
    assert_eq!(code, 0, "coffeeshark {full:?}: {err}");
    Some((theirs, ours))
}

/// Lines equal frame by frame, leaving out the frames in `skip` (the first
/// word of a line is its frame number); returns (equal, compared).
fn compare_lines(theirs: &str, ours: &str, skip: &HashSet<String>, what: &str) -> (usize, usize) {
    let keep = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| {
                let n = l.split_whitespace().next().unwrap_or("");
                !skip.contains(n)
            })
            .map(str::to_owned)
            .collect()
    };
    let (t, o) = (keep(theirs), keep(ours));
    pretty_diff(&t.join("\n"), &o.join("\n"), what);
    // pretty_diff panics on the first difference: all are equal here.
    (t.len(), t.len())
}

#[test]
fn packet_list_equals_tshark() {
    for name in SAMPLES {
        let (pcap, keys) = (
            sample(&format!("{name}.pcapng")),
            sample(&format!("{name}.keys")),
        );
        let Some((theirs, ours)) = both(&pcap, &keys, &[]) else {
            return;
        };
        let skip = pot_frames(&pcap);
        let (equal, n) = compare_lines(&theirs, &ours, &skip, name);
        eprintln!(
            "{name}: {equal} of {n} lines equal tshark's ({} pot frames left out)",
            skip.len()
        );
        assert!(ours.contains(" HTTP "), "{name}: no decrypted HTTP");
    }
}

#[test]
fn fields_equal_tshark() {
    let cases: &[(&str, &[&str])] = &[
        (
            "http && tcp.port != 5030",
            &[
                "frame.number",
                "frame.protocols",
                "http.request.method",
                "http.request.uri",
                "http.response.code",
                "http.response.phrase",
                "http.request.full_uri",
                "http.response_for.uri",
                "http.request_in",
                "http.content_type",
                "http.content_length",
                "http.host",
            ],
        ),
        (
            "tls.handshake.type",
            &["frame.number", "tls.handshake.type"],
        ),
        (
            "tls",
            &[
                "frame.number",
                "tls.record.content_type",
                "tls.record.opaque_type",
                "tls.record.version",
                "tls.record.length",
            ],
        ),
        (
            "tls.alert_message",
            &[
                "frame.number",
                "tls.alert_message.level",
                "tls.alert_message.desc",
            ],
        ),
        ("http.request", &["frame.number"]),
        ("http.response.code == 200", &["frame.number"]),
    ];
    for name in SAMPLES {
        let (pcap, keys) = (
            sample(&format!("{name}.pcapng")),
            sample(&format!("{name}.keys")),
        );
        for (filter, fields) in cases {
            let mut args = vec!["-Y", filter, "-T", "fields"];
            for f in *fields {
                args.extend(["-e", f]);
            }
            let Some((theirs, ours)) = both(&pcap, &keys, &args) else {
                return;
            };
            let skip = if filter.starts_with("http") {
                pot_frames(&pcap)
            } else {
                HashSet::new()
            };
            let (n, _) = compare_lines(&theirs, &ours, &skip, &format!("{name} -Y {filter}"));
            assert!(n > 0, "{name} -Y {filter}: no frames");
        }
    }
}

/// `tls.app_data_proto` of decrypted records (tshark also names it on
/// records it cannot decrypt, from ALPN: not compared on those).
#[test]
fn app_data_proto_of_decrypted_records() {
    let pcap = sample("coffee_https.pcapng");
    let keys = sample("coffee_https.keys");
    let args = [
        "-Y",
        "tls.app_data_proto",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tls.app_data_proto",
    ];
    if let Some((theirs, ours)) = both(&pcap, &keys, &args) {
        pretty_diff(&theirs, &ours, "tls.app_data_proto");
    }
}

/// The TLS streams of a sample (streams with a TLS record).
fn tls_streams(pcap: &str, keys: &str) -> Vec<String> {
    let p = pref(keys);
    let (out, _, _) = coffeeshark(&[
        "read",
        pcap,
        "-o",
        &p,
        "-Y",
        "tls",
        "-T",
        "fields",
        "-e",
        "tcp.stream",
    ]);
    let mut s: Vec<String> = out.lines().map(str::to_owned).collect();
    s.dedup();
    s
}

#[test]
fn follow_tls_equals_tshark() {
    for name in SAMPLES {
        let (pcap, keys) = (
            sample(&format!("{name}.pcapng")),
            sample(&format!("{name}.keys")),
        );
        let p = pref(&keys);
        let streams = tls_streams(&pcap, &keys);
        assert!(!streams.is_empty());
        let mut equal = 0;
        for s in &streams {
            for fmt in ["ascii", "hex"] {
                let z = format!("follow,tls,{fmt},{s}");
                let Some((theirs, _)) = tshark(&["-r", &pcap, "-o", &p, "-q", "-z", &z]) else {
                    return;
                };
                let (ours, err, code) = coffeeshark(&[
                    "follow", &pcap, "--tls", "--stream", s, "--format", fmt, "-o", &p,
                ]);
                assert_eq!(code, 0, "{err}");
                pretty_diff(&theirs, &ours, &format!("{name} {z}"));
                equal += 1;
            }
        }
        eprintln!("{name}: follow --tls equals tshark on {equal} stream/format pairs");
    }
}

#[test]
fn alias_and_errors() {
    let pcap = sample("tls_openssl.pcapng");
    let keys = sample("tls_openssl.keys");
    let p = pref(&keys);
    let (a, _, _) = coffeeshark(&["read", &pcap, "-o", &p]);
    let (b, _, _) = coffeeshark(&["read", &pcap, "--tls-keylog", &keys]);
    let (c, _, _) = coffeeshark(&["read", &pcap, "-o", &format!("ssl.keylog_file: {keys}")]);
    assert_eq!(a, b);
    assert_eq!(a, c);
    let (_, err, code) = coffeeshark(&["read", &pcap, "-o", "tls.keylog_file:/nonexistent/keys"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the TLS key log"), "{err}");
    let (_, err, code) = coffeeshark(&["read", &pcap, "-o", "tcp.desegment:FALSE"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown preference"), "{err}");
    // Without a key log nothing changes: no HTTP on 443.
    let (plain, _, _) = coffeeshark(&["read", &pcap]);
    assert!(!plain.contains(" HTTP "));
    // report and diagram take -o for both the output and the key log.
    let dir = tempdir();
    let out = path_in(&dir, "d.txt");
    let (_, err, code) = coffeeshark(&[
        "diagram",
        &pcap,
        "--format",
        "txt",
        "-o",
        &p,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let d = std::fs::read_to_string(&out).unwrap();
    assert!(d.contains("GET / (decrypted)"), "{d}");
    let (http, _, _) = coffeeshark(&["http", &pcap, "--tls-keylog", &keys]);
    assert_eq!(http.lines().filter(|l| l.contains(" HTTPS ")).count(), 7);
    let (conv, _, _) = coffeeshark(&["conv", &pcap, "--requests", "-o", &p]);
    assert!(conv.lines().any(|l| l.trim_start().starts_with("7 ")));
}

/// Stream 6 of `tls_openssl`: its secrets are not in the key log.
#[test]
fn missing_key_stays_opaque_with_a_note() {
    let pcap = sample("tls_openssl.pcapng");
    let p = pref(&sample("tls_openssl.keys"));
    let (v, _, code) = coffeeshark(&["read", &pcap, "-o", &p, "-Y", "tcp.stream == 6", "-V"]);
    assert_eq!(code, 0);
    assert!(v.contains("[Expert Info (Warning): no key for this session]"));
    assert!(!v.contains("Hypertext Transfer Protocol"));
    let (list, _, _) = coffeeshark(&["read", &pcap, "-o", &p, "-Y", "tcp.stream == 6 && tls"]);
    assert!(list.lines().all(|l| l.contains("TLSv1")), "{list}");
}

/// One session's server secret with one bit changed: its records fail to
/// authenticate and stay opaque ("decryption failed"), as tshark leaves
/// them; every other session still decrypts.
#[test]
fn wrong_secret_fails_authentication() {
    let keys = std::fs::read_to_string(sample("tls_openssl.keys")).unwrap();
    // The KeyUpdate session (TLS_AES_256_GCM_SHA384): its secrets are 96
    // hex digits; the first such SERVER_TRAFFIC_SECRET_0 line.
    let mut done = false;
    let bad: String = keys
        .lines()
        .map(|l| {
            let mut l = l.to_owned();
            if !done && l.starts_with("SERVER_TRAFFIC_SECRET_0") && l.len() > 170 {
                let last = l.pop().unwrap();
                l.push(if last == '0' { '1' } else { '0' });
                done = true;
            }
            l + "\n"
        })
        .collect();
    assert!(done);
    let dir = tempdir();
    let path = path_in(&dir, "wrong.keys");
    std::fs::write(&path, bad).unwrap();
    let pcap = sample("tls_openssl.pcapng");
    let keys = path.to_str().unwrap();
    let p = pref(keys);
    let (v, _, _) = coffeeshark(&["read", &pcap, "-o", &p, "-Y", "tcp.stream == 5", "-V"]);
    assert!(v.contains("decryption failed"), "no note");
    // The server's response is never shown; the client's request still is.
    let (list, _, _) = coffeeshark(&["read", &pcap, "-o", &p, "-Y", "tcp.stream == 5"]);
    assert!(list.contains("GET / HTTP/1.0"));
    assert!(!list.contains("200 OK"), "{list}");
    if let Some((theirs, ours)) = both(&pcap, keys, &[]) {
        compare_lines(&theirs, &ours, &HashSet::new(), "wrong key log");
    }
}

/// The TCP payloads of one stream of a capture, in order, with their
/// direction (true: from the client).
fn payloads(pcap: &str, client_port: u16) -> Vec<(bool, Vec<u8>)> {
    let mut reader = CaptureReader::open(Path::new(pcap)).unwrap();
    let mut out = Vec::new();
    while let Some(f) = reader.next_frame().unwrap() {
        let d = decode(f.link_type, f.data);
        let Some(TransportSlice::Tcp(tcp)) = d.transport else {
            continue;
        };
        let from_client = tcp.source_port() == client_port;
        if !from_client && tcp.destination_port() != client_port {
            continue;
        }
        if !tcp.payload().is_empty() {
            out.push((from_client, tcp.payload().to_vec()));
        }
    }
    out
}

/// Client ports of the streams of `tls_openssl`, in stream order.
fn client_ports() -> Vec<u16> {
    let (out, _, _) = coffeeshark(&[
        "read",
        &sample("tls_openssl.pcapng"),
        "-Y",
        "tcp.flags.syn == 1 && tcp.flags.ack == 0",
        "-T",
        "fields",
        "-e",
        "tcp.srcport",
    ]);
    out.lines().map(|l| l.parse().unwrap()).collect()
}

/// Rebuilds sessions of `tls_openssl` with every payload cut into pieces of
/// `size` bytes (`drop`: the index of a piece of the server's to leave out,
/// its bytes never captured).
fn resegmented(streams: &[usize], size: usize, drop: Option<usize>) -> Vec<Frame> {
    let ports = client_ports();
    let mut frames = Vec::new();
    let mut ts = 1_795_000_000_000_000_000u64;
    for &s in streams {
        let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, ports[s], 443).at(ts);
        c.send(true, SYN, &[])
            .send(false, SYN_ACK, &[])
            .send(true, ACK, &[]);
        let mut server_piece = 0;
        for (from_client, data) in payloads(&sample("tls_openssl.pcapng"), ports[s]) {
            for piece in data.chunks(size) {
                if !from_client {
                    server_piece += 1;
                    if drop == Some(server_piece) {
                        c.next[1] = c.next[1].wrapping_add(piece.len() as u32);
                        continue;
                    }
                }
                c.send(from_client, PSH_ACK, piece);
            }
        }
        c.send(true, FIN_ACK, &[])
            .send(false, FIN_ACK, &[])
            .send(true, ACK, &[]);
        ts = c.ts_nanos + 1_000_000_000;
        frames.extend(c.frames);
    }
    frames
}

/// Records split over many segments (and segments holding the ends and
/// starts of records): the same HTTP as in the recording, and tshark's list.
#[test]
fn records_split_over_segments() {
    let dir = tempdir();
    let path = path_in(&dir, "split.pcap");
    // TLS 1.2 GCM, TLS 1.3 with the 40 KB response, TLS 1.3 KeyUpdate.
    write_pcap(&path, 1, &resegmented(&[0, 3, 5], 700, None), PCAP_US);
    keep_fixture(&path);
    let pcap = path.to_str().unwrap();
    let keys = sample("tls_openssl.keys");
    let (http, _, code) = coffeeshark(&["http", pcap, "--tls-keylog", &keys]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = http.lines().filter(|l| l.contains(" HTTPS ")).collect();
    assert_eq!(rows.len(), 3, "{http}");
    assert!(
        rows[1].contains("42108") && rows[1].contains("/big.html"),
        "{http}"
    );
    if let Some((theirs, ours)) = both(pcap, &keys, &[]) {
        compare_lines(&theirs, &ours, &HashSet::new(), "re-segmented");
    }
    let fields = [
        "-Y",
        "http",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "http.response.code",
        "-e",
        "http.request.uri",
    ];
    if let Some((theirs, ours)) = both(pcap, &keys, &fields) {
        pretty_diff(&theirs, &ours, "re-segmented -Y http");
    }
}

/// Bytes lost inside a record (a segment never captured), and a file cut
/// inside a record: those records stay opaque with a note, nothing after
/// the loss is shown as HTTP, no panic.
#[test]
fn truncated_records_stay_opaque() {
    let dir = tempdir();
    let path = path_in(&dir, "lost.pcap");
    // The 40 KB response of stream 3: its 10th piece of 700 bytes lost.
    write_pcap(&path, 1, &resegmented(&[3], 700, Some(10)), PCAP_US);
    keep_fixture(&path);
    let pcap = path.to_str().unwrap();
    let keys = sample("tls_openssl.keys");
    let p = pref(&keys);
    let (v, err, code) = coffeeshark(&["read", pcap, "-o", &p, "-V"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        v.contains("record incomplete in the capture, not decrypted"),
        "no note"
    );
    // The record's plaintext is a hole in the HTTP body (as a hole in TCP
    // is): the response ends where its Content-Length says, the bytes of the
    // lost record counted missing, the records after it still decrypted.
    let (list, _, _) = coffeeshark(&["read", pcap, "-o", &p]);
    assert!(list.contains("GET /big.html"));
    let (v, _, _) = coffeeshark(&["read", pcap, "-o", &p, "-V", "-Y", "http.response"]);
    assert!(v.contains("HTTP/1.0 200 OK"), "{v}");
    assert!(v.contains("missing"), "{v}");
    assert_eq!(v.matches("[Decrypted TLS (").count(), 2, "{v}");

    // The recording cut in the middle of frame 56 (inside a record).
    let bytes = std::fs::read(sample("tls_openssl.pcapng")).unwrap();
    let (offsets, _, _) = coffeeshark(&["read", &sample("tls_openssl.pcapng"), "-c", "56"]);
    assert_eq!(offsets.lines().count(), 56);
    for cut in [bytes.len() / 2, bytes.len() * 2 / 3, bytes.len() - 100] {
        let cut_path = path_in(&dir, "cut.pcapng");
        std::fs::write(&cut_path, &bytes[..cut]).unwrap();
        let c = cut_path.to_str().unwrap();
        for cmd in [
            vec!["read", c, "-o", &p],
            vec!["read", c, "-o", &p, "-V"],
            vec!["http", c, "-o", &p],
            vec!["follow", c, "--tls", "--stream", "3", "-o", &p],
        ] {
            let (_, err, code) = coffeeshark(&cmd);
            assert!(code == 0 || code == 2, "{cmd:?}: {err}");
            assert!(!err.contains("panicked"), "{cmd:?}: {err}");
        }
    }
}

/// The records of each direction of stream `client_port` of `tls_openssl`
/// (direction 0: the client).
fn records(client_port: u16) -> Vec<(usize, Record)> {
    let mut parsers = [RecordParser::new(), RecordParser::new()];
    let mut out = Vec::new();
    for (from_client, data) in payloads(&sample("tls_openssl.pcapng"), client_port) {
        let d = usize::from(!from_client);
        parsers[d].push(&data, |r| out.push((d, r)));
    }
    out
}

fn real_keylog() -> Arc<KeyLog> {
    Arc::new(KeyLog::read(Path::new(&sample("tls_openssl.keys"))).unwrap())
}

fn decrypted_count(recs: &mut [(usize, Record)], keylog: Arc<KeyLog>) -> usize {
    let mut s = Session::new(keylog);
    let mut n = 0;
    for (d, r) in recs.iter_mut() {
        s.record(*d, r);
        n += usize::from(r.plaintext().is_some());
    }
    n
}

#[test]
fn every_suite_decrypts_through_the_library() {
    let ports = client_ports();
    // Every protected record of the sessions with keys decrypts.
    let mut per_stream = BTreeMap::new();
    for (s, &port) in ports.iter().enumerate() {
        let mut recs = records(port);
        let n = decrypted_count(&mut recs, real_keylog());
        let notes: Vec<_> = recs
            .iter()
            .filter_map(|(_, r)| r.decryption_note())
            .collect();
        per_stream.insert(s, (n, notes.len()));
    }
    for (s, (n, notes)) in &per_stream {
        if *s == 6 {
            assert_eq!(*n, 0);
            assert!(*notes > 0);
        } else {
            assert!(*n >= 4, "stream {s}: {n} records decrypted");
            assert_eq!(*notes, 0, "stream {s}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A byte of a protected record changed: that record never decrypts
    /// (and later ones of its direction stay opaque); nothing panics.
    #[test]
    fn mutated_records_never_decrypt(stream in 0usize..8, pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let ports = client_ports_cached();
        let mut recs = records(ports[stream]);
        // Protected records: the ones a clean pass decrypts.
        let mut clean = recs.clone();
        decrypted_count(&mut clean, real_keylog());
        let protected: Vec<usize> = clean.iter().enumerate()
            .filter(|(_, (_, r))| r.plaintext().is_some()).map(|(i, _)| i).collect();
        prop_assume!(!protected.is_empty());
        let i = protected[pick.index(protected.len())];
        let payload = &mut recs[i].1.payload;
        let j = at.index(payload.len());
        payload[j] ^= xor;
        decrypted_count(&mut recs, real_keylog());
        prop_assert!(recs[i].1.plaintext().is_none());
        prop_assert_eq!(recs[i].1.decryption.as_deref(), Some(&Decryption::Opaque("decryption failed")));
    }

    /// Random key logs (and random changes to the real one): never a panic,
    /// never plaintext that does not authenticate.
    #[test]
    fn random_key_logs_never_give_plaintext(junk in "[A-Z_0-9a-f #\n]{0,400}", flip in any::<prop::sample::Index>()) {
        let log = KeyLog::parse(&junk);
        let mut recs = records(client_ports_cached()[0]);
        prop_assert_eq!(decrypted_count(&mut recs, Arc::new(log)), 0);
        // The real key log with one hex digit of a secret changed.
        let mut text = std::fs::read_to_string(sample("tls_openssl.keys")).unwrap().into_bytes();
        let secrets: Vec<usize> = (0..text.len()).filter(|&i| {
            let line_start = text[..i].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            i > line_start + 100 && text[i].is_ascii_hexdigit()
        }).collect();
        let k = secrets[flip.index(secrets.len())];
        text[k] = if text[k] == b'0' { b'1' } else { b'0' };
        let log = Arc::new(KeyLog::parse(&String::from_utf8(text).unwrap()));
        for port in client_ports_cached() {
            let mut clean = records(port);
            decrypted_count(&mut clean, real_keylog());
            let mut recs = records(port);
            decrypted_count(&mut recs, log.clone());
            for ((_, c), (_, r)) in clean.iter().zip(&recs) {
                // Whatever decrypts is exactly what the session sent.
                if let Some(p) = r.plaintext() {
                    prop_assert_eq!(Some(p), c.plaintext());
                }
            }
        }
    }
}

fn client_ports_cached() -> Vec<u16> {
    static PORTS: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    PORTS.get_or_init(client_ports).clone()
}

/// `-x` with a key log: the frame, then each decrypted record as a data
/// source of its own ("Decrypted TLS (N bytes):"), as tshark prints them.
/// (Messages spanning records, which tshark also shows as "Reassembled
/// TLS", are not in `coffee_https`: every rustls response there fits one
/// record.)
#[test]
fn hex_dump_shows_decrypted_sources() {
    let pcap = sample("coffee_https.pcapng");
    let keys = sample("coffee_https.keys");
    if let Some((theirs, ours)) = both(&pcap, &keys, &["-x", "-Y", "tls"]) {
        assert!(ours.contains("Decrypted TLS ("));
        pretty_diff(&theirs, &ours, "-x -Y tls");
    }
}

/// The terminal UI with the key log: its rows are `read -o
/// tls.keylog_file:`'s lines, and a frame's details (its stream read back
/// on its own, decrypted again) are `read -V`'s.
#[test]
fn tui_decrypts_as_read_does() {
    use coffeeshark::tui::colors::Theme;
    use coffeeshark::tui::{self, Options};
    let path = std::path::PathBuf::from(sample("tls_openssl.pcapng"));
    let keys = sample("tls_openssl.keys");
    let opts = Options {
        path: path.clone(),
        filter: None,
        decode_as: Vec::new(),
        keylog: Some(real_keylog()),
    };
    let mut app = tui::open(&opts, Theme::plain()).expect("open");
    tui::wait_idle(&mut app, std::time::Duration::from_secs(60));
    let p = pref(&keys);
    let (out, _, _) = coffeeshark(&["read", path.to_str().unwrap(), "-o", &p]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(app.rows(), lines.len());
    for (i, line) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        let (cells, _) = app.cells(n).expect("cells");
        assert_eq!(
            coffeeshark::view::list::line_from_cells(n, &cells),
            *line,
            "frame {n}"
        );
    }
    let (v, _, _) = coffeeshark(&["read", "-V", path.to_str().unwrap(), "-o", &p]);
    let blocks: Vec<&str> = v.split("\n\n").filter(|b| !b.is_empty()).collect();
    for n in [58u64, 12, 98, 74] {
        assert!(app.select_frame(n));
        let mut d = String::new();
        coffeeshark::view::details::write(&mut d, &app.loaded.as_ref().unwrap().tree);
        assert_eq!(d.trim_end(), blocks[n as usize - 1].trim_end(), "frame {n}");
        assert!(d.contains("Hypertext Transfer Protocol"), "frame {n}");
    }
}

#[cfg(feature = "lab")]
#[path = "../benches/support/https_gen.rs"]
#[allow(dead_code)]
mod https_gen;

/// rustls sessions made in the test (TLS 1.3 with AES-256-GCM, AES-128-GCM
/// and ChaCha20-Poly1305 in turn, responses of up to 24 KB over several
/// records and segments), one request per connection and then three per
/// connection (keep-alive): the list, the HTTP fields and `follow --tls`
/// equal tshark's, and the `http` table equals the one of the same HTTP in
/// clear.
#[cfg(feature = "lab")]
#[test]
fn rustls_sessions_equal_tshark() {
    for (connections, requests) in [(12, 1), (4, 3)] {
        rustls_sessions(connections, requests);
    }
}

#[cfg(feature = "lab")]
fn rustls_sessions(connections: u32, requests: u32) {
    let dir = tempdir();
    https_gen::write(dir.path(), connections, requests);
    let pcap = path_in(&dir, "https.pcapng");
    let pcap = pcap.to_str().unwrap();
    let keys = path_in(&dir, "https.keys");
    let keys = keys.to_str().unwrap();
    // tshark is told that 5031 is TLS (some generated client ports are
    // registered to other protocols); so are we, for the same command.
    let d = ["-d", "tcp.port==5031,tls"];
    if let Some((theirs, ours)) = both(pcap, keys, &d) {
        pretty_diff(&theirs, &ours, "rustls list");
    }
    let mut fields = d.to_vec();
    fields.extend([
        "-Y",
        "http",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "http.request.uri",
        "-e",
        "http.response.code",
        "-e",
        "http.content_length",
    ]);
    if let Some((theirs, ours)) = both(pcap, keys, &fields) {
        assert_eq!(theirs.lines().count(), 24);
        pretty_diff(&theirs, &ours, "rustls -Y http");
    }
    let p = pref(keys);
    let last = (connections - 1).to_string();
    for s in ["0", "1", "2", last.as_str()] {
        let z = format!("follow,tls,ascii,{s}");
        if let Some((theirs, _)) = tshark(&["-r", pcap, "-o", &p, "-d", d[1], "-q", "-z", &z]) {
            let (ours, _, _) = coffeeshark(&["follow", pcap, "--tls", "--stream", s, "-o", &p]);
            pretty_diff(&theirs, &ours, &z);
        }
    }
    let clear = path_in(&dir, "clear.pcapng");
    let (plain, _, _) = coffeeshark(&["http", "--format", "csv", clear.to_str().unwrap()]);
    let (https, _, _) = coffeeshark(&["http", "--format", "csv", pcap, "-o", &p]);
    // The same rows but for the times (the two files' clocks differ).
    let cut = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{}", f[6], f[7], f[9])
            })
            .collect()
    };
    assert_eq!(cut(&plain), cut(&https));
    assert_eq!(plain.lines().count(), 13, "{connections} x {requests}");
}
