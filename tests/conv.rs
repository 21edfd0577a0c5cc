//! `coffeeshark conv`: tshark's `-z conv,tcp` block byte for byte, and the
//! handshake/teardown classification of each stream checked against what
//! each fixture was built to contain.

mod support;

#[path = "../benches/support/generator.rs"]
mod generator;

use serde_json::Value;
use support::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample_capture/http_loopback.pcapng"
);

/// Our table's tshark block (everything up to the second rule line).
fn tshark_block(ours: &str) -> String {
    let mut out = String::new();
    let mut rules = 0;
    for line in ours.lines() {
        out.push_str(line);
        out.push('\n');
        if line.starts_with("=====") {
            rules += 1;
            if rules == 2 {
                break;
            }
        }
    }
    out
}

fn compare_with_tshark(path: &str) {
    let (ours, err, code) = coffeeshark(&["conv", path]);
    assert_eq!(code, 0, "{err}");
    if let Some((theirs, _)) = tshark(&["-r", path, "-q", "-z", "conv,tcp"]) {
        pretty_diff(
            &theirs,
            &tshark_block(&ours),
            &format!("conv of {path} vs tshark"),
        );
    }
}

fn json(path: &str) -> Vec<Value> {
    let (out, err, code) = coffeeshark(&["conv", path, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn sample_capture_matches_tshark_and_every_stream_is_complete() {
    compare_with_tshark(SAMPLE);
    let rows = json(SAMPLE);
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r["handshake_class"], "complete");
        assert_eq!(r["close"], "fin");
        assert_eq!(r["conn_state"], "SF");
        assert_eq!(r["completeness"], 31);
        assert_eq!(r["server"], "127.0.0.1:8000");
        // SYN, SYN/ACK and ACK are the stream's first three frames here.
        let first = r["first_frame"].as_u64().unwrap();
        assert_eq!(
            r["handshake"],
            serde_json::json!({"syn": first, "syn_ack": first + 1, "ack": first + 2})
        );
    }
}

fn write(dir: &tempfile::TempDir, name: &str, frames: &[Frame]) -> String {
    let p = path_in(dir, name);
    write_pcap(&p, 1, frames, PCAP_US);
    p.to_str().unwrap().to_string()
}

#[test]
fn refused_reset_open_half_closed_midstream() {
    let dir = tempdir();
    let mut frames = Vec::new();
    // 0: refused.
    let mut refused = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 5030);
    refused.send(true, SYN, b"").send(false, RST_ACK, b"");
    frames.extend(refused.frames);
    // 1: established, then reset by the server.
    let mut reset =
        TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41001, 5031)
            .at(frames.last().unwrap().ts_nanos + 1000);
    reset
        .send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"")
        .send(true, PSH_ACK, b"hi")
        .send(false, RST_ACK, b"");
    frames.extend(reset.frames);
    // 2: SYN without answer.
    let mut lonely =
        TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41002, 5030)
            .at(frames.last().unwrap().ts_nanos + 1000);
    lonely.send(true, SYN, b"");
    frames.extend(lonely.frames);
    // 3: handshake and data, still open at the end; 4: one FIN only.
    let mut open =
        TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41003, 5031)
            .at(frames.last().unwrap().ts_nanos + 1000);
    open.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"")
        .send(true, PSH_ACK, b"GET");
    frames.extend(open.frames);
    let mut half =
        TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41004, 5030)
            .at(frames.last().unwrap().ts_nanos + 1000);
    half.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"")
        .send(false, FIN_ACK, b"");
    frames.extend(half.frames);
    // 5: capture started mid-connection (server port lower: client is the higher port).
    let mut mid =
        TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41005, 5031)
            .at(frames.last().unwrap().ts_nanos + 1000);
    mid.send(false, PSH_ACK, b"HTTP/1.1 200 OK\r\n\r\n")
        .send(true, ACK, b"");
    frames.extend(mid.frames);
    let p = write(&dir, "mixed.pcap", &frames);
    compare_with_tshark(&p);
    let rows = json(&p);
    let get = |i: usize, k: &str| rows[i][k].clone();
    assert_eq!(
        (
            get(0, "handshake_class"),
            get(0, "close"),
            get(0, "conn_state")
        ),
        ("refused".into(), "refused".into(), "REJ".into())
    );
    assert_eq!(
        get(0, "handshake"),
        serde_json::json!({"syn": 1, "syn_ack": null, "ack": null})
    );
    assert_eq!(
        get(0, "rst"),
        serde_json::json!({"client": null, "server": 2})
    );
    assert_eq!(
        (
            get(1, "handshake_class"),
            get(1, "close"),
            get(1, "conn_state")
        ),
        ("complete".into(), "rst".into(), "RSTR".into())
    );
    assert_eq!(
        (
            get(2, "handshake_class"),
            get(2, "close"),
            get(2, "conn_state")
        ),
        ("syn-only".into(), "open".into(), "S0".into())
    );
    assert_eq!(
        (get(3, "close"), get(3, "conn_state")),
        ("open".into(), "S1".into())
    );
    assert_eq!(
        (get(4, "close"), get(4, "conn_state")),
        ("half-closed".into(), "S3".into())
    );
    assert_eq!(
        (get(5, "handshake_class"), get(5, "conn_state")),
        ("not-seen".into(), "OTH".into())
    );
    assert_eq!(get(5, "client"), "127.0.0.1:41005");
    assert_eq!(get(5, "server"), "127.0.0.1:5031");
    assert_eq!(
        get(1, "frames"),
        serde_json::json!({"client_to_server": 3, "server_to_client": 2})
    );
}

#[test]
fn simultaneous_open_and_ipv6() {
    let dir = tempdir();
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V6, 40109, 40110);
    let (a, b) = (c.next[0], c.next[1]);
    c.send(true, SYN, b"");
    c.send_at_seq(false, SYN, b, b"");
    c.next = [a.wrapping_add(1), b.wrapping_add(1)];
    c.send_at_seq(true, SYN_ACK, a, b"");
    c.send_at_seq(false, SYN_ACK, b, b"");
    c.send(true, FIN_ACK, b"")
        .send(false, FIN_ACK, b"")
        .send(true, ACK, b"");
    let p = write(&dir, "simopen6.pcap", &c.frames);
    compare_with_tshark(&p);
    let rows = json(&p);
    assert_eq!(rows[0]["handshake_class"], "simultaneous-open");
    // RFC 5952 §6: bracketed when joined with the port, and both apart.
    assert_eq!(rows[0]["client"], "[::1]:40109");
    assert_eq!(rows[0]["client_address"], "::1");
    assert_eq!(rows[0]["client_port"], 40109);
    assert_eq!(rows[0]["close"], "fin");
}

#[test]
fn csv_has_a_row_per_stream() {
    let (out, _, code) = coffeeshark(&["conv", SAMPLE, "--format", "csv"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].starts_with("stream,client,server,handshake_class,syn,syn_ack,ack,close"));
    assert!(lines[1].starts_with("0,127.0.0.1:36680,127.0.0.1:8000,complete,1,2,3,fin,SF,"));
}

#[test]
fn display_filter_restricts_the_table_like_tsharks_conv_filter() {
    let filter = "tcp.srcport == 8000";
    let (ours, err, code) = coffeeshark(&["conv", SAMPLE, "-Y", filter]);
    assert_eq!(code, 0, "{err}");
    let block = tshark_block(&ours);
    assert!(block.contains(&format!("Filter:{filter}\n")));
    if let Some((theirs, _)) = tshark(&["-r", SAMPLE, "-q", "-z", &format!("conv,tcp,{filter}")]) {
        pretty_diff(&theirs, &block, "conv -Y vs tshark -z conv,tcp,FILTER");
    }
    // Only the server's packets were counted: nothing from client to server.
    let (json, _, _) = coffeeshark(&["conv", SAMPLE, "-Y", filter, "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r["frames"]["client_to_server"], 0, "{r}");
    }
    let (_, err, code) = coffeeshark(&["conv", SAMPLE, "-Y", "tcp.prot == 1"]);
    assert_eq!(code, 2);
    assert!(
        // tshark 4.0's words for an unknown name on the left.
        err.contains("Left side of \"==\" expression must be a field or function, not tcp.prot."),
        "{err}"
    );
}

/// The rows of our second table (after the tshark block), without the
/// Requests column when there is one.
fn handshake_rows(ours: &str) -> Vec<String> {
    let mut rules = 0;
    let mut rows = Vec::new();
    for line in ours.lines() {
        if line.starts_with("=====") {
            rules += 1;
            continue;
        }
        if rules == 2 && !line.is_empty() {
            rows.push(line.to_string());
        }
    }
    if rows.first().is_some_and(|h| h.ends_with("Requests")) {
        for r in &mut rows {
            // The Requests column is the last, right-aligned in 8.
            let cut = r.len().saturating_sub(9);
            r.truncate(cut);
            let trimmed = r.trim_end().len();
            r.truncate(trimmed);
        }
    }
    rows
}

/// More connections than the flow table keeps closed (so rows are handed
/// back and packed while the capture is read), 4-tuples reused: the table
/// equals tshark's, and the counting pass (no packets, no application
/// layer) gives the same rows as the pass over whole packets with the
/// application layer (`--requests`) and as the JSON.
#[test]
fn many_connections_match_tshark_and_every_pass_agrees() {
    let dir = tempdir();
    let path = path_in(&dir, "lab.pcapng");
    let stats = generator::write_lab_capture(&path, 300_000, generator::Format::PcapNg).unwrap();
    assert!(stats.connections as usize > coffeeshark::flow::MAX_CLOSED + 10_000);
    let p = path.to_str().unwrap();
    compare_with_tshark(p);
    let (fast, err, code) = coffeeshark(&["conv", p]);
    assert_eq!(code, 0, "{err}");
    let (full, err, code) = coffeeshark(&["conv", p, "--requests"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tshark_block(&fast), tshark_block(&full));
    let rows = handshake_rows(&fast);
    // (The generator may count a connection it had no room to start.)
    assert!(
        rows.len() + 8 > stats.connections as usize,
        "{}",
        rows.len()
    );
    assert_eq!(rows, handshake_rows(&full));
    // Some 4-tuples came back: a client endpoint appears more than once.
    let mut clients: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| {
            let mut f = r.split_whitespace().skip(1);
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    clients.sort_unstable();
    assert!(clients.windows(2).any(|w| w[0] == w[1]));
    // JSON: the same streams, each a complete handshake closed by FINs,
    // except the ones the end of the capture cut off.
    let records = json(p);
    assert_eq!(records.len() + 1, rows.len());
    let complete = records
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            assert_eq!(r["stream"], *i as u64);
            r["handshake_class"] == "complete" && r["close"] == "fin"
        })
        .count();
    assert!(complete + 8 >= records.len(), "{complete}");
}

/// `-Y` selects the analyser: a filter on sequence analysis flags, on the
/// application layer, or on plain headers counts what tshark counts.
#[test]
fn filters_on_analysis_application_and_headers_match_tshark() {
    let dir = tempdir();
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 8000);
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    let seq = c.next[0];
    c.send(true, PSH_ACK, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // The request again: a retransmission.
    c.send_at_seq(true, PSH_ACK, seq, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    c.send(
        false,
        PSH_ACK,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    )
    .send(true, FIN_ACK, b"")
    .send(false, FIN_ACK, b"")
    .send(true, ACK, b"");
    let mut frames = c.frames;
    let mut other =
        TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41001, 8000)
            .at(frames.last().unwrap().ts_nanos + 1000);
    other
        .send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, FIN_ACK, b"")
        .send(true, ACK, b"");
    frames.extend(other.frames);
    let p = write(&dir, "retransmission.pcap", &frames);
    for filter in [
        "tcp.analysis.retransmission",
        "tcp.analysis.flags",
        "http.request",
        "http",
        "tcp.stream == 1",
        "tcp.len > 0",
    ] {
        let (ours, err, code) = coffeeshark(&["conv", &p, "-Y", filter]);
        assert_eq!(code, 0, "{err}");
        let block = tshark_block(&ours);
        if let Some((theirs, _)) = tshark(&["-r", &p, "-q", "-z", &format!("conv,tcp,{filter}")]) {
            pretty_diff(&theirs, &block, &format!("conv -Y {filter} vs tshark"));
        }
        // A row only for the stream with matching packets (stream 1 has
        // no data, no retransmission, no HTTP; stream 0 is not stream 1).
        assert_eq!(handshake_rows(&ours).len(), 2, "{filter}\n{ours}");
    }
    // The retransmission is one frame of stream 0.
    let (json, _, _) = coffeeshark(&[
        "conv",
        &p,
        "-Y",
        "tcp.analysis.retransmission",
        "--format",
        "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["stream"], 0);
    assert_eq!(rows[0]["frames"]["client_to_server"], 1);
    assert_eq!(rows[0]["frames"]["server_to_client"], 0);
}

/// The table's Requests column is there when asked for; JSON and CSV always
/// have the count.
#[test]
fn requests_column_on_request() {
    let (plain, _, code) = coffeeshark(&["conv", SAMPLE]);
    assert_eq!(code, 0);
    let (with, _, code) = coffeeshark(&["conv", SAMPLE, "--requests"]);
    assert_eq!(code, 0);
    assert!(!plain.contains("Requests"));
    let head = handshake_rows(&with);
    assert!(with.lines().any(|l| l.ends_with("Requests")));
    assert_eq!(head, handshake_rows(&plain));
    for line in with
        .lines()
        .skip_while(|l| !l.starts_with("Stream"))
        .skip(1)
    {
        assert!(line.ends_with(" 1"), "{line}");
    }
}

/// Start and duration are tshark's doubles: a duration of exactly 0.00035 s
/// prints as tshark prints it (its `double` difference rounds up), and a
/// stream whose times go backwards starts at its earliest frame.
#[test]
fn durations_round_like_tsharks_doubles_and_times_may_go_backwards() {
    let dir = tempdir();
    let base: u64 = 1_795_000_000_000_000_000;
    let mut a = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 8000);
    a.send(true, SYN, b"").send(false, SYN_ACK, b"");
    let mut b = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41001, 8000);
    b.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41002, 8000);
    c.send(true, SYN, b"").send(false, SYN_ACK, b"");
    // a: 0 and 0.000350; b: 1.0, 1.00035, then 0.9999 (backwards);
    // c: 5.981210 and 5.981560.
    let times = [
        (&mut a.frames, vec![0, 350_000]),
        (
            &mut b.frames,
            vec![1_000_000_000, 1_000_350_000, 999_900_000],
        ),
        (&mut c.frames, vec![5_981_210_000, 5_981_560_000]),
    ];
    let mut frames = Vec::new();
    for (conn, offsets) in times {
        for (f, off) in conn.iter_mut().zip(offsets) {
            f.ts_nanos = base + off;
        }
        frames.extend(conn.iter().cloned());
    }
    let p = write(&dir, "durations.pcap", &frames);
    compare_with_tshark(&p);
    let (ours, _, _) = coffeeshark(&["conv", &p]);
    assert!(ours.contains("     0.999900000         0.0005\n"), "{ours}");
    assert!(ours.contains("     5.981210000         0.0004\n"), "{ours}");
}
