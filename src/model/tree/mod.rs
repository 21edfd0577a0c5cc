//! Builds the per-packet field tree ([`super::field`]): the frame layer
//! here, the link, IP, TCP and UDP/ICMP/data layers in one module each
//! (`link_tree`, `ip_tree`, `tcp_tree`, `udp_tree`), as Wireshark's
//! dissectors name and label their fields, then the application layers
//! from [`super::app_tree`]. Built only
//! when a view needs it (`-V`, `-T json`, a filter on a field the fast path
//! lacks), never on the packet-list fast path.

pub use super::field::{Field, Layer, Tree, Value};
use super::Packet;
use crate::link::{self, LinkHeader};
use crate::source::time::write_seconds;
use etherparse::{LaxNetSlice, TransportSlice};

mod ip_tree;
mod link_tree;
mod tcp_tree;
mod udp_tree;

use ip_tree::*;
use link_tree::*;
use tcp_tree::*;
use udp_tree::*;

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

/// The application layers of `pkt` alone: [`build`]'s HTTP / HTCPCP / TLS /
/// WebSocket part (`app_tree::push_layers`), the same layers in the same
/// order, without the frame, link, IP and TCP layers before them. The fields
/// of those protocols (`-T fields -e http.host`, a filter on
/// `http.request.uri`) are read from it: building the whole tree cost about
/// twice as much on real HTTP traffic (callgrind, `read -Y http -T fields`).
pub fn build_app(pkt: &Packet<'_>) -> Tree {
    let mut layers = Vec::new();
    let d = &pkt.decoded;
    if let (Some(TransportSlice::Tcp(tcp)), Some(app)) = (
        &d.transport,
        pkt.app
            .as_deref()
            .filter(|a| a.pdu_continues || !a.messages.is_empty()),
    ) {
        let payload = tcp.payload();
        super::app_tree::push_layers(
            app,
            super::app_tree::Span {
                start: d.offset_of(payload),
                len: payload.len(),
            },
            &mut layers,
            &mut Vec::new(),
        );
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
    let arrival = crate::view::time_format::abs_time_local(f.ts.secs, f.ts.nanos);
    fields.push(Field::new(
        "frame.time",
        Value::Str(arrival.clone()),
        format!("Arrival Time: {arrival}"),
        0,
        0,
    ));
    fields.push(Field::new(
        "frame.offset_shift",
        Value::Seconds(0, 9),
        "[Time shift for this packet: 0.000000000 seconds]".to_string(),
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
