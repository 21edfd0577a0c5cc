//! Property tests of `flow::reassembly`: random byte streams cut into random
//! segments, reordered, duplicated and overlapped (consistent bytes), with
//! random initial sequence numbers (many crossing 2^32), come out as the
//! original stream; lost segments come out as gaps covering exactly bytes no
//! segment carried; the buffer cap holds; arbitrary input (uncaptured tails
//! too) never panics.

use coffeeshark::flow::reassembly::{Config, Event, Reassembler, Segment};
use proptest::prelude::*;

/// What came out, with checks that hold for any input.
#[derive(Default, Debug)]
struct Out {
    /// (stream offset, bytes, frame)
    data: Vec<(u64, Vec<u8>, u64)>,
    /// (offset, len)
    gaps: Vec<(u64, u64)>,
    fins: Vec<(u64, u64)>,
    /// Stream offset reached by data and gaps, checked to be contiguous.
    end: u64,
}

impl Out {
    fn take(&mut self, e: Event<'_>) {
        match e {
            Event::Data {
                offset,
                data,
                frame,
            } => {
                assert_eq!(offset, self.end, "data not contiguous");
                assert!(!data.is_empty(), "empty data event");
                self.end += data.len() as u64;
                self.data.push((offset, data.to_vec(), frame));
            }
            Event::Gap { offset, len, .. } => {
                assert_eq!(offset, self.end, "gap not contiguous");
                assert!(len > 0, "empty gap");
                self.end += len;
                self.gaps.push((offset, len));
            }
            Event::Fin { offset, frame } => self.fins.push((offset, frame)),
            Event::Uncaptured { offset, len, .. } => {
                assert_eq!(offset, self.end, "uncaptured not contiguous");
                self.end += len;
            }
            Event::Overflow { .. } | Event::DataAfterFin { .. } => {}
        }
    }
}

/// A stream, the segments to feed as (start, len) in feeding order, the
/// initial sequence number, and the positions (in feeding order) of segments to lose.
type Scenario = (Vec<u8>, Vec<(usize, usize)>, u32, Vec<usize>);

fn scenario(complete: bool) -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(any::<u8>(), 1..3000),
        prop_oneof![any::<u32>(), (u32::MAX - 4000)..=u32::MAX],
    )
        .prop_flat_map(move |(stream, isn)| {
            let n = stream.len();
            (
                Just(stream),
                // Cut points of the base segmentation.
                prop::collection::vec(1..n.max(2), 0..40),
                // Extra segments: arbitrary ranges (duplicates, overlaps).
                prop::collection::vec((0..n, 1..400usize), 0..30),
                Just(isn),
                // A permutation seed and the segments to lose.
                any::<u64>(),
                prop::collection::vec(any::<bool>(), 0..80),
            )
        })
        .prop_map(move |(stream, mut cuts, extra, isn, seed, lose)| {
            let n = stream.len();
            cuts.push(0);
            cuts.push(n);
            cuts.sort_unstable();
            cuts.dedup();
            let mut segs: Vec<(usize, usize)> =
                cuts.windows(2).map(|w| (w[0], w[1] - w[0])).collect();
            let base = segs.len();
            for (start, len) in extra {
                segs.push((start, len.min(n - start)));
            }
            // Shuffle with a small LCG so the case shrinks deterministically.
            let mut order: Vec<usize> = (0..segs.len()).collect();
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                order.swap(i, (x >> 33) as usize % (i + 1));
            }
            let segs: Vec<(usize, usize)> = order.iter().map(|&i| segs[i]).collect();
            let lost: Vec<usize> = if complete {
                Vec::new()
            } else {
                order
                    .iter()
                    .enumerate()
                    .filter(|&(pos, &i)| i < base && lose.get(pos).copied().unwrap_or(false))
                    .map(|(pos, _)| pos)
                    .collect()
            };
            (stream, segs, isn, lost)
        })
}

fn feed(
    r: &mut Reassembler,
    out: &mut Out,
    stream: &[u8],
    segs: &[(usize, usize)],
    isn: u32,
    lost: &[usize],
) {
    // The SYN anchors the stream at isn + 1.
    r.push(
        Segment {
            seq: isn,
            data: b"",
            frame: 1,
            syn: true,
            fin: false,
            uncaptured: 0,
        },
        |e| out.take(e),
    );
    for (i, &(start, len)) in segs.iter().enumerate() {
        if lost.contains(&i) {
            continue;
        }
        let end = start + len;
        r.push(
            Segment {
                seq: isn.wrapping_add(1).wrapping_add(start as u32),
                data: &stream[start..end],
                frame: i as u64 + 2,
                syn: false,
                fin: end == stream.len(),
                uncaptured: 0,
            },
            |e| out.take(e),
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reordered_duplicated_overlapping_segments_give_the_stream_back(
        (stream, segs, isn, _lost) in scenario(true)
    ) {
        let mut r = Reassembler::default();
        let mut out = Out::default();
        feed(&mut r, &mut out, &stream, &segs, isn, &[]);
        let got: Vec<u8> = out.data.iter().flat_map(|(_, d, _)| d.clone()).collect();
        prop_assert_eq!(&got, &stream);
        prop_assert!(out.gaps.is_empty());
        prop_assert_eq!(r.buffered(), 0);
        prop_assert_eq!(r.next_seq(), Some(isn.wrapping_add(1).wrapping_add(stream.len() as u32)));
        // The FIN fires once, at the end of the stream.
        prop_assert_eq!(out.fins.len(), 1);
        prop_assert_eq!(out.fins[0].0, stream.len() as u64);
        // Every delivered range came from a segment of the frame it names.
        for (offset, data, frame) in &out.data {
            let (start, len) = segs[(*frame - 2) as usize];
            let (o, e) = (*offset as usize, *offset as usize + data.len());
            prop_assert!(start <= o && e <= start + len, "frame {} does not hold {}..{}", frame, o, e);
        }
        prop_assert_eq!(r.stats().delivered, stream.len() as u64);
    }

    #[test]
    fn lost_segments_become_gaps_over_uncaptured_bytes_only(
        (stream, segs, isn, lost) in scenario(false)
    ) {
        let mut r = Reassembler::default();
        let mut out = Out::default();
        feed(&mut r, &mut out, &stream, &segs, isn, &lost);
        r.flush(u64::MAX, |e| out.take(e));
        prop_assert_eq!(r.buffered(), 0);
        let mut covered = vec![false; stream.len()];
        for (i, &(start, len)) in segs.iter().enumerate() {
            if !lost.contains(&i) {
                covered[start..start + len].iter_mut().for_each(|c| *c = true);
            }
        }
        for (offset, data, _) in &out.data {
            let o = *offset as usize;
            prop_assert_eq!(&stream[o..o + data.len()], &data[..]);
        }
        for &(offset, len) in &out.gaps {
            let o = offset as usize;
            prop_assert!(covered[o..o + len as usize].iter().all(|c| !c), "gap over captured bytes");
        }
        // Everything up to the last captured byte was passed, as data or gap.
        let last = covered.iter().rposition(|&c| c).map_or(0, |p| p + 1);
        prop_assert_eq!(out.end, last as u64);
    }

    #[test]
    fn the_buffer_cap_holds(
        (stream, segs, isn, lost) in scenario(false),
        cap in 0usize..2000,
    ) {
        let mut r = Reassembler::new(Config { max_buffered: cap });
        let mut out = Out::default();
        let mut overflowed = 0u64;
        r.push(Segment { seq: isn, data: b"", frame: 1, syn: true, fin: false, uncaptured: 0 }, |e| out.take(e));
        for (i, &(start, len)) in segs.iter().enumerate() {
            if lost.contains(&i) { continue; }
            r.push(
                Segment {
                    seq: isn.wrapping_add(1).wrapping_add(start as u32),
                    data: &stream[start..start + len],
                    frame: i as u64 + 2,
                    syn: false,
                    fin: false,
                    uncaptured: 0,
                },
                |e| {
                    if let Event::Overflow { dropped, .. } = e { overflowed += dropped as u64; }
                    out.take(e)
                },
            );
            prop_assert!(r.buffered() <= cap);
        }
        prop_assert_eq!(r.stats().overflow_bytes, overflowed);
        prop_assert!(r.stats().peak_buffered <= cap);
        r.flush(0, |e| out.take(e));
        for (offset, data, _) in &out.data {
            let o = *offset as usize;
            prop_assert_eq!(&stream[o..o + data.len()], &data[..]);
        }
    }

    #[test]
    fn arbitrary_segments_never_panic(
        ops in prop::collection::vec(
            (any::<u32>(), prop::collection::vec(any::<u8>(), 0..64), any::<bool>(), any::<bool>(), 0u8..8),
            0..60,
        ),
        cap in 0usize..256,
    ) {
        let mut r = Reassembler::new(Config { max_buffered: cap });
        let mut out = Out::default();
        for (i, (seq, data, syn, fin, op)) in ops.iter().enumerate() {
            // Mostly near the stream, sometimes anywhere in sequence space.
            let seq = match (op, r.next_seq()) {
                (0..=5, Some(n)) => n.wrapping_add(seq % 200).wrapping_sub(50),
                _ => *seq,
            };
            let uncaptured = if *op == 6 { seq % 100 } else { 0 };
            r.push(Segment { seq, data, frame: i as u64, syn: *syn, fin: *fin, uncaptured }, |e| out.take(e));
            if *op == 7 {
                r.skip_gap(i as u64, |e| out.take(e));
            }
            prop_assert!(r.buffered() <= cap);
        }
        r.flush(u64::MAX, |e| out.take(e));
        prop_assert_eq!(r.buffered(), 0);
        prop_assert!(out.fins.len() <= 1);
    }
}
