//! Conversations and endpoints of the Ethernet, IPv4, IPv6, UDP and TCP
//! layers, as tshark's conversation table counts them
//! (epan/conversation_table.c, 4.0) for `-z conv,TYPE` and
//! `-z endpoints,TYPE`. (`conv,tcp` is `model::conversations`, the table
//! of `coffeeshark conv`.)
//!
//! A conversation is the pair of addresses (with ports for UDP) either
//! way; its first frame's source is side A, and frames from A to B count
//! as "->" (tshark's `tx`), the others as "<-". An endpoint is one address
//! (with its port for TCP and UDP): a frame counts as sent by its source
//! and received by its destination, so a frame between two sockets of the
//! same address counts twice for that address. Rows are kept in order of
//! first appearance; memory grows with the number of conversations or
//! endpoints, not with packets.

use crate::link::LinkHeader;
use crate::model::Packet;
use etherparse::{LaxNetSlice, TransportSlice};
use rustc_hash::FxHashMap;
use std::fmt;

/// Which layer a table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Eth,
    Ip,
    Ipv6,
    Tcp,
    Udp,
}

impl Layer {
    /// The `-z` spelling (`conv,ip`).
    pub fn parse(s: &str) -> Option<Layer> {
        Some(match s {
            "eth" => Layer::Eth,
            "ip" => Layer::Ip,
            "ipv6" => Layer::Ipv6,
            "tcp" => Layer::Tcp,
            "udp" => Layer::Udp,
            _ => return None,
        })
    }

    /// The protocol's short name, as tshark titles the table.
    pub fn title(self) -> &'static str {
        match self {
            Layer::Eth => "Ethernet",
            Layer::Ip => "IPv4",
            Layer::Ipv6 => "IPv6",
            Layer::Tcp => "TCP",
            Layer::Udp => "UDP",
        }
    }

    /// TCP and UDP rows show ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Layer::Tcp | Layer::Udp)
    }
}

/// An address of any of the layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    Mac([u8; 6]),
    V4([u8; 4]),
    V6([u8; 16]),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            Addr::V4(a) => std::net::Ipv4Addr::from(*a).fmt(f),
            Addr::V6(a) => std::net::Ipv6Addr::from(*a).fmt(f),
        }
    }
}

/// An address and a port (0 where the layer has none).
pub type Socket = (Addr, u16);

/// What one frame contributes to a table of `layer`, if anything:
/// source, destination.
pub fn sockets(pkt: &Packet<'_>, layer: Layer) -> Option<(Socket, Socket)> {
    let d = &pkt.decoded;
    let ip = || -> Option<(Addr, Addr)> {
        match &d.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                Some((Addr::V4(h.source()), Addr::V4(h.destination())))
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let h = v6.header();
                Some((Addr::V6(h.source()), Addr::V6(h.destination())))
            }
            _ => None,
        }
    };
    match layer {
        Layer::Eth => match d.link.header {
            LinkHeader::Ethernet { src, dst, .. } => {
                Some(((Addr::Mac(src), 0), (Addr::Mac(dst), 0)))
            }
            _ => None,
        },
        Layer::Ip => match ip()? {
            (s @ Addr::V4(_), t) => Some(((s, 0), (t, 0))),
            _ => None,
        },
        Layer::Ipv6 => match ip()? {
            (s @ Addr::V6(_), t) => Some(((s, 0), (t, 0))),
            _ => None,
        },
        Layer::Tcp => match &d.transport {
            Some(TransportSlice::Tcp(t)) => {
                let (s, r) = ip()?;
                Some(((s, t.source_port()), (r, t.destination_port())))
            }
            _ => None,
        },
        Layer::Udp => match &d.transport {
            Some(TransportSlice::Udp(u)) => {
                let (s, r) = ip()?;
                Some(((s, u.source_port()), (r, u.destination_port())))
            }
            _ => None,
        },
    }
}

/// Frames and bytes one way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub frames: u64,
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, bytes: u32) {
        self.frames += 1;
        self.bytes += u64::from(bytes);
    }
}

/// One conversation.
#[derive(Debug, Clone)]
pub struct ConvRow {
    /// The first frame's source.
    pub a: Socket,
    pub b: Socket,
    /// A to B (tshark's `tx`, the "->" column).
    pub ab: Count,
    /// B to A ("<-").
    pub ba: Count,
    /// Relative times (ns) of the earliest and latest frame.
    pub start: i128,
    pub stop: i128,
}

impl ConvRow {
    pub fn frames(&self) -> u64 {
        self.ab.frames + self.ba.frames
    }
}

/// `-z conv,eth|ip|ipv6|udp`.
#[derive(Debug, Clone)]
pub struct Conversations {
    pub layer: Layer,
    pub rows: Vec<ConvRow>,
    index: FxHashMap<(Socket, Socket), usize>,
}

impl Conversations {
    pub fn new(layer: Layer) -> Self {
        Conversations {
            layer,
            rows: Vec::new(),
            index: FxHashMap::default(),
        }
    }

    pub fn add(&mut self, pkt: &Packet<'_>) {
        let Some((src, dst)) = sockets(pkt, self.layer) else {
            return;
        };
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let t = pkt.frame.rel_nanos;
        let i = *self.index.entry(key).or_insert_with(|| {
            self.rows.push(ConvRow {
                a: src,
                b: dst,
                ab: Count::default(),
                ba: Count::default(),
                start: t,
                stop: t,
            });
            self.rows.len() - 1
        });
        let row = &mut self.rows[i];
        if src == row.a && dst == row.b {
            row.ab.add(pkt.frame.orig_len);
        } else {
            row.ba.add(pkt.frame.orig_len);
        }
        if t > row.stop {
            row.stop = t;
        } else if t < row.start {
            row.start = t;
        }
    }
}

/// One endpoint.
#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub socket: Socket,
    pub tx: Count,
    pub rx: Count,
}

impl EndpointRow {
    pub fn frames(&self) -> u64 {
        self.tx.frames + self.rx.frames
    }
}

/// `-z endpoints,eth|ip|ipv6|tcp|udp`.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub layer: Layer,
    pub rows: Vec<EndpointRow>,
    index: FxHashMap<Socket, usize>,
}

impl Endpoints {
    pub fn new(layer: Layer) -> Self {
        Endpoints {
            layer,
            rows: Vec::new(),
            index: FxHashMap::default(),
        }
    }

    pub fn add(&mut self, pkt: &Packet<'_>) {
        let Some((src, dst)) = sockets(pkt, self.layer) else {
            return;
        };
        let len = pkt.frame.orig_len;
        self.row(src).tx.add(len);
        self.row(dst).rx.add(len);
    }

    fn row(&mut self, socket: Socket) -> &mut EndpointRow {
        let i = *self.index.entry(socket).or_insert_with(|| {
            self.rows.push(EndpointRow {
                socket,
                tx: Count::default(),
                rx: Count::default(),
            });
            self.rows.len() - 1
        });
        &mut self.rows[i]
    }
}

/// tshark's order of a table: most frames first, ties in order of first
/// appearance (its draw loop takes one distinct count at a time).
pub fn by_frames<T>(rows: &[T], frames: impl Fn(&T) -> u64) -> Vec<&T> {
    let mut order: Vec<&T> = rows.iter().filter(|r| frames(r) > 0).collect();
    order.sort_by_key(|r| std::cmp::Reverse(frames(r)));
    order
}
