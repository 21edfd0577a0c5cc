//! Filter text → compile → evaluate on every frame of a lab recording (the
//! homepage capture, HTTP and HTCPCP, analysed once per process).
//!
//! What must hold: a filter that compiles evaluates on every frame without
//! failing; when it says it needs messages (`needs_messages`, which lets
//! `read -Y` skip frames), it matches only frames that complete a message;
//! a filter that does not compile has an error whose caret lies inside the
//! text.

use coffeeshark::filter::Filter;
use coffeeshark::model::Packet;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::{CaptureReader, RawFrame};

thread_local! {
    static PACKETS: Vec<Packet<'static>> = packets();
}

/// The sample's frames, analysed once; their bytes live as long as the process.
fn packets() -> Vec<Packet<'static>> {
    let bytes = crate::SAMPLE_HOMEPAGE;
    let mut reader =
        CaptureReader::from_reader(std::io::Cursor::new(bytes)).expect("the sample reads");
    let mut analyzer = Analyzer::new();
    let mut out = Vec::new();
    while let Ok(Some(raw)) = reader.next_frame() {
        let raw: RawFrame<'static> = RawFrame {
            data: Box::leak(raw.data.to_vec().into_boxed_slice()),
            interface_name: None,
            interface_description: None,
            ..raw
        };
        out.push(analyzer.process(&raw));
    }
    out
}

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    match Filter::compile(text) {
        Ok(f) => PACKETS.with(|pkts| {
            for p in pkts {
                let hit = f.matches(p);
                if hit && f.needs_messages() {
                    assert!(
                        p.app.as_ref().is_some_and(|a| !a.messages.is_empty()),
                        "frame {} matches {text:?} without a message",
                        p.frame.number
                    );
                }
            }
        }),
        Err(e) => {
            assert!(
                e.plain || e.start <= text.len(),
                "caret at {} in {} bytes",
                e.start,
                text.len()
            );
            let _ = e.render(text);
        }
    }
}
