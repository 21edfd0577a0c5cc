//! Writing packets to a capture file: `read -w FILE [-F FORMAT]`, tshark's
//! `-w` and Wireshark's "Export Specified Packets" — the packets that pass
//! `-Y`, with their original bytes, lengths and timestamps.
//!
//! Formats (tshark's names for `-F`):
//! - `pcapng` (the default): a Section Header Block (`shb_userappl`), one
//!   Interface Description Block per input interface, written when its first
//!   packet is (link type, and `if_tsresol` the input's precision, so that a
//!   reader shows as many decimals as for the original file), one Enhanced
//!   Packet Block per packet.
//! - `pcap` (microseconds) and `nsecpcap` (nanoseconds): libpcap's format,
//!   one link type for the whole file — a packet of another link type is an
//!   error, as in tshark ("can't be saved in that format").
//!
//! The file is written through `pcap-file`'s writers. One thing is worked
//! around: its Enhanced Packet Block writes the timestamp's nanosecond count
//! as the block's 64-bit timestamp whatever the interface's resolution, so
//! it is given the count in the interface's units.

use super::time::{Timestamp, TsPrecision};
use crate::model::FrameInfo;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, TsResolution};
use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

/// The snapshot length written in headers (tshark's maximum).
const SNAPLEN: u32 = 262_144;

/// A capture file format of `-F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    PcapNg,
    Pcap,
    NsecPcap,
}

impl ExportFormat {
    /// tshark's `-F` name; the error lists the names known.
    pub fn parse(name: &str) -> Result<ExportFormat, String> {
        match name {
            "pcapng" => Ok(ExportFormat::PcapNg),
            "pcap" | "libpcap" => Ok(ExportFormat::Pcap),
            "nsecpcap" => Ok(ExportFormat::NsecPcap),
            other => Err(format!(
                "\"{other}\" isn't a valid capture file type; coffeeshark writes:\n    \
                 pcap - Wireshark/tcpdump/... - pcap\n    \
                 pcapng - Wireshark/... - pcapng\n    \
                 nsecpcap - Wireshark/tcpdump/... - nanosecond pcap"
            )),
        }
    }
}

/// A capture file being written (see the module doc).
pub struct Exporter<W: Write> {
    inner: Inner<W>,
    /// The first packet's link type and precision, for the header of a pcap
    /// file that no packet reaches.
    first_seen: Option<(u32, TsPrecision)>,
}

enum Inner<W: Write> {
    PcapNg {
        writer: PcapNgWriter<W>,
        /// (section, input interface) of each interface written, by output
        /// interface number, with its precision.
        interfaces: Vec<((u32, u32), TsPrecision)>,
    },
    Pcap {
        /// Until the first packet gives the link type.
        out: Option<W>,
        writer: Option<pcap_file::pcap::PcapWriter<W>>,
        link_type: u32,
        nanos: bool,
    },
}

fn io_err(e: impl std::fmt::Display) -> String {
    format!("writing the capture file: {e}")
}

impl<W: Write> Exporter<W> {
    /// Starts a file in `format` (pcapng writes its section header now).
    pub fn new(out: W, format: ExportFormat) -> Result<Exporter<W>, String> {
        let inner = match format {
            ExportFormat::PcapNg => {
                let section = SectionHeaderBlock {
                    endianness: Endianness::native(),
                    major_version: 1,
                    minor_version: 0,
                    section_length: -1,
                    options: vec![SectionHeaderOption::UserApplication(Cow::Owned(format!(
                        "coffeeshark {}",
                        env!("CARGO_PKG_VERSION")
                    )))],
                };
                Inner::PcapNg {
                    writer: PcapNgWriter::with_section_header(out, section).map_err(io_err)?,
                    interfaces: Vec::new(),
                }
            }
            ExportFormat::Pcap | ExportFormat::NsecPcap => Inner::Pcap {
                out: Some(out),
                writer: None,
                link_type: 0,
                nanos: format == ExportFormat::NsecPcap,
            },
        };
        Ok(Exporter {
            inner,
            first_seen: None,
        })
    }

    /// Every packet read, written or not: the first one's link type heads a
    /// pcap file even when the filter keeps nothing.
    pub fn saw(&mut self, frame: &FrameInfo) {
        self.first_seen
            .get_or_insert((frame.link_type, frame.precision));
    }

    /// Writes one packet: its captured bytes `data`, its original length and
    /// timestamp from `frame`.
    pub fn write(&mut self, frame: &FrameInfo, data: &[u8]) -> Result<(), String> {
        self.saw(frame);
        match &mut self.inner {
            Inner::PcapNg { writer, interfaces } => {
                let key = (frame.section, frame.interface_id);
                let id = match interfaces.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        let resolution = frame.precision.digits().max(1) as u8;
                        writer
                            .write_pcapng_block(InterfaceDescriptionBlock {
                                linktype: DataLink::from(frame.link_type),
                                snaplen: SNAPLEN,
                                options: vec![InterfaceDescriptionOption::IfTsResol(resolution)],
                            })
                            .map_err(io_err)?;
                        interfaces.push((key, frame.precision));
                        interfaces.len() - 1
                    }
                };
                let units = units_of(frame.ts, interfaces[id].1)
                    .ok_or_else(|| format!("frame {}: its time cannot be written", frame.number))?;
                writer
                    .write_pcapng_block(EnhancedPacketBlock {
                        interface_id: id as u32,
                        // The count in the interface's units (module doc).
                        timestamp: Duration::from_nanos(units),
                        original_len: frame.orig_len,
                        data: Cow::Borrowed(data),
                        options: vec![],
                    })
                    .map_err(io_err)?;
            }
            Inner::Pcap {
                out,
                writer,
                link_type,
                nanos,
            } => {
                if writer.is_none() {
                    *link_type = frame.link_type;
                    let w = pcap_header(out.take().expect("unstarted"), frame.link_type, *nanos)?;
                    *writer = Some(w);
                } else if *link_type != frame.link_type {
                    return Err(format!(
                        "frame {}: its link type ({}) differs from the first packet's ({}): \
                         a pcap file holds one; write pcapng (-F pcapng)",
                        frame.number, frame.link_type, link_type
                    ));
                }
                let (Ok(ts_sec), true) =
                    (u32::try_from(frame.ts.secs), frame.ts.nanos < 1_000_000_000)
                else {
                    return Err(format!(
                        "frame {}: its time is outside what pcap can hold (1970 to 2106)",
                        frame.number
                    ));
                };
                let ts_frac = if *nanos {
                    frame.ts.nanos
                } else {
                    frame.ts.nanos / 1000
                };
                let raw = pcap_file::pcap::RawPcapPacket {
                    ts_sec,
                    ts_frac,
                    incl_len: data.len() as u32,
                    orig_len: frame.orig_len,
                    data: Cow::Borrowed(data),
                };
                writer
                    .as_mut()
                    .expect("started")
                    .write_raw_packet(&raw)
                    .map_err(io_err)?;
            }
        }
        Ok(())
    }

    /// Finishes the file (a pcap file that no packet reached gets its header
    /// now) and returns the writer, flushed.
    pub fn finish(self) -> Result<W, String> {
        let mut out = match self.inner {
            Inner::PcapNg { writer, .. } => writer.into_inner(),
            Inner::Pcap {
                out: Some(out),
                nanos,
                ..
            } => {
                let link = self.first_seen.map_or(1, |(l, _)| l);
                pcap_header(out, link, nanos)?.into_writer()
            }
            Inner::Pcap {
                writer: Some(w), ..
            } => w.into_writer(),
            Inner::Pcap { .. } => unreachable!("a pcap exporter holds its output or its writer"),
        };
        out.flush().map_err(io_err)?;
        Ok(out)
    }
}

fn pcap_header<W: Write>(
    out: W,
    link_type: u32,
    nanos: bool,
) -> Result<pcap_file::pcap::PcapWriter<W>, String> {
    let header = pcap_file::pcap::PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen: SNAPLEN,
        datalink: DataLink::from(link_type),
        ts_resolution: if nanos {
            TsResolution::NanoSecond
        } else {
            TsResolution::MicroSecond
        },
        endianness: Endianness::native(),
    };
    pcap_file::pcap::PcapWriter::with_header(out, header).map_err(io_err)
}

/// `ts` counted in units of `precision` since the epoch (`None` before 1970).
fn units_of(ts: Timestamp, precision: TsPrecision) -> Option<u64> {
    let digits = precision.digits().max(1) as u32;
    let per_sec = 10u64.pow(digits);
    let secs = u64::try_from(ts.secs).ok()?;
    let frac = u64::from(ts.nanos) / 10u64.pow(9 - digits);
    secs.checked_mul(per_sec)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_precision() {
        let ts = Timestamp {
            secs: 1_795_269_237,
            nanos: 319_724_506,
        };
        assert_eq!(
            units_of(ts, TsPrecision::Nanos),
            Some(1_795_269_237_319_724_506)
        );
        assert_eq!(
            units_of(ts, TsPrecision::Micros),
            Some(1_795_269_237_319_724)
        );
        assert_eq!(units_of(ts, TsPrecision::Secs), Some(17_952_692_373));
        assert_eq!(
            units_of(Timestamp { secs: -1, nanos: 0 }, TsPrecision::Nanos),
            None
        );
        assert!(ExportFormat::parse("erf")
            .unwrap_err()
            .contains("\"erf\" isn't a valid"));
    }
}
