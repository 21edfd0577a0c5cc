//! Properties of the dissect layer's streaming parsers: random and mutated
//! byte streams, fed in random chunk sizes, never panic, never buffer beyond
//! the caps, and give the same messages whatever the chunking.

use coffeeshark::dissect::http::{Limits, Message, MessageParser, Role, MAX_CHUNK_LINE};
use coffeeshark::dissect::tls::{
    cipher_suite_name, HandshakeBody, Record, RecordParser, HEADER_LEN, MAX_RECORD_LEN,
};
use coffeeshark::dissect::{detect, htcpcp};
use proptest::prelude::*;
use std::sync::OnceLock;

const LIMITS: Limits = Limits {
    max_head: 300,
    max_body: 200,
};

/// Lab-like messages to concatenate and mutate.
const CORPUS: &[&[u8]] = &[
    b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: cream; tea\r\nUse-Pot: ducky\r\nContent-Length: 5\r\n\r\nstart",
    b"GET koffie://ducky HTCPCP/1.0\r\n\r\n",
    b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n",
    b"HTCPCP/1.1 200 OK\nServer: CoffeePot\nContent-Type: message/coffeepot\n\n{\"a\": 1}",
    b"{\"coffee_bean\": \"Turquino\"}",
    b"GET /assets/styles.css HTTP/1.1\r\nHost: localhost:5031\r\nIf-None-Match: \"abc\"\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5;e=1\r\npedia\r\n0\r\nT: 1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nHost: 127.0.0.1:8000///Content-Type: text/html/Content-Length: 13\r\n\r\nHello, World!",
    b"HTTP/1.1 100 CONTINUE\r\n\r\nHTTP/1.1 302 FOUND\r\nLocation: /\r\nContent-Length: 0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    b"\x16\x03\x01\x00\x08\x01\x00\x00\x04abcd\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x02hi",
];

fn stream() -> impl Strategy<Value = Vec<u8>> {
    let random = prop::collection::vec(any::<u8>(), 0..2000);
    let mutated = (
        prop::collection::vec(0..CORPUS.len(), 1..6),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..8),
    )
        .prop_map(|(picks, edits)| {
            let mut s: Vec<u8> = picks.iter().flat_map(|&i| CORPUS[i].to_vec()).collect();
            for (at, byte, op) in edits {
                if s.is_empty() {
                    s.push(byte);
                    continue;
                }
                let i = at.index(s.len());
                match op {
                    0 => s[i] = byte,
                    1 => s.insert(i, byte),
                    _ => {
                        s.remove(i);
                    }
                }
            }
            s
        });
    prop_oneof![random, mutated]
}

/// Cut points: chunk sizes from 1 to 64, cycled.
fn chunks(data: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < data.len() {
        let n = sizes[k % sizes.len()].min(data.len() - i);
        out.push(data[i..i + n].to_vec());
        i += n;
        k += 1;
    }
    out
}

fn http_messages(htcpcp: bool, role: Role, parts: &[Vec<u8>]) -> Vec<Message> {
    let bound = LIMITS.max_head.max(MAX_CHUNK_LINE + 1) + LIMITS.max_body;
    let mut p = MessageParser::with_limits(htcpcp, role, LIMITS);
    let mut out = Vec::new();
    for part in parts {
        p.push(part, |m| out.push(m));
        assert!(p.buffered() <= bound, "buffered {} > {bound}", p.buffered());
    }
    p.end_of_stream(|m| out.push(m));
    out
}

fn tls_records(parts: &[Vec<u8>]) -> Vec<Record> {
    let mut p = RecordParser::new();
    let mut out = Vec::new();
    for part in parts {
        p.push(part, |r| out.push(r));
        assert!(p.buffered() <= HEADER_LEN + MAX_RECORD_LEN);
    }
    p.end_of_stream(|r| out.push(r));
    out
}

/// Real TLS streams to mutate: each direction of the first connection of
/// `coffee_https.pcapng` (rustls, TLS 1.3) and of both connections of
/// `tls12_openssl.pcapng` (ClientHello, ServerHello, two certificates,
/// alerts), as the TCP payloads in capture order.
fn tls_corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for (name, frames) in [("coffee_https.pcapng", 30), ("tls12_openssl.pcapng", 26)] {
            let path = format!("{}/sample_capture/{name}", env!("CARGO_MANIFEST_DIR"));
            let mut reader =
                coffeeshark::source::CaptureReader::open(std::path::Path::new(&path)).unwrap();
            let mut streams: Vec<((u16, u16), Vec<u8>)> = Vec::new();
            let mut n = 0;
            while let Some(f) = reader.next_frame().unwrap() {
                n += 1;
                if n > frames {
                    break;
                }
                let d = coffeeshark::decode::decode(f.link_type, f.data);
                let Some(etherparse::TransportSlice::Tcp(tcp)) = d.transport else {
                    continue;
                };
                let key = (tcp.source_port(), tcp.destination_port());
                match streams.iter_mut().find(|s| s.0 == key) {
                    Some(s) => s.1.extend_from_slice(tcp.payload()),
                    None => streams.push((key, tcp.payload().to_vec())),
                }
            }
            out.extend(streams.into_iter().map(|s| s.1).filter(|s| !s.is_empty()));
        }
        assert!(out.len() >= 4, "{} TLS streams", out.len());
        out
    })
}

/// A real TLS stream, cut short or not, with byte edits (length fields and
/// DER lengths included: any byte may become anything).
fn tls_stream() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..4u8), 0..12),
    )
        .prop_map(|(pick, cut, edits)| {
            let corpus = tls_corpus();
            let mut s = corpus[pick.index(corpus.len())].clone();
            for (at, byte, op) in edits {
                if s.is_empty() {
                    break;
                }
                let i = at.index(s.len());
                match op {
                    0 | 1 => s[i] = byte,
                    2 => s.insert(i, byte),
                    _ => {
                        s.remove(i);
                    }
                }
            }
            if cut.index(4) == 0 && !s.is_empty() {
                let at = cut.index(s.len());
                s.truncate(at);
            }
            s
        })
}

/// Everything read out of a record is bounded by its payload: the text of
/// names and strings (hex at worst doubles a byte, a dotted OID arc takes at
/// most 20 digits for 2 bytes, the `id-at-...` names and separators add a
/// constant per attribute, at least 9 DER bytes each).
fn check_tls_details(r: &Record) {
    assert_eq!(r.handshakes.len(), r.handshake_types.len());
    let mut text = 0;
    for (h, &t) in r.handshakes.iter().zip(&r.handshake_types) {
        assert_eq!(h.msg_type, t);
        match &h.body {
            HandshakeBody::ClientHello(c) => {
                assert!(c.cipher_suites.len() * 2 <= r.payload.len());
                text += c
                    .server_names
                    .iter()
                    .chain(&c.alpn)
                    .map(String::len)
                    .sum::<usize>();
                for &s in &c.cipher_suites {
                    let _ = cipher_suite_name(s);
                }
            }
            HandshakeBody::ServerHello(s) => {
                text += s.alpn.as_ref().map_or(0, String::len);
                let _ = cipher_suite_name(s.cipher_suite);
            }
            HandshakeBody::Certificate(certs) => {
                for c in certs {
                    text += c.subject.as_ref().map_or(0, String::len);
                    text += c.issuer.as_ref().map_or(0, String::len);
                }
            }
            HandshakeBody::Other | HandshakeBody::Fragment | HandshakeBody::Malformed => {}
        }
    }
    // UTF-8 replacement characters take 3 bytes for 1.
    assert!(
        text <= 12 * r.payload.len() + 64,
        "{text} > {}",
        r.payload.len()
    );
    let _ = (r.info(), r.alert(), r.selected_version());
}

fn check_messages(msgs: &[Message], total: u64) {
    let mut last = 0;
    for m in msgs {
        assert!(m.body.len() <= LIMITS.max_body);
        assert!(m.body.len() as u64 <= m.body_len);
        assert!(m.range.start >= last && m.range.start <= m.range.end);
        assert!(m.range.end <= total);
        last = m.range.end;
        let _ = htcpcp::interpret(m);
        let _ = m.summary();
    }
}

/// Feeds `data` in chunks of `sizes`, with a hole of `len` bytes before
/// each offset of `holes` (sorted), to an HTTP/HTCPCP parser.
fn http_with_gaps(
    htcpcp: bool,
    role: Role,
    data: &[u8],
    holes: &[(usize, u64)],
    sizes: &[usize],
) -> Vec<Message> {
    let bound = LIMITS.max_head.max(MAX_CHUNK_LINE + 1) + LIMITS.max_body;
    let mut p = MessageParser::with_limits(htcpcp, role, LIMITS);
    let mut out = Vec::new();
    let mut at = 0;
    for &(hole, len) in holes.iter().chain([(data.len(), 0)].iter()) {
        let hole = hole.clamp(at, data.len());
        for part in chunks(&data[at..hole], sizes) {
            p.push(&part, |m| out.push(m));
            assert!(p.buffered() <= bound);
        }
        p.gap(len, |m| out.push(m));
        at = hole;
    }
    p.end_of_stream(|m| out.push(m));
    out
}

/// [`http_with_gaps`] for the TLS record parser.
fn tls_with_gaps(data: &[u8], holes: &[(usize, u64)], sizes: &[usize]) -> Vec<Record> {
    let mut p = RecordParser::new();
    let mut out = Vec::new();
    let mut at = 0;
    for &(hole, len) in holes.iter().chain([(data.len(), 0)].iter()) {
        let hole = hole.clamp(at, data.len());
        for part in chunks(&data[at..hole], sizes) {
            p.push(&part, |r| out.push(r));
            assert!(p.buffered() <= HEADER_LEN + MAX_RECORD_LEN);
        }
        p.gap(len, |r| out.push(r));
        at = hole;
    }
    p.end_of_stream(|r| out.push(r));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn http_parsers_are_chunking_invariant_and_bounded(
        data in stream(),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let _ = detect(&data);
        let whole = vec![data.clone()];
        let parts = chunks(&data, &sizes);
        let bytes: Vec<Vec<u8>> = data.iter().map(|&b| vec![b]).collect();
        for htcpcp in [false, true] {
            for role in [Role::Request, Role::Response] {
                let a = http_messages(htcpcp, role, &whole);
                check_messages(&a, data.len() as u64);
                prop_assert_eq!(&a, &http_messages(htcpcp, role, &parts));
                prop_assert_eq!(&a, &http_messages(htcpcp, role, &bytes));
            }
        }
    }

    #[test]
    fn gaps_are_chunking_invariant(
        data in stream(),
        mut holes in prop::collection::vec((0usize..2000, 1u64..500), 0..4),
        sizes in prop::collection::vec(1usize..64, 1..8),
        htcpcp in any::<bool>(),
        response in any::<bool>(),
    ) {
        holes.sort();
        let role = if response { Role::Response } else { Role::Request };
        let a = http_with_gaps(htcpcp, role, &data, &holes, &[usize::MAX]);
        let total = data.len() as u64 + holes.iter().map(|h| h.1).sum::<u64>();
        check_messages(&a, total);
        prop_assert_eq!(&a, &http_with_gaps(htcpcp, role, &data, &holes, &sizes));
        prop_assert_eq!(&a, &http_with_gaps(htcpcp, role, &data, &holes, &[1]));
        let t = tls_with_gaps(&data, &holes, &[usize::MAX]);
        prop_assert_eq!(&t, &tls_with_gaps(&data, &holes, &sizes));
        prop_assert_eq!(&t, &tls_with_gaps(&data, &holes, &[1]));
    }

    #[test]
    fn tls_is_chunking_invariant(
        data in stream(),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let whole = vec![data.clone()];
        let parts = chunks(&data, &sizes);
        let bytes: Vec<Vec<u8>> = data.iter().map(|&b| vec![b]).collect();
        let t = tls_records(&whole);
        prop_assert_eq!(&t, &tls_records(&parts));
        prop_assert_eq!(&t, &tls_records(&bytes));
        let covered: u64 = t.iter().map(|r| r.range.end - r.range.start).sum();
        prop_assert_eq!(covered, data.len() as u64);
        t.iter().for_each(check_tls_details);
    }

    #[test]
    fn tls_handshake_details_never_panic_and_stay_bounded(
        data in tls_stream(),
        sizes in prop::collection::vec(1usize..1500, 1..8),
    ) {
        let t = tls_records(std::slice::from_ref(&data));
        t.iter().for_each(check_tls_details);
        prop_assert_eq!(&t, &tls_records(&chunks(&data, &sizes)));
    }
}

#[test]
fn tls_corpus_has_the_details() {
    let recs: Vec<Record> = tls_corpus()
        .iter()
        .flat_map(|s| tls_records(std::slice::from_ref(s)))
        .collect();
    assert!(recs.iter().any(|r| r.selected_version() == Some(0x0304)));
    assert!(recs.iter().any(|r| r.selected_version() == Some(0x0303)));
    assert!(recs
        .iter()
        .flat_map(|r| &r.handshakes)
        .any(|h| matches!(&h.body, HandshakeBody::Certificate(c) if c.len() == 2)));
    assert!(recs.iter().any(|r| r.alert() == Some((2, 40))));
}

#[test]
fn body_and_head_caps_hold_on_long_streams() {
    // A huge close-delimited body and an endless head.
    let mut body = b"HTCPCP/1.1 200 OK\r\n\r\n".to_vec();
    body.extend_from_slice(&[b'x'; 100_000]);
    let msgs = http_messages(true, Role::Response, &chunks(&body, &[1448]));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body.len(), LIMITS.max_body);
    assert_eq!(msgs[0].body_len, 100_000);
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    head.extend_from_slice(&[b'a'; 100_000]);
    let msgs = http_messages(false, Role::Request, &chunks(&head, &[1000]));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].range.end, head.len() as u64);
}

// ---- The application layer of the pipeline (dissect::stream) ----

use coffeeshark::dissect::stream::{PduBody, SegmentIn, StreamDissector};
use coffeeshark::flow::Endpoint;

/// One scripted segment: stream (of a few), direction, sequence jitter
/// (0 = in order; else retransmitted, overlapping or skipping ahead), flags.
#[derive(Debug, Clone)]
struct Seg {
    stream: u32,
    from_client: bool,
    jitter: i16,
    fin: bool,
    rst: bool,
    len: usize,
}

fn segs() -> impl Strategy<Value = Vec<Seg>> {
    prop::collection::vec(
        (
            0..3u32,
            any::<bool>(),
            prop_oneof![4 => Just(0i16), 1 => -40..40i16],
            prop::bool::weighted(0.05),
            prop::bool::weighted(0.02),
            0..400usize,
        )
            .prop_map(|(stream, from_client, jitter, fin, rst, len)| Seg {
                stream,
                from_client,
                jitter,
                fin,
                rst,
                len,
            }),
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random interleavings of streams whose directions carry lab-like,
    /// random or mutated bytes, cut into random segments, some retransmitted,
    /// overlapping, lost or cut by FIN/RST: the application layer never
    /// panics, every message it reports lies within the bytes sent, and it
    /// holds no state for a stream both of whose directions ended. Without
    /// the columns (`set_columns(false)`) it reports the same frames and
    /// messages, with no Protocol or Info.
    #[test]
    fn stream_dissector_never_panics(
        data in prop::collection::vec((stream(), stream()), 3),
        script in segs(),
    ) {
        let mut d = StreamDissector::new();
        let mut bare = StreamDissector::new();
        bare.set_columns(false);
        let ep = |port: u16| Endpoint { addr: [127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], port };
        let mut sent = [[0usize; 2]; 3];
        // Direction 0 of a stream is whoever sent its first segment.
        let mut first_from_client: [Option<bool>; 3] = [None; 3];
        for (i, s) in script.iter().enumerate() {
            let client_first = *first_from_client[s.stream as usize].get_or_insert(s.from_client);
            let dir = usize::from(!s.from_client);
            let bytes = if dir == 0 { &data[s.stream as usize].0 } else { &data[s.stream as usize].1 };
            let at = (sent[s.stream as usize][dir] as i64 + i64::from(s.jitter)).clamp(0, bytes.len() as i64) as usize;
            let end = (at + s.len).min(bytes.len());
            sent[s.stream as usize][dir] = sent[s.stream as usize][dir].max(end);
            let (client, server) = (ep(40000 + s.stream as u16), ep(5030 + (s.stream as u16 % 2)));
            let (src, dst) = if s.from_client { (client, server) } else { (server, client) };
            let seg = SegmentIn {
                frame: i as u64 + 1,
                time_nanos: i as i128 * 1000,
                stream: s.stream,
                src,
                dst,
                seq: 1 + at as u32,
                ack: Some(1),
                syn: false,
                fin: s.fin,
                rst: s.rst,
                payload: &bytes[at..end],
                uncaptured: 0,
            };
            let frame = d.process(&seg);
            let without = bare.process(&seg);
            prop_assert_eq!(frame.is_some(), without.is_some());
            if let (Some(a), Some(b)) = (&frame, &without) {
                prop_assert_eq!(a.pdu_continues, b.pdu_continues);
                prop_assert_eq!(format!("{:?}", a.messages), format!("{:?}", b.messages));
                prop_assert!(b.protocol.is_none() && b.info.is_none());
            }
            for pdu in frame.iter().flat_map(|f| f.messages.iter()) {
                let range = match &pdu.body {
                    PduBody::Http(h) => h.message.range.clone(),
                    PduBody::Tls(r) => r.range.clone(),
                    PduBody::WebSocket(w) => w.range.clone(),
                };
                // (A stream both of whose directions ended starts afresh
                // if more data comes, possibly with the other side first.)
                let _ = client_first;
                let total = data[s.stream as usize].0.len().max(data[s.stream as usize].1.len());
                prop_assert!(range.start <= range.end && range.end <= total as u64 + 1, "{range:?} of {total}: {:?}", pdu.body);
                for (f, _) in &pdu.segments {
                    prop_assert!(*f >= 1 && *f <= i as u64 + 1);
                }
            }
            prop_assert!(d.open_streams() <= 3);
        }
        let rest = d.finish();
        prop_assert_eq!(format!("{:?}", rest), format!("{:?}", bare.finish()));
        prop_assert_eq!(d.open_streams(), 0);
    }
}
