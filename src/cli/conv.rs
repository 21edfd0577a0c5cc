//! `coffeeshark conv`: TCP conversations with handshakes and teardowns.

use anyhow::Result;
use clap::{Args, ValueEnum};
use coffeeshark::filter::values::PacketFields;
use coffeeshark::model::conversations::ConversationTable;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use coffeeshark::view::conv;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ConvArgs {
    /// Capture file to read.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// table (tshark's -z conv,tcp plus handshakes), json or csv.
    #[arg(long, value_enum, default_value = "table")]
    format: ConvFormat,
    /// Display filter (Wireshark syntax): only matching packets are counted,
    /// like tshark's `-z conv,tcp,FILTER`. Stream numbers stay those of the
    /// whole capture.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ConvFormat {
    Table,
    Json,
    Csv,
}

pub fn run(args: ConvArgs) -> Result<ExitCode> {
    // A bad filter stops here, before the file is opened.
    let filter = match args.display_filter.as_deref().map(super::compile_filter) {
        Some(Ok(f)) => Some(f),
        Some(Err(code)) => return Ok(code),
        None => None,
    };
    let mut reader = CaptureReader::open(&args.file)?;
    let mut analyzer = Analyzer::messages_without_tcp_analysis(Vec::new());
    let mut table = ConversationTable::new();
    let outcome = loop {
        match reader.next_frame() {
            Ok(Some(raw)) => {
                let pkt = analyzer.process(&raw);
                let shown = match &filter {
                    Some(f) => f.matches_fields(&PacketFields::new(&pkt)),
                    None => true,
                };
                if shown {
                    table.add(&pkt);
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let convs = table.conversations();
    let mut out = String::new();
    match args.format {
        ConvFormat::Table => {
            conv::tshark_table(&mut out, convs, args.display_filter.as_deref());
            conv::handshake_table(&mut out, convs);
        }
        ConvFormat::Json => {
            let records: Vec<_> = convs.iter().map(conv::json_record).collect();
            out = serde_json::to_string_pretty(&records)?;
            out.push('\n');
        }
        ConvFormat::Csv => conv::csv(&mut out, convs),
    }
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(out.as_bytes())?;
    lock.flush()?;
    if let Err(e) = outcome {
        eprintln!("coffeeshark: {e}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
