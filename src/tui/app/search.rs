//! Search (Ctrl-F, `n`, `N`): in the Info column from the index, or in
//! field values and bytes by a background pass (`scan::search`), wrapping
//! round to the first frame once.

use super::{App, Search};
use crate::tui::scan::{self, SearchIn};

impl App {
    pub(super) fn start_search(&mut self, text: String, within: SearchIn, backwards: bool) {
        let after = self.selected_frame().unwrap_or(0);
        if let Some(s) = &self.search {
            if let Some(p) = &s.pass {
                p.cancel();
            }
        }
        match within {
            SearchIn::Info => {
                self.search = Some(Search {
                    text: text.clone(),
                    within,
                    pass: None,
                    wrapped: false,
                    backwards,
                });
                self.search_info(&text, backwards);
            }
            _ => {
                let pass = (!backwards).then(|| scan::search(&self.index, within, &text, after));
                if backwards {
                    self.message = Some("backward search is for Info only".into());
                }
                self.search = Some(Search {
                    text,
                    within,
                    pass,
                    wrapped: false,
                    backwards,
                });
            }
        }
    }

    /// Searches the Info column of the rows shown, from the selection.
    pub(super) fn search_info(&mut self, text: &str, backwards: bool) {
        let needle = text.to_lowercase();
        let rows = self.rows();
        if rows == 0 {
            return;
        }
        for step in 1..=rows {
            let pos = if backwards {
                (self.pos + rows - step % rows) % rows
            } else {
                (self.pos + step) % rows
            };
            let Some(n) = self.frame_at(pos) else {
                continue;
            };
            let Some((cells, _)) = self.cells(n) else {
                continue;
            };
            let info = crate::view::list::split_cells(&cells)[5];
            if info.to_lowercase().contains(&needle) {
                self.select_row(pos);
                self.message = Some(format!("found \"{text}\" in frame {n}"));
                return;
            }
        }
        self.message = Some(format!("\"{text}\" not found in Info"));
    }

    pub(super) fn poll_search(&mut self) {
        let Some(s) = &mut self.search else { return };
        let Some(pass) = &s.pass else { return };
        let (first, done) = {
            let f = pass.lock();
            (f.frames.first().copied(), f.done)
        };
        if let Some(n) = first {
            s.pass = None;
            if !self.select_frame(n) {
                self.message = Some(format!("found in frame {n}, which the filter hides"));
            } else {
                self.message = Some(format!("found in frame {n}"));
            }
        } else if done {
            if s.wrapped {
                s.pass = None;
                self.message = Some(format!("\"{}\" not found in {}", s.text, s.within.name()));
            } else {
                s.wrapped = true;
                s.pass = Some(scan::search(&self.index, s.within, &s.text, 0));
            }
        }
    }

    pub(super) fn search_again(&mut self, backwards: bool) {
        let Some(s) = &self.search else {
            self.message = Some("no search yet (Ctrl-F)".into());
            return;
        };
        if s.text.is_empty() {
            return;
        }
        let (text, within) = (s.text.clone(), s.within);
        self.start_search(text, within, backwards);
    }
}
