//! `-T pdml`: tshark's Packet Details Markup Language, the XML that pyshark
//! and other tshark wrappers parse (`<pdml>`, one `<packet>` per frame, a
//! `<proto>` per layer, a `<field>` per field, nested as in `-V`).
//!
//! Each packet starts with tshark's `geninfo` pseudo-protocol (number,
//! lengths, capture time: pyshark reads the frame's number and time from it)
//! and then the field tree's layers. A field's attributes follow tshark 4.0:
//! `name` (empty on text-only lines), `showname` (the `-V` line; absent on
//! text-only lines, whose text is their `show`), `hide`
//! for Wireshark's hidden fields, `size`/`pos` (its bytes in the frame),
//! `show` (the value as `-T fields` prints it) and `value` (its bytes in
//! hex). A bit field (its line drawn as `..1. = ...`) has, as in tshark,
//! `value` = the field's value in hex and `unmaskedvalue` = its bytes.

use super::layer_filter::LayerFilter;
use crate::model::tree::{Field, Tree, Value};
use crate::model::FrameInfo;
use std::fmt::Write;

/// What precedes the first packet (`file` as given on the command line).
pub fn begin(out: &mut String, file: &str, creator_version: &str) {
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<?xml-stylesheet type=\"text/xsl\" href=\"pdml2html.xsl\"?>\n");
    out.push_str("<pdml version=\"0\" creator=\"");
    escape(out, creator_version);
    out.push_str("\" capture_file=\"");
    escape(out, file);
    out.push_str("\">\n");
}

/// What follows the last packet.
pub fn end(out: &mut String) {
    out.push_str("</pdml>\n");
}

/// One `<packet>`: `data` is the frame's bytes (the tree's positions index it).
pub fn packet(out: &mut String, frame: &FrameInfo, tree: &Tree, data: &[u8]) {
    packet_filtered(out, frame, tree, data, None);
}

/// [`packet`] under `-j`/`-J`: the children of a protocol or field whose
/// name is not listed are replaced by `<field name="filtered"
/// value="NAME" />`, as tshark's `proto_tree_write_node_pdml` does.
pub fn packet_filtered(
    out: &mut String,
    frame: &FrameInfo,
    tree: &Tree,
    data: &[u8],
    filter: Option<&LayerFilter>,
) {
    out.push_str("<packet>\n");
    geninfo(out, frame);
    for layer in &tree.layers {
        let _ = write!(out, "  <proto name=\"{}\" showname=\"", layer.proto);
        escape(out, &layer.label);
        let _ = write!(out, "\" size=\"{}\" pos=\"{}\"", layer.len, layer.start);
        if layer.fields.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if filter.is_some_and(|x| !x.allows(layer.proto)) {
            filtered(out, layer.proto, 2);
        } else {
            let below = LayerFilter::below(filter);
            for f in &layer.fields {
                field(out, f, data, layer.start, 2, below);
            }
        }
        out.push_str("  </proto>\n");
    }
    out.push_str("</packet>\n");
}

pub(crate) fn geninfo(out: &mut String, frame: &FrameInfo) {
    let size = frame.cap_len;
    let _ = writeln!(
        out,
        "  <proto name=\"geninfo\" pos=\"0\" showname=\"General information\" size=\"{size}\">"
    );
    for (name, label, v) in [
        ("num", "Number", frame.number),
        ("len", "Frame Length", frame.orig_len as u64),
        ("caplen", "Captured Length", frame.cap_len as u64),
    ] {
        let _ = writeln!(
            out,
            "    <field name=\"{name}\" pos=\"0\" show=\"{v}\" showname=\"{label}\" value=\"{v:x}\" size=\"{size}\"/>"
        );
    }
    let _ = writeln!(
        out,
        "    <field name=\"timestamp\" pos=\"0\" show=\"{}\" showname=\"Captured Time\" value=\"{}.{:09}\" size=\"{size}\"/>",
        utc_time(frame.ts.secs, frame.ts.nanos),
        frame.ts.secs,
        frame.ts.nanos
    );
    out.push_str("  </proto>\n");
}

/// `layer_start`: where a generated field (no bytes of its own) is put, as
/// tshark puts it at the start of its protocol's bytes.
/// tshark's marker for the children `-j` leaves out.
fn filtered(out: &mut String, name: &str, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str("<field name=\"filtered\" value=\"");
    escape(out, name);
    out.push_str("\" />\n");
}

fn field(
    out: &mut String,
    f: &Field,
    data: &[u8],
    layer_start: usize,
    depth: usize,
    filter: Option<&LayerFilter>,
) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    let _ = write!(out, "<field name=\"{}\"", f.name);
    // tshark's PDML names generated fields without the brackets of `-V`.
    let label = f
        .label
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or(&f.label);
    // A text line (no name) has its text as `show` and no `showname`.
    if !f.name.is_empty() {
        out.push_str(" showname=\"");
        escape(out, label);
        out.push('"');
    }
    if f.hidden {
        out.push_str(" hide=\"yes\"");
    }
    let pos = if f.len == 0 && f.start == 0 {
        layer_start
    } else {
        f.start
    };
    let _ = write!(out, " size=\"{}\" pos=\"{pos}\"", f.len);
    let bytes = data.get(f.start..f.start + f.len).unwrap_or(&[]);
    if f.name.is_empty() {
        // tshark's text lines: the line itself, and its bytes.
        out.push_str(" show=\"");
        escape(out, label);
        out.push('"');
    } else {
        out.push_str(" show=\"");
        escape(out, &f.value.show());
        out.push('"');
    }
    if f.len > 0 && !bytes.is_empty() {
        match bit_value(f) {
            Some(v) => {
                let _ = write!(out, " value=\"{v:x}\" unmaskedvalue=\"");
                hex(out, bytes);
                out.push('"');
            }
            None => {
                out.push_str(" value=\"");
                hex(out, bytes);
                out.push('"');
            }
        }
    }
    if f.children.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    let name = if f.name.is_empty() { "text" } else { f.name };
    if filter.is_some_and(|x| !x.allows(name)) {
        filtered(out, name, depth + 1);
    } else {
        let below = LayerFilter::below(filter);
        for c in &f.children {
            field(out, c, data, layer_start, depth + 1, below);
        }
    }
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str("</field>\n");
}

/// The value of a bit field (its line starts with a bit pattern such as
/// `.... ..1. = `), which tshark writes as `value` beside `unmaskedvalue`.
fn bit_value(f: &Field) -> Option<u64> {
    let (pattern, _) = f.label.split_once(" = ")?;
    let is_bits = !pattern.is_empty()
        && pattern.contains('.')
        && pattern.chars().all(|c| matches!(c, '.' | '0' | '1' | ' '));
    if !is_bits {
        return None;
    }
    match f.value {
        Value::UInt(v) | Value::Hex(v, _) => Some(v),
        Value::Bool(b) => Some(b as u64),
        _ => None,
    }
}

fn hex(out: &mut String, bytes: &[u8]) {
    // Most of a PDML document is hex (every field's bytes): a digit pair
    // per byte from a table, written in one go.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        buf.push(DIGITS[(b >> 4) as usize]);
        buf.push(DIGITS[(b & 15) as usize]);
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// XML attribute text, escaped as Wireshark's `xml_escape` does.
pub(crate) fn escape(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0x7f) || (b < 0x20 && b != b'\t'))
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            // DEL too: tshark escapes what `g_ascii_iscntrl` calls control.
            c if ((c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == '\x7f' => {
                let _ = write!(out, "\\x{:x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// `Nov 21, 2026 13:53:57.319724506 UTC`: tshark's absolute time (UTC; the
/// day padded with a space, as `%e`).
pub fn utc_time(secs: i64, nanos: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, day) = super::json::civil_date(secs);
    let month = MONTHS[(m as usize).clamp(1, 12) - 1];
    let t = secs.rem_euclid(86_400);
    format!(
        "{month} {day:>2}, {y} {:02}:{:02}:{:02}.{nanos:09} UTC",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_tshark_writes_them() {
        assert_eq!(
            utc_time(1_795_269_237, 319_724_506),
            "Nov 21, 2026 13:53:57.319724506 UTC"
        );
        assert_eq!(utc_time(0, 5), "Jan  1, 1970 00:00:00.000000005 UTC");
    }

    #[test]
    fn attributes_are_escaped() {
        let mut s = String::new();
        escape(&mut s, "Don't <a & \"b\">\u{1}");
        assert_eq!(s, "Don&#x27;t &lt;a &amp; &quot;b&quot;&gt;\\x1");
    }

    #[test]
    fn bit_fields_are_recognised_by_their_line() {
        let f = Field::new(
            "tcp.flags.syn",
            Value::Bool(true),
            ".... .... ..1. = Syn: Set".into(),
            47,
            1,
        );
        assert_eq!(bit_value(&f), Some(1));
        let g = Field::new(
            "http.request.method",
            Value::Str("GET".into()),
            "Request Method: GET".into(),
            0,
            3,
        );
        assert_eq!(bit_value(&g), None);
    }
}
