//! WebSocket frames (RFC 6455 §5) on a stream upgraded by an HTTP `101
//! Switching Protocols` whose `Upgrade` names `websocket`, as tshark 4.0
//! shows them.
//!
//! # Contract
//!
//! - One [`FrameParser`] per direction, made at the stream offset where the
//!   upgrade's head ended (the stream layer switches both directions when
//!   it sees the 101). Feed it the in-order bytes with `push`, in chunks of
//!   any size; a frame comes out through the sink once its last byte is in,
//!   with its byte range in the stream, so that the caller attributes it to
//!   the frame that completed it (several frames in one segment, one frame
//!   over several segments: Wireshark's `tcp_dissect_pdus`).
//! - §5.2 framing: FIN, RSV1-3, opcode, MASK, the 7-bit length and its 16-
//!   or 64-bit extension, the masking key; the payload is unmasked (§5.3)
//!   and kept up to [`MAX_PAYLOAD`] bytes (the rest counted).
//! - A hole in the stream (`gap`) ends the dissection of the direction:
//!   the frame boundaries after it are unknown. Nothing after the hole is
//!   shown, as tshark shows nothing it cannot frame.
//! - A frame still unfinished at the end of the stream is not shown (tshark
//!   never dissects it); [`FrameParser::pending_start`] tells the packet
//!   list which frames carry its bytes (`[TCP segment of a reassembled
//!   PDU]`).
//! - Fragmented messages (§5.4: a data frame without FIN, continuation
//!   frames, control frames allowed between them) are put together by the
//!   stream layer with [`Fragments`], which knows the frames.
//! - Never a panic: every length is checked; a 64-bit length is only
//!   counted.

use std::ops::Range;

/// Payload bytes kept per frame (the rest is counted in
/// [`Frame::payload_len`]).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Bytes kept of a message reassembled from fragments.
pub const MAX_MESSAGE: usize = 1 << 20;

/// RFC 6455 §5.2 opcodes.
pub mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// One WebSocket frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Stream offsets of its first and one-past-last byte.
    pub range: Range<u64>,
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the three low bits.
    pub rsv: u8,
    pub opcode: u8,
    /// The masking key (client-to-server frames, §5.3).
    pub mask: Option<[u8; 4]>,
    /// The 7-bit payload length field (126: a 16-bit length follows, 127: a
    /// 64-bit one).
    pub len7: u8,
    /// The payload's length.
    pub payload_len: u64,
    /// The payload, unmasked, its first [`MAX_PAYLOAD`] bytes.
    pub payload: Vec<u8>,
    /// The data message this frame completes, when it is the last of
    /// several fragments (filled by the stream layer).
    pub message: Option<Reassembled>,
}

/// A fragmented data message put together (§5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// The opcode of its first frame (text or binary).
    pub opcode: u8,
    /// Each fragment's frame and payload length, in order.
    pub fragments: Vec<(u64, u64)>,
    /// The payloads joined, at most [`MAX_MESSAGE`] bytes.
    pub data: Vec<u8>,
}

impl Frame {
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }

    /// The data this frame shows as its payload: the whole message on the
    /// last fragment, else its own payload.
    pub fn data(&self) -> &[u8] {
        self.message.as_ref().map_or(&self.payload, |m| &m.data)
    }

    /// The opcode of the message the payload belongs to (a continuation
    /// frame's message is its first frame's).
    pub fn message_opcode(&self) -> u8 {
        self.message.as_ref().map_or(self.opcode, |m| m.opcode)
    }

    /// The Info column piece, as tshark 4.0 writes it: `WebSocket Text
    /// [FIN] [MASKED]`, `WebSocket Text[FRAGMENT]  [MASKED]`,
    /// `WebSocket Pong [FIN] ` (the packet-websocket.c spacing).
    pub fn info(&self) -> String {
        let mut s = String::with_capacity(40);
        s.push_str("WebSocket ");
        s.push_str(opcode_name(self.opcode));
        s.push_str(if self.fin { " [FIN]" } else { "[FRAGMENT] " });
        s.push_str(if self.mask.is_some() {
            " [MASKED]"
        } else {
            " "
        });
        s
    }
}

/// Wireshark's opcode names.
pub fn opcode_name(op: u8) -> &'static str {
    match op {
        opcode::CONTINUATION => "Continuation",
        opcode::TEXT => "Text",
        opcode::BINARY => "Binary",
        opcode::CLOSE => "Connection Close",
        opcode::PING => "Ping",
        opcode::PONG => "Pong",
        _ => "Unknown Opcode",
    }
}

/// RFC 6455 §7.4.1 status codes, as Wireshark names them.
pub fn close_code_name(code: u16) -> &'static str {
    match code {
        1000 => "Normal Closure",
        1001 => "Going Away",
        1002 => "Protocol error",
        1003 => "Unsupported Data",
        1004 => "---Reserved----",
        1005 => "No Status Rcvd",
        1006 => "Abnormal Closure",
        1007 => "Invalid frame payload data",
        1008 => "Policy Violation",
        1009 => "Message Too Big",
        1010 => "Mandatory Ext.",
        1011 => "Internal Server",
        1015 => "TLS handshake",
        _ => "Unknown",
    }
}

/// The streaming frame parser of one direction (see the module doc).
#[derive(Debug)]
pub struct FrameParser {
    /// Stream offset of the next byte.
    pos: u64,
    /// Header bytes of the frame being read (2 to 14).
    head: Vec<u8>,
    /// The frame whose payload is being read, and the payload bytes still
    /// to come.
    cur: Option<(Frame, u64)>,
    /// A hole made the frame boundaries unknown: everything is ignored.
    lost: bool,
}

impl FrameParser {
    /// A parser whose first byte is at stream offset `start`.
    pub fn new(start: u64) -> Self {
        FrameParser {
            pos: start,
            head: Vec::with_capacity(14),
            cur: None,
            lost: false,
        }
    }

    /// Stream offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// Where the frame begun and not finished starts, if any.
    pub fn pending_start(&self) -> Option<u64> {
        if self.lost {
            return None;
        }
        match &self.cur {
            Some((f, _)) => Some(f.range.start),
            None if !self.head.is_empty() => Some(self.pos - self.head.len() as u64),
            None => None,
        }
    }

    /// Feeds the next in-order bytes of the direction.
    pub fn push<F: FnMut(Frame)>(&mut self, mut data: &[u8], mut sink: F) {
        if self.lost {
            self.pos += data.len() as u64;
            return;
        }
        while !data.is_empty() {
            let used = self.step(data, &mut sink);
            self.pos += used as u64;
            data = &data[used..];
        }
    }

    /// `len` bytes were never captured: framing is lost from here on.
    pub fn gap(&mut self, len: u64) {
        self.pos += len;
        self.head.clear();
        self.cur = None;
        self.lost = true;
    }

    /// The direction ended: an unfinished frame is dropped (tshark shows
    /// no frame it could not read whole).
    pub fn end_of_stream(&mut self) {
        self.head.clear();
        self.cur = None;
    }

    fn step<F: FnMut(Frame)>(&mut self, data: &[u8], sink: &mut F) -> usize {
        if let Some((frame, remaining)) = &mut self.cur {
            let n = (*remaining).min(data.len() as u64) as usize;
            let room = MAX_PAYLOAD.saturating_sub(frame.payload.len()).min(n);
            if room > 0 {
                let at = frame.payload.len();
                frame.payload.extend_from_slice(&data[..room]);
                if let Some(key) = frame.mask {
                    for (i, b) in frame.payload[at..].iter_mut().enumerate() {
                        *b ^= key[(at + i) % 4];
                    }
                }
            }
            *remaining -= n as u64;
            if *remaining == 0 {
                let (mut frame, _) = self.cur.take().expect("a frame is being read");
                frame.range.end = self.pos + n as u64;
                sink(frame);
            }
            return n;
        }
        // Collect the header: 2 bytes, then as many as they announce.
        let need = header_len(&self.head).unwrap_or(2);
        let take = (need - self.head.len()).min(data.len());
        self.head.extend_from_slice(&data[..take]);
        let Some(total) = header_len(&self.head) else {
            return take;
        };
        if self.head.len() < total {
            return take;
        }
        let end = self.pos + take as u64;
        let frame = parse_header(&self.head, end - total as u64);
        self.head.clear();
        let len = frame.payload_len;
        if len == 0 {
            let mut frame = frame;
            frame.range.end = end;
            sink(frame);
        } else {
            self.cur = Some((frame, len));
        }
        take
    }
}

/// The header's whole length once its first two bytes are in.
fn header_len(head: &[u8]) -> Option<usize> {
    let b1 = *head.get(1)?;
    let ext = match b1 & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let key = if b1 & 0x80 != 0 { 4 } else { 0 };
    Some(2 + ext + key)
}

/// A whole header (its length checked by [`header_len`]) starting at
/// stream offset `start`.
fn parse_header(h: &[u8], start: u64) -> Frame {
    let (b0, b1) = (h[0], h[1]);
    let len7 = b1 & 0x7F;
    let (payload_len, at) = match len7 {
        126 => (u64::from(u16::from_be_bytes([h[2], h[3]])), 4),
        127 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[2..10]);
            (u64::from_be_bytes(b), 10)
        }
        n => (u64::from(n), 2),
    };
    let mask = (b1 & 0x80 != 0).then(|| [h[at], h[at + 1], h[at + 2], h[at + 3]]);
    Frame {
        range: start..start,
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: b0 & 0x0F,
        mask,
        len7,
        payload_len,
        payload: Vec::new(),
        message: None,
    }
}

/// A direction's fragmented data message in progress (§5.4): the stream
/// layer hands it each frame with the frame number it was attributed to.
#[derive(Debug, Default)]
pub struct Fragments {
    cur: Option<Reassembled>,
}

impl Fragments {
    /// Notes `frame` (attributed to capture frame `number`); on the last
    /// fragment of a message, fills its [`Frame::message`].
    pub fn frame(&mut self, frame: &mut Frame, number: u64) {
        if frame.is_control() {
            // Control frames may sit between fragments (§5.4).
            return;
        }
        let add = |m: &mut Reassembled, f: &Frame| {
            m.fragments.push((number, f.payload_len));
            let room = MAX_MESSAGE.saturating_sub(m.data.len());
            m.data
                .extend_from_slice(&f.payload[..f.payload.len().min(room)]);
        };
        match (frame.opcode, frame.fin) {
            (opcode::CONTINUATION, fin) => {
                let Some(m) = self.cur.as_mut() else {
                    return;
                };
                add(m, frame);
                if fin {
                    frame.message = self.cur.take();
                }
            }
            (op, false) => {
                let mut m = Reassembled {
                    opcode: op,
                    fragments: Vec::new(),
                    data: Vec::new(),
                };
                add(&mut m, frame);
                self.cur = Some(m);
            }
            (_, true) => self.cur = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut p = FrameParser::new(100);
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, |f| out.push(f));
        }
        out
    }

    /// RFC 6455 §5.7's examples.
    #[test]
    fn rfc_examples() {
        let single = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        for bytes in [&single[..], &masked[..]] {
            let f = frames(&[bytes]);
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].payload, b"Hello");
            assert!(f[0].fin);
            assert_eq!(f[0].range, 100..100 + bytes.len() as u64);
        }
        // Fragmented: "Hel" then "lo".
        let mut fr = Fragments::default();
        let mut f = frames(&[&[0x01, 0x03, 0x48, 0x65, 0x6c], &[0x80, 0x02, 0x6c, 0x6f]]);
        fr.frame(&mut f[0], 1);
        fr.frame(&mut f[1], 2);
        let m = f[1].message.as_ref().unwrap();
        assert_eq!(m.data, b"Hello");
        assert_eq!(m.fragments, vec![(1, 3), (2, 2)]);
        assert_eq!(f[0].info(), "WebSocket Text[FRAGMENT]  ");
        assert_eq!(f[1].info(), "WebSocket Continuation [FIN] ");
        // 256 bytes binary (16-bit length) and 64 KiB (64-bit length).
        let mut b = vec![0x82, 0x7E, 0x01, 0x00];
        b.extend(std::iter::repeat(7).take(256));
        assert_eq!(frames(&[&b])[0].payload_len, 256);
        let mut b = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        b.extend(std::iter::repeat(7).take(65536));
        let f = frames(&[&b]);
        assert_eq!((f[0].len7, f[0].payload_len), (127, 65536));
    }

    #[test]
    fn chunking_never_matters() {
        let mut all = Vec::new();
        all.extend_from_slice(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]);
        all.extend_from_slice(&[0x89, 0x00]);
        all.extend_from_slice(&[0x88, 0x02, 0x03, 0xe8]);
        let whole = frames(&[&all]);
        assert_eq!(whole.len(), 3);
        for cut in 1..all.len() {
            let (a, b) = all.split_at(cut);
            assert_eq!(frames(&[a, b]), whole, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = all.chunks(1).collect();
        assert_eq!(frames(&bytes), whole);
    }

    proptest::proptest! {
        /// Any bytes, cut anywhere: never a panic, and the same frames as
        /// when fed whole (chunking never matters).
        #[test]
        fn any_bytes_any_chunking(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                                  cuts in proptest::collection::vec(0usize..400, 0..8)) {
            let whole = frames(&[&data]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut at = 0;
            for c in cuts {
                pieces.push(&data[at..c]);
                at = c;
            }
            pieces.push(&data[at..]);
            proptest::prop_assert_eq!(frames(&pieces), whole);
        }
    }

    #[test]
    fn holes_and_truncation_never_panic() {
        let mut p = FrameParser::new(0);
        p.push(&[0x82, 0x7F, 0xff, 0xff], |_| panic!("no frame"));
        assert_eq!(p.pending_start(), Some(0));
        p.gap(10);
        p.push(&[0x81, 0x00], |_| panic!("framing is lost after a hole"));
        assert_eq!(p.pending_start(), None);
        for n in 0..20u8 {
            let mut p = FrameParser::new(0);
            p.push(&[n, 0xFF, n, n, n], |_| {});
            p.end_of_stream();
        }
    }
}
