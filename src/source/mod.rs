//! Capture sources: turn a file (or, later, a live interface) into a stream of
//! [`RawFrame`]s.
//!
//! Contract:
//! - The format is detected from the content, never from the extension: pcap
//!   (microsecond or nanosecond magic, either byte order), pcapng (any number of
//!   sections and interfaces, `if_tsresol`/`if_tsoffset`, Enhanced and Simple
//!   Packet Blocks, unknown blocks skipped) and either of them gzip-compressed,
//!   as Wireshark's wiretap does.
//! - Reading streams through a bounded buffer ([`READ_BUFFER`], grown only for
//!   a single oversized block up to [`MAX_BLOCK`]); nothing holds the file.
//! - Damage stops the stream with a [`SourceError`] that says what is wrong and
//!   at which byte offset, after every complete frame before it was delivered.
//!
//! The block parsing is pcap-parser's (rusticata): it was measured against
//! pcap-file on the big benchmark capture, see `benches/read.rs`.

mod blocks;
mod error;
pub mod export;
#[cfg(feature = "live")]
pub mod live;
pub mod pipe;
pub mod random;
pub mod recorder;
pub mod tail;
pub mod time;

pub use error::SourceError;
pub use time::{Timestamp, TsPrecision};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use blocks::*;

/// Bytes of capture held in memory while streaming.
pub const READ_BUFFER: usize = 1 << 20;
/// The largest block we grow the buffer for. Wireshark refuses packets over
/// 256 KiB in pcap (`WTAP_MAX_PACKET_SIZE_STANDARD`); pcapng blocks may carry
/// options too, so we allow a little more.
pub const MAX_BLOCK: usize = 16 << 20;
/// The largest captured length a packet record may claim (Wireshark's limit).
pub const MAX_PACKET: u32 = 262_144;

/// Which container the capture is in, found from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pcap { nanosecond: bool, big_endian: bool },
    PcapNg,
}

/// What we learned about one pcapng interface (or the single pcap "interface").
#[derive(Debug, Clone)]
pub struct Interface {
    pub link_type: u32,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Timestamp units per second, `if_tsresol` decoded.
    pub units_per_sec: u64,
    pub ts_offset_secs: i64,
    pub precision: TsPrecision,
    /// pcapng section this interface belongs to (0-based).
    pub section: u32,
}

/// One captured packet as it came out of the file, before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    pub interface_id: u32,
    pub link_type: u32,
    pub ts: Timestamp,
    /// False for Simple Packet Blocks, which carry no timestamp.
    pub has_ts: bool,
    pub precision: TsPrecision,
    /// Length on the wire (`frame.len`).
    pub orig_len: u32,
    /// The captured bytes (`frame.cap_len` is their length).
    pub data: &'a [u8],
    /// Offset in the (decompressed) capture at which the record starts.
    pub file_offset: u64,
    /// pcapng section number, 1-based as Wireshark shows it; 0 for pcap.
    pub section: u32,
    /// The interface's `if_name` and `if_description`, when the file has them.
    pub interface_name: Option<&'a str>,
    pub interface_description: Option<&'a str>,
}

/// A streaming reader over a capture file.
pub struct CaptureReader {
    inner: Inner,
    format: FileFormat,
    compressed: bool,
    interfaces: Vec<Interface>,
    /// Index in `interfaces` where the current pcapng section starts.
    section_base: usize,
    section: u32,
    /// Offset of the next block in the decompressed stream.
    offset: u64,
    /// Pending "consume" for the block we handed out last.
    pending: usize,
    done: bool,
    /// Byte order of the current pcapng section.
    big_endian: bool,
    /// Current size of the reader's buffer.
    capacity: usize,
    /// Where header blocks are logged for random access ([`random`]).
    header_log: Option<random::SharedHeaderLog>,
    /// The input is a file still being written ([`tail`]).
    tail: Option<tail::TailProbe>,
    /// What must live as long as the reader ([`Self::keep_alive`]).
    keep: Option<Box<dyn std::any::Any + Send>>,
}

/// The byte stream under pcap-parser's reader: only its refills go through
/// the box.
type Input = Box<dyn Read + Send>;

/// pcap-parser's reader for the format, named rather than boxed so that
/// the calls made for every frame (`data`, `consume_noshift`) are inlined:
/// through a trait object they were two calls per frame.
enum Inner {
    Pcap(pcap_parser::LegacyPcapReader<Input>),
    PcapNg(pcap_parser::PcapNGReader<Input>),
}

/// `$r` is the reader, whichever the format.
macro_rules! either {
    ($inner:expr, $r:ident => $e:expr) => {
        match $inner {
            Inner::Pcap($r) => $e,
            Inner::PcapNg($r) => $e,
        }
    };
}

impl Inner {
    #[inline]
    fn data(&self) -> &[u8] {
        either!(self, r => r.data())
    }

    #[inline]
    fn consume_noshift(&mut self, offset: usize) {
        either!(self, r => r.consume_noshift(offset))
    }

    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        either!(self, r => r.next())
    }

    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        either!(self, r => r.refill())
    }

    fn reader_exhausted(&self) -> bool {
        either!(self, r => r.reader_exhausted())
    }

    fn grow(&mut self, new_size: usize) -> bool {
        either!(self, r => r.grow(new_size))
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

impl CaptureReader {
    /// Opens `path`, detecting compression and format from the content.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let file = File::open(path).map_err(|e| SourceError::Open {
            path: path.display().to_string(),
            error: e,
        })?;
        Self::from_reader(file)
    }

    /// Builds a reader over any byte stream (a file, a gzip stream, a test buffer).
    pub fn from_reader<R: Read + Send + 'static>(mut input: R) -> Result<Self, SourceError> {
        let mut head = [0u8; 4];
        let got = read_up_to(&mut input, &mut head)?;
        let head = &head[..got];
        let chained = std::io::Cursor::new(head.to_vec()).chain(input);
        if head.starts_with(&GZIP_MAGIC) {
            let decoder = flate2::read::MultiGzDecoder::new(chained);
            let mut reader = Self::from_plain(GzipErrors(decoder), READ_BUFFER)?;
            reader.compressed = true;
            return Ok(reader);
        }
        Self::from_plain(chained, READ_BUFFER)
    }

    /// A reader that follows a capture file while it is written (a live
    /// capture): [`Self::next_frame`] waits for more instead of ending, and
    /// [`Self::would_wait`] says when it is about to.
    pub fn from_tail(input: tail::TailReader) -> Result<Self, SourceError> {
        // The format is read from a look at the file, so that the tail's
        // reader (which fills pcap-parser's buffer as far as the file is
        // written) is its only input.
        let mut head = [0u8; 24];
        let got = read_up_to(
            &mut input.tail().snapshot().map_err(|e| SourceError::Read {
                offset: 0,
                detail: e.to_string(),
            })?,
            &mut head,
        )?;
        let format = detect_format(&head[..got])?;
        let (input, probe) = tail::ProbedTail::new(input);
        let mut reader = Self::from_plain_input_detected(Box::new(input), READ_BUFFER, format)?;
        reader.tail = Some(probe);
        Ok(reader)
    }

    /// The next [`Self::next_frame`] would wait for the writer: everything
    /// published was read and handed out. Always false for a plain file.
    pub fn would_wait(&self) -> bool {
        match &self.tail {
            Some(probe) => probe.caught_up() && self.inner.data().len() <= self.pending,
            None => false,
        }
    }

    /// A reader over a few blocks held in memory (`random`'s header blocks
    /// and one packet block): its buffer is their size, not [`READ_BUFFER`],
    /// so reading one frame back does not clear a megabyte.
    fn from_blocks(bytes: Vec<u8>) -> Result<Self, SourceError> {
        let capacity = bytes.len().next_power_of_two().max(4096);
        Self::from_plain(std::io::Cursor::new(bytes), capacity)
    }

    fn from_plain<R: Read + Send + 'static>(
        mut input: R,
        capacity: usize,
    ) -> Result<Self, SourceError> {
        let mut head = [0u8; 24];
        let got = read_up_to(&mut input, &mut head)?;
        let head_vec = head[..got].to_vec();
        let format = detect_format(&head_vec)?;
        let input: Input = Box::new(Filling(std::io::Cursor::new(head_vec).chain(input)));
        Self::from_plain_input_detected(input, capacity, format)
    }

    fn from_plain_input_detected(
        input: Input,
        capacity: usize,
        format: FileFormat,
    ) -> Result<Self, SourceError> {
        let inner = match format {
            FileFormat::PcapNg => Inner::PcapNg(
                pcap_parser::PcapNGReader::new(capacity, input)
                    .map_err(|e| header_error(e, "pcapng section header"))?,
            ),
            FileFormat::Pcap { .. } => Inner::Pcap(
                pcap_parser::LegacyPcapReader::new(capacity, input)
                    .map_err(|e| header_error(e, "pcap file header"))?,
            ),
        };
        Ok(CaptureReader {
            inner,
            format,
            compressed: false,
            interfaces: Vec::new(),
            section_base: 0,
            section: 0,
            offset: 0,
            pending: 0,
            done: false,
            big_endian: false,
            capacity,
            header_log: None,
            tail: None,
            keep: None,
        })
    }

    /// Keeps `owner` (the temporary file of [`pipe::follow`]) alive as long
    /// as the reader.
    pub fn keep_alive(&mut self, owner: impl std::any::Any + Send) {
        self.keep = Some(Box::new(owner));
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Logs every header block from now on, so that a
    /// [`random::FrameSource`] can read frames back by offset.
    pub fn log_headers(&mut self, log: random::SharedHeaderLog) {
        self.header_log = Some(log);
    }

    /// Logs the header block at the front of the buffer.
    fn log_header(&self, kind: &BlockKind, len: usize) {
        let Some(log) = &self.header_log else { return };
        let block = &self.inner.data()[..len.min(self.inner.data().len())];
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        match kind {
            BlockKind::PcapHeader(_) => log.section(self.offset, 0, block, false),
            BlockKind::SectionHeader => log.section(self.offset, self.section, block, true),
            BlockKind::Interface(_) => log.interface(self.offset, block),
            _ => {}
        }
    }

    /// Interfaces seen so far (pcap files have exactly one after the header).
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// The next packet, `Ok(None)` at a clean end of file.
    ///
    /// After an error the reader is finished: every later call returns `Ok(None)`.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<RawFrame<'_>>, SourceError> {
        if let Some(p) = self.fast_next() {
            return Ok(Some(self.make_frame(p)));
        }
        match self.advance() {
            Ok(Some(p)) => Ok(Some(self.make_frame(p))),
            Ok(None) => Ok(None),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// The hot path of [`Self::next_frame`]: consumes the block handed out
    /// last and, when the next block is a whole, valid packet record (pcap)
    /// or Enhanced Packet Block (pcapng) on a known interface, takes it with
    /// one look at the buffer. Anything else (other blocks, an incomplete or
    /// damaged one, the end) is left to [`Self::advance`], which checks it
    /// again and says what is wrong: the conditions here are those under
    /// which `advance` would return this same packet.
    #[inline]
    fn fast_next(&mut self) -> Option<PacketBlock> {
        if self.done {
            return None;
        }
        if self.pending > 0 {
            self.inner.consume_noshift(self.pending);
            self.offset += self.pending as u64;
            self.pending = 0;
        }
        // One copy of the block reading per byte order: the order is then a
        // constant, not a test at every word.
        let (packet, len) = match self.format {
            FileFormat::Pcap {
                big_endian: false, ..
            } => self.fast_pcap::<false>()?,
            FileFormat::Pcap {
                big_endian: true, ..
            } => self.fast_pcap::<true>()?,
            FileFormat::PcapNg if self.big_endian => self.fast_epb::<true>()?,
            FileFormat::PcapNg => self.fast_epb::<false>()?,
        };
        self.pending = len;
        Some(packet)
    }

    /// [`Self::fast_next`] for a pcap packet record.
    #[inline(always)]
    fn fast_pcap<const BIG: bool>(&self) -> Option<(PacketBlock, usize)> {
        let data = self.inner.data();
        if self.interfaces.is_empty() || data.len() < 16 {
            return None;
        }
        let caplen = read_u32(data, 8, BIG);
        if caplen > MAX_PACKET || data.len() < 16 + caplen as usize {
            return None;
        }
        let packet = PacketBlock {
            interface: None,
            ts: RawTs::Split {
                secs: read_u32(data, 0, BIG),
                frac: read_u32(data, 4, BIG),
            },
            orig_len: read_u32(data, 12, BIG),
            data_start: 16,
            caplen: caplen as usize,
        };
        Some((packet, 16 + caplen as usize))
    }

    /// [`Self::fast_next`] for a pcapng Enhanced Packet Block.
    #[inline(always)]
    fn fast_epb<const BIG: bool>(&self) -> Option<(PacketBlock, usize)> {
        const EPB: u32 = 6;
        let data = self.inner.data();
        if self.section == 0 || data.len() < 32 || read_u32(data, 0, BIG) != EPB {
            return None;
        }
        let block_len = read_u32(data, 4, BIG) as usize;
        let caplen = read_u32(data, 20, BIG) as usize;
        let interface = read_u32(data, 8, BIG);
        if block_len < 32
            || block_len % 4 != 0
            || block_len > MAX_BLOCK
            || data.len() < block_len
            || read_u32(data, block_len - 4, BIG) as usize != block_len
            || caplen > block_len - 32
            || interface as usize >= self.interfaces.len() - self.section_base
        {
            return None;
        }
        let packet = PacketBlock {
            interface: Some(interface),
            ts: RawTs::Units(
                ((read_u32(data, 12, BIG) as u64) << 32) | read_u32(data, 16, BIG) as u64,
            ),
            orig_len: read_u32(data, 24, BIG),
            data_start: 28,
            caplen,
        };
        Some((packet, block_len))
    }

    /// Moves to the next packet block, handling every other block on the way.
    /// Returns where the packet sits in the buffer (no borrow, so the caller
    /// can hand out the bytes).
    // Out of line: the usual frame takes `fast_next`, and `next_frame`
    // stays small enough to be inlined into the loops that read frames.
    #[inline(never)]
    fn advance(&mut self) -> Result<Option<PacketBlock>, SourceError> {
        if self.done {
            return Ok(None);
        }
        loop {
            if self.pending > 0 {
                // No shift here: circular's `consume` moves half the buffer every
                // time it passes the middle; `refill` moves only the partial tail.
                self.inner.consume_noshift(self.pending);
                self.offset += self.pending as u64;
                self.pending = 0;
            }
            let checked = match self.format {
                FileFormat::Pcap { big_endian, .. } => self.check_pcap_record(big_endian),
                FileFormat::PcapNg => self.check_pcapng_block(),
            };
            if let Err(e) = checked {
                self.done = true;
                return Err(e);
            }
            if let Some((p, len)) = self.fast_packet() {
                self.pending = len;
                self.check_interface(&p)?;
                return Ok(Some(p));
            }
            // Classify the outcome first so the borrow of `inner` ends before we
            // touch our own state (NLL cannot see through the trait object).
            let step = match self.inner.next() {
                Ok((len, block)) => Step::Block(len, classify(block)),
                Err(PcapError::Eof) => Step::Eof,
                Err(PcapError::Incomplete(_)) => Step::Refill,
                Err(PcapError::BufferTooSmall) => Step::Grow,
                Err(PcapError::UnexpectedEof) => Step::Truncated,
                Err(PcapError::ReadError) => Step::ReadError,
                Err(e) => Step::Malformed(format!("{e}")),
            };
            match step {
                Step::Block(len, kind) => {
                    self.pending = len;
                    if matches!(kind, BlockKind::SectionHeader) {
                        // Numbered before it is logged.
                        self.section += 1;
                        self.section_base = self.interfaces.len();
                    }
                    self.log_header(&kind, len);
                    match kind {
                        BlockKind::Packet(p) => {
                            self.check_interface(&p)?;
                            return Ok(Some(p));
                        }
                        BlockKind::PcapHeader(h) => self.interfaces.push(h),
                        BlockKind::SectionHeader => {}
                        BlockKind::Interface(mut i) => {
                            i.section = self.section.saturating_sub(1);
                            self.interfaces.push(i);
                        }
                        BlockKind::Other => {}
                    }
                }
                Step::Eof => {
                    self.done = true;
                    return Ok(None);
                }
                Step::Refill => {
                    let before = self.inner.data().len();
                    if let Err(e) = self.inner.refill() {
                        self.done = true;
                        return Err(SourceError::Read {
                            offset: self.offset,
                            detail: format!("{e}"),
                        });
                    }
                    // A refill that brought nothing new at EOF with a partial
                    // block left is a truncation.
                    if self.inner.reader_exhausted() && !self.inner.data().is_empty() {
                        // One more parse attempt will report UnexpectedEof.
                        continue;
                    }
                    // A full buffer that still holds no whole block must grow.
                    if !self.inner.reader_exhausted() && self.inner.data().len() == before {
                        self.grow()?;
                    }
                }
                Step::Grow => self.grow()?,
                Step::Truncated => {
                    self.done = true;
                    return Err(SourceError::Truncated {
                        offset: self.offset,
                    });
                }
                Step::ReadError => {
                    self.done = true;
                    return Err(SourceError::Read {
                        offset: self.offset,
                        detail: "the underlying read failed".into(),
                    });
                }
                Step::Malformed(detail) => {
                    self.done = true;
                    return Err(SourceError::Malformed {
                        offset: self.offset,
                        detail: describe_parse_error(self.format, &detail),
                    });
                }
            }
        }
    }

    /// Doubles the buffer for one oversized block, up to [`MAX_BLOCK`].
    fn grow(&mut self) -> Result<(), SourceError> {
        let want = (self.capacity * 2).max(READ_BUFFER * 2);
        if want > MAX_BLOCK + READ_BUFFER || !self.inner.grow(want) {
            self.done = true;
            return Err(SourceError::Malformed {
                offset: self.offset,
                detail: format!("a block is larger than the {} MiB limit", MAX_BLOCK >> 20),
            });
        }
        self.capacity = want;
        self.inner.refill().map_err(|e| SourceError::Read {
            offset: self.offset,
            detail: format!("{e}"),
        })
    }

    /// The hot path: a whole packet record (pcap) or Enhanced Packet Block
    /// (pcapng) at the front of the buffer is read here directly, without
    /// building pcap-parser's block (which collects options into a `Vec`);
    /// this halved the reader's cost per packet on the benchmark capture.
    /// Anything else, or anything incomplete, goes through pcap-parser.
    /// Framing was already validated by `check_*`.
    fn fast_packet(&self) -> Option<(PacketBlock, usize)> {
        let data = self.inner.data();
        let word = |at: usize, big: bool| read_u32(data, at, big);
        match self.format {
            FileFormat::Pcap { big_endian, .. } => {
                if self.interfaces.is_empty() || data.len() < 16 {
                    return None;
                }
                let caplen = word(8, big_endian) as usize;
                if data.len() < 16 + caplen {
                    return None;
                }
                let packet = PacketBlock {
                    interface: None,
                    ts: RawTs::Split {
                        secs: word(0, big_endian),
                        frac: word(4, big_endian),
                    },
                    orig_len: word(12, big_endian),
                    data_start: 16,
                    caplen,
                };
                Some((packet, 16 + caplen))
            }
            FileFormat::PcapNg => {
                const EPB: u32 = 6;
                let big = self.big_endian;
                if self.section == 0 || data.len() < 32 || word(0, big) != EPB {
                    return None;
                }
                let block_len = word(4, big) as usize;
                if block_len < 32
                    || data.len() < block_len
                    || word(block_len - 4, big) as usize != block_len
                {
                    return None;
                }
                let caplen = (word(20, big) as usize).min(block_len - 32);
                let packet = PacketBlock {
                    interface: Some(word(8, big)),
                    ts: RawTs::Units(((word(12, big) as u64) << 32) | word(16, big) as u64),
                    orig_len: word(24, big),
                    data_start: 28,
                    caplen,
                };
                Some((packet, block_len))
            }
        }
    }

    /// Checks a pcapng block's framing before pcap-parser sees it, so that
    /// damage gets a precise message instead of an endless wait for more data.
    fn check_pcapng_block(&mut self) -> Result<(), SourceError> {
        let data = self.inner.data();
        if data.len() < 12 {
            return Ok(());
        }
        let word = |at: usize, big: bool| read_u32(data, at, big);
        if data[..4] == PCAPNG_MAGIC {
            // A section header carries its own byte order.
            self.big_endian = data[8..12] == [0x1a, 0x2b, 0x3c, 0x4d];
        }
        let big = self.big_endian;
        let block_type = word(0, big);
        let block_len = word(4, big) as usize;
        if block_len < 12 || block_len % 4 != 0 {
            return Err(SourceError::Malformed {
                offset: self.offset,
                detail: format!(
                    "pcapng: block of type 0x{block_type:08x} has an invalid length {block_len}"
                ),
            });
        }
        if block_len > MAX_BLOCK {
            return Err(SourceError::Malformed {
                offset: self.offset,
                detail: format!(
                    "pcapng: block of type 0x{block_type:08x} claims {block_len} bytes, more than the {} MiB limit",
                    MAX_BLOCK >> 20
                ),
            });
        }
        const EPB: u32 = 6;
        if block_type == EPB && data.len() >= 24 {
            let caplen = word(20, big) as usize;
            if block_len < 32 || caplen > block_len - 32 {
                return Err(SourceError::Malformed {
                    offset: self.offset,
                    detail: format!(
                        "pcapng: total block length {block_len} of an EPB is too small for {caplen} bytes of packet data"
                    ),
                });
            }
        }
        Ok(())
    }

    /// pcap-parser trusts a record's caplen blindly and would ask for ever more
    /// buffer; Wireshark refuses records over 256 KiB, and so do we, with the
    /// same kind of message.
    fn check_pcap_record(&mut self, big_endian: bool) -> Result<(), SourceError> {
        if self.interfaces.is_empty() {
            return Ok(()); // the file header has not been delivered yet
        }
        let data = self.inner.data();
        if data.len() < 16 {
            return Ok(());
        }
        let caplen = read_u32(data, 8, big_endian);
        if caplen > MAX_PACKET {
            return Err(SourceError::Malformed {
                offset: self.offset,
                detail: format!(
                    "pcap: File has {caplen}-byte packet, bigger than maximum of {MAX_PACKET}"
                ),
            });
        }
        Ok(())
    }

    fn check_interface(&self, p: &PacketBlock) -> Result<(), SourceError> {
        let count = self.interfaces.len() - self.section_base;
        let id = p.interface.unwrap_or(0) as usize;
        if id >= count {
            return Err(SourceError::Malformed {
                offset: self.offset,
                detail: format!(
                    "pcapng: interface index {id} is not less than the interface count {count}"
                ),
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn make_frame(&self, p: PacketBlock) -> RawFrame<'_> {
        // The block we parsed still sits at the front of the reader's buffer.
        let data = &self.inner.data()[p.data_start..p.data_start + p.caplen];
        let interface_id = p.interface.unwrap_or(0);
        let iface = &self.interfaces[self.section_base + interface_id as usize];
        let ts = match p.ts {
            RawTs::Split { secs, frac } => {
                Timestamp::from_fraction(secs as i64, frac as u64, iface.units_per_sec)
            }
            RawTs::Units(units) => {
                Timestamp::from_units(units, iface.units_per_sec, iface.ts_offset_secs)
            }
            RawTs::None => Timestamp::default(),
        };
        RawFrame {
            interface_id,
            link_type: iface.link_type,
            ts,
            has_ts: !matches!(p.ts, RawTs::None),
            precision: iface.precision,
            orig_len: p.orig_len,
            data,
            file_offset: self.offset,
            section: if self.format == FileFormat::PcapNg {
                self.section
            } else {
                0
            },
            interface_name: iface.name.as_deref(),
            interface_description: iface.description.as_deref(),
        }
    }
}
