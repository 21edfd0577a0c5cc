//! `-T fields -e FIELD ...`: one line per packet, the values of each field
//! as tshark 4.0 prints them (ports and codes in decimal, hex fields as
//! `0x` and the field's width, booleans `1`/`0`, addresses as text, times
//! with 9 decimals, byte fields as plain hex, fields without a value
//! (`FT_NONE`) as `1` but TCP's options (protocols in Wireshark) as the hex
//! of their bytes, protocols as tshark prints them without a visible tree:
//! the summary line, or the name for the application layers), several
//! occurrences joined with the aggregator (`,`).

use super::fields::{self, Base, FieldId, Ftype};
use super::values::{FieldRef, PacketFields, Val};
use crate::link::Mac;
use crate::source::time::write_seconds;
use std::fmt::Write;

/// Which occurrences of a field to print (`-E occurrence=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    All,
    First,
    Last,
}

/// The `-T fields` layout.
#[derive(Debug, Clone)]
pub struct FieldsFormat {
    pub fields: Vec<FieldRef>,
    pub separator: String,
    pub aggregator: String,
    pub quote: Option<char>,
    pub occurrence: Occurrence,
    pub header: bool,
    /// `-E escape=y` (the default): tab, LF, CR, FF and backspace in
    /// strings are printed as `\t`, `\n`, `\r`, `\f`, `\b` (tshark 4.0
    /// leaves VT, backslash and the other control characters as they are).
    pub escape: bool,
    /// `-E bom=y`: the output starts with the UTF-8 byte order mark.
    pub bom: bool,
}

impl FieldsFormat {
    /// Resolves `-e` names; unknown names are returned as the error,
    /// tshark's way (`Some fields aren't valid:` then one per line).
    pub fn new(names: &[String]) -> Result<Self, Vec<String>> {
        let mut ids = Vec::new();
        let mut bad = Vec::new();
        for n in names {
            match fields::lookup(n) {
                Some(id) => ids.push(FieldRef::new(id)),
                None => bad.push(n.clone()),
            }
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        Ok(FieldsFormat {
            fields: ids,
            separator: "\t".into(),
            aggregator: ",".into(),
            quote: None,
            occurrence: Occurrence::All,
            header: false,
            escape: true,
            bom: false,
        })
    }

    /// Applies one `-E key=value` option.
    pub fn set_option(&mut self, opt: &str) -> Result<(), String> {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("Invalid -E option \"{opt}\""))?;
        let special = |v: &str| match v {
            "/t" => "\t".to_string(),
            "/s" => " ".to_string(),
            other => other.to_string(),
        };
        match k {
            "separator" => self.separator = special(v),
            "aggregator" => self.aggregator = special(v),
            "header" => {
                self.header = match v {
                    "y" => true,
                    "n" => false,
                    _ => return Err(format!("Invalid -E header value \"{v}\"")),
                }
            }
            "quote" => {
                self.quote = match v {
                    "d" => Some('"'),
                    "s" => Some('\''),
                    "n" => None,
                    _ => return Err(format!("Invalid -E quote value \"{v}\"")),
                }
            }
            "occurrence" => {
                self.occurrence = match v {
                    "a" => Occurrence::All,
                    "f" => Occurrence::First,
                    "l" => Occurrence::Last,
                    // tshark 4.0 takes no occurrence numbers.
                    _ => {
                        return Err(
                            "\"occurrence\" is not a valid field output option=value pair.".into(),
                        )
                    }
                }
            }
            "escape" => {
                self.escape = match v {
                    "y" => true,
                    "n" => false,
                    _ => return Err(format!("Invalid -E escape value \"{v}\"")),
                }
            }
            "bom" => {
                self.bom = match v {
                    "y" => true,
                    "n" => false,
                    _ => {
                        return Err("\"bom\" is not a valid field output option=value pair.".into())
                    }
                }
            }
            _ => return Err(format!("Invalid -E option \"{opt}\"")),
        }
        Ok(())
    }

    /// Whether any field needs the field tree (no fast extractor, or a
    /// protocol, whose text is its summary line).
    pub fn needs_tree(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.fast.is_none() || fields::def(f.id).ftype == Ftype::Protocol)
    }

    /// What precedes the rows: the BOM (`-E bom=y`), then the header line
    /// (`-E header=y`).
    pub fn write_preamble(&self, out: &mut String) {
        if self.bom {
            out.push('\u{feff}');
        }
        if self.header {
            self.write_header(out);
        }
    }

    pub fn write_header(&self, out: &mut String) {
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.separator);
            }
            out.push_str(fields::def(f.id).name);
        }
        out.push('\n');
    }

    /// One packet's line.
    pub fn write_row(&self, out: &mut String, pf: &PacketFields<'_, '_>) {
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.separator);
            }
            let chosen = self.chosen(pf, *f, self.escape);
            if chosen.is_empty() {
                continue;
            }
            if let Some(q) = self.quote {
                out.push(q);
            }
            for (j, v) in chosen.iter().enumerate() {
                if j > 0 {
                    out.push_str(&self.aggregator);
                }
                out.push_str(v);
            }
            if let Some(q) = self.quote {
                out.push(q);
            }
        }
        out.push('\n');
    }

    /// Each field's name and its values in a packet, as `-T fields` prints
    /// them before `-E escape` and the aggregator, `-E occurrence` applied:
    /// what `-e` gives `-T json`, `ek` and `pdml` ([`crate::view::selected`]).
    pub fn values(&self, pf: &PacketFields<'_, '_>) -> Vec<(&'static str, Vec<String>)> {
        self.fields
            .iter()
            .map(|f| (fields::def(f.id).name, self.chosen(pf, *f, false)))
            .collect()
    }

    /// The printed values of field `f` that `-E occurrence` keeps.
    fn chosen(&self, pf: &PacketFields<'_, '_>, f: FieldRef, escape: bool) -> Vec<String> {
        let mut values = Vec::new();
        collect(pf, f, escape, &mut values);
        match self.occurrence {
            Occurrence::All => {}
            Occurrence::First => values.truncate(1),
            Occurrence::Last => {
                let n = values.len().saturating_sub(1);
                values.drain(..n);
            }
        }
        values
    }
}

/// The printed values of one field in a packet.
fn collect(pf: &PacketFields<'_, '_>, f: FieldRef, escape: bool, out: &mut Vec<String>) {
    let def = fields::def(f.id);
    if def.ftype == Ftype::Protocol {
        for l in pf.tree().layers.iter().filter(|l| l.proto == def.name) {
            out.push(protocol_value(def.name, &l.label));
        }
        return;
    }
    // tshark's `get_node_field_value`: a field without a value prints "1",
    // so that -T fields can tell it is there. TCP's options are protocols
    // in Wireshark (`tcp.options.sack_perm`), printed as their bytes.
    if def.ftype == Ftype::None && !def.name.starts_with("tcp.options.") {
        pf.each(f, &mut |_| {
            out.push("1".to_string());
            false
        });
        return;
    }
    pf.each(f, &mut |v| {
        let mut s = String::new();
        write_value(&mut s, f.id, &v);
        if escape && def.ftype == Ftype::String && s.bytes().any(|b| b"\t\n\r\x0c\x08".contains(&b))
        {
            s = escape_whitespace(&s);
        }
        out.push(s);
        false
    });
}

/// A protocol's `-T fields` value: tshark prints the protocol item's text
/// when its dissector wrote one without a visible tree (frame, IP, TCP,
/// UDP...), else the protocol's name (`http`, `tls`, `websocket`; `htcpcp`
/// as `http`); Ethernet's text there names each address once.
fn protocol_value(name: &str, label: &str) -> String {
    match name {
        "http" | "htcpcp" | "tls" | "websocket" => name.to_string(),
        "eth" => {
            // "Src: 00:00:00:00:00:00 (00:00:00:00:00:00)" -> "Src: 00:00:00:00:00:00"
            let mut out = String::with_capacity(label.len());
            let mut rest = label;
            while let Some(i) = rest.find(" (") {
                let close = rest[i..].find(')').map(|j| i + j);
                match close {
                    Some(j)
                        if j - i - 2 == 17
                            && rest[i + 2..j]
                                .bytes()
                                .all(|b| b.is_ascii_hexdigit() || b == b':') =>
                    {
                        out.push_str(&rest[..i]);
                        rest = &rest[j + 1..];
                    }
                    _ => {
                        out.push_str(&rest[..i + 2]);
                        rest = &rest[i + 2..];
                    }
                }
            }
            out.push_str(rest);
            out
        }
        _ => label.to_string(),
    }
}

/// Writes one value of field `id` as tshark's `-T fields` does.
pub fn write_value(out: &mut String, id: FieldId, v: &Val<'_>) {
    let def = fields::def(id);
    match (*v, def.ftype) {
        (Val::Int(i), _) => match def.base {
            Base::Hex(w) => {
                let _ = write!(out, "0x{:0width$x}", i, width = w as usize);
            }
            Base::Dec => {
                let _ = write!(out, "{i}");
            }
        },
        (Val::Time(n), Ftype::AbsTime) => {
            let (secs, nanos) = (n.div_euclid(1_000_000_000), n.rem_euclid(1_000_000_000));
            let secs = i64::try_from(secs).unwrap_or(i64::MAX);
            out.push_str(&crate::view::time_format::abs_time_local(
                secs,
                nanos as u32,
            ));
        }
        (Val::Time(n), _) => write_seconds(out, n, 9),
        (Val::V4(a), _) => {
            let _ = write!(out, "{}", std::net::Ipv4Addr::from(a));
        }
        (Val::V6(a), _) => {
            let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
        }
        (Val::Bytes(b), Ftype::Ether) => {
            let _ = write!(out, "{}", Mac(b));
        }
        (Val::Bytes(b), Ftype::String) => out.push_str(&String::from_utf8_lossy(b)),
        (Val::Bytes(b), _) => {
            for x in b {
                let _ = write!(out, "{x:02x}");
            }
        }
    }
}

/// tshark's `-E escape=y`: tab, LF, CR, FF and backspace as C escapes.
fn escape_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '\x08' => out.push_str("\\b"),
            c => out.push(c),
        }
    }
    out
}
