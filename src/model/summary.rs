//! The packet-list columns (Source, Destination, Protocol, Info), computed the
//! way Wireshark's dissectors fill them, for the fast path: no field tree, no
//! allocation once the buffers have grown.
//!
//! Later layers (TCP analysis, HTTP/HTCPCP/TLS) add to [`Columns`] in the same
//! order Wireshark's dissectors do: analysis flags are prepended to the TCP
//! Info, an application dissector replaces Protocol and Info.

use super::Packet;
use crate::link::{self, LinkHeader, Payload};
use etherparse::{Icmpv4Type, Icmpv6Type, LaxNetSlice, TcpSlice, TransportSlice};
use std::fmt::Write;

/// Reusable column buffers.
#[derive(Default, Debug, Clone)]
pub struct Columns {
    pub source: String,
    pub destination: String,
    pub protocol: String,
    pub info: String,
    /// The IP addresses `source`/`destination` were last formatted from:
    /// captures repeat the same few hosts, so formatting is mostly skipped.
    source_ip: Option<IpKey>,
    destination_ip: Option<IpKey>,
}

/// An IPv4 or IPv6 address as raw bytes (IPv4 in the first 4, flagged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpKey {
    v6: bool,
    bytes: [u8; 16],
}

impl IpKey {
    fn v4(a: [u8; 4]) -> Self {
        let mut bytes = [0; 16];
        bytes[..4].copy_from_slice(&a);
        IpKey { v6: false, bytes }
    }
}

impl Columns {
    pub fn clear(&mut self) {
        self.source.clear();
        self.destination.clear();
        self.source_ip = None;
        self.destination_ip = None;
        self.protocol.clear();
        self.info.clear();
    }

    /// Sets an address column from an IP address unless it already shows it.
    fn set_ip(column: &mut String, cached: &mut Option<IpKey>, key: IpKey) {
        if *cached == Some(key) {
            return;
        }
        column.clear();
        if key.v6 {
            let _ = write!(column, "{}", std::net::Ipv6Addr::from(key.bytes));
        } else {
            write_ipv4(
                column,
                [key.bytes[0], key.bytes[1], key.bytes[2], key.bytes[3]],
            );
        }
        *cached = Some(key);
    }

    fn set_ips(&mut self, src: IpKey, dst: IpKey) {
        Self::set_ip(&mut self.source, &mut self.source_ip, src);
        Self::set_ip(&mut self.destination, &mut self.destination_ip, dst);
    }
}

/// Fills `cols` for `pkt`.
pub fn fill(pkt: &Packet<'_>, cols: &mut Columns) {
    cols.protocol.clear();
    cols.info.clear();
    let d = &pkt.decoded;
    if !matches!(
        d.net,
        Some(LaxNetSlice::Ipv4(_)) | Some(LaxNetSlice::Ipv6(_))
    ) {
        cols.clear();
    }
    // Link-level defaults, overwritten by the network layer when there is one.
    match d.link.header {
        // MACs are the addresses only when no network layer follows
        // (formatting them for every IP packet was a third of the fast path).
        LinkHeader::Ethernet { src, dst, .. } if d.net.is_none() => {
            let _ = write!(cols.source, "{}", link::Mac(&src));
            let _ = write!(cols.destination, "{}", link::Mac(&dst));
        }
        LinkHeader::Unknown { link_type } => {
            cols.protocol.push_str("UNKNOWN");
            let _ = write!(cols.info, "Unknown link type {link_type}");
            return;
        }
        LinkHeader::Truncated { link_type, .. } => {
            cols.protocol.push_str(link_protocol(link_type));
            cols.info.push_str("[Malformed Packet]");
            return;
        }
        _ => {}
    }
    let Some(net) = &d.net else {
        match d.link.payload {
            Payload::EtherType(t) => {
                cols.protocol.push_str(link_protocol(pkt.frame.link_type));
                let _ = write!(cols.info, "Ethertype 0x{t:04x}");
                if d.stop.is_some() {
                    cols.info.push_str(" [Malformed Packet]");
                }
            }
            Payload::AddressFamily(af) => {
                cols.protocol.push_str("NULL");
                let _ = write!(cols.info, "Unknown address family {af}");
            }
            Payload::None => {
                cols.protocol.push_str(link_protocol(pkt.frame.link_type));
                cols.info.push_str("[Malformed Packet]");
            }
        }
        return;
    };
    let ttl;
    match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            cols.set_ips(IpKey::v4(h.source()), IpKey::v4(h.destination()));
            ttl = h.ttl();
            if v4.is_payload_fragmented() {
                cols.protocol.push_str("IPv4");
                let _ = write!(
                    cols.info,
                    "Fragmented IP protocol (proto={} {}, off={}, ID={:04x})",
                    ip_proto_name(h.protocol().0),
                    h.protocol().0,
                    u16::from(h.fragments_offset()) as u32 * 8,
                    h.identification()
                );
                return;
            }
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            cols.set_ips(
                IpKey {
                    v6: true,
                    bytes: h.source(),
                },
                IpKey {
                    v6: true,
                    bytes: h.destination(),
                },
            );
            ttl = h.hop_limit();
            if v6.is_payload_fragmented() {
                cols.protocol.push_str("IPv6");
                cols.info.push_str("IPv6 fragment");
                return;
            }
        }
        LaxNetSlice::Arp(arp) => {
            cols.protocol.push_str("ARP");
            let _ = write!(cols.info, "ARP operation {}", arp.operation().0);
            return;
        }
    }
    match &d.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let app = pkt.app.as_deref();
            cols.protocol
                .push_str(app.and_then(|a| a.protocol).unwrap_or("TCP"));
            match (app.and_then(|a| a.info.as_deref()), &pkt.tcp) {
                (Some(text), _) => cols.info.push_str(text),
                (None, Some(meta)) => tcp_info(&mut cols.info, tcp, meta),
                (None, None) => {}
            }
            if app.is_some_and(|a| a.pdu_continues) {
                // Wireshark's separator is only put after existing text.
                if !cols.info.is_empty() {
                    cols.info.push(' ');
                }
                cols.info.push_str("[TCP segment of a reassembled PDU]");
            }
        }
        Some(TransportSlice::Udp(udp)) => {
            cols.protocol.push_str("UDP");
            let _ = write!(
                cols.info,
                "{} \u{2192} {} Len={}",
                udp.source_port(),
                udp.destination_port(),
                udp.payload().len()
            );
        }
        Some(TransportSlice::Icmpv4(icmp)) => {
            cols.protocol.push_str("ICMP");
            icmpv4_info(&mut cols.info, icmp, ttl);
        }
        Some(TransportSlice::Icmpv6(icmp)) => {
            cols.protocol.push_str("ICMPv6");
            icmpv6_info(&mut cols.info, icmp);
        }
        Some(TransportSlice::Igmp(_)) => {
            cols.protocol.push_str("IGMP");
        }
        None => {
            let (version, proto) = match net {
                LaxNetSlice::Ipv4(v4) => ("IPv4", v4.payload_ip_number().0),
                LaxNetSlice::Ipv6(v6) => ("IPv6", v6.payload().ip_number.0),
                LaxNetSlice::Arp(_) => ("ARP", 0),
            };
            cols.protocol.push_str(version);
            if d.stop.is_some() {
                let _ = write!(cols.info, "{} [Malformed Packet]", ip_proto_name(proto));
            } else {
                let _ = write!(cols.info, "Unknown IP protocol {proto}");
            }
        }
    }
}

fn link_protocol(link_type: u32) -> &'static str {
    match link_type {
        link::linktype::ETHERNET => "Ethernet",
        link::linktype::NULL | link::linktype::LOOP => "NULL",
        link::linktype::LINUX_SLL => "SLL",
        link::linktype::LINUX_SLL2 => "SLL2",
        _ => "Raw",
    }
}

pub fn write_ipv4(out: &mut String, a: [u8; 4]) {
    // Digits written into one stack buffer and pushed once: every packet
    // line and `http` row has two addresses, and a push per octet and dot
    // cost three times as much.
    let mut text = [0u8; 15];
    let mut n = 0;
    for (i, &b) in a.iter().enumerate() {
        if i > 0 {
            text[n] = b'.';
            n += 1;
        }
        if b >= 100 {
            text[n] = b'0' + b / 100;
            n += 1;
        }
        if b >= 10 {
            text[n] = b'0' + b / 10 % 10;
            n += 1;
        }
        text[n] = b'0' + b % 10;
        n += 1;
    }
    out.push_str(std::str::from_utf8(&text[..n]).unwrap_or_default());
}

pub fn ip_proto_name(p: u8) -> &'static str {
    match p {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        50 => "ESP",
        58 => "ICMPv6",
        132 => "SCTP",
        _ => "Unknown",
    }
}

/// Wireshark's names of the TCP flags in bit order (FIN first).
const FLAG_NAMES: [&str; 9] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"];

/// The flags as Wireshark lists them in Info: `SYN, ACK`, or `<None>`.
pub fn write_flag_names(out: &mut String, flags: u16) {
    if let Some(text) = common_flag_names(flags) {
        out.push_str(text);
        return;
    }
    let mut first = true;
    for (bit, name) in FLAG_NAMES.iter().enumerate() {
        if flags & (1 << bit) != 0 {
            if !first {
                out.push_str(", ");
            }
            out.push_str(name);
            first = false;
        }
    }
    if first {
        out.push_str("<None>");
    }
}

/// The Info text of the flag combinations TCP sends all the time, without
/// walking the nine flags.
fn common_flag_names(flags: u16) -> Option<&'static str> {
    Some(match flags {
        0x010 => "ACK",
        0x018 => "PSH, ACK",
        0x002 => "SYN",
        0x012 => "SYN, ACK",
        0x011 => "FIN, ACK",
        0x019 => "FIN, PSH, ACK",
        0x004 => "RST",
        0x014 => "RST, ACK",
        _ => return None,
    })
}

/// TCP Info text: `55433 → 5031 [SYN] Seq=0 Win=65535 Len=0 MSS=16344 ...`.
pub fn tcp_info(out: &mut String, tcp: &TcpSlice<'_>, meta: &crate::flow::TcpMeta) {
    let mut n = itoa::Buffer::new();
    meta.analysis.write_info_prefix(out);
    out.push_str(n.format(tcp.source_port()));
    out.push_str(" \u{2192} ");
    out.push_str(n.format(tcp.destination_port()));
    out.push_str(" [");
    let flags = crate::flow::tcp_flags_u16(tcp);
    write_flag_names(out, flags);
    out.push_str("] Seq=");
    out.push_str(n.format(meta.seq_shown()));
    if let Some(ack) = meta.ack_shown() {
        out.push_str(" Ack=");
        out.push_str(n.format(ack));
    }
    out.push_str(" Win=");
    out.push_str(n.format(meta.window));
    out.push_str(" Len=");
    out.push_str(n.format(tcp.payload().len()));
    if tcp.urg() {
        out.push_str(" Urg=");
        out.push_str(n.format(tcp.urgent_pointer()));
    }
    // TCP options read by hand: etherparse's iterator validates more than the
    // Info text needs and stops at the first unknown kind, which Wireshark
    // skips (measured: a sixth of the per-packet cost of the list).
    let opts = tcp.options();
    let be32 = |at: usize| u32::from_be_bytes([opts[at], opts[at + 1], opts[at + 2], opts[at + 3]]);
    let mut i = 0;
    while i < opts.len() {
        let kind = opts[i];
        match kind {
            0 => break,
            1 => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&len) = opts.get(i + 1) else { break };
        let len = len as usize;
        if len < 2 || i + len > opts.len() {
            break;
        }
        match (kind, len) {
            (2, 4) => {
                out.push_str(" MSS=");
                out.push_str(n.format(u16::from_be_bytes([opts[i + 2], opts[i + 3]])));
            }
            (3, 3) => {
                out.push_str(" WS=");
                out.push_str(n.format(1u32 << opts[i + 2].min(14)));
            }
            (4, 2) => out.push_str(" SACK_PERM"),
            (5, _) if (len - 2) % 8 == 0 => {
                for edge in (i + 2..i + len).step_by(8) {
                    out.push_str(" SLE=");
                    out.push_str(n.format(be32(edge).wrapping_sub(meta.sack_base())));
                    out.push_str(" SRE=");
                    out.push_str(n.format(be32(edge + 4).wrapping_sub(meta.sack_base())));
                }
            }
            (8, 10) => {
                out.push_str(" TSval=");
                out.push_str(n.format(be32(i + 2)));
                out.push_str(" TSecr=");
                out.push_str(n.format(be32(i + 6)));
            }
            _ => {}
        }
        i += len;
    }
}

fn icmpv4_info(out: &mut String, icmp: &etherparse::Icmpv4Slice<'_>, ttl: u8) {
    match icmp.icmp_type() {
        Icmpv4Type::EchoRequest(e) | Icmpv4Type::EchoReply(e) => {
            let what = if matches!(icmp.icmp_type(), Icmpv4Type::EchoRequest(_)) {
                "request"
            } else {
                "reply  "
            };
            let _ = write!(
                out,
                "Echo (ping) {what} id=0x{:04x}, seq={}/{}, ttl={ttl}",
                e.id,
                e.seq,
                e.seq.swap_bytes()
            );
        }
        Icmpv4Type::DestinationUnreachable(_) => out.push_str("Destination unreachable"),
        Icmpv4Type::TimeExceeded(_) => out.push_str("Time-to-live exceeded"),
        _ => {
            let _ = write!(out, "Type {} Code {}", icmp.type_u8(), icmp.code_u8());
        }
    }
}

fn icmpv6_info(out: &mut String, icmp: &etherparse::Icmpv6Slice<'_>) {
    match icmp.icmp_type() {
        Icmpv6Type::EchoRequest(e) => {
            let _ = write!(out, "Echo (ping) request id=0x{:04x}, seq={}", e.id, e.seq);
        }
        Icmpv6Type::EchoReply(e) => {
            let _ = write!(out, "Echo (ping) reply id=0x{:04x}, seq={}", e.id, e.seq);
        }
        Icmpv6Type::DestinationUnreachable(_) => out.push_str("Destination Unreachable"),
        _ => {
            let _ = write!(out, "Type {} Code {}", icmp.type_u8(), icmp.code_u8());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_text_is_the_dotted_quad() {
        let mut out = String::new();
        for b in 0..=255u8 {
            for a in [
                [b, 0, 9, 255],
                [10, b, 100, 1],
                [127, 0, b, 99],
                [1, 22, 200, b],
            ] {
                out.clear();
                write_ipv4(&mut out, a);
                assert_eq!(out, std::net::Ipv4Addr::from(a).to_string());
            }
        }
    }
}
