//! Display filters (`-Y`) and `-T fields`: a table of filters, each run
//! through `coffeeshark read -Y` and, where tshark 4.0 has the same
//! language and fields, compared with `tshark -Y` frame for frame; wrong
//! filters with their exact messages; `-T fields` byte for byte.
//!
//! Fixtures: one pcapng with four interfaces (NULL as on macOS, Ethernet,
//! Ethernet with a VLAN tag, Linux SLL2 with IPv6) carrying the lab's ports
//! 5030/5031 plus UDP and ICMP, and the real `sample_capture/http_loopback.pcapng`.
//!
//! Not compared with tshark (and why):
//! - `htcpcp*`: tshark has no HTCPCP (the fixture's pot port is HTTP to
//!   it); checked against the frames the payload bytes pick, and the
//!   http/tls filters against tshark in `tests/app_fields.rs`;
//! - `xor`/`^^`, `true`/`false`: Wireshark 4.2 syntax, not in 4.0;
//! - sets without commas (`{5030 5031}`): tshark 4.0.17 refuses them
//!   (4.0's own manual shows that syntax; 4.2 reads them);
//!
//! Each of those is checked against an equivalent filter tshark does run.

mod support;

use etherparse::PacketBuilder;
use std::path::{Path, PathBuf};
use support::*;

const SAMPLE: &str = "sample_capture/http_loopback.pcapng";

/// The multi-link fixture; returns its path.
fn fixture(dir: &tempfile::TempDir) -> PathBuf {
    let t0 = 1_795_000_000_000_000_000u64;
    let mut frames: Vec<Frame> = Vec::new();
    let mut add = |conn: TcpConn, iface: u32| {
        frames.extend(conn.frames.into_iter().map(|mut f| {
            f.interface = iface;
            f
        }));
    };
    // The lab on macOS loopback (NULL): browser -> web app, web app -> pot.
    add(
        TcpConn::new(Link::NullLe, LOOPBACK_V4, 50001, 5031)
            .at(t0)
            .exchange(
                b"GET /?method=brew&message=start HTTP/1.1\r\nHost: localhost:5031\r\n\r\n",
                b"HTTP/1.1 302 FOUND\r\nLocation: /\r\nContent-Length: 0\r\n\r\n",
            ),
        0,
    );
    add(
        TcpConn::new(Link::NullLe, LOOPBACK_V4, 50002, 5030)
            .at(t0 + 300_000)
            .exchange(
                b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: cream; rum\r\n\r\nstart",
                b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n",
            ),
        0,
    );
    // Ethernet (Linux loopback), other addresses.
    add(
        TcpConn::new(
            Link::Ethernet,
            Addrs::V4([10, 0, 0, 1], [10, 0, 0, 2]),
            50003,
            5030,
        )
        .at(t0 + 2_000_000)
        .exchange(
            b"PROPFIND coffee://ducky HTTP/1.1\r\n\r\n",
            b"HTCPCP/1.1 200 OK\r\n\r\n{}",
        ),
        1,
    );
    // Ethernet with a VLAN tag.
    add(
        TcpConn::new(
            Link::EthernetVlan(7),
            Addrs::V4([192, 168, 1, 10], [192, 168, 1, 20]),
            50004,
            9999,
        )
        .at(t0 + 4_000_000)
        .exchange(b"\x00\x01\x02BREWBREW\xff", b"\x42\x52\x45\x57"),
        2,
    );
    // Linux cooked v2 (any), IPv6.
    add(
        TcpConn::new(Link::Sll2, LOOPBACK_V6, 50005, 5031)
            .at(t0 + 6_000_000)
            .exchange(b"GET /log HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"),
        3,
    );
    // UDP and ICMP on Ethernet.
    let udp = {
        let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 9], 17).udp(40000, 40001);
        let mut v = Vec::new();
        b.write(&mut v, b"coffee?").unwrap();
        v
    };
    let icmp = {
        let b = PacketBuilder::ipv4([10, 0, 0, 9], [10, 0, 0, 1], 64).icmpv4_echo_request(7, 1);
        let mut v = Vec::new();
        b.write(&mut v, b"ping").unwrap();
        v
    };
    frames.push(Frame {
        ts_nanos: t0 + 8_000_000,
        data: Link::Ethernet.frame(&udp),
        interface: 1,
    });
    frames.push(Frame {
        ts_nanos: t0 + 8_100_000,
        data: Link::Ethernet.frame(&icmp),
        interface: 1,
    });
    frames.sort_by_key(|f| f.ts_nanos);
    let path = path_in(dir, "filters.pcapng");
    write_pcapng(
        &path,
        &[
            NgInterface {
                linktype: 0,
                name: "lo0",
            },
            NgInterface {
                linktype: 1,
                name: "lo",
            },
            NgInterface {
                linktype: 1,
                name: "eth0.7",
            },
            NgInterface {
                linktype: 276,
                name: "any",
            },
        ],
        &frames,
    );
    keep_fixture(&path);
    path
}

fn ours(file: &Path, filter: &str) -> Vec<u64> {
    let (out, err, code) = coffeeshark(&[
        "read",
        file.to_str().unwrap(),
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    assert_eq!(code, 0, "filter {filter:?} failed: {err}");
    out.lines().map(|l| l.parse().unwrap()).collect()
}

fn theirs(file: &Path, filter: &str) -> Option<Vec<u64>> {
    let (out, code) = tshark(&[
        "-r",
        file.to_str().unwrap(),
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ])?;
    assert_eq!(code, 0, "tshark refused {filter:?}");
    Some(out.lines().map(|l| l.parse().unwrap()).collect())
}

/// Filters tshark 4.0 runs the same way, over every field family and
/// operator and literal kind.
const SHARED: &[&str] = &[
    // The lab's filters (1).
    "(tcp.port == 5030) or (tcp.port == 5031)",
    // Existence of protocols and fields.
    "tcp",
    "udp",
    "icmp",
    "ip",
    "ipv6",
    "eth",
    "frame",
    "vlan",
    "null",
    "sll",
    "tcp.payload",
    "tcp.options.sack_perm",
    "tcp.analysis.flags",
    "!tcp",
    // Integers: every comparison, both spellings, hex, octal.
    "tcp.port == 5030",
    "tcp.port eq 5031",
    "tcp.srcport != 5030",
    "tcp.dstport ne 5030",
    "tcp.len > 0",
    "tcp.len gt 10",
    "tcp.len >= 20",
    "tcp.len ge 5",
    "frame.len < 70",
    "frame.len lt 60",
    "frame.len <= 66",
    "frame.len le 66",
    "tcp.dstport == 0x13a6",
    "tcp.window_size_value == 0777",
    "frame.number in {1, 3, 5..8}",
    "tcp.port in {5030, 5031}",
    "tcp.port in {5030..5031}",
    "tcp.port not in {5030, 5031}",
    "tcp.stream == 2",
    "tcp.seq == 1 && tcp.ack == 1",
    "tcp.nxtseq > tcp.seq",
    "tcp.srcport > tcp.dstport",
    // Booleans and bit tests.
    "tcp.flags.syn == 1",
    "tcp.flags.syn == 1 and tcp.flags.ack == 0",
    "tcp.flags.fin == True",
    "tcp.flags & 0x02",
    "tcp.flags & 0x11 && !tcp.flags.syn",
    "ip.flags.df == 0",
    "frame.len & 1",
    // Hex-displayed fields.
    "eth.type == 0x0800",
    "tcp.flags == 0x018",
    "ip.proto == 17",
    // Addresses: IPv4, CIDR, IPv6, MAC.
    "ip.addr == 127.0.0.1",
    "ip.addr == 10.0.0.0/8",
    "ip.src == 192.168.1.0/24",
    "ip.dst != 127.0.0.1",
    "ip.addr != 10.0.0.1",
    "ip.src > 10.0.0.1",
    "ipv6.addr == ::1",
    "ipv6.src == ::/0",
    "eth.addr == 00:00:00:00:00:00",
    "eth.src == 02:00:00:00:00:02",
    "eth.dst == 02-00-00-00-00-01",
    // Strings, bytes, contains, matches, slices.
    "tcp.payload contains \"BREW\"",
    "tcp.payload contains 42:52:45:57",
    "tcp.payload contains \"\\x42REW\"",
    "frame contains \"ducky\"",
    "tcp.payload matches \"^(GET|BREW) \"",
    "tcp.payload matches \"(?i)htcpcp/1\\\\.1 418\"",
    "tcp.payload[0:4] == \"BREW\"",
    "tcp.payload[0:3] == 00:01:02",
    "tcp.payload[-2:] == 57:ff",
    "tcp.payload == 42:52:45:57",
    "tcp.flags.str == \"·······AP···\"",
    "frame.interface_name == \"any\"",
    "frame.protocols contains \"vlan\"",
    // Times.
    "frame.time_relative > 0.004",
    "frame.time",
    "frame.time > \"2026-11-18 11:06:40.004Z\"",
    "frame.time <= \"Nov 18, 2026 11:06:40.0003 UTC\"",
    "frame.time >= \"2026-11-18T11:06:40.0001Z\" and frame.time < \"2026-11-19 00:00Z\"",
    "frame.time > \"2026-11-18T12:06:40.0002+01:00\"",
    "frame.offset_shift == 0",
    "frame.time_delta >= 0.000125",
    "tcp.time_relative > 0.0005",
    // UDP, ICMP.
    "udp.port == 40001",
    "udp.length == 15",
    "icmp.type == 8",
    // Logic and precedence.
    "tcp.port == 5030 || tcp.port == 5031 && tcp.len > 0",
    "(tcp.port == 5030 || tcp.port == 5031) && tcp.len > 0",
    "not tcp.port == 5030 and not udp",
    "!(tcp.flags.syn == 1 || tcp.flags.fin == 1) && tcp",
    "tcp and not (ip.addr == 127.0.0.1)",
    // HTTP (the fixture's pot port is HTTP to tshark, HTCPCP to us: only
    // filters that leave it out).
    "http && tcp.port == 5031",
    "http.request.method == \"GET\"",
    "http.response.code == 302",
    "http.response.code == 200 && tcp.port == 5031",
    "http.location == \"/\"",
    "http.host contains \"localhost\"",
    "http.request.uri contains \"brew\"",
    "http.response && !(tcp.port == 5030)",
    "tls",
];

/// Ours only, each with an equivalent filter that tshark runs.
const EQUIVALENT: &[(&str, &str)] = &[
    (
        "tcp.port == 5030 xor tcp.len > 0",
        "(tcp.port == 5030 && !(tcp.len > 0)) || (!(tcp.port == 5030) && tcp.len > 0)",
    ),
    (
        "tcp.flags.syn == 1 ^^ tcp.flags.ack == 1",
        "(tcp.flags.syn == 1 && tcp.flags.ack == 0) || (tcp.flags.syn == 0 && tcp.flags.ack == 1)",
    ),
    ("tcp.port in {5030 5031}", "tcp.port in {5030, 5031}"),
    ("5030 == tcp.port", "tcp.port == 5030"),
    ("1000 < frame.len", "frame.len > 1000"),
    (
        "frame.number in {1 2 10..12}",
        "frame.number in {1, 2, 10..12}",
    ),
    ("tcp.flags.syn == true", "tcp.flags.syn == 1"),
    ("tcp.flags.ack == false", "tcp.flags.ack == 0"),
    ("tcp.port any_ne 5030", "tcp.port ~= 5030"),
    ("tcp.port all_ne 5030", "tcp.port != 5030"),
    (
        "tcp.port ~= 5030",
        "tcp.srcport != 5030 || tcp.dstport != 5030",
    ),
];

fn check_shared(file: &Path) {
    let mut checked = 0;
    for f in SHARED {
        let ours = ours(file, f);
        if let Some(theirs) = theirs(file, f) {
            assert_eq!(ours, theirs, "{}: frames matching {f:?}", file.display());
            checked += 1;
        }
    }
    for (f, same) in EQUIVALENT {
        let a = ours(file, f);
        assert_eq!(a, ours(file, same), "{f:?} vs {same:?}");
        if let Some(theirs) = theirs(file, same) {
            assert_eq!(a, theirs, "{}: frames matching {f:?}", file.display());
        }
    }
    eprintln!("{checked} filters equal to tshark's on {}", file.display());
}

#[test]
fn filters_match_tshark_on_fixture() {
    let dir = tempdir();
    let file = fixture(&dir);
    // The fixture is made so that most filters select something.
    let all = ours(&file, "frame").len();
    assert_eq!(all, 52);
    assert_eq!(
        ours(&file, "(tcp.port == 5030) or (tcp.port == 5031)").len(),
        40
    );
    check_shared(&file);
}

#[test]
fn filters_match_tshark_on_sample() {
    check_shared(Path::new(SAMPLE));
}

/// The lab's filters on the dissectors of issue 4, on the fixture (whose
/// pot port tshark would read as HTTP): each against the same frames
/// picked by payload bytes alone.
#[test]
fn lab_filters_on_the_dissectors() {
    let dir = tempdir();
    let file = fixture(&dir);
    let port_5031 = ours(&file, "tcp.port == 5031");
    let with = ours(&file, "htcpcp or (tcp.port == 5031)");
    assert!(port_5031.iter().all(|n| with.contains(n)));
    assert!(with.len() > port_5031.len());
    let same = |a: &str, b: &str| {
        let x = ours(&file, a);
        assert!(!x.is_empty(), "{a} matches nothing");
        assert_eq!(x, ours(&file, b), "{a} vs {b}");
    };
    // Requests are complete in the segment that carries them.
    same(
        "http.request",
        "tcp.port == 5031 && tcp.payload matches \"^GET \"",
    );
    same(
        "http.request.method == \"GET\"",
        "tcp.port == 5031 && tcp.payload[0:4] == \"GET \"",
    );
    same(
        "http.response.code == 302",
        "tcp.payload contains \"HTTP/1.1 302\"",
    );
    same(
        "http.location == \"/\"",
        "tcp.payload contains \"Location: /\"",
    );
    same(
        "htcpcp.request",
        "tcp.port == 5030 && tcp.payload matches \"^(BREW|PROPFIND) \"",
    );
    same(
        "htcpcp.request.method == BREW",
        "tcp.payload[0:5] == \"BREW \"",
    );
    same(
        "htcpcp.addition contains \"cream\"",
        "tcp.payload contains \"Accept-Additions: cream\"",
    );
    same(
        "htcpcp.addition.accepted == 1",
        "tcp.payload contains \"Accept-Additions: cream\"",
    );
    same("htcpcp.request.scheme == \"coffee\"", "htcpcp.request");
    same(
        "http or htcpcp",
        "http.request or http.response or htcpcp.request or htcpcp.response",
    );
    // Responses without a length end with the connection: attributed to
    // the server's FIN (the 418, the PROPFIND's `{}`, /log's 200).
    for (f, payload) in [
        ("htcpcp.response.code == 418", "HTCPCP/1.1 418"),
        ("htcpcp.response.code == 200", "HTCPCP/1.1 200"),
        ("http.response.code == 200", "HTTP/1.1 200"),
    ] {
        let hit = ours(&file, f);
        assert_eq!(hit.len(), 1, "{f}");
        let fin = ours(&file, &format!("({f}) && tcp.flags.fin == 1"));
        assert_eq!(fin, hit, "{f} is on the FIN");
        let carrier = ours(&file, &format!("tcp.payload contains \"{payload}\""));
        assert_eq!(carrier.len(), 1);
        assert!(carrier[0] < hit[0]);
        let stream = |n: u64| {
            ours(&file, &format!("frame.number == {n} && tcp.stream == 0")).len()
                + 2 * ours(&file, &format!("frame.number == {n} && tcp.stream == 1")).len()
                + 3 * ours(&file, &format!("frame.number == {n} && tcp.stream == 2")).len()
                + 4 * ours(&file, &format!("frame.number == {n} && tcp.stream == 4")).len()
        };
        assert_eq!(stream(carrier[0]), stream(hit[0]), "{f}: same stream");
    }
    assert_eq!(
        ours(
            &file,
            "htcpcp.response.code == 418 || http.response.code == 304"
        )
        .len(),
        1
    );
    assert!(ours(&file, "tls").is_empty());
    assert!(ours(&file, "http.response.code == 304").is_empty());
    // TLS on the HTTPS sample: ClientHellos are the handshake records
    // (type 0x16) whose first message is type 1.
    let https = Path::new("sample_capture/coffee_https.pcapng");
    let hellos = ours(https, "tls.handshake.type == 1");
    assert!(hellos.len() > 10);
    assert_eq!(
        hellos,
        ours(https, "tcp.payload[0:1] == 16 && tcp.payload[5:1] == 01")
    );
    assert_eq!(
        ours(
            https,
            "tls.handshake.extensions_server_name == \"localhost\""
        ),
        hellos
    );
}

/// Wrong filters: message, expression, caret; exit 2 before the file is read.
#[test]
fn wrong_filters_and_their_messages() {
    let cases: &[(&str, &str)] = &[
        ("tcp.prot", "tcp.prot is neither a field nor a protocol name.\n    tcp.prot\n    ^~~~~~~~"),
        ("tcp.prot == 1", "Left side of \"==\" expression must be a field or function, not tcp.prot.\n    tcp.prot == 1\n    ^~~~~~~~"),
        ("tcp.port == 1 && foo", "foo is neither a field nor a protocol name.\n    tcp.port == 1 && foo\n                     ^~~"),
        ("tcp.port == ducky", "\"ducky\" is not a valid number.\n    tcp.port == ducky\n                ^~~~~"),
        ("tcp.port == \"ducky\"", "Unsigned integer (2 bytes) cannot be converted from a string (\"ducky\").\n    tcp.port == \"ducky\"\n                ^~~~~~~"),
        ("tcp.port == 70000", "\"70000\" too big for this field, maximum 65535.\n    tcp.port == 70000\n                ^~~~~"),
        ("frame.len > 70000000000000000000", "\"70000000000000000000\" causes an integer overflow.\n    frame.len > 70000000000000000000\n                ^~~~~~~~~~~~~~~~~~~~"),
        ("tcp.port ==", "Unexpected end of filter expression."),
        ("(tcp", "Unexpected end of filter expression."),
        ("tcp.port = = 1", "\"=\" was unexpected in this context.\n    tcp.port = = 1\n             ^"),
        ("tcp.port == 5030..5031", "\"..\" was unexpected in this context.\n    tcp.port == 5030..5031\n                    ^~"),
        ("ip.addr == 1.2.3", "\"1.2.3\" is not a valid hostname or IPv4 address.\n    ip.addr == 1.2.3\n               ^~~~~"),
        ("ip.addr == ::1", "\"::1\" is not a valid hostname or IPv4 address.\n    ip.addr == ::1\n               ^~~"),
        ("ipv6.addr == 127.0.0.1", "\"127.0.0.1\" is not a valid hostname or IPv6 address.\n    ipv6.addr == 127.0.0.1\n                 ^~~~~~~~~"),
        ("ip.src == 127.0.0.0/33", "Netmask bits in a CIDR IPv4 address should be <= 32, not 33\n    ip.src == 127.0.0.0/33\n              ^~~~~~~~~~~~"),
        ("ip.src == \"127.0.0.1\"", "IPv4 address cannot be converted from a string (\"127.0.0.1\").\n    ip.src == \"127.0.0.1\"\n              ^~~~~~~~~~~"),
        ("eth.src == 00:00:00", "\"00:00:00\" contains too few bytes to be a valid Ethernet address.\n    eth.src == 00:00:00\n               ^~~~~~~~"),
        ("ip.src matches \"1\"", "ip.src (type=IPv4 address) cannot participate in matches comparison.\n    ip.src matches \"1\"\n    ^~~~~~"),
        ("tcp.seq ~ 1", "Matches requires a double quoted string on the right side.\n    tcp.seq ~ 1\n              ^"),
        ("tcp.port contains 80", "tcp.port (type=Unsigned integer (2 bytes)) cannot participate in contains comparison.\n    tcp.port contains 80\n    ^~~~~~~~"),
        ("tcp.flags.syn == \"yes\"", "\"yes\" cannot be found among the possible values for tcp.flags.syn.\n    tcp.flags.syn == \"yes\"\n                     ^~~~~"),
        ("frame.time_relative > \"x\"", "Time offset cannot be converted from a string (\"x\").\n    frame.time_relative > \"x\"\n                          ^~~"),
        ("frame.time < \"2026-11-19Z\"", "Unexpected data after time value.\n    frame.time < \"2026-11-19Z\"\n                 ^~~~~~~~~~~~~"),
        ("frame.time == \"Nov 18, 2026 11:06\"", "\"Nov 18, 2026 11:06\" is not a valid absolute time. Example: \"Nov 12, 1999 08:55:44.123\" or \"2011-07-04 12:34:56\"\n    frame.time == \"Nov 18, 2026 11:06\"\n                  ^~~~~~~~~~~~~~~~~~~~"),
        ("tcp.port in {8000 ducky}", "\"ducky\" is not a valid number.\n    tcp.port in {8000 ducky}\n                      ^~~~~"),
        ("\"abc\"", "\"abc\" is neither a field nor a protocol name.\n    \"abc\"\n    ^~~~~"),
        ("tcp.analysis.flags == 1", "tcp.analysis.flags (type=Label) cannot participate in == comparison.\n    tcp.analysis.flags == 1\n    ^~~~~~~~~~~~~~~~~~"),
        ("tcp.payload matches \"(\"", "Regex compilation error: unclosed group."),
        ("http.request.uri contains \"x", "The final quote was missing from a quoted string.\n    http.request.uri contains \"x\n                                ^"),
        ("tcp.port == 1 and", "Unexpected end of filter expression."),
        ("tcp.port == 5030)", "\")\" was unexpected in this context.\n    tcp.port == 5030)\n                    ^"),
        ("tcp.port @ 1", "\"@\" was unexpected in this context.\n    tcp.port @ 1\n             ^"),
        ("", "The filter expression is empty.\n    \n    ^"),
    ];
    assert!(cases.len() >= 15);
    for (f, msg) in cases {
        let (_, err, code) = coffeeshark(&["filter", "check", f]);
        assert_eq!(code, 2, "{f:?} should be refused");
        assert_eq!(err, format!("coffeeshark: {msg}\n"), "message for {f:?}");
        // `read -Y` refuses it the same way, before opening the file.
        let (out, err2, code) = coffeeshark(&["read", "/nonexistent/file.pcap", "-Y", f]);
        assert_eq!((out.as_str(), err2.as_str(), code), ("", err.as_str(), 2));
    }
    let (out, _, code) = coffeeshark(&["--check-filter", "htcpcp or (tcp.port == 5031)"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok"));
}

/// `-T fields` equals tshark's byte for byte, all options.
#[test]
fn fields_output_equals_tshark() {
    let dir = tempdir();
    let file = fixture(&dir);
    let common = [
        "frame.number",
        "frame.time_epoch",
        "frame.time_relative",
        "frame.time",
        "frame.offset_shift",
        "frame.time_delta",
        "frame.len",
        "frame.cap_len",
        "frame.interface_id",
        "frame.interface_name",
        "frame",
        "ip.src",
        "ip.dst",
        "ip.addr",
        "ip.proto",
        "ip.ttl",
        "ip.id",
        "ip.flags",
        "ip.dsfield",
        "ip.checksum",
        "ip.flags.df",
        "ipv6.src",
        "ipv6.addr",
        "ipv6.flow",
        "ipv6.nxt",
        "eth.src",
        "eth.addr",
        "eth.type",
        "null.family",
        "sll.etype",
        "vlan.id",
        "tcp.srcport",
        "tcp.port",
        "tcp.stream",
        "tcp.seq",
        "tcp.ack",
        "tcp.nxtseq",
        "tcp.len",
        "tcp.flags",
        "tcp.flags.syn",
        "tcp.flags.str",
        "tcp.window_size",
        "tcp.checksum",
        "tcp.options.sack_perm",
        "tcp.options.timestamp.tsval",
        "tcp.options.mss_val",
        "tcp.analysis.flags",
        "tcp.completeness",
        "tcp.time_relative",
        "tcp.time_delta",
        "tcp.payload",
        "tcp",
        "ip",
        "udp.port",
        "udp.length",
        "udp",
        "icmp.type",
        "icmp.code",
    ];
    // Not `frame.protocols`, `data.*`: tshark's heuristics find HTTP on
    // port 5031 (issue 4 brings ours).
    let fixture_only = ["vlan.etype", "sll.ifindex"];
    let mut cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            file.clone(),
            common.iter().chain(fixture_only.iter()).copied().collect(),
        ),
        (PathBuf::from(SAMPLE), common.to_vec()),
    ];
    cases.push((file.clone(), vec!["tcp.port", "ip.addr"]));
    let options: &[&[&str]] = &[
        &[],
        &["-E", "header=y", "-E", "separator=,", "-E", "quote=d"],
        &["-E", "occurrence=f", "-E", "separator=/s"],
        &["-E", "occurrence=l", "-E", "quote=s", "-E", "header=y"],
        &["-E", "occurrence=a", "-E", "aggregator=/s"],
    ];
    for (path, fields) in &cases {
        for opts in options {
            let mut args: Vec<&str> = vec!["-r", path.to_str().unwrap(), "-T", "fields"];
            for f in fields {
                args.extend(["-e", f]);
            }
            args.extend(opts.iter());
            let (ours, err, code) = coffeeshark(&args);
            assert_eq!(code, 0, "{err}");
            if let Some((theirs, _)) = tshark(&args) {
                pretty_diff(
                    &theirs,
                    &ours,
                    &format!("-T fields {opts:?} on {}", path.display()),
                );
            }
        }
    }
    // With a filter, and an unknown field.
    let args = [
        "-r",
        SAMPLE,
        "-Y",
        "tcp.len > 0",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tcp.len",
    ];
    let (ours, _, _) = coffeeshark(&args);
    if let Some((theirs, _)) = tshark(&args) {
        assert_eq!(ours, theirs);
    }
    let (_, err, code) = coffeeshark(&["-r", SAMPLE, "-T", "fields", "-e", "tcp.prot"]);
    assert_eq!(code, 2);
    assert_eq!(err, "coffeeshark: Some fields aren't valid:\n\ttcp.prot\n");
}

/// `-Y` restricts the other outputs too, and -c counts packets read.
#[test]
fn filter_applies_to_every_output() {
    let (list, _, _) = coffeeshark(&["read", SAMPLE, "-Y", "tcp.stream == 1"]);
    assert_eq!(list.lines().count(), 12);
    let (full, _, _) = coffeeshark(&["read", SAMPLE]);
    let expected: Vec<&str> = full.lines().skip(12).take(12).collect();
    assert_eq!(list.lines().collect::<Vec<_>>(), expected);
    let (json, _, _) = coffeeshark(&["read", SAMPLE, "-Y", "tcp.stream == 1", "-T", "jsonl"]);
    assert_eq!(json.lines().count(), 12);
    let (v, _, _) = coffeeshark(&["read", SAMPLE, "-Y", "frame.number == 3", "-V"]);
    assert!(v.starts_with("Frame 3:"), "{v}");
    let (c, _, _) = coffeeshark(&["read", SAMPLE, "-Y", "tcp.len > 0", "-c", "5"]);
    assert_eq!(
        c.lines().count(),
        1,
        "-c 5 reads frames 1..5, of which frame 4 has data"
    );
}

#[test]
fn fields_lists_the_registry() {
    let (out, _, code) = coffeeshark(&["fields"]);
    assert_eq!(code, 0);
    for needle in [
        "P\tTransmission Control Protocol\ttcp\n",
        "F\tSource or Destination Port\ttcp.port\tFT_UINT16\ttcp\tBASE_DEC\t0x0\t\n",
        "F\tSource or Destination Address\tip.addr\tFT_IPv4\tip\t\t0x0\t\n",
        "F\tFlags\ttcp.flags\tFT_UINT16\ttcp\tBASE_HEX\t0x0\t\n",
        "\thtcpcp.request.method\tFT_STRING\thtcpcp\t",
        "\thttp.response.code\tFT_UINT16\thttp\t",
    ] {
        assert!(out.contains(needle), "missing {needle:?}");
    }
    let (tcp, _, _) = coffeeshark(&["fields", "htcpcp"]);
    assert!(tcp.lines().all(|l| l.contains("\thtcpcp")));
    assert_eq!(tcp.lines().count(), 24);
}

/// `Filter::needs_messages` lets `read -Y` skip the frames that complete no
/// HTTP/HTCPCP/TLS message: it must say so only of filters that no such
/// frame can satisfy. Checked frame by frame on the recorded samples, with
/// filters for which it says yes and filters for which it must say no.
#[test]
fn filters_that_need_messages_match_only_message_frames() {
    use coffeeshark::filter::Filter;
    use coffeeshark::pipeline::Analyzer;
    use coffeeshark::source::CaptureReader;
    let needing = [
        "http",
        "htcpcp.response.code == 418 || http.response.code == 304",
        "tls.handshake.type == 1",
        "tcp.port == 5031 && http.request",
        "http.request.method in {\"GET\" \"POST\"}",
        "(http or htcpcp) and not tcp.flags.fin == 1",
        "tcp.stream == http.request_in",
        "htcpcp.request.method[0:1] == \"B\"",
        // `!=` needs the field (Wireshark 4.x).
        "http.request.method != \"GET\"",
        // tshark 4.0 reads both sides first: an absent right side fails too.
        "tcp.port != http.response.code",
        "len(http.host) > 3",
        "upper(http.request.method) == \"GET\"",
        "http.response.code - 100 >= 200",
    ];
    let not_needing = [
        "tcp.port == 5030",
        "http or tcp.flags.syn == 1",
        "not http",
        "http ^^ tcp",
        "tcp.len > 0",
        "ip.addr == 127.0.0.1",
        "count(tcp.port) == 2 || http",
    ];
    let compile = |f: &str| Filter::compile(f).unwrap_or_else(|e| panic!("{f}: {e}"));
    for f in needing {
        assert!(compile(f).needs_messages(), "{f} needs messages");
    }
    for f in not_needing {
        assert!(!compile(f).needs_messages(), "{f} does not need messages");
    }
    let compiled: Vec<(Filter, &str)> = needing.iter().map(|f| (compile(f), *f)).collect();
    let mut hits = 0;
    let samples = std::fs::read_dir("sample_capture").unwrap();
    for path in samples.map(|e| e.unwrap().path()) {
        if path.extension().map_or(true, |e| e != "pcapng") {
            continue;
        }
        let mut reader = CaptureReader::open(&path).unwrap();
        let mut analyzer = Analyzer::new();
        while let Some(raw) = reader.next_frame().unwrap() {
            let pkt = analyzer.process(&raw);
            let has_messages = pkt.app.as_ref().is_some_and(|a| !a.messages.is_empty());
            for (f, text) in &compiled {
                if f.matches(&pkt) {
                    hits += 1;
                    assert!(
                        has_messages,
                        "{}: frame {} matches {text} without a message",
                        path.display(),
                        pkt.frame.number
                    );
                }
            }
        }
    }
    assert!(hits > 100, "the samples exercise the filters ({hits} hits)");
}
