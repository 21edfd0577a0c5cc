//! Writes big, realistic captures of the coffee-pot lab's loopback traffic for
//! benchmarks (`benches/read.rs`, `examples/gen_big_capture.rs`,
//! `benches/compare_tshark.sh`). Never commit what it writes.
//!
//! What a capture looks like, modelled on `dumpcap -i lo` on Linux:
//! - one interface `lo` ("Loopback"), Ethernet link type with zero MACs,
//!   nanosecond timestamps (pcapng) or microsecond ones (pcap);
//! - IPv4 127.0.0.1 both ways, DF set, TTL 64, an IP ID counter per direction
//!   (0 on the SYN/ACK, as Linux sends it);
//! - many short TCP connections, [`CONCURRENT`] of them open at a time and
//!   interleaved: SYN (MSS, SACK_PERM, TS, NOP, WS: a 40-byte TCP header),
//!   SYN/ACK, ACK, a request, its ACK, a response in one or two segments, the
//!   client's ACK, then FIN/ACK from the server, FIN/ACK from the client and a
//!   final ACK; every later segment carries NOP, NOP, TS (32-byte header);
//! - connections alternate between browser → web app (HTTP/1.1 on port 5031:
//!   `200 OK`, `304 Not Modified`, `302 FOUND`) and web app → coffee pot
//!   (HTCPCP on port 5030: `200 OK` brewing, `418 I'm a Teapot`), each from an
//!   ephemeral port cycling through 32768..=60999, so a long capture reuses
//!   4-tuples as a long lab session does;
//! - timestamps strictly increase, by a few to tens of microseconds.
//!
//! The output is a pure function of the arguments (a seeded xorshift PRNG),
//! and it is streamed through a `BufWriter`: memory use does not depend on the
//! packet count. Exactly `target_packets` packets are written; the
//! connections still open at that point are cut off, as when a capture is
//! stopped while traffic flows.

// Included with `#[path]` by the bench and the example, which each use a part.
#![allow(dead_code)]

use etherparse::{IpHeaders, IpNumber, Ipv4Header, PacketBuilder, TcpHeader, TcpOptionElement};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, PcapError, TsResolution};
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

/// Connections open at the same time.
pub const CONCURRENT: usize = 8;
/// Linux's default ephemeral port range (`net.ipv4.ip_local_port_range`).
pub const EPHEMERAL_PORTS: std::ops::RangeInclusive<u16> = 32768..=60999;
/// The web app's port (browser → app, HTTP).
pub const WEB_APP_PORT: u16 = 5031;
/// The coffee pot's port (app → pot, HTCPCP).
pub const POT_PORT: u16 = 5030;

/// First packet's time: 2025-03-10 14:00:00 UTC.
const START_NANOS: u64 = 1_741_615_200 * 1_000_000_000;
const LOCALHOST: [u8; 4] = [127, 0, 0, 1];
const TTL: u8 = 64;
/// Linux loopback: MSS 65495, SYN window 65495, SYN/ACK window 65483, then a
/// raw window of 512 with a shift of 7 (65536 bytes).
const MSS: u16 = 65495;
const SYN_WINDOW: u16 = 65495;
const SYN_ACK_WINDOW: u16 = 65483;
const WINDOW: u16 = 512;
const WINDOW_SHIFT: u8 = 7;
const BUF_CAPACITY: usize = 1 << 20;
const SEED: u64 = 0x00C0_FFEE_2324_0418;

/// Container format of the written capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// pcapng: one Section Header, one Interface Description (`lo`), EPBs.
    #[default]
    PcapNg,
    /// Classic little-endian pcap, microsecond timestamps.
    Pcap,
}

/// What [`write_lab_capture`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub packets: u64,
    /// Connections started (the last few may be cut off by the packet count).
    pub connections: u64,
    /// Of which browser → web app (HTTP on 5031).
    pub http_connections: u64,
    /// Of which web app → pot (HTCPCP on 5030).
    pub htcpcp_connections: u64,
    /// Sum of the frame lengths.
    pub frame_bytes: u64,
    /// Size of the capture file.
    pub file_bytes: u64,
    /// Time from the first to the last packet.
    pub duration: Duration,
}

/// Writes a capture of `target_packets` packets of lab-like loopback traffic to `path`.
pub fn write_lab_capture(path: &Path, target_packets: u64, format: Format) -> io::Result<Stats> {
    let file = BufWriter::with_capacity(BUF_CAPACITY, File::create(path)?);
    let mut sink = Sink::new(file, format)?;
    let exchanges = Exchange::all();
    let mut rng = Rng(SEED);
    let mut stats = Stats::default();
    let mut next_port = *EPHEMERAL_PORTS.start() + (rng.below(1000) as u16) * 2;
    let mut frame = Vec::with_capacity(2048);

    let mut conns: Vec<Conn> = Vec::with_capacity(CONCURRENT);
    let mut start_at = START_NANOS;
    for _ in 0..CONCURRENT {
        conns.push(Conn::open(
            &exchanges,
            &mut stats,
            &mut rng,
            &mut next_port,
            start_at,
        ));
        start_at += rng.between(3_000, 40_000);
    }

    let mut last_ts = 0u64;
    while stats.packets < target_packets {
        let i = (0..conns.len())
            .min_by_key(|&i| conns[i].next_at)
            .expect("CONCURRENT > 0");
        // Strictly increasing timestamps, at least ~1 µs apart.
        let ts = if stats.packets == 0 {
            conns[i].next_at
        } else {
            conns[i].next_at.max(last_ts + rng.between(800, 2_500))
        };
        last_ts = ts;
        let seg = conns[i].next_segment(ts, &mut rng);
        frame.clear();
        seg.build(&mut frame)?;
        sink.write(ts, &frame)?;
        stats.packets += 1;
        stats.frame_bytes += frame.len() as u64;
        if conns[i].done() {
            let at = ts + rng.between(2_000, 60_000);
            conns[i] = Conn::open(&exchanges, &mut stats, &mut rng, &mut next_port, at);
        }
    }
    stats.duration = Duration::from_nanos(last_ts.saturating_sub(START_NANOS));
    sink.finish()?;
    stats.file_bytes = std::fs::metadata(path)?.len();
    Ok(stats)
}

/// Where the frames go: a pcapng or a pcap writer over a buffered file.
enum Sink {
    Ng(PcapNgWriter<BufWriter<File>>),
    Legacy(PcapWriter<BufWriter<File>>),
}

impl Sink {
    fn new(file: BufWriter<File>, format: Format) -> io::Result<Self> {
        Ok(match format {
            Format::PcapNg => {
                let mut w = PcapNgWriter::new(file).map_err(pcap_err)?;
                // pcap-file writes EPB timestamps in nanoseconds: say so.
                let idb = InterfaceDescriptionBlock {
                    linktype: DataLink::ETHERNET,
                    snaplen: 262_144,
                    options: vec![
                        InterfaceDescriptionOption::IfName(Cow::Borrowed("lo")),
                        InterfaceDescriptionOption::IfDescription(Cow::Borrowed("Loopback")),
                        InterfaceDescriptionOption::IfTsResol(9),
                    ],
                };
                w.write_pcapng_block(idb).map_err(pcap_err)?;
                Sink::Ng(w)
            }
            Format::Pcap => {
                let header = PcapHeader {
                    datalink: DataLink::ETHERNET,
                    snaplen: 262_144,
                    ts_resolution: TsResolution::MicroSecond,
                    endianness: pcap_file::Endianness::Little,
                    ..PcapHeader::default()
                };
                Sink::Legacy(PcapWriter::with_header(file, header).map_err(pcap_err)?)
            }
        })
    }

    fn write(&mut self, ts_nanos: u64, data: &[u8]) -> io::Result<()> {
        let timestamp = Duration::from_nanos(ts_nanos);
        match self {
            Sink::Ng(w) => {
                let epb = EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp,
                    original_len: data.len() as u32,
                    data: Cow::Borrowed(data),
                    options: Vec::new(),
                };
                w.write_pcapng_block(epb).map_err(pcap_err)?;
            }
            Sink::Legacy(w) => {
                let packet = PcapPacket::new(timestamp, data.len() as u32, data);
                w.write_packet(&packet).map_err(pcap_err)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        let mut file = match self {
            Sink::Ng(w) => w.into_inner(),
            Sink::Legacy(w) => w.into_writer(),
        };
        file.flush()?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

fn pcap_err(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        other => io::Error::other(other),
    }
}

/// One request/response pair as the lab's programs send it.
struct Exchange {
    server_port: u16,
    request: Vec<u8>,
    /// The response as the server writes it; split at `split_at` when it goes
    /// out in two segments (headers, then body), if the connection says so.
    response: Vec<u8>,
    split_at: Option<usize>,
    /// How often (in 1/8) the response is split when it can be.
    split_eighths: u64,
}

const BROWSER_HEADERS: &str = "Host: 127.0.0.1:5031\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Connection: keep-alive\r\n";

const SERVER: &str =
    "Server: Werkzeug/3.0.1 Python/3.11.2\r\nDate: Mon, 10 Mar 2025 14:00:00 GMT\r\n";

const INDEX_HTML: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
<title>Coffee Pot</title>\n  <link rel=\"stylesheet\" href=\"/assets/styles.css\">\n</head>\n<body>\n  \
<h1>The coffee pot</h1>\n  <p class=\"status\">The pot is idle.</p>\n  <form action=\"/\" method=\"get\">\n    \
<input type=\"hidden\" name=\"method\" value=\"brew\">\n    <input type=\"hidden\" name=\"message\" value=\"start\">\n    \
<select name=\"pots\"><option value=\"ducky\">ducky</option><option value=\"tea\">tea</option></select>\n    \
<fieldset><legend>Additions</legend>\n      <label><input type=\"checkbox\" name=\"additions\" value=\"cream\"> Cream</label>\n      \
<label><input type=\"checkbox\" name=\"additions\" value=\"whole-milk\"> Whole milk</label>\n      \
<label><input type=\"checkbox\" name=\"additions\" value=\"vanilla\"> Vanilla syrup</label>\n      \
<label><input type=\"checkbox\" name=\"additions\" value=\"rum\"> Rum</label>\n      \
<label><input type=\"checkbox\" name=\"additions\" value=\"tea\"> Chamomile</label>\n    </fieldset>\n    \
<button type=\"submit\">Brew</button>\n  </form>\n  <p><a href=\"/log\">Brew history</a> \
<a href=\"/?method=propfind\">Today's bean</a></p>\n  <img src=\"/assets/coffee.gif\" alt=\"steaming cup\">\n</body>\n</html>\n";

const REDIRECT_HTML: &str = "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n\
<p>You should be redirected automatically to the target URL: <a href=\"/\">/</a>. If not, click the link.\n";

impl Exchange {
    fn all() -> [Vec<Exchange>; 2] {
        let http = vec![
            Exchange::with_body(
                WEB_APP_PORT,
                format!(
                    "GET / HTTP/1.1\r\n{BROWSER_HEADERS}\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Upgrade-Insecure-Requests: 1\r\n\r\n"
                ),
                format!("HTTP/1.1 200 OK\r\n{SERVER}Content-Type: text/html; charset=utf-8\r\n"),
                INDEX_HTML,
                8,
            ),
            Exchange::with_body(
                WEB_APP_PORT,
                format!(
                    "GET /assets/styles.css HTTP/1.1\r\n{BROWSER_HEADERS}\
Accept: text/css,*/*;q=0.1\r\nReferer: http://127.0.0.1:5031/\r\n\
If-Modified-Since: Mon, 03 Mar 2025 09:12:44 GMT\r\n\
If-None-Match: \"1741000364.0-2187-3104551734\"\r\n\
Cache-Control: max-age=0\r\n\r\n"
                ),
                format!(
                    "HTTP/1.1 304 Not Modified\r\n{SERVER}\
ETag: \"1741000364.0-2187-3104551734\"\r\nLast-Modified: Mon, 03 Mar 2025 09:12:44 GMT\r\n\
Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
                ),
                "",
                0,
            ),
            Exchange::with_body(
                WEB_APP_PORT,
                format!(
                    "GET /?method=brew&message=start&pots=ducky&additions=cream&additions=rum HTTP/1.1\r\n\
{BROWSER_HEADERS}Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Referer: http://127.0.0.1:5031/\r\nUpgrade-Insecure-Requests: 1\r\n\r\n"
                ),
                format!("HTTP/1.1 302 FOUND\r\n{SERVER}Content-Type: text/html; charset=utf-8\r\nLocation: /\r\n"),
                REDIRECT_HTML,
                4,
            ),
        ];
        let brew = |pot: &str| {
            format!(
                "BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\
Accept-Additions: cream; rum\r\nUse-Pot: {pot}\r\n\r\nstart"
            )
            .into_bytes()
        };
        let mut htcpcp = vec![
            Exchange {
                server_port: POT_PORT,
                request: brew("ducky"),
                response: b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\n\r\n{\"status\": \"brewing\"}"
                    .to_vec(),
                split_at: None,
                split_eighths: 3,
            },
            Exchange {
                server_port: POT_PORT,
                request: brew("tea"),
                response: b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n".to_vec(),
                split_at: None,
                split_eighths: 0,
            },
        ];
        // The pot writes its headers, then the JSON body.
        for ex in &mut htcpcp {
            if ex.split_eighths > 0 {
                ex.split_at = head_len(&ex.response).filter(|&at| at < ex.response.len());
            }
        }
        [http, htcpcp]
    }

    /// A Werkzeug response: the status line and headers in one write, the body
    /// in another (with Content-Length and Connection: close when there is one).
    fn with_body(
        server_port: u16,
        request: String,
        head: String,
        body: &str,
        split_eighths: u64,
    ) -> Exchange {
        let mut response = head.into_bytes();
        let mut split_at = None;
        if !body.is_empty() {
            response.extend_from_slice(
                format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            split_at = Some(response.len());
            response.extend_from_slice(body.as_bytes());
        }
        Exchange {
            server_port,
            request: request.into_bytes(),
            response,
            split_at,
            split_eighths,
        }
    }
}

/// Length of the status line and headers, blank line included.
fn head_len(message: &[u8]) -> Option<usize> {
    message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Who sends a segment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sender {
    Client,
    Server,
}

/// The steps of one connection, in order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Syn,
    SynAck,
    Ack,
    Request,
    RequestAck,
    Response1,
    Response2,
    ResponseAck,
    ServerFin,
    ClientFin,
    LastAck,
    Done,
}

/// One direction's TCP and IP counters.
#[derive(Clone, Copy)]
struct Side {
    port: u16,
    seq: u32,
    ip_id: u16,
    /// TSval offset (Linux randomises it per connection).
    ts_base: u32,
    /// The peer's last TSval, echoed as TSecr.
    ts_echo: u32,
}

struct Conn<'e> {
    exchange: &'e Exchange,
    /// Where the response is split, if it goes out in two segments.
    split: Option<usize>,
    client: Side,
    server: Side,
    step: Step,
    next_at: u64,
}

impl<'e> Conn<'e> {
    fn open(
        exchanges: &'e [Vec<Exchange>; 2],
        stats: &mut Stats,
        rng: &mut Rng,
        next_port: &mut u16,
        at: u64,
    ) -> Conn<'e> {
        // Alternate browser → app and app → pot.
        let kind = (stats.connections % 2) as usize;
        stats.connections += 1;
        if kind == 0 {
            stats.http_connections += 1;
        } else {
            stats.htcpcp_connections += 1;
        }
        let list = &exchanges[kind];
        let exchange = &list[rng.below(list.len() as u64) as usize];
        let split = exchange
            .split_at
            .filter(|_| rng.below(8) < exchange.split_eighths);
        // Linux hands out even ports to connect(), with gaps where other
        // sockets took one.
        let port = *next_port;
        let step = if rng.below(4) == 0 { 4 } else { 2 };
        *next_port = port + step;
        if *next_port > *EPHEMERAL_PORTS.end() {
            *next_port = EPHEMERAL_PORTS.start() + (*next_port - EPHEMERAL_PORTS.end()) % 2;
        }
        let side = |rng: &mut Rng, port| Side {
            port,
            seq: rng.next() as u32,
            ip_id: rng.next() as u16,
            ts_base: rng.next() as u32,
            ts_echo: 0,
        };
        let client = side(rng, port);
        let server = side(rng, exchange.server_port);
        Conn {
            exchange,
            split,
            client,
            server,
            step: Step::Syn,
            next_at: at,
        }
    }

    fn done(&self) -> bool {
        self.step == Step::Done
    }

    /// The segment for the current step, sent at `ts`; moves to the next step.
    fn next_segment(&mut self, ts: u64, rng: &mut Rng) -> Segment<'e> {
        let ex = self.exchange;
        let (from, flags, payload, next, delay): (Sender, u8, &'e [u8], Step, (u64, u64)) =
            match self.step {
                Step::Syn => (Sender::Client, SYN, &[], Step::SynAck, (4_000, 30_000)),
                Step::SynAck => (Sender::Server, SYN | ACK, &[], Step::Ack, (3_000, 20_000)),
                Step::Ack => (Sender::Client, ACK, &[], Step::Request, (20_000, 150_000)),
                Step::Request => (
                    Sender::Client,
                    PSH | ACK,
                    &ex.request,
                    Step::RequestAck,
                    (3_000, 15_000),
                ),
                Step::RequestAck => (Sender::Server, ACK, &[], Step::Response1, (40_000, 250_000)),
                Step::Response1 => {
                    let (part, next) = match self.split {
                        Some(at) => (&ex.response[..at], Step::Response2),
                        None => (&ex.response[..], Step::ResponseAck),
                    };
                    (Sender::Server, PSH | ACK, part, next, (5_000, 40_000))
                }
                Step::Response2 => {
                    let at = self.split.unwrap_or(0);
                    (
                        Sender::Server,
                        PSH | ACK,
                        &ex.response[at..],
                        Step::ResponseAck,
                        (3_000, 30_000),
                    )
                }
                Step::ResponseAck => (Sender::Client, ACK, &[], Step::ServerFin, (2_000, 20_000)),
                Step::ServerFin => (
                    Sender::Server,
                    FIN | ACK,
                    &[],
                    Step::ClientFin,
                    (10_000, 80_000),
                ),
                Step::ClientFin => (
                    Sender::Client,
                    FIN | ACK,
                    &[],
                    Step::LastAck,
                    (3_000, 20_000),
                ),
                Step::LastAck => (Sender::Server, ACK, &[], Step::Done, (0, 1)),
                Step::Done => unreachable!("a finished connection sends nothing"),
            };
        let syn = flags & SYN != 0;
        let (me, peer) = match from {
            Sender::Client => (&mut self.client, &mut self.server),
            Sender::Server => (&mut self.server, &mut self.client),
        };
        let ts_val = me.ts_base.wrapping_add((ts / 1_000_000) as u32);
        peer.ts_echo = ts_val;
        let ip_id = if syn && flags & ACK != 0 { 0 } else { me.ip_id };
        me.ip_id = me.ip_id.wrapping_add(1);
        let seg = Segment {
            src_port: me.port,
            dst_port: peer.port,
            seq: me.seq,
            ack: peer.seq,
            flags,
            window: match (syn, from) {
                (true, Sender::Client) => SYN_WINDOW,
                (true, Sender::Server) => SYN_ACK_WINDOW,
                (false, _) => WINDOW,
            },
            ip_id,
            ts_val,
            ts_ecr: me.ts_echo,
            payload,
        };
        me.seq = me
            .seq
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(syn))
            .wrapping_add(u32::from(flags & FIN != 0));
        self.step = next;
        self.next_at = ts + rng.between(delay.0, delay.1);
        seg
    }
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// One TCP segment to put in a frame.
struct Segment<'p> {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    ip_id: u16,
    ts_val: u32,
    ts_ecr: u32,
    payload: &'p [u8],
}

impl Segment<'_> {
    /// Appends the Ethernet frame to `out`.
    fn build(&self, out: &mut Vec<u8>) -> io::Result<()> {
        let mut ip = Ipv4Header::new(0, TTL, IpNumber::TCP, LOCALHOST, LOCALHOST)
            .map_err(io::Error::other)?;
        ip.identification = self.ip_id;
        ip.dont_fragment = true;
        let mut tcp = TcpHeader::new(self.src_port, self.dst_port, self.seq, self.window);
        tcp.syn = self.flags & SYN != 0;
        tcp.fin = self.flags & FIN != 0;
        tcp.psh = self.flags & PSH != 0;
        tcp.ack = self.flags & ACK != 0;
        if tcp.ack {
            tcp.acknowledgment_number = self.ack;
        }
        let ts = TcpOptionElement::Timestamp(
            self.ts_val,
            if tcp.syn && !tcp.ack { 0 } else { self.ts_ecr },
        );
        let options: &[TcpOptionElement] = if tcp.syn {
            &[
                TcpOptionElement::MaximumSegmentSize(MSS),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                ts,
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(WINDOW_SHIFT),
            ]
        } else {
            &[TcpOptionElement::Noop, TcpOptionElement::Noop, ts]
        };
        tcp.set_options(options).map_err(io::Error::other)?;
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ip(IpHeaders::Ipv4(ip, Default::default()))
            .tcp_header(tcp)
            .write_to_vec(out, self.payload)
            .map_err(io::Error::other)
    }
}

/// xorshift64*: small, fast and good enough to vary timings and choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0), near enough.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..hi` (hi > lo).
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }
}
