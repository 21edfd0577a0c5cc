//! Builds the per-packet field tree ([`super::field`]): the frame, link, IP
//! and TCP/UDP layers here, as Wireshark's dissectors name and label their
//! fields, then the application layers from [`super::app_tree`]. Built only
//! when a view needs it (`-V`, `-T json`, a filter on a field the fast path
//! lacks), never on the packet-list fast path.

pub use super::field::{Field, Layer, Tree, Value};
use super::Packet;
use crate::link::{self, LinkHeader, Payload};
use crate::model::summary::{ip_proto_name, write_flag_names};
use crate::source::time::write_seconds;
use etherparse::{LaxNetSlice, TcpOptionElement, TransportSlice};
use std::net::Ipv4Addr;

fn uint(name: &'static str, label: &str, v: u64, start: usize, len: usize) -> Field {
    Field::new(name, Value::UInt(v), format!("{label}: {v}"), start, len)
}

fn secs_label(nanos: i128, digits: usize) -> String {
    let mut s = String::new();
    write_seconds(&mut s, nanos, digits);
    s
}

/// Builds the full field tree of a packet.
pub fn build(pkt: &Packet<'_>) -> Tree {
    let mut layers = vec![frame_layer(pkt)];
    let d = &pkt.decoded;
    let link_end = d.link.header_len.min(d.data.len());
    if let Some(l) = link_layer(pkt) {
        layers.push(l);
    }
    // `frame.protocols` lists the dissectors Wireshark runs, "ethertype" included.
    let mut protocols: Vec<&str> = Vec::new();
    match d.link.header {
        LinkHeader::Ethernet { vlans, .. } => {
            protocols.extend(["eth", "ethertype"]);
            for _ in vlans.iter().flatten() {
                protocols.extend(["vlan", "ethertype"]);
            }
        }
        LinkHeader::LinuxSll { .. } | LinkHeader::LinuxSll2 { .. } => {
            protocols.extend(["sll", "ethertype"])
        }
        LinkHeader::Null { .. } => protocols.push("null"),
        LinkHeader::Raw => protocols.push("raw"),
        _ => {}
    }
    match &d.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            layers.push(ipv4_layer(pkt, v4));
            protocols.push("ip");
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            layers.push(ipv6_layer(pkt, v6));
            protocols.push("ipv6");
        }
        Some(LaxNetSlice::Arp(_)) => protocols.push("arp"),
        None => {
            if d.data.len() > link_end {
                layers.push(data_layer(link_end, &d.data[link_end..]));
                protocols.push("data");
            }
        }
    }
    match &d.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let mut tcp_l = tcp_layer(pkt, tcp);
            protocols.push("tcp");
            let app = pkt
                .app
                .as_deref()
                .filter(|a| a.pdu_continues || !a.messages.is_empty());
            let payload = tcp.payload();
            let start = d.offset_of(payload);
            if let Some(app) = app {
                // Bytes handed to HTTP/HTCPCP/TLS: no `data` layer.
                if !payload.is_empty() {
                    tcp_l.fields.push(Field::new(
                        "tcp.segment_data",
                        Value::Bytes(payload.to_vec()),
                        format!("TCP segment data ({} bytes)", payload.len()),
                        start,
                        payload.len(),
                    ));
                }
                layers.push(tcp_l);
                super::app_tree::push_layers(
                    app,
                    super::app_tree::Span {
                        start,
                        len: payload.len(),
                    },
                    &mut layers,
                    &mut protocols,
                );
            } else {
                // Wireshark does not hand a retransmission's bytes to a
                // dissector (in-order protocols would be confused): they
                // stay in the TCP layer, and there is no `data` layer.
                let retransmitted = pkt.tcp.is_some_and(|m| {
                    m.analysis.flags
                        & (crate::flow::analysis::flag::RETRANSMISSION
                            | crate::flow::analysis::flag::FAST_RETRANSMISSION)
                        != 0
                });
                if retransmitted && !payload.is_empty() {
                    tcp_l.fields.push(Field::new(
                        "tcp.segment_data",
                        Value::Bytes(payload.to_vec()),
                        format!("Retransmitted TCP segment data ({} bytes)", payload.len()),
                        start,
                        payload.len(),
                    ));
                }
                layers.push(tcp_l);
                if !payload.is_empty() && !retransmitted {
                    layers.push(data_layer(start, payload));
                    protocols.push("data");
                }
            }
        }
        Some(TransportSlice::Udp(udp)) => {
            layers.push(udp_layer(pkt, udp));
            protocols.push("udp");
            if !udp.payload().is_empty() {
                let start = d.offset_of(udp.payload());
                layers.push(data_layer(start, udp.payload()));
                protocols.push("data");
            }
        }
        Some(TransportSlice::Icmpv4(icmp)) => {
            let bytes = icmp.slice();
            layers.push(icmp_layer(IcmpNames::V4, d.offset_of(bytes), bytes));
            protocols.push("icmp");
        }
        Some(TransportSlice::Icmpv6(icmp)) => {
            let bytes = icmp.slice();
            layers.push(icmp_layer(IcmpNames::V6, d.offset_of(bytes), bytes));
            protocols.push("icmpv6");
        }
        _ => {}
    }
    if let Some(frame) = layers.first_mut() {
        let list = protocols.join(":");
        frame.fields.push(Field::new(
            "frame.protocols",
            Value::Str(list.clone()),
            format!("[Protocols in frame: {list}]"),
            0,
            0,
        ));
    }
    Tree { layers }
}

fn frame_layer(pkt: &Packet<'_>) -> Layer {
    let f = &pkt.frame;
    // Field values carry full nanosecond precision (only the list column
    // follows the file's precision), as in tshark.
    let digits = 9;
    let iface = match pkt.interface_name {
        Some(name) => format!(" on interface {name}, id {}", f.interface_id),
        None => format!(" on interface {}", f.interface_id),
    };
    let label = format!(
        "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits){iface}",
        f.number,
        f.orig_len,
        f.orig_len as u64 * 8,
        f.cap_len,
        f.cap_len as u64 * 8
    );
    let epoch = secs_label(
        f.ts.secs as i128 * 1_000_000_000 + f.ts.nanos as i128,
        digits,
    );
    let mut fields = Vec::new();
    if f.section > 0 {
        fields.push(uint(
            "frame.section_number",
            "Section number",
            f.section as u64,
            0,
            0,
        ));
    }
    let mut iface_field = Field::new(
        "frame.interface_id",
        Value::UInt(f.interface_id as u64),
        match pkt.interface_name {
            Some(n) => format!("Interface id: {} ({n})", f.interface_id),
            None => format!("Interface id: {}", f.interface_id),
        },
        0,
        0,
    );
    if let Some(n) = pkt.interface_name {
        iface_field.children.push(Field::new(
            "frame.interface_name",
            Value::Str(n.to_string()),
            format!("Interface name: {n}"),
            0,
            0,
        ));
    }
    if let Some(n) = pkt.interface_description {
        iface_field.children.push(Field::new(
            "frame.interface_description",
            Value::Str(n.to_string()),
            format!("Interface description: {n}"),
            0,
            0,
        ));
    }
    fields.push(iface_field);
    let encap = link::wtap_encap(f.link_type);
    fields.push(Field::new(
        "frame.encap_type",
        Value::UInt(encap as u64),
        format!(
            "Encapsulation type: {} ({encap})",
            link::encapsulation_name(f.link_type)
        ),
        0,
        0,
    ));
    fields.push(Field::new(
        "frame.time_epoch",
        Value::Str(epoch.clone()),
        format!("Epoch Time: {epoch} seconds"),
        0,
        0,
    ));
    for (name, label, v) in [
        (
            "frame.time_delta",
            "Time delta from previous captured frame",
            f.delta_nanos,
        ),
        (
            "frame.time_relative",
            "Time since reference or first frame",
            f.rel_nanos,
        ),
    ] {
        fields.push(Field::new(
            name,
            Value::Seconds(v, digits as u8),
            format!("[{label}: {} seconds]", secs_label(v, digits)),
            0,
            0,
        ));
    }
    fields.push(uint("frame.number", "Frame Number", f.number, 0, 0));
    fields.push(Field::new(
        "frame.len",
        Value::UInt(f.orig_len as u64),
        format!(
            "Frame Length: {} bytes ({} bits)",
            f.orig_len,
            f.orig_len as u64 * 8
        ),
        0,
        0,
    ));
    fields.push(Field::new(
        "frame.cap_len",
        Value::UInt(f.cap_len as u64),
        format!(
            "Capture Length: {} bytes ({} bits)",
            f.cap_len,
            f.cap_len as u64 * 8
        ),
        0,
        0,
    ));
    Layer {
        proto: "frame",
        label,
        start: 0,
        len: f.cap_len as usize,
        fields,
    }
}

fn mac_field(name: &'static str, label: &str, m: [u8; 6], start: usize) -> Field {
    Field::new(
        name,
        Value::Mac(m),
        format!("{label}: {}", link::Mac(&m)),
        start,
        6,
    )
}

fn ethertype_label(t: u16) -> String {
    match link::ethertype_name(t) {
        Some(n) => format!("Type: {n} (0x{t:04x})"),
        None => format!("Type: Unknown (0x{t:04x})"),
    }
}

fn link_layer(pkt: &Packet<'_>) -> Option<Layer> {
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

fn ipv4_layer(pkt: &Packet<'_>, v4: &etherparse::LaxIpv4Slice<'_>) -> Layer {
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

fn set(b: bool) -> &'static str {
    if b {
        "Set"
    } else {
        "Not set"
    }
}

fn ipv6_layer(pkt: &Packet<'_>, v6: &etherparse::LaxIpv6Slice<'_>) -> Layer {
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
            Value::Hex(h.traffic_class() as u64, 2),
            format!("Traffic Class: 0x{:02x}", h.traffic_class()),
            start,
            2,
        ),
        Field::new(
            "ipv6.flow",
            Value::Hex(u32::from(h.flow_label()) as u64, 5),
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

fn tcp_layer(pkt: &Packet<'_>, tcp: &etherparse::TcpSlice<'_>) -> Layer {
    let d = &pkt.decoded;
    let start = d.offset_of(tcp.header_slice());
    let hlen = tcp.header_len();
    let plen = tcp.payload().len();
    let meta = pkt.tcp.unwrap_or(crate::flow::TcpMeta {
        stream: 0,
        rel_seq: 0,
        rel_ack: None,
        window: tcp.window_size() as u32,
        window_multiplier: None,
        next_seq: 0,
        port_reused: false,
        base_seq: 0,
        rev_base_seq: 0,
        analysis: Default::default(),
        completeness: 0,
        completeness_after: 0,
        time_relative: 0,
        time_delta: 0,
    });
    let flags = crate::flow::tcp_flags_u16(tcp);
    let mut flag_names = String::new();
    write_flag_names(&mut flag_names, flags);
    let bit = |name: &'static str, label: &str, mask: u16| {
        Field::new(
            name,
            Value::Bool(flags & mask != 0),
            format!("{label}: {}", set(flags & mask != 0)),
            start + 12,
            2,
        )
    };
    let mut fields = port_fields(
        PortNames::TCP,
        tcp.source_port(),
        tcp.destination_port(),
        start,
    );
    fields.extend([
        Field::new(
            "tcp.stream",
            Value::UInt(meta.stream as u64),
            format!("[Stream index: {}]", meta.stream),
            0,
            0,
        ),
        Field::new(
            "tcp.completeness",
            Value::UInt(meta.completeness as u64),
            format!(
                "[Conversation completeness: {}]",
                completeness_label(meta.completeness)
            ),
            0,
            0,
        ),
        Field::new(
            "tcp.len",
            Value::UInt(plen as u64),
            format!("[TCP Segment Len: {plen}]"),
            start + 12,
            1,
        ),
        Field::new(
            "tcp.seq",
            Value::UInt(meta.rel_seq as u64),
            format!(
                "Sequence Number: {}    (relative sequence number)",
                meta.rel_seq
            ),
            start + 4,
            4,
        ),
        uint(
            "tcp.seq_raw",
            "Sequence Number (raw)",
            tcp.sequence_number() as u64,
            start + 4,
            4,
        ),
        Field::new(
            "tcp.nxtseq",
            Value::UInt(meta.next_seq as u64),
            format!(
                "[Next Sequence Number: {}    (relative sequence number)]",
                meta.next_seq
            ),
            0,
            0,
        ),
    ]);
    match meta.rel_ack {
        Some(ack) => fields.push(Field::new(
            "tcp.ack",
            Value::UInt(ack as u64),
            format!("Acknowledgment Number: {ack}    (relative ack number)"),
            start + 8,
            4,
        )),
        // Without the ACK flag Wireshark shows the raw value, unrelativised.
        None => fields.push(uint(
            "tcp.ack",
            "Acknowledgment Number",
            tcp.acknowledgment_number() as u64,
            start + 8,
            4,
        )),
    }
    fields.push(uint(
        "tcp.ack_raw",
        "Acknowledgment number (raw)",
        tcp.acknowledgment_number() as u64,
        start + 8,
        4,
    ));
    fields.push(Field::new(
        "tcp.hdr_len",
        Value::UInt(hlen as u64),
        format!("Header Length: {hlen} bytes ({})", hlen / 4),
        start + 12,
        1,
    ));
    fields.push(
        Field::new(
            "tcp.flags",
            Value::Hex(flags as u64, 4),
            format!("Flags: 0x{flags:03x} ({flag_names})"),
            start + 12,
            2,
        )
        .with(vec![
            bit("tcp.flags.ae", "Accurate ECN", 0x100),
            bit("tcp.flags.cwr", "Congestion Window Reduced", 0x80),
            bit("tcp.flags.ece", "ECN-Echo", 0x40),
            bit("tcp.flags.urg", "Urgent", 0x20),
            bit("tcp.flags.ack", "Acknowledgment", 0x10),
            bit("tcp.flags.push", "Push", 0x08),
            bit("tcp.flags.reset", "Reset", 0x04),
            bit("tcp.flags.syn", "Syn", 0x02),
            bit("tcp.flags.fin", "Fin", 0x01),
            Field::new(
                "tcp.flags.str",
                Value::Str(flags_str(flags)),
                format!("[TCP Flags: {}]", flags_str(flags)),
                start + 12,
                2,
            ),
        ]),
    );
    fields.push(uint(
        "tcp.window_size_value",
        "Window",
        tcp.window_size() as u64,
        start + 14,
        2,
    ));
    fields.push(Field::new(
        "tcp.window_size",
        Value::UInt(meta.window as u64),
        format!("[Calculated window size: {}]", meta.window),
        start + 14,
        2,
    ));
    if let Some(m) = meta.window_multiplier {
        let note = match m {
            -1 => " (unknown)",
            -2 => " (no window scaling used)",
            _ => "",
        };
        fields.push(Field::new(
            "tcp.window_size_scalefactor",
            Value::Int(m.into()),
            format!("[Window size scaling factor: {m}{note}]"),
            0,
            0,
        ));
    }
    fields.push(Field::new(
        "tcp.checksum",
        Value::Hex(tcp.checksum() as u64, 4),
        format!("Checksum: 0x{:04x} [unverified]", tcp.checksum()),
        start + 16,
        2,
    ));
    fields.push(uint(
        "tcp.urgent_pointer",
        "Urgent Pointer",
        tcp.urgent_pointer() as u64,
        start + 18,
        2,
    ));
    if hlen > 20 {
        let mut opts = Vec::new();
        let mut names = String::new();
        let mut at = start + 20;
        for o in tcp.options_iterator() {
            // Each option's kind (and length, but for NOP), as Wireshark
            // shows them, then its own fields.
            let kind = |k: u64, name: &str| {
                Field::new(
                    "tcp.option_kind",
                    Value::UInt(k),
                    format!("Kind: {name} ({k})"),
                    at,
                    1,
                )
            };
            let length = |n: usize| uint("tcp.option_len", "Length", n as u64, at + 1, 1);
            let (label, len, children) = match o {
                Ok(TcpOptionElement::Noop) => (
                    "No-Operation (NOP)".to_string(),
                    1,
                    vec![kind(1, "No-Operation")],
                ),
                Ok(TcpOptionElement::MaximumSegmentSize(m)) => (
                    format!("Maximum segment size: {m} bytes"),
                    4,
                    vec![
                        kind(2, "Maximum Segment Size"),
                        length(4),
                        uint("tcp.options.mss_val", "MSS Value", m as u64, at + 2, 2),
                    ],
                ),
                Ok(TcpOptionElement::WindowScale(s)) => (
                    format!("Window scale: {s} (multiply by {})", 1u32 << s.min(14)),
                    3,
                    vec![
                        kind(3, "Window Scale"),
                        length(3),
                        uint(
                            "tcp.options.wscale.shift",
                            "Shift count",
                            s as u64,
                            at + 2,
                            1,
                        ),
                        Field::new(
                            "tcp.options.wscale.multiplier",
                            Value::UInt(1u64 << s.min(14)),
                            format!("[Multiplier: {}]", 1u64 << s.min(14)),
                            at + 2,
                            1,
                        ),
                    ],
                ),
                Ok(TcpOptionElement::SelectiveAcknowledgementPermitted) => (
                    "SACK permitted".to_string(),
                    2,
                    vec![kind(4, "SACK Permitted"), length(2)],
                ),
                Ok(TcpOptionElement::SelectiveAcknowledgement(first, rest)) => {
                    let blocks: Vec<(u32, u32)> = std::iter::once(first)
                        .chain(rest.into_iter().flatten())
                        .collect();
                    let len = 2 + 8 * blocks.len();
                    let text = blocks
                        .iter()
                        .map(|(l, r)| {
                            format!(
                                "{}-{}",
                                l.wrapping_sub(meta.rev_base_seq),
                                r.wrapping_sub(meta.rev_base_seq)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    (
                        format!("SACK {text}"),
                        len,
                        vec![
                            kind(5, "SACK"),
                            length(len),
                            uint(
                                "tcp.options.sack.count",
                                "[TCP SACK Count]",
                                blocks.len() as u64,
                                at,
                                len,
                            ),
                        ],
                    )
                }
                Ok(TcpOptionElement::Timestamp(v, e)) => (
                    format!("Timestamps: TSval {v}, TSecr {e}"),
                    10,
                    vec![
                        kind(8, "Time Stamp Option"),
                        length(10),
                        uint(
                            "tcp.options.timestamp.tsval",
                            "Timestamp value",
                            v as u64,
                            at + 2,
                            4,
                        ),
                        uint(
                            "tcp.options.timestamp.tsecr",
                            "Timestamp echo reply",
                            e as u64,
                            at + 6,
                            4,
                        ),
                    ],
                ),
                Err(_) => {
                    opts.push(Field::text(
                        "[Malformed or unknown option: options not decoded further]".into(),
                        at,
                        start + hlen - at,
                    ));
                    break;
                }
            };
            // The headline names each option (Wireshark's summary).
            let short = label.split(':').next().unwrap_or(&label);
            names.push_str(", ");
            names.push_str(if short.starts_with("SACK ") && short != "SACK permitted" {
                "SACK"
            } else {
                short
            });
            let mut option = Field::text(format!("TCP Option - {label}"), at, len).with(children);
            if label == "SACK permitted" {
                option.name = "tcp.options.sack_perm";
            }
            opts.push(option);
            at += len;
        }
        fields.push(
            Field::text(
                format!("Options: ({} bytes){names}", hlen - 20),
                start + 20,
                hlen - 20,
            )
            .with(opts),
        );
    }
    if meta.analysis.flags != 0 {
        fields.push(analysis_fields(&meta.analysis, start));
    }
    let digits = 9u8;
    fields.push(Field::text("[Timestamps]".into(), start, 0).with(vec![
        Field::new(
            "tcp.time_relative",
            Value::Seconds(meta.time_relative, digits),
            format!(
                "[Time since first frame in this TCP stream: {} seconds]",
                secs_label(meta.time_relative, digits as usize)
            ),
            start,
            0,
        ),
        Field::new(
            "tcp.time_delta",
            Value::Seconds(meta.time_delta, digits),
            format!(
                "[Time since previous frame in this TCP stream: {} seconds]",
                secs_label(meta.time_delta, digits as usize)
            ),
            start,
            0,
        ),
    ]));
    if plen > 0 {
        fields.push(Field::new(
            "tcp.payload",
            Value::Bytes(tcp.payload().to_vec()),
            format!("TCP payload ({plen} bytes)"),
            start + hlen,
            plen,
        ));
    }
    Layer {
        proto: "tcp",
        label: format!(
            "Transmission Control Protocol, Src Port: {}, Dst Port: {}, Seq: {}{}, Len: {plen}",
            tcp.source_port(),
            tcp.destination_port(),
            meta.rel_seq,
            meta.rel_ack
                .map(|a| format!(", Ack: {a}"))
                .unwrap_or_default()
        ),
        start,
        len: hlen + plen,
        fields,
    }
}

/// `tcp.analysis` with its flag fields, named as Wireshark names them.
fn analysis_fields(a: &crate::flow::analysis::Analysis, start: usize) -> Field {
    use crate::flow::analysis::flag::*;
    const NAMES: [(u32, &str, &str); 15] = [
        (
            REUSED_PORTS,
            "tcp.analysis.reused_ports",
            "A new tcp session is started with the same ports as an earlier session in this trace",
        ),
        (
            RETRANSMISSION,
            "tcp.analysis.retransmission",
            "This frame is a (suspected) retransmission",
        ),
        (
            FAST_RETRANSMISSION,
            "tcp.analysis.fast_retransmission",
            "This frame is a (suspected) fast retransmission",
        ),
        (
            SPURIOUS_RETRANSMISSION,
            "tcp.analysis.spurious_retransmission",
            "This frame is a (suspected) spurious retransmission",
        ),
        (
            OUT_OF_ORDER,
            "tcp.analysis.out_of_order",
            "This frame is a (suspected) out-of-order segment",
        ),
        (
            LOST_PACKET,
            "tcp.analysis.lost_segment",
            "Previous segment(s) not captured (common at capture start)",
        ),
        (
            ACK_LOST_PACKET,
            "tcp.analysis.ack_lost_segment",
            "ACKed segment that wasn't captured (common at capture start)",
        ),
        (
            WINDOW_UPDATE,
            "tcp.analysis.window_update",
            "TCP window update",
        ),
        (
            WINDOW_FULL,
            "tcp.analysis.window_full",
            "TCP window specified by the receiver is now completely full",
        ),
        (
            KEEP_ALIVE,
            "tcp.analysis.keep_alive",
            "TCP keep-alive segment",
        ),
        (
            KEEP_ALIVE_ACK,
            "tcp.analysis.keep_alive_ack",
            "ACK to a TCP keep-alive segment",
        ),
        (DUPLICATE_ACK, "tcp.analysis.duplicate_ack", "Duplicate ACK"),
        (
            ZERO_WINDOW_PROBE,
            "tcp.analysis.zero_window_probe",
            "TCP Zero Window Probe",
        ),
        (
            ZERO_WINDOW,
            "tcp.analysis.zero_window",
            "TCP Zero Window segment",
        ),
        (
            ZERO_WINDOW_PROBE_ACK,
            "tcp.analysis.zero_window_probe_ack",
            "ACK to a TCP Zero Window Probe",
        ),
    ];
    let mut flags: Vec<Field> = NAMES
        .iter()
        .filter(|(f, _, _)| a.flags & f != 0)
        .map(|(_, name, text)| Field::new(name, Value::None, format!("[{text}]"), start, 0))
        .collect();
    if a.flags & DUPLICATE_ACK != 0 {
        flags.push(Field::new(
            "tcp.analysis.duplicate_ack_num",
            Value::UInt(a.dup_ack_num as u64),
            format!("[Duplicate ACK #: {}]", a.dup_ack_num),
            start,
            0,
        ));
        flags.push(Field::new(
            "tcp.analysis.duplicate_ack_frame",
            Value::UInt(a.dup_ack_frame),
            format!("[Duplicate to the ACK in frame: {}]", a.dup_ack_frame),
            start,
            0,
        ));
    }
    Field::text("[SEQ/ACK analysis]".into(), start, 0).with(vec![Field::new(
        "tcp.analysis.flags",
        Value::None,
        "[TCP Analysis Flags]".into(),
        start,
        0,
    )
    .with(flags)])
}

/// Wireshark's wording of `tcp.completeness`.
fn completeness_label(bits: u8) -> String {
    use crate::flow::completeness::*;
    let handshake = SYN | SYN_ACK | ACK;
    let state = if bits & handshake == handshake && bits & (FIN | RST) != 0 {
        if bits & DATA != 0 {
            "Complete, WITH_DATA"
        } else {
            "Complete, NO_DATA"
        }
    } else {
        "Incomplete"
    };
    let names: Vec<&str> = [
        (SYN, "SYN_SENT"),
        (SYN_ACK, "SYN_ACK_SENT"),
        (ACK, "ACK_SENT"),
        (DATA, "DATA"),
        (FIN, "FIN"),
        (RST, "RST"),
    ]
    .iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| *n)
    .collect();
    if state == "Incomplete" && !names.is_empty() {
        format!("{state}, {} ({bits})", names.join(", "))
    } else {
        format!("{state} ({bits})")
    }
}

/// Wireshark's `tcp.flags.str`: one character per flag, `·` when clear.
fn flags_str(flags: u16) -> String {
    const CHARS: [char; 12] = ['R', 'R', 'R', 'A', 'C', 'E', 'U', 'A', 'P', 'R', 'S', 'F'];
    (0..12)
        .map(|i| {
            let bit = 11 - i;
            if flags & (1 << bit) != 0 {
                CHARS[i]
            } else {
                '\u{b7}'
            }
        })
        .collect()
}

fn udp_layer(pkt: &Packet<'_>, udp: &etherparse::UdpSlice<'_>) -> Layer {
    let start = pkt.decoded.offset_of(udp.slice());
    Layer {
        proto: "udp",
        label: format!(
            "User Datagram Protocol, Src Port: {}, Dst Port: {}",
            udp.source_port(),
            udp.destination_port()
        ),
        start,
        len: udp.slice().len(),
        fields: port_fields(
            PortNames::UDP,
            udp.source_port(),
            udp.destination_port(),
            start,
        )
        .into_iter()
        .chain([
            uint("udp.length", "Length", udp.length() as u64, start + 4, 2),
            Field::new(
                "udp.checksum",
                Value::Hex(udp.checksum() as u64, 4),
                format!("Checksum: 0x{:04x} [unverified]", udp.checksum()),
                start + 6,
                2,
            ),
        ])
        .collect(),
    }
}

/// Field names of a transport's port fields.
struct PortNames {
    src: &'static str,
    dst: &'static str,
    either: &'static str,
}

impl PortNames {
    const TCP: PortNames = PortNames {
        src: "tcp.srcport",
        dst: "tcp.dstport",
        either: "tcp.port",
    };
    const UDP: PortNames = PortNames {
        src: "udp.srcport",
        dst: "udp.dstport",
        either: "udp.port",
    };
}

/// Source and destination port, then both again under the "either" name
/// (`tcp.port`), as Wireshark adds them.
fn port_fields(names: PortNames, src: u16, dst: u16, start: usize) -> Vec<Field> {
    let either = |port: u16, at: usize| {
        Field::new(
            names.either,
            Value::UInt(port as u64),
            format!("Source or Destination Port: {port}"),
            at,
            2,
        )
    };
    vec![
        uint(names.src, "Source Port", src as u64, start, 2),
        uint(names.dst, "Destination Port", dst as u64, start + 2, 2),
        either(src, start),
        either(dst, start + 2),
    ]
}

/// Names of the ICMP and ICMPv6 layers and their type/code fields.
struct IcmpNames {
    proto: &'static str,
    label: &'static str,
    kind: &'static str,
    code: &'static str,
}

impl IcmpNames {
    const V4: IcmpNames = IcmpNames {
        proto: "icmp",
        label: "Internet Control Message Protocol",
        kind: "icmp.type",
        code: "icmp.code",
    };
    const V6: IcmpNames = IcmpNames {
        proto: "icmpv6",
        label: "Internet Control Message Protocol v6",
        kind: "icmpv6.type",
        code: "icmpv6.code",
    };
}

/// ICMP and ICMPv6 share their first two bytes: type and code.
fn icmp_layer(names: IcmpNames, start: usize, bytes: &[u8]) -> Layer {
    let byte = |i: usize| bytes.get(i).copied().unwrap_or(0) as u64;
    Layer {
        proto: names.proto,
        label: names.label.into(),
        start,
        len: bytes.len(),
        fields: vec![
            uint(names.kind, "Type", byte(0), start, 1),
            uint(names.code, "Code", byte(1), start + 1, 1),
        ],
    }
}

fn data_layer(start: usize, bytes: &[u8]) -> Layer {
    Layer {
        proto: "data",
        label: format!("Data ({} bytes)", bytes.len()),
        start,
        len: bytes.len(),
        fields: vec![
            Field::new(
                "data.data",
                Value::Bytes(bytes.to_vec()),
                format!("Data: {}", hex_preview(bytes)),
                start,
                bytes.len(),
            ),
            Field::new(
                "data.len",
                Value::UInt(bytes.len() as u64),
                format!("[Length: {}]", bytes.len()),
                start,
                bytes.len(),
            ),
        ],
    }
}

fn hex_preview(bytes: &[u8]) -> String {
    const MAX: usize = 36;
    let mut s: String = bytes.iter().take(MAX).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > MAX {
        s.push('\u{2026}');
    }
    s
}
