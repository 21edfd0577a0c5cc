//! tshark 4.0's display-filter language, construct by construct (issue
//! 23): functions, arithmetic and tshark's whitespace rule for minus,
//! layers, quantifiers, every literal kind, value strings, slices of
//! strings, caseless `matches`, field references, protocols only tshark
//! dissects. Each filter's verdict and frames are compared with tshark's
//! on two recordings (`filter_oracle`: one tshark run per capture); wrong
//! filters' messages are compared with tshark's own stderr; a property
//! test feeds the compiler random bytes and mutated filters.

mod filter_oracle;
mod support;

use coffeeshark::filter::Filter;
use filter_oracle::compare;
use proptest::prelude::*;
use std::path::Path;
use support::*;

const SAMPLES: &[&str] = &[
    "sample_capture/http_loopback.pcapng",
    "sample_capture/tls12_openssl.pcapng",
];

const CONSTRUCTS: &[&str] = &[
    // Functions.
    "len(http.host) == 0",
    "len(tcp.payload) > 100",
    "len(http.request.method) == 3",
    "len(tcp) > 10",
    "len(ip.src) == 4",
    "len(tcp.port) == 2",
    "count(ip.addr) == 2",
    "count(http.host) == 1",
    "count(tcp.port, tcp.port) == 2",
    "string(frame.number) matches \"[13579]$\"",
    "string(tcp.srcport) == \"8000\"",
    "string(tcp.flags) == \"24\"",
    "string(ip.src) contains \"127\"",
    "string(eth.src) == \"00:00:00:00:00:00\"",
    "string(tcp.payload) contains \"GET\"",
    "string(frame.time_relative) == \"0\"",
    "upper(http.user_agent) contains \"CURL\"",
    "lower(http.request.method) == \"get\"",
    "upper(tcp.port) == 2",
    "upper(tcp.payload) contains \"GET\"",
    "lower(tcp.flags.str) contains \"s\"",
    "min(tcp.srcport, tcp.dstport) == 8000",
    "max(tcp.srcport, tcp.dstport) > 8000",
    "abs(min(tcp.srcport, tcp.dstport)) == 8000",
    "max(tcp.len, tcp.seq) > 1000",
    "min(tcp.port, tcp.len) == 0",
    "min(ip.src, ip.dst) == 127.0.0.1",
    "max(tcp.srcport, 100) == 100",
    "max(http.request.method, \"A\") == \"GET\"",
    "min(http.response.code) > 0",
    "abs(-tcp.port) == 8000",
    "abs(frame.time_delta) > 0",
    "foo(tcp.port)",
    "min() == 1",
    "len(foo) == 1",
    "len(\"abc\") == 3",
    "len(tcp.port)",
    "tcp.port == 80 && abs(tcp.port, 1)",
    // Arithmetic.
    "tcp.flags & 0x0F == 8",
    "tcp.flags & 0x02",
    "tcp.flags bitwise_and 0x02",
    "tcp.port bitand 0x50 == 0x50",
    "tcp.srcport != tcp.dstport & 0x0F",
    "ip.len - 20 == tcp.len + tcp.hdr_len",
    "tcp.dstport * {tcp.srcport / {5 - 4}} > 1",
    "tcp.len * 2 > 100",
    "tcp.len / 2 == 0",
    "tcp.port % 7 == 6",
    "tcp.port / 0 == 1",
    "tcp.seq - 1 < 0",
    "tcp.seq - tcp.ack",
    "tcp.len - 5",
    "tcp.port == 8000 + tcp.len",
    "tcp.port == 160 -80",
    "tcp.port == 160 - 80",
    "tcp.port == 160-80",
    "tcp.srcport-1 == 1",
    "tcp.srcport -1 == 36679",
    "-tcp.port == -8000",
    "+tcp.port == 8000",
    "tcp.port == -tcp.port",
    "tcp.port == {8000}",
    "1 + 2 == 3",
    "-1 == tcp.port",
    "frame.len == -(-60)",
    "tcp.port * 65536 > 65535",
    "frame.time_delta + frame.time_delta > 0",
    "frame.time_relative * 2 > 1",
    "-frame.time_delta < 0",
    "ip.src + 1 == 127.0.0.2",
    "tcp.payload & 1",
    "tcp.port + \"a\"",
    "tcp.flags.syn + 1 == 2",
    // Layers and quantifiers.
    "ip.addr#1 == 127.0.0.1",
    "ip.addr#2 == 127.0.0.1",
    "ip.dst#[2-4]",
    "ip.dst#[-1]",
    "tcp.port#[1:2]",
    "tcp.payload#1[0:3] == \"GET\"",
    "tcp.payload[0:3]#1 == \"GET\"",
    "any tcp.port > 8000",
    "all tcp.port > 8000",
    "all tcp.port != 8000",
    "any tcp.port != 8000",
    "all tcp.port",
    "tcp.port === 8000",
    "tcp.port !== 8000",
    "tcp.port all_eq 8000",
    "tcp.port any_ne 8000",
    "all tcp.port in {8000, 36680}",
    "tcp.srcport != http.response.code",
    "tcp.srcport === http.response.code",
    // Literals.
    "tcp.payload[0] == 'G'",
    "tcp.payload[0] == '\\x47'",
    "tcp.payload contains 'G'",
    "tcp.srcport == 'A'",
    "tcp.payload contains r\"GE\\T\"",
    "http.request.method == r\"GET\"",
    "tcp.payload contains \"\\x47ET\"",
    "tcp.payload contains \"\\107ET\"",
    "tcp.payload contains \"\\u0047ET\"",
    "tcp.payload contains \"\\u00e9\"",
    "tcp.payload[0:3] == 47:45:54",
    "tcp.payload[0:3] == 47.45.54",
    "tcp.payload[0:3] == 47-45-54",
    "tcp.payload[0:3] == :474554",
    "tcp.payload[0:3] == 474554",
    "tcp.payload[0:1] == :47",
    "tcp.payload[0] == 0x47",
    "tcp.payload[0] == 71",
    "tcp.payload[0:2] == 0x4745",
    "ip[-1] == 0x5e",
    "eth.dst == :00:00:00:00:00:00",
    "eth.dst == :fc",
    ".tcp.port == 8000",
    ".tcp",
    "tcp.port == .tcp.port",
    "tcp.port[0] == 0x1f",
    // Value strings.
    "ip.flags.df == \"Set\"",
    "ip.flags.df == \"set\"",
    "ip.flags.df == \"Not set\"",
    "tcp.flags.syn == \"Not set\"",
    "ip.proto == \"TCP\"",
    "ip.proto == \"udp\"",
    "ip.proto == \"coffee\"",
    "tls.record.content_type == \"Handshake\"",
    "tls.handshake.type == \"Client Hello\"",
    // tshark's meanings.
    "tcp.payload matches \"get\"",
    "tcp.payload matches \"(?-i)get\"",
    "http.request.method matches \"get\"",
    "http.request.method[0:4] != \"HEAD\"",
    "http.request.method[0:3] == 47:45:54",
    "http.request.method[2:]",
    "http.request.method[0:10]",
    "ip.version == 6",
    "ip.version == 4",
    "fc",
    ".fc",
    "fc == 1",
    "tcp.payload contains fc",
    "6b",
    "dns or arp",
    // Field references: no selected packet on the command line.
    "${ip.src} == 1.2.3.4",
    "tcp.port == ${tcp.port}",
    "tcp.port == $tcp.port",
    // Plain errors.
    "tcp.prot",
    "tcp.prot == 1",
    "1",
    "\"a\"",
    "tcp.port == 8000 && 8000",
];

#[test]
fn constructs_match_tshark() {
    let filters: Vec<String> = CONSTRUCTS.iter().map(|s| s.to_string()).collect();
    let mut nonempty = 0;
    for s in SAMPLES {
        let Some((diffs, n)) = compare(Path::new(s), &filters) else {
            return;
        };
        assert!(
            diffs.is_empty(),
            "{} differ:\n{}",
            diffs.len(),
            diffs.join("\n")
        );
        nonempty += n;
    }
    // The samples exercise the constructs: many select frames.
    assert!(nonempty > 80, "only {nonempty} filters selected frames");
}

/// Wrong filters: our whole message (text, expression, caret) equals
/// tshark's stderr.
#[test]
fn errors_read_as_tshark_says_them() {
    let cases = [
        "foo(tcp.port)",
        "tcp.port == 68-1",
        "1 + 2 == 3",
        "tcp.payload contains \"\\u0041\"",
        "eth.dst == :fc",
        "$ip.src == 1.2.3.4",
        "${ip.src}",
        "tcp.port == ${tcp.pot}",
        "6b",
        "tcp.prot == 1",
        "min(tcp.port, tcp.len) == 0",
        "min() == 1",
        "len(foo) == 1",
        "upper(tcp.payload) contains \"GET\"",
        "string(frame.time_relative) == \"0\"",
        "tcp.port * 65536 > 65535",
        "frame.len == -(-60)",
        "tcp.port == 1 xor tcp.port == 2",
        "tcp.payload contains fc",
        "tcp.port == 80 && abs(tcp.port, 1)",
        "tcp.port in {8000 - 1}",
        "tcp.payload[0:3]#1 == \"GET\"",
        "tcp.flags.syn == \"yes\"",
        "tcp.port ==",
        "tcp.analysis.flags == 1",
        "tcp.port == '''",
        "tcp.port == 'ab'",
        "tcp.port == '\\q'",
        "frame.len > 1 + \"a\"",
        "tcp.port[0] == 1",
        "len(tcp.payload[0:2]) == 2",
        "tcp.payload contains \"\\x\"",
        "tcp.srcport-1 == 1",
        "tcp.port == 'a",
        "tcp.port == '\\x'",
        "tcp.port == '\\xfff'",
        "tcp.port == '\\400'",
        "tcp.port == '\x7f'",
    ];
    let file = SAMPLES[0];
    for f in cases {
        let Some((_, code)) = tshark(&["-r", file, "-Y", f]) else {
            return;
        };
        assert_eq!(code, 2, "tshark refuses {f:?}");
        let their = std::process::Command::new("tshark")
            .args(["-r", file, "-Y", f])
            .output()
            .unwrap();
        let their: String = String::from_utf8_lossy(&their.stderr)
            .lines()
            .filter(|l| !l.contains("Running as user"))
            .collect::<Vec<_>>()
            .join("\n");
        // Known: tshark 4.0 reads `xor` as an unknown word; we accept it
        // (Wireshark 4.2).
        if f.contains("xor") {
            assert!(Filter::compile(f).is_ok());
            continue;
        }
        let (_, ours, code) = coffeeshark(&["filter", "check", f]);
        assert_eq!(code, 2, "{f:?} is refused");
        let ours = ours.trim_end().replacen("coffeeshark: ", "", 1);
        let their = their
            .trim_end()
            .replacen("tshark: ", "", 1)
            .split("\n  Note:")
            .next()
            .unwrap()
            .to_string();
        assert_eq!(ours, their, "message for {f:?}");
    }
}

/// The TUI's `${field}`: the value of the selected packet.
#[test]
fn field_references_take_the_given_values() {
    use coffeeshark::filter::fields;
    use coffeeshark::filter::Lit;
    let port = fields::lookup("tcp.port").unwrap();
    let refs = |id| {
        if id == port {
            vec![Lit::Int(8000)]
        } else {
            vec![]
        }
    };
    let f = Filter::compile_with_refs("tcp.port == ${tcp.port}", &refs).unwrap();
    let g = Filter::compile("tcp.port == 8000").unwrap();
    let none = Filter::compile("tcp.port == ${tcp.port}").unwrap();
    let mut reader = coffeeshark::source::CaptureReader::open(Path::new(SAMPLES[0])).unwrap();
    let mut analyzer = coffeeshark::pipeline::Analyzer::new();
    let mut hits = 0;
    while let Some(raw) = reader.next_frame().unwrap() {
        let pkt = analyzer.process(&raw);
        assert_eq!(f.matches(&pkt), g.matches(&pkt));
        assert!(!none.matches(&pkt));
        hits += usize::from(g.matches(&pkt));
    }
    assert!(hits > 10);
}

fn mutate(s: &str, picks: &[(usize, u8)]) -> String {
    let mut b = s.as_bytes().to_vec();
    for &(at, byte) in picks {
        if b.is_empty() {
            b.push(byte);
            continue;
        }
        let i = at % (b.len() + 1);
        match byte % 3 {
            0 => b.insert(i, byte),
            1 if i < b.len() => {
                b.remove(i);
            }
            _ => b.insert(i, {
                let set = b"{}[]()#$-+*/%&'\"\\:.,r!=<>~ ";
                set[byte as usize % set.len()]
            }),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// No expression panics the compiler (random bytes and mutated filters).
    #[test]
    fn compiler_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64),
                             which in 0..CONSTRUCTS.len(),
                             picks in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6)) {
        let _ = Filter::compile(&String::from_utf8_lossy(&bytes));
        let _ = Filter::compile(&mutate(CONSTRUCTS[which], &picks));
    }
}

/// The TUI resolves `${field}` from the selected packet's tree
/// (`values::tree_values`): `tcp.port == ${tcp.port}` then selects the
/// frames sharing a port with it, as the same filter with the ports
/// written out does.
#[test]
fn field_references_from_a_packet_tree() {
    use coffeeshark::filter::values::tree_values;
    use coffeeshark::model::tree;
    let mut reader = coffeeshark::source::CaptureReader::open(Path::new(SAMPLES[0])).unwrap();
    let mut analyzer = coffeeshark::pipeline::Analyzer::new();
    let raw = reader.next_frame().unwrap().unwrap();
    let first = analyzer.process(&raw);
    let t = tree::build(&first);
    let data = first.decoded.data.to_vec();
    let refs = |id| tree_values(&t, &data, id);
    let with_refs =
        Filter::compile_with_refs("tcp.port == ${tcp.port} && ip.src == ${ip.src}", &refs).unwrap();
    let port = |f: &str| {
        coffeeshark::filter::values::PacketFields::new(&first)
            .tree()
            .walk()
            .find(|x| x.name == f)
            .map(|x| format!("{:?}", x.value))
            .unwrap()
    };
    let (sp, dp) = (port("tcp.srcport"), port("tcp.dstport"));
    let digits = |s: String| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let written = Filter::compile(&format!(
        "tcp.port in {{{}, {}}} && ip.src == 127.0.0.1",
        digits(sp),
        digits(dp)
    ))
    .unwrap();
    drop(first);
    let mut reader = coffeeshark::source::CaptureReader::open(Path::new(SAMPLES[0])).unwrap();
    let mut analyzer = coffeeshark::pipeline::Analyzer::new();
    let mut hits = 0;
    while let Some(raw) = reader.next_frame().unwrap() {
        let pkt = analyzer.process(&raw);
        assert_eq!(
            with_refs.matches(&pkt),
            written.matches(&pkt),
            "frame {}",
            pkt.frame.number
        );
        hits += usize::from(written.matches(&pkt));
    }
    assert!(hits > 10);
}

/// The value strings and protocol names the compiler ships
/// (`src/filter/value_strings.tsv`, `src/filter/protocols.txt`) are
/// tshark's own: every line is in `tshark -G values` / `-G protocols`, and
/// every value string tshark has for a field we register is in the file.
#[test]
fn value_strings_and_protocols_are_tsharks() {
    let Some((values, _)) = tshark(&["-G", "values"]) else {
        return;
    };
    let (protocols, _) = tshark(&["-G", "protocols"]).unwrap();
    let ours_vals = include_str!("../src/filter/value_strings.tsv");
    let registered: std::collections::HashSet<&str> = coffeeshark::filter::fields::FIELDS
        .iter()
        .map(|d| d.name)
        .collect();
    let theirs: std::collections::HashSet<&str> = values
        .lines()
        .filter(|l| {
            let mut c = l.split('\t');
            matches!(c.next(), Some("V" | "T")) && c.next().is_some_and(|f| registered.contains(f))
        })
        .collect();
    let ours: std::collections::HashSet<&str> = ours_vals.lines().collect();
    assert_eq!(
        ours, theirs,
        "value_strings.tsv = tshark -G values for our fields"
    );
    assert!(ours.len() > 1000);
    let names: std::collections::HashSet<&str> = protocols
        .lines()
        .filter_map(|l| l.split('\t').nth(2))
        .collect();
    let listed: Vec<&str> = include_str!("../src/filter/protocols.txt")
        .lines()
        .collect();
    assert_eq!(listed.len(), names.len());
    assert!(listed.iter().all(|p| names.contains(p)));
}

/// `tcp.window_size_scalefactor` is -1 ("unknown") on a connection whose
/// handshake the capture missed, as tshark sets it: the sample without its
/// first two frames, compared with tshark.
#[test]
fn scale_factor_unknown_is_minus_one() {
    let dir = tempdir();
    let path = path_in(&dir, "mid_connection.pcapng");
    let mut frames = Vec::new();
    let mut link = 1;
    let mut reader = coffeeshark::source::CaptureReader::open(Path::new(SAMPLES[0])).unwrap();
    let mut n = 0;
    while let Some(raw) = reader.next_frame().unwrap() {
        n += 1;
        link = raw.link_type;
        if n > 2 {
            frames.push(Frame {
                ts_nanos: raw.ts.secs as u64 * 1_000_000_000 + raw.ts.nanos as u64,
                data: raw.data.to_vec(),
                interface: 0,
            });
        }
    }
    write_pcapng(
        &path,
        &[NgInterface {
            linktype: link,
            name: "lo",
        }],
        &frames,
    );
    let filters: Vec<String> = [
        "tcp.window_size_scalefactor == -1",
        "tcp.window_size_scalefactor == 1024",
        "tcp.window_size_scalefactor < 0",
        "tcp.window_size_scalefactor",
        "abs(tcp.window_size_scalefactor) == 1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let Some((diffs, nonempty)) = compare(&path, &filters) else {
        return;
    };
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert_eq!(nonempty, filters.len());
}
