//! The other layers of the field tree: UDP (RFC 768), ICMP and ICMPv6 (their
//! type and code), and the `data` layer of payload no dissector claims.

use super::*;

pub(super) fn udp_layer(pkt: &Packet<'_>, udp: &etherparse::UdpSlice<'_>) -> Layer {
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
pub(super) struct PortNames {
    src: &'static str,
    dst: &'static str,
    either: &'static str,
}

impl PortNames {
    pub(super) const TCP: PortNames = PortNames {
        src: "tcp.srcport",
        dst: "tcp.dstport",
        either: "tcp.port",
    };
    pub(super) const UDP: PortNames = PortNames {
        src: "udp.srcport",
        dst: "udp.dstport",
        either: "udp.port",
    };
}

/// Source and destination port, then both again under the "either" name
/// (`tcp.port`), as Wireshark adds them.
pub(super) fn port_fields(names: PortNames, src: u16, dst: u16, start: usize) -> Vec<Field> {
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
pub(super) struct IcmpNames {
    proto: &'static str,
    label: &'static str,
    kind: &'static str,
    code: &'static str,
}

impl IcmpNames {
    pub(super) const V4: IcmpNames = IcmpNames {
        proto: "icmp",
        label: "Internet Control Message Protocol",
        kind: "icmp.type",
        code: "icmp.code",
    };
    pub(super) const V6: IcmpNames = IcmpNames {
        proto: "icmpv6",
        label: "Internet Control Message Protocol v6",
        kind: "icmpv6.type",
        code: "icmpv6.code",
    };
}

/// ICMP and ICMPv6 share their first two bytes: type and code.
pub(super) fn icmp_layer(names: IcmpNames, start: usize, bytes: &[u8]) -> Layer {
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

pub(super) fn data_layer(start: usize, bytes: &[u8]) -> Layer {
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

pub(super) fn hex_preview(bytes: &[u8]) -> String {
    const MAX: usize = 36;
    let mut s: String = bytes.iter().take(MAX).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > MAX {
        s.push('\u{2026}');
    }
    s
}
