//! TCP conversations: one row per `tcp.stream`, with tshark's `-z conv,tcp`
//! counters (frames and bytes each way, relative start, duration) plus the
//! handshake and teardown of the connection, classified.
//!
//! Rows are kept for every stream (a row is ~150 bytes; tshark keeps them
//! too and sorts them at the end); the per-packet work is a vector index.
//!
//! Client and server: the client is the sender of the SYN; failing that the
//! receiver of the SYN/ACK; failing that the side with the higher port
//! (application dissectors may refine this later with the side that sent
//! the first request).

use crate::dissect::stream::{Pdu, PduBody};
use crate::flow::{endpoints, Endpoint};
use crate::model::Packet;
use etherparse::TransportSlice;
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
#[derive(Debug, Clone, Copy, Default)]
pub struct Side {
    pub frames: u64,
    pub bytes: u64,
    /// First frame with SYN (no ACK) / SYN+ACK / FIN / RST from this side.
    pub syn: FrameRef,
    pub syn_ack: FrameRef,
    pub fin: FrameRef,
    pub rst: FrameRef,
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub stream: u32,
    pub v6: bool,
    /// A is the source of the stream's first packet (as in tshark's table).
    pub a: Endpoint,
    pub b: Endpoint,
    pub sides: [Side; 2],
    pub first_frame: u64,
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
        if self.sides[0].syn.is_some() && self.sides[1].syn.is_none() {
            0
        } else if self.sides[1].syn.is_some() && self.sides[0].syn.is_none() {
            1
        } else if self.sides[0].syn.is_some() {
            // Simultaneous open: the first SYN wins.
            if self.sides[0].syn <= self.sides[1].syn {
                0
            } else {
                1
            }
        } else if self.sides[1].syn_ack.is_some() {
            0
        } else if self.sides[0].syn_ack.is_some() {
            1
        } else if self.a.port >= self.b.port {
            0
        } else {
            1
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
        let c = self.client_side();
        let (client, server) = (&self.sides[c], &self.sides[1 - c]);
        if client.syn.is_some() && server.syn.is_some() {
            return Handshake::SimultaneousOpen;
        }
        match (client.syn, server.syn_ack) {
            (Some(_), Some(_)) if self.handshake_ack.is_some() => Handshake::Complete,
            (Some(_), Some(_)) => Handshake::NoFinalAck,
            (Some(_), None) if server.rst.is_some() => Handshake::Refused,
            (Some(_), None) => Handshake::SynOnly,
            (None, Some(_)) => Handshake::SynAckOnly,
            (None, None) => Handshake::NotSeen,
        }
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
        let client_is_a = self.client_side() == 0;
        self.history[..self.history_len as usize]
            .iter()
            .map(|&code| {
                let (letter, from_a) = ((code & 0x7f) as char, code & 0x80 != 0);
                if from_a == client_is_a {
                    letter
                } else {
                    letter.to_ascii_lowercase()
                }
            })
            .collect()
    }

    fn note(&mut self, letter: char, from_a: bool) {
        let code = letter as u8 | if from_a { 0x80 } else { 0 };
        let len = self.history_len as usize;
        if !self.history[..len].contains(&code) && len < self.history.len() {
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

/// All conversations of a capture, by stream index.
#[derive(Default)]
pub struct ConversationTable {
    convs: Vec<Conversation>,
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
        let idx = meta.stream as usize;
        if idx >= self.convs.len() {
            // Streams are numbered in order of first packet, so this is a push.
            self.convs.resize_with(idx + 1, || Conversation {
                stream: 0,
                v6: false,
                a: src,
                b: dst,
                sides: [Side::default(); 2],
                first_frame: 0,
                start_nanos: 0,
                end_nanos: 0,
                handshake_ack: None,
                completeness: 0,
                history: [0; 12],
                history_len: 0,
                requests: 0,
            });
            let c = &mut self.convs[idx];
            c.stream = meta.stream;
            c.v6 = matches!(net, etherparse::LaxNetSlice::Ipv6(_));
            c.a = src;
            c.b = dst;
            c.first_frame = pkt.frame.number;
            c.start_nanos = pkt.frame.rel_nanos as i64;
        }
        let frame = NonZeroU64::new(pkt.frame.number);
        let c = &mut self.convs[idx];
        let from_a = src == c.a && dst == c.b;
        let side = if from_a { 0 } else { 1 };
        c.end_nanos = pkt.frame.rel_nanos as i64;
        c.sides[side].frames += 1;
        c.sides[side].bytes += pkt.frame.orig_len as u64;
        let flags = crate::flow::tcp_flags_u16(tcp);
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
        let len = tcp.payload().len();
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
        c.completeness = meta.completeness_after;
        if let Some(app) = pkt.app.as_deref() {
            c.requests += requests_in(&app.messages);
        }
    }

    pub fn conversations(&self) -> &[Conversation] {
        &self.convs
    }

    pub fn get_mut(&mut self, stream: u32) -> Option<&mut Conversation> {
        self.convs.get_mut(stream as usize)
    }
}
