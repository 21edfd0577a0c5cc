//! The link layers of the field tree (`eth`, `vlan`, `null`, `sll`, `raw`),
//! with Wireshark's names and labels.

use super::*;
use crate::link::{self, LinkHeader, Payload};

pub(super) fn mac_field(name: &'static str, label: &str, m: [u8; 6], start: usize) -> Field {
    Field::new(
        name,
        Value::Mac(m),
        format!("{label}: {}", link::Mac(&m)),
        start,
        6,
    )
}

pub(super) fn ethertype_label(t: u16) -> String {
    match link::ethertype_name(t) {
        Some(n) => format!("Type: {n} (0x{t:04x})"),
        None => format!("Type: Unknown (0x{t:04x})"),
    }
}

pub(super) fn link_layer(pkt: &Packet<'_>) -> Option<Layer> {
    let d = &pkt.decoded;
    let len = d.link.header_len;
    Some(match d.link.header {
        LinkHeader::Ethernet {
            dst,
            src,
            ethertype,
            vlans,
        } => {
            let mut fields = vec![
                mac_field("eth.dst", "Destination", dst, 0),
                mac_field("eth.src", "Source", src, 6),
                Field::new(
                    "eth.type",
                    Value::Hex(ethertype as u64, 4),
                    ethertype_label(ethertype),
                    12,
                    2,
                ),
            ];
            for (i, tag) in vlans.iter().flatten().enumerate() {
                let at = 14 + i * 4;
                fields.push(
                    Field::text(
                        format!(
                            "802.1Q Virtual LAN, PRI: {}, DEI: {}, ID: {}",
                            tag.priority, tag.dei as u8, tag.id
                        ),
                        at,
                        4,
                    )
                    .with(vec![
                        uint("vlan.priority", "Priority", tag.priority as u64, at, 2),
                        Field::new(
                            "vlan.dei",
                            Value::Bool(tag.dei),
                            format!("DEI: {}", tag.dei as u8),
                            at,
                            2,
                        ),
                        uint("vlan.id", "ID", tag.id as u64, at, 2),
                        Field::new(
                            "vlan.etype",
                            Value::Hex(tag.inner_type as u64, 4),
                            ethertype_label(tag.inner_type),
                            at + 2,
                            2,
                        ),
                    ]),
                );
            }
            Layer {
                proto: "eth",
                label: format!(
                    "Ethernet II, Src: {} ({}), Dst: {} ({})",
                    link::Mac(&src),
                    link::Mac(&src),
                    link::Mac(&dst),
                    link::Mac(&dst)
                ),
                start: 0,
                len,
                fields,
            }
        }
        LinkHeader::Null { family, .. } => {
            let name = match d.link.payload {
                Payload::EtherType(link::ethertype::IPV4) => "IP",
                Payload::EtherType(link::ethertype::IPV6) => "IPv6",
                _ => "Unknown",
            };
            Layer {
                proto: "null",
                label: "Null/Loopback".into(),
                start: 0,
                len,
                fields: vec![Field::new(
                    "null.family",
                    Value::UInt(family as u64),
                    format!("Family: {name} ({family})"),
                    0,
                    4,
                )],
            }
        }
        LinkHeader::LinuxSll {
            packet_type,
            hatype,
            addr_len,
            addr,
            protocol,
        } => Layer {
            proto: "sll",
            label: "Linux cooked capture v1".into(),
            start: 0,
            len,
            fields: vec![
                uint("sll.pkttype", "Packet type", packet_type as u64, 0, 2),
                uint("sll.hatype", "Link-layer address type", hatype as u64, 2, 2),
                uint(
                    "sll.halen",
                    "Link-layer address length",
                    addr_len as u64,
                    4,
                    2,
                ),
                Field::new(
                    "sll.src.eth",
                    Value::Bytes(addr[..(addr_len as usize).min(8)].to_vec()),
                    format!("Source: {}", link::Mac(&addr[..(addr_len as usize).min(8)])),
                    6,
                    8,
                ),
                Field::new(
                    "sll.etype",
                    Value::Hex(protocol as u64, 4),
                    format!(
                        "Protocol: {} (0x{protocol:04x})",
                        link::ethertype_name(protocol).unwrap_or("Unknown")
                    ),
                    14,
                    2,
                ),
            ],
        },
        LinkHeader::LinuxSll2 {
            protocol,
            ifindex,
            hatype,
            packet_type,
            addr_len,
            addr,
        } => Layer {
            proto: "sll",
            label: "Linux cooked capture v2".into(),
            start: 0,
            len,
            fields: vec![
                Field::new(
                    "sll.etype",
                    Value::Hex(protocol as u64, 4),
                    format!(
                        "Protocol: {} (0x{protocol:04x})",
                        link::ethertype_name(protocol).unwrap_or("Unknown")
                    ),
                    0,
                    2,
                ),
                uint("sll.ifindex", "Interface index", ifindex as u64, 4, 4),
                uint("sll.hatype", "Link-layer address type", hatype as u64, 8, 2),
                uint("sll.pkttype", "Packet type", packet_type as u64, 10, 1),
                uint(
                    "sll.halen",
                    "Link-layer address length",
                    addr_len as u64,
                    11,
                    1,
                ),
                Field::new(
                    "sll.src.eth",
                    Value::Bytes(addr[..(addr_len as usize).min(8)].to_vec()),
                    format!("Source: {}", link::Mac(&addr[..(addr_len as usize).min(8)])),
                    12,
                    8,
                ),
            ],
        },
        LinkHeader::Raw => Layer {
            proto: "raw",
            label: "Raw packet data".into(),
            start: 0,
            len: 0,
            fields: vec![],
        },
        LinkHeader::Unknown { link_type } => Layer {
            proto: "unknown",
            label: format!("Unknown link type {link_type}"),
            start: 0,
            len: 0,
            fields: vec![],
        },
        LinkHeader::Truncated { link_type, needed } => Layer {
            proto: "_ws.malformed",
            label: format!(
                "[Malformed Packet: {} header needs {needed} bytes]",
                link::encapsulation_name(link_type)
            ),
            start: 0,
            len: d.data.len(),
            fields: vec![],
        },
    })
}
