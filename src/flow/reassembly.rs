//! TCP reassembly, one direction at a time: segments in capture order in,
//! the in-order byte stream out, each byte range tagged with the frame it
//! arrived in.
//!
//! # Sequence space (RFC 9293 §3.4, formerly RFC 793 §3.3)
//!
//! Sequence numbers are 32-bit and compared modulo 2³² (`a < b` iff
//! `(a - b) as i32 < 0`, wrapping), so a stream may cross 2³² → 0 any number
//! of times. Internally every position is also an unwrapped 64-bit *stream
//! offset*: the number of data bytes before it since the stream started. A SYN
//! takes the sequence number before the first data byte (data of a SYN segment
//! starts at `seq + 1`). A FIN takes the sequence number after the last data
//! byte (`seq + data.len()`); the stream ends there.
//!
//! # Contract
//!
//! Feed [`Reassembler::push`] every segment of one direction in capture order;
//! events come out through the sink closure, in stream order:
//!
//! - The first segment anchors the stream: its sequence number (+1 for a SYN)
//!   is stream offset 0. Anything before the anchor is ignored as old.
//! - A segment that starts at or before the next expected byte delivers the
//!   bytes not delivered yet as one [`Event::Data`], tagged with its frame.
//!   Bytes delivered once are never replaced: a retransmission or an overlap
//!   contributes only the part beyond what was delivered ("first copy wins").
//! - A segment that starts beyond the next expected byte (out of order, or
//!   after missing data) is buffered. After every delivery the buffer is
//!   drained: among buffered segments that start at or before the next
//!   expected byte, the one that arrived first delivers its new bytes, and
//!   so on while any applies. Buffered segments wholly behind the stream are
//!   dropped. (This is the order Wireshark's "Follow TCP Stream" uses, so the
//!   pieces are the chunks it shows.)
//! - Missing data is never papered over: the stream waits at the hole. The
//!   consumer decides when the data is lost for good (the peer acknowledged
//!   beyond it, the connection ended, the buffer is full) and calls
//!   [`Reassembler::skip_gap`] (one hole) or [`Reassembler::flush`] (all); the
//!   hole becomes an [`Event::Gap`] with its size and the frame where data
//!   resumes, then buffered data flows again.
//! - FIN: when the stream reaches the FIN's position, [`Event::Fin`] fires
//!   (once). Data beyond a FIN is not part of the stream (RFC 9293 §3.10.7.4:
//!   text after FIN is ignored): it is cut off and reported as
//!   [`Event::DataAfterFin`], whether it arrives after the FIN or was
//!   buffered (out of order) before the FIN arrived. Consumers that want Wireshark's follow
//!   behaviour, which ignores FIN, pass `fin: false`.
//! - Bytes cut off by the capture's snapshot length ([`Segment::uncaptured`])
//!   take sequence space and are passed over at once as [`Event::Uncaptured`].
//! - Memory: at most [`Config::max_buffered`] bytes of out-of-order data are
//!   held (default [`DEFAULT_MAX_BUFFERED`], 16 MiB). A segment that would
//!   exceed it is dropped and reported as [`Event::Overflow`] (and counted in
//!   [`Stats`]); the buffer never grows beyond the cap. Calling
//!   [`Reassembler::skip_gap`] then releases buffered data.
//! - No input makes it panic: lengths and offsets are checked, sequence
//!   arithmetic wraps.
//!
//! Empty segments only anchor the stream and carry SYN/FIN; they deliver nothing.

use std::collections::BTreeMap;

/// Default cap on buffered out-of-order bytes per direction.
pub const DEFAULT_MAX_BUFFERED: usize = 16 << 20;

/// Reassembly limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Most bytes of out-of-order data held at once.
    pub max_buffered: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_buffered: DEFAULT_MAX_BUFFERED,
        }
    }
}

/// One TCP segment of the direction being reassembled.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Sequence number from the header (raw or relative: only differences matter).
    pub seq: u32,
    /// The captured payload.
    pub data: &'a [u8],
    /// Frame number the segment arrived in.
    pub frame: u64,
    pub syn: bool,
    pub fin: bool,
    /// Payload bytes on the wire after `data` that the capture did not keep
    /// (snapshot length); they take sequence space and come out as
    /// [`Event::Uncaptured`]. 0 for complete frames.
    pub uncaptured: u32,
}

/// What reassembly reports, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// In-order bytes: `offset` is the stream offset of `data[0]`.
    Data {
        offset: u64,
        data: &'a [u8],
        frame: u64,
    },
    /// `len` bytes at `offset` were never captured; skipped on request.
    /// `frame` is the frame passed to `skip_gap`/`flush`, `resume_frame`
    /// the frame whose data follows the hole.
    Gap {
        offset: u64,
        len: u64,
        frame: u64,
        resume_frame: u64,
    },
    /// `len` bytes at `offset` were sent in `frame` but cut off by the
    /// capture's snapshot length. Passed over at once (they are known lost).
    Uncaptured { offset: u64, len: u64, frame: u64 },
    /// The stream reached the FIN (sent in `frame`); `offset` = total bytes.
    Fin { offset: u64, frame: u64 },
    /// An out-of-order segment was dropped: buffering it would exceed the cap.
    Overflow { frame: u64, dropped: usize },
    /// A segment carried `bytes` bytes beyond the FIN; they were dropped.
    DataAfterFin { frame: u64, bytes: usize },
}

/// Counters over the life of a direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes received again after being delivered or buffered (retransmissions, overlaps).
    pub duplicate_bytes: u64,
    /// Segments that arrived ahead of the stream and were buffered.
    pub out_of_order_segments: u64,
    /// Holes skipped, and their total size.
    pub gaps: u64,
    pub gap_bytes: u64,
    /// Segments dropped because the buffer was full, and their bytes.
    pub overflows: u64,
    pub overflow_bytes: u64,
    /// Bytes cut off by the snapshot length and passed over.
    pub uncaptured_bytes: u64,
    /// Bytes seen beyond the FIN.
    pub after_fin_bytes: u64,
    /// Largest amount of out-of-order data held at once.
    pub peak_buffered: usize,
}

#[derive(Debug)]
struct Pending {
    frame: u64,
    data: Vec<u8>,
    /// Uncaptured bytes after `data`.
    tail: u64,
}

/// Reassembler for one direction of a TCP connection. See the module doc.
#[derive(Debug)]
pub struct Reassembler {
    cfg: Config,
    /// Sequence number of the next expected byte; `None` until anchored.
    next_seq: Option<u32>,
    /// Stream offset of `next_seq`.
    offset: u64,
    /// Out-of-order data keyed by (stream offset, arrival number).
    pending: BTreeMap<(u64, u64), Pending>,
    arrivals: u64,
    buffered: usize,
    /// Stream offset and frame of the first FIN seen.
    fin: Option<(u64, u64)>,
    fin_reported: bool,
    stats: Stats,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Reassembler {
    pub fn new(cfg: Config) -> Self {
        Reassembler {
            cfg,
            next_seq: None,
            offset: 0,
            pending: BTreeMap::new(),
            arrivals: 0,
            buffered: 0,
            fin: None,
            fin_reported: false,
            stats: Stats::default(),
        }
    }

    /// Sequence number of the next expected byte (`None` before the first segment).
    pub fn next_seq(&self) -> Option<u32> {
        self.next_seq
    }

    /// Bytes of the stream passed so far (delivered plus skipped holes).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes of out-of-order data currently held.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Sequence number where the lowest buffered segment starts (the far edge
    /// of the first hole), if any data waits behind a hole.
    pub fn lowest_pending_seq(&self) -> Option<u32> {
        let (&(start, _), _) = self.pending.iter().next()?;
        let next = self.next_seq?;
        Some(next.wrapping_add(start.saturating_sub(self.offset) as u32))
    }

    /// Whether the stream has reached its FIN.
    pub fn finished(&self) -> bool {
        self.fin_reported
    }

    /// Stream offset of sequence number `seq`, judged relative to the next
    /// expected byte with wrapping (signed 32-bit) comparison.
    fn offset_of(&self, next: u32, seq: u32) -> i128 {
        self.offset as i128 + seq.wrapping_sub(next) as i32 as i128
    }

    /// Takes one segment; reports what it makes deliverable through `sink`.
    pub fn push<'s, F: FnMut(Event<'_>)>(&mut self, seg: Segment<'s>, mut sink: F) {
        let data_seq = seg.seq.wrapping_add(u32::from(seg.syn));
        let next = *self.next_seq.get_or_insert(data_seq);
        let start = self.offset_of(next, data_seq);
        let mut data = seg.data;
        // Sequence space is 32 bits: a longer payload cannot be real.
        if data.len() > i32::MAX as usize {
            data = &data[..i32::MAX as usize];
        }
        let mut tail = i128::from(seg.uncaptured).min(i32::MAX as i128 - data.len() as i128);
        let end = start + data.len() as i128 + tail;

        if seg.fin && self.fin.is_none() && end >= self.offset as i128 {
            self.fin = Some((end as u64, seg.frame));
            self.cut_pending_after_fin(end as u64, &mut sink);
        }
        if let Some((fin_at, _)) = self.fin {
            let fin_at = fin_at as i128;
            if end > fin_at && end > start {
                let cut = (end - fin_at).min(end - start);
                let from_tail = cut.min(tail);
                tail -= from_tail;
                data = &data[..data.len() - (cut - from_tail) as usize];
                self.stats.after_fin_bytes += cut as u64;
                sink(Event::DataAfterFin {
                    frame: seg.frame,
                    bytes: cut as usize,
                });
            }
        }
        let end = start + data.len() as i128 + tail;

        if end > start {
            let cur = self.offset as i128;
            if end <= cur {
                self.stats.duplicate_bytes += data.len() as u64;
            } else if start <= cur {
                self.stats.duplicate_bytes += (cur - start).min(data.len() as i128) as u64;
                // A piece reaching back before the stream's start: drop that part.
                let before = (-start).max(0);
                let from_data = before.min(data.len() as i128);
                let data = &data[from_data as usize..];
                let tail = tail - (before - from_data);
                let start = start.max(0);
                self.deliver_piece(start as u64, data, tail as u64, seg.frame, &mut sink);
                self.drain(&mut sink);
            } else {
                self.stats.out_of_order_segments += 1;
                if self.buffered.saturating_add(data.len()) > self.cfg.max_buffered {
                    self.stats.overflows += 1;
                    self.stats.overflow_bytes += data.len() as u64;
                    sink(Event::Overflow {
                        frame: seg.frame,
                        dropped: data.len(),
                    });
                } else {
                    self.buffered += data.len();
                    self.stats.peak_buffered = self.stats.peak_buffered.max(self.buffered);
                    self.arrivals += 1;
                    self.pending.insert(
                        (start as u64, self.arrivals),
                        Pending {
                            frame: seg.frame,
                            data: data.to_vec(),
                            tail: tail as u64,
                        },
                    );
                }
            }
        }
        self.check_fin(&mut sink);
    }

    /// Delivers what lies beyond the stream's end of a piece starting at or
    /// before it: captured bytes as data, then the uncaptured tail.
    fn deliver_piece<F: FnMut(Event<'_>)>(
        &mut self,
        start: u64,
        data: &[u8],
        tail: u64,
        frame: u64,
        sink: &mut F,
    ) {
        let data_end = start + data.len() as u64;
        if data_end > self.offset {
            let skip = (self.offset - start) as usize;
            self.deliver(&data[skip..], frame, sink);
        }
        let end = data_end + tail;
        if end > self.offset {
            let len = end - self.offset;
            sink(Event::Uncaptured {
                offset: self.offset,
                len,
                frame,
            });
            self.stats.uncaptured_bytes += len;
            self.offset = end;
            if let Some(n) = self.next_seq.as_mut() {
                *n = n.wrapping_add(len as u32);
            }
        }
    }

    /// Skips the first hole: the stream jumps to the lowest buffered segment,
    /// reporting [`Event::Gap`], and buffered data that now fits is
    /// delivered. `frame` is the frame that shows the data is lost (for
    /// instance the peer's ACK beyond it). Returns false when nothing is
    /// buffered (no hole to skip).
    pub fn skip_gap<F: FnMut(Event<'_>)>(&mut self, frame: u64, mut sink: F) -> bool {
        let Some((&(start, _), first)) = self.pending.iter().next() else {
            return false;
        };
        let (Some(next), true) = (self.next_seq, start > self.offset) else {
            // Unreachable by construction (drain keeps pending ahead); be safe.
            self.drain(&mut sink);
            return true;
        };
        let len = start - self.offset;
        sink(Event::Gap {
            offset: self.offset,
            len,
            frame,
            resume_frame: first.frame,
        });
        self.stats.gaps += 1;
        self.stats.gap_bytes += len;
        self.next_seq = Some(next.wrapping_add(len as u32));
        self.offset = start;
        self.drain(&mut sink);
        self.check_fin(&mut sink);
        true
    }

    /// Skips every hole (end of capture, connection reset): all buffered data
    /// is delivered, with a gap before each piece that does not follow on.
    pub fn flush<F: FnMut(Event<'_>)>(&mut self, frame: u64, mut sink: F) {
        while self.skip_gap(frame, &mut sink) {}
    }

    fn deliver<F: FnMut(Event<'_>)>(&mut self, data: &[u8], frame: u64, sink: &mut F) {
        sink(Event::Data {
            offset: self.offset,
            data,
            frame,
        });
        self.offset += data.len() as u64;
        self.stats.delivered += data.len() as u64;
        if let Some(n) = self.next_seq.as_mut() {
            *n = n.wrapping_add(data.len() as u32);
        }
    }

    /// Delivers buffered segments that now start at or before the stream's
    /// end, earliest arrival first; drops those wholly behind it.
    fn drain<F: FnMut(Event<'_>)>(&mut self, sink: &mut F) {
        loop {
            let cur = self.offset;
            let mut dead = Vec::new();
            let mut best: Option<(u64, u64)> = None;
            for (&(start, arrival), p) in self.pending.range(..=(cur, u64::MAX)) {
                if start + p.data.len() as u64 + p.tail <= cur {
                    dead.push((start, arrival));
                } else if best.map_or(true, |(_, a)| arrival < a) {
                    best = Some((start, arrival));
                }
            }
            for k in dead {
                if let Some(p) = self.pending.remove(&k) {
                    self.buffered -= p.data.len();
                    self.stats.duplicate_bytes += p.data.len() as u64;
                }
            }
            let Some(key) = best else { break };
            let Some(p) = self.pending.remove(&key) else {
                break;
            };
            self.buffered -= p.data.len();
            self.stats.duplicate_bytes += (cur - key.0).min(p.data.len() as u64);
            self.deliver_piece(key.0, &p.data, p.tail, p.frame, sink);
        }
    }

    /// A FIN just became known at stream offset `fin_at`: data buffered
    /// beyond it (out of order, before the FIN came) is not part of the
    /// stream either, and is cut off as data arriving after the FIN is.
    /// (Found by the `tcp_stream` fuzz target: a flush at the end of the
    /// capture delivered a gap and data after the FIN.)
    fn cut_pending_after_fin<F: FnMut(Event<'_>)>(&mut self, fin_at: u64, sink: &mut F) {
        let beyond: Vec<(u64, u64)> = self.pending.range((fin_at, 0)..).map(|(k, _)| *k).collect();
        for k in beyond {
            if let Some(p) = self.pending.remove(&k) {
                self.buffered -= p.data.len();
                let bytes = p.data.len() as u64 + p.tail;
                self.stats.after_fin_bytes += bytes;
                sink(Event::DataAfterFin {
                    frame: p.frame,
                    bytes: bytes as usize,
                });
            }
        }
        for (&(start, _), p) in self.pending.range_mut(..(fin_at, 0)) {
            let end = start + p.data.len() as u64 + p.tail;
            if end > fin_at {
                let cut = end - fin_at;
                let from_tail = cut.min(p.tail);
                p.tail -= from_tail;
                let from_data = (cut - from_tail) as usize;
                p.data.truncate(p.data.len() - from_data);
                self.buffered -= from_data;
                self.stats.after_fin_bytes += cut;
                sink(Event::DataAfterFin {
                    frame: p.frame,
                    bytes: cut as usize,
                });
            }
        }
    }

    fn check_fin<F: FnMut(Event<'_>)>(&mut self, sink: &mut F) {
        if let Some((at, frame)) = self.fin {
            if !self.fin_reported && at == self.offset {
                self.fin_reported = true;
                sink(Event::Fin { offset: at, frame });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned copy of an event, for assertions.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Data(u64, Vec<u8>, u64),
        Gap(u64, u64, u64, u64),
        Fin(u64, u64),
        Overflow(u64, usize),
        AfterFin(u64, usize),
        Uncaptured(u64, u64, u64),
    }

    fn own(e: Event<'_>) -> Ev {
        match e {
            Event::Data {
                offset,
                data,
                frame,
            } => Ev::Data(offset, data.to_vec(), frame),
            Event::Gap {
                offset,
                len,
                frame,
                resume_frame,
            } => Ev::Gap(offset, len, frame, resume_frame),
            Event::Fin { offset, frame } => Ev::Fin(offset, frame),
            Event::Overflow { frame, dropped } => Ev::Overflow(frame, dropped),
            Event::DataAfterFin { frame, bytes } => Ev::AfterFin(frame, bytes),
            Event::Uncaptured { offset, len, frame } => Ev::Uncaptured(offset, len, frame),
        }
    }

    fn seg(seq: u32, data: &[u8], frame: u64) -> Segment<'_> {
        Segment {
            seq,
            data,
            frame,
            syn: false,
            fin: false,
            uncaptured: 0,
        }
    }

    fn push(r: &mut Reassembler, s: Segment<'_>) -> Vec<Ev> {
        let mut out = Vec::new();
        r.push(s, |e| out.push(own(e)));
        out
    }

    #[test]
    fn syn_takes_one_sequence_number() {
        let mut r = Reassembler::default();
        let mut s = seg(100, b"", 1);
        s.syn = true;
        assert!(push(&mut r, s).is_empty());
        assert_eq!(r.next_seq(), Some(101));
        assert_eq!(
            push(&mut r, seg(101, b"abc", 3)),
            vec![Ev::Data(0, b"abc".to_vec(), 3)]
        );
    }

    #[test]
    fn out_of_order_is_buffered_then_delivered() {
        let mut r = Reassembler::default();
        push(&mut r, seg(1, b"", 1));
        assert!(push(&mut r, seg(4, b"def", 2)).is_empty());
        assert_eq!(r.buffered(), 3);
        assert_eq!(r.lowest_pending_seq(), Some(4));
        assert_eq!(
            push(&mut r, seg(1, b"abc", 3)),
            vec![
                Ev::Data(0, b"abc".to_vec(), 3),
                Ev::Data(3, b"def".to_vec(), 2)
            ]
        );
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.stats().out_of_order_segments, 1);
    }

    #[test]
    fn retransmission_with_more_data_adds_only_the_tail() {
        let mut r = Reassembler::default();
        push(&mut r, seg(10, b"abc", 1));
        assert!(push(&mut r, seg(10, b"abc", 2)).is_empty());
        assert_eq!(
            push(&mut r, seg(11, b"XXde", 3)),
            vec![Ev::Data(3, b"de".to_vec(), 3)]
        );
        assert_eq!(r.stats().duplicate_bytes, 5);
    }

    #[test]
    fn first_buffered_copy_wins_among_overlaps() {
        let mut r = Reassembler::default();
        push(&mut r, seg(0, b"a", 1));
        push(&mut r, seg(3, b"DEF", 2)); // arrives first
        push(&mut r, seg(3, b"xyzw", 3)); // same start, later: only its tail
        let ev = push(&mut r, seg(1, b"bc", 4));
        assert_eq!(
            ev,
            vec![
                Ev::Data(1, b"bc".to_vec(), 4),
                Ev::Data(3, b"DEF".to_vec(), 2),
                Ev::Data(6, b"w".to_vec(), 3)
            ]
        );
    }

    #[test]
    fn gap_waits_until_skipped() {
        let mut r = Reassembler::default();
        push(&mut r, seg(0, b"ab", 1));
        assert!(push(&mut r, seg(5, b"fg", 2)).is_empty());
        assert!(push(&mut r, seg(9, b"j", 3)).is_empty());
        let mut ev = Vec::new();
        assert!(r.skip_gap(7, |e| ev.push(own(e))));
        assert_eq!(
            ev,
            vec![Ev::Gap(2, 3, 7, 2), Ev::Data(5, b"fg".to_vec(), 2)]
        );
        ev.clear();
        r.flush(8, |e| ev.push(own(e)));
        assert_eq!(ev, vec![Ev::Gap(7, 2, 8, 3), Ev::Data(9, b"j".to_vec(), 3)]);
        assert!(!r.skip_gap(9, |_| {}));
        assert_eq!(r.stats().gaps, 2);
        assert_eq!(r.stats().gap_bytes, 5);
        assert_eq!(r.next_seq(), Some(10));
    }

    #[test]
    fn wraps_around_the_sequence_space() {
        let mut r = Reassembler::default();
        let base = u32::MAX - 2;
        push(&mut r, seg(base, b"abc", 1)); // ends exactly at 2^32
        push(&mut r, seg(3, b"ghi", 2)); // after a hole, past the wrap
        assert_eq!(
            push(&mut r, seg(0, b"def", 3)),
            vec![
                Ev::Data(3, b"def".to_vec(), 3),
                Ev::Data(6, b"ghi".to_vec(), 2)
            ]
        );
        assert_eq!(r.next_seq(), Some(6));
        // A segment from before the wrap is old, not 4 GiB ahead.
        assert!(push(&mut r, seg(base, b"abc", 4)).is_empty());
    }

    #[test]
    fn fin_fires_when_the_stream_reaches_it() {
        let mut r = Reassembler::default();
        push(&mut r, seg(0, b"ab", 1));
        let mut fin = seg(4, b"e", 2);
        fin.fin = true;
        assert!(push(&mut r, fin).is_empty()); // ahead of a hole
        assert_eq!(
            push(&mut r, seg(2, b"cd", 3)),
            vec![
                Ev::Data(2, b"cd".to_vec(), 3),
                Ev::Data(4, b"e".to_vec(), 2),
                Ev::Fin(5, 2)
            ]
        );
        assert!(r.finished());
        // Data beyond the FIN is cut off and reported.
        assert_eq!(push(&mut r, seg(4, b"eXY", 4)), vec![Ev::AfterFin(4, 2)]);
        assert_eq!(r.stats().after_fin_bytes, 2);
    }

    #[test]
    fn uncaptured_tails_take_sequence_space() {
        let mut r = Reassembler::default();
        push(&mut r, seg(0, b"", 1));
        let mut late = seg(8, b"ij", 2);
        late.uncaptured = 2;
        assert!(push(&mut r, late).is_empty());
        let mut cut = seg(0, b"abc", 3);
        cut.uncaptured = 5;
        assert_eq!(
            push(&mut r, cut),
            vec![
                Ev::Data(0, b"abc".to_vec(), 3),
                Ev::Uncaptured(3, 5, 3),
                Ev::Data(8, b"ij".to_vec(), 2),
                Ev::Uncaptured(10, 2, 2)
            ]
        );
        assert_eq!(r.next_seq(), Some(12));
        assert_eq!(r.stats().uncaptured_bytes, 7);
    }

    #[test]
    fn buffer_cap_is_not_exceeded() {
        let mut r = Reassembler::new(Config { max_buffered: 8 });
        push(&mut r, seg(0, b"", 1));
        assert!(push(&mut r, seg(10, b"12345", 2)).is_empty());
        assert_eq!(push(&mut r, seg(20, b"6789", 3)), vec![Ev::Overflow(3, 4)]);
        assert_eq!(r.buffered(), 5);
        assert!(push(&mut r, seg(15, b"abc", 4)).is_empty());
        assert_eq!(r.buffered(), 8);
        assert_eq!(r.stats().overflows, 1);
        assert_eq!(r.stats().peak_buffered, 8);
        let mut ev = Vec::new();
        r.flush(5, |e| ev.push(own(e)));
        assert_eq!(
            ev,
            vec![
                Ev::Gap(0, 10, 5, 2),
                Ev::Data(10, b"12345".to_vec(), 2),
                Ev::Data(15, b"abc".to_vec(), 4)
            ]
        );
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn huge_jumps_and_empty_segments_do_not_panic() {
        let mut r = Reassembler::new(Config { max_buffered: 4 });
        for (i, seq) in [0u32, 0x8000_0000, 0x7fff_ffff, u32::MAX, 1, 0x8000_0001]
            .into_iter()
            .enumerate()
        {
            let mut s = seg(seq, b"xyz", i as u64);
            s.syn = i % 2 == 0;
            s.fin = i % 3 == 0;
            r.push(s, |_| {});
            r.push(seg(seq, b"", i as u64), |_| {});
        }
        r.flush(99, |_| {});
        assert_eq!(r.buffered(), 0);
    }
}
