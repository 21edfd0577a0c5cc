//! `coffeeshark diagram`: the space-time (ladder) diagram of a capture.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use coffeeshark::report::diagram::{self, Options};
use coffeeshark::report::{Facts, Limits, Roles, Selection};
use coffeeshark::view::diagram as draw;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DiagramArgs {
    /// Capture file to read.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Display filter (Wireshark syntax): only matching packets become arrows.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Only these TCP streams (tcp.stream numbers, comma separated).
    #[arg(long, value_delimiter = ',', value_name = "N,M")]
    streams: Option<Vec<u32>>,
    /// svg (self-contained), txt (monospaced ladder), mermaid
    /// (sequenceDiagram), plantuml (@startuml) or msc (mscgen).
    #[arg(long, value_enum, default_value = "svg")]
    format: DiagramFormat,
    /// Write to this file instead of standard output. `-o
    /// tls.keylog_file:FILE` is tshark's key log preference instead (both
    /// may be given).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Vec<String>,
    /// Decrypt TLS with this NSS key log (SSLKEYLOGFILE).
    #[arg(long = "tls-keylog", value_name = "FILE")]
    tls_keylog: Option<PathBuf>,
    /// Name the server on a port (`5030="Coffee pot"`) or its clients
    /// (`5030:client="Web app"`). The lab's 5031 and 5030 are known.
    #[arg(long = "role", value_name = "PORT=NAME")]
    roles: Vec<String>,
    /// The web app's server port. Default: found in the traffic (the HTTP
    /// server that asks the pot while its client waits, else the busiest
    /// HTTP server); the lab's 5031 when none is found.
    #[arg(long, value_name = "PORT")]
    web_port: Option<u16>,
    /// The coffee pot's server port. Default: found in the traffic (the
    /// server that speaks HTCPCP); the lab's 5030 when none is found.
    #[arg(long, value_name = "PORT")]
    pot_port: Option<u16>,
    /// Hide pure ACKs and window updates (the handshake's ACK and the
    /// teardown's ACKs stay).
    #[arg(long)]
    hide_acks: bool,
    /// Draw at most this many arrows.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    max_arrows: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagramFormat {
    Svg,
    Txt,
    Mermaid,
    Plantuml,
    Msc,
}

/// Reads a capture file into [`Facts`], the roles found in the same pass
/// (`report::pass::collect_detecting`; `web_port` / `pot_port` are the
/// flags).
pub(crate) fn collect(
    file: &Path,
    filter: Option<&coffeeshark::filter::Filter>,
    limits: Limits,
    selection: Option<Selection>,
    keylog: Option<std::sync::Arc<coffeeshark::dissect::tls::KeyLog>>,
    (web_port, pot_port): (Option<u16>, Option<u16>),
) -> Result<(Facts, Option<String>)> {
    use coffeeshark::report::{pass, roles};
    use coffeeshark::source::CaptureReader;
    // A pipe or FIFO can be read once only: its roles are the flags' or
    // the lab's. Damage ends the detection quietly: the report's pass says it.
    if std::fs::metadata(file).is_ok_and(|m| m.is_file()) {
        let open = || CaptureReader::open(file);
        Ok(pass::collect_detecting(
            open,
            filter,
            limits,
            selection,
            keylog,
            (web_port, pot_port),
        )?)
    } else {
        let roles = roles::LabRoles::without_detection(web_port, pot_port);
        let reader = CaptureReader::open(file)?;
        Ok(pass::collect(
            reader, filter, limits, selection, keylog, roles,
        ))
    }
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

pub fn run(args: DiagramArgs) -> Result<ExitCode> {
    let filter = match args.display_filter.as_deref().map(super::compile_filter) {
        Some(Ok(f)) => Some(f),
        Some(Err(code)) => return Ok(code),
        None => None,
    };
    // The lanes' names come after the pass (the ports may be detected);
    // the `--role` specs are checked now.
    for r in &args.roles {
        if let Err(e) = Roles::default().apply(r) {
            eprintln!("coffeeshark: {e}");
            return Ok(ExitCode::from(1));
        }
    }
    let (output, keylog) =
        match super::split_output_and_keylog(&args.output, args.tls_keylog.as_deref()) {
            Ok(v) => v,
            Err(code) => return Ok(code),
        };
    let selection = Selection {
        streams: args.streams,
        hide_acks: args.hide_acks,
        max_arrows: args.max_arrows,
    };
    let (facts, err) = collect(
        &args.file,
        filter.as_ref(),
        Limits::default(),
        Some(selection),
        keylog,
        (args.web_port, args.pot_port),
    )?;
    let mut roles = facts.roles.diagram_roles();
    for r in &args.roles {
        if let Err(e) = roles.apply(r) {
            eprintln!("coffeeshark: {e}");
            return Ok(ExitCode::from(1));
        }
    }
    let mut title = format!("{}: space-time diagram", file_name(&args.file));
    if let Some(f) = &args.display_filter {
        title.push_str(&format!(" (filter: {f})"));
    }
    let opts = Options { roles, title };
    let d = diagram::build(&facts, &opts);
    let out = match args.format {
        DiagramFormat::Svg => draw::svg(&d),
        DiagramFormat::Txt => draw::text(&d),
        DiagramFormat::Mermaid => draw::mermaid(&d),
        DiagramFormat::Plantuml => draw::plantuml(&d),
        DiagramFormat::Msc => draw::msc(&d),
    };
    match &output {
        Some(path) => std::fs::write(path, out.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            use std::io::Write;
            let mut lock = std::io::stdout().lock();
            lock.write_all(out.as_bytes())?;
            lock.flush()?;
        }
    }
    if let Some(e) = err {
        eprintln!("coffeeshark: {e}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
