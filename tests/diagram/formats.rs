//! Text, Mermaid, PlantUML and mscgen hold every arrow (mscgen renders
//! the chart when installed).

use crate::common::*;
use crate::support::*;

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
