//! A fuzzed capture through the whole pipeline to the space-time diagram,
//! in every format (SVG, text, Mermaid, PlantUML, mscgen).
//!
//! What must hold: at most `max_arrows` arrows; each joins two lanes that
//! exist, for a frame that was read, in frame order; no arrow arrives
//! before it leaves; the SVG is well-formed XML.

use coffeeshark::report::diagram;
use coffeeshark::view;

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let Some((&knobs, capture)) = input.split_first() else {
        return;
    };
    let max_arrows = 1 + usize::from(knobs & 0x7f);
    let (frames, facts) = crate::collect(capture, knobs & 0x80 != 0, max_arrows);
    let d = diagram::build(&facts, &diagram::Options::default());
    assert!(d.arrows.len() <= max_arrows, "{} arrows", d.arrows.len());
    let mut prev = 0;
    for a in &d.arrows {
        assert!(
            a.from < d.lanes.len() && a.to < d.lanes.len(),
            "an arrow to a lane that is not there"
        );
        assert!(
            (1..=frames).contains(&a.frame),
            "arrow for frame {} of {frames}",
            a.frame
        );
        assert!(a.frame > prev, "arrows out of frame order");
        prev = a.frame;
        assert!(a.depart <= a.arrive, "an arrow arrives before it leaves");
    }
    let svg = view::diagram::svg(&d);
    if let Err(e) = roxmltree::Document::parse(&svg) {
        panic!("the SVG is not XML: {e}");
    }
    let _ = (
        view::diagram::text(&d),
        view::diagram::mermaid(&d),
        view::diagram::plantuml(&d),
        view::diagram::msc(&d),
    );
}
