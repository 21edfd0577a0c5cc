//! The pass of [`super::Analyzer`] over a capture file, spread over three
//! threads, for the jobs that read whole files (`read`, `http`).
//!
//! ```text
//!  front thread                app thread              caller's thread
//!  reader, frame numbers,  ->  reassembly and      ->  full decode, the job
//!  TCP header, flow table      HTTP/HTCPCP/TLS         (filter, columns, output)
//! ```
//!
//! Frames travel in batches that own a copy of their bytes (the reader's
//! buffer is reused under it), so each thread works on its own data and the
//! channels carry a few hundred frames per message. Used batches go back
//! through the application thread, which frees their messages, to the front
//! thread, so their buffers are allocated once.
//!
//! Contract: the job sees exactly the [`Packet`]s that
//! [`super::Analyzer::process`] builds for the same frames, in capture order
//! (same frame numbers, times, TCP metadata and application layer; checked by
//! `tests/pipeline_threads.rs`), then the end: the messages left unfinished
//! and the reader's error, if the file is damaged, after every packet before
//! the damage. The front thread reads the TCP header in place
//! ([`decode::tcp_segment`], which agrees with [`decode::decode`]); the full
//! decode is done once, on the caller's thread, where the job needs it.
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches wait in each channel,
//! each of at most [`BATCH_FRAMES`] frames.

use super::{FrameClock, SegmentFlags};
use crate::decode;
use crate::dissect::stream::{AppFrame, DecodeAs, Pdu, StreamDissector};
use crate::dissect::tls::KeyLog;
use crate::flow::{Endpoint, TcpMeta, TcpTracker};
use crate::model::{FrameInfo, Packet};
use crate::source::{CaptureReader, RawFrame, SourceError};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;

/// Frames per batch: large enough that channel traffic is negligible, small
/// enough that a batch stays in the caches it is handed between. On the
/// benchmark capture, 256 made a thread wait (and switch) about 5,000 times
/// per million frames and cost 15% more CPU time than 1024 (`perf stat` of
/// `http`); 2048 and 4096 lost the caches.
pub const BATCH_FRAMES: usize = 1024;
/// Frame bytes a batch holds at most (it may pass by one frame): the batches
/// in flight are what the pass's memory is made of. By frames alone, a run of
/// 1,024 large segments (32 KB each from nginx on loopback) made a 3 MB batch
/// of a 100 MB real capture, and every new batch took that size: 88 MiB peak
/// RSS for `read`. Lab-like traffic (160 bytes a frame) never reaches it.
pub const BATCH_BYTES: usize = 1 << 20;
/// Batches that may wait in each channel.
pub const IN_FLIGHT: usize = 4;

/// What the job wants from the pass.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--decode-as` rules for the application layer.
    pub decode_as: Vec<DecodeAs>,
    /// A TLS key log: TLS streams are decrypted.
    pub keylog: Option<Arc<KeyLog>>,
    /// TCP sequence analysis (retransmissions, duplicate ACKs, ...): the
    /// packet list shows it, jobs that read messages do not need it.
    pub tcp_analysis: bool,
    /// Hand the job only the frames the application layer says something
    /// about (`Packet::app` is `Some`); the others are not decoded at all.
    pub app_frames_only: bool,
    /// Stop after this many frames (tshark's `-c`).
    pub count: Option<u64>,
    /// Show raw sequence numbers (`-o tcp.relative_sequence_numbers:FALSE`;
    /// tshark also does with its sequence analysis off).
    pub absolute_seq: bool,
    /// Only these frames of the file (1-based numbers in the file, in
    /// order) are numbered and dissected, from 1; the file's first frame
    /// stays the reference of `frame.time_relative` (tshark's `-2 -R`: the
    /// second pass over the read filter's frames).
    pub only_frames: Option<std::sync::Arc<Vec<u64>>>,
    /// Fill the application layer's Protocol and Info columns
    /// ([`StreamDissector::set_columns`]); jobs that read only the messages
    /// turn it off.
    pub columns: bool,
    /// A port taken as the coffee pot's besides the lab's
    /// ([`StreamDissector::set_pot_port`]; the report, when it found the pot
    /// elsewhere).
    pub pot_port: Option<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            decode_as: Vec::new(),
            keylog: None,
            tcp_analysis: true,
            app_frames_only: false,
            count: None,
            absolute_seq: false,
            only_frames: None,
            columns: true,
            pot_port: None,
        }
    }
}

/// How the pass ended, once every packet went to the job.
#[derive(Debug)]
pub struct Outcome {
    /// Messages still unfinished at the end ([`super::Analyzer::finish`]).
    pub unfinished: Vec<Pdu>,
    /// Frames read.
    pub frames: u64,
    /// The capture is damaged after the last packet handed out.
    pub error: Option<SourceError>,
}

/// The TCP facts of a frame the application layer needs, with its payload
/// as a range of the frame's bytes.
#[derive(Debug, Clone, Copy)]
struct Segment {
    meta: TcpMeta,
    src: Endpoint,
    dst: Endpoint,
    flags: SegmentFlags,
    payload_start: u32,
    payload_len: u32,
    uncaptured: u32,
}

/// One frame between threads.
struct Item {
    frame: FrameInfo,
    /// Where the frame's bytes start in [`Batch::bytes`].
    start: usize,
    segment: Option<Segment>,
    app: Option<Box<AppFrame>>,
    /// Index in [`Batch::interfaces`].
    interface: usize,
}

/// Frames in capture order, with their bytes.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    items: Vec<Item>,
    /// Interface names and descriptions of the batch's frames.
    interfaces: Vec<(Option<String>, Option<String>)>,
    /// The reader's section and interface number of the last entry of
    /// `interfaces`: frames of the same interface share it without
    /// comparing strings.
    last_interface: Option<(u32, u32)>,
    /// Set on the last batch.
    end: Option<End>,
}

struct End {
    frames: u64,
    error: Option<SourceError>,
    unfinished: Vec<Pdu>,
}

impl Batch {
    /// A batch with room for [`BATCH_FRAMES`] frames and `bytes` bytes:
    /// grown frame by frame instead, a new batch cost the front thread
    /// about 50 instructions per frame in `realloc` copies.
    fn with_capacity(bytes: usize) -> Self {
        Batch {
            bytes: Vec::with_capacity(bytes),
            items: Vec::with_capacity(BATCH_FRAMES),
            ..Batch::default()
        }
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.items.clear();
        self.interfaces.clear();
        self.last_interface = None;
        self.end = None;
    }

    /// The interface entry for a frame, shared with the previous frame's
    /// when it is the same.
    #[inline]
    fn interface(&mut self, raw: &RawFrame<'_>) -> usize {
        let id = (raw.section, raw.interface_id);
        if self.last_interface == Some(id) {
            return self.interfaces.len() - 1;
        }
        self.last_interface = Some(id);
        let (name, description) = (raw.interface_name, raw.interface_description);
        if let Some((n, d)) = self.interfaces.last() {
            if n.as_deref() == name && d.as_deref() == description {
                return self.interfaces.len() - 1;
            }
        }
        self.interfaces
            .push((name.map(str::to_owned), description.map(str::to_owned)));
        self.interfaces.len() - 1
    }
}

/// Runs the pass over `reader`, calling `job` with every packet in capture
/// order on the caller's thread. Stops early when `job` fails, and returns
/// its error.
pub fn run<E, F>(reader: CaptureReader, options: Options, job: F) -> Result<Outcome, E>
where
    F: FnMut(&Packet<'_>) -> Result<(), E>,
{
    run_batches(reader, options, job, || Ok(()))
}

/// [`run`], calling `batch_end` after each batch of packets: where a job
/// following a live capture ([`CaptureReader::from_tail`], whose batches end
/// when the reader would wait) publishes what it has.
pub fn run_batches<E, F, G>(
    reader: CaptureReader,
    options: Options,
    mut job: F,
    mut batch_end: G,
) -> Result<Outcome, E>
where
    F: FnMut(&Packet<'_>) -> Result<(), E>,
    G: FnMut() -> Result<(), E>,
{
    let mut tcp = if options.tcp_analysis {
        TcpTracker::default()
    } else {
        TcpTracker::without_analysis()
    };
    tcp.show_absolute(options.absolute_seq);
    let mut dissector = StreamDissector::with_decode_as(options.decode_as.clone());
    dissector.set_columns(options.columns);
    dissector.set_keylog(options.keylog.clone());
    if let Some(port) = options.pot_port {
        dissector.set_pot_port(port);
    }
    let (to_app, app_in) = sync_channel::<Batch>(IN_FLIGHT);
    let (to_job, job_in) = sync_channel::<Batch>(IN_FLIGHT);
    let (used, used_in) = channel::<Batch>();
    let (recycle, recycled) = channel::<Batch>();
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("coffeeshark-front".into())
            .spawn_scoped(s, || {
                let only = options.only_frames.clone();
                front(reader, tcp, (options.count, only), to_app, recycled)
            })
            .expect("spawning the reader thread");
        std::thread::Builder::new()
            .name("coffeeshark-app".into())
            .spawn_scoped(s, || {
                application(dissector, app_in, to_job, used_in, recycle)
            })
            .expect("spawning the application-layer thread");
        // `job_in` and `used` are dropped when this returns, which stops the
        // other threads if the job stopped early.
        consume(
            job_in,
            used,
            options.app_frames_only,
            &mut job,
            &mut batch_end,
        )
    })
}

/// The front thread: reads frames, numbers them, tracks TCP.
fn front(
    mut reader: CaptureReader,
    mut tcp: TcpTracker,
    (count, only): (Option<u64>, Option<std::sync::Arc<Vec<u64>>>),
    out: SyncSender<Batch>,
    recycled: Receiver<Batch>,
) {
    let mut clock = FrameClock::default();
    // With `only_frames`: frames read from the file, and the next kept.
    let (mut in_file, mut next_kept) = (0u64, 0usize);
    // The most bytes a batch held so far, to size new batches.
    let mut batch_bytes = 256 << 10;
    loop {
        let mut batch = recycled
            .try_recv()
            .unwrap_or_else(|_| Batch::with_capacity(batch_bytes + batch_bytes / 4));
        batch.clear();
        let mut error = None;
        let mut done = false;
        while batch.items.len() < BATCH_FRAMES && batch.bytes.len() < BATCH_BYTES {
            // A file still being written: what we hold goes on before we
            // wait for more, so the job sees each frame as it is captured.
            if !batch.items.is_empty() && reader.would_wait() {
                break;
            }
            if count.is_some_and(|c| clock.frames() >= c) {
                done = true;
                break;
            }
            let raw = match reader.next_frame() {
                Ok(Some(raw)) => raw,
                Ok(None) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    error = Some(e);
                    done = true;
                    break;
                }
            };
            if let Some(only) = &only {
                in_file += 1;
                if only.get(next_kept) != Some(&in_file) {
                    clock.skip(&raw);
                    // What the first pass learnt from it stays known (window
                    // scaling, sequence bases), as in tshark's second pass.
                    if let Some(seg) = decode::tcp_segment(raw.link_type, raw.data) {
                        let (src, dst) = seg.endpoints();
                        tcp.track(0, raw.ts, src, dst, &seg.tcp);
                    }
                    if next_kept >= only.len() {
                        done = true;
                        break;
                    }
                    continue;
                }
                next_kept += 1;
            }
            let start = batch.bytes.len();
            batch.bytes.extend_from_slice(raw.data);
            let interface = batch.interface(&raw);
            // The item goes into the batch first and its segment is written
            // in place after: built whole and then pushed, its fields were
            // kept on the stack across the TCP work and copied one by one
            // (about 100 instructions per frame).
            batch.items.push(Item {
                frame: clock.frame(&raw),
                start,
                segment: None,
                app: None,
                interface,
            });
            let item = batch.items.last_mut().expect("pushed above");
            track_segment(&mut tcp, item, &raw);
        }
        batch_bytes = batch_bytes.max(batch.bytes.len());
        if done {
            batch.end = Some(End {
                frames: clock.frames(),
                error,
                unfinished: Vec::new(),
            });
        }
        if out.send(batch).is_err() || done {
            return;
        }
    }
}

/// The TCP part of [`front`]: the segment of `raw`, if it has one, tracked
/// and written into `item` in place. (Kept inlined: out of line, it cost
/// more than the spills it saved.)
#[inline(always)]
fn track_segment(tcp: &mut TcpTracker, item: &mut Item, raw: &RawFrame<'_>) {
    let Some(seg) = decode::tcp_segment(raw.link_type, raw.data) else {
        return;
    };
    let (src, dst) = seg.endpoints();
    let payload = seg.tcp.payload();
    item.segment = Some(Segment {
        meta: tcp.track(item.frame.number, raw.ts, src, dst, &seg.tcp),
        src,
        dst,
        flags: SegmentFlags::of(&seg.tcp),
        payload_start: (payload.as_ptr() as usize - raw.data.as_ptr() as usize) as u32,
        payload_len: payload.len() as u32,
        uncaptured: seg.uncaptured,
    });
}

/// The application-layer thread: reassembly and HTTP/HTCPCP/TLS.
///
/// Batches the job is done with come back here (`used`) before they go on to
/// the front thread (`recycle`): their messages are freed on the thread that
/// allocated them, which glibc's allocator does fast (freed on another
/// thread, they cost this thread about a third of its time in `malloc`).
fn application(
    mut dissector: StreamDissector,
    input: Receiver<Batch>,
    out: SyncSender<Batch>,
    used: Receiver<Batch>,
    recycle: Sender<Batch>,
) {
    for mut batch in input {
        for mut old in used.try_iter() {
            old.clear();
            // The front thread may have finished already.
            let _ = recycle.send(old);
        }
        let Batch { bytes, items, .. } = &mut batch;
        for item in items.iter_mut() {
            let Some(seg) = &item.segment else { continue };
            let at = item.start + seg.payload_start as usize;
            let payload = &bytes[at..at + seg.payload_len as usize];
            let segment_in = seg.flags.segment_in(
                &item.frame,
                &seg.meta,
                seg.src,
                seg.dst,
                payload,
                seg.uncaptured,
            );
            item.app = dissector.process(&segment_in);
        }
        if let Some(end) = batch.end.as_mut() {
            end.unfinished = dissector.finish();
        }
        let last = batch.end.is_some();
        if out.send(batch).is_err() || last {
            return;
        }
    }
}

/// The caller's thread: decodes each frame and hands it to the job.
fn consume<E, F, G>(
    input: Receiver<Batch>,
    recycle: Sender<Batch>,
    app_frames_only: bool,
    job: &mut F,
    batch_end: &mut G,
) -> Result<Outcome, E>
where
    F: FnMut(&Packet<'_>) -> Result<(), E>,
    G: FnMut() -> Result<(), E>,
{
    for mut batch in input {
        {
            let Batch {
                bytes,
                items,
                interfaces,
                ..
            } = &mut batch;
            for item in items.iter_mut() {
                if app_frames_only && item.app.is_none() {
                    continue;
                }
                let data = &bytes[item.start..item.start + item.frame.cap_len as usize];
                let (name, description) = &interfaces[item.interface];
                let mut packet = Packet {
                    frame: item.frame,
                    decoded: decode::decode(item.frame.link_type, data),
                    tcp: item.segment.as_ref().map(|s| s.meta),
                    app: item.app.take(),
                    interface_name: name.as_deref(),
                    interface_description: description.as_deref(),
                };
                let done = job(&packet);
                // Back into the batch, to be freed where it was allocated.
                item.app = packet.app.take();
                done?;
            }
        }
        batch_end()?;
        if let Some(end) = batch.end.take() {
            return Ok(Outcome {
                unfinished: end.unfinished,
                frames: end.frames,
                error: end.error,
            });
        }
        // The application thread may have finished already.
        let _ = recycle.send(batch);
    }
    // The other threads stopped without an end: they panicked, and the scope
    // propagates their panic.
    Ok(Outcome {
        unfinished: Vec::new(),
        frames: 0,
        error: None,
    })
}
