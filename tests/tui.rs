//! The terminal UI: its state driven by keys (no terminal), its screens
//! rendered into ratatui's `TestBackend` and compared with golden screens
//! (`tests/golden/tui/`, `UPDATE_GOLDEN=1` rewrites them), its list rows
//! against `coffeeshark read`, its details and hex against `read -V -x`,
//! and bad input.

mod support;

use coffeeshark::tui::app::{App, Pane};
use coffeeshark::tui::colors::Theme;
use coffeeshark::tui::views::Overlay;
use coffeeshark::tui::{self, ui, Options};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::*;

const SAMPLES: &[&str] = &[
    "coffee_brew.pcapng",
    "coffee_418_406.pcapng",
    "homepage_coffee.pcapng",
    "http_loopback.pcapng",
    "coffee_https.pcapng",
    "tls12_openssl.pcapng",
];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}

fn open(path: &Path, filter: Option<&str>) -> App {
    let opts = Options {
        path: path.to_owned(),
        filter: filter.map(str::to_owned),
        decode_as: Vec::new(),
        keylog: None,
    };
    let mut app = tui::open(&opts, Theme::plain()).expect("open");
    tui::wait_idle(&mut app, Duration::from_secs(60));
    app
}

/// The screen as text, one line per row, trailing spaces cut.
fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn ctrl(app: &mut App, c: char) {
    app.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    app.tick();
}

fn settle(app: &mut App) {
    tui::wait_idle(app, Duration::from_secs(60));
}

/// Every row of the list, on every sample, is the line `coffeeshark read`
/// prints for that frame.
#[test]
fn list_rows_equal_read_lines() {
    for name in SAMPLES {
        let path = sample(name);
        let app = open(&path, None);
        let (out, _, code) = coffeeshark(&["read", path.to_str().unwrap()]);
        assert_eq!(code, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(app.rows(), lines.len(), "{name}");
        for (i, line) in lines.iter().enumerate() {
            let n = i as u64 + 1;
            let (cells, _) = app.cells(n).expect("cells");
            assert_eq!(
                coffeeshark::view::list::line_from_cells(n, &cells),
                *line,
                "{name} frame {n}"
            );
        }
    }
}

/// The details of every frame reached by jumping (its stream read back on
/// its own) are `read -V`'s, and its bytes `read -x`'s.
#[test]
fn details_and_bytes_equal_read() {
    for name in [
        "coffee_brew.pcapng",
        "homepage_coffee.pcapng",
        "coffee_https.pcapng",
    ] {
        let path = sample(name);
        let mut app = open(&path, None);
        let (out, _, _) = coffeeshark(&["read", "-V", path.to_str().unwrap()]);
        let blocks: Vec<&str> = out.split("\n\n").filter(|b| !b.is_empty()).collect();
        let total = app.rows() as u64;
        // Backwards on one sample, so that every stream is read again from
        // its start; forwards (each stream's analyser continued) on the others.
        let order: Vec<u64> = if name == "coffee_brew.pcapng" {
            (1..=total).rev().collect()
        } else {
            (1..=total).collect()
        };
        for n in order {
            assert!(app.select_frame(n));
            let loaded = app.loaded.as_ref().expect("loaded");
            let mut v = String::new();
            coffeeshark::view::details::write(&mut v, &loaded.tree);
            // `frame.time_delta_displayed` and `tcp.port_reused` aside, the
            // tree is the one of the whole pass.
            assert_eq!(
                v.trim_end(),
                blocks[n as usize - 1].trim_end(),
                "{name} frame {n}"
            );
        }
        let (hex, _, _) = coffeeshark(&["read", "-x", "-c", "5", path.to_str().unwrap()]);
        let mut ours = String::new();
        for n in 1..=5 {
            app.select_frame(n);
            coffeeshark::view::hex::write(&mut ours, &app.loaded.as_ref().unwrap().bytes);
            ours.push('\n');
        }
        assert_eq!(ours, hex, "{name}");
    }
}

#[test]
fn golden_screens() {
    let path = sample("coffee_418_406.pcapng");
    let mut app = open(&path, None);
    assert_golden("tui/start.txt", &screen(&mut app, 140, 40));
    // Filter, then details of the 418.
    app.press(KeyCode::Char('/'));
    app.type_text("htcpcp.response.code == 418");
    app.press(KeyCode::Enter);
    settle(&mut app);
    assert_eq!(app.rows(), 1);
    app.press(KeyCode::Tab);
    assert_eq!(app.focus, Pane::Details);
    assert_golden("tui/filter_418.txt", &screen(&mut app, 140, 40));
    // Side by side.
    app.press(KeyCode::Char('|'));
    assert_golden("tui/side_by_side.txt", &screen(&mut app, 140, 40));
    app.press(KeyCode::Char('\\'));
    // Follow the stream.
    app.press(KeyCode::Char('f'));
    assert!(matches!(app.overlay, Overlay::Follow(_)));
    assert_golden("tui/follow.txt", &screen(&mut app, 140, 30));
    app.press(KeyCode::Char('x'));
    assert_golden("tui/follow_hex.txt", &screen(&mut app, 140, 30));
    app.press(KeyCode::Esc);
    // Back to every frame: the selection stays on the 418.
    app.press(KeyCode::Backspace);
    settle(&mut app);
    assert!(app.filter.is_none());
    let sel = app.selected_frame().unwrap();
    assert!(app.cells(sel).unwrap().0.contains("418"), "{sel}");
    app.press(KeyCode::Char('c'));
    settle(&mut app);
    assert_golden("tui/conversations.txt", &screen(&mut app, 200, 30));
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('t'));
    assert_golden("tui/transactions.txt", &screen(&mut app, 200, 30));
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('e'));
    assert_golden("tui/expert.txt", &screen(&mut app, 140, 24));
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('?'));
    assert_golden("tui/help.txt", &screen(&mut app, 140, 30));
    app.press(KeyCode::Esc);
    assert_golden("tui/too_small.txt", &screen(&mut app, 40, 8));
}

#[test]
fn keys_move_mark_jump_and_search() {
    let path = sample("coffee_brew.pcapng");
    let mut app = open(&path, None);
    app.list_height = 20;
    assert_eq!(app.selected_frame(), Some(1));
    app.press(KeyCode::Char('j'));
    app.press(KeyCode::Down);
    assert_eq!(app.selected_frame(), Some(3));
    app.press(KeyCode::Char('G'));
    assert_eq!(app.selected_frame(), Some(app.rows() as u64));
    app.press(KeyCode::Char('g'));
    assert_eq!(app.selected_frame(), Some(1));
    app.press(KeyCode::PageDown);
    assert_eq!(app.selected_frame(), Some(20));
    // Marks.
    app.press(KeyCode::Char('m'));
    app.press(KeyCode::Char('a'));
    ctrl(&mut app, 'g');
    app.type_text("100");
    app.press(KeyCode::Enter);
    assert_eq!(app.selected_frame(), Some(100));
    app.press(KeyCode::Char('\''));
    app.press(KeyCode::Char('a'));
    assert_eq!(app.selected_frame(), Some(20));
    app.press(KeyCode::Char(':'));
    app.type_text("99999");
    app.press(KeyCode::Enter);
    assert_eq!(app.selected_frame(), Some(20));
    assert!(app.message.as_deref().unwrap().contains("no frame 99999"));
    // Search in Info, then in bytes (a background pass).
    ctrl(&mut app, 'f');
    app.type_text("BREW");
    app.press(KeyCode::Enter);
    let n = app.selected_frame().unwrap();
    assert!(
        app.cells(n).unwrap().0.to_lowercase().contains("brew"),
        "{n}"
    );
    ctrl(&mut app, 'f');
    app.press(KeyCode::Tab);
    app.press(KeyCode::Tab);
    for _ in 0..4 {
        app.press(KeyCode::Backspace);
    }
    app.type_text("Accept-Additions");
    app.press(KeyCode::Enter);
    settle(&mut app);
    let m = app.selected_frame().unwrap();
    assert!(m > n, "{m} after {n}");
    let bytes = &app.loaded.as_ref().unwrap().bytes;
    assert!(bytes.windows(16).any(|w| w == b"Accept-Additions"));
    // Hex cursor selects the field under it.
    app.press(KeyCode::Tab);
    app.press(KeyCode::Tab);
    assert_eq!(app.focus, Pane::Hex);
    app.set_hex_cursor(14);
    let node = &app.details.nodes[app.details.pos];
    assert_eq!(node.label, "Version: 4");
    // Details folding.
    app.press(KeyCode::BackTab);
    assert_eq!(app.focus, Pane::Details);
    app.press(KeyCode::Char('h'));
    app.press(KeyCode::Char('h'));
    // Left on a leaf goes to its layer, left again folds the layer.
    assert_eq!(app.details.nodes[app.details.pos].depth, 0);
    assert!(!app.details.nodes[app.details.pos].expanded);
    app.press(KeyCode::Enter);
    assert!(app.details.nodes[app.details.pos].expanded);
}

#[test]
fn filter_bar_validates_completes_and_remembers() {
    let path = sample("coffee_brew.pcapng");
    let mut app = open(&path, None);
    app.press(KeyCode::Char('/'));
    app.type_text("htcpcp.requ");
    app.press(KeyCode::Tab);
    assert_eq!(app.input.as_ref().unwrap().line.text, "htcpcp.request");
    app.type_text(".method == \"BREW\"");
    assert_eq!(app.verdict.0, coffeeshark::tui::colors::Verdict::Valid);
    app.press(KeyCode::Enter);
    settle(&mut app);
    let (out, _, _) = coffeeshark(&[
        "read",
        "-Y",
        "htcpcp.request.method == \"BREW\"",
        path.to_str().unwrap(),
    ]);
    assert_eq!(app.rows(), out.lines().count());
    assert!(app.rows() > 0);
    // An invalid filter is refused with the compiler's message.
    app.press(KeyCode::Char('/'));
    app.type_text(" &&");
    assert_eq!(app.verdict.0, coffeeshark::tui::colors::Verdict::Invalid);
    app.press(KeyCode::Enter);
    assert!(app.message.is_some());
    assert_eq!(
        app.filter.as_ref().unwrap().text,
        "htcpcp.request.method == \"BREW\""
    );
    // History.
    app.press(KeyCode::Char('/'));
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('/'));
    for _ in 0..40 {
        app.press(KeyCode::Backspace);
    }
    app.press(KeyCode::Up);
    assert_eq!(
        app.input.as_ref().unwrap().line.text,
        "htcpcp.request.method == \"BREW\""
    );
    app.press(KeyCode::Esc);
    // Conversations: Enter filters to the stream.
    app.press(KeyCode::Char('c'));
    settle(&mut app);
    app.press(KeyCode::Down);
    app.press(KeyCode::Enter);
    settle(&mut app);
    assert_eq!(app.filter.as_ref().unwrap().text, "tcp.stream eq 1");
    // Expert: Enter on a category applies its filter.
    app.press(KeyCode::Char('e'));
    for _ in 0..8 {
        app.press(KeyCode::Down);
    }
    app.press(KeyCode::Enter);
    assert!(app
        .filter
        .as_ref()
        .unwrap()
        .text
        .starts_with("tcp.analysis.retransmission"));
}

/// A damaged capture lists every frame before the damage and says what is
/// wrong, with `read`'s text.
#[test]
fn damaged_capture_shows_frames_before_the_damage() {
    let dir = tempdir();
    let path = path_in(&dir, "cut.pcapng");
    let bytes = std::fs::read(sample("coffee_brew.pcapng")).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let mut app = open(&path, None);
    let (out, err, code) = coffeeshark(&["read", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(app.rows(), out.lines().count());
    let s = screen(&mut app, 200, 30);
    let reason = err.trim().trim_start_matches("coffeeshark: ");
    assert!(s.contains(&format!("damaged: {reason}")), "{s}\n{reason}");
    // A gzip capture is read through a plain copy.
    let gz = path_in(&dir, "brew.pcapng.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let mut app = open(&gz, Some("htcpcp"));
    assert!(app.rows() > 0);
    app.select_row(0);
    assert!(app.loaded.is_some());
}

/// Command-line errors are `read`'s, exit 2, before the terminal is used.
#[test]
fn bad_command_lines() {
    let (_, err, code) = coffeeshark(&["tui", "/nonexistent/file.pcap"]);
    assert_eq!(code, 2);
    let (_, rerr, _) = coffeeshark(&["read", "/nonexistent/file.pcap"]);
    assert_eq!(err, rerr);
    let notcap = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let (_, err, code) = coffeeshark(&["tui", notcap.to_str().unwrap()]);
    let (_, rerr, _) = coffeeshark(&["read", notcap.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (2, rerr.as_str()));
    let s = sample("coffee_brew.pcapng");
    let (_, err, code) = coffeeshark(&["tui", "-r", s.to_str().unwrap(), "-Y", "tcp.port =="]);
    let (_, rerr, _) = coffeeshark(&["read", "-r", s.to_str().unwrap(), "-Y", "tcp.port =="]);
    assert_eq!((code, err.as_str()), (2, rerr.as_str()));
    // Not a terminal: said plainly.
    let (_, err, code) = coffeeshark(&["tui", s.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("needs a terminal"), "{err}");
}

/// The follow view's search line takes every key while open: `q` and `F`
/// are text there, Esc leaves the line, not the view.
#[test]
fn follow_search_line_takes_every_key() {
    let path = sample("coffee_brew.pcapng");
    let mut app = open(&path, None);
    assert!(app.select_frame(9));
    app.press(KeyCode::Char('f'));
    app.press(KeyCode::Char('/'));
    app.type_text("qF");
    app.press(KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::Follow(_)));
    assert!(app.filter.is_none());
    app.press(KeyCode::Char('/'));
    app.type_text("ducky");
    app.press(KeyCode::Enter);
    assert!(
        app.message.as_deref().unwrap().contains("on line"),
        "{:?}",
        app.message
    );
    app.press(KeyCode::Char('q'));
    assert!(matches!(app.overlay, Overlay::None));
}

/// The lab panes are the CLI's views: the diagram pane's ladder is
/// `coffeeshark diagram --format txt` of the same streams, the answers pane
/// `coffeeshark report`'s text; Enter on a line goes to the frame it cites.
#[test]
fn lab_panes_are_the_clis_diagram_and_report() {
    use coffeeshark::tui::lab::LabKind;
    let path = sample("coffee_418_406.pcapng");
    let file = path.to_str().unwrap();
    let mut app = open(&path, None);
    // The browser's request that got the 418 (stream 5), and the pot's
    // connection it caused (stream 6).
    assert!(app.select_frame(54));
    app.press(KeyCode::Char('d'));
    settle(&mut app);
    let lab = app.lab.as_ref().expect("the diagram pane");
    assert_eq!(lab.kind, LabKind::Diagram);
    let text = lab.text.as_ref().expect("drawn");
    assert!(text.title.contains("streams 5, 6"), "{}", text.title);
    let (cli, _, code) = coffeeshark(&["diagram", "--format", "txt", "--streams", "5,6", file]);
    assert_eq!(code, 0);
    // The CLI's first line is its title.
    let cli_lines: Vec<&str> = cli.lines().skip(1).collect();
    assert_eq!(text.lines, cli_lines);
    // The cursor is on the selected frame's arrow.
    assert_eq!(text.refs[lab.cursor].first(), Some(&54));
    assert_golden("tui/diagram.txt", &screen(&mut app, 140, 40));
    // In the pane, down to the pot's 418 and Enter: the list goes there.
    app.press(KeyCode::Tab);
    let line_61 = app.lab.as_ref().unwrap().line_of(61).unwrap();
    while app.lab.as_ref().unwrap().cursor < line_61 {
        app.press(KeyCode::Char('j'));
    }
    app.press(KeyCode::Enter);
    assert_eq!(app.selected_frame(), Some(61));

    // The answers.
    app.press(KeyCode::Char('a'));
    settle(&mut app);
    let lab = app.lab.as_ref().expect("the answers pane");
    assert_eq!(lab.kind, LabKind::Answers);
    let (cli, _, code) = coffeeshark(&["report", "--max-arrows", "0", file]);
    assert_eq!(code, 0);
    let text = lab.text.as_ref().unwrap();
    assert_eq!(text.lines, cli.lines().collect::<Vec<_>>());
    // The line of the 418's evidence cites the pot's 418, frame 61.
    let teapot = text
        .lines
        .iter()
        .position(|l| l.contains("pot: #61 HTCPCP/1.1 418"))
        .expect("Task 7 cites the 418");
    while app.lab.as_ref().unwrap().cursor < teapot {
        app.press(KeyCode::Char('j'));
    }
    assert_golden("tui/answers.txt", &screen(&mut app, 140, 40));
    // Enter goes to each cited frame in turn: #59, then #61.
    app.press(KeyCode::Enter);
    assert_eq!(app.selected_frame(), Some(59));
    app.press(KeyCode::Enter);
    assert_eq!(app.selected_frame(), Some(61));
    // `a` again closes the pane: details and hex are back.
    app.press(KeyCode::Char('a'));
    assert!(app.lab.is_none());
    assert_eq!(app.focus, Pane::List);
}
