//! The packet list's text, kept for every frame in little memory: the
//! cells of `view::list::write_cells`, one line per frame, in blocks of
//! [`BLOCK`] lines compressed with DEFLATE (flate2, fastest level). Lab and
//! web captures repeat the same addresses, ports and words, so a block
//! shrinks five to ten times; the screen shows at most a few blocks, which
//! the caller caches decompressed.
//!
//! Why not decode the rows again from the file when they are shown: a row's
//! Info depends on everything before it in its stream (relative sequence
//! numbers, analysis flags, reassembled messages), so only the one pass can
//! write it.

use flate2::read::DeflateDecoder;
use flate2::{Compress, Compression, FlushCompress};
use std::io::Read;

/// Lines per compressed block.
pub const BLOCK: usize = 256;

pub struct LineStore {
    /// Full blocks, compressed: lines joined by `\n`.
    blocks: Vec<Box<[u8]>>,
    /// The block being filled, uncompressed.
    open: String,
    open_lines: usize,
    /// Bytes of text before compression (for the status and the bench).
    raw_bytes: u64,
    /// One compressor, reset for each block: its state is a few hundred
    /// KiB, which a new encoder per block would allocate and free again
    /// (and the allocator keep around).
    compressor: Compress,
    packed: Vec<u8>,
}

impl Default for LineStore {
    fn default() -> Self {
        LineStore {
            blocks: Vec::new(),
            open: String::new(),
            open_lines: 0,
            raw_bytes: 0,
            compressor: Compress::new(Compression::fast(), false),
            packed: Vec::new(),
        }
    }
}

impl LineStore {
    pub fn len(&self) -> usize {
        self.blocks.len() * BLOCK + self.open_lines
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one line (a `\n` in it becomes a space).
    pub fn push(&mut self, line: &str) {
        let cleaned;
        let line = if line.contains('\n') {
            cleaned = line.replace('\n', " ");
            &cleaned
        } else {
            line
        };
        if self.open_lines > 0 {
            self.open.push('\n');
        }
        self.open.push_str(line);
        self.open_lines += 1;
        self.raw_bytes += line.len() as u64 + 1;
        if self.open_lines == BLOCK {
            self.packed.clear();
            self.packed.reserve(self.open.len() / 2 + 64);
            loop {
                let done = self.compressor.total_in() as usize;
                let status = self.compressor.compress_vec(
                    &self.open.as_bytes()[done..],
                    &mut self.packed,
                    FlushCompress::Finish,
                );
                match status {
                    Ok(flate2::Status::StreamEnd) | Err(_) => break,
                    Ok(_) => self.packed.reserve(self.packed.capacity().max(64)),
                }
            }
            self.compressor.reset();
            self.blocks.push(self.packed.as_slice().into());
            self.open.clear();
            self.open_lines = 0;
        }
    }

    /// The lines of block `b` (the last one may be partial).
    pub fn block(&self, b: usize) -> Vec<String> {
        let text = if b < self.blocks.len() {
            let mut s = String::with_capacity(BLOCK * 96);
            if DeflateDecoder::new(&self.blocks[b][..])
                .read_to_string(&mut s)
                .is_err()
            {
                return Vec::new();
            }
            s
        } else if b == self.blocks.len() && self.open_lines > 0 {
            self.open.clone()
        } else {
            return Vec::new();
        };
        text.split('\n').map(str::to_owned).collect()
    }

    /// Lines `first..first + count` (fewer at the end).
    pub fn lines(&self, first: usize, count: usize) -> Vec<String> {
        let end = (first + count).min(self.len());
        let mut out = Vec::with_capacity(end.saturating_sub(first));
        let mut at = first;
        while at < end {
            let block = self.block(at / BLOCK);
            let from = at % BLOCK;
            let take = (end - at).min(BLOCK - from);
            out.extend(block.into_iter().skip(from).take(take));
            at += take;
        }
        out
    }

    /// Memory held: compressed blocks plus the open one.
    pub fn heap_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.len() + 16).sum::<usize>() + self.open.capacity()
    }

    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_back_across_blocks() {
        let mut s = LineStore::default();
        let lines: Vec<String> = (0..BLOCK * 2 + 7).map(|i| format!("line {i} é")).collect();
        for l in &lines {
            s.push(l);
        }
        assert_eq!(s.len(), lines.len());
        let mut back = Vec::new();
        for b in 0..3 {
            back.extend(s.block(b));
        }
        assert_eq!(back, lines);
        assert!(s.block(3).is_empty());
        assert_eq!(s.lines(BLOCK - 2, 5), lines[BLOCK - 2..BLOCK + 3]);
        assert_eq!(s.lines(lines.len() - 1, 9), lines[lines.len() - 1..]);
        assert!(s.heap_bytes() < s.raw_bytes() as usize);
    }
}
