//! `coffeeshark follow` against `tshark -q -z follow,tcp,FORMAT,N`, byte for
//! byte, on the real sample and on fixtures with out-of-order, retransmitted,
//! overlapping and lost segments (tests/support builds them). The JSON form
//! is checked against tshark's raw form: same chunks, same bytes.

mod support;

use support::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample_capture/http_loopback.pcapng"
);

const FORMATS: [&str; 3] = ["ascii", "hex", "raw"];

/// Our output for one stream and format (must succeed).
fn ours(path: &str, stream: u32, format: &str) -> String {
    let s = stream.to_string();
    let (out, err, code) = coffeeshark(&["follow", path, "--stream", &s, "--format", format]);
    assert_eq!(code, 0, "follow {path} {stream} {format}: {err}");
    out
}

/// Compares every text format with tshark and JSON with tshark's raw chunks.
/// Returns tshark's ascii output (None without tshark).
fn check_stream(path: &str, stream: u32) -> Option<String> {
    let mut ascii = None;
    for format in FORMATS {
        let ours = ours(path, stream, format);
        let z = format!("follow,tcp,{format},{stream}");
        let (theirs, code) = tshark(&["-r", path, "-q", "-z", &z])?;
        assert_eq!(code, 0, "tshark {z} failed");
        pretty_diff(&theirs, &ours, &format!("{path} {z}"));
        assert_eq!(theirs, ours, "{path} {z}: bytes differ");
        if format == "ascii" {
            ascii = Some(theirs);
        } else if format == "raw" {
            check_json_against_raw(path, stream, &theirs);
        }
    }
    ascii
}

/// tshark's raw chunks: (from Node 1, bytes).
fn raw_chunks(raw: &str) -> Vec<(bool, Vec<u8>)> {
    raw.lines()
        .skip_while(|l| !l.starts_with("Node 1:"))
        .skip(1)
        .take_while(|l| !l.starts_with("====="))
        .map(|l| {
            let server = l.starts_with('\t');
            let hex = l.trim_start_matches('\t');
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (server, bytes)
        })
        .collect()
}

fn decode_base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// JSON chunks equal tshark's raw chunks (a `gap` chunk stands where tshark
/// prints its "[N bytes missing in capture file]" marker); chunks after
/// tshark's end are data tshark never showed (behind a hole nobody acked).
fn check_json_against_raw(path: &str, stream: u32, raw: &str) {
    let json = ours(path, stream, "json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("follow json parses");
    assert_eq!(v["stream"], stream);
    let node = |n: &str| {
        raw.lines()
            .find_map(|l| l.strip_prefix(n))
            .unwrap()
            .to_string()
    };
    assert_eq!(v["client"], node("Node 0: ").as_str());
    assert_eq!(v["server"], node("Node 1: ").as_str());
    let chunks = v["chunks"].as_array().unwrap();
    let theirs = raw_chunks(raw);
    assert!(
        chunks.len() >= theirs.len(),
        "{path} {stream}: json has fewer chunks"
    );
    for (i, ((server, bytes), c)) in theirs.iter().zip(chunks).enumerate() {
        let dir = if *server { "server" } else { "client" };
        assert_eq!(c["direction"], dir, "{path} {stream} chunk {i}");
        if let Some(gap) = c["gap"].as_u64() {
            let marker = format!("[{gap} bytes missing in capture file]\0");
            assert_eq!(bytes, marker.as_bytes(), "{path} {stream} chunk {i}");
            continue;
        }
        let data = c["data"].as_str().unwrap();
        let got = match c["encoding"].as_str().unwrap() {
            "utf8" => data.as_bytes().to_vec(),
            "base64" => {
                assert!(std::str::from_utf8(bytes).is_err(), "valid UTF-8 in base64");
                decode_base64(data)
            }
            e => panic!("unknown encoding {e}"),
        };
        assert_eq!(&got, bytes, "{path} {stream} chunk {i}");
        assert_eq!(c["bytes"].as_u64().unwrap(), bytes.len() as u64);
        assert!(c["frame"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn sample_streams_equal_tsharks() {
    for stream in 0..5 {
        check_stream(SAMPLE, stream);
    }
    // Sanity on our own output too, so the test means something without tshark.
    let out = ours(SAMPLE, 0, "ascii");
    assert!(out.starts_with(
        "\n===================================================================\nFollow: tcp,ascii\nFilter: tcp.stream eq 0\nNode 0: 127.0.0.1:36680\nNode 1: 127.0.0.1:8000\n78\nGET / HTTP/1.1\r\n"
    ));
}

/// Writes the frames as a pcap of `link` and checks every stream in `streams`.
fn check_fixture(name: &str, link: Link, frames: &[Frame], streams: &[u32]) -> Vec<String> {
    let dir = tempdir();
    let path = path_in(&dir, name);
    write_pcap(&path, link.linktype(), frames, PCAP_US);
    // FOLLOW_FIXTURES=dir keeps the fixtures for a look with tshark.
    if let Some(keep) = std::env::var_os("FOLLOW_FIXTURES") {
        std::fs::copy(&path, std::path::Path::new(&keep).join(name)).unwrap();
    }
    let p = path.to_str().unwrap();
    streams.iter().filter_map(|&s| check_stream(p, s)).collect()
}

fn conn() -> TcpConn {
    let mut c = TcpConn::new(Link::NullLe, LOOPBACK_V4, 51515, 5030);
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    c
}

fn close(c: &mut TcpConn) {
    c.send(false, FIN_ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
}

const REQUEST: &[u8] =
    b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\nstart";

#[test]
fn out_of_order_segments() {
    let mut c = conn();
    c.send(true, PSH_ACK, REQUEST);
    let s = c.next[1];
    // The server's response arrives as 3, 1, 2.
    c.send_at_seq(false, PSH_ACK, s + 20, b"\r\n\r\n{\"brewing\": true}");
    c.send_at_seq(false, PSH_ACK, s, b"HTCPCP/1.1 200 OK\r\n");
    c.send_at_seq(false, PSH_ACK, s + 19, b"X");
    c.next[1] = s + 20 + 21;
    c.send(true, ACK, b"");
    close(&mut c);
    let ascii = check_fixture("ooo.pcap", Link::NullLe, &c.frames, &[0]);
    if let Some(a) = ascii.first() {
        assert!(
            a.contains("\t19\nHTCPCP/1.1 200 OK\r\n\n\t1\nX\n\t21\n"),
            "{a}"
        );
    }
}

#[test]
fn retransmissions_and_overlaps() {
    let mut c = conn();
    let s = c.next[0];
    c.send(true, PSH_ACK, b"BREW coffee://ducky ");
    // Exact retransmission, then one with more data, then a partial overlap.
    c.send_at_seq(true, PSH_ACK, s, b"BREW coffee://ducky ");
    c.send_at_seq(true, PSH_ACK, s + 5, b"coffee://ducky HTTP/1.1\r\n");
    c.send_at_seq(true, PSH_ACK, s + 40, b"\r\nstart");
    c.send_at_seq(true, PSH_ACK, s + 30, b"1.1\r\nABCDE\r\n"); // overlaps both sides
    c.next[0] = s + 47;
    c.send(false, PSH_ACK, b"HTCPCP/1.1 200 OK\r\n\r\n");
    // Server retransmits its whole answer, then more.
    let t = c.next[1];
    c.send_at_seq(false, PSH_ACK, t - 21, b"HTCPCP/1.1 200 OK\r\n\r\n{}");
    c.next[1] = t + 2;
    c.send(true, ACK, b"");
    close(&mut c);
    check_fixture("retrans.pcap", Link::NullLe, &c.frames, &[0]);
}

#[test]
fn overlapping_out_of_order_segments() {
    let mut c = conn();
    let s = c.next[0];
    c.send_at_seq(true, PSH_ACK, s + 10, b"KLMNOPQRST");
    c.send_at_seq(true, PSH_ACK, s + 5, b"fghijklmno"); // arrives later, starts earlier
    c.send_at_seq(true, PSH_ACK, s + 10, b"klmnopqrstuvwxyz"); // same start, longer
    c.send_at_seq(true, PSH_ACK, s, b"abcde");
    c.next[0] = s + 26;
    c.send(false, ACK, b"");
    close(&mut c);
    check_fixture("overlap_ooo.pcap", Link::NullLe, &c.frames, &[0]);
}

#[test]
fn lost_segment_acked_by_the_peer_is_marked() {
    let mut c = conn();
    c.send(true, PSH_ACK, REQUEST);
    c.send(false, PSH_ACK, b"HTCPCP/1.1 200 OK\r\n");
    // 40 bytes sent but not captured; the client acks past them.
    c.next[1] += 40;
    c.send(false, PSH_ACK, b"{\"coffee\": \"hot\"}");
    c.send(true, ACK, b"");
    c.send(false, PSH_ACK, b"more after the ack");
    close(&mut c);
    let ascii = check_fixture("lost_acked.pcap", Link::NullLe, &c.frames, &[0]);
    if let Some(a) = ascii.first() {
        assert!(a.contains("[40 bytes missing in capture file]."), "{a}");
    }
    // Our own output marks the hole even without tshark.
    let dir = tempdir();
    let path = path_in(&dir, "lost_acked.pcap");
    write_pcap(&path, 0, &c.frames, PCAP_US);
    let out = ours(path.to_str().unwrap(), 0, "ascii");
    assert!(
        out.contains("\t35\n[40 bytes missing in capture file].\n"),
        "{out}"
    );
}

#[test]
fn lost_segment_never_acked() {
    // The hole is never acknowledged: tshark never prints the data behind it;
    // our JSON flushes it after a gap chunk.
    let mut c = conn();
    c.send(true, PSH_ACK, b"first");
    c.next[0] += 7;
    c.send_at_seq(true, PSH_ACK, c.next[0], b"behind the hole");
    let dir = tempdir();
    let path = path_in(&dir, "lost_unacked.pcap");
    write_pcap(&path, 0, &c.frames, PCAP_US);
    let p = path.to_str().unwrap();
    check_stream(p, 0);
    let v: serde_json::Value = serde_json::from_str(&ours(p, 0, "json")).unwrap();
    let chunks = v["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 3, "{v}");
    assert_eq!(chunks[0]["data"], "first");
    assert_eq!(chunks[1]["gap"], 7);
    assert_eq!(chunks[2]["data"], "behind the hole");
    assert_eq!(chunks[2]["frame"], 5);
}

#[test]
fn binary_and_utf8_payloads_ipv6() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V6, 40404, 5031);
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    let all: Vec<u8> = (0..=255u8).collect();
    c.send(true, PSH_ACK, &all);
    c.send(false, PSH_ACK, "caf\u{e9} \u{2615}\ttab\x7f\r\n".as_bytes());
    c.send(true, PSH_ACK, b"\x00\x01\x02\x03\x04\x05\x06\x07"); // exactly 8: hex line edge
    c.send(false, PSH_ACK, &all[..16]); // exactly 16
    close(&mut c);
    check_fixture("binary6.pcap", Link::Ethernet, &c.frames, &[0]);
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut c = TcpConn::new(Link::Raw, LOOPBACK_V4, 50000, 5030);
    c.next = [u32::MAX - 10, u32::MAX - 3];
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    c.send(true, PSH_ACK, b"across the wrap, 2^32 and beyond");
    let s = c.next[1];
    c.send_at_seq(false, PSH_ACK, s.wrapping_add(6), b"world");
    c.send_at_seq(false, PSH_ACK, s, b"hello ");
    c.next[1] = s.wrapping_add(11);
    c.send(true, ACK, b"");
    close(&mut c);
    check_fixture("wrap.pcap", Link::Raw, &c.frames, &[0]);
}

#[test]
fn data_after_fin_and_several_streams() {
    let mut a = conn();
    a.send(true, PSH_ACK, REQUEST);
    a.send(false, FIN_ACK, b"HTCPCP/1.1 418 I'm a teapot\r\n\r\n");
    a.send(false, PSH_ACK, b"late data after FIN"); // at FIN's sequence number + 1
    let fin_seq = a.next[1].wrapping_sub(1);
    a.send_at_seq(false, PSH_ACK, fin_seq, b"at the FIN's seq");
    a.send(true, FIN_ACK, b"");
    let mut b = TcpConn::new(Link::NullLe, LOOPBACK_V4, 51516, 5030).at(a.ts_nanos);
    b = b.exchange(b"GET /pot HTTP/1.1\r\n\r\n", b"HTCPCP/1.1 200 OK\r\n\r\n{}");
    let mut frames = a.frames.clone();
    frames.extend(b.frames);
    check_fixture("after_fin.pcap", Link::NullLe, &frames, &[0, 1]);
}

#[test]
fn capture_started_mid_connection() {
    let mut c = TcpConn::new(Link::NullLe, LOOPBACK_V4, 52000, 5030);
    c.send(false, PSH_ACK, b"...rest of a response");
    c.send(true, ACK, b"");
    c.send(true, PSH_ACK, b"next request");
    c.send(false, PSH_ACK, b"next response");
    close(&mut c);
    check_fixture("midstream.pcap", Link::NullLe, &c.frames, &[0]);
}

#[test]
fn missing_stream_is_an_error() {
    let (out, err, code) = coffeeshark(&["follow", SAMPLE, "--stream", "5"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no TCP stream 5"), "{err}");
    assert!(err.contains("0 to 4"), "{err}");
}

#[test]
fn damaged_capture_follows_what_was_read() {
    let data = std::fs::read(SAMPLE).unwrap();
    let dir = tempdir();
    let path = path_in(&dir, "cut.pcapng");
    std::fs::write(&path, &data[..3000]).unwrap();
    let p = path.to_str().unwrap();
    for format in FORMATS {
        let (out, err, code) = coffeeshark(&["follow", p, "--stream", "1", "--format", format]);
        assert_eq!(code, 2, "{format}");
        assert!(err.contains("cut short"), "{err}");
        let z = format!("follow,tcp,{format},1");
        if let Some((theirs, _)) = tshark(&["-r", p, "-q", "-z", &z]) {
            pretty_diff(&theirs, &out, &format!("cut {z}"));
        } else {
            assert!(out.contains("Node 1: 127.0.0.1:8000"));
        }
    }
}

#[test]
fn port_reuse_starts_a_new_stream() {
    let first = TcpConn::new(Link::NullLe, LOOPBACK_V4, 53000, 5030).exchange(
        b"BREW coffee://ducky HTTP/1.1\r\n\r\nstart",
        b"HTCPCP/1.1 200 OK\r\n\r\n{}",
    );
    let mut second = TcpConn::new(Link::NullLe, LOOPBACK_V4, 53000, 5030).at(first.ts_nanos);
    second.next = [7_000_000, 9_000_000];
    let second = second.exchange(
        b"GET coffee://ducky HTTP/1.1\r\n\r\n",
        b"HTCPCP/1.1 200 OK\r\n\r\n{}",
    );
    let mut frames = first.frames.clone();
    frames.extend(second.frames);
    let ascii = check_fixture("reuse.pcap", Link::NullLe, &frames, &[0, 1]);
    if let [a, b] = &ascii[..] {
        assert!(a.contains("BREW") && !a.contains("GET"));
        assert!(b.contains("GET") && !b.contains("BREW"));
    }
}

#[test]
fn long_stream_with_losses_and_retransmissions() {
    // 300 KB each way: hex offsets past 0xFFFF, output flushed in pieces,
    // every 7th server segment delivered late, every 11th lost and acked.
    let mut c = conn();
    let block: Vec<u8> = (0..1400u32).map(|i| (i * 7 % 251) as u8).collect();
    for i in 0..220u32 {
        c.send(true, PSH_ACK, &block[..(i as usize * 13) % 1400 + 1]);
        let s = c.next[1];
        let len = 1400 - (i as usize % 5) * 100;
        if i % 11 == 3 {
            c.next[1] += len as u32; // lost, acked by the client below
        } else if i % 7 == 2 {
            c.send_at_seq(false, PSH_ACK, s + 100, &block[100..len]);
            c.send_at_seq(false, PSH_ACK, s, &block[..200]); // overlaps the late one
            c.send_at_seq(false, PSH_ACK, s + 100, &block[100..len]); // and again
            c.next[1] = s + len as u32;
        } else {
            c.send(false, PSH_ACK, &block[..len]);
        }
        c.send(true, ACK, b"");
    }
    close(&mut c);
    check_fixture("long.pcap", Link::NullLe, &c.frames, &[0]);
}

#[test]
fn snapshot_length_cuts_are_passed_over_like_tshark() {
    // Frames cut at 80 bytes (tcpdump -s 80): each segment's tail is not in
    // the file but takes sequence space; tshark prints what was captured.
    let mut c = conn();
    c.options = false;
    c.send(true, PSH_ACK, &[b'A'; 100]);
    c.send(true, PSH_ACK, &[b'B'; 50]);
    c.send(false, PSH_ACK, b"short answer");
    c.send(true, ACK, b"");
    let dir = tempdir();
    let path = path_in(&dir, "snaplen.pcap");
    let mut file = Vec::new();
    for v in [0xa1b2c3d4u32, 0x0004_0002, 0, 0, 80, 0] {
        file.extend_from_slice(&v.to_le_bytes());
    }
    for f in &c.frames {
        let cap = f.data.len().min(80);
        for v in [
            (f.ts_nanos / 1_000_000_000) as u32,
            0,
            cap as u32,
            f.data.len() as u32,
        ] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file.extend_from_slice(&f.data[..cap]);
    }
    std::fs::write(&path, file).unwrap();
    let p = path.to_str().unwrap();
    check_stream(p, 0);
    let out = ours(p, 0, "ascii");
    assert!(!out.contains("missing"), "{out}");
    assert!(
        out.contains(&format!("\n{}\nBBBB", 80 - 4 - 20 - 20)),
        "{out}"
    );
}

#[test]
fn display_filter_picks_the_stream_of_the_first_match() {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample_capture/http_loopback.pcapng"
    );
    // Port 36696 is the client port of stream 2 in the sample.
    let (by_filter, err, code) = coffeeshark(&["follow", sample, "-Y", "tcp.srcport == 36696"]);
    assert_eq!(code, 0, "{err}");
    let (by_index, _, _) = coffeeshark(&["follow", sample, "--stream", "2"]);
    assert_eq!(by_filter, by_index);
    let (_, err, code) = coffeeshark(&["follow", sample, "-Y", "tcp.port == 9"]);
    assert_eq!(code, 2);
    assert!(err.contains("no TCP packet matches"), "{err}");
    let (_, err, code) = coffeeshark(&["follow", sample, "-Y", "tcp.prot"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("tcp.prot is neither a field nor a protocol name"),
        "{err}"
    );
}

/// tshark's spelling on `read`: `-q -z follow,tcp|tls,MODE,N` prints what
/// `tshark -q -z ...` prints, and without `-q` the packet list comes first,
/// as in tshark. An unknown statistic is refused, naming what is known.
#[test]
fn z_follow_on_read_equals_tsharks() {
    let f = "sample_capture/coffee_brew.pcapng";
    let mut compared = 0;
    for (args, tls) in [
        (vec!["-r", f, "-q", "-z", "follow,tcp,ascii,1"], false),
        (vec!["-r", f, "-q", "-z", "follow,tcp,hex,0"], false),
        (vec!["-r", f, "-q", "-z", "follow,tcp,raw,2"], false),
        (
            vec![
                "-r",
                f,
                "-Y",
                "tcp.port != 5030",
                "-z",
                "follow,tcp,ascii,0",
            ],
            false,
        ),
        (
            vec![
                "-r",
                "sample_capture/coffee_https.pcapng",
                "-q",
                "-o",
                "tls.keylog_file:sample_capture/coffee_https.keys",
                "-z",
                "follow,tls,ascii,0",
            ],
            true,
        ),
    ] {
        let (ours, err, code) = coffeeshark(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let Some((theirs, _)) = tshark(&args) else {
            return;
        };
        assert_eq!(ours, theirs, "{args:?}");
        assert!(ours.contains(if tls { "Follow: tls" } else { "Follow: tcp" }));
        compared += 1;
    }
    assert_eq!(compared, 5);
    let (out, err, code) = coffeeshark(&["-r", f, "-q", "-z", "io,nosuch"]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(err.contains("Invalid -z argument \"io,nosuch\""), "{err}");
}
