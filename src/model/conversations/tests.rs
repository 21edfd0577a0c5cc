use super::*;
use crate::xorshift;

/// Small values most of the time, extremes some of the time.
fn val(next: &mut impl FnMut() -> u64, small: u64) -> u64 {
    match next() % 8 {
        0 => next(),
        1 => u64::MAX - next() % 3,
        2 => 0,
        _ => next() % small,
    }
}

fn frame_ref(next: &mut impl FnMut() -> u64, first: u64) -> FrameRef {
    match next() % 3 {
        0 => None,
        1 => NonZeroU64::new(first.wrapping_add(next() % 50)),
        _ => NonZeroU64::new(next()),
    }
}

fn endpoint(next: &mut impl FnMut() -> u64, v6: bool) -> Endpoint {
    let mut addr = [0u8; 16];
    let n = if v6 { 16 } else { 4 };
    for b in &mut addr[..n] {
        *b = next() as u8;
    }
    Endpoint {
        addr,
        port: next() as u16,
    }
}

fn random_conversation(next: &mut impl FnMut() -> u64) -> Conversation {
    let first_frame = 1 + val(next, 1 << 30) % (u64::MAX - 1);
    let v6 = next() % 3 == 0;
    let a = endpoint(next, v6);
    let b = endpoint(next, v6);
    let mut sides = [Side::default(); 2];
    for s in &mut sides {
        s.frames = val(next, 100);
        s.bytes = val(next, 100_000);
        s.syn = frame_ref(next, first_frame);
        s.syn_ack = frame_ref(next, first_frame);
        s.fin = frame_ref(next, first_frame);
        s.rst = frame_ref(next, first_frame);
    }
    let history_len = (next() % 13) as u8;
    let mut history = [0u8; 12];
    for h in &mut history[..usize::from(history_len)] {
        *h = next() as u8;
    }
    Conversation {
        stream: next() as u32,
        v6,
        a,
        b,
        sides,
        first_frame,
        start_nanos: val(next, 1 << 40) as i64,
        end_nanos: val(next, 1 << 41) as i64,
        handshake_ack: frame_ref(next, first_frame),
        completeness: next() as u8,
        history,
        history_len,
        requests: val(next, 10) as u32,
    }
}

#[test]
fn rows_pack_and_unpack_unchanged() {
    let mut next = xorshift(0x00c0_ffee);
    let mut packed = PackedRows::default();
    let rows: Vec<Conversation> = (0..20_000)
        .map(|_| random_conversation(&mut next))
        .collect();
    for c in &rows {
        packed.push(c);
    }
    let mut back = Conversation::default();
    for (c, r) in rows.iter().zip(&packed.index) {
        unpack(&packed.bytes, r.offset, &mut back);
        assert_eq!(&back, c);
    }
}

#[test]
fn a_lab_row_packs_into_a_few_dozen_bytes() {
    let mut c = Conversation::default();
    let seg = |frame: u64, from_client: bool, flags: u16, len: usize| Segment {
        frame,
        rel_nanos: frame as i64 * 20_000 + 4_000_000_000,
        orig_len: 66 + len as u32,
        v6: false,
        src: Endpoint {
            addr: [127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            port: if from_client { 41_000 } else { 5030 },
        },
        dst: Endpoint {
            addr: [127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            port: if from_client { 5030 } else { 41_000 },
        },
        flags,
        payload_len: len,
        stream: 48_000,
        completeness: 31,
        requests: u32::from(from_client && len > 0),
    };
    let first = 500_001;
    for (i, (from_client, flags, len)) in [
        (true, 0x002, 0),
        (false, 0x012, 0),
        (true, 0x010, 0),
        (true, 0x018, 80),
        (false, 0x010, 0),
        (false, 0x018, 120),
        (true, 0x010, 0),
        (false, 0x011, 0),
        (true, 0x011, 0),
        (false, 0x010, 0),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(&seg(first + 3 * i as u64, from_client, flags, len));
    }
    assert_eq!(c.history(), "ShADadfF");
    assert_eq!(c.handshake(), Handshake::Complete);
    let mut table = ConversationTable::new();
    table.push_finished(&c);
    // The row itself (52 bytes here) and its place in the index (16).
    let bytes = table.packed_bytes();
    assert!(bytes <= 72, "{bytes} bytes");
    let rows = table.finish();
    let mut back = Vec::new();
    rows.for_each(|r| back.push(r.clone()));
    assert_eq!(back, vec![c]);
}

#[test]
fn tshark_order_is_most_frames_first_then_stream() {
    let mut next = xorshift(7);
    for distinct in [3u64, 100] {
        let mut table = ConversationTable::new();
        for stream in 0..2_000u32 {
            let mut c = random_conversation(&mut next);
            c.stream = stream;
            c.first_frame = 1;
            c.sides[0].frames = next() % distinct;
            c.sides[1].frames = 1;
            table.push_finished(&c);
        }
        let rows = table.finish();
        let mut order = Vec::new();
        rows.for_each_by_frames(|c| order.push((c.sides[0].frames + 1, c.stream)));
        let mut expected = order.clone();
        expected.sort_by_key(|&(frames, stream)| (std::cmp::Reverse(frames), stream));
        assert_eq!(order, expected);
        let mut streams = Vec::new();
        rows.for_each(|c| streams.push(c.stream));
        assert_eq!(streams, (0..2_000).collect::<Vec<_>>());
    }
}
