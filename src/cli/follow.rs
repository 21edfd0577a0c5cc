//! `coffeeshark follow FILE --stream N [--format ascii|hex|raw|json]`: the
//! reassembled payload of one TCP stream, as `tshark -q -z follow,tcp,FMT,N`
//! prints it (see `view::follow` for the layout).
//!
//! tshark's follow rules are `model::follow`'s: a hole is printed as
//! `[N bytes missing in capture file]`; data still waiting at the end of the
//! capture is not printed (tshark drops it); `--format json` flushes it
//! instead, with `gap` chunks.
//!
//! The capture is streamed: chunks are printed as they become in-order.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use coffeeshark::flow::reassembly::Config;
use coffeeshark::model::follow::{Followed, Follower};
use coffeeshark::model::Packet;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::{CaptureReader, SourceError};
use coffeeshark::view::follow::{self, Renderer};
use std::io::Write;
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
    /// Follow the decrypted TLS stream (tshark's `-z follow,tls,FORMAT,N`):
    /// the application data of each record; needs the key log.
    #[arg(long)]
    tls: bool,
    #[command(flatten)]
    keylog: super::KeyLogArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FollowFormat {
    Ascii,
    Hex,
    Raw,
    Json,
}

const FLUSH_AT: usize = 1 << 16;
pub fn run(args: FollowArgs) -> Result<ExitCode> {
    let keylog = match args.keylog.load() {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let stream = match (args.stream, &args.display_filter) {
        (Some(n), _) => n,
        (None, Some(expr)) => match stream_of_first_match(&args.file, expr, keylog.clone())? {
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
    if args.tls {
        return follow_tls(&args.file, stream, format, keylog);
    }
    let mut reader = CaptureReader::open(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(FLUSH_AT * 2);
    let mut renderer = Renderer::new(format);
    // A TCP stream's bytes need its number and relative sequence numbers
    // only: no application layer (HTTP parsing of every other stream) and no
    // sequence analysis, which were most of the pass on real traffic.
    let mut analyzer = Analyzer::without_tcp_analysis();
    let mut follower = Follower::new(stream);
    let outcome = follow_pass(
        &mut reader,
        &mut analyzer,
        &mut out,
        &mut buf,
        |pkt, buf| follower.push(pkt, &mut |f| show(&mut renderer, buf, f)),
    )?;

    if !follower.started() {
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
    }
    if format == follow::Format::Json {
        // Scripts get every captured byte: holes nobody acknowledged are
        // skipped here, as gaps.
        follower.flush(analyzer.frames(), &mut |f| show(&mut renderer, &mut buf, f));
    }
    renderer.footer(&mut buf);
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    drop(out);
    if follower.overflow_bytes() > 0 {
        eprintln!(
            "coffeeshark: {} bytes of out-of-order data were dropped (more than {} MiB waiting behind a hole)",
            follower.overflow_bytes(),
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

/// One piece of followed output, rendered.
fn show(r: &mut Renderer, buf: &mut String, f: Followed<'_>) {
    match f {
        Followed::Header(h) => r.header(buf, h),
        Followed::Chunk(c) => r.chunk(buf, c),
    }
}

/// The pass of `follow` and `follow --tls`: every frame through the
/// analyser to `push` (a follower writing into `buf`), `buf` written out as
/// it grows. The outer error is writing; the inner one the capture's damage,
/// after which what was followed so far is still printed.
fn follow_pass(
    reader: &mut CaptureReader,
    analyzer: &mut Analyzer,
    out: &mut impl Write,
    buf: &mut String,
    mut push: impl FnMut(&Packet<'_>, &mut String),
) -> Result<std::result::Result<(), SourceError>> {
    loop {
        let raw = match reader.next_frame() {
            Ok(Some(raw)) => raw,
            Ok(None) => return Ok(Ok(())),
            Err(e) => return Ok(Err(e)),
        };
        let pkt = analyzer.process(&raw);
        push(&pkt, buf);
        if buf.len() >= FLUSH_AT {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
}

/// A first pass for `-Y`: the `tcp.stream` of the first TCP packet matching
/// `expr`. A bad filter is reported here, before anything else, with exit 2.
fn stream_of_first_match(
    file: &std::path::Path,
    expr: &str,
    keylog: Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>,
) -> Result<std::result::Result<Option<u32>, ExitCode>> {
    use coffeeshark::filter::values::PacketFields;
    let filter = match super::compile_filter(expr) {
        Ok(f) => f,
        Err(code) => return Ok(Err(code)),
    };
    let mut reader = CaptureReader::open(file)?;
    let mut analyzer = Analyzer::new().with_keylog(keylog);
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

/// `follow --tls`: the decrypted application data of stream `stream`
/// ([`TlsFollower`]), rendered as tshark's `-z follow,tls,FORMAT,N`.
fn follow_tls(
    file: &std::path::Path,
    stream: u32,
    format: follow::Format,
    keylog: Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>,
) -> Result<ExitCode> {
    use coffeeshark::model::follow::TlsFollower;
    let mut reader = CaptureReader::open(file)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(FLUSH_AT * 2);
    let mut renderer = Renderer::new(format).with_protocol("tls");
    let mut analyzer = Analyzer::new().with_keylog(keylog);
    let mut follower = TlsFollower::new(stream);
    let outcome = follow_pass(
        &mut reader,
        &mut analyzer,
        &mut out,
        &mut buf,
        |pkt, buf| follower.push(pkt, &mut |f| show(&mut renderer, buf, f)),
    )?;
    if !follower.started() && outcome.is_ok() {
        bail!("no TCP stream {stream}");
    }
    follower.finish(&mut |f| show(&mut renderer, &mut buf, f));
    renderer.footer(&mut buf);
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("coffeeshark: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
