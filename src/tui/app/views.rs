//! The views over the panes (follow, conversations, transactions, expert,
//! help): opening them and their keys.

use super::App;
use crate::tui::index::{EXPERT, NO_STREAM};
use crate::tui::views::{ConvView, FollowView, Overlay, TableView};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    pub(super) fn selected_stream(&self) -> Option<u32> {
        let n = self.selected_frame()?;
        let s = self.index.lock().streams.get(n as usize - 1)?;
        (s != NO_STREAM).then_some(s)
    }

    pub(super) fn open_follow(&mut self) {
        let Some(stream) = self.selected_stream() else {
            self.message = Some("the selected frame is not TCP: nothing to follow".into());
            return;
        };
        match self.loader.follow(stream) {
            Ok(f) => self.overlay = Overlay::Follow(FollowView::new(f)),
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    pub(super) fn open_conversations(&mut self) {
        let counting = super::super::scan::conversations(&self.index);
        self.overlay = Overlay::Conv(ConvView::counting(counting));
    }

    /// The transactions found so far (requests still unanswered are added
    /// at the end of the capture).
    pub(super) fn open_transactions(&mut self) {
        self.overlay = Overlay::Http(TableView::default());
    }

    pub(super) fn overlay_key(&mut self, k: KeyEvent) {
        let code = k.code;
        // While the follow view's search line takes text, every key is its.
        let typing = matches!(&self.overlay, Overlay::Follow(f) if f.searching.is_some());
        if !typing && matches!(code, KeyCode::Esc | KeyCode::Char('q')) {
            self.overlay = Overlay::None;
            return;
        }
        let overlay = std::mem::replace(&mut self.overlay, Overlay::None);
        self.overlay = match overlay {
            Overlay::Help(top) => {
                let top = match code {
                    KeyCode::Char('j') | KeyCode::Down => top + 1,
                    KeyCode::Char('k') | KeyCode::Up => top.saturating_sub(1),
                    _ => top,
                };
                Overlay::Help(top)
            }
            Overlay::Follow(mut f) => {
                if !typing && code == KeyCode::Char('F') {
                    let stream = f.stream.stream;
                    let _ = self.apply_filter(&format!("tcp.stream eq {stream}"));
                    self.message =
                        Some(format!("filtered to stream {stream} (Backspace goes back)"));
                    return;
                }
                if let Some(msg) = f.key(k) {
                    self.message = Some(msg);
                }
                Overlay::Follow(f)
            }
            Overlay::Conv(mut c) => {
                if code == KeyCode::Enter {
                    if let Some(stream) = c.selected_stream() {
                        let _ = self.apply_filter(&format!("tcp.stream eq {stream}"));
                        return;
                    }
                }
                c.key(code);
                Overlay::Conv(c)
            }
            Overlay::Http(mut t) => {
                let rows = self.index.lock().transactions.len();
                match code {
                    KeyCode::Enter | KeyCode::Char('r') => {
                        let row = self.index.lock().transaction_frames.get(t.pos);
                        let frame = row
                            .map(|[request, response]| match code {
                                KeyCode::Enter if request > 0 => request as u64,
                                _ => response as u64,
                            })
                            .filter(|n| *n > 0);
                        if let Some(n) = frame {
                            if self.select_frame(n) {
                                return;
                            }
                            self.message = Some(format!("frame {n} is hidden by the filter"));
                        }
                    }
                    _ => t.key(code, rows),
                }
                Overlay::Http(t)
            }
            Overlay::Expert(mut t) => {
                if code == KeyCode::Enter {
                    if let Some(cat) = EXPERT.get(t.pos) {
                        if cat.filter.is_empty() {
                            let first = self.index.lock().expert_first[t.pos];
                            if first > 0 && self.select_frame(first) {
                                return;
                            }
                        } else {
                            let _ = self.apply_filter(cat.filter);
                            return;
                        }
                    }
                }
                t.key(code, EXPERT.len());
                Overlay::Expert(t)
            }
            Overlay::None => Overlay::None,
        };
    }
}
