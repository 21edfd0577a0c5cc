//! Drawing the lab pane (`tui::lab`): the diagram's ladder as it is (cut at
//! the pane's width, like `diagram --format txt` in a narrow terminal), the
//! answers wrapped at words; the cursor line highlighted.

use super::pane_frame;
use crate::tui::app::{App, Pane};
use crate::tui::lab::LabKind;
use crate::tui::views::scroll_into_view;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub(super) fn draw_lab(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let focused = app.focus == Pane::Lab;
    let theme = app.theme;
    let Some(lab) = &mut app.lab else { return };
    let mut title = match (&lab.text, lab.kind) {
        (Some(t), _) => t.title.clone(),
        (None, LabKind::Diagram) => "Diagram".into(),
        (None, LabKind::Answers) => "Answers".into(),
    };
    if lab.busy() {
        title.push_str(if lab.text.is_some() {
            " (updating…)"
        } else {
            " (computing…)"
        });
    }
    title.push_str(" │ Enter: go to the cited frame");
    let inner = pane_frame(f, app, &title, Pane::Lab, area);
    let Some(lab) = &mut app.lab else { return };
    let Some(text) = &lab.text else { return };
    let width = inner.width.max(1) as usize;
    // The diagram's lane names and column heads stay on top while its
    // arrows scroll.
    let sticky = match lab.kind {
        LabKind::Diagram => text
            .lines
            .iter()
            .position(|l| l.trim_start().starts_with("time (s)"))
            .map_or(0, |i| i + 1)
            .min(inner.height.saturating_sub(1) as usize),
        LabKind::Answers => 0,
    };
    let mut head: Vec<Line> = text.lines[..sticky]
        .iter()
        .map(|l| Line::raw(l.chars().take(width).collect::<String>()))
        .collect();
    // (line, row text) for every row of the pane's content.
    let mut rows: Vec<(usize, String)> = Vec::new();
    let mut cursor_row = 0;
    for (i, line) in text.lines.iter().enumerate().skip(sticky) {
        if i == lab.cursor {
            cursor_row = rows.len();
        }
        match lab.kind {
            LabKind::Diagram => rows.push((i, line.chars().take(width).collect())),
            LabKind::Answers => {
                for r in wrap(line, width) {
                    rows.push((i, r));
                }
            }
        }
    }
    let height = (inner.height as usize).saturating_sub(sticky);
    scroll_into_view(&mut lab.top, cursor_row, height);
    let shown: Vec<Line> = rows
        .iter()
        .skip(lab.top)
        .take(height)
        .map(|(i, r)| {
            if *i == lab.cursor {
                Line::styled(format!("{r:width$}"), theme.selected(focused))
            } else {
                Line::raw(r.clone())
            }
        })
        .collect();
    head.extend(shown);
    f.render_widget(Paragraph::new(head).style(theme.text()), inner);
}

/// Greedy word wrap at `width` characters (a word longer than the line is
/// cut).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut len = 0;
    for word in line.split(' ') {
        let w = word.chars().count();
        if len > 0 && len + 1 + w > width {
            out.push(std::mem::take(&mut cur));
            len = 0;
        }
        if len > 0 {
            cur.push(' ');
            len += 1;
        }
        let mut chars = word.chars();
        for c in chars.by_ref() {
            if len == width {
                out.push(std::mem::take(&mut cur));
                len = 0;
            }
            cur.push(c);
            len += 1;
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_words() {
        assert_eq!(wrap("ab cd ef", 5), vec!["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
    }
}
