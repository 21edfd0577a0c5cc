//! Layered, lax decoding of one frame: link header (ours, see [`crate::link`]),
//! then network and transport headers (etherparse's lax slicer).
//!
//! Contract: [`decode`] never panics and never refuses a frame. What could be
//! decoded is returned; where decoding stopped and why is in
//! [`Decoded::stop`], so views can show a "malformed" note the way Wireshark
//! does instead of dropping the packet.

use crate::link::{self, Link, Payload};
use etherparse::{
    ip_number, EtherType, LaxIpSlice, LaxNetSlice, LaxSlicedPacket, TcpSlice, TransportSlice,
};

pub use etherparse::err::packet::SliceError;
pub use etherparse::err::Layer;

/// A frame decoded as far as it goes. Borrows the frame bytes.
pub struct Decoded<'a> {
    /// The whole captured frame.
    pub data: &'a [u8],
    pub link: Link,
    pub net: Option<LaxNetSlice<'a>>,
    pub transport: Option<TransportSlice<'a>>,
    /// Why decoding stopped early, if it did.
    pub stop: Option<(SliceError, Layer)>,
}

impl<'a> Decoded<'a> {
    /// Offset of a sub-slice of the frame within the frame (for byte spans).
    pub fn offset_of(&self, part: &[u8]) -> usize {
        let start = part.as_ptr() as usize;
        let base = self.data.as_ptr() as usize;
        start.saturating_sub(base).min(self.data.len())
    }

    /// True when the network layer is an IPv4 fragment whose transport header
    /// we cannot read (IP reassembly is not done yet).
    pub fn is_fragment(&self) -> bool {
        match &self.net {
            Some(LaxNetSlice::Ipv4(v4)) => v4.is_payload_fragmented(),
            Some(LaxNetSlice::Ipv6(v6)) => v6.is_payload_fragmented(),
            _ => false,
        }
    }
}

/// Decodes `data`, captured on a link of type `link_type`.
#[inline]
pub fn decode(link_type: u32, data: &[u8]) -> Decoded<'_> {
    decode_with(link_type, data, ip_tcp)
}

/// [`decode`] with `fast` as the fast path for IP and TCP (the tests compare
/// [`ip_tcp`] with none).
#[inline(always)]
fn decode_with<'a>(
    link_type: u32,
    data: &'a [u8],
    fast: impl Fn(u16, &'a [u8]) -> Option<(LaxNetSlice<'a>, TcpSlice<'a>)>,
) -> Decoded<'a> {
    let link = link::decode(link_type, data);
    let mut decoded = Decoded {
        data,
        link,
        net: None,
        transport: None,
        stop: None,
    };
    if let Payload::EtherType(t) = link.payload {
        let rest = &data[link.header_len.min(data.len())..];
        if let Some((net, tcp)) = fast(t, rest) {
            decoded.net = Some(net);
            decoded.transport = Some(TransportSlice::Tcp(tcp));
            return decoded;
        }
        let sliced = LaxSlicedPacket::from_ether_type(EtherType(t), rest);
        decoded.net = sliced.net;
        decoded.transport = sliced.transport;
        decoded.stop = sliced.stop_err;
    }
    decoded
}

/// The usual frame of [`decode`]: an IP datagram that etherparse's lax
/// slicer reads without a stop (no fragment, no damaged extension header)
/// and that carries a whole TCP header. The same etherparse calls as the
/// slicer makes on this path (`slice_ip`, then `slice_transport`), without
/// building its whole `LaxSlicedPacket` (link slices, extension array,
/// errors): that was about half the cost of [`decode`]. `None` for anything
/// else, which the slicer then decodes.
#[inline]
fn ip_tcp(ether_type: u16, ip: &[u8]) -> Option<(LaxNetSlice<'_>, TcpSlice<'_>)> {
    if ether_type != link::ethertype::IPV4 && ether_type != link::ethertype::IPV6 {
        return None;
    }
    let (ip, None) = LaxIpSlice::from_slice(ip).ok()? else {
        return None;
    };
    let payload = ip.payload();
    if payload.fragmented || payload.ip_number != ip_number::TCP {
        return None;
    }
    let tcp = TcpSlice::from_slice(payload.payload).ok()?;
    Some((ip.into(), tcp))
}

/// A TCP segment's addresses and header, for jobs that need nothing else
/// (`conv`). IPv4 addresses are in the first 4 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub v6: bool,
    pub src_addr: [u8; 16],
    pub dst_addr: [u8; 16],
    pub tcp: TcpSlice<'a>,
    /// Payload bytes the IP header declares but the capture did not keep
    /// ([`crate::flow::uncaptured_payload`]).
    pub uncaptured: u32,
}

impl TcpSegment<'_> {
    /// Source and destination, as the flow table keys them.
    pub fn endpoints(&self) -> (crate::flow::Endpoint, crate::flow::Endpoint) {
        let at = |addr, port| crate::flow::Endpoint { addr, port };
        (
            at(self.src_addr, self.tcp.source_port()),
            at(self.dst_addr, self.tcp.destination_port()),
        )
    }
}

/// The TCP segment in a frame, exactly as [`decode`] finds it (a network
/// layer and a TCP transport), or `None` when [`decode`] finds none.
///
/// The usual frame (link header, IPv4 without fragmentation or IPv6 without
/// extension headers, a whole datagram, a whole TCP header) is read here
/// directly, without etherparse's full lax slicing; anything else goes
/// through [`decode`], so both always agree (checked by a test on mutated
/// frames).
#[inline]
pub fn tcp_segment(link_type: u32, data: &[u8]) -> Option<TcpSegment<'_>> {
    tcp_segment_fast(link_type, data).or_else(|| tcp_segment_general(link_type, data))
}

/// [`tcp_segment`] through [`decode`].
#[cold]
#[inline(never)]
fn tcp_segment_general(link_type: u32, data: &[u8]) -> Option<TcpSegment<'_>> {
    let d = decode(link_type, data);
    match (&d.net, d.transport) {
        (Some(net), Some(TransportSlice::Tcp(tcp))) => {
            let uncaptured = crate::flow::uncaptured_payload(net, &tcp);
            let mut seg = TcpSegment {
                v6: false,
                src_addr: [0; 16],
                dst_addr: [0; 16],
                tcp,
                uncaptured,
            };
            match net {
                LaxNetSlice::Ipv4(v4) => {
                    let h = v4.header();
                    seg.src_addr = v4_addr(h.source());
                    seg.dst_addr = v4_addr(h.destination());
                }
                LaxNetSlice::Ipv6(v6) => {
                    let h = v6.header();
                    seg.v6 = true;
                    seg.src_addr = h.source();
                    seg.dst_addr = h.destination();
                }
                // Addresses stay zero, as `flow::endpoints` leaves them.
                _ => {}
            }
            Some(seg)
        }
        _ => None,
    }
}

/// An IPv4 address in the first 4 of 16 bytes, built as one 128-bit value:
/// copying 4 bytes into a zeroed array made the compiler keep the array as
/// 16 separate bytes and reassemble them byte by byte (measured: about 90
/// instructions per frame on the front thread).
#[inline(always)]
fn v4_addr(a: [u8; 4]) -> [u8; 16] {
    (u128::from(u32::from_be_bytes(a)) << 96).to_be_bytes()
}

/// The common case of [`tcp_segment`], or `None` to take the general path.
#[inline]
fn tcp_segment_fast(link_type: u32, data: &[u8]) -> Option<TcpSegment<'_>> {
    let (ether_type, header_len) = link::network_offset(link_type, data)?;
    let ip = data.get(header_len..)?;
    let version = ip.first()? >> 4;
    let (v6, src_addr, dst_addr, tcp_bytes) = match (ether_type, version) {
        (link::ethertype::IPV4, 4) => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
            // Options are fine; fragments, a length that does not fit the
            // header or the capture, and anything but TCP are not.
            if ihl < 20
                || total < ihl
                || total > ip.len()
                || frag & 0x3fff != 0
                || ip.get(9) != Some(&6)
            {
                return None;
            }
            let src = u128::from(u32::from_be_bytes(ip[12..16].try_into().ok()?)) << 96;
            let dst = u128::from(u32::from_be_bytes(ip[16..20].try_into().ok()?)) << 96;
            (false, src, dst, &ip[ihl..total])
        }
        (link::ethertype::IPV6, 6) => {
            const HEADER: usize = 40;
            let payload = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            // Extension headers, jumbograms and cut datagrams are not.
            if ip.len() < HEADER || payload == 0 || HEADER + payload > ip.len() || ip[6] != 6 {
                return None;
            }
            let src = u128::from_be_bytes(ip[8..24].try_into().ok()?);
            let dst = u128::from_be_bytes(ip[24..40].try_into().ok()?);
            (true, src, dst, &ip[HEADER..HEADER + payload])
        }
        _ => return None,
    };
    Some(TcpSegment {
        v6,
        // Built as 128-bit values (see `v4_addr`).
        src_addr: src_addr.to_be_bytes(),
        dst_addr: dst_addr.to_be_bytes(),
        tcp: TcpSlice::from_slice(tcp_bytes).ok()?,
        // The whole datagram is in the capture (checked above).
        uncaptured: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::linktype;
    use etherparse::{PacketBuilder, TcpOptionElement};

    fn frames() -> Vec<(u32, Vec<u8>)> {
        let mut out = Vec::new();
        let payloads: [&[u8]; 3] = [b"", b"GET / HTTP/1.1\r\n\r\n", &[0u8; 300]];
        for payload in payloads {
            let v4 = || {
                PacketBuilder::ipv4([127, 0, 0, 1], [10, 1, 2, 3], 64)
                    .tcp(41000, 5031, 1234, 512)
                    .options(&[TcpOptionElement::Noop, TcpOptionElement::WindowScale(7)])
                    .unwrap()
            };
            let v6 = || {
                PacketBuilder::ipv6([1; 16], [2; 16], 64)
                    .tcp(5030, 40000, 99, 65535)
                    .ack(7)
                    .syn()
            };
            let mut ip4 = Vec::new();
            v4().write(&mut ip4, payload).unwrap();
            let mut ip6 = Vec::new();
            v6().write(&mut ip6, payload).unwrap();
            let mut eth = Vec::new();
            PacketBuilder::ethernet2([0; 6], [0; 6])
                .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
                .tcp(1, 2, 3, 4)
                .write(&mut eth, payload)
                .unwrap();
            let mut vlan = Vec::new();
            PacketBuilder::ethernet2([0; 6], [0; 6])
                .single_vlan(5.try_into().unwrap())
                .ipv6([3; 16], [4; 16], 1)
                .tcp(1, 2, 3, 4)
                .write(&mut vlan, payload)
                .unwrap();
            let mut null4 = 2u32.to_le_bytes().to_vec();
            null4.extend_from_slice(&ip4);
            let mut null6 = 30u32.to_le_bytes().to_vec();
            null6.extend_from_slice(&ip6);
            // Ethernet padding after a short datagram.
            let mut padded = eth.clone();
            padded.extend_from_slice(&[0xee; 7]);
            out.push((linktype::RAW, ip4));
            out.push((linktype::IPV6, ip6));
            out.push((linktype::ETHERNET, eth));
            out.push((linktype::ETHERNET, vlan));
            out.push((linktype::NULL, null4));
            out.push((linktype::NULL, null6));
            out.push((linktype::ETHERNET, padded));
        }
        out
    }

    /// `frame` with one to three bytes changed, mostly in the headers (the
    /// first 80 bytes), and then maybe cut or extended.
    fn mutated(frame: &[u8], next: &mut impl FnMut() -> u64) -> Vec<u8> {
        let mut f = frame.to_vec();
        for _ in 0..1 + next() % 3 {
            let at = (next() % 80.min(f.len() as u64)) as usize;
            let bit = 1u8 << (next() % 8);
            f[at] ^= if next() % 4 == 0 { next() as u8 } else { bit };
        }
        match next() % 4 {
            0 => f.truncate((next() % (f.len() as u64 + 1)) as usize),
            1 => f.extend_from_slice(&[0x5a; 13]),
            _ => {}
        }
        f
    }

    /// The fast path accepts what it can and then agrees with `decode`,
    /// on real frames and on frames with bytes changed, cut or extended.
    #[test]
    fn tcp_segment_fast_path_agrees_with_decode() {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut fast, mut total) = (0, 0);
        for (link_type, frame) in frames() {
            let whole = tcp_segment_fast(link_type, &frame);
            // VLAN-tagged frames go the general way.
            let tagged = link_type == linktype::ETHERNET && frame[12] == 0x81;
            assert_eq!(whole.is_some(), !tagged, "{link_type} {frame:?}");
            assert!(tcp_segment_general(link_type, &frame).is_some());
            if whole.is_some() {
                assert_eq!(whole, tcp_segment_general(link_type, &frame));
            }
            for _ in 0..20_000 {
                let f = mutated(&frame, &mut next);
                total += 1;
                if let Some(seg) = tcp_segment_fast(link_type, &f) {
                    fast += 1;
                    assert_eq!(
                        Some(seg),
                        tcp_segment_general(link_type, &f),
                        "{link_type} {f:?}"
                    );
                }
            }
        }
        // Most mutations leave a frame the fast path takes.
        assert!(fast * 4 > total, "{fast} of {total}");
    }

    /// `decode`'s fast path gives what the slicer gives, on real frames and
    /// on frames with bytes changed, cut or extended.
    #[test]
    fn decode_fast_path_agrees_with_the_slicer() {
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let same = |link_type: u32, f: &[u8]| {
            let (a, b) = (decode(link_type, f), decode_with(link_type, f, |_, _| None));
            assert_eq!(a.link, b.link);
            assert_eq!(a.net, b.net, "{link_type} {f:?}");
            assert_eq!(a.transport, b.transport, "{link_type} {f:?}");
            assert_eq!(a.stop, b.stop, "{link_type} {f:?}");
            a.transport.is_some()
        };
        let (mut tcp, mut total) = (0, 0);
        for (link_type, frame) in frames() {
            assert!(same(link_type, &frame));
            for _ in 0..20_000 {
                let f = mutated(&frame, &mut next);
                total += 1;
                tcp += usize::from(same(link_type, &f));
            }
        }
        assert!(tcp * 4 > total, "{tcp} of {total}");
    }
}
