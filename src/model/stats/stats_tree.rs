//! Wireshark's `stats_tree` (epan/stats_tree.c, 4.0): a tree of named
//! counters that a statistic ticks once per tapped message, with the
//! columns tshark prints — count, rate per millisecond over the time the
//! tree saw messages, percent of the parent, and the burst rate (the most
//! ticks in any 100 ms window, counted in 5 ms buckets, Wireshark's default
//! preferences) with the time that window started.
//!
//! Children are kept in the order they were created and looked up by name
//! under their parent; [`crate::view::stats::stats_tree`] sorts them as
//! tshark does when printing. Memory grows with the number of distinct
//! names (hosts, URIs, methods), never with the number of packets.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// `prefs.st_burst_resolution` (ms).
const BURST_RESOLUTION: f64 = 5.0;
/// `prefs.st_burst_windowlen` (ms).
pub const BURST_WINDOW: f64 = 100.0;

/// A node's counter and burst state.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    /// `None` for the root.
    pub parent: Option<usize>,
    /// In creation order.
    pub children: Vec<usize>,
    by_name: FxHashMap<String, usize>,
    /// Wireshark's `gint` counter.
    pub counter: i32,
    burst: Burst,
}

/// `update_burst_calc`'s buckets: the ticks of each 5 ms bucket still in
/// the 100 ms window, oldest first.
#[derive(Debug, Clone)]
struct Burst {
    buckets: VecDeque<Bucket>,
    count: i32,
    max: i32,
    /// ms since the first frame; -1 while no burst was seen.
    time: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    count: i32,
    number: f64,
    start: f64,
}

impl Default for Burst {
    fn default() -> Self {
        // Wireshark starts with an empty bucket 0 at time 0.
        Burst {
            buckets: VecDeque::from([Bucket {
                count: 0,
                number: 0.0,
                start: 0.0,
            }]),
            count: 0,
            max: 0,
            time: -1.0,
        }
    }
}

impl Burst {
    fn update(&mut self, now: f64, value: i32) {
        let current = (now / BURST_RESOLUTION).floor();
        let window = BURST_WINDOW / BURST_RESOLUTION;
        let head = self.buckets.front().map_or(0.0, |b| b.number);
        let tail = self.buckets.back().map_or(0.0, |b| b.number);
        let bucket = Bucket {
            count: value,
            number: current,
            start: now,
        };
        if current > tail {
            self.buckets.push_back(bucket);
            self.count += value;
            while self.buckets.len() > 1
                && current >= self.buckets.front().map_or(0.0, |b| b.number) + window
            {
                if let Some(old) = self.buckets.pop_front() {
                    self.count -= old.count;
                }
            }
        } else if current < head {
            if current + window > tail {
                self.buckets.push_front(bucket);
                self.count += value;
            }
        } else {
            // Somewhere in the middle: the last bucket not after it.
            let at = self
                .buckets
                .iter()
                .rposition(|b| b.number <= current)
                .unwrap_or(0);
            let b = &mut self.buckets[at];
            if b.number == current {
                b.count += value;
                if b.start > now {
                    b.start = now;
                }
            } else {
                self.buckets.insert(at + 1, bucket);
            }
            self.count += value;
        }
        if self.count > self.max {
            self.max = self.count;
            self.time = self.buckets.front().map_or(0.0, |b| b.start);
        }
    }
}

/// One `-z ...,tree` statistic's counters.
#[derive(Debug, Clone)]
pub struct StatsTree {
    /// The statistic's name (`HTTP/Packet Counter`): printed as the title,
    /// its last `/` part names the root.
    pub name: &'static str,
    pub nodes: Vec<Node>,
    /// Time of the first and latest tapped message (ms since the first
    /// frame), `None` before the first.
    start: Option<f64>,
    now: f64,
}

/// The root's id.
pub const ROOT: usize = 0;

impl StatsTree {
    pub fn new(name: &'static str) -> Self {
        StatsTree {
            name,
            nodes: vec![Node {
                name: display_name(name),
                parent: None,
                children: Vec::new(),
                by_name: FxHashMap::default(),
                counter: 0,
                burst: Burst::default(),
            }],
            start: None,
            now: 0.0,
        }
    }

    /// `stats_tree_packet`: a message was tapped at `now_ms` (ms since the
    /// first frame), before the statistic ticks anything.
    pub fn tapped(&mut self, now_ms: f64) {
        self.now = now_ms;
        self.start.get_or_insert(now_ms);
    }

    /// ms between the first and the latest tapped message.
    pub fn elapsed(&self) -> f64 {
        self.start.map_or(0.0, |s| self.now - s)
    }

    /// `stats_tree_create_node`: a child of `parent`, counter 0.
    pub fn create(&mut self, name: &str, parent: usize) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            name: name.to_string(),
            parent: Some(parent),
            children: Vec::new(),
            by_name: FxHashMap::default(),
            counter: 0,
            burst: Burst::default(),
        });
        let p = &mut self.nodes[parent];
        p.children.push(id);
        p.by_name.insert(name.to_string(), id);
        id
    }

    /// `tick_stat_node`: the child of `parent` named `name` (created if
    /// new) counts one more.
    pub fn tick(&mut self, name: &str, parent: usize) -> usize {
        let id = match self.nodes[parent].by_name.get(name) {
            Some(&id) => id,
            None => self.create(name, parent),
        };
        self.bump(id);
        id
    }

    /// `stats_tree_tick_pivot`: the pivot and its child `value` count one
    /// more.
    pub fn tick_pivot(&mut self, pivot: usize, value: &str) {
        self.bump(pivot);
        self.tick(value, pivot);
    }

    /// An existing node counts one more (`tick_stat_node` of a node
    /// found by name).
    pub fn bump(&mut self, id: usize) {
        let now = self.now;
        let n = &mut self.nodes[id];
        n.counter = n.counter.wrapping_add(1);
        n.burst.update(now, 1);
    }

    /// The most ticks in a burst window and when it started (ms), if any.
    pub fn burst(&self, id: usize) -> Option<(i32, f64)> {
        let b = &self.nodes[id].burst;
        (b.max > 0).then_some((b.max, b.time))
    }
}

/// `stats_tree_get_displayname`: the part after the last `/` (a `//` is a
/// literal slash).
pub fn display_name(full: &str) -> String {
    let mut out = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '/' {
            if chars.peek() == Some(&'/') {
                chars.next();
                out.push('/');
            } else {
                out.clear();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A frame's time as `nstime_to_msec` makes it from `rel_ts`.
pub fn rel_ms(rel_nanos: i128) -> f64 {
    let secs = rel_nanos / 1_000_000_000;
    let nsecs = rel_nanos % 1_000_000_000;
    secs as f64 * 1000.0 + nsecs as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert_eq!(display_name("HTTP/Packet Counter"), "Packet Counter");
        assert_eq!(display_name("a//b/c"), "c");
        assert_eq!(display_name("plain"), "plain");
    }

    #[test]
    fn bursts_count_the_busiest_100ms() {
        let mut t = StatsTree::new("T/t");
        let n = t.create("n", ROOT);
        for ms in [0.0, 1.0, 2.0, 150.0, 151.0, 152.0, 153.0, 400.0] {
            t.tapped(ms);
            t.tick("n", ROOT);
        }
        assert_eq!(t.burst(n), Some((4, 150.0)));
        assert_eq!(t.nodes[n].counter, 8);
    }
}
