//! The mouse: a click selects a row, a field or a byte; the wheel scrolls
//! the pane under it.

use super::{App, Pane};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

impl App {
    pub(super) fn mouse(&mut self, m: MouseEvent) {
        let inside = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let a = self.areas;
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let code = if m.kind == MouseEventKind::ScrollDown {
                    KeyCode::Down
                } else {
                    KeyCode::Up
                };
                if inside(a.list) {
                    self.focus = Pane::List;
                } else if inside(a.details) {
                    self.focus = Pane::Details;
                } else if inside(a.hex) {
                    self.focus = Pane::Hex;
                }
                for _ in 0..3 {
                    self.pane_key(KeyEvent::new(code, KeyModifiers::NONE));
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if inside(a.list) {
                    self.focus = Pane::List;
                    // One border line and the header row above the rows.
                    let row = (m.row - a.list.y) as usize;
                    if row >= 2 {
                        self.stop_following();
                        self.select_row(self.top + row - 2);
                    }
                } else if inside(a.details) {
                    self.focus = Pane::Details;
                    let row = (m.row - a.details.y) as usize;
                    if row >= 1 {
                        let pos = self.details.top + row - 1;
                        if pos < self.details.nodes.len() {
                            self.details.pos = pos;
                            if let Some((s, _)) = self.details.span() {
                                self.hex_cursor = s;
                            }
                        }
                    }
                } else if inside(a.hex) {
                    self.focus = Pane::Hex;
                    let row = (m.row - a.hex.y) as usize;
                    let col = (m.column - a.hex.x) as usize;
                    if row >= 1 && col >= 1 {
                        let line = self.hex_top + row - 1;
                        // `0000  xx xx ...  ascii`: hex digits from column 6,
                        // three columns a byte; ASCII from column 56.
                        let c = col - 1;
                        let within = if (6..54).contains(&c) {
                            Some((c - 6) / 3)
                        } else if (56..72).contains(&c) {
                            Some(c - 56)
                        } else {
                            None
                        };
                        let len = self.loaded.as_ref().map_or(0, |l| l.bytes.len());
                        if let Some(w) = within {
                            let byte = line * 16 + w;
                            if byte < len {
                                self.set_hex_cursor(byte);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
