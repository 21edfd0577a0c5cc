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

/// Values per chunk of a [`Column`].
pub const CHUNK: usize = 1 << 16;
/// Frames per base offset in [`Offsets`].
pub const BLOCK: usize = 256;

/// A growable column of small values, in chunks that never move.
#[derive(Debug)]
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

    /// Bytes held (capacity of the chunks).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<T>()
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
