//! The terminal UI's state and actions: keys and mouse events in, state
//! out, no terminal. `ui` draws this state; `tui::run` feeds it events.
//! Tests drive it directly (`App::key`) and render it into ratatui's
//! `TestBackend`.

use super::bars::{Input, InputKind};
use super::colors::{Theme, Verdict};
use super::details::Details;
use super::index::Index;
use super::lab::{LabKind, LabPane};
use super::lines::BLOCK;
use super::packet::{Loaded, PacketLoader};
use super::scan::{self, Pass, SearchIn};
use super::views::{scroll_into_view, Overlay, TableView};

mod input;
mod lab;
mod live;
mod mouse;
mod search;
mod views;
use crate::filter::Filter;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
pub use live::Live;
use ratatui::layout::Rect;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    List,
    Details,
    Hex,
    /// The lab pane (diagram or answers), in place of details and hex.
    Lab,
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
    /// A live capture feeding the index.
    pub live: Option<Live>,
    /// The diagram or answers pane, when shown.
    pub lab: Option<LabPane>,
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
            live: None,
            lab: None,
        })
    }

    // ---- the list's rows ----

    /// Rows in the list: every frame indexed, or the filter's matches.
    pub fn rows(&self) -> usize {
        let rows = match &self.filter {
            Some(f) => f.pass.lock().frames.len(),
            None => self.index.lock().frames(),
        };
        self.visible_rows(rows)
    }

    /// The frame number shown at row `pos`.
    pub fn frame_at(&self, pos: usize) -> Option<u64> {
        if pos >= self.rows() {
            return None;
        }
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
        let rule = self.index.lock().rules.get(i)?;
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
        self.live.as_ref().is_some_and(Live::running)
            || !self.index.lock().done
            || self.filter.as_ref().is_some_and(|f| !f.pass.done())
            || self
                .search
                .as_ref()
                .and_then(|s| s.pass.as_ref())
                .is_some_and(|p| !p.done())
            || matches!(&self.overlay, Overlay::Conv(c) if c.pending.is_some())
            || self.lab.as_ref().is_some_and(LabPane::busy)
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
        if let Overlay::Conv(c) = &mut self.overlay {
            c.poll();
        }
        self.live_tick();
        self.lab_tick();
    }

    pub(super) fn overlay_open(&self) -> bool {
        !matches!(self.overlay, Overlay::None)
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
        scroll_into_view(&mut self.top, self.pos, self.list_height);
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
                self.stop_following();
                self.select_row(p);
                // Jumps put the frame in the middle, as termshark does.
                let h = self.list_height.max(1);
                self.top = p.saturating_sub(h / 2);
                true
            }
            None => false,
        }
    }

    pub(super) fn load_selected(&mut self) {
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
            // `${field}` takes the selected packet's value, as in Wireshark.
            let refs = |id| {
                self.loaded.as_ref().map_or_else(Vec::new, |l| {
                    crate::filter::values::tree_values(&l.tree, &l.bytes, id)
                })
            };
            let compiled = Filter::compile_with_refs(text, &refs).map_err(|e| e.message)?;
            if let Some(f) = self.filter.take() {
                f.pass.cancel();
            }
            let pass = scan::filter(&self.index, compiled);
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
                // Live, quitting is how the capture is stopped.
                if self.busy() && !self.is_live() {
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
            (KeyCode::Char('d'), false) => self.toggle_lab(LabKind::Diagram),
            (KeyCode::Char('a'), false) => self.toggle_lab(LabKind::Answers),
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
        let order: &[Pane] = if self.lab.is_some() {
            &[Pane::List, Pane::Lab]
        } else {
            &[Pane::List, Pane::Details, Pane::Hex]
        };
        let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[(i + if forward { 1 } else { n - 1 }) % n];
    }

    /// Keys of the focused pane: moving, paging, folding.
    fn pane_key(&mut self, k: KeyEvent) {
        let page = |h: usize| h.max(2) as isize - 1;
        match self.focus {
            Pane::Lab => self.lab_key(k),
            Pane::List => {
                let delta: isize = match k.code {
                    KeyCode::Char('j') | KeyCode::Down => 1,
                    KeyCode::Char('k') | KeyCode::Up => -1,
                    KeyCode::PageDown => page(self.list_height),
                    KeyCode::PageUp => -page(self.list_height),
                    KeyCode::Char('g') | KeyCode::Home => -(self.pos as isize),
                    KeyCode::Char('G') | KeyCode::End => {
                        self.follow_newest();
                        self.rows() as isize
                    }
                    KeyCode::Enter => {
                        self.focus = Pane::Details;
                        0
                    }
                    KeyCode::Char(' ') => {
                        self.toggle_pause();
                        0
                    }
                    _ => 0,
                };
                if delta != 0 {
                    if !matches!(k.code, KeyCode::Char('G') | KeyCode::End) {
                        self.stop_following();
                    }
                    let to = (self.pos as isize + delta).max(0) as usize;
                    self.select_row(to);
                }
            }
            Pane::Details => {
                // The tree is read while the details change: no copy.
                let Some(tree) = self.loaded.as_ref().map(|l| &l.tree) else {
                    return;
                };
                match k.code {
                    KeyCode::Char('j') | KeyCode::Down => self.details.move_by(1),
                    KeyCode::Char('k') | KeyCode::Up => self.details.move_by(-1),
                    KeyCode::PageDown => self.details.move_by(page(self.details_height)),
                    KeyCode::PageUp => self.details.move_by(-page(self.details_height)),
                    KeyCode::Char('g') | KeyCode::Home => self.details.pos = 0,
                    KeyCode::Char('G') | KeyCode::End => self.details.move_by(isize::MAX / 2),
                    KeyCode::Enter | KeyCode::Char(' ') => self.details.toggle(tree),
                    KeyCode::Char('l') | KeyCode::Right => {
                        self.details.set_selected(tree, Some(true))
                    }
                    KeyCode::Char('h') | KeyCode::Left => {
                        self.details.set_selected(tree, Some(false))
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
        if let Some(l) = &self.loaded {
            self.details.select_byte(&l.tree, byte);
        }
    }
}
