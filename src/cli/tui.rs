//! `coffeeshark tui FILE` (or `-r FILE`, tshark's spelling): the terminal
//! UI (`coffeeshark::tui`). Everything that can be wrong with the command
//! line or the file is reported here, as `read` reports it (exit 2), before
//! the terminal is taken over.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use coffeeshark::tui::colors::{Theme, ThemeKind};
use coffeeshark::tui::{self, Options};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct TuiArgs {
    /// Capture file to open (pcap, pcapng, gzip of either).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Capture file to open (tshark's -r).
    #[arg(short = 'r', value_name = "FILE")]
    read_file: Option<PathBuf>,
    /// Display filter applied at start (Wireshark syntax).
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Dissect a TCP port's streams as PROTO (as `read -d`).
    #[arg(short = 'd', long = "decode-as", value_name = "tcp.port==N,PROTO")]
    decode_as: Vec<String>,
    #[command(flatten)]
    keylog: super::KeyLogArgs,
    /// Colours for a dark or a light terminal (NO_COLOR turns them off).
    #[arg(long, value_enum, default_value = "dark")]
    theme: ThemeArg,
    /// Capture live on this interface (name or number from -D; `lo` for the lab).
    #[cfg(feature = "live")]
    #[arg(short = 'i', value_name = "INTERFACE", conflicts_with_all = ["file", "read_file"])]
    interface: Option<String>,
    /// Capture filter, BPF syntax ("tcp port 5030 or tcp port 5031").
    #[cfg(feature = "live")]
    #[arg(short = 'f', value_name = "BPF", requires = "interface")]
    capture_filter: Option<String>,
    /// Write the live capture to this pcapng file (kept; else a temporary file).
    #[cfg(feature = "live")]
    #[arg(short = 'w', value_name = "FILE.pcapng", requires = "interface")]
    write: Option<PathBuf>,
    /// Stop capturing after N packets (the UI stays).
    #[cfg(feature = "live")]
    #[arg(short = 'c', value_name = "N", requires = "interface")]
    count: Option<u64>,
    /// Autostop: duration:SECONDS or packets:N (the UI stays).
    #[cfg(feature = "live")]
    #[arg(short = 'a', value_name = "COND", requires = "interface")]
    autostop: Vec<String>,
    /// List the interfaces and exit.
    #[cfg(feature = "live")]
    #[arg(short = 'D')]
    list: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ThemeArg {
    Dark,
    Light,
}

pub fn run(args: TuiArgs) -> Result<ExitCode> {
    #[cfg(feature = "live")]
    if args.list {
        return super::capture::list();
    }
    #[cfg(feature = "live")]
    if args.interface.is_some() {
        return run_live(args);
    }
    let path = match (&args.file, &args.read_file) {
        (Some(p), None) | (None, Some(p)) => p.clone(),
        (Some(_), Some(_)) => bail!("give the capture file once, either as FILE or with -r"),
        (None, None) => bail!("no capture file given (coffeeshark tui FILE)"),
    };
    if let Some(expr) = &args.display_filter {
        if let Err(code) = super::compile_filter(expr) {
            return Ok(code);
        }
    }
    let decode_as = match super::parse_decode_as(&args.decode_as) {
        Ok(rules) => rules,
        Err(code) => return Ok(code),
    };
    let keylog = match args.keylog.load() {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let theme = theme(args.theme);
    let options = Options {
        path,
        filter: args.display_filter,
        decode_as,
        keylog,
    };
    let app = tui::open(&options, theme)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the terminal UI needs a terminal (use coffeeshark read to print packets)");
    }
    tui::run(app)?;
    Ok(ExitCode::SUCCESS)
}

fn theme(arg: ThemeArg) -> Theme {
    Theme::new(match arg {
        ThemeArg::Dark => ThemeKind::Dark,
        ThemeArg::Light => ThemeKind::Light,
    })
}

/// `coffeeshark tui -i IFACE`: the capture is opened (and its errors are
/// `coffeeshark capture`'s) before the terminal is taken.
#[cfg(feature = "live")]
fn run_live(args: TuiArgs) -> Result<ExitCode> {
    use coffeeshark::source::live::{LiveCapture, LiveConfig};
    use coffeeshark::source::recorder::Autostop;
    if let Some(expr) = &args.display_filter {
        if let Err(code) = super::compile_filter(expr) {
            return Ok(code);
        }
    }
    let decode_as = match super::parse_decode_as(&args.decode_as) {
        Ok(rules) => rules,
        Err(code) => return Ok(code),
    };
    let keylog = match args.keylog.load() {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let autostop = Autostop::parse(args.count, &args.autostop).map_err(anyhow::Error::msg)?;
    let mut config = LiveConfig::new(args.interface.as_deref().unwrap_or_default());
    config.filter = args.capture_filter.clone();
    let capture = LiveCapture::open(&config)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the terminal UI needs a terminal (use coffeeshark capture to print packets)");
    }
    let options = tui::LiveOptions {
        write: args.write,
        autostop,
        filter: args.display_filter,
        decode_as,
        keylog,
    };
    let app = tui::open_live(capture, options, theme(args.theme)).map_err(anyhow::Error::msg)?;
    let app = tui::run_app(app)?;
    if let Some(summary) = app.live_summary() {
        eprintln!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}
