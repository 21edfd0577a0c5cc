//! The SVG against the fixture: arrows, lanes, kinds, handshakes, slopes,
//! pauses, and the `--hide-acks` / `--streams` / `-Y` / `--role` options.

use crate::common::*;
use crate::support::*;
use std::collections::BTreeMap;

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
