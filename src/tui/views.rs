//! The views drawn over the three panes: help, follow stream,
//! conversations, transactions, expert summary. Each keeps its own cursor;
//! their rows come from the same model types and renderers as the CLI's
//! `follow`, `conv` and `http`.

use super::bars::EditLine;
use super::packet::{FollowPiece, FollowedStream};
use crate::model::conversations::Conversation;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub enum Overlay {
    None,
    /// Help, scrolled to this line.
    Help(usize),
    Follow(FollowView),
    Conv(ConvView),
    Http(TableView),
    Expert(TableView),
}

/// A cursor over rows.
#[derive(Debug, Default, Clone)]
pub struct TableView {
    pub pos: usize,
    pub top: usize,
}

impl TableView {
    pub fn key(&mut self, code: KeyCode, rows: usize) {
        let last = rows.saturating_sub(1);
        self.pos = match code {
            KeyCode::Char('j') | KeyCode::Down => (self.pos + 1).min(last),
            KeyCode::Char('k') | KeyCode::Up => self.pos.saturating_sub(1),
            KeyCode::PageDown => (self.pos + 20).min(last),
            KeyCode::PageUp => self.pos.saturating_sub(20),
            KeyCode::Char('g') | KeyCode::Home => 0,
            KeyCode::Char('G') | KeyCode::End => last,
            _ => self.pos,
        };
    }

    /// Keeps the cursor on screen for a view `height` rows tall.
    pub fn scroll(&mut self, height: usize) {
        scroll_into_view(&mut self.top, self.pos, height);
    }
}

/// Moves `top`, the first row shown of a view `height` rows tall, the least
/// that puts row `pos` on screen (every pane and view scrolls so).
pub fn scroll_into_view(top: &mut usize, pos: usize, height: usize) {
    let h = height.max(1);
    if pos < *top {
        *top = pos;
    } else if pos >= *top + h {
        *top = pos + 1 - h;
    }
}

/// How the follow view shows bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowMode {
    Ascii,
    Hex,
}

/// Which directions the follow view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    Both,
    Client,
    Server,
}

pub struct FollowView {
    pub stream: FollowedStream,
    pub mode: FollowMode,
    pub sides: Sides,
    pub top: usize,
    /// The search being typed, if any.
    pub searching: Option<EditLine>,
    pub found: Option<String>,
    /// Lines the view had at the last draw (for paging and search).
    pub lines: Vec<(Option<bool>, String)>,
}

impl FollowView {
    pub fn new(stream: FollowedStream) -> Self {
        let mut v = FollowView {
            stream,
            mode: FollowMode::Ascii,
            sides: Sides::Both,
            top: 0,
            searching: None,
            found: None,
            lines: Vec::new(),
        };
        v.relayout();
        v
    }

    /// The view's lines: `(Some(server), text)` for data, `None` for notes.
    /// ASCII shows each chunk's bytes with non-printables as `.` and line
    /// breaks kept (tshark's ascii mode); hex is tshark's `follow,tcp,hex`
    /// layout (offset per direction, 16 bytes a line).
    pub fn relayout(&mut self) {
        let mut lines = Vec::new();
        let mut offsets = [0usize; 2];
        for p in &self.stream.pieces {
            let server = match p {
                FollowPiece::Data { server, .. } | FollowPiece::Gap { server, .. } => *server,
            };
            let shown = match self.sides {
                Sides::Both => true,
                Sides::Client => !server,
                Sides::Server => server,
            };
            if !shown {
                continue;
            }
            match p {
                FollowPiece::Gap { missing, .. } => {
                    lines.push((
                        Some(server),
                        format!("[{missing} bytes missing in capture file]"),
                    ));
                }
                FollowPiece::Data { data, .. } => match self.mode {
                    FollowMode::Ascii => {
                        let text: String = data
                            .iter()
                            .map(|&b| {
                                if b == b'\n' || b == b'\r' || (0x20..0x7f).contains(&b) {
                                    b as char
                                } else {
                                    '.'
                                }
                            })
                            .collect();
                        for l in text.split('\n') {
                            lines.push((Some(server), l.trim_end_matches('\r').to_owned()));
                        }
                        if text.ends_with('\n') {
                            lines.pop();
                        }
                    }
                    FollowMode::Hex => {
                        let off = &mut offsets[usize::from(server)];
                        for chunk in data.chunks(16) {
                            let mut l =
                                format!("{}{:08X}  ", if server { "    " } else { "" }, *off);
                            for (i, b) in chunk.iter().enumerate() {
                                l.push_str(&format!("{b:02x} "));
                                if i == 7 {
                                    l.push(' ');
                                }
                            }
                            for i in chunk.len()..16 {
                                l.push_str("   ");
                                if i == 7 {
                                    l.push(' ');
                                }
                            }
                            l.push(' ');
                            l.extend(chunk.iter().map(|&b| {
                                if (0x20..0x7f).contains(&b) {
                                    b as char
                                } else {
                                    '.'
                                }
                            }));
                            *off += chunk.len();
                            lines.push((Some(server), l));
                        }
                    }
                },
            }
        }
        if lines.is_empty() {
            lines.push((None, "(no payload in this direction)".into()));
        }
        self.lines = lines;
        self.top = self.top.min(self.lines.len().saturating_sub(1));
    }

    /// A key; returns a message for the status line.
    pub fn key(&mut self, k: KeyEvent) -> Option<String> {
        if let Some(line) = &mut self.searching {
            match k.code {
                KeyCode::Esc => self.searching = None,
                KeyCode::Enter => {
                    let needle = line.text.clone();
                    self.searching = None;
                    return self.find(&needle, self.top + 1);
                }
                KeyCode::Char(c) => line.insert(c),
                KeyCode::Backspace => line.backspace(),
                _ => {}
            }
            return None;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if k.code == KeyCode::Char('/') || (ctrl && k.code == KeyCode::Char('f')) {
            self.searching = Some(EditLine::default());
            return None;
        }
        match k.code {
            KeyCode::Char('j') | KeyCode::Down => {
                self.top = (self.top + 1).min(self.lines.len().saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => self.top = self.top.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.top = (self.top + 20).min(self.lines.len().saturating_sub(1))
            }
            KeyCode::PageUp => self.top = self.top.saturating_sub(20),
            KeyCode::Char('g') | KeyCode::Home => self.top = 0,
            KeyCode::Char('G') | KeyCode::End => self.top = self.lines.len().saturating_sub(1),
            KeyCode::Char('x') => {
                self.mode = match self.mode {
                    FollowMode::Ascii => FollowMode::Hex,
                    FollowMode::Hex => FollowMode::Ascii,
                };
                self.relayout();
            }
            KeyCode::Char('a') => {
                self.mode = FollowMode::Ascii;
                self.relayout();
            }
            KeyCode::Char('c') | KeyCode::Char('s') | KeyCode::Char('b') => {
                self.sides = match k.code {
                    KeyCode::Char('c') => Sides::Client,
                    KeyCode::Char('s') => Sides::Server,
                    _ => Sides::Both,
                };
                self.top = 0;
                self.relayout();
            }
            KeyCode::Char('n') => {
                if let Some(n) = self.found.clone() {
                    return self.find(&n, self.top + 1);
                }
            }
            _ => {}
        }
        None
    }

    /// Scrolls to the first line from `from` that contains `needle`.
    fn find(&mut self, needle: &str, from: usize) -> Option<String> {
        self.found = Some(needle.to_owned());
        let lower = needle.to_lowercase();
        let n = self.lines.len();
        for step in 0..n {
            let i = (from + step) % n;
            if self.lines[i].1.to_lowercase().contains(&lower) {
                self.top = i;
                return Some(format!("\"{needle}\" on line {}", i + 1));
            }
        }
        Some(format!("\"{needle}\" not in this stream"))
    }
}

/// The conversations table, sortable by column.
pub struct ConvView {
    pub rows: Vec<Conversation>,
    /// The counting pass, until its rows are in.
    pub pending: Option<super::scan::Counted>,
    pub table: TableView,
    pub sort: usize,
    pub descending: bool,
}

/// Columns of the conversations view: title and width.
pub const CONV_COLUMNS: &[(&str, usize)] = &[
    ("Stream", 6),
    ("Address A:Port", 24),
    ("Address B:Port", 24),
    ("Frames A→B", 10),
    ("Bytes A→B", 11),
    ("Frames B→A", 10),
    ("Bytes B→A", 11),
    ("Frames", 7),
    ("Bytes", 11),
    ("Rel Start", 12),
    ("Duration", 10),
    ("Handshake", 18),
    ("Close", 10),
];

impl ConvView {
    /// The view of the conversations `pending` is counting.
    pub fn counting(pending: super::scan::Counted) -> Self {
        ConvView {
            rows: Vec::new(),
            pending: Some(pending),
            table: TableView::default(),
            sort: 0,
            descending: false,
        }
    }

    /// Takes the rows once counted; true while still counting.
    pub fn poll(&mut self) -> bool {
        let Some(p) = &self.pending else { return false };
        let done = p.lock().unwrap_or_else(|e| e.into_inner()).take();
        match done {
            Some(rows) => {
                self.rows = rows;
                self.pending = None;
                // A recount (live) keeps the user's order.
                if self.sort != 0 || self.descending {
                    self.sort_rows();
                }
                false
            }
            None => true,
        }
    }

    pub fn selected_stream(&self) -> Option<u32> {
        self.rows.get(self.table.pos).map(|c| c.stream)
    }

    /// The cells of a row, as `coffeeshark conv` writes them.
    pub fn cells(c: &Conversation) -> Vec<String> {
        use crate::view::conv::{endpoint_text, format_size};
        let [a, b] = &c.sides;
        let secs = |n: i64| format!("{:.9}", n as f64 / 1e9);
        vec![
            c.stream.to_string(),
            endpoint_text(c, 0),
            endpoint_text(c, 1),
            a.frames.to_string(),
            format_size(a.bytes),
            b.frames.to_string(),
            format_size(b.bytes),
            (a.frames + b.frames).to_string(),
            format_size(a.bytes + b.bytes),
            secs(c.start_nanos),
            secs(c.end_nanos - c.start_nanos),
            c.handshake().as_str().to_owned(),
            c.close().as_str().to_owned(),
        ]
    }

    fn sort_rows(&mut self) {
        let key = self.sort;
        self.rows.sort_by(|x, y| {
            let k = |c: &Conversation| -> (i128, String) {
                let [a, b] = &c.sides;
                match key {
                    0 => (c.stream as i128, String::new()),
                    1 => (0, crate::view::conv::endpoint_text(c, 0)),
                    2 => (0, crate::view::conv::endpoint_text(c, 1)),
                    3 => (a.frames as i128, String::new()),
                    4 => (a.bytes as i128, String::new()),
                    5 => (b.frames as i128, String::new()),
                    6 => (b.bytes as i128, String::new()),
                    7 => ((a.frames + b.frames) as i128, String::new()),
                    8 => ((a.bytes + b.bytes) as i128, String::new()),
                    9 => (c.start_nanos as i128, String::new()),
                    10 => ((c.end_nanos - c.start_nanos) as i128, String::new()),
                    11 => (0, c.handshake().as_str().to_owned()),
                    _ => (0, c.close().as_str().to_owned()),
                }
            };
            let o = k(x).cmp(&k(y)).then(x.stream.cmp(&y.stream));
            if self.descending {
                o.reverse()
            } else {
                o
            }
        });
    }

    /// `<` / `>` sort by the previous / next column, `s` reverses the order.
    pub fn key(&mut self, code: KeyCode) {
        match code {
            KeyCode::Char('<') | KeyCode::Left | KeyCode::Char('>') | KeyCode::Right => {
                self.sort = if matches!(code, KeyCode::Char('<') | KeyCode::Left) {
                    self.sort.saturating_sub(1)
                } else {
                    (self.sort + 1).min(CONV_COLUMNS.len() - 1)
                };
                self.descending = false;
                self.sort_rows();
            }
            KeyCode::Char('s') => {
                self.descending = !self.descending;
                self.sort_rows();
            }
            other => self.table.key(other, self.rows.len()),
        }
    }
}
