//! The one pass over a capture: raw frames in, [`Packet`]s out, in order.
//!
//! Holds the only cross-frame state of the read path: frame numbering, the
//! first/previous timestamps and the TCP flow table. Everything else is a
//! pure function of a [`Packet`].

use crate::decode;
pub use crate::flow::endpoints;
use crate::flow::TcpTracker;
use crate::model::{FrameInfo, Packet};
use crate::source::{RawFrame, Timestamp};
use etherparse::TransportSlice;

#[derive(Default)]
pub struct Analyzer {
    tcp: TcpTracker,
    number: u64,
    first_ts: Option<Timestamp>,
    prev_ts: Option<Timestamp>,
}

impl Analyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// An analyser without TCP sequence analysis, for jobs that only count
    /// (conversations): the flags would be computed and thrown away.
    pub fn without_tcp_analysis() -> Self {
        Analyzer {
            tcp: TcpTracker::without_analysis(),
            ..Self::default()
        }
    }

    /// Frames processed so far.
    pub fn frames(&self) -> u64 {
        self.number
    }

    /// The TCP flow table (for statistics).
    pub fn tcp(&self) -> &TcpTracker {
        &self.tcp
    }

    /// Decodes one frame and updates cross-frame state.
    #[inline]
    pub fn process<'a>(&mut self, raw: &RawFrame<'a>) -> Packet<'a> {
        self.number += 1;
        // A frame without a timestamp (pcapng SPB) neither sets nor moves the
        // reference times, and shows no time of its own.
        let (rel_nanos, delta_nanos) = if raw.has_ts {
            let first = *self.first_ts.get_or_insert(raw.ts);
            let prev = self.prev_ts.replace(raw.ts).unwrap_or(raw.ts);
            (raw.ts.nanos_since(first), raw.ts.nanos_since(prev))
        } else {
            (0, 0)
        };
        let frame = FrameInfo {
            number: self.number,
            ts: raw.ts,
            has_ts: raw.has_ts,
            precision: raw.precision,
            rel_nanos,
            delta_nanos,
            orig_len: raw.orig_len,
            cap_len: raw.data.len() as u32,
            link_type: raw.link_type,
            interface_id: raw.interface_id,
            section: raw.section,
        };
        let decoded = decode::decode(raw.link_type, raw.data);
        let tcp = match (&decoded.net, &decoded.transport) {
            (Some(net), Some(TransportSlice::Tcp(tcp))) => {
                let (src, dst) = endpoints(net, tcp.source_port(), tcp.destination_port());
                Some(self.tcp.track(self.number, raw.ts, src, dst, tcp))
            }
            _ => None,
        };
        Packet {
            frame,
            decoded,
            tcp,
            app: None,
            interface_name: raw.interface_name,
            interface_description: raw.interface_description,
        }
    }
}
