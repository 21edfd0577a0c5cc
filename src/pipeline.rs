//! The one pass over a capture: raw frames in, [`Packet`]s out, in order.
//!
//! Holds the only cross-frame state of the read path: frame numbering, the
//! first/previous timestamps, the TCP flow table and the application layer
//! (reassembly and HTTP/HTCPCP/TLS, [`StreamDissector`]). Everything else is
//! a pure function of a [`Packet`].

use crate::decode;
use crate::dissect::stream::{AppFrame, DecodeAs, Pdu, SegmentIn, StreamDissector};
pub use crate::flow::endpoints;
use crate::flow::{uncaptured_payload, Endpoint, TcpMeta, TcpTracker};
use crate::model::{FrameInfo, Packet};
use crate::source::{RawFrame, Timestamp};
use etherparse::{TcpSlice, TransportSlice};

pub mod threads;

pub struct Analyzer {
    tcp: TcpTracker,
    /// `None` for jobs that need no application layer (conversations).
    app: Option<StreamDissector>,
    clock: FrameClock,
}

/// Frame numbers and the reference times of `frame.time_relative` and
/// `frame.time_delta`.
#[derive(Debug, Default, Clone)]
pub struct FrameClock {
    number: u64,
    /// Set by the first frame with a timestamp.
    refs: Option<Refs>,
    /// The time of a first frame that was skipped ([`Self::skip`]).
    skipped_first: Option<Timestamp>,
}

/// The first and previous frames' times, also as nanoseconds since the epoch
/// when that is [`SMALL_SECS`] away or less.
#[derive(Debug, Clone, Copy)]
struct Refs {
    first: Timestamp,
    prev: Timestamp,
    first_nanos: Option<i64>,
    prev_nanos: Option<i64>,
}

/// Within this many seconds of the epoch (years 1843 to 2096), the
/// difference of two times in 64-bit nanoseconds cannot overflow, and is
/// exactly [`Timestamp::nanos_since`]: one subtraction instead of its checks.
const SMALL_SECS: u64 = 4_000_000_000;

fn small_nanos(ts: Timestamp) -> Option<i64> {
    (ts.secs.unsigned_abs() < SMALL_SECS).then(|| ts.secs * 1_000_000_000 + i64::from(ts.nanos))
}

impl FrameClock {
    /// Frames numbered so far.
    pub fn frames(&self) -> u64 {
        self.number
    }

    /// A frame of the file that is not numbered (`-2 -R`'s dropped frames):
    /// if it is the first with a timestamp, it stays the reference of
    /// relative times, as in tshark; the first numbered frame's delta is 0.
    pub fn skip(&mut self, raw: &RawFrame<'_>) {
        if raw.has_ts && self.refs.is_none() && self.skipped_first.is_none() {
            self.skipped_first = Some(raw.ts);
        }
    }

    /// Numbers the next frame and places it in time.
    #[inline]
    pub fn frame(&mut self, raw: &RawFrame<'_>) -> FrameInfo {
        self.number += 1;
        // A frame without a timestamp (pcapng SPB) neither sets nor moves the
        // reference times, and shows no time of its own.
        let (rel_nanos, delta_nanos) = if raw.has_ts {
            let ts = raw.ts;
            let nanos = small_nanos(ts);
            let skipped_first = self.skipped_first;
            let refs = self.refs.get_or_insert_with(|| {
                let first = skipped_first.unwrap_or(ts);
                Refs {
                    first,
                    prev: ts,
                    first_nanos: small_nanos(first),
                    prev_nanos: nanos,
                }
            });
            let times = match (nanos, refs.first_nanos, refs.prev_nanos) {
                (Some(now), Some(first), Some(prev)) => {
                    (i128::from(now - first), i128::from(now - prev))
                }
                _ => (ts.nanos_since(refs.first), ts.nanos_since(refs.prev)),
            };
            refs.prev = ts;
            refs.prev_nanos = nanos;
            times
        } else {
            (0, 0)
        };
        FrameInfo::of(raw, self.number, rel_nanos, delta_nanos)
    }
}

/// The TCP header flags the application layer reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SegmentFlags {
    ack: bool,
    syn: bool,
    fin: bool,
    rst: bool,
}

impl SegmentFlags {
    pub(crate) fn of(tcp: &TcpSlice<'_>) -> Self {
        SegmentFlags {
            ack: tcp.ack(),
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
        }
    }

    /// The segment as [`StreamDissector::process`] takes it.
    pub(crate) fn segment_in<'p>(
        self,
        frame: &FrameInfo,
        meta: &TcpMeta,
        src: Endpoint,
        dst: Endpoint,
        payload: &'p [u8],
        uncaptured: u32,
    ) -> SegmentIn<'p> {
        SegmentIn {
            frame: frame.number,
            time_nanos: i128::from(frame.ts.as_nanos()),
            stream: meta.stream,
            src,
            dst,
            seq: meta.rel_seq,
            ack: meta.rel_ack.filter(|_| self.ack),
            syn: self.syn,
            fin: self.fin,
            rst: self.rst,
            payload,
            uncaptured,
        }
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            tcp: TcpTracker::default(),
            app: Some(StreamDissector::new()),
            clock: FrameClock::default(),
        }
    }
}

impl Analyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// With `--decode-as` rules for the application layer.
    pub fn with_decode_as(rules: Vec<DecodeAs>) -> Self {
        Analyzer {
            app: Some(StreamDissector::with_decode_as(rules)),
            ..Self::default()
        }
    }

    /// Decrypts TLS with the secrets of a key log (`-o tls.keylog_file:`).
    pub fn with_keylog(
        mut self,
        keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
    ) -> Self {
        if let Some(app) = self.app.as_mut() {
            app.set_keylog(keylog);
        }
        self
    }

    /// Takes `port` as the coffee pot's too
    /// ([`StreamDissector::set_pot_port`]).
    pub fn with_pot_port(mut self, port: u16) -> Self {
        if let Some(app) = self.app.as_mut() {
            app.set_pot_port(port);
        }
        self
    }

    /// An analyser without TCP sequence analysis nor application layer, for
    /// jobs that only count (conversations): the flags and messages would be
    /// computed and thrown away.
    pub fn without_tcp_analysis() -> Self {
        Analyzer {
            tcp: TcpTracker::without_analysis(),
            app: None,
            ..Self::default()
        }
    }

    /// The application layer without TCP sequence analysis, for jobs that
    /// read messages, not analysis flags (`http`, `conv`'s request counts),
    /// with `--decode-as` rules.
    pub fn messages_without_tcp_analysis(rules: Vec<DecodeAs>) -> Self {
        Analyzer {
            tcp: TcpTracker::without_analysis(),
            app: Some(StreamDissector::with_decode_as(rules)),
            ..Self::default()
        }
    }

    /// The end of the capture: messages still unfinished (requests never
    /// answered, bodies cut off), attributed to no frame.
    pub fn finish(&mut self) -> Vec<Pdu> {
        self.app
            .as_mut()
            .map_or_else(Vec::new, StreamDissector::finish)
    }

    /// Frames processed so far.
    pub fn frames(&self) -> u64 {
        self.clock.frames()
    }

    /// The TCP flow table (for statistics).
    pub fn tcp(&self) -> &TcpTracker {
        &self.tcp
    }

    /// The TCP flow table, to set its limits and collect the streams it
    /// forgets (`conv`).
    pub fn tcp_mut(&mut self) -> &mut TcpTracker {
        &mut self.tcp
    }

    /// An analyser for the frames of one TCP stream read back on their own
    /// (the terminal UI's details of a frame): the first connection it sees
    /// is numbered `stream`, and [`Self::process_as`] takes each frame's
    /// number and times from the caller, who knows them from the whole pass.
    /// TCP analysis and the application layer are per stream, so they come
    /// out as in the whole pass; only `tcp.port_reused` (which needs the
    /// earlier streams of the same ports) cannot.
    pub fn for_stream(stream: u32, rules: Vec<DecodeAs>) -> Self {
        let mut a = Self::with_decode_as(rules);
        a.tcp.set_next_stream(stream);
        a
    }

    /// Decodes one frame and updates cross-frame state.
    #[inline]
    pub fn process<'a>(&mut self, raw: &RawFrame<'a>) -> Packet<'a> {
        let frame = self.clock.frame(raw);
        self.process_as(raw, frame)
    }

    /// [`Self::process`] with the frame's number and times given.
    #[inline]
    pub fn process_as<'a>(&mut self, raw: &RawFrame<'a>, frame: FrameInfo) -> Packet<'a> {
        let decoded = decode::decode(raw.link_type, raw.data);
        let mut app: Option<Box<AppFrame>> = None;
        let tcp = match (&decoded.net, &decoded.transport) {
            (Some(net), Some(TransportSlice::Tcp(tcp))) => {
                let (src, dst) = endpoints(net, tcp.source_port(), tcp.destination_port());
                let meta = self.tcp.track(frame.number, raw.ts, src, dst, tcp);
                if let Some(dissector) = self.app.as_mut() {
                    let flags = SegmentFlags::of(tcp);
                    let uncaptured = uncaptured_payload(net, tcp);
                    let seg = flags.segment_in(&frame, &meta, src, dst, tcp.payload(), uncaptured);
                    app = dissector.process(&seg);
                }
                Some(meta)
            }
            _ => None,
        };
        Packet {
            frame,
            decoded,
            tcp,
            app,
            interface_name: raw.interface_name,
            interface_description: raw.interface_description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::TsPrecision;

    /// The 64-bit shortcut gives `nanos_since`'s answers, near and far from
    /// the epoch and across the limit.
    #[test]
    fn frame_times_agree_with_nanos_since() {
        let times = [
            (1_741_615_200, 5),
            (1_741_615_199, 999_999_999),
            (1_741_615_300, 0),
            (3_999_999_999, 999_999_999),
            (4_000_000_000, 0),
            (-3_999_999_999, 7),
            (-4_000_000_001, 0),
            (i64::MAX, 999_999_999),
            (i64::MIN, 0),
            (0, u32::MAX),
            (1_741_615_200, 6),
        ];
        for start in 0..times.len() {
            let mut clock = FrameClock::default();
            let (mut first, mut prev) = (None, None);
            for &(secs, nanos) in times[start..].iter().chain(&times[..start]) {
                let ts = Timestamp { secs, nanos };
                let raw = RawFrame {
                    interface_id: 0,
                    link_type: 1,
                    ts,
                    has_ts: true,
                    precision: TsPrecision::Nanos,
                    orig_len: 0,
                    data: &[],
                    file_offset: 0,
                    section: 0,
                    interface_name: None,
                    interface_description: None,
                };
                let f = clock.frame(&raw);
                let first = *first.get_or_insert(ts);
                let prev = prev.replace(ts).unwrap_or(ts);
                assert_eq!(f.rel_nanos, ts.nanos_since(first), "{ts:?} {first:?}");
                assert_eq!(f.delta_nanos, ts.nanos_since(prev), "{ts:?} {prev:?}");
            }
        }
    }
}
