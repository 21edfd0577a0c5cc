//! `coffeeshark read` on fixtures built in code (tests/support): every link
//! type of loopback captures, both pcap byte orders and resolutions, pcapng
//! with several interfaces and sections, gzip. Each fixture's packet list is
//! compared with a committed golden file and, where tshark is installed, with
//! what `tshark -r` prints for the same file, line for line.

mod support;

use support::*;

const REQUEST: &[u8] = b"coffee please\n";
const RESPONSE: &[u8] = b"here is your coffee, enjoy it while it is hot\n";

fn conn(link: Link, addrs: Addrs) -> TcpConn {
    TcpConn::new(link, addrs, 55433, 5030).exchange(REQUEST, RESPONSE)
}

/// Builds a fixture, checks it against its golden file and against tshark.
fn check(name: &str, build: impl FnOnce(&std::path::Path)) {
    let dir = tempdir();
    let path = path_in(&dir, name);
    build(&path);
    let p = path.to_str().unwrap();
    let (ours, err, code) = coffeeshark(&["read", p]);
    assert_eq!(code, 0, "{name}: coffeeshark failed: {err}");
    assert!(!ours.is_empty(), "{name}: no output");
    if let Some((theirs, tcode)) = tshark(&["-r", p]) {
        assert_eq!(tcode, 0, "{name}: tshark failed");
        pretty_diff(&theirs, &ours, &format!("{name} vs tshark"));
    }
    assert_golden(&format!("{name}.txt"), &ours);
}

fn pcap_of(link: Link, addrs: Addrs, opts: PcapOptions) -> impl FnOnce(&std::path::Path) {
    move |p| write_pcap(p, link.linktype(), &conn(link, addrs).frames, opts)
}

#[test]
fn ethernet_pcapng() {
    check("tcp_ethernet.pcapng", |p| {
        write_pcapng(
            p,
            &[NgInterface {
                linktype: 1,
                name: "lo",
            }],
            &conn(Link::Ethernet, LOOPBACK_V4).frames,
        )
    });
}

#[test]
fn ethernet_pcap_microseconds() {
    check(
        "tcp_ethernet.pcap",
        pcap_of(Link::Ethernet, LOOPBACK_V4, PCAP_US),
    );
}

#[test]
fn ethernet_pcap_nanoseconds_big_endian() {
    check(
        "tcp_ethernet_ns_be.pcap",
        pcap_of(
            Link::Ethernet,
            LOOPBACK_V4,
            PcapOptions {
                nanosecond: true,
                big_endian: true,
            },
        ),
    );
}

#[test]
fn null_little_endian() {
    check(
        "tcp_null_le.pcap",
        pcap_of(Link::NullLe, LOOPBACK_V4, PCAP_US),
    );
}

#[test]
fn null_big_endian() {
    check(
        "tcp_null_be.pcap",
        pcap_of(Link::NullBe, LOOPBACK_V4, PCAP_US),
    );
}

#[test]
fn null_ipv6_darwin() {
    check(
        "tcp_null_ipv6.pcap",
        pcap_of(Link::NullLe, LOOPBACK_V6, PCAP_US),
    );
}

#[test]
fn loop_openbsd() {
    check("tcp_loop.pcap", pcap_of(Link::Loop, LOOPBACK_V4, PCAP_US));
}

#[test]
fn linux_cooked_v1() {
    check("tcp_sll.pcap", pcap_of(Link::Sll, LOOPBACK_V4, PCAP_US));
}

#[test]
fn linux_cooked_v2() {
    check("tcp_sll2.pcap", pcap_of(Link::Sll2, LOOPBACK_V4, PCAP_US));
}

#[test]
fn raw_ip() {
    check("tcp_raw.pcap", pcap_of(Link::Raw, LOOPBACK_V4, PCAP_US));
}

#[test]
fn raw_ipv4_and_ipv6_link_types() {
    check(
        "tcp_raw4.pcap",
        pcap_of(Link::RawIpv4, LOOPBACK_V4, PCAP_US),
    );
    check(
        "tcp_raw6.pcap",
        pcap_of(Link::RawIpv6, LOOPBACK_V6, PCAP_US),
    );
}

#[test]
fn ipv6_ethernet() {
    check(
        "tcp_ipv6.pcap",
        pcap_of(Link::Ethernet, LOOPBACK_V6, PCAP_US),
    );
}

#[test]
fn vlan_tagged() {
    check(
        "tcp_vlan.pcap",
        pcap_of(Link::EthernetVlan(10), LOOPBACK_V4, PCAP_US),
    );
}

#[test]
fn capture_started_mid_connection() {
    check("tcp_midstream.pcap", |p| {
        let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 55433, 5030);
        c.send(true, PSH_ACK, REQUEST)
            .send(false, ACK, b"")
            .send(false, PSH_ACK, RESPONSE)
            .send(true, ACK, b"")
            .send(false, FIN_ACK, b"")
            .send(true, FIN_ACK, b"")
            .send(false, ACK, b"");
        write_pcap(p, 1, &c.frames, PCAP_US)
    });
}

#[test]
fn several_connections_and_port_reuse() {
    check("tcp_streams.pcapng", |p| {
        let a = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40000, 5031).exchange(REQUEST, RESPONSE);
        let mut b =
            TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40002, 5030).at(a.frames[3].ts_nanos + 1000);
        b.next = [7_000, 9_000];
        let b = b.exchange(REQUEST, RESPONSE);
        // Same 4-tuple as `a`, new ISN: Wireshark starts a new stream.
        let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40000, 5031).at(b
            .frames
            .last()
            .unwrap()
            .ts_nanos
            + 1000);
        c.next = [123_456, 654_321];
        let c = c.exchange(REQUEST, RESPONSE);
        let mut frames: Vec<Frame> = a
            .frames
            .into_iter()
            .chain(b.frames)
            .chain(c.frames)
            .collect();
        frames.sort_by_key(|f| f.ts_nanos);
        write_pcapng(
            p,
            &[NgInterface {
                linktype: 1,
                name: "lo",
            }],
            &frames,
        )
    });
}

#[test]
fn refused_and_reset() {
    check("tcp_refused.pcap", |p| {
        let mut c = TcpConn::new(Link::NullLe, LOOPBACK_V4, 50000, 5030);
        c.send(true, SYN, b"").send(false, RST_ACK, b"");
        write_pcap(p, 0, &c.frames, PCAP_US)
    });
}

#[test]
fn pcapng_two_interfaces_two_link_types() {
    check("two_interfaces.pcapng", |p| {
        let mut a = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 5031);
        a.interface = 0;
        let a = a.exchange(REQUEST, RESPONSE);
        let mut b =
            TcpConn::new(Link::Sll2, LOOPBACK_V4, 41001, 5030).at(a.frames[0].ts_nanos + 50_000);
        b.interface = 1;
        let b = b.exchange(REQUEST, RESPONSE);
        let mut frames: Vec<Frame> = a.frames.into_iter().chain(b.frames).collect();
        frames.sort_by_key(|f| f.ts_nanos);
        write_pcapng(
            p,
            &[
                NgInterface {
                    linktype: 1,
                    name: "lo",
                },
                NgInterface {
                    linktype: 276,
                    name: "any",
                },
            ],
            &frames,
        )
    });
}

#[test]
fn pcapng_hand_made_sections_spb_unknown_blocks_microseconds() {
    // Section 1: little endian, µs interface, an unknown block in between.
    // Section 2: big endian, ns interface, a Simple Packet Block.
    check("sections.pcapng", |p| {
        let frames = conn(Link::Ethernet, LOOPBACK_V4).frames;
        let mut bytes = ng::shb(false);
        bytes.extend(ng::idb(false, 1, 6, "lo"));
        for f in &frames[..5] {
            bytes.extend(ng::epb(false, 0, f.ts_nanos / 1000, &f.data));
        }
        bytes.extend(ng::unknown(false));
        bytes.extend(ng::shb(true));
        bytes.extend(ng::idb(true, 1, 9, "lo"));
        for f in &frames[5..9] {
            bytes.extend(ng::epb(true, 0, f.ts_nanos, &f.data));
        }
        bytes.extend(ng::spb(true, &frames[9].data));
        std::fs::write(p, bytes).unwrap();
    });
}

#[test]
fn gzip_compressed_pcapng() {
    check("tcp_ethernet.pcapng.gz", |p| {
        let dir = tempdir();
        let plain = path_in(&dir, "plain.pcapng");
        write_pcapng(
            &plain,
            &[NgInterface {
                linktype: 1,
                name: "lo",
            }],
            &conn(Link::Ethernet, LOOPBACK_V4).frames,
        );
        let raw = std::fs::read(&plain).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, &raw).unwrap();
        std::fs::write(p, enc.finish().unwrap()).unwrap();
    });
}

#[test]
fn udp_datagrams() {
    check("udp.pcap", |p| {
        let mut frames = Vec::new();
        for (i, (s, d, payload)) in [
            (40000u16, 40001u16, &b"hello"[..]),
            (40001, 40000, b"world!"),
        ]
        .iter()
        .enumerate()
        {
            let b = etherparse::PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).udp(*s, *d);
            let mut ip = Vec::new();
            b.write(&mut ip, payload).unwrap();
            frames.push(Frame {
                ts_nanos: 1_795_000_000_000_000_000 + i as u64 * 1000,
                data: Link::NullLe.frame(&ip),
                interface: 0,
            });
        }
        write_pcap(p, 0, &frames, PCAP_US)
    });
}

/// A client that resets its connection while the response is still coming
/// (a load generator stopped mid-response), built in code: the server's
/// segments in flight after the RST complete the response, as tshark
/// reassembles them (the list equals tshark's line for line); without them
/// the `http` table says the RST cut the response.
#[test]
fn response_segments_after_the_clients_rst() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1200\r\nContent-Type: text/plain\r\n\r\n";
    let body = [b'c'; 1200];
    let build = |rest_arrives: bool| {
        let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 8080);
        handshake(&mut c);
        c.send(
            true,
            PSH_ACK,
            b"GET /f1200.txt HTTP/1.1\r\nHost: lo\r\n\r\n",
        )
        .send(false, ACK, b"");
        let mut first = head.to_vec();
        first.extend_from_slice(&body[..500]);
        c.send(false, PSH_ACK, &first).send(true, RST_ACK, b"");
        if rest_arrives {
            c.send(false, PSH_ACK, &body[500..]);
        }
        c
    };
    let dir = tempdir();
    for (name, rest_arrives) in [("rst_then_rest.pcap", true), ("rst_cut.pcap", false)] {
        let path = path_in(&dir, name);
        write_pcap(
            &path,
            Link::Ethernet.linktype(),
            &build(rest_arrives).frames,
            PCAP_US,
        );
        keep_fixture(&path);
        let p = path.to_str().unwrap();
        let (ours, err, code) = coffeeshark(&["read", p]);
        assert_eq!(code, 0, "{err}");
        if let Some((theirs, _)) = tshark(&["-r", p, "-d", "tcp.port==8080,http"]) {
            pretty_diff(&theirs, &ours, &format!("{name} vs tshark"));
        }
        let (table, err, code) = coffeeshark(&["http", p, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let rows: serde_json::Value = serde_json::from_str(&table).unwrap();
        let row = &rows.as_array().unwrap()[0];
        if rest_arrives {
            assert_eq!(row["status"], 200, "{row}");
            assert_eq!(row["response_frame"], 8, "{row}");
            assert!(row["response_reset_in"].is_null(), "{row}");
        } else {
            // Frame 7 is the client's RST.
            assert_eq!(row["response_reset_in"], 7, "{row}");
        }
    }
}
