//! The bottom-line inputs: the display filter bar, go to packet, search.

use super::{App, Search};
use crate::tui::bars::{self, EditLine, Input, InputKind};
use crate::tui::scan::SearchIn;
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    pub(super) fn open_input(&mut self, kind: InputKind) {
        let text = match kind {
            InputKind::Filter => self
                .filter
                .as_ref()
                .map(|f| f.text.clone())
                .unwrap_or_default(),
            InputKind::Search => self
                .search
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default(),
            InputKind::Goto => String::new(),
        };
        self.verdict = bars::check(if kind == InputKind::Filter { &text } else { "" });
        if kind == InputKind::Search && self.search.is_none() {
            self.search = Some(Search {
                text: String::new(),
                within: SearchIn::Info,
                pass: None,
                wrapped: false,
                backwards: false,
            });
        }
        self.input = Some(Input {
            kind,
            line: EditLine::new(&text),
            history_pos: None,
        });
    }

    pub(super) fn input_key(&mut self, k: KeyEvent) {
        let Some(input) = &mut self.input else { return };
        let kind = input.kind.clone();
        match k.code {
            KeyCode::Esc => {
                self.input = None;
                return;
            }
            KeyCode::Enter => {
                let text = input.line.text.clone();
                self.input = None;
                self.submit(kind, text);
                return;
            }
            KeyCode::Char(c) => input.line.insert(c),
            KeyCode::Backspace => input.line.backspace(),
            KeyCode::Delete => input.line.delete(),
            KeyCode::Left => input.line.left(),
            KeyCode::Right => input.line.right(),
            KeyCode::Home => input.line.home(),
            KeyCode::End => input.line.end(),
            KeyCode::Tab if kind == InputKind::Filter => {
                let c = input.line.complete();
                self.message = match c.len() {
                    0 => Some("no field or protocol starts so".into()),
                    1 => None,
                    n => Some(format!(
                        "{n} names: {}",
                        c.iter().take(8).copied().collect::<Vec<_>>().join(" ")
                    )),
                };
            }
            KeyCode::Tab if kind == InputKind::Search => {
                if let Some(s) = &mut self.search {
                    s.within = s.within.next();
                }
            }
            KeyCode::Up | KeyCode::Down
                if kind == InputKind::Filter && !self.history.is_empty() =>
            {
                let last = self.history.len() - 1;
                let pos = match (input.history_pos, k.code) {
                    (None, KeyCode::Up) => Some(last),
                    (Some(p), KeyCode::Up) => Some(p.saturating_sub(1)),
                    (Some(p), KeyCode::Down) if p < last => Some(p + 1),
                    _ => None,
                };
                input.history_pos = pos;
                let text = pos.map_or("", |p| self.history[p].as_str()).to_owned();
                input.line.set(&text);
            }
            _ => {}
        }
        if kind == InputKind::Filter {
            let text = self
                .input
                .as_ref()
                .map(|i| i.line.text.clone())
                .unwrap_or_default();
            self.verdict = bars::check(&text);
        }
    }

    pub(super) fn submit(&mut self, kind: InputKind, text: String) {
        match kind {
            InputKind::Filter => {
                if let Err(e) = self.apply_filter(&text) {
                    self.message = Some(e);
                }
            }
            InputKind::Goto => match text.trim().parse::<u64>() {
                Ok(n) => {
                    if !self.select_frame(n) {
                        self.message = Some(format!("no frame {n} in the list"));
                    }
                }
                Err(_) => self.message = Some(format!("not a frame number: {text:?}")),
            },
            InputKind::Search => {
                if text.is_empty() {
                    return;
                }
                let within = self.search.as_ref().map_or(SearchIn::Info, |s| s.within);
                self.start_search(text, within, false);
            }
        }
    }
}
