//! `coffeeshark read`: the packet list (default), details (`-V`), hex (`-x`)
//! and JSON (`-T json|jsonl`) of a capture file, streamed.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use coffeeshark::model::summary::{self, Columns};
use coffeeshark::model::tree;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use coffeeshark::view;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug, Default)]
pub struct ReadArgs {
    /// Capture file to read (format detected from its content).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Capture file to read (tshark's -r).
    #[arg(short = 'r', value_name = "FILE")]
    read_file: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(short = 'c', value_name = "N")]
    count: Option<u64>,
    /// Output format: text (packet list), json (one array) or jsonl (one object per line).
    #[arg(short = 'T', value_name = "FORMAT", value_enum, default_value = "text")]
    format: OutputFormat,
    /// Print packet details, one block per layer.
    #[arg(short = 'V')]
    verbose: bool,
    /// Print a hex and ASCII dump of each packet.
    #[arg(short = 'x')]
    hex: bool,
    /// Print the packet summary line even with -V or -x.
    #[arg(short = 'P')]
    summary: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum OutputFormat {
    #[default]
    Text,
    Json,
    Jsonl,
}

impl ReadArgs {
    pub fn has_input(&self) -> bool {
        self.file.is_some() || self.read_file.is_some()
    }
}

/// Output is gathered in a buffer and written in large chunks.
const FLUSH_AT: usize = 1 << 16;

pub fn run(args: ReadArgs) -> Result<ExitCode> {
    let path = match (&args.file, &args.read_file) {
        (Some(p), None) | (None, Some(p)) => p.clone(),
        (Some(_), Some(_)) => bail!("give the capture file once, either as FILE or with -r"),
        (None, None) => bail!("no capture file given (coffeeshark read FILE)"),
    };
    let mut reader = CaptureReader::open(&path)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(FLUSH_AT * 2);
    let mut cols = Columns::default();
    let mut scratch = String::new();
    let mut analyzer = Analyzer::new();
    let mut written = 0u64;
    let json = args.format != OutputFormat::Text;
    if args.format == OutputFormat::Json {
        buf.push('[');
    }
    let outcome = loop {
        if args.count.is_some_and(|c| written >= c) {
            break Ok(());
        }
        let raw = match reader.next_frame() {
            Ok(Some(raw)) => raw,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let pkt = analyzer.process(&raw);
        written += 1;
        if json {
            let t = tree::build(&pkt);
            let obj = view::json::packet_object(&pkt.frame, &t);
            if args.format == OutputFormat::Json {
                buf.push_str(if written == 1 { "\n" } else { ",\n" });
                let pretty = serde_json::to_string_pretty(&obj)?;
                for (i, line) in pretty.lines().enumerate() {
                    if i > 0 {
                        buf.push('\n');
                    }
                    buf.push_str("  ");
                    buf.push_str(line);
                }
            } else {
                buf.push_str(&serde_json::to_string(&obj)?);
                buf.push('\n');
            }
        } else {
            let show_summary = args.summary || (!args.verbose && !args.hex);
            if show_summary {
                summary::fill(&pkt, &mut cols);
                view::list::write_line(&mut buf, &pkt.frame, &cols, &mut scratch);
                if args.verbose || args.hex {
                    buf.push('\n');
                }
            }
            if args.verbose {
                let t = tree::build(&pkt);
                view::details::write(&mut buf, &t);
                buf.push('\n');
            }
            if args.hex {
                view::hex::write(&mut buf, pkt.decoded.data);
                buf.push('\n');
            }
        }
        if buf.len() >= FLUSH_AT {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
    };
    if args.format == OutputFormat::Json {
        buf.push_str(if written == 0 { "]\n" } else { "\n]\n" });
    }
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            drop(out);
            eprintln!("coffeeshark: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
