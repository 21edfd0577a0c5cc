//! Bounded evidence lists: [`Cited`] keeps the first items of a category
//! by frame or stream number and counts the rest; [`Names`] counts names
//! (methods, headers) with their first frames.

use super::*;

/// The first `cap` items of a category by key (a frame or stream number),
/// and how many there were.
#[derive(Debug, Clone)]
pub struct Cited<T> {
    pub(super) cap: usize,
    pub(super) seq: u64,
    pub(super) items: BTreeMap<(u64, u64), T>,
    pub(super) total: u64,
}

impl<T> Cited<T> {
    pub fn new(cap: usize) -> Self {
        Cited {
            cap,
            seq: 0,
            items: BTreeMap::new(),
            total: 0,
        }
    }

    /// Counts one item; keeps it (built by `make`) if it is among the
    /// `cap` smallest keys so far.
    pub fn add(&mut self, key: u64, make: impl FnOnce() -> T) {
        self.total += 1;
        self.seq += 1;
        let k = (key, self.seq);
        if self.items.len() < self.cap {
            self.items.insert(k, make());
        } else if self
            .items
            .last_key_value()
            .is_some_and(|(last, _)| k < *last)
        {
            self.items.pop_last();
            self.items.insert(k, make());
        }
    }

    /// How many were counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many were counted but not kept.
    pub fn more(&self) -> u64 {
        self.total - self.items.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The kept items, by key.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.values()
    }

    /// The first kept item with this key.
    pub fn get_mut(&mut self, key: u64) -> Option<&mut T> {
        self.items
            .range_mut((key, 0)..=(key, u64::MAX))
            .next()
            .map(|(_, v)| v)
    }
}

/// Names with how often they appeared and the first frames: methods,
/// headers.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub(super) entries: Vec<(String, u64, Vec<u64>)>,
    /// Occurrences of names beyond the first [`MAX_NAMES`].
    pub(super) other: u64,
}

impl Names {
    pub(super) fn add(&mut self, name: &str, frame: u64, frames_cap: usize) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.0.eq_ignore_ascii_case(name))
        {
            e.1 += 1;
            if e.2.len() < frames_cap {
                e.2.push(frame);
            }
        } else if self.entries.len() < MAX_NAMES {
            self.entries.push((name.to_string(), 1, vec![frame]));
        } else {
            self.other += 1;
        }
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.0.clone()).collect()
    }
}

pub(super) fn push_distinct(v: &mut Vec<String>, s: &str) {
    if v.len() < MAX_NAMES && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}
