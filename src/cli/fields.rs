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

/// tshark's `-G REPORT` for the reports tools read: `fields` (this
/// command's listing, tshark's columns), `protocols` (`Name\tShort
/// name\tfilter name`, one line a protocol) and `elastic-mapping` (the
/// Elasticsearch mapping of `-T ek`'s keys, which pyshark's `use_ek=True`
/// reads to type values). Other reports get tshark's message.
pub fn glossary(report: &str) -> ExitCode {
    let mut listing = String::new();
    fields::write_listing(&mut listing);
    let text = match report {
        "fields" => listing,
        "protocols" => protocols(&listing),
        "elastic-mapping" => elastic_mapping(),
        other => {
            eprintln!(
                "coffeeshark: Invalid \"{other}\" option for -G flag; coffeeshark knows -G fields, -G protocols and -G elastic-mapping."
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

/// `-G elastic-mapping`: tshark 4.0's document (`settings`, then
/// `mappings.properties.layers.properties.PROTO.properties.KEY.type`), with
/// every registered protocol and, for each field of a type Elasticsearch
/// types, its `-T ek` key and tshark's type name for it (Wireshark's
/// `ws_type_to_elastic`; strings and other types are left to the dynamic
/// mapping, as tshark leaves them).
fn elastic_mapping() -> String {
    use coffeeshark::filter::fields::{Ftype, FIELDS};
    use serde_json::{json, Map, Value};
    let mut layers = Map::new();
    for d in FIELDS.iter().filter(|d| d.ftype == Ftype::Protocol) {
        layers.insert(d.name.to_string(), json!({ "properties": {} }));
    }
    for d in FIELDS {
        let ty = match d.ftype {
            Ftype::UInt(8) | Ftype::Int(8) => "short",
            Ftype::UInt(16) | Ftype::Int(16) | Ftype::UInt(24) | Ftype::Int(32) => "integer",
            Ftype::UInt(_) | Ftype::Int(_) | Ftype::FrameNum => "long",
            Ftype::Boolean => "boolean",
            Ftype::Ipv4 | Ftype::Ipv6 => "ip",
            Ftype::RelTime | Ftype::AbsTime => "date",
            Ftype::Bytes => "byte",
            _ => continue,
        };
        let parent = d.parent();
        let key = format!("{parent}_{}", d.name).replace('.', "_");
        let Some(Value::Object(proto)) = layers.get_mut(parent) else {
            continue;
        };
        if let Some(Value::Object(props)) = proto.get_mut("properties") {
            props.insert(key, json!({ "type": ty }));
        }
    }
    let doc = json!({
        "settings": { "index.mapping.total_fields.limit": 1_000_000 },
        "mappings": {
            "dynamic": false,
            "properties": {
                "timestamp": { "type": "date" },
                "layers": { "properties": Value::Object(layers) }
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
