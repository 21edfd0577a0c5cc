//! `coffeeshark report`: the lab's questions answered from a capture.

use super::diagram::{collect, file_name};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use coffeeshark::report::answers::{self, TASKS};
use coffeeshark::report::diagram::{self, Options};
use coffeeshark::report::{Limits, Selection};
use coffeeshark::view::{diagram as draw, report as render};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Capture file to read.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Which task of the lab: 1, 3, 4, 5, 6, 7, 8 or all (Task 2, installing
    /// Wireshark's dissector, is not about the capture).
    #[arg(long, default_value = "all", value_name = "N|all")]
    task: String,
    /// md (Markdown, with a Mermaid diagram), json (for graders) or html (with the SVG diagram).
    #[arg(long, value_enum, default_value = "md")]
    format: ReportFormat,
    /// Write STEM.md/.json/.html (and STEM.svg, the diagram) into this
    /// directory instead of printing.
    /// (`-o tls.keylog_file:FILE` is tshark's key log preference instead;
    /// both may be given.)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: Vec<String>,
    /// Decrypt TLS with this NSS key log (SSLKEYLOGFILE): Task 8 then says
    /// what the key log reveals.
    #[arg(long = "tls-keylog", value_name = "FILE")]
    tls_keylog: Option<PathBuf>,
    /// Draw at most this many arrows in the embedded diagram (0: no diagram).
    #[arg(long, default_value_t = 400, value_name = "N")]
    max_arrows: usize,
    /// The web app's server port. Default: found in the traffic (the HTTP
    /// server that asks the pot while its client waits, else the busiest
    /// HTTP server); the lab's 5031 when none is found.
    #[arg(long, value_name = "PORT")]
    web_port: Option<u16>,
    /// The coffee pot's server port. Default: found in the traffic (the
    /// server that speaks HTCPCP); the lab's 5030 when none is found.
    #[arg(long, value_name = "PORT")]
    pot_port: Option<u16>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Md,
    Json,
    Html,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let (output, keylog) =
        match super::split_output_and_keylog(&args.output, args.tls_keylog.as_deref()) {
            Ok(v) => v,
            Err(code) => return Ok(code),
        };
    let tasks: Vec<u8> = if args.task == "all" {
        TASKS.to_vec()
    } else {
        match args.task.parse::<u8>() {
            Ok(t) if TASKS.contains(&t) => vec![t],
            _ => {
                eprintln!(
                    "coffeeshark: --task {}: expected 1, 3, 4, 5, 6, 7, 8 or all",
                    args.task
                );
                return Ok(ExitCode::from(1));
            }
        }
    };
    // JSON carries no diagram.
    let selection =
        (args.max_arrows > 0 && args.format != ReportFormat::Json).then_some(Selection {
            streams: None,
            hide_acks: true,
            max_arrows: args.max_arrows,
        });
    let (facts, err) = collect(
        &args.file,
        None,
        Limits::default(),
        selection,
        keylog,
        (args.web_port, args.pot_port),
    )?;
    let name = file_name(&args.file);
    let report = answers::answer(&facts, &name, &tasks);
    let stem = args.file.file_stem().map_or_else(
        || "report".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let stem = stem
        .strip_suffix(".pcapng")
        .or(stem.strip_suffix(".pcap"))
        .unwrap_or(&stem)
        .to_string();
    let d = (args.max_arrows > 0 && args.format != ReportFormat::Json).then(|| {
        diagram::build(
            &facts,
            &Options {
                title: format!("{name}: space-time diagram (pure ACKs hidden)"),
                roles: facts.roles.diagram_roles(),
            },
        )
    });
    let svg = d.as_ref().map(draw::svg);
    let (text, ext) = match args.format {
        ReportFormat::Md => {
            let diagram = d.as_ref().map(|d| {
                let mut s = String::new();
                if output.is_some() {
                    s.push_str(&format!("![space-time diagram]({stem}.svg)\n\n<details><summary>Mermaid</summary>\n\n"));
                }
                s.push_str("```mermaid\n");
                s.push_str(&draw::mermaid(d));
                s.push_str("```\n");
                if output.is_some() {
                    s.push_str("\n</details>\n");
                }
                s
            });
            (render::markdown(&report, diagram.as_deref()), "md")
        }
        ReportFormat::Json => (render::json(&report), "json"),
        ReportFormat::Html => (render::html(&report, svg.as_deref()), "html"),
    };
    match &output {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = dir.join(format!("{stem}.{ext}"));
            std::fs::write(&path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            if let (Some(svg), ReportFormat::Md) = (&svg, args.format) {
                let path = dir.join(format!("{stem}.svg"));
                std::fs::write(&path, svg.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        None => {
            use std::io::Write;
            let mut lock = std::io::stdout().lock();
            lock.write_all(text.as_bytes())?;
            lock.flush()?;
        }
    }
    if let Some(e) = err {
        eprintln!("coffeeshark: {e}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
