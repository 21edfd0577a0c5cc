//! The terminal UI following a capture file while it is written (the live
//! mode's data path, without libpcap): a test writer copies a bundled
//! sample's pcapng blocks into a new file a few at a time through a
//! `TailWriter`, as the capture thread does, and the app's list, filter,
//! auto-scroll, pause and counters are checked against the same sample
//! opened as a file. (The fixture is built in code from a real recording;
//! the live capture itself is exercised by `tui_tmux.rs`.)

use coffeeshark::source::recorder::RecordStatus;
use coffeeshark::source::tail::{Tail, TailWriter};
use coffeeshark::tui::app::{App, Live};
use coffeeshark::tui::colors::Theme;
use coffeeshark::tui::index::Index;
use coffeeshark::tui::{self, Options};
use crossterm::event::KeyCode;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}

/// A pcapng file's blocks: (type, bytes). Little-endian samples only.
fn blocks(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let data = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    while at + 12 <= data.len() {
        let kind = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(data[at + 4..at + 8].try_into().unwrap()) as usize;
        out.push((kind, data[at..at + len].to_vec()));
        at += len;
    }
    out
}

/// Writes a sample's blocks into a growing file, as the capture thread.
struct Writer {
    out: TailWriter<BufWriter<File>>,
    packets: std::vec::IntoIter<Vec<u8>>,
    status: Arc<RecordStatus>,
}

impl Writer {
    /// The header blocks written; the packets wait for [`Writer::push`].
    fn start(name: &str, dest: &Path) -> (Writer, Arc<Tail>) {
        let tail = Tail::new(dest);
        let file = File::create(dest).unwrap();
        let mut out = TailWriter::new(BufWriter::new(file), tail.clone());
        let mut packets = Vec::new();
        for (kind, bytes) in blocks(&sample(name)) {
            if kind == 6 {
                packets.push(bytes);
            } else if packets.is_empty() {
                out.write_all(&bytes).unwrap();
            }
        }
        out.flush().unwrap();
        let writer = Writer {
            out,
            packets: packets.into_iter(),
            status: Arc::default(),
        };
        (writer, tail)
    }

    /// Writes `n` more packets and publishes them.
    fn push(&mut self, n: usize) {
        for p in self.packets.by_ref().take(n) {
            self.out.write_all(&p).unwrap();
            self.status.captured.fetch_add(1, Ordering::Relaxed);
        }
        self.out.flush().unwrap();
    }
}

fn live_app(writer: &Writer, tail: Arc<Tail>) -> App {
    let index = Index::start_live(tail.clone(), Vec::new(), None).unwrap();
    let mut app = App::new(index, Theme::plain()).unwrap();
    let path = tail.path().to_owned();
    app.live = Some(Live::new(
        writer.status.clone(),
        path,
        true,
        Box::new(move || tail.finish()),
    ));
    app.list_height = 10;
    app
}

fn file_app(name: &str, filter: Option<&str>) -> App {
    let opts = Options {
        path: sample(name),
        filter: filter.map(str::to_owned),
        decode_as: Vec::new(),
        keylog: None,
    };
    let mut app = tui::open(&opts, Theme::plain()).unwrap();
    tui::wait_idle(&mut app, Duration::from_secs(60));
    app
}

/// Ticks the app until `cond` holds (at most 20 s).
fn until(app: &mut App, what: &str, cond: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !cond(app) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}: {} rows",
            app.rows()
        );
        std::thread::sleep(Duration::from_millis(5));
        app.tick();
    }
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "coffeeshark-tui-live-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn packets_appear_as_written_and_the_list_follows_until_the_user_moves() {
    let name = "coffee_418_406.pcapng";
    let dest = temp("follow.pcapng");
    let (mut w, tail) = Writer::start(name, &dest);
    let mut app = live_app(&w, tail);
    assert_eq!(app.rows(), 0);

    w.push(10);
    until(&mut app, "10 rows", |a| a.rows() == 10);
    assert_eq!(app.selected_frame(), Some(10), "follows the newest packet");

    // The user moves up: the list stays where they are.
    app.press(KeyCode::Char('k'));
    assert_eq!(app.selected_frame(), Some(9));
    w.push(15);
    until(&mut app, "25 rows", |a| a.rows() == 25);
    assert_eq!(app.selected_frame(), Some(9));
    assert!(!app.live.as_ref().unwrap().follow);

    // G follows again.
    app.press(KeyCode::Char('G'));
    w.push(5);
    until(&mut app, "30 rows", |a| a.rows() == 30);
    until(&mut app, "the newest selected", |a| {
        a.selected_frame() == Some(30)
    });

    // Space freezes the display; the index goes on.
    app.press(KeyCode::Char(' '));
    w.push(20);
    until(&mut app, "50 frames indexed", |a| {
        a.index.lock().frames() == 50
    });
    assert_eq!(app.rows(), 30, "paused: the display keeps 30 rows");
    app.press(KeyCode::Char(' '));
    assert_eq!(app.rows(), 50);

    let live = app.live.as_ref().unwrap();
    assert_eq!(
        live.counts().0,
        50,
        "captured count from the capture's status"
    );

    // The rest, then the end of the capture.
    w.push(usize::MAX);
    app.live.as_mut().unwrap().stop();
    until(&mut app, "the index to finish", |a| a.index.lock().done);

    // Every row is the row of the same frame read from the finished file.
    let file = file_app(name, None);
    assert_eq!(app.rows(), file.rows());
    for n in 1..=file.rows() as u64 {
        assert_eq!(app.cells(n), file.cells(n), "frame {n}");
    }
    let _ = std::fs::remove_file(&dest);
}

#[test]
fn a_filter_keeps_up_with_the_capture() {
    let name = "coffee_418_406.pcapng";
    let filter = "htcpcp || tcp.flags.syn == 1";
    let dest = temp("filter.pcapng");
    let (mut w, tail) = Writer::start(name, &dest);
    let mut app = live_app(&w, tail);
    w.push(40);
    until(&mut app, "40 frames", |a| a.index.lock().frames() == 40);
    app.apply_filter(filter).unwrap();
    let file = file_app(name, Some(filter));
    let expected: Vec<u64> = (0..file.rows()).filter_map(|i| file.frame_at(i)).collect();
    let upto = |n: u64| expected.iter().filter(|&&f| f <= n).count();
    until(&mut app, "the matches of the first 40", |a| {
        a.rows() == upto(40)
    });
    // More packets: the filter's pass, following the file, finds their matches.
    w.push(100);
    until(&mut app, "the matches of 140", |a| a.rows() == upto(140));
    w.push(usize::MAX);
    tail_finish(&mut app);
    until(&mut app, "every match", |a| a.rows() == expected.len());
    let shown: Vec<u64> = (0..app.rows()).filter_map(|i| app.frame_at(i)).collect();
    assert_eq!(shown, expected);
    let _ = std::fs::remove_file(&dest);
}

fn tail_finish(app: &mut App) {
    app.live.as_mut().unwrap().stop();
}

#[test]
fn transactions_and_expert_counts_grow_while_capturing() {
    let name = "coffee_418_406.pcapng";
    let dest = temp("tx.pcapng");
    let (mut w, tail) = Writer::start(name, &dest);
    let mut app = live_app(&w, tail);
    w.push(100);
    until(&mut app, "100 frames", |a| a.index.lock().frames() == 100);
    let some = app.index.lock().transactions.len();
    assert!(some > 0, "transactions of the first 100 frames are listed");
    w.push(usize::MAX);
    tail_finish(&mut app);
    until(&mut app, "the end", |a| a.index.lock().done);
    let file = file_app(name, None);
    let (live, done) = (app.index.lock(), file.index.lock());
    assert!(live.transactions.len() > some);
    assert_eq!(live.transactions.len(), done.transactions.len());
    assert_eq!(live.transaction_frames, done.transaction_frames);
    assert_eq!(live.expert, done.expert);
    drop((live, done));
    let _ = std::fs::remove_file(&dest);
}

#[test]
fn follow_and_conversations_keep_up_with_the_capture() {
    use coffeeshark::tui::views::Overlay;
    let name = "coffee_418_406.pcapng";
    let dest = temp("views.pcapng");
    let (mut w, tail) = Writer::start(name, &dest);
    let mut app = live_app(&w, tail);
    // Stream 0 up to the browser's request (frame 4), before the response.
    w.push(10);
    until(&mut app, "10 frames", |a| a.rows() == 10);
    assert!(app.select_frame(4));
    app.press(KeyCode::Char('f'));
    let pieces = |a: &App| match &a.overlay {
        Overlay::Follow(f) => f.stream.pieces.len(),
        _ => 0,
    };
    let before = pieces(&app);
    assert!(before > 0, "the request is followed");
    w.push(20);
    until(&mut app, "the response in the follow view", |a| {
        pieces(a) > before
    });
    app.press(KeyCode::Esc);

    // Conversations: counted so far, then counted again as more come.
    app.press(KeyCode::Char('c'));
    let convs = |a: &App| match &a.overlay {
        Overlay::Conv(c) if c.pending.is_none() => c.rows.len(),
        _ => 0,
    };
    until(&mut app, "the first conversations", |a| convs(a) > 0);
    let first = convs(&app);
    w.push(100);
    until(&mut app, "more conversations", |a| convs(a) > first);
    w.push(usize::MAX);
    tail_finish(&mut app);
    let _ = std::fs::remove_file(&dest);
}
