//! `coffeeshark conv`: the TCP conversation table.
//!
//! `table` prints tshark's `-z conv,tcp` block exactly (same columns, widths,
//! byte units and order: most frames first, ties in stream order), then our
//! own columns per stream: handshake class and frames, teardown, Zeek-style
//! `conn_state` and history, and (when asked for) requests. `json` and
//! `csv` carry everything, one record per stream in stream order; the JSON
//! form is a stable interface for scripts and graders (documented in
//! `docs/CLI.md`). Every function renders one row into a `String` the caller
//! flushes: the output streams.

use crate::model::conversations::{Conversation, FrameRef};
use crate::source::time::write_seconds;
use serde_json::{json, Value};
use std::fmt::Write;

const RULE: &str =
    "================================================================================";

/// An endpoint as `addr:port`, an IPv6 address in brackets
/// (`[::1]:49374`, RFC 5952 §6) so that the port can be split off. Only
/// tshark's own block ([`tshark_row`]) writes IPv6 unbracketed, as tshark.
pub fn endpoint_text(c: &Conversation, side: usize) -> String {
    let mut s = String::with_capacity(24);
    write_endpoint(&mut s, c, side);
    s
}

/// The address alone (IPv6 unbracketed: nothing follows it).
pub fn address_text(c: &Conversation, side: usize) -> String {
    let e = c.endpoint(side);
    let mut s = String::with_capacity(16);
    if c.v6 {
        let _ = write!(s, "{}", std::net::Ipv6Addr::from(e.addr));
    } else {
        crate::model::summary::write_ipv4(&mut s, [e.addr[0], e.addr[1], e.addr[2], e.addr[3]]);
    }
    s
}

/// Appends `addr:port` (`[v6]:port`) without going through `format!` (a
/// table row has four).
fn write_endpoint(out: &mut String, c: &Conversation, side: usize) {
    let e = c.endpoint(side);
    if c.v6 {
        let _ = write!(out, "[{}]", std::net::Ipv6Addr::from(e.addr));
    } else {
        crate::model::summary::write_ipv4(out, [e.addr[0], e.addr[1], e.addr[2], e.addr[3]]);
    }
    out.push(':');
    out.push_str(itoa::Buffer::new().format(e.port));
}

/// One output line of fixed-width columns, built in a stack buffer and
/// copied out once: the tables have a line per conversation, and going
/// through `fmt` or many small `String` appends per cell was most of
/// their cost. Anything longer than the buffer is spilled to the output
/// first, so no width of value can lose or reorder text.
struct Line<'a> {
    out: &'a mut Vec<u8>,
    buf: [u8; 256],
    len: usize,
    /// Bytes written to this line so far, spilled or not (for padding).
    total: usize,
}

impl<'a> Line<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        Line {
            out,
            buf: [b' '; 256],
            len: 0,
            total: 0,
        }
    }

    /// Moves what is buffered to the output.
    fn spill(&mut self) {
        self.out.extend_from_slice(&self.buf[..self.len]);
        self.buf[..self.len].fill(b' ');
        self.len = 0;
    }

    /// Makes room for `n` more bytes, if the buffer can hold them at all.
    fn room(&mut self, n: usize) -> bool {
        if self.len + n > self.buf.len() {
            self.spill();
        }
        n <= self.buf.len()
    }

    fn bytes(&mut self, s: &[u8]) {
        self.total += s.len();
        if self.room(s.len()) {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s);
            self.len += s.len();
        } else {
            self.out.extend_from_slice(s);
        }
    }

    fn byte(&mut self, b: u8) {
        self.room(1);
        self.buf[self.len] = b;
        self.len += 1;
        self.total += 1;
    }

    /// `n` spaces (the buffer is kept filled with spaces past `len`).
    fn spaces(&mut self, n: usize) {
        self.total += n;
        if self.room(n) {
            self.len += n;
        } else {
            self.out.resize(self.out.len() + n, b' ');
        }
    }

    /// Pads what was written since `mark` (a `total`) to `width`.
    fn pad_from(&mut self, mark: usize, width: usize) {
        self.spaces(width.saturating_sub(self.total - mark));
    }

    /// The decimal digits of `n`, written in place two at a time (a copy
    /// of a short slice of unknown length is a `memcpy` call).
    fn num(&mut self, mut n: u64) {
        let len = decimal_len(n);
        self.room(len); // at most 20 of the 256 bytes: always fits
        self.total += len;
        let mut end = self.len + len;
        self.len = end;
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            end -= 2;
            self.buf[end..end + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        }
        if n >= 10 {
            let pair = n as usize * 2;
            self.buf[end - 2..end].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        } else {
            self.buf[end - 1] = b'0' + n as u8;
        }
    }

    /// A byte value in decimal.
    fn octet(&mut self, b: u8) {
        let [d0, d1, d2, len] = OCTETS[usize::from(b)];
        self.room(3);
        // Three bytes whatever the length: the unused ones are spaces, as
        // the buffer is past `len`.
        self.buf[self.len..self.len + 3].copy_from_slice(&[d0, d1, d2]);
        self.len += usize::from(len);
        self.total += usize::from(len);
    }

    /// `n`, right-aligned in `width`.
    fn num_right(&mut self, n: u64, width: usize) {
        self.spaces(width.saturating_sub(decimal_len(n)));
        self.num(n);
    }

    /// `s`, left-aligned in `width` (a longer value pushes on).
    fn left(&mut self, s: &[u8], width: usize) {
        self.bytes(s);
        self.spaces(width.saturating_sub(s.len()));
    }

    /// `s`, right-aligned in `width`.
    fn right(&mut self, s: &[u8], width: usize) {
        self.spaces(width.saturating_sub(s.len()));
        self.bytes(s);
    }

    /// Ends the line.
    fn finish(mut self) {
        self.byte(b'\n');
        self.spill();
    }
}

/// The decimal text of every byte value, padded with spaces to 3, then
/// the number of digits.
const OCTETS: [[u8; 4]; 256] = {
    let mut table = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (h, t, o) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        table[i] = if i >= 100 {
            [b'0' + h, b'0' + t, b'0' + o, 3]
        } else if i >= 10 {
            [b'0' + t, b'0' + o, b' ', 2]
        } else {
            [b'0' + o, b' ', b' ', 1]
        };
        i += 1;
    }
    table
};

/// "00" to "99".
const DIGIT_PAIRS: [u8; 200] = {
    let mut table = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        table[2 * i] = b'0' + (i / 10) as u8;
        table[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    table
};

/// Number of decimal digits of `n`.
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// `addr:port` left-aligned in `width` (IPv4 by hand; IPv6 through its
/// `Display`, bracketed when `brackets`: tshark's block writes it bare).
fn line_endpoint(line: &mut Line<'_>, c: &Conversation, side: usize, width: usize, brackets: bool) {
    let e = c.endpoint(side);
    let mark = line.total;
    if c.v6 {
        let text = std::net::Ipv6Addr::from(e.addr).to_string();
        if brackets {
            line.byte(b'[');
            line.bytes(text.as_bytes());
            line.byte(b']');
        } else {
            line.bytes(text.as_bytes());
        }
    } else {
        for (i, &octet) in e.addr[..4].iter().enumerate() {
            if i > 0 {
                line.byte(b'.');
            }
            line.octet(octet);
        }
    }
    line.byte(b':');
    line.num(u64::from(e.port));
    line.pad_from(mark, width);
}

/// [`write_size`] into a line, left-aligned in `width`.
fn line_size(line: &mut Line<'_>, size: u64, width: usize) {
    const UNITS: [(u64, &[u8]); 5] = [
        (1_000_000_000_000_000, b" PB"),
        (1_000_000_000_000, b" TB"),
        (1_000_000_000, b" GB"),
        (1_000_000, b" MB"),
        (1_000, b" kB"),
    ];
    let (value, unit): (u64, &[u8]) = UNITS
        .iter()
        .find(|(scale, _)| size / scale >= 10)
        .map_or((size, b" bytes"), |&(scale, unit)| (size / scale, unit));
    let mark = line.total;
    line.num(value);
    line.bytes(unit);
    line.pad_from(mark, width);
}

/// The relative start, right-aligned in `width`: tshark's `%14.9f` of
/// `nstime_to_sec(start)`, which is the exact nanoseconds (as
/// [`write_seconds`] writes them) below [`EXACT_BELOW`].
fn line_seconds(line: &mut Line<'_>, nanos: i64, width: usize) {
    if !(-EXACT_BELOW..EXACT_BELOW).contains(&nanos) {
        // tshark's `%14.9f` of a double that is no longer exact.
        let text = format!("{:.9}", nstime_to_sec(nanos));
        line.right(text.as_bytes(), width);
        return;
    }
    let abs = nanos.unsigned_abs();
    let secs = abs / 1_000_000_000;
    line.spaces(width.saturating_sub(usize::from(nanos < 0) + decimal_len(secs) + 10));
    if nanos < 0 {
        line.byte(b'-');
    }
    line.num(secs);
    line.byte(b'.');
    let frac = abs % 1_000_000_000;
    for _ in decimal_len(frac)..9 {
        line.byte(b'0');
    }
    line.num(frac);
}

/// A frame number or `-`, right-aligned in `width`.
fn line_frame(line: &mut Line<'_>, f: FrameRef, width: usize) {
    match f {
        Some(n) => line.num_right(n.get(), width),
        None => line.right(b"-", width),
    }
}

/// Wireshark's `format_size` with SI prefixes: "704 bytes", "11 kB", "25 MB".
pub fn format_size(size: u64) -> String {
    let mut s = String::new();
    write_size(&mut s, size);
    s
}

fn write_size(out: &mut String, size: u64) {
    const UNITS: [(u64, &str); 5] = [
        (1_000_000_000_000_000, " PB"),
        (1_000_000_000_000, " TB"),
        (1_000_000_000, " GB"),
        (1_000_000, " MB"),
        (1_000, " kB"),
    ];
    let mut num = itoa::Buffer::new();
    for (scale, unit) in UNITS {
        if size / scale >= 10 {
            out.push_str(num.format(size / scale));
            out.push_str(unit);
            return;
        }
    }
    out.push_str(num.format(size));
    out.push_str(" bytes");
}

/// The head of tshark's `-z conv,tcp` block.
pub fn tshark_header(out: &mut Vec<u8>, filter: Option<&str>) {
    out.extend_from_slice(RULE.as_bytes());
    out.extend_from_slice(b"\nTCP Conversations\nFilter:");
    out.extend_from_slice(filter.unwrap_or("<No Filter>").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(b"                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n");
    out.extend_from_slice(b"                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n");
}

/// One line of tshark's block (rows come most frames first, ties in stream
/// order: [`crate::model::conversations::Rows::for_each_by_frames`]).
pub fn tshark_row(out: &mut Vec<u8>, c: &Conversation) {
    // "%-26s <-> %-26s  %6u %-9s  %6u %-9s  %6u %-9s  %14s   %12.4f"
    let mut line = Line::new(out);
    let (a, b) = (&c.sides[0], &c.sides[1]);
    line_endpoint(&mut line, c, 0, 26, false);
    line.bytes(b" <-> ");
    line_endpoint(&mut line, c, 1, 26, false);
    // Sums wrap, as tshark's 64-bit counters would (no real capture gets near).
    for (frames, bytes) in [
        (b.frames, b.bytes),
        (a.frames, a.bytes),
        (
            a.frames.wrapping_add(b.frames),
            a.bytes.wrapping_add(b.bytes),
        ),
    ] {
        line.spaces(2);
        line.num_right(frames, 6);
        line.byte(b' ');
        line_size(&mut line, bytes, 9);
    }
    line.spaces(2);
    line_seconds(&mut line, c.start_nanos, 14);
    line.spaces(3);
    line_duration(&mut line, c.start_nanos, c.end_nanos, 12);
    line.finish();
}

/// The rule that ends tshark's block.
pub fn tshark_footer(out: &mut Vec<u8>) {
    out.extend_from_slice(RULE.as_bytes());
    out.push(b'\n');
}

/// Wireshark's `nstime_to_sec` of a relative time in nanoseconds: whole
/// seconds and nanoseconds (both truncated toward zero, as `nstime_t`
/// keeps them), as a `double`.
fn nstime_to_sec(nanos: i64) -> f64 {
    (nanos / 1_000_000_000) as f64 + (nanos % 1_000_000_000) as f64 / 1e9
}

/// Relative times under this many nanoseconds (11.5 days) convert to a
/// `double` with an error under a tenth of a nanosecond (a few units in
/// the last place of 10^6 s), so the printed digits of tshark's doubles can
/// be had exactly from the integers.
const EXACT_BELOW: i64 = 1_000_000_000_000_000;

/// The duration column, right-aligned in `width`: tshark prints
/// `%12.4f` of `nstime_to_sec(stop) - nstime_to_sec(start)`, a difference
/// of doubles. Away from a tie (a remainder of exactly 0.00005 s) that
/// rounds as the exact integer difference does, the doubles' error being
/// under a nanosecond; ties, negative and huge values take tshark's
/// doubles (rounded by `format!` as `printf` rounds: the binary value,
/// exactly).
fn line_duration(line: &mut Line<'_>, start: i64, stop: i64, width: usize) {
    const UNIT: i64 = 100_000; // 10^-4 s
    let exact = (0..EXACT_BELOW).contains(&start) && (start..EXACT_BELOW).contains(&stop);
    let nanos = stop.wrapping_sub(start);
    if !exact || nanos % UNIT == UNIT / 2 {
        let text = format!("{:.4}", nstime_to_sec(stop) - nstime_to_sec(start));
        line.right(text.as_bytes(), width);
        return;
    }
    let units = ((nanos + UNIT / 2) / UNIT) as u64;
    let (secs, frac) = (units / 10_000, units % 10_000);
    line.spaces(width.saturating_sub(decimal_len(secs) + 5));
    line.num(secs);
    line.byte(b'.');
    for _ in decimal_len(frac)..4 {
        line.byte(b'0');
    }
    line.num(frac);
}

/// The head of our table (`requests`: with the Requests column).
pub fn handshake_header(out: &mut Vec<u8>, requests: bool) {
    let mut head = format!(
        "\n{:>6}  {:<26} {:<26} {:<17} {:>6} {:>6} {:>6}  {:<11} {:<6} ",
        "Stream", "Client", "Server", "Handshake", "SYN", "SYNACK", "ACK", "Close", "State",
    );
    if requests {
        let _ = writeln!(head, "{:<10} {:>8}", "History", "Requests");
    } else {
        head.push_str("History\n");
    }
    out.extend_from_slice(head.as_bytes());
}

/// Our columns for one stream (rows come in stream order).
pub fn handshake_row(out: &mut Vec<u8>, c: &Conversation, requests: bool) {
    // "{:>6}  {:<26} {:<26} {:<17} {:>6} {:>6} {:>6}  {:<11} {:<6} {:<10} {:>8}"
    let (cs, ss) = sides(c);
    let client = &c.sides[cs];
    let server = &c.sides[ss];
    let mut line = Line::new(out);
    line.num_right(u64::from(c.stream), 6);
    line.spaces(2);
    line_endpoint(&mut line, c, cs, 26, true);
    line.byte(b' ');
    line_endpoint(&mut line, c, ss, 26, true);
    line.byte(b' ');
    line.left(c.handshake().as_str().as_bytes(), 17);
    line.byte(b' ');
    line_frame(&mut line, client.syn, 6);
    line.byte(b' ');
    line_frame(&mut line, server.syn_ack, 6);
    line.byte(b' ');
    line_frame(&mut line, c.handshake_ack, 6);
    line.spaces(2);
    line.left(c.close().as_str().as_bytes(), 11);
    line.byte(b' ');
    line.left(c.conn_state().as_bytes(), 6);
    line.byte(b' ');
    let mut history = [0u8; 12];
    let history = c.history_bytes(&mut history);
    if requests {
        line.left(history, 10);
        line.byte(b' ');
        line.num_right(u64::from(c.requests), 8);
    } else {
        line.bytes(history);
    }
    line.finish();
}

/// Relative start and duration, in seconds with 9 decimals.
fn start_and_duration(c: &Conversation) -> (String, String) {
    let mut start = String::new();
    write_seconds(&mut start, c.start_nanos as i128, 9);
    let mut duration = String::new();
    write_seconds(
        &mut duration,
        c.end_nanos as i128 - c.start_nanos as i128,
        9,
    );
    (start, duration)
}

fn sides(c: &Conversation) -> (usize, usize) {
    let cs = c.client_side();
    (cs, 1 - cs)
}

/// The JSON record of one stream.
pub fn json_record(c: &Conversation) -> Value {
    let (cs, ss) = sides(c);
    let (client, server) = (&c.sides[cs], &c.sides[ss]);
    let (start, duration) = start_and_duration(c);
    json!({
        "stream": c.stream,
        "client": endpoint_text(c, cs),
        "server": endpoint_text(c, ss),
        "client_address": address_text(c, cs),
        "client_port": c.endpoint(cs).port,
        "server_address": address_text(c, ss),
        "server_port": c.endpoint(ss).port,
        "completeness": c.completeness,
        "conn_state": c.conn_state(),
        "history": c.history(),
        "handshake_class": c.handshake().as_str(),
        "handshake": {"syn": client.syn, "syn_ack": server.syn_ack, "ack": c.handshake_ack},
        "fin": {"client": client.fin, "server": server.fin},
        "rst": {"client": client.rst, "server": server.rst},
        "close": c.close().as_str(),
        "frames": {"client_to_server": client.frames, "server_to_client": server.frames},
        "bytes": {"client_to_server": client.bytes, "server_to_client": server.bytes},
        "first_frame": c.first_frame,
        "start": start,
        "duration": duration,
        "requests": c.requests,
    })
}

/// Appends one record of the JSON array, as `serde_json::to_string_pretty`
/// prints the whole array (`index`: the record's place in it). The array
/// is `[` + records + [`json_end`].
pub fn json_row(out: &mut Vec<u8>, c: &Conversation, index: usize) {
    out.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
    let text = serde_json::to_string_pretty(&json_record(c)).unwrap_or_default();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(b"  ");
        out.extend_from_slice(line.as_bytes());
    }
}

/// Closes the JSON array of `rows` records.
pub fn json_end(out: &mut Vec<u8>, rows: usize) {
    out.extend_from_slice(if rows == 0 { b"]\n" } else { b"\n]\n" });
}

/// The CSV header line.
pub fn csv_header(out: &mut Vec<u8>) {
    out.extend_from_slice(b"stream,client,server,handshake_class,syn,syn_ack,ack,close,conn_state,history,completeness,frames_client_to_server,bytes_client_to_server,frames_server_to_client,bytes_server_to_client,start,duration,requests\n");
}

/// One CSV line; missing frames are empty.
pub fn csv_row(out: &mut Vec<u8>, c: &Conversation) {
    let mut line = String::with_capacity(160);
    let opt = |f: FrameRef| f.map(|n| n.to_string()).unwrap_or_default();
    let (cs, ss) = sides(c);
    let (client, server) = (&c.sides[cs], &c.sides[ss]);
    let (start, duration) = start_and_duration(c);
    let _ = writeln!(
        line,
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        c.stream,
        csv_field(&endpoint_text(c, cs)),
        csv_field(&endpoint_text(c, ss)),
        c.handshake().as_str(),
        opt(client.syn),
        opt(server.syn_ack),
        opt(c.handshake_ack),
        c.close().as_str(),
        c.conn_state(),
        c.history(),
        c.completeness,
        client.frames,
        client.bytes,
        server.frames,
        server.bytes,
        start,
        duration,
        c.requests
    );
    out.extend_from_slice(line.as_bytes());
}

/// IPv6 endpoints contain colons but no commas; quote only when needed.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_like_tsharks_doubles() {
        let tshark = |start: i64, stop: i64| {
            (
                format!("{:.9}", super::nstime_to_sec(start)),
                format!(
                    "{:.4}",
                    super::nstime_to_sec(stop) - super::nstime_to_sec(start)
                ),
            )
        };
        let mut cases: Vec<(i64, i64)> = vec![
            (0, 0),
            (0, 1),
            (0, 49_999),
            (0, 50_000),
            (5_981_210_587, 5_981_560_587),
            (0, 150_000),
            (1, 250_001),
            (7, 99_950_007),
            (0, 999_950_000),
            (0, 4_600_000),
            (123_456_789_012, 923_456_789_012),
            (999_999_999_999_999, 999_999_999_999_999),
            (1_000_000_000_000_000, 1_000_000_000_050_000),
            (i64::MAX - 5, i64::MAX),
            (-1, 0),
            (-50_000, 100_000),
            (i64::MIN, 0),
        ];
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..200_000 {
            let start = (next() % 100_000_000_000_000) as i64;
            let d = (next() % 1_000_000_000) as i64;
            cases.push((start, start + d));
            // Ties, where the doubles decide.
            cases.push((start, start + d / 100_000 * 100_000 + 50_000));
        }
        for (start, stop) in cases {
            let mut out = Vec::new();
            {
                let mut line = super::Line::new(&mut out);
                super::line_seconds(&mut line, start, 0);
                line.byte(b' ');
                super::line_duration(&mut line, start, stop, 0);
                line.spill();
            }
            let (s, d) = tshark(start, stop);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{s} {d}"),
                "{start} {stop}"
            );
        }
    }

    #[test]
    fn sizes_like_wireshark() {
        assert_eq!(super::format_size(704), "704 bytes");
        // wsutil's format_size: a unit once the value in it is at least 10
        // (tshark 4.0 wrote "10 kB" for 10,368 bytes on the real-traffic
        // bench capture, where we wrote "10368 bytes").
        assert_eq!(super::format_size(9_999), "9999 bytes");
        assert_eq!(super::format_size(10_000), "10 kB");
        assert_eq!(super::format_size(10_368), "10 kB");
        assert_eq!(super::format_size(11_000), "11 kB");
        assert_eq!(super::format_size(9_999_999), "9999 kB");
        assert_eq!(super::format_size(10_000_000), "10 MB");
        assert_eq!(super::format_size(25_000_000), "25 MB");
    }
}
