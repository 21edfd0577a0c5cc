//! The list while a live capture runs: it follows the newest packet until
//! the user moves (termshark's auto-scroll; `G` follows again), Space
//! freezes what is shown while the capture goes on, and the status line
//! reads the capture's counters.

use super::App;
use crate::source::recorder::RecordStatus;
use crate::tui::scan;
use crate::tui::views::Overlay;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// While following the newest packet, its details are loaded at most this
/// often: each load replays the frame's stream, and at thousands of packets
/// a second the list must not wait for the details.
const DETAILS_EVERY: Duration = Duration::from_millis(250);
/// An open follow or conversations view is read again at most this often
/// while packets arrive.
const VIEWS_EVERY: Duration = Duration::from_secs(1);

/// A live capture feeding the UI: its counters, its file, and how to stop
/// it (`source::recorder::Recorder`, or a test's writer).
pub struct Live {
    pub status: Arc<RecordStatus>,
    pub path: PathBuf,
    /// Stops the capture and returns once its file is complete.
    stop: Option<Box<dyn FnOnce() + Send>>,
    /// The file was named with `-w` (kept); else it is a temporary file
    /// whose name is told on quit.
    pub named: bool,
    /// The list follows the newest packet.
    pub follow: bool,
    /// Space: the number of rows shown when the display was paused.
    pub paused: Option<usize>,
    /// Shown in the status line (`lab --tui`: the URL to open).
    pub note: Option<String>,
    /// When the open view (follow, conversations) was last brought up to
    /// date, and at how many frames.
    views_at: (Instant, usize),
    last_details: Option<Instant>,
}

impl Live {
    pub fn new(
        status: Arc<RecordStatus>,
        path: PathBuf,
        named: bool,
        stop: Box<dyn FnOnce() + Send>,
    ) -> Self {
        Live {
            status,
            path,
            stop: Some(stop),
            named,
            follow: true,
            paused: None,
            note: None,
            last_details: None,
            views_at: (Instant::now(), 0),
        }
    }

    /// Captured, received and dropped-by-kernel counts.
    pub fn counts(&self) -> (u64, u64, u64) {
        let s = &self.status;
        (
            s.captured.load(Ordering::Relaxed),
            s.received.load(Ordering::Relaxed),
            s.dropped_by_kernel.load(Ordering::Relaxed),
        )
    }

    pub fn running(&self) -> bool {
        !self.status.stopped.load(Ordering::Acquire)
    }

    /// Stops the capture (once) and waits for its file to be complete.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

impl App {
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// The user moved the selection: the list stops following.
    pub(super) fn stop_following(&mut self) {
        if let Some(l) = &mut self.live {
            l.follow = false;
        }
    }

    /// `G` / End: follow the newest packet again.
    pub(super) fn follow_newest(&mut self) {
        if let Some(l) = &mut self.live {
            l.follow = true;
        }
    }

    /// Space: freeze the display, or let it move on.
    pub fn toggle_pause(&mut self) {
        let rows = self.rows();
        let Some(l) = &mut self.live else { return };
        l.paused = match l.paused {
            Some(_) => None,
            None => Some(rows),
        };
        self.message = Some(if l.paused.is_some() {
            "display paused, the capture goes on (Space resumes)".into()
        } else {
            "display resumed".into()
        });
    }

    /// Rows the display may show: all, or those shown when it was paused.
    pub(super) fn visible_rows(&self, rows: usize) -> usize {
        match self.live.as_ref().and_then(|l| l.paused) {
            Some(frozen) => rows.min(frozen),
            None => rows,
        }
    }

    /// Live, the follow and conversations views keep up with the capture:
    /// read again (at most every [`VIEWS_EVERY`]) when more frames came.
    fn live_views_tick(&mut self) {
        let frames = self.index.lock().frames();
        let Some(l) = &mut self.live else { return };
        if frames == l.views_at.1 || l.views_at.0.elapsed() < VIEWS_EVERY {
            return;
        }
        l.views_at = (Instant::now(), frames);
        match &mut self.overlay {
            Overlay::Follow(f) => {
                if let Ok(stream) = self.loader.follow(f.stream.stream) {
                    if stream.pieces.len() != f.stream.pieces.len() {
                        f.stream = stream;
                        f.relayout();
                    }
                }
            }
            Overlay::Conv(c) if c.pending.is_none() => {
                c.pending = Some(scan::conversations(&self.index));
            }
            _ => {}
        }
    }

    /// On each tick: keep the newest row selected while following.
    pub(super) fn live_tick(&mut self) {
        self.live_views_tick();
        let Some(l) = &self.live else { return };
        if !l.follow || l.paused.is_some() || self.overlay_open() {
            return;
        }
        let rows = self.rows();
        if rows == 0 || (self.pos + 1 == rows && self.loaded.is_some()) {
            return;
        }
        let load = l
            .last_details
            .map_or(true, |t| t.elapsed() >= DETAILS_EVERY);
        self.pos = rows - 1;
        crate::tui::views::scroll_into_view(&mut self.top, self.pos, self.list_height);
        if load {
            self.load_selected();
            if let Some(l) = &mut self.live {
                l.last_details = Some(Instant::now());
            }
        }
    }

    /// The capture's file and how to find it, for the message on quit.
    pub fn live_summary(&self) -> Option<String> {
        let l = self.live.as_ref()?;
        let (captured, _, dropped) = l.counts();
        let mut s = format!(
            "{captured} packets captured, {dropped} dropped by kernel; the capture is in {}",
            l.path.display()
        );
        if !l.named {
            s.push_str(" (a temporary file: copy it to keep it)");
        }
        if let Some(e) = l.status.error() {
            s.push_str(&format!("\nthe capture stopped on an error: {e}"));
        }
        Some(s)
    }
}
