//! A capture file that is still being written (a live capture into a
//! pcapng, as termshark reads dumpcap's): one writer appends whole blocks
//! and says how far the file is complete; any number of readers follow it.
//!
//! Contract:
//! - [`TailWriter`] counts the bytes written through it and, on `flush`,
//!   publishes that count as [`Tail::available`] after the bytes reached the
//!   file. The writer flushes only between whole blocks (the pcapng sink
//!   does), so a reader never sees half a block, although the file may hold
//!   one for a moment.
//! - [`TailReader`] reads up to `available` and then waits (on a condition
//!   variable, no polling loop that burns CPU) for more, until the writer
//!   [`Tail::finish`]es (end of file) or the reader's cancel flag is set.
//!   [`TailReader::caught_up`] tells a pass that the next read would wait,
//!   so it can hand on what it holds first (`pipeline::threads`).
//! - [`Tail::snapshot`] reads what is complete now and ends there (a pass
//!   that must finish: conversations, the report).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long a waiting reader sleeps before it looks at its cancel flag.
const CANCEL_CHECK: Duration = Duration::from_millis(100);

/// The shared state of a file being written.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    state: Mutex<TailState>,
    grown: Condvar,
    /// `state.available`, readable without the lock.
    available: AtomicU64,
}

#[derive(Debug, Default)]
struct TailState {
    available: u64,
    finished: bool,
}

impl Tail {
    pub fn new(path: &Path) -> Arc<Tail> {
        Arc::new(Tail {
            path: path.to_owned(),
            state: Mutex::new(TailState::default()),
            grown: Condvar::new(),
            available: AtomicU64::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the file that are whole blocks.
    pub fn available(&self) -> u64 {
        self.available.load(Ordering::Acquire)
    }

    /// The writer is done: readers end at `available`.
    pub fn is_finished(&self) -> bool {
        self.lock().finished
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TailState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file is complete up to `bytes`; waiting readers wake.
    pub fn publish(&self, bytes: u64) {
        let mut s = self.lock();
        if bytes > s.available {
            s.available = bytes;
            self.available.store(bytes, Ordering::Release);
            self.grown.notify_all();
        }
    }

    /// No more bytes will come.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.grown.notify_all();
    }

    /// A reader from the start that follows the file as it grows; it ends
    /// when the writer finishes or `cancel` is set.
    pub fn reader(self: &Arc<Self>, cancel: Option<Arc<AtomicBool>>) -> io::Result<TailReader> {
        Ok(TailReader {
            file: File::open(&self.path)?,
            tail: self.clone(),
            pos: 0,
            cancel,
        })
    }

    /// A reader of what is complete now, ending there.
    pub fn snapshot(&self) -> io::Result<io::Take<File>> {
        Ok(File::open(&self.path)?.take(self.available()))
    }

    /// Waits until more than `pos` bytes are available (true), or the
    /// writer finished / `cancel` is set with nothing more (false).
    fn wait_beyond(&self, pos: u64, cancel: Option<&AtomicBool>) -> bool {
        let mut s = self.lock();
        loop {
            if s.available > pos {
                return true;
            }
            if s.finished || cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return false;
            }
            s = self
                .grown
                .wait_timeout(s, CANCEL_CHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Follows a [`Tail`]'s file from its start.
pub struct TailReader {
    file: File,
    tail: Arc<Tail>,
    pos: u64,
    cancel: Option<Arc<AtomicBool>>,
}

impl TailReader {
    /// Everything published so far has been read: the next read waits.
    pub fn caught_up(&self) -> bool {
        self.pos >= self.tail.available()
    }

    pub fn tail(&self) -> &Arc<Tail> {
        &self.tail
    }
}

impl Read for TailReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.tail.wait_beyond(self.pos, self.cancel.as_deref()) {
            return Ok(0);
        }
        let room = (self.tail.available() - self.pos).min(buf.len() as u64) as usize;
        let n = self.file.read(&mut buf[..room])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// What a [`TailReader`] handed to a [`super::CaptureReader`] lets the
/// capture reader ask: whether its input would wait.
#[derive(Clone)]
pub struct TailProbe {
    tail: Arc<Tail>,
    read: Arc<AtomicU64>,
}

impl TailProbe {
    pub fn caught_up(&self) -> bool {
        self.read.load(Ordering::Relaxed) >= self.tail.available()
    }
}

/// A [`TailReader`] that reports its position through a [`TailProbe`].
pub(super) struct ProbedTail {
    reader: TailReader,
    read: Arc<AtomicU64>,
}

impl ProbedTail {
    pub(super) fn new(reader: TailReader) -> (Self, TailProbe) {
        let read = Arc::new(AtomicU64::new(0));
        let probe = TailProbe {
            tail: reader.tail.clone(),
            read: read.clone(),
        };
        (ProbedTail { reader, read }, probe)
    }
}

/// Fills `buf` as far as the file is written: waits only while it has
/// nothing at all (pcap-parser takes a short read as all there is).
impl Read for ProbedTail {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() && (got == 0 || !self.reader.caught_up()) {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if got > 0 => {
                    // Delivered now; the error comes back on the next call.
                    let _ = e;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        self.read.store(self.reader.pos, Ordering::Relaxed);
        Ok(got)
    }
}

/// The writer's side: counts bytes and publishes them on `flush`.
pub struct TailWriter<W: Write> {
    inner: W,
    tail: Arc<Tail>,
    written: u64,
}

impl<W: Write> TailWriter<W> {
    pub fn new(inner: W, tail: Arc<Tail>) -> Self {
        TailWriter {
            inner,
            tail,
            written: 0,
        }
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for TailWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()?;
        self.tail.publish(self.written);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_follows_the_writer_and_ends_when_it_finishes() {
        let dir = std::env::temp_dir().join(format!("coffeeshark-tail-{}", std::process::id()));
        let file = File::create(&dir).unwrap();
        let tail = Tail::new(&dir);
        let mut w = TailWriter::new(io::BufWriter::new(file), tail.clone());
        w.write_all(b"abc").unwrap();
        // Written but not flushed: not yet for readers.
        let mut r = tail.reader(None).unwrap();
        assert!(r.caught_up());
        w.flush().unwrap();
        assert!(!r.caught_up());
        let mut buf = [0u8; 16];
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        let reader = std::thread::spawn(move || {
            let mut rest = Vec::new();
            r.read_to_end(&mut rest).unwrap();
            rest
        });
        w.write_all(b"defg").unwrap();
        w.flush().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        w.write_all(b"h").unwrap();
        w.flush().unwrap();
        tail.finish();
        assert_eq!(reader.join().unwrap(), b"defgh");
        let mut snap = Vec::new();
        tail.snapshot().unwrap().read_to_end(&mut snap).unwrap();
        assert_eq!(snap, b"abcdefgh");
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn a_cancelled_reader_stops_waiting() {
        let path = std::env::temp_dir().join(format!("coffeeshark-tail-c-{}", std::process::id()));
        File::create(&path).unwrap();
        let tail = Tail::new(&path);
        let cancel = Arc::new(AtomicBool::new(false));
        let mut r = tail.reader(Some(cancel.clone())).unwrap();
        let t = std::thread::spawn(move || r.read(&mut [0u8; 8]).unwrap());
        cancel.store(true, Ordering::Relaxed);
        assert_eq!(t.join().unwrap(), 0);
        let _ = std::fs::remove_file(&path);
    }
}
