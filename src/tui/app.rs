//! The terminal UI's state and actions: keys and mouse events in, state
//! out, no terminal. `ui` draws this state; `tui::run` feeds it events.
//! Tests drive it directly (`App::key`) and render it into ratatui's
//! `TestBackend`.

use super::bars::{self, EditLine, Input, InputKind};
use super::colors::{Theme, Verdict};
use super::details::Details;
use super::index::{Index, EXPERT};
use super::lines::BLOCK;
use super::packet::{Loaded, PacketLoader};
use super::scan::{self, Pass, SearchIn};
use super::views::{ConvView, FollowView, Overlay, TableView};
use crate::filter::Filter;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    List,
    Details,
    Hex,
}

/// termshark's two layouts: panes stacked (the default) or the list on top
/// and details beside the hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Stacked,
    SideBySide,
}

/// The display filter in force.
pub struct ActiveFilter {
    pub text: String,
    pub pass: Arc<Pass>,
}

/// A search in progress or done.
pub struct Search {
    pub text: String,
    pub within: SearchIn,
    pub pass: Option<Arc<Pass>>,
    /// Searching again from the first frame after reaching the end.
    pub wrapped: bool,
    pub backwards: bool,
}

/// Where the panes were drawn (for the mouse).
#[derive(Debug, Default, Clone, Copy)]
pub struct Areas {
    pub list: Rect,
    pub details: Rect,
    pub hex: Rect,
}

/// A key waiting for its second key (`m` + letter, `'` + letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    SetMark,
    JumpMark,
}

pub struct App {
    pub index: Arc<Index>,
    loader: PacketLoader,
    pub theme: Theme,
    pub focus: Pane,
    pub layout: Layout,
    pub filter: Option<ActiveFilter>,
    /// Filters applied before, most recent last (Backspace goes back).
    pub previous_filters: Vec<Option<String>>,
    pub history: Vec<String>,
    /// Row of the list view selected, and the first row on screen.
    pub pos: usize,
    pub top: usize,
    /// Rows the list pane showed at the last draw.
    pub list_height: usize,
    /// After a new filter: the frame to select again once it matches.
    reselect: Option<u64>,
    pub loaded: Option<Loaded>,
    pub load_error: Option<String>,
    pub details: Details,
    pub hex_cursor: usize,
    pub hex_top: usize,
    pub details_height: usize,
    pub hex_height: usize,
    pub input: Option<Input>,
    pub verdict: (Verdict, Option<String>),
    pub overlay: Overlay,
    pub marks: HashMap<char, u64>,
    pub pending: Option<Pending>,
    pub search: Option<Search>,
    /// One line for the user (errors, completions, results).
    pub message: Option<String>,
    pub confirm_quit: bool,
    pub quit: bool,
    pub areas: Areas,
    cache: RefCell<HashMap<usize, Vec<String>>>,
}

const CACHE_BLOCKS: usize = 64;

impl App {
    pub fn new(index: Arc<Index>, theme: Theme) -> Result<Self, crate::source::SourceError> {
        let loader = PacketLoader::new(index.clone())?;
        Ok(App {
            index,
            loader,
            theme,
            focus: Pane::List,
            layout: Layout::Stacked,
            filter: None,
            previous_filters: Vec::new(),
            history: Vec::new(),
            pos: 0,
            top: 0,
            list_height: 20,
            reselect: None,
            loaded: None,
            load_error: None,
            details: Details::default(),
            hex_cursor: 0,
            hex_top: 0,
            details_height: 10,
            hex_height: 8,
            input: None,
            verdict: (Verdict::Empty, None),
            overlay: Overlay::None,
            marks: HashMap::new(),
            pending: None,
            search: None,
            message: None,
            confirm_quit: false,
            quit: false,
            areas: Areas::default(),
            cache: RefCell::new(HashMap::new()),
        })
    }

    // ---- the list's rows ----

    /// Rows in the list: every frame indexed, or the filter's matches.
    pub fn rows(&self) -> usize {
        match &self.filter {
            Some(f) => f.pass.lock().frames.len(),
            None => self.index.lock().frames(),
        }
    }

    /// The frame number shown at row `pos`.
    pub fn frame_at(&self, pos: usize) -> Option<u64> {
        match &self.filter {
            Some(f) => f.pass.lock().frames.get(pos).copied(),
            None => (pos < self.index.lock().frames()).then_some(pos as u64 + 1),
        }
    }

    pub fn selected_frame(&self) -> Option<u64> {
        self.frame_at(self.pos)
    }

    /// Frame `n`'s list cells (`view::list::write_cells`) and colouring rule.
    pub fn cells(&self, n: u64) -> Option<(String, u8)> {
        let i = (n as usize).checked_sub(1)?;
        let block = i / BLOCK;
        let rule = *self.index.lock().rules.get(i)?;
        let mut cache = self.cache.borrow_mut();
        if let Some(lines) = cache.get(&block) {
            return lines.get(i % BLOCK).map(|l| (l.clone(), rule));
        }
        let lines = self.index.lock().lines.block(block);
        let line = lines.get(i % BLOCK).cloned();
        if lines.len() == BLOCK {
            if cache.len() >= CACHE_BLOCKS {
                cache.clear();
            }
            cache.insert(block, lines);
        }
        line.map(|l| (l, rule))
    }

    /// Some work runs in the background (index, filter, search): the UI
    /// redraws on a timer until it ends, and not otherwise.
    pub fn busy(&self) -> bool {
        !self.index.lock().done
            || self.filter.as_ref().is_some_and(|f| !f.pass.done())
            || self
                .search
                .as_ref()
                .and_then(|s| s.pass.as_ref())
                .is_some_and(|p| !p.done())
    }

    /// Progress of the index pass, 0 to 100.
    pub fn index_percent(&self) -> u64 {
        let d = self.index.lock();
        if d.done || self.index.file_len == 0 {
            100
        } else {
            (d.bytes_read * 100 / self.index.file_len).min(99)
        }
    }

    /// Takes in what background work found since the last call.
    pub fn tick(&mut self) {
        if let Some(want) = self.reselect {
            if let Some(f) = &self.filter {
                let found = f.pass.lock();
                if let Ok(p) = found.frames.binary_search(&want) {
                    drop(found);
                    self.reselect = None;
                    self.select_row(p);
                } else if found.done {
                    drop(found);
                    self.reselect = None;
                    self.select_row(0);
                }
            } else {
                self.reselect = None;
            }
        }
        if self.loaded.is_none() && self.rows() > 0 && self.load_error.is_none() {
            self.load_selected();
        }
        self.poll_search();
    }

    // ---- selection ----

    /// Selects row `pos` (clamped), scrolls it into view and loads its frame.
    pub fn select_row(&mut self, pos: usize) {
        let rows = self.rows();
        if rows == 0 {
            self.pos = 0;
            self.top = 0;
            self.loaded = None;
            return;
        }
        self.pos = pos.min(rows - 1);
        let h = self.list_height.max(1);
        if self.pos < self.top {
            self.top = self.pos;
        } else if self.pos >= self.top + h {
            self.top = self.pos + 1 - h;
        }
        self.load_selected();
    }

    /// Selects frame `n` when the list shows it.
    pub fn select_frame(&mut self, n: u64) -> bool {
        let pos = match &self.filter {
            Some(f) => f.pass.lock().frames.binary_search(&n).ok(),
            None => (n >= 1 && (n as usize) <= self.index.lock().frames()).then(|| n as usize - 1),
        };
        match pos {
            Some(p) => {
                self.select_row(p);
                // Jumps put the frame in the middle, as termshark does.
                let h = self.list_height.max(1);
                self.top = p.saturating_sub(h / 2);
                true
            }
            None => false,
        }
    }

    fn load_selected(&mut self) {
        let Some(n) = self.selected_frame() else {
            return;
        };
        if self.loaded.as_ref().is_some_and(|l| l.number == n) {
            return;
        }
        match self.loader.load(n) {
            Ok(l) => {
                self.details.show(&l.tree);
                self.hex_cursor = self.details.span().map_or(0, |s| s.0);
                self.hex_top = 0;
                self.loaded = Some(l);
                self.load_error = None;
            }
            Err(e) => {
                self.loaded = None;
                self.load_error = Some(e.to_string());
            }
        }
    }

    // ---- filters ----

    /// Applies a display filter (empty = none); the selection stays on its
    /// frame when the frame still matches.
    pub fn apply_filter(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        let keep = self.selected_frame();
        let before = self.filter.as_ref().map(|f| f.text.clone());
        if text.is_empty() {
            if let Some(f) = self.filter.take() {
                f.pass.cancel();
            }
        } else {
            let compiled = Filter::compile(text).map_err(|e| e.message)?;
            if let Some(f) = self.filter.take() {
                f.pass.cancel();
            }
            let pass = scan::filter(&self.index.path, self.index.decode_as.clone(), compiled);
            self.filter = Some(ActiveFilter {
                text: text.to_owned(),
                pass,
            });
            if self.history.last().map(String::as_str) != Some(text) {
                self.history.push(text.to_owned());
            }
        }
        if before.as_deref() != Some(text) {
            self.previous_filters.push(before);
        }
        self.pos = 0;
        self.top = 0;
        self.loaded = None;
        self.reselect = keep;
        if self.filter.is_none() {
            match keep {
                Some(n) => {
                    self.select_frame(n);
                }
                None => self.select_row(0),
            }
            self.reselect = None;
        }
        Ok(())
    }

    /// Backspace: the filter before the current one.
    pub fn filter_back(&mut self) {
        if let Some(prev) = self.previous_filters.pop() {
            let _ = self.apply_filter(prev.as_deref().unwrap_or(""));
            // Going back is not a new step.
            self.previous_filters.pop();
        }
    }

    // ---- search ----

    fn start_search(&mut self, text: String, within: SearchIn, backwards: bool) {
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
                let pass = (!backwards).then(|| {
                    scan::search(
                        &self.index.path,
                        self.index.decode_as.clone(),
                        within,
                        &text,
                        after,
                    )
                });
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
    fn search_info(&mut self, text: &str, backwards: bool) {
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

    fn poll_search(&mut self) {
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
                s.pass = Some(scan::search(
                    &self.index.path,
                    self.index.decode_as.clone(),
                    s.within,
                    &s.text,
                    0,
                ));
            }
        }
    }

    // ---- events ----

    pub fn event(&mut self, ev: Event) {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.key(k),
            Event::Mouse(m) => self.mouse(m),
            _ => {}
        }
        self.tick();
    }

    /// A key in plain form (tests): `App::press(KeyCode::Char('j'))`.
    pub fn press(&mut self, code: KeyCode) {
        self.key(KeyEvent::new(code, KeyModifiers::NONE));
        self.tick();
    }

    /// Types each character of `text` (tests).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    pub fn key(&mut self, k: KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if self.confirm_quit {
            self.confirm_quit = false;
            if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('q')) {
                self.quit = true;
            }
            return;
        }
        if self.input.is_some() {
            self.input_key(k);
            return;
        }
        if let Some(p) = self.pending.take() {
            if let KeyCode::Char(c) = k.code {
                match p {
                    Pending::SetMark => {
                        if let Some(n) = self.selected_frame() {
                            self.marks.insert(c, n);
                            self.message = Some(format!("mark '{c}' set on frame {n}"));
                        }
                    }
                    Pending::JumpMark => match self.marks.get(&c).copied() {
                        Some(n) => {
                            if !self.select_frame(n) {
                                self.message = Some(format!("frame {n} is hidden by the filter"));
                            }
                        }
                        None => self.message = Some(format!("no mark '{c}'")),
                    },
                }
            }
            return;
        }
        if !matches!(self.overlay, Overlay::None) {
            self.overlay_key(k);
            return;
        }
        self.message = None;
        match (k.code, ctrl) {
            (KeyCode::Char('q'), false) => {
                if self.busy() {
                    self.confirm_quit = true;
                } else {
                    self.quit = true;
                }
            }
            (KeyCode::Char('?'), _) => self.overlay = Overlay::Help(0),
            (KeyCode::Tab, _) => self.cycle_focus(true),
            (KeyCode::BackTab, _) => self.cycle_focus(false),
            (KeyCode::Char('|'), _) => self.layout = Layout::SideBySide,
            (KeyCode::Char('\\'), _) => self.layout = Layout::Stacked,
            (KeyCode::Char('/'), false) => self.open_input(InputKind::Filter),
            (KeyCode::Char(':'), false) | (KeyCode::Char('g'), true) => {
                self.open_input(InputKind::Goto)
            }
            (KeyCode::Char('f'), true) => self.open_input(InputKind::Search),
            (KeyCode::Char('n'), false) => self.search_again(false),
            (KeyCode::Char('N'), false) => self.search_again(true),
            (KeyCode::Char('m'), false) => self.pending = Some(Pending::SetMark),
            (KeyCode::Char('\''), false) => self.pending = Some(Pending::JumpMark),
            (KeyCode::Char('f'), false) => self.open_follow(),
            (KeyCode::Char('c'), false) => self.open_conversations(),
            (KeyCode::Char('t'), false) => self.open_transactions(),
            (KeyCode::Char('e'), false) => self.overlay = Overlay::Expert(TableView::default()),
            (KeyCode::Backspace, _) => self.filter_back(),
            (KeyCode::Esc, _) => {
                if let Some(f) = &self.filter {
                    if !f.pass.done() {
                        f.pass.cancel();
                        self.message =
                            Some("filter pass cancelled: the list shows what was found".into());
                    }
                }
                if let Some(s) = &mut self.search {
                    if let Some(p) = s.pass.take() {
                        p.cancel();
                    }
                }
            }
            _ => self.pane_key(k),
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let order = [Pane::List, Pane::Details, Pane::Hex];
        let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = order[(i + if forward { 1 } else { 2 }) % 3];
    }

    fn open_input(&mut self, kind: InputKind) {
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

    fn input_key(&mut self, k: KeyEvent) {
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

    fn submit(&mut self, kind: InputKind, text: String) {
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

    fn search_again(&mut self, backwards: bool) {
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

    /// Keys of the focused pane: moving, paging, folding.
    fn pane_key(&mut self, k: KeyEvent) {
        let page = |h: usize| h.max(2) as isize - 1;
        match self.focus {
            Pane::List => {
                let delta: isize = match k.code {
                    KeyCode::Char('j') | KeyCode::Down => 1,
                    KeyCode::Char('k') | KeyCode::Up => -1,
                    KeyCode::PageDown => page(self.list_height),
                    KeyCode::PageUp => -page(self.list_height),
                    KeyCode::Char('g') | KeyCode::Home => -(self.pos as isize),
                    KeyCode::Char('G') | KeyCode::End => self.rows() as isize,
                    KeyCode::Enter => {
                        self.focus = Pane::Details;
                        0
                    }
                    _ => 0,
                };
                if delta != 0 {
                    let to = (self.pos as isize + delta).max(0) as usize;
                    self.select_row(to);
                }
            }
            Pane::Details => {
                let Some(tree) = self.loaded.as_ref().map(|l| l.tree.clone()) else {
                    return;
                };
                match k.code {
                    KeyCode::Char('j') | KeyCode::Down => self.details.move_by(1),
                    KeyCode::Char('k') | KeyCode::Up => self.details.move_by(-1),
                    KeyCode::PageDown => self.details.move_by(page(self.details_height)),
                    KeyCode::PageUp => self.details.move_by(-page(self.details_height)),
                    KeyCode::Char('g') | KeyCode::Home => self.details.pos = 0,
                    KeyCode::Char('G') | KeyCode::End => self.details.move_by(isize::MAX / 2),
                    KeyCode::Enter | KeyCode::Char(' ') => self.details.toggle(&tree),
                    KeyCode::Char('l') | KeyCode::Right => {
                        self.details.set_selected(&tree, Some(true))
                    }
                    KeyCode::Char('h') | KeyCode::Left => {
                        self.details.set_selected(&tree, Some(false))
                    }
                    _ => {}
                }
                if let Some((start, _)) = self.details.span() {
                    self.hex_cursor = start;
                }
            }
            Pane::Hex => {
                let len = self.loaded.as_ref().map_or(0, |l| l.bytes.len());
                if len == 0 {
                    return;
                }
                let delta: isize = match k.code {
                    KeyCode::Char('l') | KeyCode::Right => 1,
                    KeyCode::Char('h') | KeyCode::Left => -1,
                    KeyCode::Char('j') | KeyCode::Down => 16,
                    KeyCode::Char('k') | KeyCode::Up => -16,
                    KeyCode::PageDown => 16 * page(self.hex_height),
                    KeyCode::PageUp => -16 * page(self.hex_height),
                    KeyCode::Char('g') | KeyCode::Home => -(self.hex_cursor as isize),
                    KeyCode::Char('G') | KeyCode::End => len as isize,
                    _ => 0,
                };
                self.set_hex_cursor(
                    (self.hex_cursor as isize + delta).clamp(0, len as isize - 1) as usize,
                );
            }
        }
    }

    /// Moves the hex cursor and selects the field of that byte.
    pub fn set_hex_cursor(&mut self, byte: usize) {
        self.hex_cursor = byte;
        if let Some(tree) = self.loaded.as_ref().map(|l| l.tree.clone()) {
            self.details.select_byte(&tree, byte);
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
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

    // ---- the views over the list ----

    fn selected_stream(&self) -> Option<u32> {
        let n = self.selected_frame()?;
        let s = *self.index.lock().streams.get(n as usize - 1)?;
        (s != super::index::NO_STREAM).then_some(s)
    }

    fn open_follow(&mut self) {
        let Some(stream) = self.selected_stream() else {
            self.message = Some("the selected frame is not TCP: nothing to follow".into());
            return;
        };
        match self.loader.follow(stream) {
            Ok(f) => self.overlay = Overlay::Follow(FollowView::new(f)),
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    fn open_conversations(&mut self) {
        if !self.index.lock().done {
            self.message = Some(format!(
                "conversations are ready when the index is ({}%)",
                self.index_percent()
            ));
            return;
        }
        let rows = self.index.lock().conversations.clone();
        self.overlay = Overlay::Conv(ConvView::new(rows));
    }

    fn open_transactions(&mut self) {
        if !self.index.lock().done {
            self.message = Some(format!(
                "transactions are ready when the index is ({}%)",
                self.index_percent()
            ));
            return;
        }
        self.overlay = Overlay::Http(TableView::default());
    }

    fn overlay_key(&mut self, k: KeyEvent) {
        let code = k.code;
        if matches!(code, KeyCode::Esc | KeyCode::Char('q')) {
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
                match code {
                    KeyCode::Char('F') => {
                        let text = format!("tcp.stream eq {}", f.stream.stream);
                        let _ = self.apply_filter(&text);
                        self.message = Some(format!(
                            "filtered to stream {} (Backspace goes back)",
                            f.stream.stream
                        ));
                        return;
                    }
                    KeyCode::Char('/') | KeyCode::Char('f')
                        if k.modifiers.contains(KeyModifiers::CONTROL)
                            || code == KeyCode::Char('/') =>
                    {
                        f.searching = Some(EditLine::default());
                    }
                    _ => {
                        if let Some(msg) = f.key(k) {
                            self.message = Some(msg);
                        }
                    }
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
                        let row = self.index.lock().transactions.get(t.pos).cloned();
                        let frame = row.and_then(|r| {
                            if code == KeyCode::Enter {
                                r.request_frame.or(r.response_frame)
                            } else {
                                r.response_frame
                            }
                        });
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
