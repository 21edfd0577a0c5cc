//! The homepage sample against tshark, and headless Chromium drawing the
//! SVG.

use crate::chromium::find_chromium;
use crate::common::*;
use crate::support::*;
use std::collections::{BTreeMap, HashMap};

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
