//! `coffeeshark conv`: TCP conversations with handshakes and teardowns.
//!
//! Computes only what the output shows: the application layer (HTTP/HTCPCP
//! requests per connection) runs when the format shows requests (`json`,
//! `csv`, `table --requests`) or the `-Y` filter names a field that needs
//! it; TCP sequence analysis only for a filter on `tcp.analysis.*`. The flow
//! table keeps at most [`MAX_CLOSED`] closed connections and reports those
//! it forgets, whose rows are then packed: memory follows the open
//! connections plus one packed row (a few dozen bytes) per conversation.

use anyhow::Result;
use clap::{Args, ValueEnum};
use coffeeshark::filter::values::PacketFields;
use coffeeshark::filter::{fields, Filter};
use coffeeshark::flow::MAX_CLOSED;
use coffeeshark::model::conversations::pass::count_capture;
use coffeeshark::model::conversations::{ConversationTable, Rows};
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::{CaptureReader, SourceError};
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
    /// Add the HTTP/HTCPCP requests of each connection to the table (json
    /// and csv always have them). Dissects the application layer: slower.
    #[arg(long)]
    requests: bool,
    #[command(flatten)]
    keylog: super::KeyLogArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ConvFormat {
    Table,
    Json,
    Csv,
}

/// What a filter's fields need beyond the flow table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Needs {
    app: bool,
    analysis: bool,
}

/// Fields that are the same whether or not the application layer and the
/// sequence analysis ran: link, network and TCP/UDP/ICMP headers, frame
/// facts, the flow table's `tcp.stream`/`tcp.completeness`/times. Anything
/// else (HTTP, HTCPCP, TLS, `data`, `frame.protocols`, reassembly fields,
/// fields added later) is taken to need the application layer.
fn needs_of(filter: &Filter) -> Needs {
    let mut needs = Needs::default();
    for &id in filter.fields() {
        let name = fields::def(id).name;
        let proto = name.split('.').next().unwrap_or(name);
        if name.starts_with("tcp.analysis") {
            needs.analysis = true;
        } else if name == "frame.protocols"
            || name.starts_with("tcp.segment")
            || name.starts_with("tcp.reassembled")
            || !matches!(
                proto,
                "frame"
                    | "eth"
                    | "vlan"
                    | "null"
                    | "sll"
                    | "raw"
                    | "ip"
                    | "ipv6"
                    | "tcp"
                    | "udp"
                    | "icmp"
                    | "icmpv6"
            )
        {
            needs.app = true;
        }
    }
    needs
}

/// Output is flushed in chunks of this size.
const FLUSH_AT: usize = 64 * 1024;

pub fn run(args: ConvArgs) -> Result<ExitCode> {
    // A bad filter stops here, before the file is opened.
    let filter = match args.display_filter.as_deref().map(super::compile_filter) {
        Some(Ok(f)) => Some(f),
        Some(Err(code)) => return Ok(code),
        None => None,
    };
    let needs = filter.as_ref().map(needs_of).unwrap_or_default();
    let show_requests = args.requests || args.format != ConvFormat::Table;
    let keylog = match args.keylog.load() {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let mut reader = CaptureReader::open(&args.file)?;
    let mut table = ConversationTable::new();
    let outcome = if filter.is_none() && !show_requests {
        count_capture(&mut reader, &mut table)
    } else {
        let analyzer = if needs.analysis {
            Analyzer::new()
        } else if needs.app || show_requests {
            Analyzer::messages_without_tcp_analysis(Vec::new())
        } else {
            Analyzer::without_tcp_analysis()
        }
        .with_keylog(keylog);
        count_packets(&mut reader, analyzer, filter.as_ref(), &mut table)
    };
    let rows = table.finish();
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    write_rows(
        &mut lock,
        rows,
        args.format,
        args.display_filter.as_deref(),
        args.requests,
    )?;
    lock.flush()?;
    if let Err(e) = outcome {
        eprintln!("coffeeshark: {e}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// The pass for a filter or the application layer: whole packets.
fn count_packets(
    reader: &mut CaptureReader,
    mut analyzer: Analyzer,
    filter: Option<&Filter>,
    table: &mut ConversationTable,
) -> Result<(), SourceError> {
    let tcp = analyzer.tcp_mut();
    tcp.limit_closed(MAX_CLOSED);
    tcp.report_forgotten(true);
    while let Some(raw) = reader.next_frame()? {
        let pkt = analyzer.process(&raw);
        if filter.map_or(true, |f| f.matches_fields(&PacketFields::new(&pkt))) {
            table.add(&pkt);
        }
        analyzer
            .tcp_mut()
            .drain_forgotten(|stream, ()| table.finish_stream(stream));
    }
    Ok(())
}

/// Renders the rows, flushing every [`FLUSH_AT`] bytes.
fn write_rows(
    w: &mut impl Write,
    rows: Rows,
    format: ConvFormat,
    filter: Option<&str>,
    requests: bool,
) -> std::io::Result<()> {
    let mut out: Vec<u8> = Vec::with_capacity(FLUSH_AT + 1024);
    let mut result = Ok(());
    let mut flush = |out: &mut Vec<u8>, force: bool| {
        if result.is_ok() && (force || out.len() >= FLUSH_AT) {
            result = w.write_all(out);
            out.clear();
        }
    };
    match format {
        ConvFormat::Table => {
            conv::tshark_header(&mut out, filter);
            rows.for_each_by_frames(|c| {
                conv::tshark_row(&mut out, c);
                flush(&mut out, false);
            });
            conv::tshark_footer(&mut out);
            conv::handshake_header(&mut out, requests);
            rows.for_each(|c| {
                conv::handshake_row(&mut out, c, requests);
                flush(&mut out, false);
            });
        }
        ConvFormat::Json => {
            out.push(b'[');
            let mut index = 0;
            rows.for_each(|c| {
                conv::json_row(&mut out, c, index);
                index += 1;
                flush(&mut out, false);
            });
            conv::json_end(&mut out, index);
        }
        ConvFormat::Csv => {
            conv::csv_header(&mut out);
            rows.for_each(|c| {
                conv::csv_row(&mut out, c);
                flush(&mut out, false);
            });
        }
    }
    flush(&mut out, true);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(expr: &str) -> Needs {
        needs_of(&Filter::compile(expr).unwrap())
    }

    #[test]
    fn filters_say_which_layers_they_need() {
        let plain = Needs::default();
        let app = Needs {
            app: true,
            analysis: false,
        };
        let analysis = Needs {
            app: false,
            analysis: true,
        };
        assert_eq!(needs("tcp.port == 5030 && ip.addr == 127.0.0.1"), plain);
        assert_eq!(needs("tcp.stream in {1 3} or frame.len > 100"), plain);
        assert_eq!(needs("tcp.completeness == 31 && tcp.payload"), plain);
        assert_eq!(needs("tcp"), plain);
        assert_eq!(needs("http.request"), app);
        assert_eq!(needs("http"), app);
        assert_eq!(needs("tcp.port == 1 || htcpcp.response.code == 418"), app);
        assert_eq!(needs("tls.handshake.type == 1"), app);
        assert_eq!(needs("data"), app);
        assert_eq!(needs("frame.protocols contains \"http\""), app);
        assert_eq!(needs("tcp.segment_data"), app);
        assert_eq!(needs("tcp.reassembled.length > 1"), app);
        assert_eq!(needs("tcp.analysis.retransmission"), analysis);
        assert_eq!(
            needs("tcp.analysis.flags && http"),
            Needs {
                app: true,
                analysis: true
            }
        );
    }
}
