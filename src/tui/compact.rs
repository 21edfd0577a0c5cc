//! The index's per-frame columns, in as little memory as they can take
//! while every value stays one lookup away:
//!
//! - [`Column`]: values in fixed chunks of [`CHUNK`] instead of one `Vec`.
//!   A growing `Vec` doubles: its capacity is up to twice what it holds,
//!   and while it moves the old and the new buffers are both alive, so a
//!   column of 6 M frames peaked at three times its size. Chunks never move.
//! - [`Offsets`]: file offsets as a `u64` per [`BLOCK`] frames plus each
//!   frame's distance from the previous one (`u32`: a frame's block is at
//!   most `source::MAX_BLOCK` long), 4 bytes a frame instead of 8.
//! - [`Streams`]: each frame's `tcp.stream` as one byte, its distance from
//!   the newest stream when its block of [`BLOCK`] frames began (a frame
//!   belongs to one of the few connections open around it), with the rare
//!   frame of a stream opened long before kept whole on the side: 1 byte a
//!   frame instead of 4.

/// Values per chunk of a [`Column`].
pub const CHUNK: usize = 1 << 16;
/// Frames per base offset in [`Offsets`].
pub const BLOCK: usize = 256;

/// A growable column of small values, in chunks that never move.
#[derive(Debug, PartialEq)]
pub struct Column<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Column<T> {
    fn default() -> Self {
        Column {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Copy> Column<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        Some(self.chunks[i / CHUNK][i % CHUNK])
    }

    pub fn push(&mut self, v: T) {
        if self.len % CHUNK == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut().expect("a chunk with room").push(v);
        self.len += 1;
    }

    pub fn extend(&mut self, values: impl IntoIterator<Item = T>) {
        for v in values {
            self.push(v);
        }
    }

    /// Values `start..end` (clamped to the length), with their index.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let end = end.min(self.len);
        (start.min(end)..end).map(move |i| (i, self.chunks[i / CHUNK][i % CHUNK]))
    }

    /// The index of the last value for which `pred` holds.
    pub fn rposition(&self, pred: impl Fn(T) -> bool) -> Option<usize> {
        (0..self.len)
            .rev()
            .find(|&i| pred(self.chunks[i / CHUNK][i % CHUNK]))
    }

    /// The number of leading values for which `pred` holds (they must
    /// come first, as in `slice::partition_point`).
    pub fn partition_point(&self, pred: impl Fn(T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.chunks[mid / CHUNK][mid % CHUNK]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Bytes held (capacity of the chunks).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<T>()
    }
}

/// The value a [`Streams`] holds for a frame that is not TCP.
pub const NO_STREAM: u32 = u32::MAX;

/// Codes of a [`Streams`] byte: `stream - base + BELOW` below [`NOT_TCP`].
const BELOW: u32 = 128;
const NOT_TCP: u8 = 254;
const FAR: u8 = 255;

/// Each frame's `tcp.stream` (or [`NO_STREAM`]), 1 byte a frame.
#[derive(Debug, Default)]
pub struct Streams {
    /// Per block of [`BLOCK`] frames: the newest stream seen when it began.
    bases: Vec<u32>,
    codes: Column<u8>,
    /// `(frame, stream)` of the frames coded [`FAR`], in frame order.
    far: Vec<(u32, u32)>,
    newest: Option<u32>,
}

impl Streams {
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn push(&mut self, stream: u32) {
        let i = self.codes.len();
        if stream != NO_STREAM {
            self.newest = Some(self.newest.map_or(stream, |n| n.max(stream)));
        }
        if i % BLOCK == 0 {
            self.bases.push(self.newest.unwrap_or(0));
        }
        let base = self.bases[i / BLOCK];
        let code = if stream == NO_STREAM {
            NOT_TCP
        } else {
            match (stream + BELOW).checked_sub(base) {
                Some(c) if c < NOT_TCP as u32 => c as u8,
                _ => {
                    self.far.push((i as u32, stream));
                    FAR
                }
            }
        };
        self.codes.push(code);
    }

    pub fn extend(&mut self, streams: impl IntoIterator<Item = u32>) {
        for s in streams {
            self.push(s);
        }
    }

    pub fn get(&self, i: usize) -> Option<u32> {
        let code = self.codes.get(i)?;
        Some(match code {
            NOT_TCP => NO_STREAM,
            FAR => {
                let at = self.far.partition_point(|&(f, _)| (f as usize) < i);
                self.far.get(at).map_or(NO_STREAM, |&(_, s)| s)
            }
            c => self.bases[i / BLOCK] + c as u32 - BELOW,
        })
    }

    /// Values `start..end` (clamped to the length), with their index.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = (usize, u32)> + '_ {
        let end = end.min(self.len());
        (start.min(end)..end).filter_map(move |i| Some((i, self.get(i)?)))
    }

    /// The index of the last frame for which `pred` holds.
    pub fn rposition(&self, pred: impl Fn(u32) -> bool) -> Option<usize> {
        (0..self.len())
            .rev()
            .find(|&i| self.get(i).is_some_and(&pred))
    }

    pub fn heap_bytes(&self) -> usize {
        self.bases.capacity() * 4 + self.codes.heap_bytes() + self.far.capacity() * 8
    }
}

/// Frame file offsets, 4 bytes a frame.
#[derive(Debug, Default)]
pub struct Offsets {
    /// The offset of each block's first frame.
    bases: Vec<u64>,
    /// Each frame's offset minus the previous frame's (0 for a block's
    /// first frame).
    steps: Column<u32>,
    last: u64,
}

impl Offsets {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Appends the next frame's offset (offsets grow, as frames follow
    /// each other in the file).
    pub fn push(&mut self, offset: u64) {
        let i = self.steps.len();
        if i % BLOCK == 0 {
            self.bases.push(offset);
            self.steps.push(0);
        } else {
            // A step over u32 cannot happen (a block is at most 16 MiB);
            // saturating keeps a corrupt value from wrapping.
            let step = offset.saturating_sub(self.last).min(u32::MAX as u64) as u32;
            self.steps.push(step);
        }
        self.last = offset;
    }

    pub fn get(&self, i: usize) -> Option<u64> {
        if i >= self.len() {
            return None;
        }
        let block = i / BLOCK;
        let first = block * BLOCK;
        let steps: u64 = self
            .steps
            .range(first + 1, i + 1)
            .map(|(_, s)| s as u64)
            .sum();
        Some(self.bases[block] + steps)
    }

    pub fn heap_bytes(&self) -> usize {
        self.bases.capacity() * 8 + self.steps.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keep_values_across_chunks() {
        let mut c = Column::default();
        c.extend((0..CHUNK as u32 * 2 + 5).map(|i| i * 3));
        assert_eq!(c.len(), CHUNK * 2 + 5);
        assert_eq!(c.get(CHUNK + 1), Some((CHUNK as u32 + 1) * 3));
        assert_eq!(c.get(c.len()), None);
        let r: Vec<_> = c.range(CHUNK - 1, CHUNK + 1).collect();
        assert_eq!(
            r,
            vec![
                (CHUNK - 1, (CHUNK as u32 - 1) * 3),
                (CHUNK, CHUNK as u32 * 3)
            ]
        );
        assert_eq!(c.rposition(|v| v % 7 == 0), Some(CHUNK * 2 + 3));
    }

    #[test]
    fn streams_come_back_near_far_and_not_tcp() {
        let mut s = Streams::default();
        let mut all = Vec::new();
        // New streams one after another, old ones coming back (the far
        // side table), frames that are not TCP, across several blocks.
        for i in 0..BLOCK as u32 * 5 + 3 {
            let v = match i % 7 {
                0 => NO_STREAM,
                1 => i / 3,
                2 => 0,
                3 => i / 2 + 400,
                _ => i / 3 + 1,
            };
            all.push(v);
            s.push(v);
        }
        assert!(!s.far.is_empty(), "the fixture reaches the side table");
        for (i, &want) in all.iter().enumerate() {
            assert_eq!(s.get(i), Some(want), "{i}");
        }
        assert_eq!(s.get(all.len()), None);
        assert_eq!(s.rposition(|v| v == 0), all.iter().rposition(|&v| v == 0));
        assert_eq!(s.range(3, 6).map(|(_, v)| v).collect::<Vec<_>>(), all[3..6]);
    }

    #[test]
    fn offsets_come_back() {
        let mut o = Offsets::default();
        let mut at = 28u64;
        let mut all = Vec::new();
        for i in 0..BLOCK * 3 + 17 {
            all.push(at);
            o.push(at);
            at += 32 + (i as u64 * 7919) % 70_000;
        }
        for (i, &want) in all.iter().enumerate() {
            assert_eq!(o.get(i), Some(want), "{i}");
        }
        assert_eq!(o.get(all.len()), None);
    }
}
