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
pub mod compact;
pub mod details;
pub mod index;
pub mod lab;
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
    /// The TLS key log: TLS is decrypted.
    pub keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
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
    let index = Index::start(
        path,
        reader,
        opts.decode_as.clone(),
        opts.keylog.clone(),
        temporary,
    );
    let mut app = App::new(index, theme)?;
    if let Some(f) = &opts.filter {
        // Checked by the caller before the terminal was taken.
        let _ = app.apply_filter(f);
        app.previous_filters.clear();
    }
    Ok(app)
}

/// What `coffeeshark tui -i IFACE` was asked for besides the interface.
#[cfg(feature = "live")]
pub struct LiveOptions {
    /// `-w FILE`: where the packets go (kept); else a temporary pcapng.
    pub write: Option<PathBuf>,
    pub autostop: crate::source::recorder::Autostop,
    pub filter: Option<String>,
    pub decode_as: Vec<DecodeAs>,
    /// The TLS key log: TLS is decrypted.
    pub keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
}

/// Starts writing `capture` (opened by the caller, so that permission and
/// interface errors are printed before the terminal is taken) into a pcapng
/// file and opens the UI on that file as it grows.
#[cfg(feature = "live")]
pub fn open_live(
    capture: crate::source::live::LiveCapture,
    opts: LiveOptions,
    theme: Theme,
) -> Result<App, String> {
    use crate::source::recorder::Recorder;
    let named = opts.write.is_some();
    let path = opts
        .write
        .unwrap_or_else(|| temporary_capture(capture.interface()));
    let mut recorder = Recorder::start(capture, &path, opts.autostop)?;
    let status = recorder.status.clone();
    let index = Index::start_live(recorder.tail.clone(), opts.decode_as, opts.keylog)
        .map_err(|e| e.to_string())?;
    let mut app = App::new(index, theme).map_err(|e| e.to_string())?;
    app.live = Some(app::Live::new(
        status,
        path,
        named,
        Box::new(move || recorder.stop()),
    ));
    if let Some(f) = &opts.filter {
        let _ = app.apply_filter(f);
        app.previous_filters.clear();
    }
    Ok(app)
}

/// `$TMPDIR/coffeeshark_lo_20261206142637_4242.pcapng`, as dumpcap names
/// termshark's (interface, time, process).
#[cfg(feature = "live")]
fn temporary_capture(interface: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let day = secs.rem_euclid(86_400);
    let stamp = format!(
        "{}{:02}{:02}{:02}",
        crate::view::json::utc_date(secs).replace('-', ""),
        day / 3600,
        day / 60 % 60,
        day % 60
    );
    let iface: String = interface
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!(
        "coffeeshark_{iface}_{stamp}_{}.pcapng",
        std::process::id()
    ))
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

/// Set by SIGTERM, SIGHUP (the terminal closed) and SIGINT: the UI quits
/// as if the user had, so a live capture's file is finished.
static SIGNALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(feature = "live")]
fn watch_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGTERM, SIGHUP, SIGINT] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe {
            signal_hook::low_level::register(sig, || {
                SIGNALLED.store(true, std::sync::atomic::Ordering::Relaxed)
            })
        };
    }
}

#[cfg(not(feature = "live"))]
fn watch_signals() {}

/// Takes the terminal, runs the UI until the user quits (or a signal asks
/// to), gives the terminal back (also on a panic, before the panic message
/// is printed). A live capture is stopped and its file finished before
/// this returns.
pub fn run(app: App) -> io::Result<()> {
    run_app(app).map(drop)
}

/// [`run`], giving the app back (a live capture's summary).
pub fn run_app(mut app: App) -> io::Result<App> {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        default_hook(info);
    }));
    watch_signals();
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
    if let Some(live) = &mut app.live {
        live.stop();
    }
    result.map(|()| app)
}

/// Waits at most `timeout` for input on the terminal (standard input);
/// an error when the terminal is gone (closed window, killed tmux).
fn wait_input(timeout: Duration) -> io::Result<bool> {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd for the duration of the call.
    let ready = unsafe { libc::poll(&mut fd, 1, ms) };
    if ready < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    if fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the terminal was closed",
        ));
    }
    Ok(ready > 0)
}

/// Live, the screen is redrawn at most this often (the capture and the
/// index never wait for it).
const LIVE_FRAME: Duration = Duration::from_millis(33);

/// What the screen shows that background work changes: a timer tick
/// redraws only when this moved.
fn fingerprint(app: &App) -> [u64; 8] {
    let (frames, done) = {
        let d = app.index.lock();
        (d.frames() as u64, d.done as u64)
    };
    let (captured, _, dropped) = app.live.as_ref().map_or((0, 0, 0), |l| l.counts());
    let seen = app.filter.as_ref().map_or(0, |f| {
        f.pass.seen.load(std::sync::atomic::Ordering::Relaxed)
    });
    let lab = app.lab.as_ref().map_or(0, |l| {
        l.busy() as u64 + 2 * l.text.as_ref().map_or(0, |t| t.lines.len() as u64)
    });
    let views = matches!(&app.overlay, views::Overlay::Conv(c) if c.pending.is_some()) as u64;
    [
        frames,
        done,
        app.rows() as u64,
        captured,
        dropped,
        seen,
        lab,
        views,
    ]
}

fn event_loop(app: &mut App) -> io::Result<()> {
    let backend = ratatui::backend::CrosstermBackend::new(io::stdout());
    let mut terminal = ratatui::Terminal::new(backend)?;
    terminal.clear()?;
    let mut shown = None;
    let mut redraw = true;
    loop {
        if redraw {
            terminal.draw(|f| ui::draw(f, app))?;
            shown = Some(fingerprint(app));
        }
        if app.quit || SIGNALLED.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        // Redraw on a timer only while background work runs: an idle UI
        // sleeps in `poll` (waking four times a second, for signals and a
        // resized window) and uses no CPU.
        let wait = if app.is_live() {
            LIVE_FRAME
        } else if app.busy() {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(250)
        };
        // crossterm's reader loops forever on a terminal that hung up
        // (its read returns 0 or EIO): the terminal is watched here, and
        // crossterm asked only when there is input.
        if wait_input(wait)? && event::poll(Duration::ZERO)? {
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
            redraw = true;
        } else {
            let was_busy = app.busy();
            app.tick();
            redraw = shown != Some(fingerprint(app)) || (was_busy && !app.is_live());
        }
    }
}
