//! Property tests: no input makes the reader or the decoder panic, and the
//! reader never loses a complete packet before damage.
//!
//! Inputs are random bytes, and valid fixture captures mutated at random
//! (bytes flipped, truncated, spliced), which reach far deeper into the
//! parsers than pure noise. Every frame that comes out is fully decoded and
//! rendered through every view, and the whole capture through the lab
//! report and the space-time diagram in every format.

mod support;

use coffeeshark::model::summary::{self, Columns};
use coffeeshark::model::tree;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::report::{answers, diagram, roles, Collector, Limits, Selection};
use coffeeshark::source::CaptureReader;
use coffeeshark::view;
use proptest::prelude::*;
use support::*;

/// Reads a whole capture from memory through every view; returns packets read.
fn read_all(bytes: Vec<u8>) -> usize {
    let hide_acks = bytes.len() % 2 == 1;
    let Ok(mut reader) = CaptureReader::from_reader(std::io::Cursor::new(bytes)) else {
        return 0;
    };
    let mut analyzer = Analyzer::new();
    let mut cols = Columns::default();
    let mut out = String::new();
    let mut scratch = String::new();
    let mut n = 0;
    let mut collector = Collector::new(
        Limits::default(),
        Some(Selection {
            streams: None,
            hide_acks,
            max_arrows: 50,
        }),
    );
    // The roles' pre-pass sees the same frames (its decision is not used:
    // the collector keeps the lab's ports, so the pass stays one).
    let mut detector = roles::Detector::new();
    // Bounded: a reader that never ends would fail the test by timeout.
    while let Ok(Some(raw)) = reader.next_frame() {
        detector.add(raw.link_type, raw.data);
        let pkt = analyzer.process(&raw);
        collector.add(&pkt, true);
        summary::fill(&pkt, &mut cols);
        out.clear();
        view::list::write_line(&mut out, &pkt.frame, &cols, &mut scratch);
        let t = tree::build(&pkt);
        view::details::write(&mut out, &t);
        let _ = view::json::packet_object(&pkt.frame, &t);
        view::hex::write(&mut out, pkt.decoded.data);
        n += 1;
    }
    let _ = detector.decide(None, None);
    // The report and the diagram of whatever came out, in every format.
    let facts = collector.finish();
    let r = answers::answer(&facts, "fuzz", &answers::TASKS);
    let _ = (
        view::report::markdown(&r, Some("d")),
        view::report::html(&r, None),
    );
    let _ = view::report::json(&r);
    let d = diagram::build(&facts, &diagram::Options::default());
    let _ = (
        view::diagram::svg(&d),
        view::diagram::text(&d),
        view::diagram::mermaid(&d),
        view::diagram::plantuml(&d),
        view::diagram::msc(&d),
    );
    n
}

fn seed_captures() -> Vec<Vec<u8>> {
    let dir = tempdir();
    let mut seeds = Vec::new();
    for (i, link) in [
        Link::Ethernet,
        Link::NullLe,
        Link::Sll2,
        Link::EthernetVlan(5),
        Link::Raw,
    ]
    .into_iter()
    .enumerate()
    {
        let addrs = if i % 2 == 0 { LOOPBACK_V4 } else { LOOPBACK_V6 };
        let c = TcpConn::new(link, addrs, 40000, 5030).exchange(
            b"BREW coffee://ducky HTTP/1.1\r\n\r\nstart",
            b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n",
        );
        let p = path_in(&dir, "seed.pcap");
        write_pcap(&p, link.linktype(), &c.frames, PCAP_US);
        seeds.push(std::fs::read(&p).unwrap());
        let p = path_in(&dir, "seed.pcapng");
        write_pcapng(
            &p,
            &[NgInterface {
                linktype: link.linktype(),
                name: "lo",
            }],
            &c.frames,
        );
        seeds.push(std::fs::read(&p).unwrap());
    }
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_all(bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_header_never_panic(
        ng in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = if ng { ng::shb(false) } else {
            vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]
        };
        bytes.extend(body);
        read_all(bytes);
    }

    #[test]
    fn mutated_captures_never_panic(
        seed in 0usize..10,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let mut bytes = seed_captures().swap_remove(seed);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if do_cut {
            let n = cut.index(bytes.len() + 1);
            bytes.truncate(n);
        }
        read_all(bytes);
    }

    #[test]
    fn truncation_keeps_every_complete_packet(seed in 0usize..10, cut in any::<prop::sample::Index>()) {
        let bytes = seed_captures().swap_remove(seed);
        let total = read_all(bytes.clone());
        let n = cut.index(bytes.len() + 1);
        let got = read_all(bytes[..n].to_vec());
        prop_assert!(got <= total);
        // Only the packet the cut falls in (and those after it) may be lost:
        // cutting at the very end loses nothing.
        if n == bytes.len() {
            prop_assert_eq!(got, total);
        }
    }

    #[test]
    fn decoder_never_panics_on_any_link_type(
        link_type in prop::sample::select(vec![0u32, 1, 12, 14, 101, 108, 113, 147, 228, 229, 276]),
        data in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let d = coffeeshark::decode::decode(link_type, &data);
        let _ = d.is_fragment();
    }
}

/// The terminal UI's state on a capture: every row selected (details and
/// bytes read back), every view opened, the screen drawn. Drives the app,
/// not a terminal.
fn tui_all(bytes: &[u8]) {
    use coffeeshark::tui::{self, colors::Theme, ui, Options};
    use crossterm::event::KeyCode;
    let dir = tempdir();
    let path = path_in(&dir, "fuzz.pcapng");
    std::fs::write(&path, bytes).unwrap();
    let opts = Options {
        path,
        filter: None,
        decode_as: Vec::new(),
        keylog: None,
    };
    let Ok(mut app) = tui::open(&opts, Theme::plain()) else {
        return;
    };
    tui::wait_idle(&mut app, std::time::Duration::from_secs(30));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    for pos in 0..app.rows() {
        app.select_row(pos);
        term.draw(|f| ui::draw(f, &mut app)).unwrap();
    }
    for key in ['f', 'c', 't', 'e', '?'] {
        app.press(KeyCode::Char(key));
        term.draw(|f| ui::draw(f, &mut app)).unwrap();
        app.press(KeyCode::Esc);
    }
    let _ = app.apply_filter("tcp.len > 0 || htcpcp");
    tui::wait_idle(&mut app, std::time::Duration::from_secs(30));
    term.draw(|f| ui::draw(f, &mut app)).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_captures_never_panic_the_tui(
        seed in 0usize..10,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = seed_captures().swap_remove(seed);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let n = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(n);
        tui_all(&bytes);
    }
}
