//! The packet list's text, kept for every frame in little memory: the
//! cells of `view::list::write_cells`, one line per frame, in blocks of
//! [`BLOCK`] lines compressed with LZ4 (lz4_flex's block format). Lab and
//! web captures repeat the same addresses, ports and words, so a block
//! shrinks about four times; the screen shows at most a few blocks, which
//! the caller caches decompressed. LZ4 rather than DEFLATE: on a million
//! packets DEFLATE's fastest level kept 25 MB instead of 31 MB but made the
//! index pass take 1.0 s instead of 0.5–0.7 s (`read` takes 0.37 s), and
//! the pass's speed is what the user waits for.
//!
//! Why not decode the rows again from the file when they are shown: a row's
//! Info depends on everything before it in its stream (relative sequence
//! numbers, analysis flags, reassembled messages), so only the one pass can
//! write it.

/// Lines per compressed block.
pub const BLOCK: usize = 256;

#[derive(Default)]
pub struct LineStore {
    /// Full blocks, compressed: lines joined by `\n`.
    blocks: Vec<Box<[u8]>>,
    /// The block being filled, uncompressed.
    open: String,
    open_lines: usize,
    /// Bytes of text before compression (for the status and the bench).
    raw_bytes: u64,
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
            let packed = lz4_flex::block::compress_prepend_size(self.open.as_bytes());
            self.blocks.push(packed.into_boxed_slice());
            self.open.clear();
            self.open_lines = 0;
        }
    }

    /// The lines of block `b` (the last one may be partial).
    pub fn block(&self, b: usize) -> Vec<String> {
        let text = if b < self.blocks.len() {
            match lz4_flex::block::decompress_size_prepended(&self.blocks[b])
                .ok()
                .and_then(|v| String::from_utf8(v).ok())
            {
                Some(s) => s,
                None => return Vec::new(),
            }
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
        let lines: Vec<String> = (0..BLOCK * 8 + 7).map(|i| format!("line {i} é")).collect();
        for l in &lines {
            s.push(l);
        }
        assert_eq!(s.len(), lines.len());
        let mut back = Vec::new();
        for b in 0..9 {
            back.extend(s.block(b));
        }
        assert_eq!(back, lines);
        assert!(s.block(9).is_empty());
        assert_eq!(s.lines(BLOCK - 2, 5), lines[BLOCK - 2..BLOCK + 3]);
        assert_eq!(s.lines(lines.len() - 1, 9), lines[lines.len() - 1..]);
        assert!(s.heap_bytes() < s.raw_bytes() as usize);
    }
}
