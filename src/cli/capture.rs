//! `coffeeshark capture`: live capture with libpcap (feature `live`). Prints
//! the packet list as it arrives, with the dissection of `coffeeshark read`,
//! and writes pcapng with `-w`; `-D` lists the interfaces as `tshark -D`.
//!
//! Stops on `-c N`, `-a duration:S` / `-a packets:N`, SIGINT (Ctrl-C) or
//! SIGTERM. On a signal or `-a duration`, the packets the kernel captured
//! before that moment (timestamps up to it) are still read from its buffer
//! (for at most [`DRAIN_MAX`]). Every way of stopping then flushes the file,
//! writes an Interface Statistics Block and prints `N packets captured, M
//! dropped by kernel` to stderr. A second SIGINT/SIGTERM ends the process at
//! once.
//!
//! Unlike tshark, lines are printed while writing a file (`-q` silences
//! them): the lab wants to see and keep the same packets.

use anyhow::{Context, Result};
use clap::Args;
use coffeeshark::model::summary::{self, Columns};
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::live::{
    list_interfaces, LiveCapture, LiveConfig, LiveStats, PcapNgSink, DEFAULT_SNAPLEN,
};
use coffeeshark::source::recorder::Autostop;
use coffeeshark::source::{RawFrame, Timestamp};
use coffeeshark::view;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Interface name or number from -D (default: the loopback interface).
    #[arg(short = 'i', value_name = "INTERFACE")]
    pub(crate) interface: Option<String>,
    /// Capture filter, BPF syntax as tcpdump's ("tcp port 5030").
    #[arg(short = 'f', value_name = "BPF")]
    pub(crate) filter: Option<String>,
    /// Write the packets to this pcapng file (`-` for standard output, as
    /// dumpcap's `-w -`: nothing else is printed there).
    #[arg(short = 'w', value_name = "FILE")]
    pub(crate) write: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(short = 'c', value_name = "N")]
    pub(crate) count: Option<u64>,
    /// Autostop condition: duration:SECONDS (decimals allowed) or packets:N; repeatable.
    #[arg(short = 'a', value_name = "COND")]
    pub(crate) autostop: Vec<String>,
    /// Do not print packet lines (the summary on stderr stays).
    #[arg(short = 'q')]
    pub(crate) quiet: bool,
    /// List the interfaces and exit.
    #[arg(short = 'D')]
    pub(crate) list: bool,
    /// Snapshot length: bytes kept of each packet.
    #[arg(short = 's', value_name = "BYTES", default_value_t = DEFAULT_SNAPLEN)]
    pub(crate) snaplen: u32,
    /// Kernel capture buffer in MiB (libpcap's default is 2).
    #[arg(short = 'B', value_name = "MiB")]
    pub(crate) buffer_mib: Option<u32>,
    /// Do not put the interface in promiscuous mode.
    #[arg(short = 'p')]
    pub(crate) no_promiscuous: bool,
}

/// Output is flushed when this much is pending, or after [`FLUSH_EVERY`].
const FLUSH_AT: usize = 1 << 16;
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// After a stop request (signal, `-a duration`), packets the kernel captured
/// before it are still read for at most this long.
const DRAIN_MAX: Duration = Duration::from_secs(1);
/// ... and until nothing came for this long (a few of libpcap's timeouts).
const DRAIN_IDLE: Duration = Duration::from_millis(300);

struct Stops {
    count: Option<u64>,
    deadline: Option<Instant>,
}

fn parse_stops(args: &CaptureArgs, start: Instant) -> Result<Stops> {
    let a = Autostop::parse(args.count, &args.autostop).map_err(anyhow::Error::msg)?;
    Ok(Stops {
        count: a.packets,
        deadline: a.duration.map(|d| start + d),
    })
}

pub fn run(args: CaptureArgs) -> Result<ExitCode> {
    if args.list {
        return list();
    }
    let interface = match &args.interface {
        Some(i) => i.clone(),
        None => list_interfaces()?
            .into_iter()
            .find(|i| i.loopback)
            .map(|i| i.name)
            .context("no -i given and libpcap lists no loopback interface; see -D")?,
    };
    let stops = parse_stops(&args, Instant::now())?;

    // SIGINT/SIGTERM set the flag; a second one exits at once.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop))?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }

    let mut config = LiveConfig::new(&interface);
    config.filter = args.filter.clone();
    config.snaplen = args.snaplen;
    config.buffer_bytes = args.buffer_mib.map(|m| m.saturating_mul(1 << 20));
    config.promiscuous = !args.no_promiscuous;
    let mut cap = LiveCapture::open(&config)?;
    let name = cap.interface().to_string();
    let description = cap.description().map(str::to_string);
    let link_type = cap.link_type();

    let to_stdout = args.write.as_ref().is_some_and(|p| p.as_os_str() == "-");
    let mut sink = match &args.write {
        Some(path) => {
            let out = if to_stdout {
                SinkOut::Stdout(std::io::stdout())
            } else {
                SinkOut::File(
                    File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?,
                )
            };
            Some(PcapNgSink::new(
                BufWriter::with_capacity(1 << 16, out),
                link_type,
                cap.snaplen(),
                &name,
                description.as_deref(),
            )?)
        }
        None => None,
    };
    match &args.write {
        Some(path) => eprintln!("Capturing on '{name}' into {}", path.display()),
        None => eprintln!("Capturing on '{name}'"),
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(FLUSH_AT * 2);
    let mut cols = Columns::default();
    let mut scratch = String::new();
    let mut analyzer = Analyzer::new();
    let mut captured = 0u64;
    // With the capture itself on standard output, no packet list there.
    let mut printing = !args.quiet && !to_stdout;
    let mut last_flush = Instant::now();
    let mut failure: Option<anyhow::Error> = None;

    // Set when a signal or `-a duration` asks to stop: the wall-clock time
    // of the request and how long we may still drain the kernel's buffer.
    let mut stopping: Option<(Timestamp, Instant)> = None;
    let mut idle_since: Option<Instant> = None;
    loop {
        if stops.count.is_some_and(|c| captured >= c) {
            break;
        }
        if stopping.is_none()
            && (stop.load(Ordering::Relaxed) || stops.deadline.is_some_and(|d| Instant::now() >= d))
        {
            stopping = Some((now(), Instant::now() + DRAIN_MAX));
            idle_since = None;
        }
        if stopping.is_some_and(|(_, until)| Instant::now() >= until) {
            break;
        }
        let mut idle = false;
        match cap.next_packet() {
            Ok(Some(packet)) => {
                idle_since = None;
                if stopping.is_some_and(|(at, _)| packet.ts > at) {
                    // Arrived after the stop: not ours to keep.
                    break;
                }
                captured += 1;
                if let Some(s) = sink.as_mut() {
                    if let Err(e) = s.write(&packet) {
                        failure = Some(e.into());
                        break;
                    }
                }
                if printing {
                    let raw =
                        RawFrame::live(link_type, &packet, Some(&name), description.as_deref());
                    let pkt = analyzer.process(&raw);
                    summary::fill(&pkt, &mut cols);
                    view::list::write_line(&mut buf, &pkt.frame, &cols, &mut scratch);
                }
            }
            Ok(None) => {
                idle = true;
                let since = *idle_since.get_or_insert_with(Instant::now);
                // Idle for longer than the kernel's block timeout: everything
                // captured before the stop has been read.
                if stopping.is_some() && since.elapsed() >= DRAIN_IDLE {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        }
        if idle || buf.len() >= FLUSH_AT || last_flush.elapsed() >= FLUSH_EVERY {
            if !buf.is_empty() {
                if let Err(e) = out.write_all(buf.as_bytes()).and_then(|_| out.flush()) {
                    // `capture | head`: stop printing, keep the file whole.
                    printing = false;
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        failure = Some(e.into());
                    }
                    break;
                }
                buf.clear();
            }
            if let Some(s) = sink.as_mut() {
                if let Err(e) = s.flush() {
                    failure = Some(e.into());
                    break;
                }
            }
            last_flush = Instant::now();
        }
    }

    if printing && !buf.is_empty() {
        let _ = out.write_all(buf.as_bytes()).and_then(|_| out.flush());
    }
    drop(out);
    let stats = cap.stats().ok();
    if let Some(s) = sink {
        let file = s.finish(now(), stats, captured)?;
        match file.into_inner().map_err(|e| e.into_error())? {
            SinkOut::File(f) => f.sync_all().context("syncing the capture file")?,
            SinkOut::Stdout(mut o) => o.flush()?,
        }
    }
    eprintln!("{}", summary_line(captured, stats, cap.is_loopback()));
    match failure {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Where `-w` writes: a file, or standard output for `-w -`.
enum SinkOut {
    File(File),
    Stdout(std::io::Stdout),
}

impl Write for SinkOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            SinkOut::File(f) => f.write(buf),
            SinkOut::Stdout(o) => o.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            SinkOut::File(f) => f.flush(),
            SinkOut::Stdout(o) => o.flush(),
        }
    }
}

/// `-D`: the interfaces as `tshark -D` lists them.
pub fn list() -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for (i, iface) in list_interfaces()?.iter().enumerate() {
        writeln!(out, "{}. {}", i + 1, iface.label())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `12 packets captured, 0 dropped by kernel` (tshark prints the first half;
/// the drops come from `pcap_stats`).
fn summary_line(captured: u64, stats: Option<LiveStats>, loopback: bool) -> String {
    let noun = if captured == 1 { "packet" } else { "packets" };
    match stats {
        Some(s) => {
            let mut line = format!(
                "{captured} {noun} captured, {} dropped by kernel",
                s.dropped_by_kernel
            );
            if s.dropped_by_interface > 0 {
                line.push_str(&format!(
                    ", {} dropped by interface",
                    s.dropped_by_interface
                ));
            }
            if loopback && s.dropped_by_kernel > 0 {
                line.push_str(
                    " (on loopback the kernel counts each packet twice: sent and received)",
                );
            }
            line
        }
        None => format!("{captured} {noun} captured (libpcap gave no drop count)"),
    }
}

fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        secs: d.as_secs() as i64,
        nanos: d.subsec_nanos(),
    }
}
