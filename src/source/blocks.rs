//! The block level of [`CaptureReader`](super::CaptureReader): what a
//! parsed pcap/pcapng block is ([`BlockKind`], [`classify`]), the format
//! detection from a file's first bytes ([`detect_format`], [`sniff`]), the
//! messages of header and parse errors, and the `Read` adapters that fill
//! the buffer and name gzip's errors.

use super::*;

pub(super) enum Step {
    Block(usize, BlockKind),
    Eof,
    Refill,
    Grow,
    Truncated,
    ReadError,
    Malformed(String),
}

pub(super) enum BlockKind {
    Packet(PacketBlock),
    PcapHeader(Interface),
    SectionHeader,
    Interface(Interface),
    Other,
}

pub(super) enum RawTs {
    /// pcap: seconds and a fraction in the file's units.
    Split { secs: u32, frac: u32 },
    /// pcapng: one 64-bit count of interface units.
    Units(u64),
    /// Simple Packet Blocks carry no timestamp.
    None,
}

/// Where a packet's bytes sit in the reader's buffer (offsets, so that no
/// borrow of the parsed block outlives the parse).
pub(super) struct PacketBlock {
    pub(super) interface: Option<u32>,
    pub(super) ts: RawTs,
    pub(super) orig_len: u32,
    pub(super) data_start: usize,
    pub(super) caplen: usize,
}

pub(super) fn classify(block: PcapBlockOwned<'_>) -> BlockKind {
    match block {
        PcapBlockOwned::LegacyHeader(h) => {
            let nanosecond = h.is_nanosecond_precision();
            BlockKind::PcapHeader(Interface {
                link_type: h.network.0 as u32,
                name: None,
                description: None,
                units_per_sec: if nanosecond { 1_000_000_000 } else { 1_000_000 },
                ts_offset_secs: 0,
                precision: if nanosecond {
                    TsPrecision::Nanos
                } else {
                    TsPrecision::Micros
                },
                section: 0,
            })
        }
        PcapBlockOwned::Legacy(b) => BlockKind::Packet(PacketBlock {
            interface: None,
            ts: RawTs::Split {
                secs: b.ts_sec,
                frac: b.ts_usec,
            },
            orig_len: b.origlen,
            data_start: 16,
            caplen: b.data.len(),
        }),
        PcapBlockOwned::NG(Block::SectionHeader(_)) => BlockKind::SectionHeader,
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            let units = idb.ts_resolution().unwrap_or(1_000_000);
            BlockKind::Interface(Interface {
                link_type: idb.linktype.0 as u32,
                name: idb.if_name().and_then(|r| r.ok()).map(str::to_owned),
                description: idb.if_description().and_then(|r| r.ok()).map(str::to_owned),
                units_per_sec: units,
                ts_offset_secs: idb.ts_offset(),
                precision: TsPrecision::from_units_per_sec(units),
                section: 0,
            })
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let caplen = (epb.caplen as usize).min(epb.data.len());
            BlockKind::Packet(PacketBlock {
                interface: Some(epb.if_id),
                ts: RawTs::Units(((epb.ts_high as u64) << 32) | epb.ts_low as u64),
                orig_len: epb.origlen,
                data_start: 28,
                caplen,
            })
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => BlockKind::Packet(PacketBlock {
            interface: Some(0),
            ts: RawTs::None,
            orig_len: spb.origlen,
            data_start: 12,
            caplen: spb.data.len().min(spb.origlen as usize),
        }),
        PcapBlockOwned::NG(_) => BlockKind::Other,
    }
}

/// Decides pcap or pcapng from the first bytes, or says what the file looks like instead.
pub fn detect_format(head: &[u8]) -> Result<FileFormat, SourceError> {
    if head.is_empty() {
        return Err(SourceError::NotACapture {
            looks_like: "an empty file".into(),
        });
    }
    if head.starts_with(&PCAPNG_MAGIC) {
        return Ok(FileFormat::PcapNg);
    }
    if head.len() >= 4 {
        let magic = [head[0], head[1], head[2], head[3]];
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => return Ok(pcap(false, false)),
            [0xa1, 0xb2, 0xc3, 0xd4] => return Ok(pcap(false, true)),
            [0x4d, 0x3c, 0xb2, 0xa1] => return Ok(pcap(true, false)),
            [0xa1, 0xb2, 0x3c, 0x4d] => return Ok(pcap(true, true)),
            _ => {}
        }
    }
    Err(SourceError::NotACapture {
        looks_like: sniff(head),
    })
}

pub(super) fn pcap(nanosecond: bool, big_endian: bool) -> FileFormat {
    FileFormat::Pcap {
        nanosecond,
        big_endian,
    }
}

/// A short human description of what a non-capture file seems to be.
pub(super) fn sniff(head: &[u8]) -> String {
    let known: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "a ZIP archive"),
        (b"%PDF", "a PDF document"),
        (b"\x7fELF", "an ELF executable"),
        (b"\x89PNG", "a PNG image"),
        (b"BZh", "a bzip2-compressed file (decompress it first)"),
        (b"\xfd7zXZ", "an xz-compressed file (decompress it first)"),
        (
            b"\x28\xb5\x2f\xfd",
            "a zstd-compressed file (decompress it first)",
        ),
        (
            b"\xa1\xb2\xcd\x34",
            "a modified (Kuznetzov) pcap, which is not supported",
        ),
    ];
    for (magic, what) in known {
        if head.starts_with(magic) {
            return (*what).to_string();
        }
    }
    let printable = head
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if printable {
        let text = String::from_utf8_lossy(head);
        format!("text (starts with {:?})", text.trim_end())
    } else {
        let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("unknown data (first bytes {})", hex.join(" "))
    }
}

pub(super) fn header_error(e: PcapError<&'static [u8]>, what: &str) -> SourceError {
    match e {
        PcapError::Incomplete(_) | PcapError::Eof | PcapError::UnexpectedEof => {
            SourceError::Truncated { offset: 0 }
        }
        PcapError::ReadError => SourceError::Read {
            offset: 0,
            detail: format!("could not read the {what}"),
        },
        other => SourceError::Malformed {
            offset: 0,
            detail: format!("bad {what}: {other}"),
        },
    }
}

pub(super) fn describe_parse_error(format: FileFormat, detail: &str) -> String {
    let kind = match format {
        FileFormat::PcapNg => "pcapng",
        FileFormat::Pcap { .. } => "pcap",
    };
    if detail.contains("Verify") {
        format!("{kind}: block lengths disagree or a packet is larger than its block")
    } else {
        format!("{kind}: malformed block ({detail})")
    }
}

/// A 32-bit word of a capture header in the file's byte order.
/// The caller has checked that `at + 4 <= data.len()`.
#[inline(always)]
pub(super) fn read_u32(data: &[u8], at: usize, big_endian: bool) -> u32 {
    // One bounds check, not four (callers have checked the length).
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&data[at..at + 4]);
    if big_endian {
        u32::from_be_bytes(raw)
    } else {
        u32::from_le_bytes(raw)
    }
}

pub(super) fn read_up_to<R: Read>(input: &mut R, buf: &mut [u8]) -> Result<usize, SourceError> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(SourceError::Read {
                    offset: got as u64,
                    detail: e.to_string(),
                })
            }
        }
    }
    Ok(got)
}

/// pcap-parser reads with a single `read` call and takes a short read as all
/// there is for now (fatal while it checks the file header); chained and
/// decompressing readers return short reads all the time. This adapter fills
/// the buffer until it is full or the input ends.
pub(super) struct Filling<R>(pub(super) R);

impl<R: Read> Read for Filling<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.0.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if got > 0 => {
                    // Deliver what we have; the error comes back on the next call.
                    let _ = e;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

/// A gzip stream cut short is, to the user, a capture cut short: turn the
/// decoder's error into an end of data so the truncation is reported with its
/// offset like any other.
pub(super) struct GzipErrors<R>(pub(super) R);

impl<R: Read> Read for GzipErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }
}
