//! TCP conversations: one row per `tcp.stream`, with tshark's `-z conv,tcp`
//! counters (frames and bytes each way, relative start, duration) plus the
//! handshake and teardown of the connection, classified.
//!
//! Memory: a [`Conversation`] (~190 bytes) is kept only while its stream
//! can still change, i.e. while the flow table holds the connection: in the
//! flow table itself (`conv`'s counting pass, through
//! [`crate::flow::TcpTracker::track_with`]) or in [`ConversationTable`]'s
//! map. When the flow table forgets the connection
//! ([`crate::flow::TcpTracker::drain_forgotten`]), the row is packed
//! ([`ConversationTable::push_finished`], [`ConversationTable::finish_stream`])
//! into a few dozen bytes: LEB128 varints, frame numbers relative to the
//! stream's first frame, plus 16 bytes of index (about 70 bytes in all for a
//! lab connection). tshark's table is sorted by frame count, so nothing can
//! be printed before the end of the capture, and one packed row per
//! conversation stays until then: that much still grows with the number of
//! conversations.
//!
//! Client and server: the client is the sender of the SYN; failing that the
//! receiver of the SYN/ACK; failing that the side with the higher port
//! (application dissectors may refine this later with the side that sent
//! the first request).

pub mod pass;

use crate::dissect::stream::{Pdu, PduBody};
use crate::flow::{endpoints, Endpoint};
use crate::model::Packet;
use etherparse::TransportSlice;
use rustc_hash::FxHashMap;
use std::num::NonZeroU64;

/// What the connection's opening looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// SYN, SYN/ACK, ACK.
    Complete,
    /// SYN and SYN/ACK, but no ACK from the client.
    NoFinalAck,
    /// A SYN that got no answer.
    SynOnly,
    /// A SYN answered by a RST.
    Refused,
    /// Both sides sent a SYN.
    SimultaneousOpen,
    /// A SYN/ACK without the SYN before it (capture started in between).
    SynAckOnly,
    /// No SYN at all: the capture started mid-connection.
    NotSeen,
}

impl Handshake {
    pub fn as_str(self) -> &'static str {
        match self {
            Handshake::Complete => "complete",
            Handshake::NoFinalAck => "no-final-ack",
            Handshake::SynOnly => "syn-only",
            Handshake::Refused => "refused",
            Handshake::SimultaneousOpen => "simultaneous-open",
            Handshake::SynAckOnly => "syn-ack-only",
            Handshake::NotSeen => "not-seen",
        }
    }
}

/// How the connection ended (or did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// FIN from both sides.
    Fin,
    /// FIN from one side only.
    HalfClosed,
    /// Reset after the connection was up.
    Rst,
    /// SYN answered by RST.
    Refused,
    /// Still open at the end of the capture.
    Open,
}

impl Close {
    pub fn as_str(self) -> &'static str {
        match self {
            Close::Fin => "fin",
            Close::HalfClosed => "half-closed",
            Close::Rst => "rst",
            Close::Refused => "refused",
            Close::Open => "open",
        }
    }
}

/// A frame number, when there is one (frame numbers start at 1, so the
/// niche keeps it at 8 bytes; rows are kept for every stream).
pub type FrameRef = Option<NonZeroU64>;

/// Per-direction counters; index 0 is endpoint A (source of the first packet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Side {
    pub frames: u64,
    pub bytes: u64,
    /// First frame with SYN (no ACK) / SYN+ACK / FIN / RST from this side.
    pub syn: FrameRef,
    pub syn_ack: FrameRef,
    pub fin: FrameRef,
    pub rst: FrameRef,
}

/// The facts that decide a connection's client side and handshake class:
/// the first SYN, SYN/ACK and RST of each side (0 = A), the handshake's ACK
/// and the ports. One rule for `conv` and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub syn: [FrameRef; 2],
    pub syn_ack: [FrameRef; 2],
    pub rst: [FrameRef; 2],
    pub handshake_ack: FrameRef,
    pub ports: [u16; 2],
}

impl Opening {
    /// Index of the client side (0 = A, 1 = B): the SYN sender (the first
    /// SYN on a simultaneous open), else the SYN/ACK receiver, else the
    /// higher port.
    pub fn client_side(&self) -> usize {
        match (self.syn[0], self.syn[1]) {
            (Some(_), None) => 0,
            (None, Some(_)) => 1,
            (Some(x), Some(y)) => usize::from(x > y),
            (None, None) if self.syn_ack[1].is_some() => 0,
            (None, None) if self.syn_ack[0].is_some() => 1,
            (None, None) => usize::from(self.ports[0] < self.ports[1]),
        }
    }

    pub fn handshake(&self) -> Handshake {
        let c = self.client_side();
        if self.syn[c].is_some() && self.syn[1 - c].is_some() {
            return Handshake::SimultaneousOpen;
        }
        match (self.syn[c], self.syn_ack[1 - c]) {
            (Some(_), Some(_)) if self.handshake_ack.is_some() => Handshake::Complete,
            (Some(_), Some(_)) => Handshake::NoFinalAck,
            (Some(_), None) if self.rst[1 - c].is_some() => Handshake::Refused,
            (Some(_), None) => Handshake::SynOnly,
            (None, Some(_)) => Handshake::SynAckOnly,
            (None, None) => Handshake::NotSeen,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversation {
    pub stream: u32,
    pub v6: bool,
    /// A is the source of the stream's first packet (as in tshark's table).
    pub a: Endpoint,
    pub b: Endpoint,
    pub sides: [Side; 2],
    pub first_frame: u64,
    /// Earliest and latest time of the stream's frames, relative to the
    /// capture's first frame.
    pub start_nanos: i64,
    pub end_nanos: i64,
    /// The first pure ACK from the SYN sender after the SYN/ACK.
    pub handshake_ack: FrameRef,
    pub completeness: u8,
    /// Zeek-style history events, each (letter, side) once, in order: the
    /// letter's ASCII code with the top bit set when it came from A. Six
    /// letters times two sides fit; a fixed array keeps rows allocation-free.
    history: [u8; 12],
    history_len: u8,
    /// HTTP and HTCPCP requests on the stream (from the application layer's
    /// messages, when the analyser runs it).
    pub requests: u32,
}

impl Conversation {
    /// Index of the client side (0 = A, 1 = B).
    pub fn client_side(&self) -> usize {
        self.opening().client_side()
    }

    /// What decides the client side and the handshake class.
    pub fn opening(&self) -> Opening {
        let [a, b] = &self.sides;
        Opening {
            syn: [a.syn, b.syn],
            syn_ack: [a.syn_ack, b.syn_ack],
            rst: [a.rst, b.rst],
            handshake_ack: self.handshake_ack,
            ports: [self.a.port, self.b.port],
        }
    }

    pub fn endpoint(&self, side: usize) -> Endpoint {
        if side == 0 {
            self.a
        } else {
            self.b
        }
    }

    pub fn handshake(&self) -> Handshake {
        self.opening().handshake()
    }

    pub fn close(&self) -> Close {
        if self.handshake() == Handshake::Refused {
            return Close::Refused;
        }
        let [a, b] = &self.sides;
        if a.rst.is_some() || b.rst.is_some() {
            Close::Rst
        } else if a.fin.is_some() && b.fin.is_some() {
            Close::Fin
        } else if a.fin.is_some() || b.fin.is_some() {
            Close::HalfClosed
        } else {
            Close::Open
        }
    }

    /// Zeek's `conn_state`.
    pub fn conn_state(&self) -> &'static str {
        let c = self.client_side();
        let (orig, resp) = (&self.sides[c], &self.sides[1 - c]);
        let orig_syn = orig.syn.is_some();
        let resp_synack = resp.syn_ack.is_some() || resp.syn.is_some();
        match (orig_syn, resp_synack) {
            (false, false) => "OTH",
            (true, false) => {
                if resp.rst.is_some() {
                    "REJ"
                } else if orig.rst.is_some() {
                    "RSTOS0"
                } else if orig.fin.is_some() {
                    "SH"
                } else {
                    "S0"
                }
            }
            (false, true) => {
                if resp.rst.is_some() {
                    "RSTRH"
                } else if resp.fin.is_some() {
                    "SHR"
                } else {
                    "OTH"
                }
            }
            (true, true) => {
                if orig.rst.is_some() {
                    "RSTO"
                } else if resp.rst.is_some() {
                    "RSTR"
                } else {
                    match (orig.fin.is_some(), resp.fin.is_some()) {
                        (true, true) => "SF",
                        (true, false) => "S2",
                        (false, true) => "S3",
                        (false, false) => "S1",
                    }
                }
            }
        }
    }

    /// Zeek's history: upper case for the client (originator), lower for the server.
    pub fn history(&self) -> String {
        let mut s = String::with_capacity(12);
        self.write_history(&mut s);
        s
    }

    /// Appends [`Self::history`].
    pub fn write_history(&self, out: &mut String) {
        let mut buf = [0u8; 12];
        for &b in self.history_bytes(&mut buf) {
            out.push(char::from(b));
        }
    }

    /// [`Self::history`] in `buf` (ASCII), returned as the slice holding it.
    pub fn history_bytes<'b>(&self, buf: &'b mut [u8; 12]) -> &'b [u8] {
        let client_is_a = self.client_side() == 0;
        let len = (self.history_len as usize).min(12);
        for (out, &code) in buf.iter_mut().zip(&self.history[..len]) {
            let (letter, from_a) = (code & 0x7f, code & 0x80 != 0);
            *out = if from_a == client_is_a {
                letter
            } else {
                letter.to_ascii_lowercase()
            };
        }
        &buf[..len]
    }

    /// Accounts one TCP segment of the stream (the first one sets the
    /// stream, endpoints and start).
    pub fn add(&mut self, seg: &Segment) {
        let c = self;
        if c.first_frame == 0 {
            // Frame numbers start at 1: a row that has seen nothing.
            *c = Conversation {
                stream: seg.stream,
                v6: seg.v6,
                a: seg.src,
                b: seg.dst,
                first_frame: seg.frame,
                start_nanos: seg.rel_nanos,
                end_nanos: seg.rel_nanos,
                ..Conversation::default()
            };
        }
        let frame = NonZeroU64::new(seg.frame);
        let from_a = seg.src == c.a && seg.dst == c.b;
        let side = if from_a { 0 } else { 1 };
        // Earliest and latest time, as tshark keeps them (a capture's times
        // may go backwards).
        if seg.rel_nanos > c.end_nanos {
            c.end_nanos = seg.rel_nanos;
        } else if seg.rel_nanos < c.start_nanos {
            c.start_nanos = seg.rel_nanos;
        }
        c.sides[side].frames += 1;
        c.sides[side].bytes += u64::from(seg.orig_len);
        let flags = seg.flags;
        let (syn, ack, fin, rst) = (
            flags & 2 != 0,
            flags & 0x10 != 0,
            flags & 1 != 0,
            flags & 4 != 0,
        );
        let s = &mut c.sides[side];
        if syn && !ack {
            s.syn = s.syn.or(frame);
        }
        if syn && ack {
            s.syn_ack = s.syn_ack.or(frame);
        }
        if fin {
            s.fin = s.fin.or(frame);
        }
        if rst {
            s.rst = s.rst.or(frame);
        }
        if ack
            && !syn
            && !rst
            && c.handshake_ack.is_none()
            && c.sides[side].syn.is_some()
            && c.sides[1 - side].syn_ack.is_some()
        {
            c.handshake_ack = frame;
        }
        let len = seg.payload_len;
        if syn {
            c.note(if ack { 'H' } else { 'S' }, from_a);
        } else if len == 0 && ack && !fin && !rst {
            c.note('A', from_a);
        }
        if len > 0 {
            c.note('D', from_a);
        }
        if fin {
            c.note('F', from_a);
        }
        if rst {
            c.note('R', from_a);
        }
        c.completeness = seg.completeness;
        c.requests += seg.requests;
    }

    fn note(&mut self, letter: char, from_a: bool) {
        let code = letter as u8 | if from_a { 0x80 } else { 0 };
        let len = self.history_len as usize;
        // Each (letter, side) once. Not `contains`: for bytes it is a
        // `memchr` call, dear for at most 12 of them, twice a packet.
        #[allow(clippy::manual_contains)]
        if len < self.history.len() && !self.history[..len].iter().any(|&h| h == code) {
            self.history[len] = code;
            self.history_len += 1;
        }
    }
}

/// HTTP and HTCPCP requests among a frame's messages.
fn requests_in(pdus: &[Pdu]) -> u32 {
    pdus.iter()
        .filter(|p| matches!(&p.body, PduBody::Http(h) if h.message.is_request()))
        .count() as u32
}

/// What the table needs of one TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub frame: u64,
    /// Nanoseconds since the capture's first frame.
    pub rel_nanos: i64,
    /// Length on the wire.
    pub orig_len: u32,
    pub v6: bool,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// [`crate::flow::tcp_flags_u16`].
    pub flags: u16,
    pub payload_len: usize,
    pub stream: u32,
    /// `tcp.completeness` including this segment.
    pub completeness: u8,
    /// HTTP/HTCPCP requests the segment completes.
    pub requests: u32,
}

/// All conversations of a capture: full rows for the streams that can
/// still change, packed rows for the others.
#[derive(Default)]
pub struct ConversationTable {
    live: FxHashMap<u32, Conversation>,
    packed: PackedRows,
}

impl ConversationTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Accounts one packet (non-TCP packets are ignored).
    pub fn add(&mut self, pkt: &Packet<'_>) {
        let (Some(meta), Some(TransportSlice::Tcp(tcp)), Some(net)) =
            (&pkt.tcp, &pkt.decoded.transport, &pkt.decoded.net)
        else {
            return;
        };
        let (src, dst) = endpoints(net, tcp.source_port(), tcp.destination_port());
        self.add_segment(&Segment {
            frame: pkt.frame.number,
            rel_nanos: pkt.frame.rel_nanos as i64,
            orig_len: pkt.frame.orig_len,
            v6: matches!(net, etherparse::LaxNetSlice::Ipv6(_)),
            src,
            dst,
            flags: crate::flow::tcp_flags_u16(tcp),
            payload_len: tcp.payload().len(),
            stream: meta.stream,
            completeness: meta.completeness_after,
            requests: pkt
                .app
                .as_deref()
                .map_or(0, |app| requests_in(&app.messages)),
        });
    }

    /// Accounts one TCP segment.
    pub fn add_segment(&mut self, seg: &Segment) {
        self.live.entry(seg.stream).or_default().add(seg);
    }

    /// A row that will not change any more (kept by the caller until now,
    /// e.g. in the flow table): packed. A row with no segment is dropped.
    pub fn push_finished(&mut self, c: &Conversation) {
        if c.first_frame != 0 {
            self.packed.push(c);
        }
    }

    /// The row of a stream that can still change.
    pub fn get(&self, stream: u32) -> Option<&Conversation> {
        self.live.get(&stream)
    }

    pub fn get_mut(&mut self, stream: u32) -> Option<&mut Conversation> {
        self.live.get_mut(&stream)
    }

    /// The stream will see no more packets: its row is packed. (A stream
    /// none of whose packets was added has no row.)
    pub fn finish_stream(&mut self, stream: u32) {
        if let Some(c) = self.live.remove(&stream) {
            self.packed.push(&c);
        }
    }

    /// Rows that can still change, and packed rows.
    pub fn counts(&self) -> (usize, usize) {
        (self.live.len(), self.packed.index.len())
    }

    /// Bytes held by packed rows and their index (capacity aside).
    pub fn packed_bytes(&self) -> usize {
        self.packed.bytes.len() + self.packed.index.len() * std::mem::size_of::<RowRef>()
    }

    /// The end of the capture: every row, for output.
    pub fn finish(mut self) -> Rows {
        for (_, c) in self.live.drain() {
            self.packed.push(&c);
        }
        self.packed.index.sort_unstable_by_key(|r| r.stream);
        Rows {
            packed: self.packed,
        }
    }
}

/// Where a packed row is, and what the orders need without unpacking it.
#[derive(Debug, Clone, Copy)]
struct RowRef {
    stream: u32,
    /// Frames both ways, saturated (ties of saturated rows are unpacked).
    frames: u32,
    offset: u64,
}

/// Packed rows, in the order they were finished.
#[derive(Default)]
struct PackedRows {
    bytes: Vec<u8>,
    index: Vec<RowRef>,
}

/// The finished table, for output, in stream order: rows are unpacked one
/// at a time.
pub struct Rows {
    packed: PackedRows,
}

/// Up to this many distinct frame counts, tshark's order is made by one
/// pass over the rows per count, with no memory; beyond, by sorting.
const FRAME_COUNT_PASSES: usize = 32;

impl Rows {
    pub fn len(&self) -> usize {
        self.packed.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packed.index.is_empty()
    }

    /// Each row, in stream order (the handshake table, JSON, CSV).
    pub fn for_each(&self, mut f: impl FnMut(&Conversation)) {
        let mut c = Conversation::default();
        for r in &self.packed.index {
            unpack(&self.packed.bytes, r.offset, &mut c);
            f(&c);
        }
    }

    /// Each row in tshark's order: most frames first, ties in stream order.
    pub fn for_each_by_frames(&self, mut f: impl FnMut(&Conversation)) {
        let index = &self.packed.index;
        let bytes = &self.packed.bytes;
        let mut c = Conversation::default();
        // Few distinct counts (the usual case: similar connections): a pass
        // per count.
        let mut counts: Vec<u32> = Vec::new();
        for r in index {
            if let Err(at) = counts.binary_search(&r.frames) {
                if counts.len() == FRAME_COUNT_PASSES {
                    counts.clear();
                    break;
                }
                counts.insert(at, r.frames);
            }
        }
        // (Counts over u32::MAX share the saturated key: sort those.)
        if !counts.is_empty() && counts.last() != Some(&u32::MAX) {
            for &n in counts.iter().rev() {
                for r in index.iter().filter(|r| r.frames == n) {
                    unpack(bytes, r.offset, &mut c);
                    f(&c);
                }
            }
            return;
        }
        let total = |r: &RowRef| {
            if r.frames == u32::MAX {
                let mut c = Conversation::default();
                unpack(bytes, r.offset, &mut c);
                c.sides[0].frames.saturating_add(c.sides[1].frames)
            } else {
                u64::from(r.frames)
            }
        };
        let mut order: Vec<usize> = (0..index.len()).collect();
        // Stable: ties stay in stream order.
        order.sort_by_cached_key(|&i| std::cmp::Reverse(total(&index[i])));
        for i in order {
            unpack(bytes, index[i].offset, &mut c);
            f(&c);
        }
    }
}

impl PackedRows {
    fn push(&mut self, c: &Conversation) {
        let offset = self.bytes.len() as u64;
        let frames = c.sides[0].frames.saturating_add(c.sides[1].frames);
        self.index.push(RowRef {
            stream: c.stream,
            frames: u32::try_from(frames).unwrap_or(u32::MAX),
            offset,
        });
        pack(&mut self.bytes, c);
    }
}

// ---- packing: LEB128 varints, frame numbers relative to the first frame ----

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// A frame reference: 0 for none, else the distance from the first frame + 1.
fn put_ref(out: &mut Vec<u8>, first: u64, f: FrameRef) {
    put(
        out,
        f.map_or(0, |n| n.get().wrapping_sub(first).wrapping_add(1)),
    );
}

fn put_endpoint(out: &mut Vec<u8>, e: &Endpoint, v6: bool) {
    out.extend_from_slice(&e.addr[..if v6 { 16 } else { 4 }]);
    out.extend_from_slice(&e.port.to_le_bytes());
}

fn pack(out: &mut Vec<u8>, c: &Conversation) {
    put(out, u64::from(c.stream));
    out.push(u8::from(c.v6) | (c.history_len << 1));
    put_endpoint(out, &c.a, c.v6);
    put_endpoint(out, &c.b, c.v6);
    let first = c.first_frame;
    put(out, first);
    put_signed(out, c.start_nanos);
    put_signed(out, c.end_nanos.wrapping_sub(c.start_nanos));
    for s in &c.sides {
        put(out, s.frames);
        put(out, s.bytes);
        for f in [s.syn, s.syn_ack, s.fin, s.rst] {
            put_ref(out, first, f);
        }
    }
    put_ref(out, first, c.handshake_ack);
    out.push(c.completeness);
    out.extend_from_slice(&c.history[..c.history_len as usize]);
    put(out, u64::from(c.requests));
}

/// Reads what [`pack`] wrote (our own bytes: a short buffer reads as zeros
/// rather than panicking).
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    fn get(&mut self) -> u64 {
        let first = self.byte();
        if first < 0x80 {
            return u64::from(first);
        }
        let mut v = u64::from(first & 0x7f);
        for shift in (7..64).step_by(7) {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        v
    }

    fn get_signed(&mut self) -> i64 {
        let v = self.get();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    fn get_ref(&mut self, first: u64) -> FrameRef {
        match self.get() {
            0 => None,
            d => NonZeroU64::new(first.wrapping_add(d - 1)),
        }
    }

    fn endpoint(&mut self, v6: bool) -> Endpoint {
        let n = if v6 { 16 } else { 4 };
        let mut e = Endpoint::default();
        if let (Some(addr), Some(&[lo, hi])) = (self.rest.get(..n), self.rest.get(n..n + 2)) {
            e.addr[..n].copy_from_slice(addr);
            e.port = u16::from_le_bytes([lo, hi]);
            self.rest = &self.rest[n + 2..];
        } else {
            self.rest = &[];
        }
        e
    }
}

fn unpack(bytes: &[u8], offset: u64, c: &mut Conversation) {
    let at = usize::try_from(offset).unwrap_or(usize::MAX);
    let mut r = Reader {
        rest: bytes.get(at..).unwrap_or_default(),
    };
    let stream = r.get() as u32;
    let flags = r.byte();
    let v6 = flags & 1 != 0;
    let history_len = (flags >> 1).min(12);
    let a = r.endpoint(v6);
    let b = r.endpoint(v6);
    let first_frame = r.get();
    let start_nanos = r.get_signed();
    let end_nanos = start_nanos.wrapping_add(r.get_signed());
    let mut sides = [Side::default(); 2];
    for s in &mut sides {
        s.frames = r.get();
        s.bytes = r.get();
        s.syn = r.get_ref(first_frame);
        s.syn_ack = r.get_ref(first_frame);
        s.fin = r.get_ref(first_frame);
        s.rst = r.get_ref(first_frame);
    }
    let handshake_ack = r.get_ref(first_frame);
    let completeness = r.byte();
    let mut history = [0u8; 12];
    for h in &mut history[..usize::from(history_len)] {
        *h = r.byte();
    }
    let requests = r.get() as u32;
    *c = Conversation {
        stream,
        v6,
        a,
        b,
        sides,
        first_frame,
        start_nanos,
        end_nanos,
        handshake_ack,
        completeness,
        history,
        history_len,
        requests,
    };
}

#[cfg(test)]
mod tests;
