//! `coffeeshark read`: the packet list (default), details (`-V`), hex (`-x`),
//! JSON (`-T json|jsonl`) and field values (`-T fields -e ...`) of a capture
//! file, streamed, optionally restricted by a display filter (`-Y`).

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use coffeeshark::filter::format::FieldsFormat;
use coffeeshark::filter::values::PacketFields;
use coffeeshark::model::summary::Columns;
use coffeeshark::pipeline::threads;
use coffeeshark::source::export::{ExportFormat, Exporter};
use coffeeshark::view;
use coffeeshark::view::time_format::TimeColumn;
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
    /// Stop after reading this many packets (before -Y, as in tshark).
    #[arg(short = 'c', value_name = "N")]
    count: Option<u64>,
    /// Output format: text (packet list), tabs (the packet list with tabs
    /// between columns), json (one array), jsonl (one object per line), ek
    /// (Elasticsearch bulk lines, tshark's -T ek), fields (the values of the
    /// -e fields, one line per packet), pdml (tshark's XML details, as
    /// pyshark reads them) or psml (the packet list as XML).
    #[arg(short = 'T', value_name = "FORMAT", value_enum, default_value = "text")]
    format: OutputFormat,
    /// Display filter (Wireshark syntax): only matching packets are shown.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// A field to print with -T fields (repeat for several).
    #[arg(short = 'e', value_name = "FIELD")]
    fields: Vec<String>,
    /// -T fields options: separator=/t|/s|C, aggregator=,|/s|C, header=y|n,
    /// quote=d|s|n, occurrence=f|l|a.
    #[arg(short = 'E', value_name = "OPTION=VALUE")]
    fields_options: Vec<String>,
    /// Flush the output after each packet (tshark's -l, for pipes).
    #[arg(short = 'l')]
    line_buffered: bool,
    /// -T json: repeated keys become arrays (tshark's --no-duplicate-keys);
    /// coffeeshark's JSON is always written so, the flag is accepted.
    #[arg(long = "no-duplicate-keys")]
    no_duplicate_keys: bool,
    /// No name resolution (tshark's -n): coffeeshark never resolves names.
    #[arg(short = 'n')]
    no_resolve: bool,
    /// The Time column (tshark's -t): r (since the first packet, the
    /// default), d (since the previous captured packet), dd (since the
    /// previous displayed one), e (epoch), a / ad / adoy (local time, with
    /// the date as YYYY-MM-DD or YYYY/DOY), u / ud / udoy (the same in UTC).
    #[arg(short = 't', value_name = "FORMAT")]
    time_format: Option<String>,
    /// How relative and delta times are written (tshark's -u): s (seconds,
    /// the default) or hms (hours, minutes and seconds).
    #[arg(short = 'u', value_name = "s|hms")]
    seconds_format: Option<String>,
    /// Write the packets that pass -Y to FILE (`-` for standard output)
    /// instead of printing them: their original bytes and timestamps
    /// (tshark's -w, Wireshark's "Export Specified Packets"). With -P the
    /// packet list is printed too.
    #[arg(short = 'w', value_name = "FILE")]
    write_file: Option<PathBuf>,
    /// The format -w writes (tshark's -F): pcapng (the default), pcap
    /// (microseconds) or nsecpcap (nanoseconds).
    #[arg(short = 'F', value_name = "FORMAT", requires = "write_file")]
    file_format: Option<String>,
    /// Don't print the packet list (tshark's -q): with -z, only the
    /// statistics; with -w, only the file.
    #[arg(short = 'q')]
    quiet: bool,
    /// A statistic after the packets (tshark's -z; repeat for several, the
    /// last printed first): conv,eth|ip|ipv6|tcp|udp, endpoints,eth|ip|ipv6|tcp|udp,
    /// io,phs, io,stat,INTERVAL[,COLUMN...], http,tree, http_req,tree,
    /// http_srv,tree, http,stat, htcpcp,tree, expert[,LEVEL],
    /// follow,tcp|tls,ascii|hex|raw,N; most take a trailing ,FILTER.
    #[arg(short = 'z', value_name = "STATISTIC")]
    statistics: Vec<String>,
    /// Print packet details, one block per layer.
    #[arg(short = 'V')]
    verbose: bool,
    /// Print a hex and ASCII dump of each packet.
    #[arg(short = 'x')]
    hex: bool,
    /// Print the packet summary line even with -V or -x.
    #[arg(short = 'P')]
    summary: bool,
    /// Dissect a TCP port's streams as PROTO whatever their content
    /// (Wireshark's -d): `tcp.port==N,PROTO`, PROTO one of http, htcpcp,
    /// tls (ssl), data (plain TCP). Repeat for several ports.
    #[arg(short = 'd', long = "decode-as", value_name = "tcp.port==N,PROTO")]
    decode_as: Vec<String>,
    #[command(flatten)]
    keylog: super::KeyLogArgs,
    #[command(flatten)]
    compat: super::read_compat::CompatArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum OutputFormat {
    #[default]
    Text,
    Tabs,
    Json,
    Jsonl,
    Ek,
    Fields,
    Pdml,
    Psml,
}

impl ReadArgs {
    pub fn has_input(&self) -> bool {
        self.file.is_some() || self.read_file.is_some() || self.compat.has_interface()
    }
}

/// Output is gathered in a buffer and written in large chunks.
const FLUSH_AT: usize = 1 << 16;

pub fn run(args: ReadArgs) -> Result<ExitCode> {
    if let Err(code) = args.compat.check() {
        return Ok(code);
    }
    let path = match (&args.file, &args.read_file) {
        (None, None) if args.compat.reads_stdin() => PathBuf::from("-"),
        (Some(p), None) | (None, Some(p)) => p.clone(),
        (Some(_), Some(_)) => bail!("give the capture file once, either as FILE or with -r"),
        (None, None) => bail!("no capture file given (coffeeshark read FILE)"),
    };
    // A bad filter or field list stops here, before the file is opened.
    let filter = match args.display_filter.as_deref().map(super::compile_filter) {
        Some(Ok(f)) => Some(f),
        Some(Err(code)) => return Ok(code),
        None => None,
    };
    // -e selects the fields of -T fields, and of -T json/jsonl/ek/pdml
    // (which then write only those: `view::selected`).
    let selects = matches!(
        args.format,
        OutputFormat::Json | OutputFormat::Jsonl | OutputFormat::Ek | OutputFormat::Pdml
    );
    if !args.fields.is_empty() && !selects && args.format != OutputFormat::Fields {
        eprintln!("coffeeshark: Output fields were specified with \"-e\", but \"-Tek, -Tfields, -Tjson or -Tpdml\" was not specified.");
        return Ok(ExitCode::from(1));
    }
    let fields_format = if args.format == OutputFormat::Fields || !args.fields.is_empty() {
        if args.fields.is_empty() {
            eprintln!("coffeeshark: \"-T fields\" was specified, but no fields were specified with \"-e\".");
            return Ok(ExitCode::from(2));
        }
        let mut ff = match FieldsFormat::new(&args.fields) {
            Ok(ff) => ff,
            Err(bad) => {
                eprintln!("coffeeshark: Some fields aren't valid:");
                for b in bad {
                    eprintln!("\t{b}");
                }
                return Ok(ExitCode::from(2));
            }
        };
        for o in &args.fields_options {
            if let Err(e) = ff.set_option(o) {
                eprintln!("coffeeshark: {e}");
                return Ok(ExitCode::from(2));
            }
        }
        Some(ff)
    } else {
        None
    };
    let decode_as = match super::parse_decode_as(&args.decode_as) {
        Ok(rules) => rules,
        Err(code) => return Ok(code),
    };
    let mut time =
        match TimeColumn::parse(args.time_format.as_deref(), args.seconds_format.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("coffeeshark: {e}");
                return Ok(ExitCode::from(2));
            }
        };
    let export_format = match args.file_format.as_deref().map(ExportFormat::parse) {
        None => ExportFormat::PcapNg,
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("coffeeshark: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    // -z statistics: checked now, counted in the pass, printed after it.
    let mut stats = match super::statistics::Statistics::parse(&args.statistics, filter.as_ref()) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    // -n is tshark's default for us: no name is ever resolved.
    let _ = (args.no_resolve, args.no_duplicate_keys);
    let (keylog, prefs) = match args.keylog.load_with_prefs() {
        Ok(both) => both,
        Err(code) => return Ok(code),
    };
    let reader = super::read_compat::open(&path)?;
    let layers = args.compat.layer_filter();
    let two_pass = args.compat.two_pass;
    let mut exporter = match &args.write_file {
        None => None,
        Some(p) => {
            let out: Box<dyn Write> = if p.as_os_str() == "-" {
                Box::new(std::io::stdout())
            } else {
                match std::fs::File::create(p) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        eprintln!(
                            "coffeeshark: The file \"{}\" could not be created: {e}",
                            p.display()
                        );
                        return Ok(ExitCode::from(2));
                    }
                }
            };
            let out = std::io::BufWriter::with_capacity(FLUSH_AT, out);
            Some(Exporter::new(out, export_format).map_err(anyhow::Error::msg)?)
        }
    };
    // Writing a file, the packet list is printed only with -P (tshark's
    // rule); -q prints none.
    let print = (exporter.is_none() || args.summary) && !args.quiet;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(FLUSH_AT * 2);
    let mut cols = Columns::default();
    let mut scratch = String::new();
    let mut written = 0u64;
    let json = matches!(args.format, OutputFormat::Json | OutputFormat::Jsonl);
    if args.format == OutputFormat::Json {
        buf.push('[');
    }
    if args.format == OutputFormat::Pdml {
        view::pdml::begin(
            &mut buf,
            &path.display().to_string(),
            concat!("coffeeshark/", env!("CARGO_PKG_VERSION")),
        );
    }
    if args.format == OutputFormat::Psml {
        view::psml::begin(&mut buf, concat!("coffeeshark/", env!("CARGO_PKG_VERSION")));
    }
    if let (Some(ff), OutputFormat::Fields) = (&fields_format, args.format) {
        ff.write_preamble(&mut buf);
    }
    let options = threads::Options {
        decode_as,
        keylog,
        // -c counts packets read, filtered or not, as tshark's does.
        count: args.count,
        // -o tcp.analyze_sequence_numbers:FALSE, tcp.relative_sequence_numbers:FALSE
        tcp_analysis: prefs.tcp_analysis,
        absolute_seq: prefs.absolute_seq(),
        // A filter that only HTTP/HTCPCP/TLS messages can satisfy: the
        // other frames are not even decoded.
        // (Not when writing a file: every packet's bytes are needed.)
        app_frames_only: exporter.is_none()
            && stats.is_empty()
            && filter.as_ref().is_some_and(|f| f.needs_messages()),
        ..threads::Options::default()
    };
    let options = match super::read_compat::first_pass(&args.compat, &path, &options)? {
        Ok(only_frames) => threads::Options {
            only_frames,
            ..options
        },
        Err(code) => return Ok(code),
    };
    let outcome = threads::run(reader, options, |pkt| -> Result<()> {
        // The packet's fields: computed on demand, the tree built at most once.
        let pf = PacketFields::new(pkt);
        // Statistics see every packet, as tshark's taps do, whatever -Y says.
        stats.packet(pkt, &pf);
        if let Some(e) = exporter.as_mut() {
            e.saw(&pkt.frame);
        }
        if let Some(f) = &filter {
            if !f.matches_fields(&pf) {
                return Ok(());
            }
        }
        if let Some(e) = exporter.as_mut() {
            e.write(&pkt.frame, pkt.decoded.data)
                .map_err(anyhow::Error::msg)?;
        }
        if !print {
            return Ok(());
        }
        written += 1;
        if let Some(ff) = &fields_format {
            // _ws.col.Time in the -t format (-t dd counts displayed packets).
            if !time.is_default() {
                scratch.clear();
                time.write(&mut scratch, &pkt.frame);
                pf.set_time_cell(scratch.clone());
            }
            if args.format == OutputFormat::Fields {
                ff.write_row(&mut buf, &pf);
            } else {
                let values = ff.values(&pf);
                match args.format {
                    OutputFormat::Ek => view::selected::ek(&mut buf, &pkt.frame, &values),
                    OutputFormat::Pdml => view::selected::pdml(&mut buf, &pkt.frame, &values),
                    OutputFormat::Json => {
                        buf.push_str(if written == 1 { "\n" } else { ",\n" });
                        view::selected::json(&mut buf, &pkt.frame, &values, true);
                    }
                    _ => {
                        view::selected::json(&mut buf, &pkt.frame, &values, false);
                        buf.push('\n');
                    }
                }
            }
        } else if args.format == OutputFormat::Psml {
            super::read_compat::fill_columns(pkt, &mut cols, two_pass);
            scratch.clear();
            time.write(&mut scratch, &pkt.frame);
            view::list::write_cells_after_time(&mut scratch, &pkt.frame, &cols);
            view::psml::packet(&mut buf, pkt.frame.number, &scratch);
        } else if args.format == OutputFormat::Pdml {
            let (tree, data) = (pf.tree(), pkt.decoded.data);
            view::pdml::packet_filtered(&mut buf, &pkt.frame, tree, data, layers.as_ref());
        } else if args.format == OutputFormat::Ek {
            view::ek::packet(&mut buf, &pkt.frame, pf.tree(), layers.as_ref());
        } else if args.format == OutputFormat::Tabs {
            super::read_compat::fill_columns(pkt, &mut cols, two_pass);
            scratch.clear();
            time.write(&mut scratch, &pkt.frame);
            view::list::write_line_tabs(&mut buf, &pkt.frame, &scratch, &cols);
        } else if json {
            let t = pf.tree();
            let obj = view::json::packet_object_filtered(&pkt.frame, t, layers.as_ref());
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
                super::read_compat::fill_columns(pkt, &mut cols, two_pass);
                scratch.clear();
                time.write(&mut scratch, &pkt.frame);
                view::list::write_line_timed(&mut buf, &pkt.frame, &scratch, &cols);
                if args.verbose || args.hex {
                    buf.push('\n');
                }
            }
            if args.verbose {
                view::details::write(&mut buf, pf.tree());
                buf.push('\n');
            }
            if args.hex {
                // Decrypted records are data sources of their own, after the
                // frame's bytes, as tshark prints them with a key log.
                let decrypted = decrypted_sources(pkt);
                if !decrypted.is_empty() {
                    buf.push_str(&format!("Frame ({} bytes):\n", pkt.decoded.data.len()));
                }
                view::hex::write(&mut buf, pkt.decoded.data);
                for d in decrypted {
                    buf.push_str(&format!("Decrypted TLS ({} bytes):\n", d.len()));
                    view::hex::write(&mut buf, d);
                }
                buf.push('\n');
            }
        }
        if buf.len() >= FLUSH_AT || args.line_buffered {
            out.write_all(buf.as_bytes())?;
            buf.clear();
            if args.line_buffered {
                out.flush()?;
            }
        }
        Ok(())
    })?;
    if let Some(e) = exporter {
        e.finish().map_err(anyhow::Error::msg)?;
    }
    if print {
        if args.format == OutputFormat::Json {
            buf.push_str(if written == 0 { "]\n" } else { "\n]\n" });
        }
        if args.format == OutputFormat::Pdml {
            view::pdml::end(&mut buf);
        }
        if args.format == OutputFormat::Psml {
            view::psml::end(&mut buf);
        }
        out.write_all(buf.as_bytes())?;
        out.flush()?;
    }
    // -z statistics come after the packets, the last one first, as tshark
    // prints them (also after a damaged file's last packet).
    if !stats.is_empty() {
        out.write_all(stats.finish().as_bytes())?;
        out.flush()?;
    }
    drop(out);
    if let Some(e) = outcome.error {
        eprintln!("coffeeshark: {e}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// The decrypted contents of a frame's TLS records (those with any), in
/// order: the extra data sources of `-x`.
fn decrypted_sources<'p>(pkt: &'p coffeeshark::model::Packet<'_>) -> Vec<&'p [u8]> {
    use coffeeshark::dissect::stream::PduBody;
    let Some(app) = pkt.app.as_deref() else {
        return Vec::new();
    };
    app.messages
        .iter()
        .filter_map(|m| match &m.body {
            PduBody::Tls(r) => r.plaintext().map(|p| &p.data[..]),
            PduBody::Http(_) | PduBody::WebSocket(_) => None,
        })
        .filter(|d| !d.is_empty())
        .collect()
}
