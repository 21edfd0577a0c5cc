//! TCP sequence analysis: the expert flags Wireshark puts in brackets before
//! a segment's Info (`[TCP Retransmission]`, `[TCP Dup ACK 12#1]`, ...).
//!
//! The rules are Wireshark's (`tcp_analyze_sequence_number` in
//! `packet-tcp.c`, documented in the Wireshark User's Guide, "TCP Analysis"),
//! re-implemented here and checked against tshark on fixtures. All sequence
//! arithmetic is modulo 2^32 (RFC 9293 §3.4), with Wireshark's signed
//! comparisons.
//!
//! Evaluation order matters and is kept: zero-window probe, zero window, lost
//! segment, keep-alive, window update, window full, keep-alive ACK,
//! zero-window-probe ACK, duplicate ACK; then ACKed-unseen; then
//! spurious / fast / out-of-order / plain retransmission.

/// Analysis flag bits (`tcp.analysis.*`).
pub mod flag {
    pub const RETRANSMISSION: u32 = 1 << 0;
    pub const LOST_PACKET: u32 = 1 << 1;
    pub const ACK_LOST_PACKET: u32 = 1 << 2;
    pub const KEEP_ALIVE: u32 = 1 << 3;
    pub const DUPLICATE_ACK: u32 = 1 << 4;
    pub const ZERO_WINDOW: u32 = 1 << 5;
    pub const ZERO_WINDOW_PROBE: u32 = 1 << 6;
    pub const ZERO_WINDOW_PROBE_ACK: u32 = 1 << 7;
    pub const KEEP_ALIVE_ACK: u32 = 1 << 8;
    pub const OUT_OF_ORDER: u32 = 1 << 9;
    pub const FAST_RETRANSMISSION: u32 = 1 << 10;
    pub const WINDOW_UPDATE: u32 = 1 << 11;
    pub const WINDOW_FULL: u32 = 1 << 12;
    pub const REUSED_PORTS: u32 = 1 << 13;
    pub const SPURIOUS_RETRANSMISSION: u32 = 1 << 14;
}

/// What the analysis found for one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Analysis {
    pub flags: u32,
    /// For a duplicate ACK: its number (1, 2, ...) and the frame it repeats.
    pub dup_ack_num: u32,
    pub dup_ack_frame: u64,
}

impl Analysis {
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Appends the bracketed Info prefixes in the order Wireshark shows them
    /// (it prepends each group in turn, so the last group printed comes first).
    pub fn write_info_prefix(&self, out: &mut String) {
        use flag::*;
        if self.flags == 0 {
            return;
        }
        let mut groups: Vec<&str> = Vec::with_capacity(4);
        let dup;
        if self.has(REUSED_PORTS) {
            groups.push("[TCP Port numbers reused] ");
        }
        for (f, text) in [
            (RETRANSMISSION, "[TCP Retransmission] "),
            (FAST_RETRANSMISSION, "[TCP Fast Retransmission] "),
            (SPURIOUS_RETRANSMISSION, "[TCP Spurious Retransmission] "),
            (OUT_OF_ORDER, "[TCP Out-Of-Order] "),
            (LOST_PACKET, "[TCP Previous segment not captured] "),
            (ACK_LOST_PACKET, "[TCP ACKed unseen segment] "),
            (WINDOW_UPDATE, "[TCP Window Update] "),
            (WINDOW_FULL, "[TCP Window Full] "),
            (KEEP_ALIVE, "[TCP Keep-Alive] "),
            (KEEP_ALIVE_ACK, "[TCP Keep-Alive ACK] "),
        ] {
            if self.has(f) {
                groups.push(text);
            }
        }
        if self.has(DUPLICATE_ACK) && self.dup_ack_num > 0 {
            dup = format!("[TCP Dup ACK {}#{}] ", self.dup_ack_frame, self.dup_ack_num);
            groups.push(&dup);
        }
        for (f, text) in [
            (ZERO_WINDOW_PROBE, "[TCP ZeroWindowProbe] "),
            (ZERO_WINDOW, "[TCP ZeroWindow] "),
            (ZERO_WINDOW_PROBE_ACK, "[TCP ZeroWindowProbeAck] "),
        ] {
            if self.has(f) {
                groups.push(text);
            }
        }
        for g in groups.iter().rev() {
            out.push_str(g);
        }
    }
}

/// Per-direction state of the sequence analysis.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqState {
    /// Highest next sequence number seen (0 = nothing seen yet, as Wireshark).
    pub nextseq: u32,
    /// Capture time of the segment that set `nextseq` (ns since the epoch).
    pub nextseq_time: i64,
    pub lastack: u32,
    /// Capture time of the last segment (ns since the epoch).
    pub lastack_time: i64,
    /// Raw (unscaled) window of the last segment.
    pub window: u32,
    pub last_flags: u32,
    pub dupacknum: i32,
    pub lastnondupack: u64,
    pub maxseqtobeacked: u32,
}

/// One segment, as the analysis needs it (raw sequence numbers).
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub frame: u64,
    /// Capture time, ns since the epoch.
    pub ts: i64,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub window: u32,
}

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}
fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// Out-of-order threshold when no handshake RTT is known (Wireshark: 3 ms).
const DEFAULT_OOO_NANOS: i128 = 3_000_000;
/// Fast retransmission window after the last duplicate ACK (20 ms).
const FAST_RETRANSMISSION_NANOS: i128 = 20_000_000;

/// Analyses `seg` travelling in direction `fwd`; `rev` is the other one.
/// `rev_window_shift` is the reverse direction's scale shift when known
/// (`None` when unknown, `Some(0)` when scaling is off).
pub fn analyze(
    fwd: &mut SeqState,
    rev: &mut SeqState,
    seg: &Segment,
    rev_window_shift: Option<u8>,
    first_rtt_nanos: Option<i64>,
) -> Analysis {
    use flag::*;
    let mut a = Analysis::default();
    let sfr = seg.syn || seg.fin || seg.rst;
    let seglen = seg.len;
    let seq = seg.seq;
    let ack = seg.ack;
    let window = seg.window;

    'fwd: {
        if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
            a.flags |= ZERO_WINDOW_PROBE;
            break 'fwd;
        }
        if window == 0 && !sfr {
            a.flags |= ZERO_WINDOW;
        }
        if fwd.nextseq != 0 && gt(seq, fwd.nextseq) && !seg.rst {
            a.flags |= LOST_PACKET;
        }
        if seglen <= 1 && seq == fwd.nextseq.wrapping_sub(1) && !sfr {
            a.flags |= KEEP_ALIVE;
        }
        let same_seq_ack = seq == fwd.nextseq && ack == fwd.lastack;
        if seglen == 0 && window != 0 && window != fwd.window && same_seq_ack && !sfr {
            a.flags |= WINDOW_UPDATE;
        }
        if let Some(shift) = rev_window_shift {
            let edge = rev.lastack.wrapping_add(rev.window << shift);
            if seglen > 0 && seq.wrapping_add(seglen) == edge && !sfr {
                a.flags |= WINDOW_FULL;
            }
        }
        if seglen == 0
            && window != 0
            && window == fwd.window
            && same_seq_ack
            && rev.last_flags & KEEP_ALIVE != 0
            && !sfr
        {
            a.flags |= KEEP_ALIVE_ACK;
            break 'fwd;
        }
        if seglen == 0
            && window == 0
            && window == fwd.window
            && same_seq_ack
            && rev.last_flags & ZERO_WINDOW_PROBE != 0
            && !sfr
        {
            a.flags |= ZERO_WINDOW_PROBE_ACK;
            break 'fwd;
        }
        if seglen == 0 && window != 0 && window == fwd.window && same_seq_ack && !sfr {
            fwd.dupacknum = if fwd.dupacknum == -1 {
                1
            } else {
                fwd.dupacknum + 1
            };
            a.flags |= DUPLICATE_ACK;
            a.dup_ack_num = fwd.dupacknum.max(0) as u32;
            a.dup_ack_frame = fwd.lastnondupack;
        }
    }

    if ack != fwd.lastack {
        fwd.lastnondupack = seg.frame;
        fwd.dupacknum = 0;
    }

    // ACKed unseen segment: the ACK covers data beyond the contiguous data we
    // saw going the other way. (Wireshark 4.0's rule: flag once, then move
    // the mark to what we have seen.)
    if rev.maxseqtobeacked != 0 && gt(ack, rev.maxseqtobeacked) && seg.ack_flag {
        a.flags |= ACK_LOST_PACKET;
        rev.maxseqtobeacked = rev.nextseq;
    }

    if (seglen > 0 || seg.syn || seg.fin) && a.flags & KEEP_ALIVE == 0 {
        let mut not_advanced = fwd.nextseq != 0 && lt(seq, fwd.nextseq);
        if seglen > 1 && fwd.nextseq.wrapping_sub(1) == seq {
            not_advanced = false;
        }
        let since_dup = (seg.ts as i128) - rev.lastack_time as i128;
        let since_next = (seg.ts as i128) - fwd.nextseq_time as i128;
        let ooo_threshold = first_rtt_nanos.map_or(DEFAULT_OOO_NANOS, i128::from);
        let syn_fin = u32::from(seg.syn || seg.fin);
        if seglen > 0 && rev.lastack != 0 && le(seq.wrapping_add(seglen), rev.lastack) {
            a.flags |= SPURIOUS_RETRANSMISSION;
        } else if not_advanced
            && rev.dupacknum >= 2
            && rev.lastack == seq
            && since_dup < FAST_RETRANSMISSION_NANOS
        {
            a.flags |= FAST_RETRANSMISSION;
        } else if not_advanced
            && since_next < ooo_threshold
            && fwd.nextseq != seq.wrapping_add(seglen).wrapping_add(syn_fin)
        {
            a.flags |= OUT_OF_ORDER;
        } else if not_advanced {
            a.flags |= RETRANSMISSION;
        }
    }

    let mut nextseq = seq.wrapping_add(seglen);
    if seg.syn || seg.fin {
        nextseq = nextseq.wrapping_add(1);
    }
    let probe = a.flags & ZERO_WINDOW_PROBE != 0;
    if (gt(nextseq, fwd.nextseq) || fwd.nextseq == 0) && !probe {
        fwd.nextseq = nextseq;
        fwd.nextseq_time = seg.ts;
    }
    if (seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !probe {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastack_time = seg.ts;
    fwd.last_flags = a.flags;
    a
}
