//! Background passes over the whole capture for the display filter and
//! for searches: the threaded pass of `coffeeshark read -Y`
//! (`pipeline::threads`, frames without messages skipped when only messages
//! can match, `Filter::needs_messages`), its matches published as they are
//! found so the list fills while the pass runs. Esc cancels a pass.

use super::index::Index;
use crate::filter::values::PacketFields;
use crate::filter::Filter;
use crate::model::conversations::pass::count_capture;
use crate::model::conversations::{Conversation, ConversationTable};
use crate::model::Packet;
use crate::pipeline::threads;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a pass found so far.
#[derive(Debug, Default)]
pub struct Found {
    /// Matching frame numbers, ascending.
    pub frames: Vec<u64>,
    pub done: bool,
    pub error: Option<String>,
}

/// A pass running (or finished) in the background.
pub struct Pass {
    found: Mutex<Found>,
    /// Shared with a live reader, which stops waiting when it is set.
    cancel: Arc<AtomicBool>,
    /// Frames seen so far (progress).
    pub seen: AtomicU64,
}

impl Pass {
    pub fn lock(&self) -> MutexGuard<'_, Found> {
        self.found.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub fn done(&self) -> bool {
        self.lock().done
    }
}

/// What a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIn {
    /// The Info column (from the index, no pass).
    Info,
    /// Field values of the details tree (labels and values).
    Fields,
    /// The frame's bytes.
    Bytes,
}

impl SearchIn {
    pub fn name(self) -> &'static str {
        match self {
            SearchIn::Info => "Info",
            SearchIn::Fields => "field values",
            SearchIn::Bytes => "bytes",
        }
    }

    pub fn next(self) -> Self {
        match self {
            SearchIn::Info => SearchIn::Fields,
            SearchIn::Fields => SearchIn::Bytes,
            SearchIn::Bytes => SearchIn::Info,
        }
    }
}

/// Frames a packet-level predicate selects, found in the background; `stop_at_first`
/// ends the pass at the first match.
fn spawn<P>(index: &Arc<Index>, app_only: bool, stop_at_first: bool, predicate: P) -> Arc<Pass>
where
    P: Fn(&Packet<'_>) -> bool + Send + 'static,
{
    let pass = Arc::new(Pass {
        found: Mutex::new(Found::default()),
        cancel: Arc::default(),
        seen: AtomicU64::new(0),
    });
    let worker = pass.clone();
    let index = index.clone();
    std::thread::Builder::new()
        .name("coffeeshark-scan".into())
        .spawn(move || {
            let reader = match index.reader(worker.cancel.clone()) {
                Ok(r) => r,
                Err(e) => {
                    let mut f = worker.lock();
                    f.error = Some(e.to_string());
                    f.done = true;
                    return;
                }
            };
            let options = threads::Options {
                decode_as: index.decode_as.clone(),
                keylog: index.keylog.clone(),
                app_frames_only: app_only,
                ..threads::Options::default()
            };
            let local: RefCell<Vec<u64>> = RefCell::default();
            let result = threads::run_batches(
                reader,
                options,
                |pkt| -> Result<(), ()> {
                    if worker.cancelled() {
                        return Err(());
                    }
                    worker.seen.store(pkt.frame.number, Ordering::Relaxed);
                    if predicate(pkt) {
                        let mut local = local.borrow_mut();
                        local.push(pkt.frame.number);
                        if stop_at_first {
                            return Err(());
                        }
                        if local.len() >= 256 {
                            worker.lock().frames.append(&mut local);
                        }
                    }
                    Ok(())
                },
                // The end of a batch: a live capture may pause here.
                || {
                    worker.lock().frames.append(&mut local.borrow_mut());
                    Ok(())
                },
            );
            let mut f = worker.lock();
            f.frames.append(&mut local.borrow_mut());
            if let Ok(o) = result {
                f.error = o.error.map(|e| e.to_string());
            }
            f.done = true;
        })
        .expect("spawning a scan thread");
    pass
}

/// The frames matching a display filter.
pub fn filter(index: &Arc<Index>, filter: Filter) -> Arc<Pass> {
    let app_only = filter.needs_messages();
    spawn(index, app_only, false, move |pkt| {
        filter.matches_fields(&PacketFields::new(pkt))
    })
}

/// The first frame after `after` whose fields or bytes contain `needle`
/// (case-insensitive for fields).
pub fn search(index: &Arc<Index>, within: SearchIn, needle: &str, after: u64) -> Arc<Pass> {
    let lower = needle.to_lowercase();
    let bytes = needle.as_bytes().to_vec();
    spawn(index, false, true, move |pkt| {
        if pkt.frame.number <= after {
            return false;
        }
        match within {
            SearchIn::Bytes => contains(pkt.decoded.data, &bytes),
            _ => {
                let pf = PacketFields::new(pkt);
                let tree = pf.tree();
                tree.layers
                    .iter()
                    .any(|l| l.label.to_lowercase().contains(&lower))
                    || tree.walk().any(|f| {
                        f.label.to_lowercase().contains(&lower)
                            || f.value.show().to_lowercase().contains(&lower)
                    })
            }
        }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(hay, needle).is_some()
}

/// Conversations being counted: `None` until the pass ends.
pub type Counted = Arc<Mutex<Option<Vec<Conversation>>>>;

/// The capture's conversations, by `coffeeshark conv`'s counting pass
/// (`model::conversations::pass`), in the background. A damaged capture
/// gives the conversations before the damage (the status line already
/// says what is wrong).
pub fn conversations(index: &Index) -> Counted {
    let slot = Counted::default();
    let out = slot.clone();
    let reader = index.snapshot();
    std::thread::Builder::new()
        .name("coffeeshark-conv".into())
        .spawn(move || {
            let mut table = ConversationTable::new();
            if let Ok(mut reader) = reader {
                let _ = count_capture(&mut reader, &mut table);
            }
            let mut rows = Vec::new();
            table.finish().for_each(|c| rows.push(c.clone()));
            *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(rows);
        })
        .expect("spawning the conversations thread");
    slot
}
