//! The lab fixture the diagram tests build, and the SVG read back into
//! arrows, lanes and handshake brackets.

use crate::support::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) const T0: u64 = 1_795_000_000_000_000_000;
pub(crate) const MS: u64 = 1_000_000;

/// What the fixture was built to contain, per frame.
#[derive(Debug, Clone)]
pub(crate) struct Exp {
    pub(crate) kind: &'static str,
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
    pub(crate) stream: u32,
    /// A pure ACK `--hide-acks` hides.
    pub(crate) hideable: bool,
}

pub(crate) struct Fixture {
    pub(crate) path: PathBuf,
    pub(crate) _dir: tempfile::TempDir,
    /// Frame number (1-based) -> expectation.
    pub(crate) exp: Vec<Exp>,
    /// Per stream: SYN, SYN/ACK, ACK frames.
    pub(crate) handshakes: BTreeMap<u32, [Option<u64>; 3]>,
    /// The one long pause: its length in ns.
    pub(crate) pause: u64,
}

/// Browser -> web app (stream 0) with the web app's HTCPCP connection to the
/// pot (stream 1) nested inside it; 3 s later a refused connection (stream 2).
pub(crate) fn lab_fixture() -> Fixture {
    let mut log: Vec<(u64, Vec<u8>, Exp)> = Vec::new();
    let mut step = |c: &mut TcpConn,
                    stream: u32,
                    roles: (&'static str, &'static str),
                    client: bool,
                    flags: Flags,
                    payload: &[u8],
                    kind: &'static str,
                    hideable: bool| {
        c.send(client, flags, payload);
        let f = c.frames.last().unwrap().clone();
        let (from, to) = if client { roles } else { (roles.1, roles.0) };
        log.push((
            f.ts_nanos,
            f.data,
            Exp {
                kind,
                from,
                to,
                stream,
                hideable,
            },
        ));
    };
    let web = ("Browser", "Web app");
    let pot = ("Web app", "Coffee pot");
    let mut a = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 50000, 5031).at(T0);
    step(&mut a, 0, web, true, SYN, b"", "syn", false);
    step(&mut a, 0, web, false, SYN_ACK, b"", "syn-ack", false);
    step(&mut a, 0, web, true, ACK, b"", "handshake-ack", false);
    step(
        &mut a,
        0,
        web,
        true,
        PSH_ACK,
        b"GET / HTTP/1.1\r\nHost: localhost:5031\r\n\r\n",
        "payload",
        false,
    );
    step(&mut a, 0, web, false, ACK, b"", "ack", true);
    let mut b = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40000, 5030).at(T0 + MS);
    step(&mut b, 1, pot, true, SYN, b"", "syn", false);
    step(&mut b, 1, pot, false, SYN_ACK, b"", "syn-ack", false);
    step(&mut b, 1, pot, true, ACK, b"", "handshake-ack", false);
    step(
        &mut b,
        1,
        pot,
        true,
        PSH_ACK,
        b"GET coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\n",
        "payload",
        false,
    );
    step(&mut b, 1, pot, false, ACK, b"", "ack", true);
    step(
        &mut b,
        1,
        pot,
        false,
        PSH_ACK,
        b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\n\r\n{}",
        "payload",
        false,
    );
    step(&mut b, 1, pot, true, ACK, b"", "ack", true);
    step(&mut b, 1, pot, false, FIN_ACK, b"", "fin", false);
    step(&mut b, 1, pot, true, FIN_ACK, b"", "fin", false);
    step(&mut b, 1, pot, false, ACK, b"", "ack", false);
    a.ts_nanos = T0 + 3 * MS;
    step(
        &mut a,
        0,
        web,
        false,
        PSH_ACK,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        "payload",
        false,
    );
    step(&mut a, 0, web, true, ACK, b"", "ack", true);
    step(&mut a, 0, web, false, FIN_ACK, b"", "fin", false);
    step(&mut a, 0, web, true, FIN_ACK, b"", "fin", false);
    step(&mut a, 0, web, false, ACK, b"", "ack", false);
    let last_a = a.frames.last().unwrap().ts_nanos;
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 50002, 5031).at(last_a + 3000 * MS);
    step(&mut c, 2, web, true, SYN, b"", "syn", false);
    step(&mut c, 2, web, false, RST_ACK, b"", "rst", false);
    log.sort_by_key(|e| e.0);
    let frames: Vec<Frame> = log
        .iter()
        .map(|(ts, data, _)| Frame {
            ts_nanos: *ts,
            data: data.clone(),
            interface: 0,
        })
        .collect();
    let exp: Vec<Exp> = log.iter().map(|e| e.2.clone()).collect();
    let mut handshakes: BTreeMap<u32, [Option<u64>; 3]> = BTreeMap::new();
    for (i, e) in exp.iter().enumerate() {
        let slot = match e.kind {
            "syn" => 0,
            "syn-ack" => 1,
            "handshake-ack" => 2,
            _ => continue,
        };
        handshakes.entry(e.stream).or_default()[slot] = Some(i as u64 + 1);
    }
    let dir = tempdir();
    let path = path_in(&dir, "lab.pcap");
    write_pcap(&path, Link::Ethernet.linktype(), &frames, PCAP_US);
    keep_fixture(&path);
    Fixture {
        path,
        _dir: dir,
        exp,
        handshakes,
        pause: 3000 * MS,
    }
}

/// One parsed arrow of the SVG.
#[derive(Debug)]
pub(crate) struct SvgArrow {
    pub(crate) frame: u64,
    pub(crate) kind: String,
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) stream: u32,
    pub(crate) label: String,
    /// Start of the line and tip of the head.
    pub(crate) y_start: f64,
    pub(crate) y_tip: f64,
}

pub(crate) struct Svg {
    pub(crate) lanes: Vec<String>,
    pub(crate) arrows: Vec<SvgArrow>,
    /// stream -> data-frames of its handshake bracket.
    pub(crate) handshakes: BTreeMap<u32, String>,
    pub(crate) gaps: Vec<String>,
    pub(crate) lane_x: Vec<f64>,
}

pub(crate) fn classes(n: &roxmltree::Node) -> Vec<String> {
    n.attribute("class")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

pub(crate) fn parse_svg(text: &str) -> Svg {
    let doc = roxmltree::Document::parse(text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let mut svg = Svg {
        lanes: Vec::new(),
        arrows: Vec::new(),
        handshakes: BTreeMap::new(),
        gaps: Vec::new(),
        lane_x: Vec::new(),
    };
    for n in root.descendants().filter(|n| n.is_element()) {
        let cls = classes(&n);
        if cls.iter().any(|c| c == "lanehead") {
            let name = n
                .descendants()
                .find(|t| classes(t).iter().any(|c| c == "name"))
                .and_then(|t| t.text())
                .unwrap()
                .to_string();
            svg.lanes.push(name);
            let x: f64 = n
                .descendants()
                .find(|t| t.has_tag_name("text"))
                .unwrap()
                .attribute("x")
                .unwrap()
                .parse()
                .unwrap();
            svg.lane_x.push(x);
        } else if cls.first().map(String::as_str) == Some("arrow") {
            let line = n.children().find(|c| c.has_tag_name("line")).unwrap();
            let poly = n.children().find(|c| c.has_tag_name("polygon")).unwrap();
            let tip_y: f64 = poly
                .attribute("points")
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .split(',')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            let label = n
                .children()
                .find(|c| classes(c).iter().any(|x| x == "label"))
                .and_then(|t| t.text())
                .unwrap()
                .to_string();
            svg.arrows.push(SvgArrow {
                frame: n.attribute("data-frame").unwrap().parse().unwrap(),
                kind: cls[1].clone(),
                from: n.attribute("data-from").unwrap().parse().unwrap(),
                to: n.attribute("data-to").unwrap().parse().unwrap(),
                stream: n.attribute("data-stream").unwrap().parse().unwrap(),
                label,
                y_start: line.attribute("y1").unwrap().parse().unwrap(),
                y_tip: tip_y,
            });
        } else if cls.iter().any(|c| c == "handshake") {
            svg.handshakes.insert(
                n.attribute("data-stream").unwrap().parse().unwrap(),
                n.attribute("data-frames").unwrap().to_string(),
            );
        } else if cls.iter().any(|c| c == "gaptext") {
            svg.gaps.push(n.text().unwrap().to_string());
        }
    }
    svg
}

pub(crate) fn diagram(args: &[&str]) -> String {
    let (out, err, code) = coffeeshark(args);
    assert_eq!(code, 0, "coffeeshark {args:?} failed: {err}");
    out
}

pub(crate) const PAYLOAD_KINDS: [&str; 4] = ["message", "data", "continuation", "tls"];

pub(crate) fn kind_ok(expected: &str, got: &str) -> bool {
    match expected {
        "payload" => PAYLOAD_KINDS.contains(&got),
        "ack" => got == "ack" || got == "window-update",
        e => e == got,
    }
}

pub(crate) fn frames_label(hs: &[Option<u64>; 3]) -> String {
    hs.iter()
        .map(|f| f.map_or("-".to_string(), |f| f.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

/// tshark's view of a capture: frame -> (stream, flags, len, sport, dport).
/// frame, stream, flags, len, source port, destination port.
pub(crate) type TcpRow = (u64, u32, u16, u32, u16, u16);

pub(crate) fn tshark_tcp(file: &Path) -> Option<Vec<TcpRow>> {
    let (out, code) = tshark(&[
        "-r",
        file.to_str().unwrap(),
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tcp.stream",
        "-e",
        "tcp.flags",
        "-e",
        "tcp.len",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.dstport",
    ])?;
    assert_eq!(code, 0);
    Some(
        out.lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    f[0].parse().unwrap(),
                    f[1].parse().unwrap(),
                    u16::from_str_radix(f[2].trim_start_matches("0x"), 16).unwrap(),
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                    f[5].parse().unwrap(),
                )
            })
            .collect(),
    )
}

pub(crate) fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}
