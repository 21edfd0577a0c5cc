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
    /// Colours for a dark or a light terminal (NO_COLOR turns them off).
    #[arg(long, value_enum, default_value = "dark")]
    theme: ThemeArg,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ThemeArg {
    Dark,
    Light,
}

pub fn run(args: TuiArgs) -> Result<ExitCode> {
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
    let theme = Theme::new(match args.theme {
        ThemeArg::Dark => ThemeKind::Dark,
        ThemeArg::Light => ThemeKind::Light,
    });
    let options = Options {
        path,
        filter: args.display_filter,
        decode_as,
    };
    let app = tui::open(&options, theme)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the terminal UI needs a terminal (use coffeeshark read to print packets)");
    }
    tui::run(app)?;
    Ok(ExitCode::SUCCESS)
}
