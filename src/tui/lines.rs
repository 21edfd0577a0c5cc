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
//! The compressed blocks go to a temporary file, unlinked as soon as it is
//! open (the kernel frees it when the process ends, however it ends), and
//! are read back when shown: on a 1 GB capture of small packets they are
//! about 190 MB that the process would otherwise hold. The page cache keeps
//! them as long as memory allows, and gives them back when it is needed.
//! Only when no temporary file can be made do they stay in memory.
//!
//! Why not decode the rows again from the file when they are shown: a row's
//! Info depends on everything before it in its stream (relative sequence
//! numbers, analysis flags, reassembled messages), so only the one pass can
//! write it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

/// Lines per compressed block.
pub const BLOCK: usize = 256;

#[derive(Default)]
pub struct LineStore {
    /// Where full blocks are written (made at the first full block).
    spill: Option<Spill>,
    /// Full blocks kept in memory when there is no spill file.
    blocks: Vec<Box<[u8]>>,
    /// Full blocks in the spill file: offset and length.
    spilled: Vec<(u64, u32)>,
    /// The spill file could not be made: keep blocks in memory.
    no_spill: bool,
    /// The block being filled, uncompressed.
    open: String,
    open_lines: usize,
    /// Bytes of text before compression (for the status and the bench).
    raw_bytes: u64,
}

/// The unlinked temporary file of a [`LineStore`] (`tempfile::tempfile`:
/// on Linux an unlinked file, on Windows one deleted on close).
struct Spill {
    file: Mutex<File>,
    end: u64,
}

impl Spill {
    fn create() -> std::io::Result<Spill> {
        Ok(Spill {
            file: Mutex::new(tempfile::tempfile()?),
            end: 0,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<(u64, u32)> {
        let at = self.end;
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.seek(SeekFrom::Start(at))?;
        f.write_all(bytes)?;
        self.end += bytes.len() as u64;
        Ok((at, bytes.len() as u32))
    }

    fn read(&self, (at, len): (u64, u32)) -> std::io::Result<Vec<u8>> {
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.seek(SeekFrom::Start(at))?;
        let mut buf = vec![0u8; len as usize];
        f.read_exact(&mut buf)?;
        Ok(buf)
    }
}

impl LineStore {
    pub fn len(&self) -> usize {
        self.full_blocks() * BLOCK + self.open_lines
    }

    fn full_blocks(&self) -> usize {
        self.blocks.len() + self.spilled.len()
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
            self.store(packed);
            self.open.clear();
            self.open_lines = 0;
        }
    }

    /// Keeps a full block: in the spill file, or in memory without one.
    fn store(&mut self, packed: Vec<u8>) {
        if self.spill.is_none() && !self.no_spill && self.blocks.is_empty() {
            match Spill::create() {
                Ok(s) => self.spill = Some(s),
                Err(_) => self.no_spill = true,
            }
        }
        if let Some(spill) = self.spill.as_mut() {
            if let Ok(at) = spill.write(&packed) {
                self.spilled.push(at);
                return;
            }
            // The disk is full: this block and the next stay in memory,
            // after the spilled ones.
            self.no_spill = true;
        }
        self.blocks.push(packed.into_boxed_slice());
    }

    /// The compressed bytes of full block `b`.
    fn packed(&self, b: usize) -> Option<Vec<u8>> {
        if b < self.spilled.len() {
            self.spill.as_ref()?.read(self.spilled[b]).ok()
        } else {
            self.blocks.get(b - self.spilled.len()).map(|p| p.to_vec())
        }
    }

    /// The lines of block `b` (the last one may be partial).
    pub fn block(&self, b: usize) -> Vec<String> {
        let text = if b < self.full_blocks() {
            match self
                .packed(b)
                .and_then(|p| lz4_flex::block::decompress_size_prepended(&p).ok())
                .and_then(|v| String::from_utf8(v).ok())
            {
                Some(s) => s,
                None => return Vec::new(),
            }
        } else if b == self.full_blocks() && self.open_lines > 0 {
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

    /// Memory held: blocks kept in memory, where the spilled ones are,
    /// and the open one.
    pub fn heap_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.len() + 16).sum::<usize>()
            + self.spilled.capacity() * 12
            + self.open.capacity()
    }

    /// Bytes of compressed blocks in the spill file.
    pub fn spilled_bytes(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.end)
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
        assert!(s.spilled_bytes() > 0, "full blocks go to the spill file");
    }
}
