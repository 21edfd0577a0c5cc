//! Layered, lax decoding of one frame: link header (ours, see [`crate::link`]),
//! then network and transport headers (etherparse's lax slicer).
//!
//! Contract: [`decode`] never panics and never refuses a frame. What could be
//! decoded is returned; where decoding stopped and why is in
//! [`Decoded::stop`], so views can show a "malformed" note the way Wireshark
//! does instead of dropping the packet.

use crate::link::{self, Link, Payload};
use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

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
        let sliced = LaxSlicedPacket::from_ether_type(EtherType(t), rest);
        decoded.net = sliced.net;
        decoded.transport = sliced.transport;
        decoded.stop = sliced.stop_err;
    }
    decoded
}
