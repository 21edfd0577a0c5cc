//! `coffeeshark fields`: the field registry, as `tshark -G fields` lists it
//! (`P` lines for protocols, `F` lines with description, name, type,
//! protocol and base).

use anyhow::Result;
use clap::Args;
use coffeeshark::filter::fields;
use std::io::Write;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct FieldsArgs {
    /// Only names starting with this prefix (`tcp`, `htcpcp.request`).
    #[arg(value_name = "PREFIX")]
    prefix: Option<String>,
}

pub fn run(args: FieldsArgs) -> Result<ExitCode> {
    let mut out = String::new();
    fields::write_listing(&mut out);
    let text: String = match &args.prefix {
        None => out,
        Some(p) => out
            .lines()
            .filter(|l| {
                l.split('\t')
                    .nth(2)
                    .is_some_and(|name| name == p || name.starts_with(&format!("{p}.")))
            })
            .map(|l| format!("{l}\n"))
            .collect(),
    };
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(text.as_bytes())?;
    lock.flush()?;
    Ok(ExitCode::SUCCESS)
}
