//! `read -z ...`: tshark's statistics, byte for byte against tshark 4.0
//! (`tshark -n`: coffeeshark never resolves names) on every bundled
//! capture and on fixtures built in code: conversations and endpoints of
//! every layer, the protocol hierarchy, io,stat with filters and
//! calculations, the HTTP trees and http,stat, the expert summary; several
//! `-z` in one run (printed the last first), with and without `-q` and
//! `-Y`; errors for unknown and malformed `-z`. Our `htcpcp,tree` is
//! checked against a golden file and against the lab's facts.
//!
//! tshark has no HTCPCP dissector: it shows the pot's traffic as HTTP, as
//! data on an HTTP stream or as TCP, coffeeshark as HTCPCP. The statistics
//! that name protocols (io,phs, the HTTP ones, expert) are therefore
//! compared with a filter leaving the pot's port out, in both tools
//! (`-z io,phs,!(tcp.port==5030)`); [`htcpcp_frames_are_the_only_difference`]
//! shows that the frames left out are exactly coffeeshark's HTCPCP frames.

mod support;

use support::*;

const POT: u16 = 5030;

/// The bundled captures: path, the pot's port, the key log if any.
fn samples() -> Vec<(String, u16)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for dir in ["sample_capture", "tests/captures", "tests/captures/roles"] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "pcapng" || e == "pcap" || e == "gz")
            })
            .collect();
        files.sort();
        for f in files {
            let name = f.to_str().unwrap().to_string();
            let pot = if name.contains("lab_moved") {
                6130
            } else {
                POT
            };
            out.push((name, pot));
        }
    }
    assert!(out.len() >= 19, "{out:?}");
    out
}

/// Runs both tools with the same arguments (tshark with `-n`); compares
/// their standard output. Returns false when tshark is not installed.
fn compare(args: &[&str], what: &str) -> bool {
    let (ours, err, code) = coffeeshark(args);
    assert_eq!(code, 0, "{what}: {err}");
    let mut targs = vec!["-n"];
    targs.extend_from_slice(args);
    let Some((theirs, tcode)) = tshark(&targs) else {
        return false;
    };
    assert_eq!(tcode, 0, "{what}: tshark failed");
    pretty_diff(&theirs, &ours, what);
    true
}

/// Every statistic, in one run: `pot` is the port left out of those that
/// name protocols.
fn all_statistics(pot: u16) -> Vec<String> {
    let off = format!("!(tcp.port=={pot})");
    let mut z: Vec<String> = [
        "conv,tcp",
        "conv,ip",
        "conv,ipv6",
        "conv,udp",
        "conv,eth",
        "endpoints,tcp",
        "endpoints,ip",
        "endpoints,ipv6",
        "endpoints,udp",
        "endpoints,eth",
        "io,stat,0",
        "io,stat,1",
        "io,stat,0.25",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    z.extend([
        format!("io,phs,{off}"),
        // Filters, calculations over fields a filter names (tshark sees
        // no other field's values: MIN of the window and MAX of the
        // length stay 0), FRAMES and BYTES, an empty column.
        format!(
            "io,stat,0.01,tcp.len>0,{off} && http,COUNT(tcp.analysis.flags)tcp.analysis.flags,\
             SUM(tcp.len)tcp.len,MIN(tcp.window_size)tcp.len > 0,MAX(frame.len),\
             AVG(tcp.time_delta)tcp.time_delta,FRAMES,BYTES()udp,,MAX(tcp.len)tcp"
        ),
        format!("http,tree,{off}"),
        format!("http_req,tree,{off}"),
        format!("http_srv,tree,{off}"),
        format!("http,stat,{off}"),
        format!("expert,{off}"),
    ]);
    z
}

fn with_z<'a>(mut args: Vec<&'a str>, z: &'a [String]) -> Vec<&'a str> {
    for s in z {
        args.extend(["-z", s.as_str()]);
    }
    args
}

#[test]
fn every_statistic_equals_tsharks_on_every_sample() {
    let mut compared = 0;
    for (file, pot) in samples() {
        let z = all_statistics(pot);
        let args = with_z(vec!["-r", &file, "-q"], &z);
        if compare(&args, &format!("-z ... on {file}")) {
            compared += 1;
        }
    }
    eprintln!("{compared} captures compared with tshark");
}

/// HTTP inside TLS, decrypted with the key log, counts as HTTP; the TLS
/// records reassembled from segments and the HTTP messages reassembled
/// from records (`tls.segments`) sit where tshark puts them.
#[test]
fn decrypted_https_equals_tsharks() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (cap, keys) in [
        ("coffee_https.pcapng", "coffee_https.keys"),
        ("tls_openssl.pcapng", "tls_openssl.keys"),
    ] {
        let file = format!("{root}/sample_capture/{cap}");
        let pref = format!("tls.keylog_file:{root}/sample_capture/{keys}");
        let z = all_statistics(POT);
        let args = with_z(vec!["-r", &file, "-o", &pref, "-q"], &z);
        compare(&args, &format!("-z ... on {cap} with its key log"));
    }
}

/// TCP's expert items and the data of odd segments on fixtures made to
/// contain each case (tests/tcp_analysis.rs builds the same ones), and
/// every link type, IPv6, UDP, port reuse for the tables.
#[test]
fn fixtures_equal_tsharks() {
    let dir = tempdir();
    for (name, linktype, frames) in fixtures() {
        let path = path_in(&dir, name);
        write_pcap(&path, linktype, &frames, PCAP_US);
        keep_fixture(&path);
        let p = path.to_str().unwrap();
        let z = all_statistics(POT);
        let args = with_z(vec!["-r", p, "-q"], &z);
        compare(&args, &format!("-z ... on fixture {name}"));
    }
}

const DATA: &[u8] = b"0123456789";

fn fixtures() -> Vec<(&'static str, u32, Vec<Frame>)> {
    let mut out = Vec::new();
    let new = |port| TcpConn::new(Link::Ethernet, LOOPBACK_V4, port, POT);

    let mut c = new(40100);
    handshake(&mut c);
    let seq = c.next[0];
    c.send(true, PSH_ACK, DATA);
    c.ts_nanos += 200_000_000;
    c.send_at_seq(true, PSH_ACK, seq, DATA);
    c.send(false, ACK, b"");
    teardown(&mut c);
    out.push(("retransmission.pcap", 1, c.frames));

    let mut c = new(40101);
    handshake(&mut c);
    let seq = c.next[0];
    c.send(true, PSH_ACK, DATA).send(false, ACK, b"");
    c.ts_nanos += 200_000_000;
    c.send_at_seq(true, PSH_ACK, seq, DATA);
    teardown(&mut c);
    out.push(("spurious.pcap", 1, c.frames));

    let mut c = new(40102);
    handshake(&mut c);
    let first = c.next[0];
    c.send_at_seq(true, PSH_ACK, first.wrapping_add(10), DATA);
    c.send_at_seq(true, PSH_ACK, first, DATA);
    c.next[0] = first.wrapping_add(20);
    c.send(false, ACK, b"");
    teardown(&mut c);
    out.push(("out_of_order.pcap", 1, c.frames));

    let mut c = new(40103);
    handshake(&mut c);
    let first = c.next[0];
    c.send(true, PSH_ACK, DATA);
    c.send_at_seq(true, PSH_ACK, first.wrapping_add(20), DATA);
    c.next[0] = first.wrapping_add(30);
    c.send(false, ACK, b"");
    teardown(&mut c);
    out.push(("lost.pcap", 1, c.frames));

    let mut c = new(40104);
    handshake(&mut c);
    let first = c.next[0];
    c.send(true, PSH_ACK, DATA);
    c.send(false, ACK, b"");
    for k in 2..5u32 {
        c.send_at_seq(true, PSH_ACK, first.wrapping_add(10 * k), DATA);
        c.send(false, ACK, b"");
    }
    c.send_at_seq(true, PSH_ACK, first.wrapping_add(10), DATA);
    c.next[0] = first.wrapping_add(50);
    c.send(false, ACK, b"");
    teardown(&mut c);
    out.push(("dup_ack.pcap", 1, c.frames));

    let mut c = new(40105);
    handshake(&mut c);
    c.send(true, PSH_ACK, DATA);
    c.window[1] = 0;
    c.send(false, ACK, b"");
    c.send(true, PSH_ACK, b"x");
    c.next[0] = c.next[0].wrapping_sub(1);
    c.send(false, ACK, b"");
    c.window[1] = 400;
    c.send(false, ACK, b"");
    c.send(true, PSH_ACK, DATA);
    c.send(false, ACK, b"");
    teardown(&mut c);
    out.push(("windows.pcap", 1, c.frames));

    let mut c = new(40106);
    handshake(&mut c);
    c.send(true, PSH_ACK, DATA).send(false, ACK, b"");
    c.ts_nanos += 45_000_000_000;
    let ka = c.next[0].wrapping_sub(1);
    c.send_at_seq(true, ACK, ka, b"");
    c.send(false, ACK, b"");
    teardown(&mut c);
    out.push(("keepalive.pcap", 1, c.frames));

    let mut refused = new(40107);
    refused.send(true, SYN, b"").send(false, RST_ACK, b"");
    let mut reset = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40108, 5031).at(refused.ts_nanos);
    handshake(&mut reset);
    reset.send(true, PSH_ACK, DATA).send(false, RST_ACK, b"");
    let frames: Vec<Frame> = refused.frames.into_iter().chain(reset.frames).collect();
    out.push(("rst.pcap", 1, frames));

    // The same 4-tuple twice (a new stream, "ports reused"), an HTTP
    // exchange, IPv6.
    let a = new(40000).exchange(
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let mut b = new(40000).at(a.frames.last().unwrap().ts_nanos + 1000);
    b.next = [123_456, 654_321];
    let b = b.exchange(
        b"POST /x HTTP/1.1\r\nHost: y\r\nContent-Length: 1\r\n\r\nz",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    );
    let c = TcpConn::new(Link::Ethernet, LOOPBACK_V6, 40001, 8080)
        .at(b.frames.last().unwrap().ts_nanos + 1000)
        .exchange(b"HEAD / HTTP/1.0\r\n\r\n", b"HTTP/1.0 299 Odd\r\n\r\n");
    let frames: Vec<Frame> = a
        .frames
        .into_iter()
        .chain(b.frames)
        .chain(c.frames)
        .collect();
    out.push(("streams.pcap", 1, frames));

    // Every link type; VLAN tags; UDP.
    for (name, link, addrs) in [
        ("null.pcap", Link::NullLe, LOOPBACK_V4),
        ("null_v6.pcap", Link::NullLe, LOOPBACK_V6),
        ("loop.pcap", Link::Loop, LOOPBACK_V4),
        ("sll.pcap", Link::Sll, LOOPBACK_V4),
        ("sll2.pcap", Link::Sll2, LOOPBACK_V6),
        ("raw.pcap", Link::Raw, LOOPBACK_V4),
        ("vlan.pcap", Link::EthernetVlan(42), LOOPBACK_V4),
    ] {
        let c = TcpConn::new(link, addrs, 55433, POT).exchange(DATA, DATA);
        out.push((name, link.linktype(), c.frames));
    }
    let mut frames = Vec::new();
    for (i, (s, d, payload)) in [
        (40000u16, 40001u16, &b"hello"[..]),
        (40001, 40000, b"world!"),
        (40002, 40001, b""),
    ]
    .iter()
    .enumerate()
    {
        let b = etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).udp(*s, *d);
        let mut ip = Vec::new();
        b.write(&mut ip, payload).unwrap();
        frames.push(Frame {
            ts_nanos: 1_795_000_000_000_000_000 + i as u64 * 300_000_000,
            data: Link::Ethernet.frame(&ip),
            interface: 0,
        });
    }
    out.push(("udp.pcap", 1, frames));
    out
}

/// What the pot filter leaves out is exactly coffeeshark's HTCPCP: the
/// protocol hierarchy's `htcpcp` frames are `read -Y htcpcp`'s, and every
/// other line of the hierarchy equals tshark's on the same frames.
#[test]
fn htcpcp_frames_are_the_only_difference() {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{root}/sample_capture/coffee_418_406.pcapng");
    let (phs, _, code) = coffeeshark(&["-r", &file, "-q", "-z", "io,phs,tcp.port==5030"]);
    assert_eq!(code, 0);
    let (htcpcp, _, _) = coffeeshark(&["-r", &file, "-Y", "htcpcp"]);
    let n = htcpcp.lines().count();
    assert!(
        phs.contains(&format!(
            "      htcpcp                             frames:{n} "
        )),
        "{phs}"
    );
    // The pot's frames hold no HTTP for us; tshark takes its GETs
    // (`HTTP/1.1`) for HTTP and the answers for data on an HTTP stream.
    assert!(!phs.contains("http "), "{phs}");
    if let Some((theirs, _)) = tshark(&["-r", &file, "-q", "-z", "io,phs,tcp.port==5030"]) {
        assert!(theirs.contains("      http "), "{theirs}");
        assert!(!theirs.contains("htcpcp"), "{theirs}");
    }
}

/// `htcpcp,tree` on the lab's 418/406 capture: a golden file, and the
/// lab's facts (LAB.md) counted independently from the pot's raw bytes —
/// each request's method, each response's code.
#[test]
fn htcpcp_tree_golden_and_lab_facts() {
    let root = env!("CARGO_MANIFEST_DIR");
    for cap in ["coffee_418_406", "coffee_brew", "homepage_coffee"] {
        let file = format!("{root}/sample_capture/{cap}.pcapng");
        let (ours, err, code) = coffeeshark(&["-r", &file, "-q", "-z", "htcpcp,tree"]);
        assert_eq!(code, 0, "{err}");
        assert_golden(&format!("stats/{cap}.htcpcp_tree.txt"), &ours);
        let count = |label: &str| -> u32 {
            ours.lines()
                .map(str::trim_start)
                .find(|l| l.starts_with(label))
                .and_then(|l| l[label.len()..].split_whitespace().next())
                .map_or(0, |n| n.parse().unwrap())
        };
        // The pot's messages from the payload of TCP port 5030, as the
        // lab's pot reads them: one request and one response per connection.
        let (methods, codes) = pot_messages(&file);
        assert_eq!(
            count("Total HTCPCP Packets") as usize,
            methods.len() + codes.len(),
            "{cap}"
        );
        assert_eq!(count("HTCPCP Request Packets") as usize, methods.len());
        for m in ["BREW", "GET", "POST", "PROPFIND", "WHEN", "MILK"] {
            let n = methods.iter().filter(|x| *x == m).count() as u32;
            assert_eq!(count(&format!("{m} ")), n, "{cap} {m}");
        }
        for (c, name) in [
            (200, "200 OK"),
            (400, "400 Bad Request"),
            (404, "404 Not Found"),
            (406, "406 Not Acceptable"),
            (415, "415 Unsupported Media Type"),
            (418, "418 I'm a teapot"),
            (501, "501 Not Implemented"),
        ] {
            let n = codes.iter().filter(|x| **x == c).count() as u32;
            assert_eq!(count(name), n, "{cap} {c}");
        }
        if cap == "coffee_418_406" {
            // LAB.md: Use-Pot: tea gives 418, the chamomile addition 406,
            // and the four test routes 400, 404, 501 and 415.
            for c in [418, 406, 400, 404, 501, 415] {
                assert_eq!(codes.iter().filter(|x| **x == c).count(), 1, "{c}");
            }
        }
    }
}

/// Methods of the requests and codes of the responses on TCP port 5030,
/// read from the raw payload (tshark's `tcp.payload`, or our `-T fields`
/// when tshark is missing): the first line of each side of each stream.
fn pot_messages(file: &str) -> (Vec<String>, Vec<u16>) {
    let args = [
        "-r",
        file,
        "-Y",
        "tcp.port==5030 && tcp.len>0",
        "-T",
        "fields",
        "-e",
        "tcp.stream",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.payload",
    ];
    let text = match tshark(&args) {
        Some((t, _)) => t,
        None => coffeeshark(&args).0,
    };
    let mut seen = std::collections::HashSet::new();
    let (mut methods, mut codes) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (stream, sport, hex) = (cols[0], cols[1], cols[2].replace(':', ""));
        if !seen.insert((stream.to_string(), sport.to_string())) {
            continue;
        }
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let first = String::from_utf8_lossy(&bytes);
        let first = first.lines().next().unwrap_or("").to_string();
        let word = first.split(' ').next().unwrap_or("");
        if sport == "5030" {
            if word.starts_with("HTCPCP/") || word.starts_with("HTTP/") {
                codes.push(first.split(' ').nth(1).unwrap().parse().unwrap());
            }
        } else {
            methods.push(word.to_string());
        }
    }
    (methods, codes)
}

/// Several `-z` print the last first; without `-q` the packet list comes
/// first; `-Y` filters the list, not the statistics; `-c` stops both.
#[test]
fn several_statistics_with_and_without_q_and_y() {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{root}/sample_capture/http_loopback.pcapng");
    let f = file.as_str();
    for args in [
        vec![
            "-r",
            f,
            "-q",
            "-z",
            "io,phs",
            "-z",
            "conv,tcp",
            "-z",
            "http,tree",
        ],
        vec![
            "-r",
            f,
            "-z",
            "io,phs",
            "-Y",
            "http.request",
            "-z",
            "expert",
        ],
        vec![
            "-r",
            f,
            "-Y",
            "tcp.stream==1",
            "-z",
            "conv,ip",
            "-z",
            "io,phs,tcp.stream==1",
        ],
        vec![
            "-r",
            f,
            "-c",
            "20",
            "-z",
            "io,stat,0",
            "-z",
            "follow,tcp,ascii,1",
        ],
        vec![
            "-r",
            f,
            "-q",
            "-z",
            "follow,tcp,hex,0",
            "-z",
            "http,stat",
            "-z",
            "follow,tcp,raw,9",
        ],
    ] {
        compare(&args, &format!("{args:?}"));
    }
    let (out, _, _) = coffeeshark(&["-r", f, "-q", "-z", "io,phs", "-z", "conv,tcp"]);
    let (phs, conv) = (
        out.find("Protocol Hierarchy").unwrap(),
        out.find("TCP Conversations").unwrap(),
    );
    assert!(conv < phs, "the last -z comes first");
}

/// An unknown `-z` gets tshark's message, listing what is known; a bad
/// statistic or tap filter gets tshark's words; every one exits with 2
/// before the file is read (tshark: 1).
#[test]
fn unknown_and_malformed_statistics_are_refused() {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{root}/sample_capture/http_loopback.pcapng");
    let (out, err, code) = coffeeshark(&["-r", &file, "-q", "-z", "nosuch"]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(
        err.starts_with(
            "coffeeshark: Invalid -z argument \"nosuch\"; it must be one of:\n     conv,eth\n"
        ),
        "{err}"
    );
    for known in [
        "io,phs",
        "io,stat",
        "http,tree",
        "htcpcp,tree",
        "expert",
        "follow,tcp",
    ] {
        assert!(
            err.contains(&format!("\n     {known}\n")) || err.ends_with(known),
            "{known}"
        );
    }
    if let Some((_, tcode)) = tshark(&["-r", &file, "-q", "-z", "nosuch"]) {
        assert_ne!(tcode, 0);
    }
    for (z, message) in [
        ("conv,foo", "Invalid -z argument \"conv,foo\"; it must be one of:"),
        ("io,stat", "invalid \"-z io,stat,<interval>[,<filter>][,<filter>]...\" argument"),
        ("io,stat,x", "invalid \"-z io,stat,<interval>[,<filter>][,<filter>]...\" argument"),
        ("io,stat,1,SUM(nosuch)", "There is no field named 'nosuch'."),
        (
            "io,stat,1,SUM(tcp.flags.syn)",
            "tcp.flags.syn doesn't have integral values, so SUM(*) calculations are not supported on it.",
        ),
        (
            "io,phs,bad==",
            "Couldn't register io,phs tap: Filter \"bad==\" is invalid - ",
        ),
        (
            "http,tree,bad==",
            "stats_tree for: HTTP/Packet Counter failed to attach to the tap: Filter \"bad==\" is invalid - ",
        ),
        ("follow,tcp,bad,0", "follow - Invalid display mode."),
        ("follow,tcp,ascii,x", "follow - Invalid address."),
    ] {
        let (out, err, code) = coffeeshark(&["-r", &file, "-q", "-z", z]);
        assert_eq!((out.as_str(), code), ("", 2), "{z}: {err}");
        assert!(err.contains(message), "{z}: {err}");
    }
}

/// The statistics are counted in the same pass that prints the packets:
/// a damaged file gives the statistics of the frames before the damage,
/// then the error.
#[test]
fn damaged_capture_counts_what_was_read() {
    let root = env!("CARGO_MANIFEST_DIR");
    let bytes = std::fs::read(format!("{root}/sample_capture/http_loopback.pcapng")).unwrap();
    let dir = tempdir();
    let cut = path_in(&dir, "cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() - 700]).unwrap();
    let p = cut.to_str().unwrap();
    let (out, err, code) = coffeeshark(&["-r", p, "-q", "-z", "io,phs"]);
    assert_eq!(code, 2);
    assert!(out.contains("Protocol Hierarchy Statistics"), "{out}");
    assert!(!err.is_empty());
    let (list, _, _) = coffeeshark(&["-r", p]);
    assert!(
        out.contains(&format!(
            "eth                                      frames:{} ",
            list.lines().count()
        )),
        "{out}"
    );
}
