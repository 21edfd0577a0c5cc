//! A link type and frame bytes → the layered decoder, and the TCP fast path.
//!
//! What must hold: the decoded frame is the frame given; every layer it
//! found lies inside the frame; the fast TCP path (`tcp_segment`) finds a
//! segment exactly when the full decoder finds a network layer and TCP, with
//! the same addresses, ports and header.

use coffeeshark::decode::{decode, tcp_segment};
use coffeeshark::link::linktype;
use etherparse::{LaxNetSlice, TransportSlice};

const LINKS: [u32; 10] = [
    linktype::NULL,
    linktype::ETHERNET,
    linktype::RAW_BSD_12,
    linktype::RAW_BSD_14,
    linktype::RAW,
    linktype::LOOP,
    linktype::LINUX_SLL,
    linktype::IPV4,
    linktype::IPV6,
    linktype::LINUX_SLL2,
];

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let Some((&pick, frame)) = input.split_first() else {
        return;
    };
    // Mostly the known link types; sometimes any number.
    let link_type = match LINKS.get(usize::from(pick)) {
        Some(&l) => l,
        None => u32::from(pick),
    };
    let d = decode(link_type, frame);
    assert_eq!(d.data, frame);
    let inside = |part: &[u8]| {
        let (p, f) = (part.as_ptr() as usize, frame.as_ptr() as usize);
        part.is_empty() || (p >= f && p + part.len() <= f + frame.len())
    };
    let tcp = match &d.transport {
        Some(TransportSlice::Tcp(t)) => {
            assert!(inside(t.slice()));
            Some(t)
        }
        Some(TransportSlice::Udp(u)) => {
            assert!(inside(u.slice()));
            None
        }
        _ => None,
    };
    let fast = tcp_segment(link_type, frame);
    match (&d.net, tcp, &fast) {
        (Some(net), Some(t), Some(seg)) => {
            assert_eq!(&seg.tcp, t, "the fast path read another TCP header");
            let (src, dst) = match net {
                LaxNetSlice::Ipv4(v4) => {
                    let h = v4.header();
                    let mut s = [0u8; 16];
                    let mut t = [0u8; 16];
                    s[..4].copy_from_slice(&h.source());
                    t[..4].copy_from_slice(&h.destination());
                    (s, t)
                }
                LaxNetSlice::Ipv6(v6) => (v6.header().source(), v6.header().destination()),
                _ => ([0; 16], [0; 16]),
            };
            assert_eq!((seg.src_addr, seg.dst_addr), (src, dst));
        }
        (Some(_), Some(_), None) => panic!("the fast path missed a TCP segment decode found"),
        (_, _, Some(_)) if tcp.is_none() || d.net.is_none() => {
            panic!("the fast path found a TCP segment decode did not")
        }
        _ => {}
    }
    let _ = d.is_fragment();
}
