//! `coffeeshark diagram`: the SVG parses as XML and holds one arrow per
//! segment, of the kind and between the lanes the fixture was built with
//! (or that tshark reports for the sample capture); handshakes are
//! bracketed with their frames; pauses compressed; `--hide-acks`,
//! `--streams`, `-Y` and `--role`; text, Mermaid, PlantUML and mscgen;
//! and headless Chromium draws the lanes and arrows.

#[path = "support/chromium.rs"]
mod chromium;
mod support;
use chromium::find_chromium;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use support::*;

const T0: u64 = 1_795_000_000_000_000_000;
const MS: u64 = 1_000_000;

/// What the fixture was built to contain, per frame.
#[derive(Debug, Clone)]
struct Exp {
    kind: &'static str,
    from: &'static str,
    to: &'static str,
    stream: u32,
    /// A pure ACK `--hide-acks` hides.
    hideable: bool,
}

struct Fixture {
    path: PathBuf,
    _dir: tempfile::TempDir,
    /// Frame number (1-based) -> expectation.
    exp: Vec<Exp>,
    /// Per stream: SYN, SYN/ACK, ACK frames.
    handshakes: BTreeMap<u32, [Option<u64>; 3]>,
    /// The one long pause: its length in ns.
    pause: u64,
}

/// Browser -> web app (stream 0) with the web app's HTCPCP connection to the
/// pot (stream 1) nested inside it; 3 s later a refused connection (stream 2).
fn lab_fixture() -> Fixture {
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
struct SvgArrow {
    frame: u64,
    kind: String,
    from: usize,
    to: usize,
    stream: u32,
    label: String,
    /// Start of the line and tip of the head.
    y_start: f64,
    y_tip: f64,
}

struct Svg {
    lanes: Vec<String>,
    arrows: Vec<SvgArrow>,
    /// stream -> data-frames of its handshake bracket.
    handshakes: BTreeMap<u32, String>,
    gaps: Vec<String>,
    lane_x: Vec<f64>,
}

fn classes(n: &roxmltree::Node) -> Vec<String> {
    n.attribute("class")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn parse_svg(text: &str) -> Svg {
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

fn diagram(args: &[&str]) -> String {
    let (out, err, code) = coffeeshark(args);
    assert_eq!(code, 0, "coffeeshark {args:?} failed: {err}");
    out
}

const PAYLOAD_KINDS: [&str; 4] = ["message", "data", "continuation", "tls"];

fn kind_ok(expected: &str, got: &str) -> bool {
    match expected {
        "payload" => PAYLOAD_KINDS.contains(&got),
        "ack" => got == "ack" || got == "window-update",
        e => e == got,
    }
}

fn frames_label(hs: &[Option<u64>; 3]) -> String {
    hs.iter()
        .map(|f| f.map_or("-".to_string(), |f| f.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn fixture_arrows_lanes_and_handshakes_are_what_was_built() {
    let fx = lab_fixture();
    let svg = parse_svg(&diagram(&["diagram", fx.path.to_str().unwrap()]));
    assert_eq!(svg.lanes, ["Browser", "Web app", "Coffee pot"]);
    assert_eq!(svg.arrows.len(), fx.exp.len());
    for (a, (i, e)) in svg.arrows.iter().zip(fx.exp.iter().enumerate()) {
        assert_eq!(a.frame, i as u64 + 1);
        assert!(
            kind_ok(e.kind, &a.kind),
            "frame {}: {} vs {e:?}",
            a.frame,
            a.kind
        );
        assert_eq!(svg.lanes[a.from], e.from, "frame {} sender", a.frame);
        assert_eq!(svg.lanes[a.to], e.to, "frame {} receiver", a.frame);
        assert_eq!(a.stream, e.stream);
        assert!(
            a.label.starts_with(&format!("#{} ", a.frame)),
            "label {:?}",
            a.label
        );
        let flags_text = match e.kind {
            "syn" => Some("SYN"),
            "syn-ack" => Some("SYN, ACK"),
            "fin" => Some("FIN, ACK"),
            "rst" => Some("RST, ACK"),
            "handshake-ack" | "ack" => Some("ACK"),
            _ => None,
        };
        if let Some(t) = flags_text {
            assert_eq!(a.label, format!("#{} {t}", a.frame));
        }
    }
    // The payloads are messages, labelled with their start lines (requests
    // without the version), in the order the fixture sent them.
    let messages: Vec<(&str, &str)> = svg
        .arrows
        .iter()
        .filter(|a| fx.exp[a.frame as usize - 1].kind == "payload")
        .map(|a| (a.kind.as_str(), a.label.split_once(' ').unwrap().1))
        .collect();
    assert_eq!(
        messages,
        [
            ("message", "GET /"),
            ("message", "GET coffee://ducky"),
            ("message", "HTCPCP/1.1 200 OK"),
            ("message", "HTTP/1.1 200 OK"),
        ]
    );
    // Brackets for the two handshakes that happened, with their frames;
    // none for the refused connection.
    let expected: BTreeMap<u32, String> = fx
        .handshakes
        .iter()
        .filter(|(_, hs)| hs[1].is_some())
        .map(|(s, hs)| (*s, frames_label(hs)))
        .collect();
    assert_eq!(svg.handshakes, expected);
    assert_eq!(svg.handshakes.len(), 2);
}

#[test]
fn arrows_slope_by_the_connection_delay_and_pauses_are_compressed() {
    let fx = lab_fixture();
    let svg = parse_svg(&diagram(&["diagram", fx.path.to_str().unwrap()]));
    for a in &svg.arrows {
        let e = &fx.exp[a.frame as usize - 1];
        if e.stream == 2 {
            // No SYN/ACK: no delay known, the arrows are level.
            assert!((a.y_tip - a.y_start).abs() < 0.2, "frame {}", a.frame);
        } else {
            // Time runs downward: every arrow ends lower than it starts.
            assert!(a.y_tip > a.y_start + 0.5, "frame {}: {a:?}", a.frame);
        }
    }
    // Each answer leaves no earlier than what it answers arrived.
    for w in svg.arrows.windows(2) {
        if w[0].stream == w[1].stream && w[0].from == w[1].to {
            assert!(
                w[1].y_start + 0.01 >= w[0].y_tip - 9.5,
                "frames {} and {}",
                w[0].frame,
                w[1].frame
            );
        }
    }
    // The one long pause (3 s) is compressed and says how long it was.
    let secs = format!("{:.3} s", (fx.pause + 125_000) as f64 / 1e9);
    assert_eq!(svg.gaps.len(), 1, "{:?}", svg.gaps);
    assert!(svg.gaps[0].starts_with(&secs), "{:?} vs {secs}", svg.gaps);
    let txt = diagram(&["diagram", fx.path.to_str().unwrap(), "--format", "txt"]);
    assert_eq!(
        txt.lines()
            .filter(|l| l.contains(&format!("~ {secs} later ~")))
            .count(),
        1,
        "{txt}"
    );
}

#[test]
fn hide_acks_streams_filter_and_roles() {
    let fx = lab_fixture();
    let file = fx.path.to_str().unwrap();
    let svg = parse_svg(&diagram(&["diagram", file, "--hide-acks"]));
    let kept: Vec<u64> = (1..=fx.exp.len() as u64)
        .filter(|f| !fx.exp[*f as usize - 1].hideable)
        .collect();
    assert_eq!(svg.arrows.iter().map(|a| a.frame).collect::<Vec<_>>(), kept);

    let svg = parse_svg(&diagram(&["diagram", file, "--streams", "1"]));
    let s1: Vec<u64> = (1..=fx.exp.len() as u64)
        .filter(|f| fx.exp[*f as usize - 1].stream == 1)
        .collect();
    assert_eq!(svg.arrows.iter().map(|a| a.frame).collect::<Vec<_>>(), s1);
    assert_eq!(svg.lanes, ["Web app", "Coffee pot"]);

    let svg = parse_svg(&diagram(&["diagram", file, "-Y", "tcp.flags.syn == 1"]));
    let syns: Vec<u64> = (1..=fx.exp.len() as u64)
        .filter(|f| matches!(fx.exp[*f as usize - 1].kind, "syn" | "syn-ack"))
        .collect();
    assert_eq!(svg.arrows.iter().map(|a| a.frame).collect::<Vec<_>>(), syns);

    let svg = parse_svg(&diagram(&[
        "diagram",
        file,
        "--role",
        "5030=Teapot",
        "--role",
        "5031:client=Student",
    ]));
    assert_eq!(svg.lanes, ["Student", "Web app", "Teapot"]);

    let (_, err, code) = coffeeshark(&["diagram", file, "--role", "pot=Teapot"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a port number"), "{err}");
}

#[test]
fn text_and_mermaid_hold_every_arrow() {
    let fx = lab_fixture();
    let file = fx.path.to_str().unwrap();
    let txt = diagram(&["diagram", file, "--format", "txt"]);
    let lines: Vec<&str> = txt.lines().collect();
    assert!(lines[1].contains("Browser") && lines[1].contains("Coffee pot"));
    let mut n = 0;
    for (i, e) in fx.exp.iter().enumerate() {
        let frame = format!("#{} ", i + 1);
        let line = lines
            .iter()
            .find(|l| l.contains(&frame))
            .unwrap_or_else(|| panic!("no line for frame {}", i + 1));
        // The arrow head points at the receiver's lane.
        let right = ["Browser", "Web app", "Coffee pot"];
        let (f, t) = (
            right.iter().position(|x| *x == e.from).unwrap(),
            right.iter().position(|x| *x == e.to).unwrap(),
        );
        assert!(
            if t > f {
                line.contains('>')
            } else {
                line.contains('<')
            },
            "{line}"
        );
        n += 1;
    }
    assert_eq!(n, fx.exp.len());

    let mm = diagram(&["diagram", file, "--format", "mermaid"]);
    assert!(mm.starts_with("sequenceDiagram\n"));
    assert_eq!(
        mm.lines()
            .filter(|l| l.trim_start().starts_with("participant "))
            .count(),
        3
    );
    let lane = |n: &str| {
        ["Browser", "Web app", "Coffee pot"]
            .iter()
            .position(|x| *x == n)
            .unwrap()
    };
    let msgs: Vec<&str> = mm.lines().filter(|l| l.contains(": #35;")).collect();
    assert_eq!(msgs.len(), fx.exp.len());
    for (m, e) in msgs.iter().zip(&fx.exp) {
        let prefix = format!("L{}", lane(e.from));
        let suffix = format!("L{}:", lane(e.to));
        assert!(
            m.trim_start().starts_with(&prefix) && m.contains(&suffix),
            "{m} vs {e:?}"
        );
    }
    assert_eq!(mm.matches("\n    rect ").count(), 2, "{mm}");
    assert_eq!(mm.matches("\n    end").count(), 2);
}

/// (from lane, to lane, dashed, frame) of an arrow line of PlantUML
/// (`L0 -> L1 : ~#4 GET /`) or mscgen (`  L0 -> L1 [label="#4 GET /"];`).
fn text_arrow(line: &str, plantuml: bool) -> Option<(usize, usize, bool, u64)> {
    let t = line.trim();
    let (head, label) = if plantuml {
        t.split_once(" : ")?
    } else {
        t.split_once(" [label=\"")?
    };
    let parts: Vec<&str> = head.split(' ').collect();
    let [from, arrow, to] = parts[..] else {
        return None;
    };
    let dashed = match (plantuml, arrow) {
        (true, "->") | (false, "->") => false,
        (true, "-->") | (false, ">>") => true,
        _ => return None,
    };
    let lane = |s: &str| s.strip_prefix('L')?.parse().ok();
    let label = label.trim_start_matches('~').strip_prefix('#')?;
    let frame = label.split(' ').next()?.parse().ok()?;
    Some((lane(from)?, lane(to)?, dashed, frame))
}

#[test]
fn plantuml_and_msc_hold_every_arrow() {
    let fx = lab_fixture();
    let file = fx.path.to_str().unwrap();
    let lanes = ["Browser", "Web app", "Coffee pot"];
    let lane = |n: &str| lanes.iter().position(|x| *x == n).unwrap();
    for (format, plantuml) in [("plantuml", true), ("msc", false)] {
        let out = diagram(&["diagram", file, "--format", format]);
        if plantuml {
            assert!(
                out.starts_with("@startuml\n") && out.ends_with("@enduml\n"),
                "{out}"
            );
            let parts: Vec<&str> = out
                .lines()
                .filter(|l| l.starts_with("participant "))
                .collect();
            assert_eq!(parts.len(), 3, "{out}");
            for (i, (p, name)) in parts.iter().zip(lanes).enumerate() {
                assert!(p.contains(name) && p.ends_with(&format!(" as L{i}")), "{p}");
            }
            // The two complete handshakes are groups.
            assert_eq!(out.matches("\ngroup handshake ").count(), 2, "{out}");
            assert_eq!(out.matches("\nend\n").count(), 2, "{out}");
        } else {
            assert!(out.starts_with("msc {\n") && out.ends_with("}\n"), "{out}");
            let decl = out
                .lines()
                .find(|l| l.trim_start().starts_with("L0 [label="))
                .unwrap();
            assert_eq!(decl.matches("[label=").count(), 3, "{decl}");
            for (i, name) in lanes.iter().enumerate() {
                assert!(decl.contains(&format!("L{i} [label=\"{name}\\n")), "{decl}");
            }
            assert_eq!(out.matches(" rbox ").count(), 2, "{out}");
        }
        // One arrow per frame, in order, between the lanes it was built
        // for, dashed exactly for acknowledgements.
        let arrows: Vec<(usize, usize, bool, u64)> = out
            .lines()
            .filter_map(|l| text_arrow(l, plantuml))
            .collect();
        assert_eq!(arrows.len(), fx.exp.len(), "{format}: {out}");
        for (i, (a, e)) in arrows.iter().zip(&fx.exp).enumerate() {
            assert_eq!(a.3, i as u64 + 1, "{format}");
            assert_eq!(
                (a.0, a.1),
                (lane(e.from), lane(e.to)),
                "{format} frame {}",
                a.3
            );
            let ack = matches!(e.kind, "ack" | "handshake-ack");
            assert_eq!(a.2, ack, "{format} frame {} ({})", a.3, e.kind);
        }
        // The 3 s pause is a delay / discontinuity.
        let pause = if plantuml {
            "\n... 3."
        } else {
            "\n  ... [label=\"3."
        };
        assert!(out.contains(pause), "{format}: {out}");
        // Cut short: the note says so, and the arrows stop.
        let out = diagram(&["diagram", file, "--format", format, "--max-arrows", "5"]);
        let arrows = out.lines().filter_map(|l| text_arrow(l, plantuml)).count();
        assert_eq!(arrows, 5);
        assert!(
            out.contains(&format!(
                "Diagram truncated after 5 arrows: {} more segments",
                fx.exp.len() - 5
            )),
            "{out}"
        );
    }
    // The homepage sample: every TCP frame once, in order, as tshark
    // numbers them; mscgen (when installed) accepts the chart.
    let file = sample("homepage_coffee.pcapng");
    let Some(rows) = tshark_tcp(&file) else {
        return;
    };
    for (format, plantuml) in [("plantuml", true), ("msc", false)] {
        let out = diagram(&["diagram", file.to_str().unwrap(), "--format", format]);
        let frames: Vec<u64> = out
            .lines()
            .filter_map(|l| text_arrow(l, plantuml))
            .map(|a| a.3)
            .collect();
        assert_eq!(
            frames,
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "{format}"
        );
        let have_mscgen = std::process::Command::new("mscgen")
            .arg("-l")
            .output()
            .is_ok();
        if !plantuml && !have_mscgen {
            assert!(
                std::env::var_os("COFFEESHARK_REQUIRE_MSCGEN").is_none(),
                "mscgen is not installed (bash .ci/setup test installs it)"
            );
            eprintln!("mscgen not installed: the chart is checked, not rendered");
        }
        if !plantuml && have_mscgen {
            let dir = tempdir();
            let src = path_in(&dir, "d.msc");
            std::fs::write(&src, &out).unwrap();
            let ok = std::process::Command::new("mscgen")
                .args(["-T", "svg", "-i"])
                .arg(&src)
                .arg("-o")
                .arg(path_in(&dir, "d.svg"))
                .status()
                .unwrap();
            assert!(ok.success(), "mscgen rejected the chart");
        }
    }
}

/// tshark's view of a capture: frame -> (stream, flags, len, sport, dport).
/// frame, stream, flags, len, source port, destination port.
type TcpRow = (u64, u32, u16, u32, u16, u16);

fn tshark_tcp(file: &Path) -> Option<Vec<TcpRow>> {
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

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}

#[test]
fn sample_homepage_arrows_match_tshark() {
    let file = sample("homepage_coffee.pcapng");
    let Some(rows) = tshark_tcp(&file) else {
        return;
    };
    let svg = parse_svg(&diagram(&["diagram", file.to_str().unwrap()]));
    assert_eq!(svg.lanes, ["Browser", "Web app", "Coffee pot"]);
    assert_eq!(svg.arrows.len(), rows.len());
    let role = |port: u16, other: u16| match (port, other) {
        (5031, _) => "Web app",
        (5030, _) => "Coffee pot",
        (_, 5031) => "Browser",
        (_, 5030) => "Web app",
        _ => panic!("unexpected ports {port} {other}"),
    };
    // The handshake ACK: first pure ACK from the SYN sender after the SYN/ACK.
    let mut syn_from: HashMap<u32, u16> = HashMap::new();
    let mut synack: HashMap<u32, bool> = HashMap::new();
    let mut hs: BTreeMap<u32, [Option<u64>; 3]> = BTreeMap::new();
    for (a, &(frame, stream, flags, len, sp, dp)) in svg.arrows.iter().zip(&rows) {
        assert_eq!(a.frame, frame);
        assert_eq!(a.stream, stream);
        assert_eq!(svg.lanes[a.from], role(sp, dp), "frame {frame}");
        assert_eq!(svg.lanes[a.to], role(dp, sp), "frame {frame}");
        let (syn, ack, fin, rst) = (
            flags & 2 != 0,
            flags & 0x10 != 0,
            flags & 1 != 0,
            flags & 4 != 0,
        );
        let entry = hs.entry(stream).or_default();
        let expected: &[&str] = if rst {
            &["rst"]
        } else if syn && !ack {
            syn_from.insert(stream, sp);
            entry[0] = Some(frame);
            &["syn"]
        } else if syn {
            synack.insert(stream, true);
            entry[1] = Some(frame);
            &["syn-ack"]
        } else if len > 0 {
            &PAYLOAD_KINDS
        } else if fin {
            &["fin"]
        } else if entry[2].is_none()
            && synack.contains_key(&stream)
            && syn_from.get(&stream) == Some(&sp)
        {
            entry[2] = Some(frame);
            &["handshake-ack"]
        } else {
            &["ack", "window-update"]
        };
        assert!(
            expected.contains(&a.kind.as_str()),
            "frame {frame}: {} not in {expected:?}",
            a.kind
        );
    }
    let expected: BTreeMap<u32, String> = hs.iter().map(|(s, h)| (*s, frames_label(h))).collect();
    assert_eq!(svg.handshakes, expected);
    assert_eq!(svg.handshakes.len(), 10);
}

#[test]
fn headless_chromium_draws_lanes_and_arrows() {
    let Some(bin) = find_chromium() else {
        if std::env::var_os("COFFEESHARK_REQUIRE_CHROMIUM").is_some() {
            panic!("COFFEESHARK_REQUIRE_CHROMIUM is set but no chromium is on PATH");
        }
        eprintln!(
            "skipped: no chromium on PATH (set COFFEESHARK_REQUIRE_CHROMIUM=1 to fail instead)"
        );
        return;
    };
    let dir = tempdir();
    let svg_path = dir.path().join("homepage.svg");
    let file = sample("homepage_coffee.pcapng");
    let text = diagram(&["diagram", file.to_str().unwrap(), "--hide-acks"]);
    std::fs::write(&svg_path, &text).unwrap();
    let svg = parse_svg(&text);
    let png_path = dir.path().join("homepage.png");
    let profile = dir.path().join("profile");
    let (w, h) = (1200u32, 1400u32);
    let mut child = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--window-size={w},{h}"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", svg_path.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if let Some(keep) = std::env::var_os("KEEP_DIAGRAM_PNG") {
        std::fs::copy(&png_path, keep).unwrap();
    }
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut decoder = decoder;
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (w, h));
    let px = info.color_type.samples();
    let at = |x: u32, y: u32| -> &[u8] {
        let i = ((y * info.width + x) as usize) * px;
        &buf[i..i + 3]
    };
    let dark = |p: &[u8]| p.iter().map(|&c| c as u32).sum::<u32>() < 3 * 200;
    // Lanes: in the column of each lane, from below the heads to the bottom
    // of the window, most pixels are drawn.
    for (i, &x) in svg.lane_x.iter().enumerate() {
        let drawn = (140..h)
            .filter(|&y| (x as i64 - 1..=x as i64 + 1).any(|xx| dark(at(xx as u32, y))))
            .count();
        assert!(
            drawn as u32 * 10 > (h - 140) * 9,
            "lane {i} at x={x}: only {drawn} drawn rows"
        );
    }
    // Arrows: between the first two lanes rows carry coloured (not grey)
    // pixels, and so between the second and third.
    let coloured = |p: &[u8]| {
        let (mx, mn) = (*p.iter().max().unwrap(), *p.iter().min().unwrap());
        mx - mn > 60
    };
    for pair in svg.lane_x.windows(2) {
        let (x0, x1) = (pair[0] as u32 + 20, pair[1] as u32 - 20);
        let rows = (140..h)
            .filter(|&y| (x0..x1).step_by(4).filter(|&x| coloured(at(x, y))).count() > 20)
            .count();
        // An arrow is a line 1.6 px thick with its label above it: several
        // rows each; the pot's first exchange is in view.
        assert!(
            rows > 6,
            "only {rows} rows with arrows between x={x0} and x={x1}"
        );
    }
    // The background between arrows is white.
    let white = (0..w)
        .step_by(7)
        .filter(|&x| at(x, h - 1).iter().all(|&c| c > 245))
        .count();
    assert!(white > 0);
}
