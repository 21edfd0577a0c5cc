//! Link layers of loopback (and nearby) captures: turn a frame's bytes into a
//! [`LinkHeader`] plus the offset and type of the network payload.
//!
//! Covers what loopback captures really contain (see LAB.md):
//! - `NULL` (DLT 0): a 4-byte address family in the *capturing host's* byte
//!   order (macOS loopback, the lab's captures). Like Wireshark, we take the
//!   value as little-endian unless that makes the upper half non-zero.
//! - `LOOP` (DLT 108): the same, always network byte order (OpenBSD).
//! - Ethernet (DLT 1), with 802.1Q / 802.1ad tags (Linux loopback: zero MACs).
//! - Linux cooked capture v1 (`SLL`, 113) and v2 (`SLL2`, 276): `-i any`.
//! - Raw IP (101, and 228/229 for IPv4/IPv6 only; 12 and 14 on some BSDs).
//!
//! etherparse has no NULL/LOOP support, and we want the header fields for the
//! details view, so the (tiny) link headers are read here by hand; everything
//! from the network layer up is etherparse's.

use std::fmt;

/// Link-layer type numbers (LINKTYPE_*, as written in capture files).
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW_BSD_12: u32 = 12;
    pub const RAW_BSD_14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// Wireshark's name for a link type ("Encapsulation type" in the details).
pub fn encapsulation_name(link_type: u32) -> &'static str {
    match link_type {
        linktype::NULL | linktype::LOOP => "NULL/Loopback",
        linktype::ETHERNET => "Ethernet",
        linktype::RAW | linktype::RAW_BSD_12 | linktype::RAW_BSD_14 => "Raw IP",
        linktype::IPV4 => "Raw IPv4",
        linktype::IPV6 => "Raw IPv6",
        linktype::LINUX_SLL => "Linux cooked-mode capture v1",
        linktype::LINUX_SLL2 => "Linux cooked-mode capture v2",
        _ => "Unknown",
    }
}

/// Wiretap's encapsulation number for a link type (`frame.encap_type`).
pub fn wtap_encap(link_type: u32) -> u32 {
    match link_type {
        linktype::NULL => 15,
        linktype::ETHERNET => 1,
        linktype::RAW | linktype::RAW_BSD_12 | linktype::RAW_BSD_14 => 7,
        linktype::LOOP => 108,
        linktype::LINUX_SLL => 25,
        linktype::IPV4 => 129,
        linktype::IPV6 => 130,
        linktype::LINUX_SLL2 => 210,
        _ => 0,
    }
}

pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const IPV6: u16 = 0x86dd;
}

/// What the link layer says the payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// An Ethernet type (also used for SLL/SLL2 protocol fields).
    EtherType(u16),
    /// A BSD address family we do not know (NULL/LOOP).
    AddressFamily(u32),
    /// Nothing decodable: unknown link type or a header cut short.
    None,
}

impl Payload {
    pub fn ethertype(self) -> Option<u16> {
        match self {
            Payload::EtherType(t) => Some(t),
            _ => None,
        }
    }
}

/// An 802.1Q tag as read from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlanTag {
    pub tpid: u16,
    pub priority: u8,
    pub dei: bool,
    pub id: u16,
    pub inner_type: u16,
}

/// Up to this many stacked VLAN tags are decoded (802.1ad Q-in-Q and one more).
pub const MAX_VLAN_TAGS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkHeader {
    Ethernet {
        dst: [u8; 6],
        src: [u8; 6],
        ethertype: u16,
        vlans: [Option<VlanTag>; MAX_VLAN_TAGS],
    },
    /// NULL and LOOP: the family and whether it was stored big-endian.
    Null {
        family: u32,
        big_endian: bool,
        is_loop: bool,
    },
    LinuxSll {
        packet_type: u16,
        hatype: u16,
        addr_len: u16,
        addr: [u8; 8],
        protocol: u16,
    },
    LinuxSll2 {
        protocol: u16,
        ifindex: u32,
        hatype: u16,
        packet_type: u8,
        addr_len: u8,
        addr: [u8; 8],
    },
    Raw,
    Unknown {
        link_type: u32,
    },
    /// The frame is shorter than its link header.
    Truncated {
        link_type: u32,
        needed: usize,
    },
}

/// A decoded link layer: the header, where the payload starts, what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub header: LinkHeader,
    pub header_len: usize,
    pub payload: Payload,
}

/// BSD address families that mean IPv4 / IPv6 in NULL and LOOP headers.
pub const AF_INET: u32 = 2;
pub const AF_INET6_BSD: [u32; 3] = [24, 28, 30];

/// Decodes the link header of a frame. Never panics; short frames give
/// [`LinkHeader::Truncated`].
pub fn decode(link_type: u32, data: &[u8]) -> Link {
    match link_type {
        linktype::ETHERNET => ethernet(data),
        linktype::NULL => null(data, false),
        linktype::LOOP => null(data, true),
        linktype::LINUX_SLL => sll(data),
        linktype::LINUX_SLL2 => sll2(data),
        linktype::RAW | linktype::RAW_BSD_12 | linktype::RAW_BSD_14 => raw(data, None),
        linktype::IPV4 => raw(data, Some(ethertype::IPV4)),
        linktype::IPV6 => raw(data, Some(ethertype::IPV6)),
        other => Link {
            header: LinkHeader::Unknown { link_type: other },
            header_len: 0,
            payload: Payload::None,
        },
    }
}

/// The network layer's type and offset, as [`decode`] gives them in
/// `payload` (an Ethernet type) and `header_len`, for the common link
/// headers without building the whole [`LinkHeader`]; `None` whenever
/// [`decode`] would give no Ethernet type, and for VLAN tags (ask
/// [`decode`] then).
#[inline]
pub fn network_offset(link_type: u32, data: &[u8]) -> Option<(u16, usize)> {
    match link_type {
        linktype::ETHERNET => {
            let t = u16::from_be_bytes([*data.get(12)?, *data.get(13)?]);
            (t != ethertype::VLAN && t != ethertype::QINQ).then_some((t, 14))
        }
        linktype::NULL | linktype::LOOP => {
            let raw = [*data.first()?, *data.get(1)?, *data.get(2)?, *data.get(3)?];
            let le = u32::from_le_bytes(raw);
            let family = if link_type == linktype::LOOP || le & 0xffff_0000 != 0 {
                u32::from_be_bytes(raw)
            } else {
                le
            };
            if family == AF_INET {
                Some((ethertype::IPV4, 4))
            } else if AF_INET6_BSD.contains(&family) {
                Some((ethertype::IPV6, 4))
            } else {
                None
            }
        }
        _ => match decode(link_type, data) {
            Link {
                payload: Payload::EtherType(t),
                header_len,
                ..
            } => Some((t, header_len)),
            _ => None,
        },
    }
}

fn truncated(link_type: u32, needed: usize) -> Link {
    Link {
        header: LinkHeader::Truncated { link_type, needed },
        header_len: 0,
        payload: Payload::None,
    }
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn ethernet(data: &[u8]) -> Link {
    const HEADER: usize = 14;
    const TAG: usize = 4;
    if data.len() < HEADER {
        return truncated(linktype::ETHERNET, HEADER);
    }
    let mut dst = [0; 6];
    let mut src = [0; 6];
    dst.copy_from_slice(&data[0..6]);
    src.copy_from_slice(&data[6..12]);
    let outer_type = be16(data, 12);
    let mut vlans = [None; MAX_VLAN_TAGS];
    let mut next_type = outer_type;
    let mut offset = HEADER;
    for slot in vlans.iter_mut() {
        if next_type != ethertype::VLAN && next_type != ethertype::QINQ {
            break;
        }
        if data.len() < offset + TAG {
            break; // the tag itself is cut short; the payload is left undecoded
        }
        let tci = be16(data, offset);
        let inner = be16(data, offset + 2);
        *slot = Some(VlanTag {
            tpid: next_type,
            priority: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            id: tci & 0x0fff,
            inner_type: inner,
        });
        next_type = inner;
        offset += TAG;
    }
    let payload = if next_type == ethertype::VLAN || next_type == ethertype::QINQ {
        Payload::None
    } else {
        Payload::EtherType(next_type)
    };
    Link {
        header: LinkHeader::Ethernet {
            dst,
            src,
            ethertype: outer_type,
            vlans,
        },
        header_len: offset,
        payload,
    }
}

fn null(data: &[u8], is_loop: bool) -> Link {
    let link_type = if is_loop {
        linktype::LOOP
    } else {
        linktype::NULL
    };
    if data.len() < 4 {
        return truncated(link_type, 4);
    }
    let raw = [data[0], data[1], data[2], data[3]];
    let (family, big_endian) = if is_loop {
        (u32::from_be_bytes(raw), true)
    } else {
        // Host byte order of the machine that captured: Wireshark byte-swaps
        // when the upper 16 bits are non-zero, i.e. the value reads "too big".
        let le = u32::from_le_bytes(raw);
        if le & 0xffff_0000 != 0 {
            (u32::from_be_bytes(raw), true)
        } else {
            (le, false)
        }
    };
    let payload = if family == AF_INET {
        Payload::EtherType(ethertype::IPV4)
    } else if AF_INET6_BSD.contains(&family) {
        Payload::EtherType(ethertype::IPV6)
    } else {
        Payload::AddressFamily(family)
    };
    Link {
        header: LinkHeader::Null {
            family,
            big_endian,
            is_loop,
        },
        header_len: 4,
        payload,
    }
}

fn sll(data: &[u8]) -> Link {
    const HEADER: usize = 16;
    if data.len() < HEADER {
        return truncated(linktype::LINUX_SLL, HEADER);
    }
    let mut addr = [0; 8];
    addr.copy_from_slice(&data[6..14]);
    let protocol = be16(data, 14);
    Link {
        header: LinkHeader::LinuxSll {
            packet_type: be16(data, 0),
            hatype: be16(data, 2),
            addr_len: be16(data, 4),
            addr,
            protocol,
        },
        header_len: HEADER,
        payload: Payload::EtherType(protocol),
    }
}

fn sll2(data: &[u8]) -> Link {
    const HEADER: usize = 20;
    if data.len() < HEADER {
        return truncated(linktype::LINUX_SLL2, HEADER);
    }
    let mut addr = [0; 8];
    addr.copy_from_slice(&data[12..20]);
    let protocol = be16(data, 0);
    Link {
        header: LinkHeader::LinuxSll2 {
            protocol,
            ifindex: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            hatype: be16(data, 8),
            packet_type: data[10],
            addr_len: data[11],
            addr,
        },
        header_len: HEADER,
        payload: Payload::EtherType(protocol),
    }
}

fn raw(data: &[u8], fixed: Option<u16>) -> Link {
    let payload = match fixed {
        Some(t) => Payload::EtherType(t),
        None => match data.first().map(|b| b >> 4) {
            Some(4) => Payload::EtherType(ethertype::IPV4),
            Some(6) => Payload::EtherType(ethertype::IPV6),
            _ => Payload::None,
        },
    };
    Link {
        header: LinkHeader::Raw,
        header_len: 0,
        payload,
    }
}

/// A MAC address printed the way Wireshark prints it without name resolution.
pub struct Mac<'a>(pub &'a [u8]);

impl fmt::Display for Mac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Wireshark's name of an Ethernet type, for the details and Info texts.
pub fn ethertype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        ethertype::IPV4 => "IPv4",
        ethertype::IPV6 => "IPv6",
        ethertype::ARP => "ARP",
        ethertype::VLAN => "802.1Q Virtual LAN",
        ethertype::QINQ => "802.1ad Provider Bridge (Q-in-Q)",
        0x88cc => "802.1 Link Layer Discovery Protocol (LLDP)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_family_in_either_byte_order() {
        let le = decode(linktype::NULL, &[2, 0, 0, 0, 0x45]);
        assert_eq!(le.payload, Payload::EtherType(ethertype::IPV4));
        let be = decode(linktype::NULL, &[0, 0, 0, 30, 0x60]);
        assert_eq!(be.payload, Payload::EtherType(ethertype::IPV6));
        let lo = decode(linktype::LOOP, &[0, 0, 0, 2]);
        assert_eq!(lo.payload, Payload::EtherType(ethertype::IPV4));
    }

    #[test]
    fn vlan_tags_are_peeled() {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x81, 0x00, 0x20, 0x0a, 0x08, 0x00, 0x45]);
        let link = decode(linktype::ETHERNET, &frame);
        assert_eq!(link.header_len, 18);
        assert_eq!(link.payload, Payload::EtherType(ethertype::IPV4));
        match link.header {
            LinkHeader::Ethernet { vlans, .. } => assert_eq!(vlans[0].unwrap().id, 10),
            other => panic!("not ethernet: {other:?}"),
        }
    }

    /// `network_offset` says what `decode` says, on random short frames
    /// biased towards the interesting values.
    #[test]
    fn network_offset_agrees_with_decode() {
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let picks = [
            0x00, 0x02, 0x08, 0x1e, 0x18, 0x1c, 0x81, 0x86, 0xdd, 0x88, 0xa8, 0x45, 0x60,
        ];
        for _ in 0..200_000 {
            let len = (next() % 24) as usize;
            let frame: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 {
                        r as u8
                    } else {
                        picks[(r >> 8) as usize % picks.len()]
                    }
                })
                .collect();
            for lt in [0, 1, 12, 101, 108, 113, 228, 229, 276, 147] {
                let link = decode(lt, &frame);
                let fast = network_offset(lt, &frame);
                let tagged = matches!(
                    link.header,
                    LinkHeader::Ethernet {
                        vlans: [Some(_), ..],
                        ..
                    }
                );
                match link.payload {
                    Payload::EtherType(t) if !tagged => {
                        assert_eq!(fast, Some((t, link.header_len)), "{lt} {frame:?}")
                    }
                    _ => assert_eq!(fast, None, "{lt} {frame:?}"),
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_harmless() {
        let frame = [0u8; 24];
        for lt in [0, 1, 12, 101, 108, 113, 228, 229, 276, 147] {
            for len in 0..frame.len() {
                let _ = decode(lt, &frame[..len]);
            }
        }
    }
}
