//! The index: one streaming pass over the capture in a background thread
//! (the same threaded pass as `coffeeshark read`, `pipeline::threads`) that
//! keeps, per frame, only what the packet list needs to show any row at once:
//!
//! | per frame | bytes |
//! |---|---|
//! | file offset (random access, `source::random`) | 8 |
//! | `tcp.stream` (details and follow re-read the stream) | 4 |
//! | colouring rule | 1 |
//! | list cells, LZ4-compressed in blocks ([`LineStore`]) | ~30 |
//!
//! plus each stream's first frame (4 bytes a stream), and, per capture, the
//! expert counters and the HTTP/HTCPCP transactions (the `http` view,
//! computed by the same model type as the CLI's). The conversations are not
//! kept here: `conv`'s counting pass gives them when the view is opened
//! (`scan::conversations`), packed as it forgets them. Frames are published
//! in batches, so the list grows while the pass runs; the UI thread only
//! locks to copy a few numbers or the rows on screen.

use super::colors::Rule;
use super::compact::{Column, Offsets, Streams};
use super::lines::LineStore;
use crate::dissect::stream::{DecodeAs, PduBody};
use crate::dissect::tls::KeyLog;
use crate::flow::analysis::flag;
use crate::model::summary::{self, Columns};
use crate::model::transactions::{Transaction, TransactionTable};
use crate::model::Packet;
use crate::pipeline::threads;
use crate::source::random::SharedHeaderLog;
use crate::source::tail::Tail;
use crate::source::SourceError;
use crate::source::{CaptureReader, Timestamp};
use crate::view;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use super::compact::NO_STREAM;

/// An expert category: its label, the display filter that lists its frames,
/// and the analysis flags that count a frame in it.
pub struct ExpertCategory {
    pub label: &'static str,
    pub filter: &'static str,
    pub severity: &'static str,
}

/// The expert summary's rows, in Wireshark's order of severity.
pub const EXPERT: &[ExpertCategory] = &[
    ExpertCategory { label: "Malformed packets", filter: "_ws.malformed", severity: "Error" },
    ExpertCategory { label: "HTTP/HTCPCP messages with notes (malformed head, no status line, ...)", filter: "", severity: "Warning" },
    ExpertCategory { label: "Previous segment not captured", filter: "tcp.analysis.lost_segment", severity: "Warning" },
    ExpertCategory { label: "ACKed segment that wasn't captured", filter: "tcp.analysis.ack_lost_segment", severity: "Warning" },
    ExpertCategory { label: "Out-of-order segments", filter: "tcp.analysis.out_of_order", severity: "Warning" },
    ExpertCategory { label: "Connection reset (RST)", filter: "tcp.flags.reset == 1", severity: "Warning" },
    ExpertCategory { label: "Zero window", filter: "tcp.analysis.zero_window", severity: "Warning" },
    ExpertCategory { label: "Window full", filter: "tcp.analysis.window_full", severity: "Warning" },
    ExpertCategory { label: "Retransmissions (all kinds)", filter: "tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission", severity: "Note" },
    ExpertCategory { label: "Duplicate ACKs", filter: "tcp.analysis.duplicate_ack", severity: "Note" },
    ExpertCategory { label: "Keep-alives", filter: "tcp.analysis.keep_alive", severity: "Note" },
    ExpertCategory { label: "Port numbers reused", filter: "tcp.analysis.reused_ports", severity: "Note" },
    ExpertCategory { label: "Window updates", filter: "tcp.analysis.window_update", severity: "Chat" },
];

/// Which [`EXPERT`] rows a packet counts in.
fn expert_hits(pkt: &Packet<'_>, info: &str, mut hit: impl FnMut(usize)) {
    if info.contains("[Malformed Packet]") {
        hit(0);
    }
    if let Some(app) = &pkt.app {
        if app.messages.iter().any(|m| match &m.body {
            PduBody::Http(h) => !h.message.notes.is_empty(),
            PduBody::Tls(_) | PduBody::WebSocket(_) => false,
        }) {
            hit(1);
        }
    }
    let Some(meta) = &pkt.tcp else { return };
    let f = meta.analysis.flags;
    for (i, bits) in [
        (2, flag::LOST_PACKET),
        (3, flag::ACK_LOST_PACKET),
        (4, flag::OUT_OF_ORDER),
        (6, flag::ZERO_WINDOW),
        (7, flag::WINDOW_FULL),
        (
            8,
            flag::RETRANSMISSION | flag::FAST_RETRANSMISSION | flag::SPURIOUS_RETRANSMISSION,
        ),
        (9, flag::DUPLICATE_ACK),
        (10, flag::KEEP_ALIVE),
        (11, flag::REUSED_PORTS),
        (12, flag::WINDOW_UPDATE),
    ] {
        if f & bits != 0 {
            hit(i);
        }
    }
    if let Some(etherparse::TransportSlice::Tcp(t)) = &pkt.decoded.transport {
        if t.rst() {
            hit(5);
        }
    }
}

/// The frames a transaction row's Enter and `r` jump to: request and
/// response, 0 for none.
pub type TransactionFrames = [u32; 2];

/// What the pass has found so far.
#[derive(Default)]
pub struct IndexData {
    pub lines: LineStore,
    pub offsets: Offsets,
    pub streams: Streams,
    /// Each stream's first frame (0-based index): streams are numbered in
    /// the order of their first frame, so this is where a stream's frames
    /// start to be looked for.
    pub stream_starts: Column<u32>,
    pub rules: Column<u8>,
    /// The first frame's timestamp (`frame.time_relative`'s zero).
    pub first_ts: Option<Timestamp>,
    pub expert: [u64; EXPERT.len()],
    /// The first frame of each expert row (for the summary).
    pub expert_first: [u64; EXPERT.len()],
    /// The transactions view's rows: the `http` table's text, compressed as
    /// the list's, and the frames each row jumps to. Complete at the end.
    pub transactions: LineStore,
    pub transaction_frames: Column<TransactionFrames>,
    pub transactions_header: String,
    /// Offset reached in the (decompressed) file.
    pub bytes_read: u64,
    pub done: bool,
    /// The reader's error: the capture is damaged after the last frame.
    pub error: Option<String>,
}

impl IndexData {
    pub fn frames(&self) -> usize {
        self.offsets.len()
    }
}

/// The index, shared by the pass that fills it and the UI that reads it.
pub struct Index {
    data: Mutex<IndexData>,
    cancel: Arc<AtomicBool>,
    pub path: PathBuf,
    pub file_len: u64,
    pub header_log: SharedHeaderLog,
    pub decode_as: Vec<DecodeAs>,
    /// The TLS key log (`-o tls.keylog_file:`): every pass decrypts.
    pub keylog: Option<Arc<KeyLog>>,
    /// `path` is our uncompressed copy of a gzip capture: removed at the end.
    temporary: bool,
    /// `path` is being written by a live capture.
    tail: Option<Arc<Tail>>,
}

impl Drop for Index {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Frames published at once (one lock per batch).
const PUBLISH_EVERY: usize = 2048;

impl Index {
    /// Starts the pass over `reader` (already open on `path`, uncompressed)
    /// in a background thread.
    pub fn start(
        path: PathBuf,
        reader: CaptureReader,
        decode_as: Vec<DecodeAs>,
        keylog: Option<Arc<KeyLog>>,
        temporary: bool,
    ) -> Arc<Index> {
        let file_len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Self::spawn(
            Index {
                data: Mutex::new(IndexData::default()),
                cancel: Arc::default(),
                path,
                file_len,
                header_log: SharedHeaderLog::default(),
                decode_as,
                keylog,
                temporary,
                tail: None,
            },
            reader,
        )
    }

    /// Starts the pass over a capture file that a live capture is writing:
    /// it follows the file and ends when the capture does.
    pub fn start_live(
        tail: Arc<Tail>,
        decode_as: Vec<DecodeAs>,
        keylog: Option<Arc<KeyLog>>,
    ) -> Result<Arc<Index>, SourceError> {
        let index = Index {
            data: Mutex::new(IndexData::default()),
            cancel: Arc::default(),
            path: tail.path().to_owned(),
            file_len: 0,
            header_log: SharedHeaderLog::default(),
            decode_as,
            keylog,
            temporary: false,
            tail: Some(tail),
        };
        let reader = index.reader(index.cancel.clone())?;
        Ok(Self::spawn(index, reader))
    }

    fn spawn(index: Index, mut reader: CaptureReader) -> Arc<Index> {
        reader.log_headers(index.header_log.clone());
        {
            let mut header = String::new();
            view::http::Renderer::new(view::http::Format::Table).begin(&mut header);
            index.lock().transactions_header = header.trim_end_matches('\n').to_owned();
        }
        let index = Arc::new(index);
        let worker = index.clone();
        std::thread::Builder::new()
            .name("coffeeshark-index".into())
            .spawn(move || worker.run(reader))
            .expect("spawning the index thread");
        index
    }

    pub fn lock(&self) -> MutexGuard<'_, IndexData> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops the pass (on quit).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    fn run(&self, reader: CaptureReader) {
        let options = threads::Options {
            decode_as: self.decode_as.clone(),
            keylog: self.keylog.clone(),
            ..threads::Options::default()
        };
        let mut cols = Columns::default();
        let mut cells = String::new();
        // Filled by the job, emptied by `publish` (after each batch of the
        // pass, and by the job when it holds many frames).
        let batch = RefCell::new(Batch::default());
        let mut transactions = TransactionTable::new();
        let mut renderer = view::http::Renderer::new(view::http::Format::Table);
        let add_tx = |renderer: &mut view::http::Renderer, batch: &mut Batch, t: Transaction| {
            let mut row = String::new();
            renderer.row(&mut row, &t);
            row.truncate(row.trim_end_matches('\n').len());
            batch.tx_rows.push(row);
            batch.tx_frames.push([
                t.request.as_ref().map_or(0, |r| frame_u32(r.frame)),
                t.response.as_ref().map_or(0, |r| frame_u32(r.frame)),
            ]);
        };
        let outcome = threads::run_batches(
            reader,
            options,
            |pkt| -> Result<(), ()> {
                if self.cancel.load(Ordering::Relaxed) {
                    return Err(());
                }
                let mut b = batch.borrow_mut();
                summary::fill(pkt, &mut cols);
                cells.clear();
                view::list::write_cells(&mut cells, &pkt.frame, &cols);
                b.lines.push(std::mem::take(&mut cells));
                b.offsets.push(pkt.frame.file_offset);
                b.streams.push(pkt.tcp.map_or(NO_STREAM, |m| m.stream));
                b.rules.push(Rule::of(pkt, &cols.protocol) as u8);
                if b.first_ts.is_none() && pkt.frame.has_ts {
                    b.first_ts = Some(pkt.frame.ts);
                }
                expert_hits(pkt, &cols.info, |i| {
                    b.expert[i] += 1;
                    if b.expert_first[i] == 0 {
                        b.expert_first[i] = pkt.frame.number;
                    }
                });
                if TransactionTable::wants(pkt) {
                    transactions.add_packet(pkt, true, |t| add_tx(&mut renderer, &mut b, t));
                }
                if b.offsets.len() >= PUBLISH_EVERY {
                    self.publish(&mut b);
                }
                Ok(())
            },
            || {
                self.publish(&mut batch.borrow_mut());
                Ok(())
            },
        );
        let mut b = batch.into_inner();
        let (unfinished, error) = match outcome {
            Ok(o) => (o.unfinished, o.error.map(|e| e.to_string())),
            Err(()) => return,
        };
        transactions.finish(unfinished, |t| add_tx(&mut renderer, &mut b, t));
        self.publish(&mut b);
        let mut d = self.lock();
        d.error = error;
        d.bytes_read = self.bytes();
        d.done = true;
    }

    /// Bytes of capture there are to index: the file's length, or what a
    /// live capture has written so far.
    pub fn bytes(&self) -> u64 {
        match &self.tail {
            Some(t) => t.available(),
            None => self.file_len,
        }
    }

    /// A capture being written (live).
    pub fn is_live(&self) -> bool {
        self.tail.is_some()
    }

    /// A reader from the first frame for a background pass: one that
    /// follows a live capture as it grows (ending when the capture does or
    /// `cancel` is set), else the file.
    pub fn reader(&self, cancel: Arc<AtomicBool>) -> Result<CaptureReader, SourceError> {
        match &self.tail {
            Some(t) => {
                let r = t
                    .reader(Some(cancel))
                    .map_err(|e| open_error(&self.path, e))?;
                CaptureReader::from_tail(r)
            }
            None => CaptureReader::open(&self.path),
        }
    }

    /// A reader of what is captured now (passes that must end: the
    /// conversations, the report).
    pub fn snapshot(&self) -> Result<CaptureReader, SourceError> {
        match &self.tail {
            Some(t) => {
                let r = t.snapshot().map_err(|e| open_error(&self.path, e))?;
                CaptureReader::from_reader(r)
            }
            None => CaptureReader::open(&self.path),
        }
    }

    fn publish(&self, batch: &mut Batch) {
        let mut d = self.lock();
        for l in batch.lines.drain(..) {
            d.lines.push(&l);
        }
        if let Some(&last) = batch.offsets.last() {
            d.bytes_read = last;
        }
        for o in batch.offsets.drain(..) {
            d.offsets.push(o);
        }
        let base = d.streams.len();
        for (i, &s) in batch.streams.iter().enumerate() {
            if s != NO_STREAM && s as usize == d.stream_starts.len() {
                d.stream_starts.push((base + i) as u32);
            }
        }
        d.streams.extend(batch.streams.drain(..));
        d.rules.extend(batch.rules.drain(..));
        if d.first_ts.is_none() {
            d.first_ts = batch.first_ts;
        }
        for i in 0..EXPERT.len() {
            d.expert[i] += std::mem::take(&mut batch.expert[i]);
            if d.expert_first[i] == 0 {
                d.expert_first[i] = batch.expert_first[i];
            }
        }
        for row in batch.tx_rows.drain(..) {
            d.transactions.push(&row);
        }
        d.transaction_frames.extend(batch.tx_frames.drain(..));
    }
}

/// A frame number as the index keeps it (a capture of more than 4 G frames
/// cannot be indexed in memory anyway).
fn frame_u32(frame: u64) -> u32 {
    frame.min(u32::MAX as u64) as u32
}

fn open_error(path: &std::path::Path, error: std::io::Error) -> SourceError {
    SourceError::Open {
        path: path.display().to_string(),
        error,
    }
}

/// Frames waiting to be published.
#[derive(Default)]
struct Batch {
    lines: Vec<String>,
    offsets: Vec<u64>,
    streams: Vec<u32>,
    rules: Vec<u8>,
    first_ts: Option<Timestamp>,
    expert: [u64; EXPERT.len()],
    expert_first: [u64; EXPERT.len()],
    tx_rows: Vec<String>,
    tx_frames: Vec<TransactionFrames>,
}
