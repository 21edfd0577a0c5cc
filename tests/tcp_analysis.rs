//! TCP as Wireshark sees it: analysis flags, stream numbering, relative
//! numbers and completeness on fixtures that reproduce each case (built in
//! code, see tests/support). For each fixture the packet list equals
//! `tshark -r` line for line, and `-T fields` of the TCP fields equals tshark's.

mod support;

use support::*;

const DATA: &[u8] = b"0123456789";

/// Fields compared with tshark's `-T fields` for every packet.
const FIELDS: &[&str] = &[
    "frame.number",
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.nxtseq",
    "tcp.len",
    "tcp.window_size",
    "tcp.completeness",
    "tcp.time_relative",
    "tcp.time_delta",
];

fn check(name: &str, frames: &[Frame]) {
    let dir = tempdir();
    let path = path_in(&dir, name);
    write_pcap(&path, 1, frames, PCAP_US);
    keep_fixture(&path);
    let p = path.to_str().unwrap();
    let (ours, err, code) = coffeeshark(&["read", p]);
    assert_eq!(code, 0, "{name}: {err}");
    let mut args = vec!["-r", p, "-T", "fields"];
    for f in FIELDS {
        args.extend(["-e", f]);
    }
    let (our_fields, _, _) = fields_via_json(p);
    if let Some((theirs, _)) = tshark(&["-r", p]) {
        pretty_diff(&theirs, &ours, &format!("{name} packet list vs tshark"));
    }
    if let Some((theirs, _)) = tshark(&args) {
        pretty_diff(
            &theirs,
            &our_fields,
            &format!("{name} TCP fields vs tshark"),
        );
    }
    assert_golden(&format!("{name}.txt"), &ours);
}

/// Our values of FIELDS, tab-separated like tshark -T fields, read from -T jsonl.
fn fields_via_json(p: &str) -> (String, String, i32) {
    let (out, err, code) = coffeeshark(&["read", p, "-T", "jsonl"]);
    let mut text = String::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let layers = &v["_source"]["layers"];
        let vals: Vec<String> = FIELDS
            .iter()
            .map(|f| {
                let layer = f.split('.').next().unwrap();
                let value = match f.strip_prefix("tcp.time_") {
                    // Timestamps sit in a subtree, as in tshark's JSON.
                    Some(_) => &layers[layer]["[Timestamps]"][*f],
                    None => &layers[layer][*f],
                };
                match value {
                    serde_json::Value::String(s) => s.clone(),
                    _ => String::new(),
                }
            })
            .collect();
        text.push_str(&vals.join("\t"));
        text.push('\n');
    }
    (text, err, code)
}

#[test]
fn retransmission() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40100, 5030);
    handshake(&mut c);
    let seq = c.next[0];
    c.send(true, PSH_ACK, DATA);
    c.ts_nanos += 200_000_000; // RTO later, no ACK seen
    c.send_at_seq(true, PSH_ACK, seq, DATA);
    c.send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_retransmission.pcap", &c.frames);
}

#[test]
fn spurious_retransmission() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40101, 5030);
    handshake(&mut c);
    let seq = c.next[0];
    c.send(true, PSH_ACK, DATA).send(false, ACK, b"");
    c.ts_nanos += 200_000_000;
    c.send_at_seq(true, PSH_ACK, seq, DATA);
    teardown(&mut c);
    check("tcp_spurious.pcap", &c.frames);
}

#[test]
fn out_of_order_and_previous_segment_not_captured() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40102, 5030);
    handshake(&mut c);
    let first = c.next[0];
    c.send_at_seq(true, PSH_ACK, first.wrapping_add(10), DATA);
    c.send_at_seq(true, PSH_ACK, first, DATA);
    c.next[0] = first.wrapping_add(20);
    c.send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_out_of_order.pcap", &c.frames);
}

#[test]
fn lost_segment_and_acked_unseen() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40103, 5030);
    handshake(&mut c);
    let first = c.next[0];
    c.send(true, PSH_ACK, DATA);
    c.send_at_seq(true, PSH_ACK, first.wrapping_add(20), DATA);
    c.next[0] = first.wrapping_add(30);
    c.send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_lost.pcap", &c.frames);
}

#[test]
fn duplicate_acks_and_fast_retransmission() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40104, 5030);
    handshake(&mut c);
    let first = c.next[0];
    c.send(true, PSH_ACK, DATA); // 1..11
    c.send(false, ACK, b""); // ack 11
                             // 11..21 is lost; 21.., 31.., 41.. arrive and each is answered with ack 11.
    for k in 2..5u32 {
        c.send_at_seq(true, PSH_ACK, first.wrapping_add(10 * k), DATA);
        c.send(false, ACK, b"");
    }
    c.send_at_seq(true, PSH_ACK, first.wrapping_add(10), DATA);
    c.next[0] = first.wrapping_add(50);
    c.send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_dup_ack.pcap", &c.frames);
}

#[test]
fn window_update_and_zero_window() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40105, 5030);
    handshake(&mut c);
    c.send(true, PSH_ACK, DATA);
    c.window[1] = 0;
    c.send(false, ACK, b""); // zero window
    c.send(true, PSH_ACK, b"x"); // zero window probe
    c.next[0] = c.next[0].wrapping_sub(1); // the probe's byte is not accepted
    c.send(false, ACK, b""); // probe ack
    c.window[1] = 400;
    c.send(false, ACK, b""); // window update
    c.send(true, PSH_ACK, DATA);
    c.send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_windows.pcap", &c.frames);
}

#[test]
fn keep_alive() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40106, 5030);
    handshake(&mut c);
    c.send(true, PSH_ACK, DATA).send(false, ACK, b"");
    c.ts_nanos += 45_000_000_000;
    let ka = c.next[0].wrapping_sub(1);
    c.send_at_seq(true, ACK, ka, b"");
    c.send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_keepalive.pcap", &c.frames);
}

#[test]
fn refused_connection_and_reset_mid_stream() {
    let mut refused = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40107, 5030);
    refused.send(true, SYN, b"").send(false, RST_ACK, b"");
    let mut reset = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40108, 5031).at(refused.ts_nanos);
    handshake(&mut reset);
    reset.send(true, PSH_ACK, DATA).send(false, RST_ACK, b"");
    let frames: Vec<Frame> = refused.frames.into_iter().chain(reset.frames).collect();
    check("tcp_rst.pcap", &frames);
}

#[test]
fn simultaneous_open() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40109, 40110);
    let (a, b) = (c.next[0], c.next[1]);
    c.send(true, SYN, b"");
    c.send_at_seq(false, SYN, b, b"");
    c.next[1] = b.wrapping_add(1);
    c.next[0] = a.wrapping_add(1);
    c.send_at_seq(true, SYN_ACK, a, b"");
    c.send_at_seq(false, SYN_ACK, b, b"");
    c.send(true, PSH_ACK, DATA).send(false, ACK, b"");
    teardown(&mut c);
    check("tcp_simultaneous_open.pcap", &c.frames);
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 40111, 5030);
    c.next = [u32::MAX - 4, u32::MAX - 1];
    handshake(&mut c);
    c.send(true, PSH_ACK, DATA)
        .send(false, PSH_ACK, DATA)
        .send(true, ACK, b"");
    teardown(&mut c);
    check("tcp_wrap.pcap", &c.frames);
}
