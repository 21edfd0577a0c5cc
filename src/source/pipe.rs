//! A capture arriving on a pipe (`read -i -`, `-r -`: what pyshark's
//! `LiveCapture` pipes from dumpcap into tshark), read as it arrives.
//!
//! A pipe cannot be read back, and pcap-parser's reader fills its whole
//! buffer before it parses (which on a live pipe would hold packets back
//! until a megabyte came). So a thread copies the pipe into an unlinked-on-
//! drop temporary file and publishes it as a [`Tail`] block by block (a
//! pcapng block or a pcap record is published only when whole); the
//! [`CaptureReader`] follows the tail ([`CaptureReader::from_tail`]), and
//! `pipeline::threads` hands each packet on as soon as it is read
//! (`would_wait`).
//!
//! Contract: the stream is pcap or pcapng, uncompressed (what dumpcap and
//! tcpdump write to a pipe); anything else gets the reader's error. The
//! temporary file grows with the capture (as tshark's own temporary file
//! does when it captures) and is removed when the reader is dropped.

use super::tail::Tail;
use super::{CaptureReader, SourceError};
use std::io::{Read, Write};
use std::sync::Arc;

/// Starts copying `input` and returns a reader that follows it. Returns
/// once the stream's first bytes have come (or it ended).
pub fn follow<R: Read + Send + 'static>(input: R) -> Result<CaptureReader, SourceError> {
    let io = |e: std::io::Error| SourceError::Read {
        offset: 0,
        detail: e.to_string(),
    };
    let file = tempfile::NamedTempFile::new().map_err(io)?;
    let tail = Tail::new(file.path());
    let reader = tail.reader(None).map_err(io)?;
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let copier_tail = Arc::clone(&tail);
    let writer = file.reopen().map_err(io)?;
    std::thread::spawn(move || {
        copy(input, writer, &copier_tail, started_tx);
        copier_tail.finish();
    });
    // from_tail looks at the first bytes to learn the format.
    let _ = started_rx.recv();
    let mut reader = CaptureReader::from_tail(reader)?;
    reader.keep_alive(file);
    Ok(reader)
}

/// Copies `input` to `out`, publishing each whole block; signals `started`
/// once the first header is published (or the input ended).
fn copy<R: Read>(
    mut input: R,
    mut out: std::fs::File,
    tail: &Tail,
    started: std::sync::mpsc::Sender<()>,
) {
    let mut blocks = Blocks::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut started = Some(started);
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if out.write_all(&buf[..n]).is_err() {
            break;
        }
        let whole = blocks.push(&buf[..n]);
        if whole > 0 {
            tail.publish(whole);
            if let Some(s) = started.take() {
                let _ = s.send(());
            }
        }
    }
    // What is left is a cut block: the reader reports it from the file.
    if let Ok(len) = out.metadata().map(|m| m.len()) {
        tail.publish(len);
    }
    if let Some(s) = started.take() {
        let _ = s.send(());
    }
}

/// Finds the ends of whole blocks in a pcap or pcapng byte stream.
#[derive(Default)]
struct Blocks {
    /// Bytes after the last whole block.
    pending: Vec<u8>,
    /// Where `pending` starts in the stream.
    at: u64,
    format: Option<Format>,
}

#[derive(Clone, Copy)]
enum Format {
    /// pcap: a 24-byte file header, then 16-byte record headers.
    Pcap { big_endian: bool, header_done: bool },
    /// pcapng: blocks with their length at bytes 4..8.
    PcapNg { big_endian: bool },
}

impl Blocks {
    /// Takes more bytes; returns the stream offset up to which blocks are
    /// whole (0 while none is).
    fn push(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let mut used = 0usize;
        loop {
            let rest = &self.pending[used..];
            let Some((len, format)) = self.next_len(rest) else {
                break;
            };
            if len == 0 || rest.len() < len {
                break;
            }
            // The format (and byte order) the block sets holds from its end.
            self.format = Some(format);
            used += len;
        }
        self.pending.drain(..used);
        self.at += used as u64;
        self.at
    }

    /// The length of the block at the start of `rest`, if its header is
    /// there, and the format that holds after it.
    fn next_len(&self, rest: &[u8]) -> Option<(usize, Format)> {
        let u32_at = |b: &[u8], i: usize, big: bool| {
            let w = [b[i], b[i + 1], b[i + 2], b[i + 3]];
            if big {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        if rest.len() < 12 {
            return None;
        }
        let format = match self.format {
            Some(f) => f,
            None => match rest[..4] {
                [0x0a, 0x0d, 0x0d, 0x0a] => Format::PcapNg { big_endian: false },
                [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => Format::Pcap {
                    big_endian: false,
                    header_done: false,
                },
                _ => Format::Pcap {
                    big_endian: true,
                    header_done: false,
                },
            },
        };
        match format {
            Format::PcapNg { .. } if rest[..4] == [0x0a, 0x0d, 0x0d, 0x0a] => {
                // A section header: its byte-order magic sets the order.
                let big = rest[8..12] == [0x1a, 0x2b, 0x3c, 0x4d];
                let len = u32_at(rest, 4, big) as usize;
                Some((len, Format::PcapNg { big_endian: big }))
            }
            Format::PcapNg { big_endian } => Some((u32_at(rest, 4, big_endian) as usize, format)),
            Format::Pcap {
                big_endian,
                header_done: false,
            } => Some((
                24,
                Format::Pcap {
                    big_endian,
                    header_done: true,
                },
            )),
            Format::Pcap { big_endian, .. } => {
                if rest.len() < 16 {
                    return None;
                }
                Some((16 + u32_at(rest, 8, big_endian) as usize, format))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_blocks_are_published_only_when_whole() {
        let mut shb = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
        shb.extend_from_slice(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        shb.extend_from_slice(&[28, 0, 0, 0]);
        let mut b = Blocks::default();
        assert_eq!(b.push(&shb[..10]), 0);
        assert_eq!(b.push(&shb[10..]), 28);
        let block = [1u8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0];
        assert_eq!(b.push(&block[..15]), 28);
        assert_eq!(b.push(&block[15..]), 44);
    }

    #[test]
    fn pcap_records_are_published_only_when_whole() {
        let mut head = vec![0xd4, 0xc3, 0xb2, 0xa1];
        head.extend_from_slice(&[0; 20]);
        let mut b = Blocks::default();
        assert_eq!(b.push(&head), 24);
        let mut rec = vec![0u8; 8];
        rec.extend_from_slice(&[3, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3]);
        assert_eq!(b.push(&rec[..18]), 24);
        assert_eq!(b.push(&rec[18..]), 43);
    }
}
