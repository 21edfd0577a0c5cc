//! Test-only fixture builder: captures made in code, so that a test states
//! exactly which packets exist. Packets come from etherparse's
//! `PacketBuilder`; files are written with pcap-file's writers, except for the
//! pcapng corner cases pcap-file cannot produce (big-endian sections, Simple
//! Packet Blocks, unknown block types, damaged blocks), which are assembled
//! by hand below.
//!
//! These fixtures are synthetic by design (edge cases); the bundled
//! `sample_capture/` files are the real recordings.

#![allow(dead_code)]

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, TsResolution};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const CLIENT_V4: [u8; 4] = [127, 0, 0, 1];
pub const SERVER_V4: [u8; 4] = [127, 0, 0, 1];

/// One frame: link-layer bytes included, timestamp in ns since the epoch.
#[derive(Clone, Debug)]
pub struct Frame {
    pub ts_nanos: u64,
    pub data: Vec<u8>,
    pub interface: u32,
}

/// The link framing to wrap IP packets in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    EthernetVlan(u16),
    NullLe,
    NullBe,
    Loop,
    Sll,
    Sll2,
    Raw,
    RawIpv4,
    RawIpv6,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Link::Ethernet | Link::EthernetVlan(_) => 1,
            Link::NullLe | Link::NullBe => 0,
            Link::Loop => 108,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Raw => 101,
            Link::RawIpv4 => 228,
            Link::RawIpv6 => 229,
        }
    }

    /// Prepends this link's header to an IP packet.
    pub fn frame(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().map(|b| b >> 4) == Some(6);
        let ethertype: u16 = if v6 { 0x86dd } else { 0x0800 };
        let mut out = Vec::with_capacity(ip.len() + 24);
        match self {
            Link::Ethernet => {
                out.extend_from_slice(&[0; 12]);
                out.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::EthernetVlan(id) => {
                out.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
                out.extend_from_slice(&0x8100u16.to_be_bytes());
                out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
                out.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::NullLe => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
            Link::NullBe => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_be_bytes()),
            Link::Loop => out.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
            Link::Sll => {
                out.extend_from_slice(&0u16.to_be_bytes()); // to us
                out.extend_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
                out.extend_from_slice(&6u16.to_be_bytes());
                out.extend_from_slice(&[0; 8]);
                out.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::Sll2 => {
                out.extend_from_slice(&ethertype.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&1u32.to_be_bytes()); // ifindex of lo
                out.extend_from_slice(&772u16.to_be_bytes());
                out.push(0); // PACKET_HOST
                out.push(6);
                out.extend_from_slice(&[0; 8]);
            }
            Link::Raw | Link::RawIpv4 | Link::RawIpv6 => {}
        }
        out.extend_from_slice(ip);
        out
    }
}

/// Endpoint addresses of a connection, v4 or v6.
#[derive(Clone, Copy, Debug)]
pub enum Addrs {
    V4([u8; 4], [u8; 4]),
    V6([u8; 16], [u8; 16]),
}

pub const LOOPBACK_V4: Addrs = Addrs::V4(CLIENT_V4, SERVER_V4);
pub const LOOPBACK_V6: Addrs = Addrs::V6(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
);

/// TCP flags of a scripted segment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

pub const SYN: Flags = Flags {
    syn: true,
    ack: false,
    fin: false,
    rst: false,
    psh: false,
};
pub const SYN_ACK: Flags = Flags {
    syn: true,
    ack: true,
    fin: false,
    rst: false,
    psh: false,
};
pub const ACK: Flags = Flags {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
    psh: false,
};
pub const PSH_ACK: Flags = Flags {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
    psh: true,
};
pub const FIN_ACK: Flags = Flags {
    syn: false,
    ack: true,
    fin: true,
    rst: false,
    psh: false,
};
pub const RST_ACK: Flags = Flags {
    syn: false,
    ack: true,
    fin: false,
    rst: true,
    psh: false,
};

/// Builds the frames of one TCP connection, keeping sequence and
/// acknowledgement numbers right for each side.
pub struct TcpConn {
    pub link: Link,
    pub addrs: Addrs,
    pub client_port: u16,
    pub server_port: u16,
    /// Next sequence number of client and server.
    pub next: [u32; 2],
    /// Highest sequence each side has seen from the other (what it acks).
    pub acked: [u32; 2],
    pub ts_nanos: u64,
    pub step_nanos: u64,
    pub frames: Vec<Frame>,
    pub interface: u32,
    /// Window values each side advertises after the handshake.
    pub window: [u16; 2],
    /// Whether to put Linux-like options on the handshake.
    pub options: bool,
}

impl TcpConn {
    pub fn new(link: Link, addrs: Addrs, client_port: u16, server_port: u16) -> Self {
        TcpConn {
            link,
            addrs,
            client_port,
            server_port,
            next: [1_000_000, 3_000_000_000],
            acked: [0, 0],
            ts_nanos: 1_795_000_000_000_000_000,
            step_nanos: 125_000,
            frames: Vec::new(),
            interface: 0,
            window: [512, 509],
            options: true,
        }
    }

    /// Starts at a given time (ns since the epoch).
    pub fn at(mut self, ts_nanos: u64) -> Self {
        self.ts_nanos = ts_nanos;
        self
    }

    /// A segment from the client (`from_client`) or the server.
    pub fn send(&mut self, from_client: bool, flags: Flags, payload: &[u8]) -> &mut Self {
        let me = if from_client { 0 } else { 1 };
        let other = 1 - me;
        let seq = self.next[me];
        let ack = self.next[other];
        let (sport, dport) = if from_client {
            (self.client_port, self.server_port)
        } else {
            (self.server_port, self.client_port)
        };
        let window = if flags.syn { 65495 } else { self.window[me] };
        let ip = self.build(from_client, sport, dport, seq, ack, window, flags, payload);
        self.push_raw(ip);
        self.next[me] = seq
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags.syn))
            .wrapping_add(u32::from(flags.fin));
        self.acked[other] = ack;
        self
    }

    /// A segment with explicit sequence number (retransmissions, gaps).
    #[allow(clippy::too_many_arguments)]
    pub fn send_at_seq(
        &mut self,
        from_client: bool,
        flags: Flags,
        seq: u32,
        payload: &[u8],
    ) -> &mut Self {
        let me = if from_client { 0 } else { 1 };
        let ack = self.next[1 - me];
        let (sport, dport) = if from_client {
            (self.client_port, self.server_port)
        } else {
            (self.server_port, self.client_port)
        };
        let window = self.window[me];
        let ip = self.build(from_client, sport, dport, seq, ack, window, flags, payload);
        self.push_raw(ip);
        self
    }

    fn push_raw(&mut self, ip: Vec<u8>) {
        let data = self.link.frame(&ip);
        self.frames.push(Frame {
            ts_nanos: self.ts_nanos,
            data,
            interface: self.interface,
        });
        self.ts_nanos += self.step_nanos;
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        from_client: bool,
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        window: u16,
        flags: Flags,
        payload: &[u8],
    ) -> Vec<u8> {
        let base = match self.addrs {
            Addrs::V4(c, s) => {
                let (src, dst) = if from_client { (c, s) } else { (s, c) };
                PacketBuilder::ipv4(src, dst, 64)
            }
            Addrs::V6(c, s) => {
                let (src, dst) = if from_client { (c, s) } else { (s, c) };
                PacketBuilder::ipv6(src, dst, 64)
            }
        };
        let mut tcp = base.tcp(sport, dport, seq, window);
        if flags.syn {
            tcp = tcp.syn();
        }
        if flags.ack {
            tcp = tcp.ack(ack);
        }
        if flags.fin {
            tcp = tcp.fin();
        }
        if flags.rst {
            tcp = tcp.rst();
        }
        if flags.psh {
            tcp = tcp.psh();
        }
        let tsval = (self.ts_nanos / 1_000_000) as u32;
        let tsecr = if flags.syn && !flags.ack {
            0
        } else {
            tsval.wrapping_sub(1)
        };
        if self.options && flags.syn {
            tcp = tcp
                .options(&[
                    TcpOptionElement::MaximumSegmentSize(65495),
                    TcpOptionElement::SelectiveAcknowledgementPermitted,
                    TcpOptionElement::Timestamp(tsval, tsecr),
                    TcpOptionElement::Noop,
                    TcpOptionElement::WindowScale(7),
                ])
                .expect("options fit");
        } else if self.options {
            tcp = tcp
                .options(&[
                    TcpOptionElement::Noop,
                    TcpOptionElement::Noop,
                    TcpOptionElement::Timestamp(tsval, tsecr),
                ])
                .expect("options fit");
        }
        let mut out = Vec::with_capacity(tcp.size(payload.len()));
        tcp.write(&mut out, payload).expect("packet builds");
        out
    }

    /// Handshake, one request and one response, FIN teardown from the server.
    pub fn exchange(mut self, request: &[u8], response: &[u8]) -> Self {
        self.send(true, SYN, b"")
            .send(false, SYN_ACK, b"")
            .send(true, ACK, b"")
            .send(true, PSH_ACK, request)
            .send(false, ACK, b"")
            .send(false, PSH_ACK, response)
            .send(true, ACK, b"")
            .send(false, FIN_ACK, b"")
            .send(true, FIN_ACK, b"")
            .send(false, ACK, b"");
        self
    }
}

/// A pcap file's header options.
#[derive(Clone, Copy, Debug)]
pub struct PcapOptions {
    pub nanosecond: bool,
    pub big_endian: bool,
}

pub const PCAP_US: PcapOptions = PcapOptions {
    nanosecond: false,
    big_endian: false,
};

/// Writes a pcap file with pcap-file's writer.
pub fn write_pcap(path: &Path, linktype: u32, frames: &[Frame], opts: PcapOptions) {
    let file = std::fs::File::create(path).expect("create fixture");
    let header = PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen: 262144,
        datalink: DataLink::from(linktype),
        ts_resolution: if opts.nanosecond {
            TsResolution::NanoSecond
        } else {
            TsResolution::MicroSecond
        },
        endianness: if opts.big_endian {
            Endianness::Big
        } else {
            Endianness::Little
        },
    };
    let mut w = PcapWriter::with_header(file, header).expect("pcap header");
    for f in frames {
        // pcap-file truncates to its resolution when writing.
        w.write_packet(&PcapPacket {
            timestamp: Duration::from_nanos(f.ts_nanos),
            orig_len: f.data.len() as u32,
            data: Cow::Borrowed(&f.data),
        })
        .expect("write packet");
    }
}

/// One interface of a pcapng fixture.
#[derive(Clone, Debug)]
pub struct NgInterface {
    pub linktype: u32,
    pub name: &'static str,
}

/// Writes a pcapng file with pcap-file's writer (nanosecond `if_tsresol`,
/// which is what pcap-file writes timestamps in).
pub fn write_pcapng(path: &Path, interfaces: &[NgInterface], frames: &[Frame]) {
    let file = std::fs::File::create(path).expect("create fixture");
    let mut w = PcapNgWriter::new(file).expect("pcapng section");
    for i in interfaces {
        w.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::from(i.linktype),
            snaplen: 262144,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed(i.name)),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })
        .expect("idb");
    }
    for f in frames {
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: f.interface,
            timestamp: Duration::from_nanos(f.ts_nanos),
            original_len: f.data.len() as u32,
            data: Cow::Borrowed(&f.data),
            options: vec![],
        })
        .expect("epb");
    }
}

/// Hand-assembled pcapng blocks for the cases pcap-file does not write.
pub mod ng {
    fn pad4(v: &mut Vec<u8>) {
        while v.len() % 4 != 0 {
            v.push(0);
        }
    }

    fn block(big: bool, kind: u32, body: &[u8]) -> Vec<u8> {
        let u32b = |x: u32| {
            if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        };
        let mut body = body.to_vec();
        pad4(&mut body);
        let len = 12 + body.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&u32b(kind));
        out.extend_from_slice(&u32b(len));
        out.extend_from_slice(&body);
        out.extend_from_slice(&u32b(len));
        out
    }

    fn u32b(big: bool, x: u32) -> [u8; 4] {
        if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn u16b(big: bool, x: u16) -> [u8; 2] {
        if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }

    /// Section Header Block.
    pub fn shb(big: bool) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&u32b(big, 0x1a2b3c4d));
        body.extend_from_slice(&u16b(big, 1));
        body.extend_from_slice(&u16b(big, 0));
        body.extend_from_slice(&[0xff; 8]); // section length unknown
        block(big, 0x0a0d0d0a, &body)
    }

    /// Interface Description Block with `if_tsresol` (10^-n when n < 128).
    pub fn idb(big: bool, linktype: u16, tsresol: u8, name: &str) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&u16b(big, linktype));
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&u32b(big, 262144));
        // if_name (2)
        body.extend_from_slice(&u16b(big, 2));
        body.extend_from_slice(&u16b(big, name.len() as u16));
        body.extend_from_slice(name.as_bytes());
        pad4(&mut body);
        // if_tsresol (9)
        body.extend_from_slice(&u16b(big, 9));
        body.extend_from_slice(&u16b(big, 1));
        body.extend_from_slice(&[tsresol, 0, 0, 0]);
        // opt_endofopt
        body.extend_from_slice(&[0, 0, 0, 0]);
        block(big, 1, &body)
    }

    /// Enhanced Packet Block; `units` is the timestamp in interface units.
    pub fn epb(big: bool, interface: u32, units: u64, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&u32b(big, interface));
        body.extend_from_slice(&u32b(big, (units >> 32) as u32));
        body.extend_from_slice(&u32b(big, units as u32));
        body.extend_from_slice(&u32b(big, data.len() as u32));
        body.extend_from_slice(&u32b(big, data.len() as u32));
        body.extend_from_slice(data);
        block(big, 6, &body)
    }

    /// Simple Packet Block (no timestamp, interface 0).
    pub fn spb(big: bool, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&u32b(big, data.len() as u32));
        body.extend_from_slice(data);
        block(big, 3, &body)
    }

    /// A block of a type nobody knows (readers must skip it).
    pub fn unknown(big: bool) -> Vec<u8> {
        block(big, 0x0bad_c0de & 0x7fff_ffff, b"what is this")
    }
}

/// With `KEEP_FIXTURES=DIR`, copies a fixture there for a look with
/// tshark or Wireshark.
pub fn keep_fixture(path: &Path) {
    if let Some(dir) = std::env::var_os("KEEP_FIXTURES") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(path, dir.join(path.file_name().unwrap())).unwrap();
    }
}

/// A temp directory that lives as long as the test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn path_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Runs our binary with arguments; returns (stdout, stderr, exit code).
pub fn coffeeshark(args: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffeeshark"))
        .args(args)
        .output()
        .expect("run coffeeshark");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Runs tshark if it is installed. When `COFFEESHARK_REQUIRE_TSHARK` is set
/// (as `.ci/run` does), a missing tshark fails the test instead of skipping.
pub fn tshark(args: &[&str]) -> Option<(String, i32)> {
    match std::process::Command::new("tshark").args(args).output() {
        Ok(out) => Some((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code().unwrap_or(-1),
        )),
        Err(e) => {
            if std::env::var_os("COFFEESHARK_REQUIRE_TSHARK").is_some() {
                panic!(
                    "tshark is required (COFFEESHARK_REQUIRE_TSHARK is set) but could not run: {e}"
                );
            }
            eprintln!("tshark not found: skipping the comparison ({e})");
            None
        }
    }
}

/// Compares our output with a committed golden file; `UPDATE_GOLDEN=1`
/// rewrites the golden file instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} missing ({e}); run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    pretty_diff(&expected, actual, name);
}

/// Line-by-line equality with a readable first difference.
pub fn pretty_diff(expected: &str, actual: &str, what: &str) {
    if expected == actual {
        return;
    }
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            panic!(
                "{what}: first difference at line {}:\n expected: {:?}\n   actual: {:?}\n({} expected lines, {} actual)",
                i + 1,
                x,
                y,
                e.len(),
                a.len()
            );
        }
    }
    panic!("{what}: outputs differ in line endings or trailing newline");
}

/// The three-way handshake of `c`, client (`true`) first.
pub fn handshake(c: &mut TcpConn) {
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
}

/// The server closes first, the client answers, the server ACKs.
pub fn teardown(c: &mut TcpConn) {
    c.send(false, FIN_ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
}
