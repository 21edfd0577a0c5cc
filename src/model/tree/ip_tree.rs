//! The network layers of the field tree: `ip` (IPv4, RFC 791) and `ipv6`
//! (RFC 8200), with Wireshark's names and labels.

use super::*;
use crate::model::summary::ip_proto_name;
use std::net::Ipv4Addr;

pub(super) fn ipv4_layer(pkt: &Packet<'_>, v4: &etherparse::LaxIpv4Slice<'_>) -> Layer {
    let h = v4.header();
    let start = pkt.decoded.offset_of(h.slice());
    let src = Ipv4Addr::from(h.source());
    let dst = Ipv4Addr::from(h.destination());
    let flags = (h.slice()[6] >> 5) & 0x7;
    let proto = h.protocol().0;
    let frag_off = u16::from(h.fragments_offset()) as u64;
    let mut fields = vec![
        uint("ip.version", "Version", 4, start, 1),
        Field::new(
            "ip.hdr_len",
            Value::UInt(h.ihl() as u64 * 4),
            format!("Header Length: {} bytes ({})", h.ihl() as u32 * 4, h.ihl()),
            start,
            1,
        ),
        Field::new(
            "ip.dsfield",
            Value::Hex(h.slice()[1] as u64, 2),
            format!("Differentiated Services Field: 0x{:02x}", h.slice()[1]),
            start + 1,
            1,
        ),
        uint("ip.len", "Total Length", h.total_len() as u64, start + 2, 2),
        Field::new(
            "ip.id",
            Value::Hex(h.identification() as u64, 4),
            format!("Identification: 0x{0:04x} ({0})", h.identification()),
            start + 4,
            2,
        ),
        Field::new(
            "ip.flags",
            Value::Hex(flags as u64, 2),
            format!("Flags: 0x{flags:x}"),
            start + 6,
            1,
        )
        .with(vec![
            Field::new(
                "ip.flags.rb",
                Value::Bool(flags & 4 != 0),
                format!("Reserved bit: {}", set(flags & 4 != 0)),
                start + 6,
                1,
            ),
            Field::new(
                "ip.flags.df",
                Value::Bool(h.dont_fragment()),
                format!("Don't fragment: {}", set(h.dont_fragment())),
                start + 6,
                1,
            ),
            Field::new(
                "ip.flags.mf",
                Value::Bool(h.more_fragments()),
                format!("More fragments: {}", set(h.more_fragments())),
                start + 6,
                1,
            ),
        ]),
        uint(
            "ip.frag_offset",
            "Fragment Offset",
            frag_off * 8,
            start + 6,
            2,
        ),
        uint("ip.ttl", "Time to Live", h.ttl() as u64, start + 8, 1),
        Field::new(
            "ip.proto",
            Value::UInt(proto as u64),
            format!("Protocol: {} ({proto})", ip_proto_name(proto)),
            start + 9,
            1,
        ),
        Field::new(
            "ip.checksum",
            Value::Hex(h.header_checksum() as u64, 4),
            format!(
                "Header Checksum: 0x{:04x} [validation disabled]",
                h.header_checksum()
            ),
            start + 10,
            2,
        ),
        Field::new(
            "ip.src",
            Value::Ipv4(src),
            format!("Source Address: {src}"),
            start + 12,
            4,
        ),
        Field::new(
            "ip.dst",
            Value::Ipv4(dst),
            format!("Destination Address: {dst}"),
            start + 16,
            4,
        ),
    ];
    if v4.is_payload_fragmented() {
        fields.push(Field::text(
            "[Fragment: not reassembled (IP reassembly is not implemented yet)]".into(),
            start,
            0,
        ));
    }
    Layer {
        proto: "ip",
        label: format!("Internet Protocol Version 4, Src: {src}, Dst: {dst}"),
        start,
        len: h.slice().len() + v4.payload().payload.len(),
        fields,
    }
}

pub(super) fn set(b: bool) -> &'static str {
    if b {
        "Set"
    } else {
        "Not set"
    }
}

pub(super) fn ipv6_layer(pkt: &Packet<'_>, v6: &etherparse::LaxIpv6Slice<'_>) -> Layer {
    let h = v6.header();
    let start = pkt.decoded.offset_of(h.slice());
    let src = h.source_addr();
    let dst = h.destination_addr();
    let nxt = h.next_header().0;
    // Wireshark's IPv6 dissector also adds a hidden `ip.version`, so that
    // `ip.version == 6` matches IPv6 packets.
    let mut ip_version = uint("ip.version", "Version", 6, start, 1);
    ip_version.hidden = true;
    ip_version.label =
        "Version: 6 [This field makes the filter match on \"ip.version == 6\" possible]".into();
    let mut fields = vec![
        uint("ipv6.version", "Version", 6, start, 1),
        ip_version,
        Field::new(
            "ipv6.tclass",
            // Shown as tshark shows it: the 32-bit word's width.
            Value::Hex(h.traffic_class() as u64, 8),
            format!("Traffic Class: 0x{:02x}", h.traffic_class()),
            start,
            2,
        ),
        Field::new(
            "ipv6.flow",
            Value::Hex(u32::from(h.flow_label()) as u64, 6),
            format!("Flow Label: 0x{:05x}", u32::from(h.flow_label())),
            start + 1,
            3,
        ),
        uint(
            "ipv6.plen",
            "Payload Length",
            h.payload_length() as u64,
            start + 4,
            2,
        ),
        Field::new(
            "ipv6.nxt",
            Value::UInt(nxt as u64),
            format!("Next Header: {} ({nxt})", ip_proto_name(nxt)),
            start + 6,
            1,
        ),
        uint("ipv6.hlim", "Hop Limit", h.hop_limit() as u64, start + 7, 1),
        Field::new(
            "ipv6.src",
            Value::Ipv6(src),
            format!("Source Address: {src}"),
            start + 8,
            16,
        ),
        Field::new(
            "ipv6.dst",
            Value::Ipv6(dst),
            format!("Destination Address: {dst}"),
            start + 24,
            16,
        ),
    ];
    let mut at = start + 40;
    for ext in v6.extensions().clone().into_iter() {
        let bytes: &[u8] = match &ext {
            etherparse::Ipv6ExtensionSlice::HopByHop(e) => e.slice(),
            etherparse::Ipv6ExtensionSlice::Routing(e) => e.slice(),
            etherparse::Ipv6ExtensionSlice::Fragment(e) => e.slice(),
            etherparse::Ipv6ExtensionSlice::DestinationOptions(e) => e.slice(),
            etherparse::Ipv6ExtensionSlice::Authentication(e) => e.slice(),
        };
        let len = bytes.len();
        let label = match ext {
            etherparse::Ipv6ExtensionSlice::HopByHop(_) => "IPv6 Hop-by-Hop Option",
            etherparse::Ipv6ExtensionSlice::Routing(_) => "Routing Header",
            etherparse::Ipv6ExtensionSlice::Fragment(_) => "Fragment Header",
            etherparse::Ipv6ExtensionSlice::DestinationOptions(_) => "Destination Options for IPv6",
            etherparse::Ipv6ExtensionSlice::Authentication(_) => "Authentication Header",
        };
        fields.push(Field::text(label.to_string(), at, len).with(vec![uint(
            "ipv6.opt.nxt",
            "Next Header",
            bytes.first().copied().unwrap_or(0) as u64,
            at,
            1,
        )]));
        at += len;
    }
    Layer {
        proto: "ipv6",
        label: format!("Internet Protocol Version 6, Src: {src}, Dst: {dst}"),
        start,
        len: 40 + h.payload_length() as usize,
        fields,
    }
}
