//! Shared pieces of the fuzz targets: a small deterministic generator, and
//! the stream plan that lets a target feed the same bytes to a parser in two
//! different chunkings (with the same holes) and compare what comes out.
//!
//! Stream targets (`http_parser`, `htcpcp`, `tls_records`) read their input
//! as `[flags: 1 byte][seed: 8 bytes][stream bytes...]` ([`StreamInput`]),
//! so that seeds made from real captures are simply the stream bytes behind
//! nine bytes of header, and the fuzzer mutates chunkings, holes and bytes
//! alike.

use std::ops::Range;

pub mod targets;

/// xorshift64: the same sequence for the same seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// A stream target's input: flags, a seed, and the stream's bytes.
pub struct StreamInput<'a> {
    pub flags: u8,
    pub seed: u64,
    pub data: &'a [u8],
}

impl<'a> StreamInput<'a> {
    /// `None` when the input is shorter than its nine-byte header.
    pub fn parse(input: &'a [u8]) -> Option<StreamInput<'a>> {
        if input.len() < 9 {
            return None;
        }
        let seed = u64::from_le_bytes(input[1..9].try_into().expect("8 bytes"));
        Some(StreamInput {
            flags: input[0],
            seed,
            data: &input[9..],
        })
    }

    pub fn flag(&self, bit: u8) -> bool {
        self.flags & (1 << bit) != 0
    }
}

/// One step of feeding a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// These bytes of the input, in order.
    Data(Range<usize>),
    /// The bytes of this range were never captured: a hole of that length.
    Hole(Range<usize>),
}

/// The holes of a stream (at most 3, chosen by `seed`), when `holes` is set:
/// the same for every chunking of the same input.
pub fn holes(len: usize, seed: u64, holes: bool) -> Vec<Range<usize>> {
    if !holes || len == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut out: Vec<Range<usize>> = (0..1 + rng.below(3))
        .map(|_| {
            let start = rng.below(len as u64) as usize;
            let n = 1 + rng.below(64) as usize;
            start..(start + n).min(len)
        })
        .collect();
    out.sort_by_key(|r| r.start);
    // Merge overlapping holes: one hole is one gap.
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The stream as pieces: the data between holes whole (`cuts` false), or
/// cut at random places chosen by `seed` (`cuts` true). Both plans have the
/// same holes, so a parser must give the same messages for both.
pub fn plan(len: usize, seed: u64, with_holes: bool, cuts: bool) -> Vec<Piece> {
    let hs = holes(len, seed, with_holes);
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut data = |from: usize, to: usize, out: &mut Vec<Piece>| {
        if from >= to {
            return;
        }
        if !cuts {
            out.push(Piece::Data(from..to));
            return;
        }
        let mut at = from;
        while at < to {
            // Mostly small pieces (1..16 bytes), sometimes big ones.
            let n = if rng.below(4) == 0 {
                1 + rng.below(1024) as usize
            } else {
                1 + rng.below(16) as usize
            };
            let end = (at + n).min(to);
            out.push(Piece::Data(at..end));
            at = end;
        }
    };
    for h in hs {
        data(pos, h.start, &mut out);
        out.push(Piece::Hole(h.clone()));
        pos = h.end;
    }
    data(pos, len, &mut out);
    out
}

/// Whether `inner` lies within `0..len` and after `prev_end`: message ranges
/// in stream order, inside what the parser was given.
pub fn range_ok(inner: &Range<u64>, prev_end: u64, len: u64) -> bool {
    inner.start <= inner.end && inner.start >= prev_end && inner.end <= len
}

/// The captures the seeds and the `display_filter` target read, embedded.
pub const SAMPLE_HOMEPAGE: &[u8] = include_bytes!("../../sample_capture/homepage_coffee.pcapng");

/// The `http_parser` and `htcpcp` targets: the input's stream through a
/// [`MessageParser`] twice, whole between its holes and cut at random, with
/// small limits so that the caps are reached. Asserts: messages come in
/// stream order with ranges inside the stream (holes included); kept bodies
/// respect the cap and never exceed the body length; both chunkings give the
/// same messages. Returns the messages (whole plan).
///
/// Flags: bit 0 response role, bit 1 holes, bit 2 end of stream (FIN),
/// bit 3 a HEAD request outstanding (response role), bit 4 the peer
/// answers halfway (request role, HTCPCP's close-delimited BREW bodies).
pub fn check_message_parser(
    input: &[u8],
    htcpcp: bool,
) -> Vec<coffeeshark::dissect::http::Message> {
    use coffeeshark::dissect::http::{Limits, MessageParser, Role};
    let Some(inp) = StreamInput::parse(input) else {
        return Vec::new();
    };
    let role = if inp.flag(0) {
        Role::Response
    } else {
        Role::Request
    };
    let limits = Limits {
        max_head: 512,
        max_body: 1024,
    };
    let run = |cuts: bool| {
        let mut p = MessageParser::with_limits(htcpcp, role, limits);
        if role == Role::Response {
            p.expect_response_to(if inp.flag(3) { "HEAD" } else { "GET" });
            p.expect_response_to("GET");
        }
        let mut out = Vec::new();
        let half = inp.data.len() / 2;
        let mut answered = false;
        for piece in plan(inp.data.len(), inp.seed, inp.flag(1), cuts) {
            match piece {
                Piece::Data(r) => {
                    // The peer's answer arrives at the first piece boundary
                    // at or after the middle: split there in both plans.
                    if inp.flag(4) && !answered && r.end > half {
                        let mid = half.max(r.start);
                        p.push(&inp.data[r.start..mid], |m| out.push(m));
                        p.peer_answered(|m| out.push(m));
                        answered = true;
                        p.push(&inp.data[mid..r.end], |m| out.push(m));
                    } else {
                        p.push(&inp.data[r.clone()], |m| out.push(m));
                    }
                }
                Piece::Hole(r) => p.gap(r.len() as u64, |m| out.push(m)),
            }
            assert!(p.buffered() <= limits.max_head + limits.max_body + 64 * 1024);
        }
        if inp.flag(2) {
            p.end_of_stream(|m| out.push(m));
        }
        out
    };
    let whole = run(false);
    let len = inp.data.len() as u64;
    let mut prev_end = 0;
    for m in &whole {
        assert!(
            range_ok(&m.range, prev_end, len),
            "message range {:?} after {prev_end}, stream of {len}",
            m.range
        );
        prev_end = m.range.end;
        assert!(m.body.len() <= limits.max_body, "kept body over the cap");
        assert!(
            m.body.len() as u64 <= m.body_len,
            "kept more body than there was"
        );
        assert!(
            m.head_len as u64 <= m.range.end - m.range.start,
            "head longer than the message"
        );
    }
    let cut = run(true);
    assert_eq!(whole, cut, "another chunking gave other messages");
    whole
}

/// A capture read through the whole pipeline, as `report` and `diagram` do:
/// every frame decoded, dissected and collected. Returns the frames read
/// and the collected facts.
pub fn collect(
    bytes: &[u8],
    hide_acks: bool,
    max_arrows: usize,
) -> (u64, coffeeshark::report::Facts) {
    use coffeeshark::pipeline::Analyzer;
    use coffeeshark::report::{roles, Collector, Limits, Selection};
    use coffeeshark::source::CaptureReader;
    let mut collector = Collector::new(
        Limits::default(),
        Some(Selection {
            streams: None,
            hide_acks,
            max_arrows,
        }),
    );
    let mut frames = 0;
    if let Ok(mut reader) = CaptureReader::from_reader(std::io::Cursor::new(bytes.to_vec())) {
        let mut analyzer = Analyzer::new();
        let mut detector = roles::Detector::new();
        // Bounded: every frame takes at least 12 bytes of input.
        while frames < bytes.len() as u64 / 12 + 1 {
            let Ok(Some(raw)) = reader.next_frame() else {
                break;
            };
            detector.add(raw.link_type, raw.data);
            let pkt = analyzer.process(&raw);
            collector.add(&pkt, true);
            frames += 1;
        }
        let _ = detector.decide(None, None);
    }
    (frames, collector.finish())
}
