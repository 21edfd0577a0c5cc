//! Live capture through libpcap (feature `live`): list interfaces, open one,
//! hand out each packet as a [`RawFrame`] for the same pipeline as a file,
//! and write what was captured as pcapng.
//!
//! Contract:
//! - Timestamps are asked of libpcap in nanoseconds (Linux gives them); when
//!   the platform only has microseconds they are scaled. Either way a frame's
//!   [`TsPrecision`] is [`TsPrecision::Nanos`] and the pcapng written by
//!   [`PcapNgSink`] declares `if_tsresol = 9`, so a file read back prints the
//!   same time columns as the live lines.
//! - [`LiveCapture::next_packet`] returns within the read timeout
//!   ([`READ_TIMEOUT_MS`]) even when no packet arrives (`Ok(None)`), so a
//!   caller can check its stop conditions (signals, deadlines) in a bounded
//!   loop. libpcap's own timeout cannot promise that (on Linux, TPACKET_V3
//!   blocks in `poll` until a first packet arrives), so the handle is
//!   non-blocking and we `poll` its selectable descriptor ourselves.
//! - Errors say what to do: [`LiveError::Permission`] names root and
//!   `setcap`, [`LiveError::NoSuchInterface`] lists the interfaces there are,
//!   [`LiveError::BadFilter`] carries libpcap's own message.

use super::{RawFrame, Timestamp, TsPrecision};
use pcap::{Active, Capture, Device, Precision};
use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::time::Duration;

/// Bytes kept of each packet, as tshark (`-s`): Wireshark's maximum.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// How long a read waits for packets before returning `Ok(None)`; also the
/// longest a packet waits in the kernel before it is delivered.
pub const READ_TIMEOUT_MS: i32 = 100;

/// One interface as libpcap lists it (`tshark -D`).
#[derive(Debug, Clone)]
pub struct LiveInterface {
    pub name: String,
    pub description: Option<String>,
    pub loopback: bool,
    pub up: bool,
}

impl LiveInterface {
    /// `lo (Loopback)`, `eth0`, `any`: as `tshark -D` prints them on Linux,
    /// which marks loopback interfaces and leaves libpcap's descriptions out.
    pub fn label(&self) -> String {
        if self.loopback {
            format!("{} (Loopback)", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The interfaces libpcap can capture on, in its order (`-D` numbers them
/// from 1 in this order; `-i 3` means the third).
pub fn list_interfaces() -> Result<Vec<LiveInterface>, LiveError> {
    let devices = Device::list().map_err(|e| LiveError::Libpcap {
        what: "listing the interfaces".into(),
        detail: pcap_message(&e),
    })?;
    Ok(devices
        .into_iter()
        .map(|d| LiveInterface {
            loopback: d.flags.is_loopback(),
            up: d.flags.is_up(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

/// What to capture.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Interface name, or its number in [`list_interfaces`] (1-based, as `-D`).
    pub interface: String,
    /// A BPF capture filter (`tcp port 5030`).
    pub filter: Option<String>,
    pub snaplen: u32,
    /// Kernel buffer in bytes; libpcap's default (2 MiB on Linux) when `None`.
    pub buffer_bytes: Option<u32>,
    pub promiscuous: bool,
}

impl LiveConfig {
    pub fn new(interface: &str) -> Self {
        LiveConfig {
            interface: interface.to_string(),
            filter: None,
            snaplen: DEFAULT_SNAPLEN,
            buffer_bytes: None,
            promiscuous: true,
        }
    }
}

/// Why a live capture could not start or stopped.
#[derive(Debug)]
pub enum LiveError {
    Permission {
        interface: String,
        detail: String,
    },
    NoSuchInterface {
        name: String,
        available: Vec<String>,
    },
    BadFilter {
        filter: String,
        interface: String,
        detail: String,
    },
    Libpcap {
        what: String,
        detail: String,
    },
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Permission { interface, detail } => write!(
                f,
                "no permission to capture on {interface} ({detail}).\n\
                 Capturing needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities: run as root \
                 (sudo coffeeshark capture ...), or give them to the binary once with\n    \
                 sudo setcap cap_net_raw,cap_net_admin=eip $(which coffeeshark)"
            ),
            LiveError::NoSuchInterface { name, available } => {
                write!(f, "there is no interface {name:?}")?;
                if available.is_empty() {
                    write!(f, " (libpcap lists none)")
                } else {
                    write!(f, "; the interfaces are:")?;
                    for (i, a) in available.iter().enumerate() {
                        write!(f, "\n    {}. {a}", i + 1)?;
                    }
                    Ok(())
                }
            }
            LiveError::BadFilter {
                filter,
                interface,
                detail,
            } => write!(
                f,
                "invalid capture filter {filter:?} for interface {interface}: {detail}\n\
                 (capture filters are BPF, as in tcpdump: \"tcp port 5030\", \"host 127.0.0.1 and tcp\")"
            ),
            LiveError::Libpcap { what, detail } => write!(f, "libpcap failed {what}: {detail}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// libpcap's text without the crate's "libpcap error: " prefix.
fn pcap_message(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Packet counters from `pcap_stats`, since the capture started. On Linux
/// loopback the kernel hands every packet to the capture twice (the sent
/// and the received copy; libpcap keeps one), so `received` and
/// `dropped_by_kernel` count about two per packet there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets the kernel passed to the capture (after the filter).
    pub received: u32,
    /// Dropped because the kernel buffer was full (we did not read fast enough).
    pub dropped_by_kernel: u32,
    /// Dropped by the interface or its driver.
    pub dropped_by_interface: u32,
}

/// One packet as libpcap delivered it.
#[derive(Debug, Clone, Copy)]
pub struct LivePacket<'a> {
    pub ts: Timestamp,
    pub orig_len: u32,
    pub data: &'a [u8],
}

/// An open, running capture on one interface.
pub struct LiveCapture {
    cap: Capture<Active>,
    interface: String,
    description: Option<String>,
    loopback: bool,
    link_type: u32,
    nanosecond: bool,
    snaplen: u32,
    fd: std::ffi::c_int,
}

extern "C" {
    // In libpcap since 1.5 (2013); the pcap crate binds the setter only.
    fn pcap_get_tstamp_precision(p: *mut std::ffi::c_void) -> std::ffi::c_int;
    // The crate binds it only behind its `SelectableCapture`, which would
    // hide `next_packet`'s borrow of the handle from us.
    fn pcap_get_selectable_fd(p: *mut std::ffi::c_void) -> std::ffi::c_int;
}

impl LiveCapture {
    /// Opens and activates the interface, then installs the filter.
    pub fn open(config: &LiveConfig) -> Result<Self, LiveError> {
        let listed = list_interfaces().ok();
        let (name, description, loopback) = resolve(&config.interface, listed.as_deref())?;
        let inactive = Capture::from_device(name.as_str()).map_err(|e| classify(&name, e))?;
        let mut inactive = inactive
            .promisc(config.promiscuous)
            .snaplen(config.snaplen as i32)
            .timeout(READ_TIMEOUT_MS)
            .precision(Precision::Nano);
        if let Some(bytes) = config.buffer_bytes {
            inactive = inactive.buffer_size(bytes as i32);
        }
        let cap = inactive.open().map_err(|e| classify(&name, e))?;
        let mut cap = cap.setnonblock().map_err(|e| LiveError::Libpcap {
            what: format!("making the capture on {name} non-blocking"),
            detail: pcap_message(&e),
        })?;
        if let Some(filter) = &config.filter {
            cap.filter(filter, true).map_err(|e| LiveError::BadFilter {
                filter: filter.clone(),
                interface: name.clone(),
                detail: pcap_message(&e),
            })?;
        }
        // SAFETY: the handle is live for the duration of the call.
        let precision = unsafe { pcap_get_tstamp_precision(cap.as_ptr().cast()) };
        // SAFETY: as above; the descriptor lives as long as the handle.
        let fd = unsafe { pcap_get_selectable_fd(cap.as_ptr().cast()) };
        if fd < 0 {
            return Err(LiveError::Libpcap {
                what: format!("opening {name}"),
                detail: "the capture has no descriptor to wait on".into(),
            });
        }
        let link_type = linktype_of_dlt(cap.get_datalink().0);
        Ok(LiveCapture {
            cap,
            interface: name,
            description,
            loopback,
            link_type,
            nanosecond: precision == 1,
            snaplen: config.snaplen,
            fd,
        })
    }

    /// The interface's name (`if_name`).
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// libpcap's description of the interface, if it has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether libpcap flags the interface as loopback.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The pcap/pcapng LINKTYPE_ of the packets (1 = Ethernet on Linux `lo`).
    pub fn link_type(&self) -> u32 {
        self.link_type
    }

    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// The next packet, or `Ok(None)` after waiting at most
    /// [`READ_TIMEOUT_MS`] for the descriptor to become readable (the
    /// packet, if one came, is returned by the next call).
    pub fn next_packet(&mut self) -> Result<Option<LivePacket<'_>>, LiveError> {
        let nanosecond = self.nanosecond;
        let fd = self.fd;
        match self.cap.next_packet() {
            Ok(p) => {
                // time_t is 32 bits on some targets.
                #[allow(clippy::useless_conversion)]
                let secs = i64::from(p.header.ts.tv_sec);
                let frac = p.header.ts.tv_usec as u64;
                let ts = if nanosecond {
                    Timestamp::from_fraction(secs, frac, 1_000_000_000)
                } else {
                    Timestamp::from_fraction(secs, frac, 1_000_000)
                };
                Ok(Some(LivePacket {
                    ts,
                    orig_len: p.header.len,
                    data: p.data,
                }))
            }
            // Non-blocking: nothing buffered right now.
            Err(pcap::Error::TimeoutExpired) => {
                wait_readable(fd, READ_TIMEOUT_MS).map_err(|e| LiveError::Libpcap {
                    what: format!("waiting for packets on {}", self.interface),
                    detail: e.to_string(),
                })?;
                Ok(None)
            }
            Err(e) => Err(LiveError::Libpcap {
                what: format!("reading from {}", self.interface),
                detail: pcap_message(&e),
            }),
        }
    }

    /// `pcap_stats`: what the kernel saw and dropped so far.
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        let s = self.cap.stats().map_err(|e| LiveError::Libpcap {
            what: "reading the capture statistics".into(),
            detail: pcap_message(&e),
        })?;
        Ok(LiveStats {
            received: s.received,
            dropped_by_kernel: s.dropped,
            dropped_by_interface: s.if_dropped,
        })
    }
}

/// Waits until `fd` is readable or `timeout_ms` passed; a signal ends the
/// wait early (not an error: the caller checks its stop flag).
fn wait_readable(fd: std::ffi::c_int, timeout_ms: i32) -> std::io::Result<()> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(())
}

/// Finds the interface by name, or by its number in the list (`-i 3`).
fn resolve(
    wanted: &str,
    listed: Option<&[LiveInterface]>,
) -> Result<(String, Option<String>, bool), LiveError> {
    let Some(listed) = listed else {
        // libpcap could not list: let it try the name itself.
        return Ok((wanted.to_string(), None, false));
    };
    let by_number = || {
        let n = wanted.parse::<usize>().ok()?;
        n.checked_sub(1).and_then(|k| listed.get(k))
    };
    if let Some(i) = listed.iter().find(|i| i.name == wanted).or_else(by_number) {
        return Ok((i.name.clone(), i.description.clone(), i.loopback));
    }
    Err(LiveError::NoSuchInterface {
        name: wanted.to_string(),
        available: listed.iter().map(LiveInterface::label).collect(),
    })
}

/// Sorts libpcap's activation errors into the ones we can explain.
fn classify(interface: &str, e: pcap::Error) -> LiveError {
    let detail = pcap_message(&e);
    let lower = detail.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        LiveError::Permission {
            interface: interface.to_string(),
            detail,
        }
    } else if lower.contains("no such device") {
        LiveError::NoSuchInterface {
            name: interface.to_string(),
            available: list_interfaces()
                .map(|l| l.iter().map(LiveInterface::label).collect())
                .unwrap_or_default(),
        }
    } else {
        LiveError::Libpcap {
            what: format!("opening {interface}"),
            detail,
        }
    }
}

/// libpcap hands out DLT_ values; files carry LINKTYPE_ values. They are
/// equal except for a few historical ones (raw IP is DLT 12 or 14 depending
/// on the platform, LINKTYPE 101 everywhere).
pub fn linktype_of_dlt(dlt: i32) -> u32 {
    match dlt {
        12 | 14 => 101,
        other => other as u32,
    }
}

impl<'a> RawFrame<'a> {
    /// A live packet as the pipeline wants it: interface 0, nanosecond
    /// precision (what [`PcapNgSink`] writes), no file offset.
    pub fn live(
        link_type: u32,
        packet: &LivePacket<'a>,
        interface_name: Option<&'a str>,
        interface_description: Option<&'a str>,
    ) -> Self {
        RawFrame {
            interface_id: 0,
            link_type,
            ts: packet.ts,
            has_ts: true,
            precision: TsPrecision::Nanos,
            orig_len: packet.orig_len,
            data: packet.data,
            file_offset: 0,
            section: 1,
            interface_name,
            interface_description,
        }
    }
}

/// A pcapng file being written from a live capture: Section Header (with
/// `shb_userappl`), one Interface Description (`if_name`, `if_description`
/// when libpcap has one, `if_tsresol = 9`, the snapshot length and link
/// type), one Enhanced Packet Block per packet (nanoseconds, as pcap-file
/// writes them), and at the end an Interface Statistics Block with libpcap's
/// counters. Buffered: call [`PcapNgSink::flush`] to push it to the file.
pub struct PcapNgSink<W: Write> {
    writer: pcap_file::pcapng::PcapNgWriter<W>,
    start_nanos: u64,
}

/// I/O errors of the pcapng sink, with what was being written.
#[derive(Debug)]
pub struct SinkError(pub String);

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SinkError {}

fn sink_err(what: &str, e: impl fmt::Display) -> SinkError {
    SinkError(format!("writing the {what}: {e}"))
}

impl<W: Write> PcapNgSink<W> {
    /// Writes the section header and the interface description.
    pub fn new(
        out: W,
        link_type: u32,
        snaplen: u32,
        if_name: &str,
        if_description: Option<&str>,
    ) -> Result<Self, SinkError> {
        use pcap_file::pcapng::blocks::interface_description::{
            InterfaceDescriptionBlock, InterfaceDescriptionOption,
        };
        use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
        let section = SectionHeaderBlock {
            endianness: pcap_file::Endianness::native(),
            major_version: 1,
            minor_version: 0,
            section_length: -1,
            options: vec![SectionHeaderOption::UserApplication(Cow::Owned(format!(
                "coffeeshark {}",
                env!("CARGO_PKG_VERSION")
            )))],
        };
        let mut writer = pcap_file::pcapng::PcapNgWriter::with_section_header(out, section)
            .map_err(|e| sink_err("section header", e))?;
        let mut options = vec![InterfaceDescriptionOption::IfName(Cow::Owned(
            if_name.to_string(),
        ))];
        if let Some(d) = if_description {
            options.push(InterfaceDescriptionOption::IfDescription(Cow::Owned(
                d.to_string(),
            )));
        }
        options.push(InterfaceDescriptionOption::IfTsResol(9));
        writer
            .write_pcapng_block(InterfaceDescriptionBlock {
                linktype: pcap_file::DataLink::from(link_type),
                snaplen,
                options,
            })
            .map_err(|e| sink_err("interface description", e))?;
        Ok(PcapNgSink {
            writer,
            start_nanos: 0,
        })
    }

    /// Appends one packet (Enhanced Packet Block, interface 0).
    pub fn write(&mut self, packet: &LivePacket<'_>) -> Result<(), SinkError> {
        use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
        let nanos = timestamp_nanos(packet.ts);
        if self.start_nanos == 0 {
            self.start_nanos = nanos;
        }
        self.writer
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: Duration::from_nanos(nanos),
                original_len: packet.orig_len,
                data: Cow::Borrowed(packet.data),
                options: vec![],
            })
            .map_err(|e| sink_err("packet", e))?;
        Ok(())
    }

    /// Pushes everything written so far to the underlying writer.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.writer
            .get_mut()
            .flush()
            .map_err(|e| sink_err("capture file", e))
    }

    /// Writes the Interface Statistics Block (`isb_starttime`,
    /// `isb_endtime`, `isb_ifrecv`, `isb_ifdrop`, `isb_osdrop`,
    /// `isb_usrdeliv`), flushes and returns the writer.
    pub fn finish(
        mut self,
        end: Timestamp,
        stats: Option<LiveStats>,
        delivered: u64,
    ) -> Result<W, SinkError> {
        // Built by hand: pcap-file writes the 64-bit timestamps of this block
        // as one integer, not as the high word then the low word that the
        // pcapng specification (and Wireshark) read.
        let end_nanos = timestamp_nanos(end);
        let start_nanos = if self.start_nanos == 0 {
            end_nanos
        } else {
            self.start_nanos
        };
        let split = |v: u64| {
            let mut b = Vec::with_capacity(8);
            b.extend_from_slice(&((v >> 32) as u32).to_ne_bytes());
            b.extend_from_slice(&(v as u32).to_ne_bytes());
            b
        };
        let mut body = Vec::new();
        body.extend_from_slice(&0u32.to_ne_bytes());
        body.extend_from_slice(&split(end_nanos));
        let mut option = |code: u16, value: &[u8]| {
            body.extend_from_slice(&code.to_ne_bytes());
            body.extend_from_slice(&(value.len() as u16).to_ne_bytes());
            body.extend_from_slice(value);
        };
        option(2, &split(start_nanos));
        option(3, &split(end_nanos));
        if let Some(s) = stats {
            option(4, &u64::from(s.received).to_ne_bytes());
            option(5, &u64::from(s.dropped_by_interface).to_ne_bytes());
            option(7, &u64::from(s.dropped_by_kernel).to_ne_bytes());
        }
        option(8, &delivered.to_ne_bytes());
        option(0, &[]);
        let len = (12 + body.len()) as u32;
        let mut block = Vec::with_capacity(len as usize);
        block.extend_from_slice(&5u32.to_ne_bytes());
        block.extend_from_slice(&len.to_ne_bytes());
        block.extend_from_slice(&body);
        block.extend_from_slice(&len.to_ne_bytes());
        let out = self.writer.get_mut();
        out.write_all(&block)
            .map_err(|e| sink_err("interface statistics", e))?;
        out.flush().map_err(|e| sink_err("capture file", e))?;
        Ok(self.writer.into_inner())
    }
}

fn timestamp_nanos(ts: Timestamp) -> u64 {
    (ts.secs.max(0) as u64) * 1_000_000_000 + u64::from(ts.nanos)
}
