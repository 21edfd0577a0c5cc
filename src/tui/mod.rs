//! The terminal UI (`coffeeshark tui FILE`): termshark's panes on
//! coffeeshark's own engine, in-process.
//!
//! - [`index`]: one background pass (the threaded pass of `read`) keeps a
//!   compact per-frame index — offset, stream, colour rule, the list's
//!   cells compressed ([`lines`]) — and the transactions and expert
//!   counts; the list shows frames as they are indexed.
//! - [`packet`]: a frame's details and bytes on demand, from its stream
//!   read back by offset (`source::random`) through an analyser of its own.
//! - [`scan`]: display filters, searches and the conversations as
//!   background passes.
//! - [`app`] (state and actions, no terminal), [`details`], [`bars`],
//!   [`views`]: what the user does; [`ui`]: drawing it; [`colors`]:
//!   Wireshark's colouring rules and the themes.
//!
//! The list rows are `view::list`'s cells, the details `model::tree`, the
//! hex `view::hex`, follow `model::follow`, conversations and transactions
//! the `conv` and `http` model types: the CLI and the TUI are two faces of
//! the same views.

pub mod app;
pub mod bars;
pub mod colors;
pub mod details;
pub mod index;
pub mod lines;
pub mod packet;
pub mod scan;
pub mod ui;
pub mod views;

use crate::dissect::stream::DecodeAs;
use crate::source::{CaptureReader, SourceError};
use app::App;
use colors::Theme;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use index::Index;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `coffeeshark tui` was asked for.
pub struct Options {
    pub path: PathBuf,
    pub filter: Option<String>,
    pub decode_as: Vec<DecodeAs>,
}

/// Opens the capture and starts the index; a missing file or a
/// non-capture is the same [`SourceError`] as `coffeeshark read` gives, and
/// nothing has touched the terminal yet. A gzip capture is first
/// decompressed into a temporary file (random access needs offsets into
/// plain bytes), removed when the UI ends.
pub fn open(opts: &Options, theme: Theme) -> Result<App, SourceError> {
    let reader = CaptureReader::open(&opts.path)?;
    let (path, reader, temporary) = if reader.is_compressed() {
        drop(reader);
        let plain = decompress(&opts.path)?;
        let reader = CaptureReader::open(&plain)?;
        (plain, reader, true)
    } else {
        (opts.path.clone(), reader, false)
    };
    let index = Index::start(path, reader, opts.decode_as.clone(), temporary);
    let mut app = App::new(index, theme)?;
    if let Some(f) = &opts.filter {
        // Checked by the caller before the terminal was taken.
        let _ = app.apply_filter(f);
        app.previous_filters.clear();
    }
    Ok(app)
}

fn decompress(path: &Path) -> Result<PathBuf, SourceError> {
    let io_err = |e: io::Error| SourceError::Read {
        offset: 0,
        detail: e.to_string(),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".gz").to_owned())
        .unwrap_or_default();
    let out = std::env::temp_dir().join(format!("coffeeshark-{}-{name}", std::process::id()));
    let input = std::fs::File::open(path).map_err(io_err)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    let mut file = std::fs::File::create(&out).map_err(io_err)?;
    // A damaged gzip stream still gives the frames before the damage.
    let _ = io::copy(&mut decoder, &mut file);
    Ok(out)
}

/// Runs background work until it is done (tests and benches), at most
/// `limit`.
pub fn wait_idle(app: &mut App, limit: Duration) {
    let start = std::time::Instant::now();
    while app.busy() && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(5));
        app.tick();
    }
    app.tick();
}

/// Restores the terminal: raw mode off, main screen back, mouse released.
fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        LeaveAlternateScreen,
        DisableMouseCapture,
        crossterm::cursor::Show
    );
}

/// Takes the terminal, runs the UI until the user quits, gives the
/// terminal back (also on a panic, before the panic message is printed).
pub fn run(mut app: App) -> io::Result<()> {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        default_hook(info);
    }));
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
        restore();
        return Err(e);
    }
    let result = event_loop(&mut app);
    restore();
    app.index.cancel();
    if let Some(f) = &app.filter {
        f.pass.cancel();
    }
    result
}

fn event_loop(app: &mut App) -> io::Result<()> {
    let backend = ratatui::backend::CrosstermBackend::new(io::stdout());
    let mut terminal = ratatui::Terminal::new(backend)?;
    terminal.clear()?;
    loop {
        terminal.draw(|f| ui::draw(f, app))?;
        if app.quit {
            return Ok(());
        }
        // Redraw on a timer only while background work runs: an idle UI
        // sleeps in `poll` and uses no CPU.
        let wait = if app.busy() {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(3600)
        };
        if event::poll(wait)? {
            let ev = event::read()?;
            app.event(ev);
            // Take every event already queued before drawing again (key
            // repeat, wheel bursts).
            while event::poll(Duration::ZERO)? {
                app.event(event::read()?);
                if app.quit {
                    break;
                }
            }
        } else {
            app.tick();
        }
    }
}
