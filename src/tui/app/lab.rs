//! The lab panes' keys: `d` opens or closes the diagram, `a` the answers
//! (in place of the details and hex panes); in the pane, j/k move, Enter
//! selects the frame the line cites (again: the next one it cites).

use super::{App, Pane};
use crate::tui::lab::{LabKind, LabPane};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    /// `d` / `a`: shows the pane, or hides it when it is shown.
    pub fn toggle_lab(&mut self, kind: LabKind) {
        if self.lab.as_ref().is_some_and(|l| l.kind == kind) {
            self.lab = None;
            if self.focus == Pane::Lab {
                self.focus = Pane::List;
            }
            return;
        }
        self.lab = Some(LabPane::new(kind));
        self.lab_tick();
    }

    /// Keeps the pane up to date; the diagram's cursor follows the list.
    pub(super) fn lab_tick(&mut self) {
        let stream = self.selected_stream();
        let selected = self.selected_frame();
        let name = self
            .index
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let focus = self.focus;
        let Some(lab) = &mut self.lab else { return };
        lab.refresh(&self.index, stream, &name);
        if lab.kind == LabKind::Diagram && focus != Pane::Lab {
            if let Some(line) = selected.and_then(|n| lab.line_of(n)) {
                lab.cursor = line;
            }
        }
    }

    pub(super) fn lab_key(&mut self, k: KeyEvent) {
        let page = self.details_height.max(2) as isize - 1;
        let Some(lab) = &mut self.lab else { return };
        match k.code {
            KeyCode::Char('j') | KeyCode::Down => lab.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => lab.move_by(-1),
            KeyCode::PageDown => lab.move_by(page),
            KeyCode::PageUp => lab.move_by(-page),
            KeyCode::Char('g') | KeyCode::Home => lab.move_by(isize::MIN / 2),
            KeyCode::Char('G') | KeyCode::End => lab.move_by(isize::MAX / 2),
            KeyCode::Enter => {
                if let Some(n) = lab.next_ref() {
                    if !self.select_frame(n) {
                        self.message = Some(format!("frame {n} is hidden by the filter"));
                    }
                }
            }
            _ => {}
        }
    }
}
