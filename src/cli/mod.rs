//! Command-line interface: clap definitions and one module per subcommand.
//! `main.rs` only calls [`run`].
//!
//! tshark's option letters keep their meaning (`-r -c -T -V -x -P`), and
//! `coffeeshark -r FILE` works like `coffeeshark read FILE`.

#[cfg(feature = "live")]
mod capture;
mod conv;
mod diagram;
mod dissector;
#[cfg(feature = "live")]
mod dumpcap;
mod fields;
mod filter;
mod follow;
mod http;
#[cfg(feature = "lab")]
mod lab;
#[cfg(all(feature = "lab", feature = "live"))]
mod lab_tui;
#[cfg(feature = "lab")]
mod pot;
mod prefs;
mod read;
mod read_compat;
mod report;
mod statistics;
mod tui;
#[cfg(feature = "lab")]
mod visit;
#[cfg(feature = "lab")]
mod webapp;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "coffeeshark",
    version,
    about = "Packet analyser for HTCPCP, HTTP/1.x and TLS that prints what tshark prints",
    args_conflicts_with_subcommands = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version (tshark's -v; -V means details, as in tshark).
    #[arg(short = 'v', long = "version")]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
    /// tshark style: `coffeeshark -r FILE [options]` is `coffeeshark read FILE [options]`.
    #[command(flatten)]
    read: read::ReadArgs,
    /// tshark's -G: `fields` (every field filters and -T fields know, tshark's
    /// columns) or `protocols` (name, short name, filter name).
    #[arg(short = 'G', value_name = "fields|protocols")]
    glossary: Option<String>,
    /// List the capture interfaces as tshark -D does (pyshark checks
    /// interface names with it).
    #[cfg(feature = "live")]
    #[arg(short = 'D')]
    list_interfaces: bool,
    /// Check a display filter and exit: prints ok or the error (exit 2).
    #[arg(long = "check-filter", value_name = "EXPR")]
    check_filter: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a capture file (pcap, pcapng, gzip of either) and print its packets.
    Read(read::ReadArgs),
    /// TCP conversations (tshark's -z conv,tcp) with handshakes and teardowns.
    Conv(conv::ConvArgs),
    /// Space-time (ladder) diagram of a capture: SVG, text or Mermaid.
    Diagram(diagram::DiagramArgs),
    /// The lab's questions (Tasks 3-8) answered from a capture, with evidence.
    Report(report::ReportArgs),
    /// Print the reassembled payload of one TCP stream (tshark's -z follow,tcp).
    Follow(follow::FollowArgs),
    /// HTTP and HTCPCP transactions: one row per request with its response.
    Http(http::HttpArgs),
    /// Terminal UI: termshark's packet list, details and hex panes, filters,
    /// follow, conversations, transactions.
    Tui(tui::TuiArgs),
    /// Display filters: `filter check EXPR` prints ok or the error.
    Filter(filter::FilterArgs),
    /// List the fields and protocols filters and -T fields know (tshark -G fields).
    Fields(fields::FieldsArgs),
    /// The Wireshark plugin (dissector/htcpcp.lua): install, path, print.
    Dissector(dissector::DissectorArgs),
    /// Capture live with libpcap: print packets as they arrive, write pcapng (-w), list interfaces (-D).
    #[cfg(feature = "live")]
    Capture(capture::CaptureArgs),
    /// Run the lab's coffee pot: an HTCPCP server on TCP 5030.
    #[cfg(feature = "lab")]
    Pot(pot::PotArgs),
    /// Run the lab's web app: HTTP on TCP 5031, HTCPCP to the pot.
    #[cfg(feature = "lab")]
    Webapp(webapp::WebappArgs),
    /// Run the pot and the web app together and print the URL to open.
    #[cfg(feature = "lab")]
    Lab(lab::LabArgs),
    /// Visit the web app as a browser would (the lab's scenarios).
    #[cfg(feature = "lab")]
    Visit(visit::VisitArgs),
}

/// `-v`: coffeeshark's version, in the shape of tshark's first line, which
/// tools built on tshark parse: pyshark takes the last `x.y.z` after a space
/// on the first line (here the tshark release whose output we follow, so
/// that it picks `-Y`, JSON and the options of that release).
fn version_text() -> String {
    format!(
        "coffeeshark {}, compatible with TShark (Wireshark) {TSHARK_VERSION}\n\n\
         A packet analyser for HTCPCP, HTTP/1.x and TLS that prints what tshark prints.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The tshark release coffeeshark's output is compared with.
const TSHARK_VERSION: &str = "4.0.17";

/// Runs the command line; the exit code follows tshark (2 for a bad file).
pub fn run() -> ExitCode {
    #[cfg(feature = "live")]
    if dumpcap::invoked_as_dumpcap() {
        return dumpcap::run();
    }
    let cli = Cli::parse();
    if cli.version {
        print!("{}", version_text());
        return ExitCode::SUCCESS;
    }
    if let Some(report) = &cli.glossary {
        return fields::glossary(report);
    }
    #[cfg(feature = "live")]
    if cli.list_interfaces {
        return capture::list().unwrap_or_else(|e| {
            eprintln!("coffeeshark: {e:#}");
            ExitCode::from(2)
        });
    }
    if let Some(expr) = &cli.check_filter {
        return filter::check(expr);
    }
    let result = match cli.command {
        Some(Command::Read(args)) => read::run(args),
        Some(Command::Conv(args)) => conv::run(args),
        Some(Command::Follow(args)) => follow::run(args),
        Some(Command::Http(args)) => http::run(args),
        Some(Command::Diagram(args)) => diagram::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Tui(args)) => tui::run(args),
        Some(Command::Filter(args)) => filter::run(args),
        Some(Command::Fields(args)) => fields::run(args),
        Some(Command::Dissector(args)) => dissector::run(args),
        #[cfg(feature = "live")]
        Some(Command::Capture(args)) => capture::run(args),
        #[cfg(feature = "lab")]
        Some(Command::Pot(args)) => pot::run(args),
        #[cfg(feature = "lab")]
        Some(Command::Webapp(args)) => webapp::run(args),
        #[cfg(feature = "lab")]
        Some(Command::Lab(args)) => lab::run(args),
        #[cfg(feature = "lab")]
        Some(Command::Visit(args)) => visit::run(args),
        None if cli.read.has_input() => read::run(cli.read),
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            return ExitCode::from(1);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("coffeeshark: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Compiles a `-Y` display filter; a bad one is reported the way Wireshark
/// does (message, expression, caret) and becomes exit status 2, before any
/// file is opened.
pub(crate) fn compile_filter(expr: &str) -> Result<coffeeshark::filter::Filter, ExitCode> {
    coffeeshark::filter::Filter::compile(expr).map_err(|e| {
        eprintln!("coffeeshark: {}", e.render(expr));
        ExitCode::from(2)
    })
}

/// Parses `-d tcp.port==N,PROTO` rules; a bad one is reported and becomes
/// exit status 2, before any file is opened.
pub(crate) fn parse_decode_as(
    rules: &[String],
) -> Result<Vec<coffeeshark::dissect::stream::DecodeAs>, ExitCode> {
    rules
        .iter()
        .map(|r| coffeeshark::dissect::stream::DecodeAs::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            eprintln!("coffeeshark: {e}");
            ExitCode::from(2)
        })
}

/// The key log options of every command that dissects: tshark's
/// `-o tls.keylog_file:FILE` and the plain alias `--tls-keylog FILE`.
#[derive(clap::Args, Debug, Default, Clone)]
pub(crate) struct KeyLogArgs {
    /// A tshark preference, NAME:VALUE: `tls.keylog_file:FILE` (also
    /// `ssl.keylog_file`: decrypt TLS with the secrets of FILE, an NSS key
    /// log as SSLKEYLOGFILE writes it), `tcp.analyze_sequence_numbers:TRUE|FALSE`,
    /// and `tcp.relative_sequence_numbers`, `tcp.desegment_tcp_streams`,
    /// `http.desegment_headers`, `http.desegment_body` at TRUE (their default).
    #[arg(short = 'o', value_name = "NAME:VALUE")]
    pub prefs: Vec<String>,
    /// Decrypt TLS with this NSS key log (SSLKEYLOGFILE): the same as
    /// `-o tls.keylog_file:FILE`.
    #[arg(long = "tls-keylog", value_name = "FILE")]
    pub tls_keylog: Option<std::path::PathBuf>,
}

/// The key log file a `-o` value names, if it is the key log preference
/// (`tls.keylog_file:FILE`; `ssl.` is Wireshark's older name, and a space
/// after the colon is allowed as in tshark).
pub(crate) fn keylog_pref(pref: &str) -> Option<&str> {
    let (name, value) = pref.split_once(':')?;
    matches!(name.trim(), "tls.keylog_file" | "ssl.keylog_file").then(|| value.trim())
}

impl KeyLogArgs {
    /// Reads the key log named, if any. An unknown preference or an
    /// unreadable file is reported and becomes exit status 2, before any
    /// capture is opened.
    pub(crate) fn load(
        &self,
    ) -> Result<Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>, ExitCode> {
        self.load_with_prefs().map(|(keylog, _)| keylog)
    }

    /// [`Self::load`] and the other preferences, checked once.
    pub(crate) fn load_with_prefs(
        &self,
    ) -> Result<
        (
            Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>,
            prefs::Prefs,
        ),
        ExitCode,
    > {
        let prefs = self.prefs()?;
        let keylog = load_keylog(prefs.keylog.as_deref().or(self.tls_keylog.as_deref()))?;
        Ok((keylog, prefs))
    }

    /// The `-o` preferences ([`prefs`]); an unknown one is reported as
    /// tshark reports it and becomes exit status 2.
    pub(crate) fn prefs(&self) -> Result<prefs::Prefs, ExitCode> {
        prefs::parse(&self.prefs).map_err(|e| {
            eprintln!("coffeeshark: {e}");
            ExitCode::from(2)
        })
    }
}

/// Reads a key log file (see [`KeyLogArgs::load`]).
pub(crate) fn load_keylog(
    path: Option<&std::path::Path>,
) -> Result<Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>, ExitCode> {
    let Some(path) = path.filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(None);
    };
    match coffeeshark::dissect::tls::KeyLog::read(path) {
        Ok(log) => Ok(Some(std::sync::Arc::new(log))),
        Err(e) => {
            eprintln!(
                "coffeeshark: cannot read the TLS key log {}: {e}",
                path.display()
            );
            Err(ExitCode::from(2))
        }
    }
}

/// `-o` on commands where it also names the output (`report`, `diagram`):
/// the key log preference, and the one other value, the output.
pub(crate) fn split_output_and_keylog(
    values: &[String],
    tls_keylog: Option<&std::path::Path>,
) -> Result<
    (
        Option<std::path::PathBuf>,
        Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>,
    ),
    ExitCode,
> {
    let mut output = None;
    let mut keylog = tls_keylog.map(std::path::Path::to_path_buf);
    for v in values {
        match keylog_pref(v) {
            Some(f) => keylog = Some(f.into()),
            None if output.is_none() => output = Some(std::path::PathBuf::from(v)),
            None => {
                eprintln!(
                    "coffeeshark: -o given twice ({v:?}); -o is the output or tls.keylog_file:FILE"
                );
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok((output, load_keylog(keylog.as_deref())?))
}

/// `coffeeshark read big.pcap | head` must end quietly, like ripgrep does.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
