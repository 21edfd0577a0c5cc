//! `coffeeshark http`: one row per HTTP or HTCPCP transaction.

use anyhow::Result;
use clap::{Args, ValueEnum};
use coffeeshark::filter::values::PacketFields;
use coffeeshark::model::transactions::TransactionTable;
use coffeeshark::pipeline::threads;
use coffeeshark::source::CaptureReader;
use coffeeshark::view::http::{Format, Renderer};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct HttpArgs {
    /// Capture file to read.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// table, json (one array of objects) or csv.
    #[arg(long, value_enum, default_value = "table")]
    format: HttpFormat,
    /// Display filter (Wireshark syntax): keep the transactions whose
    /// request frame or response frame matches.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Dissect a TCP port's streams as PROTO whatever their content
    /// (Wireshark's -d, as in `read`): `tcp.port==N,PROTO`, PROTO one of
    /// http, htcpcp, tls (ssl), data. Repeat for several ports.
    #[arg(short = 'd', long = "decode-as", value_name = "tcp.port==N,PROTO")]
    decode_as: Vec<String>,
    #[command(flatten)]
    keylog: super::KeyLogArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum HttpFormat {
    Table,
    Json,
    Csv,
}

/// Output is written in blocks of this size.
const FLUSH_AT: usize = 64 * 1024;

pub fn run(args: HttpArgs) -> Result<ExitCode> {
    // A bad filter stops here, before the file is opened.
    let filter = match args.display_filter.as_deref().map(super::compile_filter) {
        Some(Ok(f)) => Some(f),
        Some(Err(code)) => return Ok(code),
        None => None,
    };
    let format = match args.format {
        HttpFormat::Table => Format::Table,
        HttpFormat::Json => Format::Json,
        HttpFormat::Csv => Format::Csv,
    };
    let decode_as = match super::parse_decode_as(&args.decode_as) {
        Ok(rules) => rules,
        Err(code) => return Ok(code),
    };
    let keylog = match args.keylog.load() {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let reader = CaptureReader::open(&args.file)?;
    let mut table = TransactionTable::new().filtered(filter.is_some());
    let mut renderer = Renderer::new(format);
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let mut out = String::with_capacity(2 * FLUSH_AT);
    renderer.begin(&mut out);
    let options = threads::Options {
        decode_as,
        keylog,
        tcp_analysis: false,
        app_frames_only: true,
        // The table shows no columns; a filter may read them (the TLS
        // layer's version comes from the Protocol column).
        columns: filter.is_some(),
        ..threads::Options::default()
    };
    let outcome = threads::run(reader, options, |pkt| -> std::io::Result<()> {
        if !TransactionTable::wants(pkt) {
            return Ok(());
        }
        // The filter runs only on frames with HTTP/HTCPCP/TLS bytes.
        let matched = filter
            .as_ref()
            .map_or(true, |f| f.matches_fields(&PacketFields::new(pkt)));
        table.add_packet(pkt, matched, |t| renderer.row(&mut out, &t));
        if out.len() >= FLUSH_AT {
            lock.write_all(out.as_bytes())?;
            out.clear();
        }
        Ok(())
    })?;
    table.finish(outcome.unfinished, |t| renderer.row(&mut out, &t));
    renderer.end(&mut out);
    lock.write_all(out.as_bytes())?;
    lock.flush()?;
    if let Some(e) = outcome.error {
        eprintln!("coffeeshark: {e}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
