//! Random access to the frames of a capture file, by the byte offset
//! [`RawFrame::file_offset`] that a streaming pass recorded.
//!
//! The terminal UI lists a capture from a compact index and decodes only the
//! frames it shows; this module reads one frame back. The frame is parsed by
//! the same [`CaptureReader`] as the streaming pass, fed the section's header
//! blocks (pcap file header; pcapng Section Header and Interface Description
//! Blocks, which the streaming reader logged into a [`HeaderLog`]) followed by
//! the one block at the offset: the same checks, the same timestamps and
//! interface facts, no second block parser.
//!
//! Offsets are in the decompressed stream: a gzip capture is read through an
//! uncompressed copy (see [`FrameSource::open`]'s caller).

use super::{CaptureReader, RawFrame, SourceError, Timestamp, TsPrecision, MAX_BLOCK};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The header blocks that give meaning to the packet blocks after them:
/// one snapshot per header block, each holding every header block of its
/// section so far (a pcapng section may add interfaces between packets).
#[derive(Debug, Default)]
pub struct HeaderLog {
    snapshots: Vec<Snapshot>,
}

#[derive(Debug, Clone)]
struct Snapshot {
    /// Offset of the header block that made this snapshot: packet blocks
    /// after it use it.
    at: u64,
    /// 1-based pcapng section number; 0 for pcap.
    section: u32,
    /// The section's header blocks, byte for byte, in file order.
    prefix: Arc<Vec<u8>>,
    /// The prefix's byte order, for reading a block's length.
    big_endian: bool,
    pcapng: bool,
}

/// A [`HeaderLog`] shared between the streaming reader that fills it and the
/// random reader that uses it.
pub type SharedHeaderLog = Arc<Mutex<HeaderLog>>;

impl HeaderLog {
    /// A pcap file header, or a pcapng Section Header Block: a new section.
    pub(super) fn section(&mut self, at: u64, section: u32, block: &[u8], pcapng: bool) {
        let big_endian = if pcapng {
            block.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d])
        } else {
            matches!(
                block.get(..4),
                Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d])
            )
        };
        self.snapshots.push(Snapshot {
            at,
            section,
            prefix: Arc::new(block.to_vec()),
            big_endian,
            pcapng,
        });
    }

    /// A pcapng Interface Description Block of the current section.
    pub(super) fn interface(&mut self, at: u64, block: &[u8]) {
        let Some(last) = self.snapshots.last() else {
            return;
        };
        let mut prefix = Vec::with_capacity(last.prefix.len() + block.len());
        prefix.extend_from_slice(&last.prefix);
        prefix.extend_from_slice(block);
        let next = Snapshot {
            at,
            prefix: Arc::new(prefix),
            ..last.clone()
        };
        self.snapshots.push(next);
    }

    /// The snapshot in force for a packet block at `offset`.
    fn at(&self, offset: u64) -> Option<&Snapshot> {
        let i = self.snapshots.partition_point(|s| s.at < offset);
        i.checked_sub(1).map(|i| &self.snapshots[i])
    }
}

/// One frame read back, owning its bytes.
#[derive(Debug, Clone)]
pub struct OwnedFrame {
    pub interface_id: u32,
    pub link_type: u32,
    pub ts: Timestamp,
    pub has_ts: bool,
    pub precision: TsPrecision,
    pub orig_len: u32,
    pub data: Vec<u8>,
    pub file_offset: u64,
    pub section: u32,
    pub interface_name: Option<String>,
    pub interface_description: Option<String>,
}

impl OwnedFrame {
    fn from_raw(raw: &RawFrame<'_>, file_offset: u64, section: u32) -> Self {
        OwnedFrame {
            interface_id: raw.interface_id,
            link_type: raw.link_type,
            ts: raw.ts,
            has_ts: raw.has_ts,
            precision: raw.precision,
            orig_len: raw.orig_len,
            data: raw.data.to_vec(),
            file_offset,
            section,
            interface_name: raw.interface_name.map(str::to_owned),
            interface_description: raw.interface_description.map(str::to_owned),
        }
    }

    /// The frame as the pipeline takes it.
    pub fn raw(&self) -> RawFrame<'_> {
        RawFrame {
            interface_id: self.interface_id,
            link_type: self.link_type,
            ts: self.ts,
            has_ts: self.has_ts,
            precision: self.precision,
            orig_len: self.orig_len,
            data: &self.data,
            file_offset: self.file_offset,
            section: self.section,
            interface_name: self.interface_name.as_deref(),
            interface_description: self.interface_description.as_deref(),
        }
    }
}

/// Reads frames of an uncompressed capture file by offset.
pub struct FrameSource {
    path: PathBuf,
    file: File,
    log: SharedHeaderLog,
}

impl FrameSource {
    /// `path` must be the uncompressed file the streaming reader that fills
    /// `log` reads.
    pub fn open(path: &Path, log: SharedHeaderLog) -> Result<Self, SourceError> {
        let file = File::open(path).map_err(|e| SourceError::Open {
            path: path.display().to_string(),
            error: e,
        })?;
        Ok(FrameSource {
            path: path.to_owned(),
            file,
            log,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The frame whose block starts at `offset`.
    pub fn read(&mut self, offset: u64) -> Result<OwnedFrame, SourceError> {
        let snapshot = {
            let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            log.at(offset).cloned()
        };
        let Some(s) = snapshot else {
            return Err(SourceError::Malformed {
                offset,
                detail: "no file header before this block".into(),
            });
        };
        let read_err = |e: std::io::Error| SourceError::Read {
            offset,
            detail: e.to_string(),
        };
        self.file.seek(SeekFrom::Start(offset)).map_err(read_err)?;
        // The block's length, from its own header.
        let mut head = [0u8; 16];
        let want_head = if s.pcapng { 8 } else { 16 };
        self.file
            .read_exact(&mut head[..want_head])
            .map_err(read_err)?;
        let word = |at: usize| {
            let b = [head[at], head[at + 1], head[at + 2], head[at + 3]];
            if s.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let block_len = if s.pcapng {
            word(4) as usize
        } else {
            16 + word(8) as usize
        };
        if block_len < want_head || block_len > MAX_BLOCK {
            return Err(SourceError::Malformed {
                offset,
                detail: format!("a block of {block_len} bytes cannot be read back"),
            });
        }
        let mut bytes = Vec::with_capacity(s.prefix.len() + block_len);
        bytes.extend_from_slice(&s.prefix);
        bytes.extend_from_slice(&head[..want_head]);
        let rest = block_len - want_head;
        let start = bytes.len();
        bytes.resize(start + rest, 0);
        self.file
            .read_exact(&mut bytes[start..])
            .map_err(read_err)?;
        let prefix_len = s.prefix.len() as u64;
        let mut reader = CaptureReader::from_blocks(bytes)?;
        match reader.next_frame()? {
            Some(raw) => {
                debug_assert_eq!(raw.file_offset, prefix_len);
                Ok(OwnedFrame::from_raw(&raw, offset, s.section))
            }
            None => Err(SourceError::Malformed {
                offset,
                detail: "no packet block at this offset".into(),
            }),
        }
    }
}
