//! "Follow TCP stream": one stream's payload reassembled per direction, fed
//! the packets of a pass in capture order, out as [`Chunk`]s. `coffeeshark
//! follow` prints them (`view::follow`); the terminal UI shows them.
//!
//! tshark's follow rules, kept here:
//! - Node 0 is the sender of the stream's first packet, Node 1 the other end
//!   (a packet is Node 1's unless it comes from Node 0's address and port);
//! - each direction is reassembled on its own ([`Reassembler`]); FIN does not
//!   count as a sequence number for following (tshark ignores it);
//! - data behind a hole waits until a packet of the other direction
//!   acknowledges beyond the hole's far edge; then the hole is given as a
//!   [`Chunk::Gap`] and the waiting data follows. Data still waiting at the
//!   end of the capture is dropped, as tshark does, unless [`Follower::flush`]
//!   is called.

use super::Packet;
use crate::flow::reassembly::{Event, Reassembler, Segment};
use crate::flow::uncaptured_payload;
use etherparse::{LaxNetSlice, TransportSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The two ends of the followed stream, formatted as `addr:port`
/// (`[addr]:port` for IPv6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub stream: u32,
    pub node0: String,
    pub node1: String,
}

/// One piece of the followed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    Data {
        /// Sent by Node 1.
        server: bool,
        frame: u64,
        data: &'a [u8],
    },
    /// `missing` bytes were never captured.
    Gap {
        server: bool,
        frame: u64,
        missing: u32,
    },
}

/// What the follower hands out: the header once, then chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed<'a> {
    Header(&'a Header),
    Chunk(Chunk<'a>),
}

/// Formats `addr:port` as Wireshark's follow header does.
pub fn node(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

const TCP_SYN: u8 = 0x02;
const TCP_ACK: u8 = 0x10;

/// The followed stream, once its first packet was seen.
struct Ends {
    header: Header,
    client_addr: [u8; 16],
    client_port: u16,
    dirs: [Reassembler; 2],
}

/// Follows one `tcp.stream`: give it every packet (others are ignored).
pub struct Follower {
    stream: u32,
    ends: Option<Ends>,
    overflow_bytes: u64,
}

impl Follower {
    pub fn new(stream: u32) -> Self {
        Follower {
            stream,
            ends: None,
            overflow_bytes: 0,
        }
    }

    /// The stream followed.
    pub fn stream(&self) -> u32 {
        self.stream
    }

    /// A packet of the stream was seen.
    pub fn started(&self) -> bool {
        self.ends.is_some()
    }

    /// Bytes dropped because too much waited behind a hole.
    pub fn overflow_bytes(&self) -> u64 {
        self.overflow_bytes
    }

    /// Takes one packet of the pass; `out` gets the header at the stream's
    /// first packet, then every chunk that became in order.
    pub fn push(&mut self, pkt: &Packet<'_>, out: &mut impl FnMut(Followed<'_>)) {
        let Some(meta) = pkt.tcp else { return };
        if meta.stream != self.stream {
            return;
        }
        let (Some(net), Some(TransportSlice::Tcp(tcp))) =
            (&pkt.decoded.net, &pkt.decoded.transport)
        else {
            return;
        };
        let (src_addr, dst_addr) = addresses(net);
        let src = (src_addr, tcp.source_port());
        let frame = pkt.frame.number;
        if self.ends.is_none() {
            let v6 = matches!(net, LaxNetSlice::Ipv6(_));
            let header = Header {
                stream: self.stream,
                node0: node(ip(src_addr, v6), src.1),
                node1: node(ip(dst_addr, v6), tcp.destination_port()),
            };
            out(Followed::Header(&header));
            self.ends = Some(Ends {
                header,
                client_addr: src.0,
                client_port: src.1,
                dirs: [Reassembler::default(), Reassembler::default()],
            });
        }
        let Some(st) = self.ends.as_mut() else { return };
        let overflow = &mut self.overflow_bytes;
        let server = !(src.0 == st.client_addr && src.1 == st.client_port);
        let dir = usize::from(server);
        let flags = tcp.header_slice()[13];
        // Relative acknowledgement as tshark's follow tap sees it (the raw
        // field when the ACK flag is off).
        let ack = match meta.rel_ack {
            Some(a) if flags & TCP_ACK != 0 => a,
            _ => tcp.acknowledgment_number(),
        };
        let (this, other) = split(&mut st.dirs, dir);
        // This packet acknowledges data the other direction is holding behind
        // a hole: the hole was lost in the capture, not on the wire.
        while other
            .lowest_pending_seq()
            .is_some_and(|low| (ack.wrapping_sub(low) as i32) > 0)
        {
            other.skip_gap(frame, |e| emit(out, !server, e, overflow));
        }
        this.push(
            Segment {
                seq: meta.rel_seq,
                data: tcp.payload(),
                frame,
                syn: flags & TCP_SYN != 0,
                fin: false,
                uncaptured: uncaptured_payload(net, tcp),
            },
            |e| emit(out, server, e, overflow),
        );
    }

    /// The end of the pass: data still waiting behind holes comes out, the
    /// holes as gaps (`last` = the last frame of the capture).
    pub fn flush(&mut self, last: u64, out: &mut impl FnMut(Followed<'_>)) {
        let Some(st) = self.ends.as_mut() else { return };
        let overflow = &mut self.overflow_bytes;
        for (dir, r) in st.dirs.iter_mut().enumerate() {
            r.flush(last, |e| emit(out, dir == 1, e, overflow));
        }
    }

    /// The endpoints, once started.
    pub fn header(&self) -> Option<&Header> {
        self.ends.as_ref().map(|e| &e.header)
    }
}

fn emit(out: &mut impl FnMut(Followed<'_>), server: bool, e: Event<'_>, overflow: &mut u64) {
    match e {
        Event::Data { data, frame, .. } => out(Followed::Chunk(Chunk::Data {
            server,
            frame,
            data,
        })),
        Event::Gap { len, frame, .. } => out(Followed::Chunk(Chunk::Gap {
            server,
            frame,
            missing: len as u32,
        })),
        Event::Overflow { dropped, .. } => *overflow += dropped as u64,
        // tshark's follow passes over bytes cut by the snapshot length silently.
        Event::Uncaptured { .. } | Event::Fin { .. } | Event::DataAfterFin { .. } => {}
    }
}

/// Both reassemblers, this direction's first.
fn split(dirs: &mut [Reassembler; 2], dir: usize) -> (&mut Reassembler, &mut Reassembler) {
    let [a, b] = dirs;
    if dir == 0 {
        (a, b)
    } else {
        (b, a)
    }
}

fn ip(addr: [u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(addr))
    } else {
        IpAddr::V4(Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]))
    }
}

/// Source and destination addresses (IPv4 in the first 4 bytes).
fn addresses(net: &LaxNetSlice<'_>) -> ([u8; 16], [u8; 16]) {
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    match net {
        LaxNetSlice::Ipv4(v4) => {
            src[..4].copy_from_slice(&v4.header().source());
            dst[..4].copy_from_slice(&v4.header().destination());
        }
        LaxNetSlice::Ipv6(v6) => {
            src = v6.header().source();
            dst = v6.header().destination();
        }
        _ => {}
    }
    (src, dst)
}

/// Follows the decrypted application data of one `tcp.stream` (tshark's
/// `-z follow,tls,FMT,N`, which needs the key log): one chunk per decrypted
/// application-data record, in the order the records complete. tshark 4.0's
/// quirks are kept, as its users see them: Node 0 is the sender of the
/// stream's first *decrypted* record (the client's Finished in TLS 1.2, the
/// server's EncryptedExtensions in TLS 1.3), a chunk is Node 1's when sent
/// by the other end, and Node 1 is printed as `:0` (never filled in); with
/// nothing decrypted both nodes are `:0`.
pub struct TlsFollower {
    stream: u32,
    seen: bool,
    header_out: bool,
    node0: Option<([u8; 16], u16)>,
}

impl TlsFollower {
    pub fn new(stream: u32) -> Self {
        TlsFollower {
            stream,
            seen: false,
            header_out: false,
            node0: None,
        }
    }

    /// Whether the stream was seen at all (any packet of it).
    pub fn started(&self) -> bool {
        self.seen
    }

    /// Takes one packet of a pass that decrypts (a key log given); `out`
    /// gets the header at the first decrypted record, then the chunks.
    pub fn push(&mut self, pkt: &Packet<'_>, out: &mut impl FnMut(Followed<'_>)) {
        use crate::dissect::stream::PduBody;
        let Some(meta) = pkt.tcp else { return };
        if meta.stream != self.stream {
            return;
        }
        self.seen = true;
        let (Some(net), Some(TransportSlice::Tcp(tcp)), Some(app)) =
            (&pkt.decoded.net, &pkt.decoded.transport, pkt.app.as_deref())
        else {
            return;
        };
        let src = (addresses(net).0, tcp.source_port());
        for m in &app.messages {
            let PduBody::Tls(r) = &m.body else { continue };
            let Some(p) = r.plaintext() else { continue };
            if self.node0.is_none() {
                self.node0 = Some(src);
                let v6 = matches!(net, LaxNetSlice::Ipv6(_));
                self.header(node(ip(src.0, v6), src.1), out);
            }
            if p.content_type != crate::dissect::tls::APPLICATION_DATA || p.data.is_empty() {
                continue;
            }
            out(Followed::Chunk(Chunk::Data {
                server: self.node0 != Some(src),
                frame: pkt.frame.number,
                data: &p.data,
            }));
        }
    }

    /// The end of the pass: the header if nothing was decrypted.
    pub fn finish(&mut self, out: &mut impl FnMut(Followed<'_>)) {
        self.header(":0".into(), out);
    }

    fn header(&mut self, node0: String, out: &mut impl FnMut(Followed<'_>)) {
        if std::mem::replace(&mut self.header_out, true) {
            return;
        }
        out(Followed::Header(&Header {
            stream: self.stream,
            node0,
            node1: ":0".into(),
        }));
    }
}
