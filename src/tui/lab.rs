//! The lab panes (files and live alike), computed in the background:
//!
//! - **Diagram**: `coffeeshark diagram --format txt` (`report::diagram` +
//!   `view::diagram::text`) for the selected frame's TCP stream and, when
//!   that is a browser ↔ web app connection, the pot connections opened
//!   while it was open (the web app asking the pot on the browser's
//!   behalf). Its frames are read back by offset (`PacketLoader::replay`),
//!   not by a pass over the file. It keeps the lab's ports (5031 browser ↔
//!   web app, 5030 pot) for its lanes and for which streams belong
//!   together: it reads a few streams, not the capture, so it has no
//!   traffic to detect roles from.
//! - **Answers**: `coffeeshark report` (Tasks 1, 3–8, `report::answers` +
//!   `view::report::markdown`) over what is captured so far
//!   (`Index::snapshot`), with the roles detected as the CLI does
//!   (`report::roles`).
//!
//! Each line keeps the frames it cites (`#N`), so Enter can jump to them.
//! Live, a pane is computed again when more frames came (at most once per
//! [`REFRESH_EVERY`]).

use super::index::Index;
use super::packet::PacketLoader;
use crate::report::answers::{self, TASKS};
use crate::report::diagram::{self, Options};
use crate::report::{pass, Collector, Limits, Roles, Selection, POT_PORT, WEBAPP_PORT};
use crate::view;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A pane showing stale text is recomputed at most this often.
pub const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// Arrows drawn at most (as `diagram --max-arrows`).
const MAX_ARROWS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabKind {
    Diagram,
    Answers,
}

/// A pane's text and the frames each line cites.
#[derive(Debug, Clone, Default)]
pub struct LabText {
    pub title: String,
    pub lines: Vec<String>,
    pub refs: Vec<Vec<u64>>,
}

impl LabText {
    fn new(title: String, text: &str) -> Self {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let refs = lines.iter().map(|l| frame_refs(l)).collect();
        LabText { title, lines, refs }
    }
}

/// The frame numbers a line cites: `#N` not inside a word.
pub fn frame_refs(line: &str) -> Vec<u64> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                if let Ok(n) = line[i + 1..i + 1 + digits].parse() {
                    out.push(n);
                }
            }
            i += 1 + digits;
        } else {
            i += 1;
        }
    }
    out
}

type Slot = Arc<Mutex<Option<LabText>>>;

/// A lab pane's state.
pub struct LabPane {
    pub kind: LabKind,
    pub text: Option<LabText>,
    pending: Option<Slot>,
    /// The line under the cursor, and the first row drawn.
    pub cursor: usize,
    pub top: usize,
    /// Which of the cursor line's frames Enter goes to next.
    pub turn: usize,
    /// What `text` (or the pending computation) is for.
    stream: Option<u32>,
    frames: usize,
    started: Option<Instant>,
}

impl LabPane {
    pub fn new(kind: LabKind) -> Self {
        LabPane {
            kind,
            text: None,
            pending: None,
            cursor: 0,
            top: 0,
            turn: 0,
            stream: None,
            frames: 0,
            started: None,
        }
    }

    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes a finished computation, and starts one when what the pane
    /// shows is out of date: another stream selected (diagram), or more
    /// frames captured.
    pub fn refresh(&mut self, index: &Arc<Index>, stream: Option<u32>, name: &str) {
        if let Some(slot) = &self.pending {
            let done = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            match done {
                Some(text) => {
                    self.pending = None;
                    self.cursor = self.cursor.min(text.lines.len().saturating_sub(1));
                    self.text = Some(text);
                }
                None => return,
            }
        }
        let frames = index.lock().frames();
        let moved = self.kind == LabKind::Diagram && stream != self.stream;
        let grew =
            frames != self.frames && self.started.map_or(true, |t| t.elapsed() >= REFRESH_EVERY);
        if !(moved || grew || self.started.is_none()) {
            return;
        }
        if moved {
            self.cursor = 0;
            self.top = 0;
        }
        self.stream = stream;
        self.frames = frames;
        self.started = Some(Instant::now());
        let index = index.clone();
        let name = name.to_owned();
        let slot = Slot::default();
        let out = slot.clone();
        let kind = self.kind;
        std::thread::Builder::new()
            .name("coffeeshark-lab".into())
            .spawn(move || {
                let text = match kind {
                    LabKind::Diagram => diagram_text(&index, stream),
                    LabKind::Answers => answers_text(&index, &name),
                };
                *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
            })
            .expect("spawning a lab pane thread");
        self.pending = Some(slot);
    }

    /// The line of the diagram that is frame `n`'s arrow.
    pub fn line_of(&self, n: u64) -> Option<usize> {
        let t = self.text.as_ref()?;
        t.refs.iter().position(|r| r.first() == Some(&n))
    }

    /// Enter: the next frame the cursor line cites (cycling through them).
    pub fn next_ref(&mut self) -> Option<u64> {
        let refs = self.text.as_ref()?.refs.get(self.cursor)?;
        if refs.is_empty() {
            return None;
        }
        let n = refs[self.turn % refs.len()];
        self.turn += 1;
        Some(n)
    }

    /// Moves the cursor by `delta` lines.
    pub fn move_by(&mut self, delta: isize) {
        let lines = self.text.as_ref().map_or(0, |t| t.lines.len());
        if lines == 0 {
            return;
        }
        self.cursor = (self.cursor as isize + delta).clamp(0, lines as isize - 1) as usize;
        self.turn = 0;
    }
}

/// The ladder of `stream` and the pot connections it caused.
fn diagram_text(index: &Arc<Index>, stream: Option<u32>) -> LabText {
    let Some(stream) = stream else {
        return LabText::new(
            "Diagram".into(),
            "The selected frame is not TCP: select a frame of a connection to draw it.",
        );
    };
    let mut loader = match PacketLoader::new(index.clone()) {
        Ok(l) => l,
        Err(e) => return LabText::new("Diagram".into(), &e.to_string()),
    };
    let streams = related_streams(index, &mut loader, stream);
    let mut collector = Collector::new(
        Limits::default(),
        Some(Selection {
            streams: None,
            hide_acks: false,
            max_arrows: MAX_ARROWS,
        }),
    );
    let read = loader.replay(&streams, |p| collector.add(p, true));
    let facts = collector.finish();
    let d = diagram::build(
        &facts,
        &Options {
            roles: Roles::default(),
            title: String::new(),
        },
    );
    let mut text = view::diagram::text(&d);
    if let Err(e) = read {
        text.push_str(&format!("\n{e}\n"));
    }
    let list: Vec<String> = streams.iter().map(u32::to_string).collect();
    let title = if streams.len() == 1 {
        format!("Diagram: stream {stream}")
    } else {
        format!(
            "Diagram: streams {} (the web app's request and its pot connections)",
            list.join(", ")
        )
    };
    LabText::new(title, &text)
}

/// `stream`, and when it is a connection to the web app, the connections
/// to the pot opened while it was open.
fn related_streams(index: &Index, loader: &mut PacketLoader, stream: u32) -> Vec<u32> {
    let (first, candidates) = {
        let d = index.lock();
        let Some(first) = d.stream_starts.get(stream as usize) else {
            return vec![stream];
        };
        let last = d
            .streams
            .rposition(|s| s == stream)
            .map_or(first, |i| i as u32);
        let lo = d.stream_starts.partition_point(|s| s <= first);
        let hi = d.stream_starts.partition_point(|s| s <= last);
        let candidates: Vec<(u32, u32)> = (lo..hi)
            .filter_map(|t| Some((t as u32, d.stream_starts.get(t)?)))
            .collect();
        (first, candidates)
    };
    let mut out = vec![stream];
    let is =
        |ports: Option<(u16, u16)>, port: u16| ports.is_some_and(|(a, b)| a == port || b == port);
    if is(loader.ports(first as u64 + 1), WEBAPP_PORT) {
        for (t, start) in candidates {
            if is(loader.ports(start as u64 + 1), POT_PORT) {
                out.push(t);
            }
        }
    }
    out
}

/// The lab report over what is captured now, as `coffeeshark report` reads
/// it (`report::pass::collect_detecting`: the roles found in the same pass
/// over a snapshot).
fn answers_text(index: &Index, name: &str) -> LabText {
    let collected = pass::collect_detecting(
        || index.snapshot(),
        None,
        Limits::default(),
        None,
        None,
        (None, None),
    );
    let (facts, err) = match collected {
        Ok(c) => c,
        Err(e) => return LabText::new("Answers".into(), &e.to_string()),
    };
    let report = answers::answer(&facts, name, &TASKS);
    let mut text = view::report::markdown(&report, None);
    if let Some(e) = err {
        text.push_str(&format!("\n{e}\n"));
    }
    let title = format!("Answers: the lab's questions, from {} frames", facts.frames);
    LabText::new(title, &text)
}

#[cfg(test)]
mod tests {
    use super::frame_refs;

    #[test]
    fn cited_frames_are_found_in_lines() {
        assert_eq!(frame_refs("- #4, #24 (stream 1): x #6"), vec![4, 24, 6]);
        assert_eq!(frame_refs("  0.000000  s0 H  |-- #1 SYN --->|"), vec![1]);
        assert_eq!(frame_refs("a#3 # #x ##9"), vec![9]);
    }
}
