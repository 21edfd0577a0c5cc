//! Connection slots of a lab server: at most `max` connections served at
//! once, and idle ones give way to new ones.
//!
//! A plain semaphore lets a client that opens `max` connections and sends
//! nothing (or trickles a head) lock everyone else out until its connections
//! time out. Here a connection is *idle* from its accept until it has a
//! whole request head ([`Slot::busy`]); when every slot is taken, admitting a
//! new connection evicts the idle one accepted longest ago ([`Slot::evicted`]
//! fires, its task closes it). Only when every open connection is busy does
//! a new one wait, in the kernel's accept queue, for a slot to free.
//!
//! The same eviction frees a descriptor when `accept` fails for lack of one
//! ([`Slots::evict_idle`]), so that an attacker's connections, not the
//! process's limit, decide who is served.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, Notify};

/// The slots of one server.
#[derive(Clone)]
pub struct Slots {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Signalled whenever a slot frees.
    freed: Notify,
}

struct State {
    max: usize,
    open: usize,
    next_id: u64,
    /// Idle connections, oldest first, with the means to evict them.
    idle: BTreeMap<u64, Eviction>,
}

/// How an idle connection is told to go, and how its slot knows it went.
struct Eviction {
    tell: oneshot::Sender<()>,
    done: Arc<AtomicBool>,
}

impl Eviction {
    /// Tells the connection to go; its slot is counted free from now on.
    fn evict(self, st: &mut State) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.tell.send(());
        st.open -= 1;
    }
}

/// One admitted connection; dropping it frees the slot.
pub struct Slot {
    id: u64,
    slots: Slots,
    evicted: Option<oneshot::Receiver<()>>,
    /// Set when evicted: the slot was counted free then.
    gone: Arc<AtomicBool>,
}

impl Slots {
    pub fn new(max: usize) -> Slots {
        Slots {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    max: max.max(1),
                    open: 0,
                    next_id: 0,
                    idle: BTreeMap::new(),
                }),
                freed: Notify::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for the next connection: at once while there is room or an
    /// idle connection to evict, else when a busy one ends.
    pub async fn admit(&self) -> Slot {
        loop {
            let freed = self.inner.freed.notified();
            tokio::pin!(freed);
            // Registered before looking, so that a slot freed in between is not missed.
            freed.as_mut().enable();
            {
                let mut st = self.state();
                if st.open >= st.max {
                    // The evicted connection's task closes it soon; its
                    // slot counts as free from now.
                    if let Some((_, e)) = st.idle.pop_first() {
                        e.evict(&mut st);
                    }
                }
                if st.open < st.max {
                    st.open += 1;
                    let id = st.next_id;
                    st.next_id += 1;
                    let (tell, rx) = oneshot::channel();
                    let gone = Arc::new(AtomicBool::new(false));
                    st.idle.insert(
                        id,
                        Eviction {
                            tell,
                            done: gone.clone(),
                        },
                    );
                    return Slot {
                        id,
                        slots: self.clone(),
                        evicted: Some(rx),
                        gone,
                    };
                }
            }
            freed.await;
        }
    }

    /// Evicts the idle connection accepted longest ago (when `accept` fails
    /// for lack of descriptors); false when there is none.
    pub fn evict_idle(&self) -> bool {
        let mut st = self.state();
        match st.idle.pop_first() {
            Some((_, e)) => {
                e.evict(&mut st);
                true
            }
            None => false,
        }
    }

    /// Connections open now (evicted ones not counted).
    pub fn open(&self) -> usize {
        self.state().open
    }

    /// Waits until every slot is free (at shutdown).
    pub async fn all_free(&self) {
        loop {
            let freed = self.inner.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.state().open == 0 {
                return;
            }
            freed.await;
        }
    }
}

impl Slot {
    /// The connection has a whole request: it is no longer evicted for
    /// newcomers.
    pub fn busy(&self) {
        self.slots.state().idle.remove(&self.id);
    }

    /// A future that resolves when the connection is evicted (never, once
    /// it is busy). Taken once: later calls give a future that never resolves.
    pub fn evicted(&mut self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let rx = self.evicted.take();
        async move {
            let told = match rx {
                Some(rx) => rx.await.is_ok(),
                None => false,
            };
            if !told {
                // Busy: the sender is gone, no eviction will come.
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut st = self.slots.state();
        // An evicted slot was given back when it was evicted.
        if !self.gone.load(Ordering::Relaxed) {
            st.idle.remove(&self.id);
            st.open -= 1;
        }
        drop(st);
        self.slots.inner.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn idle_connections_give_way_busy_ones_do_not() {
        let slots = Slots::new(2);
        let mut a = slots.admit().await;
        let b = slots.admit().await;
        b.busy();
        // Full: the newcomer evicts the idle one (a), not the busy one (b).
        let c = slots.admit().await;
        tokio::time::timeout(Duration::from_secs(1), a.evicted())
            .await
            .expect("a is evicted");
        assert_eq!(slots.open(), 2);
        drop(a); // its task ends: nothing counted twice
        assert_eq!(slots.open(), 2);
        c.busy();
        // Every slot busy: the next one waits until one ends.
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(b);
        let d = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("admitted once b ended")
            .unwrap();
        assert_eq!(slots.open(), 2);
        // d is idle: a lack of descriptors evicts it.
        assert!(slots.evict_idle());
        assert_eq!(slots.open(), 1);
        drop((c, d));
        tokio::time::timeout(Duration::from_secs(1), slots.all_free())
            .await
            .expect("all free");
    }
}
