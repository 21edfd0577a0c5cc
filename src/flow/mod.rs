//! The TCP flow table: which connection (`tcp.stream`) a segment belongs to,
//! and the per-direction state Wireshark uses to print relative sequence
//! numbers and scaled windows.
//!
//! Conventions kept from Wireshark's `packet-tcp.c` (4.x):
//! - streams are numbered from 0 in order of each connection's first packet;
//!   a SYN on a known 4-tuple whose sequence number differs from the
//!   connection's initial one starts a new stream ("port numbers reused");
//! - relative sequence numbers count from the ISN of a direction's SYN, or, when
//!   no SYN was seen, from one before the first sequence number seen, so the
//!   first segment shows `Seq=1`; the reverse direction's base is taken from the
//!   first acknowledgement number seen (`ack - 1`);
//! - a window scale shift comes from the SYN's Window Scale option; once the
//!   SYN/ACK shows that either side did not offer one, scaling is off both
//!   ways; while unknown (no handshake seen) windows are shown unscaled.
//!
//! Memory: a closed connection (FIN both ways, or RST) is forgotten once it
//! has been quiet for [`CLOSED_LINGER_NANOS`] of capture time. A job that
//! must stay bounded by the open connections whatever the connection rate
//! (`conv`) also caps the closed ones kept ([`TcpTracker::limit_closed`]: the
//! oldest closed go first). Until it is forgotten, a closed connection
//! still receives its late segments (the ACK of the last FIN, a retransmitted
//! FIN), as in Wireshark; after, a segment on its 4-tuple starts a new stream
//! (Wireshark, which forgets nothing, would count it in the old one). With
//! [`TcpTracker::report_forgotten`] on, the streams forgotten (swept,
//! evicted, or replaced by a reuse of their ports) are listed for the caller
//! ([`TcpTracker::drain_forgotten`]): their state can no longer change.

pub mod analysis;
pub mod reassembly;

use crate::source::Timestamp;
use analysis::{Analysis, Segment, SeqState};
use etherparse::{LaxNetSlice, TcpSlice};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// How long (capture time) a closed connection is kept to attribute late
/// retransmissions and ACKs to the right stream.
pub const CLOSED_LINGER_NANOS: i128 = 60 * 1_000_000_000;
/// How often (in packets) the table is swept for closed connections.
const SWEEP_EVERY: u32 = 1 << 16;
/// The closed connections `conv` keeps at most ([`TcpTracker::limit_closed`]).
/// Late segments come within a few round trips; 8192 closed connections is
/// about 0.4 s of the benchmark capture's 20,000 connections per second and
/// minutes of a lab session. Each costs about 130 bytes in the table, plus
/// `conv`'s row (about 190).
pub const MAX_CLOSED: usize = 8192;

/// A connection's endpoints in canonical order (lower endpoint first).
/// Addresses are big-endian numbers and the ports one word: hashing and
/// comparing a few integers, not byte arrays (which called `memcmp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ConnKey {
    lo_addr: u128,
    hi_addr: u128,
    /// The lower endpoint's port in the high half.
    ports: u32,
}

/// An endpoint: IPv4 addresses are stored in the first 4 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub addr: [u8; 16],
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WinScale {
    /// No SYN seen in this direction yet.
    Unknown,
    /// The handshake showed scaling is not in use.
    Off,
    Shift(u8),
}

#[derive(Debug, Clone, Copy)]
struct Direction {
    base_seq: Option<u32>,
    win_scale: WinScale,
    fin: bool,
}

impl Direction {
    const NEW: Direction = Direction {
        base_seq: None,
        win_scale: WinScale::Unknown,
        fin: false,
    };
}

const SEQ_NEW: SeqState = SeqState {
    nextseq: 0,
    nextseq_time: 0,
    lastack: 0,
    lastack_time: 0,
    window: 0,
    last_flags: 0,
    dupacknum: 0,
    lastnondupack: 0,
    maxseqtobeacked: 0,
};

/// `tcp.completeness` after a segment with TCP `flags` and `payload_len`
/// bytes, tshark 4.0's rule (`dissect_tcp`): the segment that opens the
/// conversation (`is_new`: first seen, or a port reuse) counts only as a
/// pure SYN (and its data, TCP Fast Open); a capture that starts
/// mid-connection gets nothing from its first segment, whatever it is.
/// Every later segment adds SYN-ACK for SYN+ACK; for ACK without SYN, DATA
/// when it carries bytes, else ACK (a bare ACK counts even when no
/// handshake was seen); FIN for FIN+ACK; RST for RST.
pub fn next_completeness(before: u8, is_new: bool, flags: u8, payload_len: u32) -> u8 {
    use completeness as c;
    let mut bits = before;
    if is_new {
        if flags & (SYN | ACK) == SYN {
            bits |= c::SYN;
            if payload_len > 0 {
                bits |= c::DATA;
            }
        }
        return bits;
    }
    if flags & (SYN | ACK) == SYN | ACK {
        bits |= c::SYN_ACK;
    }
    if flags & (SYN | ACK) == ACK {
        bits |= if payload_len > 0 { c::DATA } else { c::ACK };
    }
    if flags & (FIN | ACK) == FIN | ACK {
        bits |= c::FIN;
    }
    if flags & RST != 0 {
        bits |= c::RST;
    }
    bits
}

/// Wireshark's `tcp.completeness` bits.
pub mod completeness {
    pub const SYN: u8 = 1;
    pub const SYN_ACK: u8 = 2;
    pub const ACK: u8 = 4;
    pub const DATA: u8 = 8;
    pub const FIN: u8 = 16;
    pub const RST: u8 = 32;
}

#[derive(Debug, Clone)]
struct Conn<T> {
    stream: u32,
    /// Index 0: from the lower endpoint; 1: from the higher one.
    dirs: [Direction; 2],
    rst: bool,
    /// Capture times are kept as ns since the epoch (8 bytes, not 16): the
    /// table holds every connection of the last minute.
    last_seen: i64,
    completeness: u8,
    /// Time of the most recent SYN (without ACK), for the handshake RTT.
    last_syn: Option<i64>,
    /// SYN to handshake-ACK time, Wireshark's `tcp.analysis.initial_rtt`.
    first_rtt: Option<i64>,
    /// Time of the stream's first segment (`tcp.time_relative` counts from it).
    first_seen: i64,
    /// Sequence analysis state per direction (as `dirs`), only when the
    /// analysis runs: without it a connection is about 90 bytes, which
    /// keeps the table of a job that only counts in the CPU's caches.
    seq: Option<Box<[SeqState; 2]>>,
    /// The caller's state for the connection ([`TcpTracker::track_with`]).
    user: T,
}

impl<T: Default> Conn<T> {
    /// FIN both ways, or a RST.
    fn is_closed(&self) -> bool {
        self.rst || (self.dirs[0].fin && self.dirs[1].fin)
    }

    fn new(stream: u32, ts: i64) -> Self {
        Conn {
            stream,
            dirs: [Direction::NEW; 2],
            rst: false,
            last_seen: ts,
            completeness: 0,
            last_syn: None,
            first_rtt: None,
            first_seen: ts,
            seq: None,
            user: T::default(),
        }
    }
}

/// What the flow table says about one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpMeta {
    pub stream: u32,
    pub rel_seq: u32,
    /// Present when the ACK flag is set.
    pub rel_ack: Option<u32>,
    /// The window as Wireshark's "Calculated window size".
    pub window: u32,
    /// Multiplier applied to the raw window, or `None` when unknown.
    pub window_multiplier: Option<i32>,
    /// Relative sequence number after this segment (`tcp.nxtseq`).
    pub next_seq: u32,
    /// The segment started a new stream on a 4-tuple used before.
    pub port_reused: bool,
    /// Base used for this direction's relative numbers (to make SACK edges relative).
    pub base_seq: u32,
    /// Base of the reverse direction (for relative SACK/ack values).
    pub rev_base_seq: u32,
    /// Sequence analysis flags (retransmission, dup ACK, ...).
    pub analysis: Analysis,
    /// `tcp.completeness` as tshark shows it in one pass: the bits seen
    /// before this segment.
    pub completeness: u8,
    /// The bits including this segment.
    pub completeness_after: u8,
    /// Nanoseconds since the stream's first segment (`tcp.time_relative`).
    pub time_relative: i128,
    /// Nanoseconds since the stream's previous segment (`tcp.time_delta`).
    pub time_delta: i128,
    /// Sequence numbers are shown as they are on the wire (Wireshark's
    /// `tcp.relative_sequence_numbers:FALSE`, or its sequence analysis
    /// off): the `*_shown` methods give them.
    pub absolute: bool,
}

impl TcpMeta {
    /// `tcp.seq` as shown: relative, or the raw number.
    pub fn seq_shown(&self) -> u32 {
        if self.absolute {
            self.rel_seq.wrapping_add(self.base_seq)
        } else {
            self.rel_seq
        }
    }

    /// `tcp.ack` as shown (with the ACK flag).
    pub fn ack_shown(&self) -> Option<u32> {
        if self.absolute {
            self.rel_ack.map(|a| a.wrapping_add(self.rev_base_seq))
        } else {
            self.rel_ack
        }
    }

    /// `tcp.nxtseq` as shown.
    pub fn next_seq_shown(&self) -> u32 {
        if self.absolute {
            self.next_seq.wrapping_add(self.base_seq)
        } else {
            self.next_seq
        }
    }

    /// What is subtracted from a SACK edge to show it (the reverse
    /// direction's base, or 0 when numbers are absolute).
    pub fn sack_base(&self) -> u32 {
        if self.absolute {
            0
        } else {
            self.rev_base_seq
        }
    }
}

/// The stream table. Feed it every TCP segment in capture order.
///
/// `T` is state the caller keeps per connection, next to the table's own
/// (`conv` keeps its conversation row there: one lookup per segment, and
/// the row is handed back when the connection is forgotten).
pub struct TcpTracker<T = ()> {
    conns: FxHashMap<ConnKey, Conn<T>>,
    next_stream: u32,
    since_sweep: u32,
    /// Skip the sequence analysis (jobs that only count, like `conv`).
    skip_analysis: bool,
    /// Metas say to show raw sequence numbers ([`TcpMeta::absolute`]).
    absolute: bool,
    /// At most this many closed connections are kept (`usize::MAX`: no cap).
    max_closed: usize,
    /// Connections in the order they closed (only with a cap), with their
    /// stream to tell a later connection on the same 4-tuple apart.
    closed: VecDeque<(ConnKey, u32)>,
    /// Whether forgotten streams are listed in `forgotten`.
    report_forgotten: bool,
    forgotten: Vec<(u32, T)>,
}

impl<T: Default> Default for TcpTracker<T> {
    fn default() -> Self {
        TcpTracker {
            conns: FxHashMap::default(),
            next_stream: 0,
            since_sweep: 0,
            skip_analysis: false,
            absolute: false,
            max_closed: usize::MAX,
            closed: VecDeque::new(),
            report_forgotten: false,
            forgotten: Vec::new(),
        }
    }
}

const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

impl<T: Default> TcpTracker<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tracker that numbers streams and keeps relative numbers but does no
    /// sequence analysis (no `tcp.analysis.*` flags): for jobs that only count.
    pub fn without_analysis() -> Self {
        TcpTracker {
            skip_analysis: true,
            ..Self::default()
        }
    }

    /// Sequence numbers are to be shown raw (Wireshark's
    /// `tcp.relative_sequence_numbers:FALSE`); the relative ones are still
    /// computed and used (reassembly).
    pub fn show_absolute(&mut self, absolute: bool) {
        self.absolute = absolute;
    }

    /// Keeps at most `max` closed connections (besides the 60 s limit), so
    /// that memory follows the open connections, not the connection rate:
    /// when one more closes, the one closed longest ago is forgotten (at the
    /// next segment).
    pub fn limit_closed(&mut self, max: usize) {
        self.max_closed = max;
    }

    /// Lists the streams forgotten from now on, for [`Self::drain_forgotten`]
    /// (call it regularly: the list grows until drained).
    pub fn report_forgotten(&mut self, on: bool) {
        self.report_forgotten = on;
    }

    /// Hands the streams forgotten since the last call to `f`, with their
    /// state: no later segment will be attributed to them.
    pub fn drain_forgotten(&mut self, mut f: impl FnMut(u32, T)) {
        for (stream, user) in self.forgotten.drain(..) {
            f(stream, user);
        }
    }

    /// The end of the capture: hands every connection still held to `f`
    /// (in no particular order) and forgets it.
    pub fn drain_all(&mut self, mut f: impl FnMut(u32, T)) {
        self.drain_forgotten(&mut f);
        for (_, c) in self.conns.drain() {
            f(c.stream, c.user);
        }
        self.closed.clear();
    }

    /// Number of connections currently held (open, or closed but lingering).
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Number of streams seen so far.
    pub fn streams(&self) -> u32 {
        self.next_stream
    }

    /// The number the next new stream gets (for an analyser that sees one
    /// stream of a capture on its own: `Analyzer::for_stream`).
    pub fn set_next_stream(&mut self, n: u32) {
        self.next_stream = n;
    }

    /// Attributes a segment from `src` to `dst` to its stream and updates state.
    pub fn track(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        tcp: &TcpSlice<'_>,
    ) -> TcpMeta {
        self.track_with(frame, ts, src, dst, tcp).0
    }

    /// [`Self::track`], and the caller's state for the segment's connection.
    #[inline]
    pub fn track_with(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        tcp: &TcpSlice<'_>,
    ) -> (TcpMeta, &mut T) {
        let now = ts.as_nanos();
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.sweep(now);
        }
        if self.closed.len() > self.max_closed {
            self.evict_closed();
        }
        // Lexicographic order of (address bytes, port), as `Endpoint`'s
        // `Ord`, without a `memcmp` call.
        let (src_addr, dst_addr) = (u128::from_be_bytes(src.addr), u128::from_be_bytes(dst.addr));
        let ordered = (src_addr, src.port) <= (dst_addr, dst.port);
        let (key, fwd_idx) = if ordered {
            (
                ConnKey {
                    lo_addr: src_addr,
                    hi_addr: dst_addr,
                    ports: u32::from(src.port) << 16 | u32::from(dst.port),
                },
                0usize,
            )
        } else {
            (
                ConnKey {
                    lo_addr: dst_addr,
                    hi_addr: src_addr,
                    ports: u32::from(dst.port) << 16 | u32::from(src.port),
                },
                1usize,
            )
        };
        let flags = tcp_flags(tcp);
        let seq = tcp.sequence_number();
        let ack = tcp.acknowledgment_number();
        let syn = flags & SYN != 0;
        let is_ack = flags & ACK != 0;

        let mut port_reused = false;
        // The segment opened this connection's conversation (first seen,
        // or a port reuse): tshark counts only a pure SYN there.
        let mut is_new = false;
        let next_stream = &mut self.next_stream;
        let (report, forgotten) = (self.report_forgotten, &mut self.forgotten);
        let conn = self
            .conns
            .entry(key)
            .and_modify(|c| {
                // A fresh SYN with another ISN on a known 4-tuple: a new connection.
                let fwd = &c.dirs[fwd_idx];
                if syn && !is_ack && fwd.base_seq.is_some_and(|b| b != seq) {
                    port_reused = true;
                    is_new = true;
                    let old = std::mem::replace(c, Conn::new(*next_stream, now));
                    if report {
                        forgotten.push((old.stream, old.user));
                    }
                    *next_stream += 1;
                }
            })
            .or_insert_with(|| {
                is_new = true;
                let c = Conn::new(*next_stream, now);
                *next_stream += 1;
                c
            });
        // In 128 bits: times saturate at the ends of `i64` (`as_nanos`), and
        // a capture may jump between them (fuzz/README.md, the diagram finding).
        let time_delta = i128::from(now) - i128::from(conn.last_seen);
        conn.last_seen = now;

        let rev_idx = 1 - fwd_idx;
        // Base sequence numbers (see module doc).
        if syn {
            // A SYN's ISN is authoritative, even over a guess from an earlier ACK.
            conn.dirs[fwd_idx].base_seq = Some(seq);
        } else if conn.dirs[fwd_idx].base_seq.is_none() {
            conn.dirs[fwd_idx].base_seq = Some(seq.wrapping_sub(1));
        }
        if is_ack && conn.dirs[rev_idx].base_seq.is_none() {
            conn.dirs[rev_idx].base_seq = Some(ack.wrapping_sub(1));
        }

        // Window scaling.
        if syn {
            conn.dirs[fwd_idx].win_scale = match window_scale_option(tcp) {
                Some(shift) => WinScale::Shift(shift.min(14)),
                None => WinScale::Off,
            };
            if is_ack {
                let either_off = conn.dirs[fwd_idx].win_scale == WinScale::Off
                    || conn.dirs[rev_idx].win_scale == WinScale::Off;
                if either_off {
                    conn.dirs[fwd_idx].win_scale = WinScale::Off;
                    conn.dirs[rev_idx].win_scale = WinScale::Off;
                }
            }
        }
        let raw_window = tcp.window_size() as u32;
        let (window, window_multiplier) = if syn {
            (raw_window, None)
        } else {
            match conn.dirs[fwd_idx].win_scale {
                WinScale::Shift(s) => (raw_window << s, Some(1i32 << s)),
                // Wireshark's `tcp.window_size_scalefactor`: -2 for "no
                // window scaling used", -1 for "unknown" (no handshake seen).
                WinScale::Off => (raw_window, Some(-2)),
                WinScale::Unknown => (raw_window, Some(-1)),
            }
        };

        // Handshake RTT: from the latest SYN to the first pure ACK after it.
        if syn && !is_ack {
            conn.last_syn = Some(now);
        } else if is_ack && !syn && conn.first_rtt.is_none() {
            if let Some(t) = conn.last_syn {
                conn.first_rtt = Some(now.saturating_sub(t));
            }
        }

        let payload_len = tcp.payload().len() as u32;
        let mut analysis = if self.skip_analysis {
            Analysis::default()
        } else {
            let rev_shift = match conn.dirs[rev_idx].win_scale {
                WinScale::Shift(s) => Some(s),
                WinScale::Off => Some(0),
                WinScale::Unknown => None,
            };
            let segment = Segment {
                frame,
                ts: now,
                seq,
                ack,
                len: payload_len,
                syn,
                ack_flag: is_ack,
                fin: flags & FIN != 0,
                rst: flags & RST != 0,
                window: raw_window,
            };
            let seqs = conn.seq.get_or_insert_with(|| Box::new([SEQ_NEW; 2]));
            let (a, b) = seqs.split_at_mut(1);
            let (fwd_seq, rev_seq) = if fwd_idx == 0 {
                (&mut a[0], &mut b[0])
            } else {
                (&mut b[0], &mut a[0])
            };
            analysis::analyze(fwd_seq, rev_seq, &segment, rev_shift, conn.first_rtt)
        };
        if port_reused {
            analysis.flags |= analysis::flag::REUSED_PORTS;
        }

        let completeness_before = conn.completeness;
        conn.completeness = next_completeness(conn.completeness, is_new, flags, payload_len);

        // Only a FIN or a RST can close the connection.
        let closes = flags & (FIN | RST) != 0 && {
            let was_closed = conn.is_closed();
            if flags & FIN != 0 {
                conn.dirs[fwd_idx].fin = true;
            }
            if flags & RST != 0 {
                conn.rst = true;
            }
            !was_closed && conn.is_closed()
        };

        let base = conn.dirs[fwd_idx].base_seq.unwrap_or(seq);
        let rev_base = conn.dirs[rev_idx].base_seq.unwrap_or(0);
        let rel_seq = seq.wrapping_sub(base);
        let next_seq = rel_seq
            .wrapping_add(payload_len)
            .wrapping_add(u32::from(syn))
            .wrapping_add(u32::from(flags & FIN != 0));
        let meta = TcpMeta {
            stream: conn.stream,
            rel_seq,
            rel_ack: is_ack.then(|| ack.wrapping_sub(rev_base)),
            window,
            window_multiplier,
            next_seq,
            port_reused,
            base_seq: base,
            rev_base_seq: rev_base,
            analysis,
            completeness: completeness_before,
            completeness_after: conn.completeness,
            time_relative: i128::from(now) - i128::from(conn.first_seen),
            time_delta,
            absolute: self.absolute,
        };
        if closes && self.max_closed != usize::MAX {
            self.closed.push_back((key, meta.stream));
        }
        (meta, &mut conn.user)
    }

    /// Forgets the connections closed longest ago beyond `max_closed`.
    fn evict_closed(&mut self) {
        while self.closed.len() > self.max_closed {
            let Some((old, stream)) = self.closed.pop_front() else {
                break;
            };
            // Still that connection (not swept, not replaced by a reuse of
            // its ports), still closed (a closed one stays closed).
            if self
                .conns
                .get(&old)
                .is_some_and(|c| c.stream == stream && c.is_closed())
            {
                if let Some(c) = self.conns.remove(&old) {
                    if self.report_forgotten {
                        self.forgotten.push((stream, c.user));
                    }
                }
            }
        }
    }

    /// Forgets connections that are closed and have been quiet long enough.
    fn sweep(&mut self, now: i64) {
        self.since_sweep = 0;
        let (report, forgotten) = (self.report_forgotten, &mut self.forgotten);
        self.conns.retain(|_, c| {
            let quiet = i128::from(now) - i128::from(c.last_seen);
            let drop = c.is_closed() && quiet > CLOSED_LINGER_NANOS;
            if drop && report {
                forgotten.push((c.stream, std::mem::take(&mut c.user)));
            }
            !drop
        });
    }
}

/// The 9 flag bits (NS/AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN).
pub fn tcp_flags_u16(tcp: &TcpSlice<'_>) -> u16 {
    let h = tcp.header_slice();
    (((h[12] & 0x01) as u16) << 8) | h[13] as u16
}

fn tcp_flags(tcp: &TcpSlice<'_>) -> u8 {
    // A TCP slice holds at least the 20 bytes of the fixed header.
    tcp.slice()[13]
}

/// The Window Scale option's shift, read as etherparse's options iterator
/// reads the options (`find_map` over it): the walk stops at the end-of-list
/// option, at an unknown kind and at the first option whose length is not
/// the one its kind must have. Without the iterator's general machinery: it
/// was most of the cost of a SYN.
fn window_scale_option(tcp: &TcpSlice<'_>) -> Option<u8> {
    let mut o = tcp.options();
    loop {
        let kind = *o.first()?;
        let len = match kind {
            0 => return None,
            1 => {
                o = &o[1..];
                continue;
            }
            // Maximum segment size, window scale, SACK permitted, timestamps.
            2 => 4,
            3 => 3,
            4 => 2,
            8 => 10,
            // SACK: 1 to 4 blocks.
            5 => match *o.get(1)? {
                len @ (10 | 18 | 26 | 34) => len,
                _ => return None,
            },
            _ => return None,
        };
        if o.len() < usize::from(len) || o[1] != len {
            return None;
        }
        if kind == 3 {
            return Some(o[2]);
        }
        o = &o[usize::from(len)..];
    }
}

/// Source and destination endpoints of a transport segment.
pub fn endpoints(net: &LaxNetSlice<'_>, src_port: u16, dst_port: u16) -> (Endpoint, Endpoint) {
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            src[..4].copy_from_slice(&h.source());
            dst[..4].copy_from_slice(&h.destination());
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            src.copy_from_slice(&h.source());
            dst.copy_from_slice(&h.destination());
        }
        _ => {}
    }
    (
        Endpoint {
            addr: src,
            port: src_port,
        },
        Endpoint {
            addr: dst,
            port: dst_port,
        },
    )
}

/// Payload bytes of a TCP segment on the wire that the capture did not keep
/// (snapshot length): the IP length says more than the frame holds. IPv6
/// with extension headers counts as complete.
pub fn uncaptured_payload(net: &LaxNetSlice<'_>, tcp: &TcpSlice<'_>) -> u32 {
    let declared = match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            usize::from(h.total_len()).saturating_sub(h.slice().len())
        }
        LaxNetSlice::Ipv6(v6) if v6.extensions().is_empty() => {
            usize::from(v6.header().payload_length())
        }
        _ => return 0,
    };
    let wire = declared.saturating_sub(tcp.header_len());
    wire.saturating_sub(tcp.payload().len())
        .min(u32::MAX as usize) as u32
}

#[cfg(test)]
mod tests;
