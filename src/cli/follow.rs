//! `coffeeshark follow FILE --stream N [--format ascii|hex|raw|json]`: the
//! reassembled payload of one TCP stream, as `tshark -q -z follow,tcp,FMT,N`
//! prints it (see `view::follow` for the layout).
//!
//! tshark's follow rules, kept here:
//! - Node 0 is the sender of the stream's first packet, Node 1 the other end
//!   (a packet is Node 1's unless it comes from Node 0's address and port);
//! - each direction is reassembled on its own ([`Reassembler`]); FIN does not
//!   count as a sequence number for following (tshark ignores it);
//! - data behind a hole waits until a packet of the other direction
//!   acknowledges beyond the hole's far edge; then the hole is printed as
//!   `[N bytes missing in capture file]` and the waiting data follows. Data
//!   still waiting at the end of the capture is not printed (tshark drops
//!   it); `--format json` flushes it instead, with `gap` chunks.
//!
//! The capture is streamed: chunks are printed as they become in-order.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use coffeeshark::flow::reassembly::{Config, Event, Reassembler, Segment};
use coffeeshark::flow::uncaptured_payload;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use coffeeshark::view::follow::{self, Chunk, Header, Renderer};
use etherparse::{LaxNetSlice, TransportSlice};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct FollowArgs {
    /// Capture file to read (format detected from its content).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The stream to follow: Wireshark's `tcp.stream` index.
    #[arg(long, value_name = "N", required_unless_present = "display_filter")]
    stream: Option<u32>,
    /// Follow the stream of the first TCP packet that matches this display
    /// filter (Wireshark syntax), instead of giving --stream.
    #[arg(
        short = 'Y',
        long = "display-filter",
        value_name = "FILTER",
        conflicts_with = "stream"
    )]
    display_filter: Option<String>,
    /// ascii, hex and raw print what `tshark -q -z follow,tcp,FORMAT,N` prints;
    /// json prints one object with the endpoints and the chunks.
    #[arg(long, value_enum, default_value = "ascii")]
    format: FollowFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FollowFormat {
    Ascii,
    Hex,
    Raw,
    Json,
}

const FLUSH_AT: usize = 1 << 16;
const TCP_SYN: u8 = 0x02;
const TCP_ACK: u8 = 0x10;

/// The followed stream, once its first packet was seen.
struct Followed {
    client_addr: [u8; 16],
    client_port: u16,
    dirs: [Reassembler; 2],
    overflow_bytes: u64,
}

pub fn run(args: FollowArgs) -> Result<ExitCode> {
    let stream = match (args.stream, &args.display_filter) {
        (Some(n), _) => n,
        (None, Some(expr)) => match stream_of_first_match(&args.file, expr)? {
            Ok(Some(n)) => n,
            Ok(None) => bail!("no TCP packet matches the filter {expr:?}"),
            Err(code) => return Ok(code),
        },
        (None, None) => bail!("give --stream N or -Y FILTER"),
    };
    let format = match args.format {
        FollowFormat::Ascii => follow::Format::Ascii,
        FollowFormat::Hex => follow::Format::Hex,
        FollowFormat::Raw => follow::Format::Raw,
        FollowFormat::Json => follow::Format::Json,
    };
    let mut reader = CaptureReader::open(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(FLUSH_AT * 2);
    let mut renderer = Renderer::new(format);
    let mut analyzer = Analyzer::new();
    let mut state: Option<Followed> = None;

    let outcome = loop {
        let raw = match reader.next_frame() {
            Ok(Some(raw)) => raw,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let pkt = analyzer.process(&raw);
        let Some(meta) = pkt.tcp else { continue };
        if meta.stream != stream {
            continue;
        }
        let (Some(net), Some(TransportSlice::Tcp(tcp))) =
            (&pkt.decoded.net, &pkt.decoded.transport)
        else {
            continue;
        };
        let (src_addr, dst_addr) = addresses(net);
        let src = (src_addr, tcp.source_port());
        let dst = (dst_addr, tcp.destination_port());
        let frame = pkt.frame.number;
        if state.is_none() {
            let v6 = matches!(net, LaxNetSlice::Ipv6(_));
            renderer.header(
                &mut buf,
                &Header {
                    stream,
                    node0: follow::node(ip(src.0, v6), src.1),
                    node1: follow::node(ip(dst.0, v6), dst.1),
                },
            );
            state = Some(Followed {
                client_addr: src.0,
                client_port: src.1,
                dirs: [Reassembler::default(), Reassembler::default()],
                overflow_bytes: 0,
            });
        }
        let Some(st) = state.as_mut() else { continue };
        let server = !(src.0 == st.client_addr && src.1 == st.client_port);
        let dir = usize::from(server);
        let flags = tcp.header_slice()[13];
        // Relative acknowledgement as tshark's follow tap sees it (the raw
        // field when the ACK flag is off).
        let ack = match meta.rel_ack {
            Some(a) if flags & TCP_ACK != 0 => a,
            _ => tcp.acknowledgment_number(),
        };
        let (this, other) = split(&mut st.dirs, dir);
        // This packet acknowledges data the other direction is holding behind
        // a hole: the hole was lost in the capture, not on the wire.
        while other
            .lowest_pending_seq()
            .is_some_and(|low| (ack.wrapping_sub(low) as i32) > 0)
        {
            other.skip_gap(frame, |e| {
                emit(&mut renderer, &mut buf, !server, e, &mut st.overflow_bytes)
            });
        }
        this.push(
            Segment {
                seq: meta.rel_seq,
                data: tcp.payload(),
                frame,
                syn: flags & TCP_SYN != 0,
                fin: false,
                uncaptured: uncaptured_payload(net, tcp),
            },
            |e| emit(&mut renderer, &mut buf, server, e, &mut st.overflow_bytes),
        );
        if buf.len() >= FLUSH_AT {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
    };

    let Some(mut st) = state else {
        out.flush()?;
        drop(out);
        return match outcome {
            Err(e) => {
                eprintln!("coffeeshark: {e}");
                Ok(ExitCode::from(2))
            }
            Ok(()) => {
                let n = analyzer.tcp().streams();
                let known = match n {
                    0 => "the capture has no TCP streams".to_string(),
                    1 => "the capture has one TCP stream, 0".to_string(),
                    n => format!("the capture has TCP streams 0 to {}", n - 1),
                };
                bail!("no TCP stream {} ({known})", stream)
            }
        };
    };
    if format == follow::Format::Json {
        // Scripts get every captured byte: holes nobody acknowledged are
        // skipped here, as gaps.
        let last = analyzer.frames();
        for (dir, r) in st.dirs.iter_mut().enumerate() {
            r.flush(last, |e| {
                emit(&mut renderer, &mut buf, dir == 1, e, &mut st.overflow_bytes)
            });
        }
    }
    renderer.footer(&mut buf);
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    drop(out);
    if st.overflow_bytes > 0 {
        eprintln!(
            "coffeeshark: {} bytes of out-of-order data were dropped (more than {} MiB waiting behind a hole)",
            st.overflow_bytes,
            Config::default().max_buffered >> 20
        );
    }
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("coffeeshark: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

fn emit(r: &mut Renderer, buf: &mut String, server: bool, e: Event<'_>, overflow: &mut u64) {
    match e {
        Event::Data { data, frame, .. } => r.chunk(
            buf,
            Chunk::Data {
                server,
                frame,
                data,
            },
        ),
        Event::Gap { len, frame, .. } => r.chunk(
            buf,
            Chunk::Gap {
                server,
                frame,
                missing: len as u32,
            },
        ),
        Event::Overflow { dropped, .. } => *overflow += dropped as u64,
        // tshark's follow passes over bytes cut by the snapshot length silently.
        Event::Uncaptured { .. } | Event::Fin { .. } | Event::DataAfterFin { .. } => {}
    }
}

/// Both reassemblers, this direction's first.
fn split(dirs: &mut [Reassembler; 2], dir: usize) -> (&mut Reassembler, &mut Reassembler) {
    let [a, b] = dirs;
    if dir == 0 {
        (a, b)
    } else {
        (b, a)
    }
}

fn ip(addr: [u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(addr))
    } else {
        IpAddr::V4(Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]))
    }
}

/// Source and destination addresses (IPv4 in the first 4 bytes).
fn addresses(net: &LaxNetSlice<'_>) -> ([u8; 16], [u8; 16]) {
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    match net {
        LaxNetSlice::Ipv4(v4) => {
            src[..4].copy_from_slice(&v4.header().source());
            dst[..4].copy_from_slice(&v4.header().destination());
        }
        LaxNetSlice::Ipv6(v6) => {
            src = v6.header().source();
            dst = v6.header().destination();
        }
        _ => {}
    }
    (src, dst)
}

/// A first pass for `-Y`: the `tcp.stream` of the first TCP packet matching
/// `expr`. A bad filter is reported here, before anything else, with exit 2.
fn stream_of_first_match(
    file: &std::path::Path,
    expr: &str,
) -> Result<std::result::Result<Option<u32>, ExitCode>> {
    use coffeeshark::filter::values::PacketFields;
    let filter = match super::compile_filter(expr) {
        Ok(f) => f,
        Err(code) => return Ok(Err(code)),
    };
    let mut reader = CaptureReader::open(file)?;
    let mut analyzer = Analyzer::new();
    while let Some(raw) = reader.next_frame()? {
        let pkt = analyzer.process(&raw);
        if let Some(meta) = pkt.tcp {
            if filter.matches_fields(&PacketFields::new(&pkt)) {
                return Ok(Ok(Some(meta.stream)));
            }
        }
    }
    Ok(Ok(None))
}
