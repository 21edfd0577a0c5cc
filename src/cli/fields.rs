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

/// tshark's `-G REPORT` for the two reports tools read: `fields` (this
/// command's listing, tshark's columns) and `protocols` (`Name\tShort
/// name\tfilter name`, one line a protocol). Other reports get tshark's
/// message.
pub fn glossary(report: &str) -> ExitCode {
    let mut listing = String::new();
    fields::write_listing(&mut listing);
    let text = match report {
        "fields" => listing,
        "protocols" => protocols(&listing),
        other => {
            eprintln!(
                "coffeeshark: Invalid \"{other}\" option for -G flag; coffeeshark knows -G fields and -G protocols."
            );
            return ExitCode::from(1);
        }
    };
    print!("{text}");
    ExitCode::SUCCESS
}

/// The `P` lines of the listing in `-G protocols`' shape.
fn protocols(listing: &str) -> String {
    // Wireshark's short names (the Protocol column's), where they are not
    // the filter name in capitals.
    const SHORT: &[(&str, &str)] = &[
        ("frame", "Frame"),
        ("eth", "Ethernet"),
        ("vlan", "VLAN"),
        ("null", "Null"),
        ("sll", "SLL"),
        ("raw", "Raw"),
        ("ip", "IPv4"),
        ("ipv6", "IPv6"),
        ("icmpv6", "ICMPv6"),
        ("data", "Data"),
        ("websocket", "WebSocket"),
        ("data-text-lines", "Line-based text data"),
        ("_ws.malformed", "Malformed packet"),
    ];
    let mut out = String::new();
    for line in listing.lines() {
        let mut cells = line.split('\t');
        let (Some("P"), Some(name), Some(abbrev)) = (cells.next(), cells.next(), cells.next())
        else {
            continue;
        };
        // Reassembly is a field tree of TCP in Wireshark, not a protocol.
        if abbrev == "tcp.segments" {
            continue;
        }
        let short = SHORT
            .iter()
            .find(|(a, _)| *a == abbrev)
            .map_or_else(|| abbrev.to_uppercase(), |(_, s)| s.to_string());
        out.push_str(&format!("{name}\t{short}\t{abbrev}\n"));
    }
    out
}
