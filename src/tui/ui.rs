//! Drawing: the [`App`]'s state onto a ratatui frame. Nothing here changes
//! state except the remembered pane sizes and areas (for paging and the
//! mouse). termshark's screen: the filter bar on top, the packet list,
//! details and hex panes, the status line at the bottom.

use super::app::{App, Layout, Pane};
use super::bars::InputKind;
use super::colors::Rule;
use super::index::EXPERT;
use super::views::{scroll_into_view, ConvView, FollowView, Overlay, CONV_COLUMNS};
use crate::view;
use ratatui::layout::{Constraint, Direction, Layout as Split, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

mod lab;

/// The smallest screen the panes fit in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

pub fn draw(f: &mut Frame<'_>, app: &mut App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "The terminal is too small ({}x{}): coffeeshark needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    f.render_widget(Block::default().style(app.theme.text()), area);
    let rows = Split::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(6),
            Constraint::Length(1),
        ])
        .split(area);
    draw_filter_bar(f, app, rows[0]);
    let main = rows[1];
    let (list, details, hex) = match app.layout {
        Layout::Stacked => {
            let p = Split::default()
                .direction(Direction::Vertical)
                .constraints([
                    Constraint::Percentage(45),
                    Constraint::Percentage(30),
                    Constraint::Percentage(25),
                ])
                .split(main);
            (p[0], p[1], p[2])
        }
        Layout::SideBySide => {
            let p = Split::default()
                .direction(Direction::Vertical)
                .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
                .split(main);
            let q = Split::default()
                .direction(Direction::Horizontal)
                .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
                .split(p[1]);
            (p[0], q[0], q[1])
        }
    };
    app.areas.list = list;
    if app.lab.is_some() {
        // The lab pane takes the place of details and hex.
        let lab = Rect {
            y: list.y + list.height,
            height: main.y + main.height - (list.y + list.height),
            ..main
        };
        app.areas.details = Rect::default();
        app.areas.hex = Rect::default();
        draw_list(f, app, list);
        lab::draw_lab(f, app, lab);
    } else {
        app.areas.details = details;
        app.areas.hex = hex;
        draw_list(f, app, list);
        draw_details(f, app, details);
        draw_hex(f, app, hex);
    }
    if !matches!(app.overlay, Overlay::None) {
        draw_overlay(f, app, main);
    }
    draw_status(f, app, rows[2]);
}

/// Draws a pane's frame and title (highlighted when focused); returns the
/// area inside it.
fn pane_frame(f: &mut Frame<'_>, app: &App, title: &str, pane: Pane, area: Rect) -> Rect {
    let focused = pane == app.focus && matches!(app.overlay, Overlay::None);
    let title_style = if focused {
        app.theme.title()
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(format!(" {title} "), title_style));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

fn draw_filter_bar(f: &mut Frame<'_>, app: &App, area: Rect) {
    let editing = app.input.as_ref().filter(|i| i.kind == InputKind::Filter);
    let text = match (editing, &app.filter) {
        (Some(i), _) => i.line.text.clone(),
        (None, Some(fl)) => fl.text.clone(),
        (None, None) => String::new(),
    };
    let style = if editing.is_some() {
        app.theme.verdict(app.verdict.0)
    } else {
        app.theme.verdict(super::bars::check(&text).0)
    };
    let shown = if text.is_empty() && editing.is_none() {
        "<press / to apply a display filter>".to_owned()
    } else {
        text
    };
    let line = Line::from(vec![
        Span::styled("Filter: ", Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "{shown:<width$}",
                width = area.width.saturating_sub(8) as usize
            ),
            style,
        ),
    ]);
    f.render_widget(Paragraph::new(line), area);
    if let Some(i) = editing {
        let x = area.x + 8 + i.line.text.chars().take(i.line.cursor).count() as u16;
        f.set_cursor_position((x.min(area.x + area.width - 1), area.y));
    }
}

/// Pads or cuts `s` to `w` characters.
fn fit(s: &str, w: usize, right: bool) -> String {
    let n = s.chars().count();
    if n > w {
        s.chars().take(w).collect()
    } else if right {
        format!("{}{s}", " ".repeat(w - n))
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

fn draw_list(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let rows_total = app.rows();
    let inner = pane_frame(f, app, "Packet List", Pane::List, area);
    let height = inner.height.saturating_sub(1) as usize;
    app.list_height = height;
    // Keep the selection on screen after a resize.
    scroll_into_view(&mut app.top, app.pos, height);
    let visible: Vec<(u64, [String; 6], u8)> = (app.top..(app.top + height).min(rows_total))
        .filter_map(|pos| {
            let n = app.frame_at(pos)?;
            let (cells, rule) = app.cells(n)?;
            let c = view::list::split_cells(&cells).map(str::to_owned);
            Some((n, c, rule))
        })
        .collect();
    let width = |i: usize, min: usize, max: usize| {
        visible
            .iter()
            .map(|(_, c, _)| c[i].chars().count())
            .max()
            .unwrap_or(0)
            .clamp(min, max)
    };
    let w_no = rows_total
        .max(app.index.lock().frames())
        .to_string()
        .len()
        .max(3);
    let (w_time, w_src, w_dst, w_proto, w_len) = (
        width(0, 4, 18),
        width(1, 6, 39),
        width(2, 11, 39),
        width(3, 8, 12),
        width(4, 6, 6),
    );
    let line_of = |no: &str, c: [&str; 6]| {
        format!(
            "{} {} {} {} {} {} {}",
            fit(no, w_no, true),
            fit(c[0], w_time, true),
            fit(c[1], w_src, false),
            fit(c[2], w_dst, false),
            fit(c[3], w_proto, false),
            fit(c[4], w_len, true),
            c[5]
        )
    };
    let mut lines = vec![Line::styled(
        fit(
            &{
                let [no, cells @ ..] = crate::view::list::TITLES;
                line_of(no, cells)
            },
            inner.width as usize,
            false,
        ),
        app.theme.title(),
    )];
    let focused = app.focus == Pane::List && matches!(app.overlay, Overlay::None);
    for (i, (n, c, rule)) in visible.iter().enumerate() {
        let text = fit(
            &line_of(&n.to_string(), [&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]]),
            inner.width as usize,
            false,
        );
        let style = if app.top + i == app.pos {
            app.theme
                .row(Rule::from_u8(*rule))
                .patch(app.theme.selected(focused))
        } else {
            app.theme.row(Rule::from_u8(*rule))
        };
        lines.push(Line::styled(text, style));
    }
    if visible.is_empty() {
        let why = if app.filter.is_some() {
            if app.busy() {
                "filtering…"
            } else {
                "no frame matches the filter"
            }
        } else if app.busy() {
            "reading…"
        } else {
            "the capture has no frames"
        };
        lines.push(Line::from(why));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_details(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let inner = pane_frame(f, app, "Packet Details", Pane::Details, area);
    let height = inner.height as usize;
    app.details_height = height;
    scroll_into_view(&mut app.details.top, app.details.pos, height);
    if let Some(e) = &app.load_error {
        f.render_widget(
            Paragraph::new(format!("cannot show this frame: {e}")),
            inner,
        );
        return;
    }
    let focused = app.focus == Pane::Details && matches!(app.overlay, Overlay::None);
    let d = &app.details;
    let lines: Vec<Line> = d
        .nodes
        .iter()
        .enumerate()
        .skip(d.top)
        .take(height)
        .map(|(i, n)| {
            let marker = match (n.has_children, n.expanded) {
                (false, _) => "    ",
                (true, true) => "[-] ",
                (true, false) => "[+] ",
            };
            let text = format!("{}{marker}{}", "  ".repeat(n.depth), n.label);
            let style = if i == d.pos {
                app.theme.selected(focused)
            } else {
                Style::default()
            };
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_hex(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let inner = pane_frame(f, app, "Packet Bytes", Pane::Hex, area);
    let height = inner.height as usize;
    app.hex_height = height;
    let Some(loaded) = &app.loaded else { return };
    scroll_into_view(&mut app.hex_top, app.hex_cursor / 16, height);
    // The span of the selected field, which the list and details select.
    let span = app.details.span().filter(|s| s.1 > 0);
    let in_span = |b: usize| span.is_some_and(|(s, l)| b >= s && b < s + l);
    let focused = app.focus == Pane::Hex && matches!(app.overlay, Overlay::None);
    let mut text = String::new();
    view::hex::write(&mut text, &loaded.bytes);
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .skip(app.hex_top)
        .take(height)
        .map(|(li, l)| {
            // `view::hex` lays out a line as: offset (4), two spaces, 16
            // times "xx ", two spaces, the ASCII column.
            let chars: Vec<char> = l.chars().collect();
            let mut spans = vec![Span::raw(
                chars[..6.min(chars.len())].iter().collect::<String>(),
            )];
            let byte_style = |b: usize| {
                if focused && b == app.hex_cursor {
                    app.theme.selected(true)
                } else if in_span(b) {
                    app.theme.highlight()
                } else {
                    Style::default()
                }
            };
            let count = loaded.bytes.len().saturating_sub(li * 16).min(16);
            for i in 0..16 {
                let s: String = chars
                    .get(6 + i * 3..6 + i * 3 + 3)
                    .map(|c| c.iter().collect())
                    .unwrap_or_default();
                if i < count {
                    let b = li * 16 + i;
                    // The space after the last highlighted byte stays plain.
                    let joined = in_span(b) && in_span(b + 1) && i + 1 < count;
                    let (hexpart, space) = s.split_at(2.min(s.len()));
                    spans.push(Span::styled(hexpart.to_owned(), byte_style(b)));
                    spans.push(Span::styled(
                        space.to_owned(),
                        if joined {
                            byte_style(b)
                        } else {
                            Style::default()
                        },
                    ));
                } else {
                    spans.push(Span::raw(s));
                }
            }
            spans.push(Span::raw("  "));
            for i in 0..count {
                let c = chars.get(56 + i).copied().unwrap_or(' ');
                spans.push(Span::styled(c.to_string(), byte_style(li * 16 + i)));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_status(f: &mut Frame<'_>, app: &App, area: Rect) {
    if let Some(i) = app.input.as_ref().filter(|i| i.kind != InputKind::Filter) {
        let prompt = match i.kind {
            InputKind::Goto => "Go to packet: ".to_owned(),
            _ => format!(
                "Search ({}; Tab changes): ",
                app.search.as_ref().map_or("Info", |s| s.within.name())
            ),
        };
        let x = area.x
            + prompt.chars().count() as u16
            + i.line.text.chars().take(i.line.cursor).count() as u16;
        f.render_widget(
            Paragraph::new(format!("{prompt}{}", i.line.text)).style(app.theme.title()),
            area,
        );
        f.set_cursor_position((x.min(area.x + area.width - 1), area.y));
        return;
    }
    let mut parts: Vec<String> = Vec::new();
    let name = app
        .index
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parts.push(name);
    let (total, done, error) = {
        let d = app.index.lock();
        (d.frames(), d.done, d.error.clone())
    };
    let shown = app.rows();
    parts.push(format!("{shown}/{total} frames"));
    if let Some(l) = &app.live {
        let (captured, _, dropped) = l.counts();
        let state = if !l.running() {
            "capture stopped"
        } else if l.paused.is_some() {
            "capturing, display paused"
        } else if l.follow {
            "capturing, following"
        } else {
            "capturing"
        };
        parts[0] = format!("● {} → {}", state, l.path.display());
        parts.push(format!("captured {captured}, dropped by kernel {dropped}"));
        if let Some(note) = &l.note {
            parts.insert(1, note.clone());
        }
    }
    if let Some(fl) = &app.filter {
        let pass_done = fl.pass.done();
        let seen = fl.pass.seen.load(std::sync::atomic::Ordering::Relaxed);
        // Live, the pass follows the capture: there is no percentage.
        if pass_done || fl.pass.cancelled() || app.is_live() {
            parts.push(format!("Filter: {}", fl.text));
        } else {
            let pct = if total > 0 {
                seen * 100 / total as u64
            } else {
                0
            };
            parts.push(format!("Filter: {} (filtering {}%)", fl.text, pct.min(99)));
        }
    }
    if !done && !app.is_live() {
        parts.push(format!("indexing {}%", app.index_percent()));
    }
    if let Some(e) = error {
        parts.push(format!("damaged: {e}"));
    }
    if let Some(s) = app.search.as_ref().filter(|s| s.pass.is_some()) {
        parts.push(format!("searching {} for \"{}\"…", s.within.name(), s.text));
    }
    if app.pending.is_some() {
        parts.push("mark: press a letter".into());
    }
    if app.confirm_quit {
        parts.push("A pass is still running. Quit? (y/n)".into());
    } else if let Some(m) = &app.message {
        parts.push(m.clone());
    } else if let Some(msg) = app.input.as_ref().and(app.verdict.1.as_ref()) {
        parts.push(msg.clone());
    } else {
        parts.push("? help".into());
    }
    let text = format!(" {}", parts.join(" │ "));
    f.render_widget(
        Paragraph::new(fit(&text, area.width as usize, false)).style(app.theme.title()),
        area,
    );
}

/// Every key, for `?`.
pub const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "next / previous pane"),
    ("j k ↓ ↑", "move (list, details, hex)"),
    ("PgDn PgUp", "page"),
    (
        "g G Home End",
        "first / last (live: G follows the newest packet again)",
    ),
    (
        "Space",
        "live: pause / resume the display (the capture goes on)",
    ),
    ("Enter", "list: to details; details: fold/unfold"),
    (
        "h l ← →",
        "details: fold / unfold; hex: previous / next byte",
    ),
    ("| \\", "side-by-side / stacked layout"),
    (
        "/",
        "display filter (Tab completes, ↑↓ history, Enter applies, Esc leaves)",
    ),
    ("Backspace", "back to the previous filter"),
    ("Esc", "cancel the running filter or search"),
    (": or Ctrl-G", "go to packet"),
    (
        "Ctrl-F",
        "search (Tab: Info / field values / bytes); n N next / previous",
    ),
    ("m + letter", "mark the packet; ' + letter jumps to it"),
    (
        "f",
        "follow the packet's TCP stream (x hex/ascii, c b s sides, / search, F filter to it)",
    ),
    (
        "c",
        "conversations (< > sort column, s reverse, Enter filters to one)",
    ),
    (
        "t",
        "HTTP/HTCPCP transactions (Enter: request frame, r: response frame)",
    ),
    ("e", "expert summary (Enter filters to the category)"),
    ("mouse", "click selects, wheel scrolls"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit (q asks while a pass runs)"),
];

fn draw_overlay(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .style(app.theme.text());
    let inner = block.inner(area);
    let height = inner.height as usize;
    let theme = app.theme;
    match &mut app.overlay {
        Overlay::None => {}
        Overlay::Help(top) => {
            let lines: Vec<Line> = HELP
                .iter()
                .skip(*top)
                .map(|(k, v)| {
                    Line::from(vec![
                        Span::styled(
                            format!("{k:<18}"),
                            Style::default().add_modifier(Modifier::BOLD),
                        ),
                        Span::raw(*v),
                    ])
                })
                .collect();
            f.render_widget(
                Paragraph::new(lines).block(block.title(" Keys (Esc closes) ")),
                area,
            );
        }
        Overlay::Follow(v) => draw_follow(f, v, block, area, height, &theme),
        Overlay::Conv(c) => draw_conv(f, c, block, area, height, &theme),
        Overlay::Http(t) => {
            let d = app.index.lock();
            t.scroll(height.saturating_sub(1));
            let mut lines = vec![Line::styled(d.transactions_header.clone(), theme.title())];
            let shown = d.transactions.lines(t.top, height.saturating_sub(1));
            for (i, text) in shown.into_iter().enumerate() {
                let style = if t.top + i == t.pos {
                    theme.selected(true)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(text, style));
            }
            if d.transactions.is_empty() {
                lines.push(Line::from("no HTTP or HTCPCP request in the capture"));
            }
            let title = format!(
                " HTTP/HTCPCP transactions: {} (Enter: request, r: response, Esc closes) ",
                d.transactions.len()
            );
            f.render_widget(Paragraph::new(lines).block(block.title(title)), area);
        }
        Overlay::Expert(t) => {
            let d = app.index.lock();
            let mut lines = vec![Line::styled(
                format!(
                    "{:<8} {:>9} {:>9}  {:<70} Filter",
                    "Severity", "Count", "First", "Summary"
                ),
                theme.title(),
            )];
            for (i, cat) in EXPERT.iter().enumerate() {
                let style = if i == t.pos {
                    theme.selected(true)
                } else {
                    Style::default()
                };
                let first = if d.expert_first[i] > 0 {
                    d.expert_first[i].to_string()
                } else {
                    "-".into()
                };
                lines.push(Line::styled(
                    format!(
                        "{:<8} {:>9} {:>9}  {:<70} {}",
                        cat.severity, d.expert[i], first, cat.label, cat.filter
                    ),
                    style,
                ));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .block(block.title(" Expert summary (Enter filters, Esc closes) ")),
                area,
            );
        }
    }
}

fn draw_follow(
    f: &mut Frame<'_>,
    v: &mut FollowView,
    block: Block<'_>,
    area: Rect,
    height: usize,
    theme: &super::colors::Theme,
) {
    let title = format!(
        " Follow TCP stream {} (tcp.stream eq {}): {} → {} │ {} │ {} │ x c s b / F Esc ",
        v.stream.stream,
        v.stream.stream,
        v.stream.node0,
        v.stream.node1,
        match v.mode {
            super::views::FollowMode::Ascii => "ascii",
            super::views::FollowMode::Hex => "hex",
        },
        match v.sides {
            super::views::Sides::Both => "both directions",
            super::views::Sides::Client => "client only",
            super::views::Sides::Server => "server only",
        }
    );
    let body = height.saturating_sub(usize::from(v.searching.is_some()));
    let mut lines: Vec<Line> = v
        .lines
        .iter()
        .skip(v.top)
        .take(body)
        .map(|(server, text)| match server {
            Some(s) => Line::styled(text.clone(), theme.direction(*s)),
            None => Line::from(text.clone()),
        })
        .collect();
    if let Some(s) = &v.searching {
        lines.push(Line::styled(format!("Find: {}", s.text), theme.title()));
    }
    f.render_widget(Paragraph::new(lines).block(block.title(title)), area);
}

fn draw_conv(
    f: &mut Frame<'_>,
    c: &mut ConvView,
    block: Block<'_>,
    area: Rect,
    height: usize,
    theme: &super::colors::Theme,
) {
    c.table.scroll(height.saturating_sub(1));
    let header: Vec<Span> = CONV_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (t, w))| {
            let mark = if i == c.sort {
                if c.descending {
                    "▼"
                } else {
                    "▲"
                }
            } else {
                ""
            };
            let s = theme.title();
            Span::styled(
                format!("{:<w$} ", format!("{t}{mark}"), w = *w),
                if i == c.sort {
                    s.add_modifier(Modifier::UNDERLINED)
                } else {
                    s
                },
            )
        })
        .collect();
    let mut lines = vec![Line::from(header)];
    for (i, row) in c
        .rows
        .iter()
        .enumerate()
        .skip(c.table.top)
        .take(height.saturating_sub(1))
    {
        let cells = ConvView::cells(row);
        let text: String = cells
            .iter()
            .zip(CONV_COLUMNS)
            .map(|(v, (_, w))| format!("{v:<w$} ", w = *w))
            .collect();
        let style = if i == c.table.pos {
            theme.selected(true)
        } else {
            Style::default()
        };
        lines.push(Line::styled(text, style));
    }
    if c.pending.is_some() && c.rows.is_empty() {
        lines.push(Line::from("counting the conversations…"));
    }
    let title = format!(
        " TCP conversations: {} (< > column, s sort/reverse, Enter filters, Esc closes) ",
        c.rows.len()
    );
    f.render_widget(Paragraph::new(lines).block(block.title(title)), area);
}
