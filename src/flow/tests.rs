use super::*;

/// A bare 20-byte TCP header.
fn header(src_port: u16, dst_port: u16, seq: u32, ack: u32, flags: u8) -> Vec<u8> {
    let mut h = vec![0u8; 20];
    h[0..2].copy_from_slice(&src_port.to_be_bytes());
    h[2..4].copy_from_slice(&dst_port.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[8..12].copy_from_slice(&ack.to_be_bytes());
    h[12] = 5 << 4;
    h[13] = flags;
    h[14..16].copy_from_slice(&512u16.to_be_bytes());
    h
}

fn endpoint(port: u16) -> Endpoint {
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[127, 0, 0, 1]);
    Endpoint { addr, port }
}

struct Run {
    tracker: TcpTracker<u32>,
    frame: u64,
}

impl Run {
    /// One segment from `from` to `to`; returns its stream, counting
    /// segments per connection in the caller's state.
    fn send(&mut self, from: u16, to: u16, seq: u32, ack: u32, flags: u8) -> u32 {
        self.frame += 1;
        let bytes = header(from, to, seq, ack, flags);
        let tcp = TcpSlice::from_slice(&bytes).unwrap();
        let ts = Timestamp {
            secs: 1_000,
            nanos: self.frame as u32,
        };
        let (meta, count) =
            self.tracker
                .track_with(self.frame, ts, endpoint(from), endpoint(to), &tcp);
        *count += 1;
        meta.stream
    }

    /// A whole connection from client port `port` to 80: 8 segments.
    fn connection(&mut self, port: u16, isn: u32) -> u32 {
        let s = self.send(port, 80, isn, 0, SYN);
        self.send(80, port, 7, isn + 1, SYN | ACK);
        self.send(port, 80, isn + 1, 8, ACK);
        self.send(port, 80, isn + 1, 8, ACK | 0x08);
        self.send(80, port, 8, isn + 1, FIN | ACK);
        self.send(port, 80, isn + 1, 9, FIN | ACK);
        s
    }
}

fn run(max_closed: usize) -> Run {
    let mut tracker = TcpTracker::without_analysis();
    tracker.limit_closed(max_closed);
    tracker.report_forgotten(true);
    Run { tracker, frame: 0 }
}

#[test]
fn closed_connections_beyond_the_limit_are_forgotten_oldest_first() {
    let mut r = run(3);
    let mut forgotten = Vec::new();
    for i in 0..10u16 {
        let stream = r.connection(40_000 + i, 1000);
        assert_eq!(stream, u32::from(i));
        // The last ACK, after both FINs: still the same stream.
        assert_eq!(r.send(40_000 + i, 80, 1002, 9, ACK), stream);
        r.tracker
            .drain_forgotten(|s, count| forgotten.push((s, count)));
        // The connections closed last (and none open) are all it holds.
        assert!(r.tracker.len() <= 4, "{}", r.tracker.len());
    }
    // Forgotten in the order they closed, each with its 7 segments.
    let streams: Vec<u32> = forgotten.iter().map(|&(s, _)| s).collect();
    assert_eq!(streams, (0..streams.len() as u32).collect::<Vec<_>>());
    assert!(forgotten.iter().all(|&(_, n)| n == 7));
    assert!(streams.len() >= 6);
    let mut rest = Vec::new();
    r.tracker.drain_all(|s, n| rest.push((s, n)));
    rest.sort_unstable();
    assert_eq!(rest.len() + streams.len(), 10);
    assert!(rest.iter().all(|&(_, n)| n == 7));
    assert!(r.tracker.is_empty());
}

#[test]
fn a_late_segment_joins_its_connection_until_it_is_forgotten() {
    let mut r = run(2);
    let first = r.connection(40_000, 1000);
    r.connection(40_001, 1000);
    // Two closed: the first is still known.
    assert_eq!(r.send(40_000, 80, 1002, 9, ACK), first);
    r.connection(40_002, 1000);
    r.connection(40_003, 1000);
    // Two more closed since: the first was forgotten, so its 4-tuple
    // starts a new stream (Wireshark, which forgets nothing, would not).
    assert_eq!(r.send(40_000, 80, 1002, 9, ACK), 4);
}

#[test]
fn without_a_limit_nothing_closed_is_forgotten_within_a_minute() {
    let mut r = run(usize::MAX);
    for i in 0..100u16 {
        r.connection(40_000 + i, 1000);
    }
    assert_eq!(r.tracker.len(), 100);
    let mut forgotten = 0;
    r.tracker.drain_forgotten(|_, _| forgotten += 1);
    assert_eq!(forgotten, 0);
}

/// The hand-written option walk finds what etherparse's iterator finds.
#[test]
fn window_scale_option_agrees_with_etherparse() {
    use etherparse::TcpOptionElement;
    let mut next = crate::xorshift(0x1234_5678_9abc_def1);
    // Plausible option bytes, then mutated.
    let pieces: [&[u8]; 9] = [
        &[1],
        &[0],
        &[2, 4, 5, 0xb4],
        &[3, 3, 7],
        &[4, 2],
        &[8, 10, 1, 2, 3, 4, 5, 6, 7, 8],
        &[5, 10, 0, 0, 0, 1, 0, 0, 0, 2],
        &[3, 3, 14],
        &[9, 2],
    ];
    for _ in 0..200_000 {
        let mut opts = Vec::new();
        for _ in 0..next() % 6 {
            opts.extend_from_slice(pieces[(next() % 9) as usize]);
        }
        if !opts.is_empty() && next() % 3 == 0 {
            let at = (next() % opts.len() as u64) as usize;
            opts[at] = next() as u8;
        }
        opts.truncate(40);
        while opts.len() % 4 != 0 {
            opts.push(if next() % 2 == 0 { 1 } else { next() as u8 });
        }
        let mut bytes = header(1, 2, 3, 4, SYN);
        bytes[12] = ((20 + opts.len()) as u8 / 4) << 4;
        bytes.extend_from_slice(&opts);
        let tcp = TcpSlice::from_slice(&bytes).unwrap();
        let expected = tcp.options_iterator().find_map(|o| match o {
            Ok(TcpOptionElement::WindowScale(s)) => Some(s),
            _ => None,
        });
        assert_eq!(window_scale_option(&tcp), expected, "{opts:?}");
    }
}

#[test]
fn port_reuse_hands_back_the_old_connection() {
    let mut r = run(usize::MAX);
    let old = r.connection(40_000, 1000);
    let new = r.connection(40_000, 5000);
    assert_ne!(old, new);
    let mut forgotten = Vec::new();
    r.tracker.drain_forgotten(|s, n| forgotten.push((s, n)));
    assert_eq!(forgotten, vec![(old, 6)]);
}
