//! A live capture written to a pcapng file by a thread of its own, for the
//! views that read the file while it grows (the live TUI, `lab --capture`):
//! the file is a [`Tail`] that readers follow.
//!
//! Contract:
//! - Packets are flushed to the file at least every [`FLUSH_EVERY`] and
//!   whenever the kernel has nothing more for us, always between whole
//!   blocks: the file is a valid pcapng up to its last whole block at any
//!   moment, so a process killed mid-capture leaves every packet a reader
//!   was shown.
//! - [`RecordStatus`] holds the counters the status line shows: packets
//!   written, and libpcap's received / dropped-by-kernel counts, refreshed
//!   every [`STATS_EVERY`].
//! - The capture stops at [`Autostop`]'s count or duration, on
//!   [`Recorder::stop`], or on an error (kept in the status). On a stop,
//!   what the kernel captured before it is still read (a few empty polls
//!   in a row end it), then the Interface Statistics Block is written, the
//!   file is synced and the tail finished.

#[cfg(feature = "live")]
pub use capture::Recorder;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Mutex;
use std::time::Duration;

/// Longest a captured packet waits before readers can see it.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// How often libpcap's counters are read.
pub const STATS_EVERY: Duration = Duration::from_millis(500);
/// Empty polls in a row (each up to `live::READ_TIMEOUT_MS`) that end the
/// drain after a stop.
const DRAIN_POLLS: u32 = 3;

/// tshark's `-c N` and `-a duration:S` / `-a packets:N`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Autostop {
    pub packets: Option<u64>,
    pub duration: Option<Duration>,
}

impl Autostop {
    /// From `-c` and the `-a` conditions, with tshark's spellings; the
    /// error names the condition that is wrong.
    pub fn parse(count: Option<u64>, conditions: &[String]) -> Result<Autostop, String> {
        let mut stop = Autostop {
            packets: count,
            duration: None,
        };
        for cond in conditions {
            let (key, value) = cond.split_once(':').unwrap_or((cond.as_str(), ""));
            match key {
                "duration" => {
                    let secs: f64 = value
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                        .ok_or_else(|| format!("-a {cond}: give seconds, e.g. duration:10"))?;
                    let d = Duration::from_secs_f64(secs.min(1e9));
                    stop.duration = Some(stop.duration.map_or(d, |old| old.min(d)));
                }
                "packets" => {
                    let n: u64 = value
                        .parse()
                        .map_err(|_| format!("-a {cond}: give a number, e.g. packets:100"))?;
                    stop.packets = Some(stop.packets.map_or(n, |c| c.min(n)));
                }
                _ => {
                    return Err(format!(
                        "-a {cond}: the conditions are duration:SECONDS and packets:N"
                    ))
                }
            }
        }
        Ok(stop)
    }
}

/// What the capture thread reports while it runs.
#[derive(Debug, Default)]
pub struct RecordStatus {
    /// Packets written to the file.
    pub captured: AtomicU64,
    /// libpcap's counters (`pcap_stats`) at the last reading.
    pub received: AtomicU64,
    pub dropped_by_kernel: AtomicU64,
    pub dropped_by_interface: AtomicU64,
    /// The capture ended (stop, autostop or error).
    pub stopped: AtomicBool,
    /// Why it ended, when it was an error.
    pub error: Mutex<Option<String>>,
}

impl RecordStatus {
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The capture thread (libpcap: feature `live`).
#[cfg(feature = "live")]
mod capture {
    use super::{Autostop, RecordStatus, DRAIN_POLLS, FLUSH_EVERY, STATS_EVERY};
    use crate::source::live::{LiveCapture, LiveError, LiveStats, PcapNgSink};
    use crate::source::tail::{Tail, TailWriter};
    use crate::source::Timestamp;
    use std::fs::File;
    use std::io::BufWriter;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};

    fn set_stats(status: &RecordStatus, s: LiveStats) {
        status.received.store(s.received.into(), Ordering::Relaxed);
        status
            .dropped_by_kernel
            .store(s.dropped_by_kernel.into(), Ordering::Relaxed);
        status
            .dropped_by_interface
            .store(s.dropped_by_interface.into(), Ordering::Relaxed);
    }

    /// A capture running into a pcapng file.
    pub struct Recorder {
        pub status: Arc<RecordStatus>,
        pub tail: Arc<Tail>,
        pub path: PathBuf,
        pub interface: String,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl Recorder {
        /// Creates `path`, writes the pcapng header (readers can open the file
        /// as soon as this returns) and starts capturing from `capture`.
        pub fn start(
            mut capture: LiveCapture,
            path: &Path,
            autostop: Autostop,
        ) -> Result<Recorder, String> {
            let file =
                File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            let tail = Tail::new(path);
            let mut sink = PcapNgSink::new(
                TailWriter::new(BufWriter::with_capacity(1 << 16, file), tail.clone()),
                capture.link_type(),
                capture.snaplen(),
                capture.interface(),
                capture.description(),
            )
            .map_err(|e| e.to_string())?;
            sink.flush().map_err(|e| e.to_string())?;
            let status = Arc::new(RecordStatus::default());
            let stop = Arc::new(AtomicBool::new(false));
            let interface = capture.interface().to_string();
            let thread = {
                let (status, stop, tail) = (status.clone(), stop.clone(), tail.clone());
                std::thread::Builder::new()
                    .name("coffeeshark-capture".into())
                    .spawn(move || {
                        let outcome = record(&mut capture, &mut sink, &status, &stop, autostop);
                        let stats = capture.stats().ok();
                        if let Some(s) = stats {
                            set_stats(&status, s);
                        }
                        let captured = status.captured.load(Ordering::Relaxed);
                        let finished = sink
                            .finish(now(), stats, captured)
                            .map_err(|e| e.to_string())
                            .and_then(|w| {
                                w.into_inner()
                                    .into_inner()
                                    .map_err(|e| e.into_error().to_string())
                            })
                            .and_then(|f| f.sync_all().map_err(|e| e.to_string()));
                        if let Some(e) = outcome.err().or(finished.err()) {
                            *status.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        }
                        status.stopped.store(true, Ordering::Release);
                        tail.finish();
                    })
                    .map_err(|e| format!("cannot start the capture thread: {e}"))?
            };
            Ok(Recorder {
                status,
                tail,
                path: path.to_owned(),
                interface,
                stop,
                thread: Some(thread),
            })
        }

        /// Asks the capture to stop (it drains the kernel's buffer first).
        pub fn request_stop(&self) {
            self.stop.store(true, Ordering::Relaxed);
        }

        /// Stops the capture and waits until the file is complete.
        pub fn stop(&mut self) {
            self.request_stop();
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }

        pub fn captured(&self) -> u64 {
            self.status.captured.load(Ordering::Relaxed)
        }
    }

    impl Drop for Recorder {
        fn drop(&mut self) {
            self.stop();
        }
    }

    /// The capture loop: packets into the sink until a stop.
    fn record<W: std::io::Write>(
        capture: &mut LiveCapture,
        sink: &mut PcapNgSink<W>,
        status: &RecordStatus,
        stop: &AtomicBool,
        autostop: Autostop,
    ) -> Result<(), String> {
        let started = Instant::now();
        let mut last_flush = Instant::now();
        let mut last_stats = Instant::now();
        let mut unflushed = false;
        let mut draining: Option<u32> = None;
        let mut captured = 0u64;
        loop {
            if autostop.packets.is_some_and(|n| captured >= n) {
                break;
            }
            if draining.is_none()
                && (stop.load(Ordering::Relaxed)
                    || autostop.duration.is_some_and(|d| started.elapsed() >= d))
            {
                draining = Some(0);
            }
            let idle = match capture
                .next_packet()
                .map_err(|e: LiveError| e.to_string())?
            {
                Some(packet) => {
                    sink.write(&packet).map_err(|e| e.to_string())?;
                    captured += 1;
                    status.captured.store(captured, Ordering::Relaxed);
                    unflushed = true;
                    false
                }
                None => true,
            };
            if unflushed && (idle || last_flush.elapsed() >= FLUSH_EVERY) {
                sink.flush().map_err(|e| e.to_string())?;
                unflushed = false;
                last_flush = Instant::now();
            }
            if last_stats.elapsed() >= STATS_EVERY {
                if let Ok(s) = capture.stats() {
                    set_stats(status, s);
                }
                last_stats = Instant::now();
            }
            if let Some(empty) = draining.as_mut() {
                *empty = if idle { *empty + 1 } else { 0 };
                if *empty >= DRAIN_POLLS {
                    break;
                }
            }
        }
        sink.flush().map_err(|e| e.to_string())
    }

    fn now() -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            secs: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autostop_takes_tsharks_spellings() {
        let a = Autostop::parse(Some(10), &["duration:2.5".into(), "packets:4".into()]).unwrap();
        assert_eq!(a.packets, Some(4));
        assert_eq!(a.duration, Some(Duration::from_millis(2500)));
        assert!(Autostop::parse(None, &["filesize:3".into()])
            .unwrap_err()
            .contains("duration:SECONDS"));
        assert!(Autostop::parse(None, &["duration:x".into()]).is_err());
    }
}
