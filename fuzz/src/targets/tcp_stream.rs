//! A sequence of TCP segments with fuzzed sequence numbers, flags and
//! payloads, on two connections between the same hosts, through the flow
//! table (stream numbers, analysis) and a reassembler per stream and
//! direction (with a small buffer cap, so that overflow happens).
//!
//! Input: records of `[flags][seq: u32 LE][len: u8][len payload bytes]`.
//! Flags: bit 0 direction, 1 SYN, 2 FIN, 3 RST, 4 ACK, 5 give up on the
//! first hole after this segment, 6 second connection, 7 bytes beyond the
//! capture (snapshot length) after the payload.
//!
//! What must hold: every stream byte comes out at most once and in order
//! (each event starts where the previous one ended); each delivered byte is
//! the byte its segment carried at that sequence number; nothing after the
//! FIN; the buffer stays under its cap; the delivered count is the sum of
//! the deliveries; a final flush leaves nothing held.

use coffeeshark::flow::reassembly::{Config, Event, Reassembler, Segment};
use coffeeshark::flow::{Endpoint, TcpTracker};
use coffeeshark::source::Timestamp;
use etherparse::TcpSlice;
use std::collections::HashMap;

const CAP: usize = 2048;

/// One direction of one stream: its reassembler and the bookkeeping that
/// checks its events.
struct Dir {
    r: Reassembler,
    c: Checker,
}

struct Checker {
    /// Data sequence number of the first segment (stream offset 0).
    anchor: u32,
    /// Stream offset the next event must start at.
    expect: u64,
    delivered: u64,
    fin_seen: bool,
}

/// The segments by frame number: (data sequence number, payload).
type Sent = HashMap<u64, (u32, Vec<u8>)>;

fn check(c: &mut Checker, sent: &Sent, ev: Event<'_>) {
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("event {ev:?}");
    }
    match ev {
        Event::Data {
            offset,
            data,
            frame,
        } => {
            assert!(!c.fin_seen, "data after the FIN");
            assert_eq!(offset, c.expect, "data out of order or twice");
            let (data_seq, payload) = &sent[&frame];
            let seq_of_first = c.anchor.wrapping_add(offset as u32);
            let at = seq_of_first.wrapping_sub(*data_seq) as usize;
            assert_eq!(
                payload.get(at..at + data.len()),
                Some(data),
                "delivered bytes are not what frame {frame} carried there"
            );
            c.expect += data.len() as u64;
            c.delivered += data.len() as u64;
        }
        Event::Gap { offset, len, .. } | Event::Uncaptured { offset, len, .. } => {
            assert!(!c.fin_seen, "a hole after the FIN");
            assert_eq!(offset, c.expect, "a hole out of order");
            c.expect += len;
        }
        Event::Fin { offset, .. } => {
            assert!(!c.fin_seen, "two FINs");
            assert_eq!(offset, c.expect, "the FIN is not where the stream is");
            c.fin_seen = true;
        }
        Event::Overflow { .. } | Event::DataAfterFin { .. } => {}
    }
}

fn endpoint(ip: [u8; 4], port: u16) -> Endpoint {
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&ip);
    Endpoint { addr, port }
}

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let mut tracker: TcpTracker = TcpTracker::new();
    let mut dirs: HashMap<(u32, bool), Dir> = HashMap::new();
    let mut sent: Sent = HashMap::new();
    let (a, b) = ([127, 0, 0, 1], [127, 0, 0, 2]);
    let mut rest = input;
    let mut frame = 0u64;
    while rest.len() >= 6 && frame < 512 {
        let flags = rest[0];
        let seq = u32::from_le_bytes(rest[1..5].try_into().expect("4 bytes"));
        let len = usize::from(rest[5]).min(rest.len() - 6);
        let payload = &rest[6..6 + len];
        rest = &rest[6 + len..];
        frame += 1;
        let bit = |i: u8| flags & (1 << i) != 0;
        let (fwd, syn, fin, rst, ack) = (!bit(0), bit(1), bit(2), bit(3), bit(4));
        let client_port = if bit(6) { 40001 } else { 40000 };
        let (src, dst) = if fwd {
            (endpoint(a, client_port), endpoint(b, 5030))
        } else {
            (endpoint(b, 5030), endpoint(a, client_port))
        };
        // A TCP header of 20 bytes, then the payload.
        let mut seg = Vec::with_capacity(20 + len);
        seg.extend_from_slice(&src.port.to_be_bytes());
        seg.extend_from_slice(&dst.port.to_be_bytes());
        seg.extend_from_slice(&seq.to_be_bytes());
        seg.extend_from_slice(&seq.rotate_left(7).to_be_bytes()); // an ack number
        let tcp_flags =
            u8::from(fin) | u8::from(syn) << 1 | u8::from(rst) << 2 | u8::from(ack) << 4;
        seg.extend_from_slice(&[0x50, tcp_flags, 0xff, 0xff, 0, 0, 0, 0]);
        seg.extend_from_slice(payload);
        let tcp = TcpSlice::from_slice(&seg).expect("a 20-byte header");
        let ts = Timestamp {
            secs: frame as i64,
            nanos: 0,
        };
        let meta = tracker.track(frame, ts, src, dst, &tcp);
        assert!(meta.stream < tracker.streams());

        let data_seq = seq.wrapping_add(u32::from(syn));
        sent.insert(frame, (data_seq, payload.to_vec()));
        let Dir { r, c } = dirs.entry((meta.stream, fwd)).or_insert_with(|| Dir {
            r: Reassembler::new(Config { max_buffered: CAP }),
            c: Checker {
                anchor: data_seq,
                expect: 0,
                delivered: 0,
                fin_seen: false,
            },
        });
        let uncaptured = if bit(7) {
            1 + u32::from(seq as u8 % 7)
        } else {
            0
        };
        if std::env::var_os("FUZZ_DEBUG").is_some() {
            eprintln!(
                "frame {frame} stream {} fwd {fwd} seq {seq} syn {syn} fin {fin} len {len} uncaptured {uncaptured} skip {}",
                meta.stream,
                bit(5)
            );
        }
        let segment = Segment {
            seq,
            data: payload,
            frame,
            syn,
            fin,
            uncaptured,
        };
        r.push(segment, |e| check(c, &sent, e));
        if bit(5) {
            r.skip_gap(frame, |e| check(c, &sent, e));
        }
        assert!(r.buffered() <= CAP, "the buffer went over its cap");
    }
    for Dir { r, c } in dirs.values_mut() {
        r.flush(frame + 1, |e| check(c, &sent, e));
        assert_eq!(r.buffered(), 0, "a flush left data held");
        assert_eq!(r.stats().delivered, c.delivered);
    }
}
