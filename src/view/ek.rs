//! `-T ek`: tshark's Elasticsearch bulk format, two lines a packet —
//! `{"index":{"_index":"packets-YYYY-MM-DD","_type":"doc"}}` (the packet's
//! local date, as tshark's `localtime`) and
//! `{"timestamp":"<epoch milliseconds>","layers":{...}}`.
//!
//! The `layers` object is built as tshark 4.0's `proto_tree_write_node_ek`
//! builds it, so that the same keys come out in the same order:
//!
//! - A protocol is an object under its name (`"tcp":{...}`, `_` for `.`).
//! - Inside it, every field is flattened into the protocol's object (a
//!   field's children follow it at the same level, depth first). A field's
//!   key is `{protocol}_{field}` with `.` written `_`
//!   (`tcp.flags.syn` → `tcp_tcp_flags_syn`); a text-only line's key is
//!   `text` and its value the line itself.
//! - Fields with the same name under the same parent node are grouped where
//!   the first occurs, their values in an array (`"ip_ip_addr":[...]`). The
//!   same name under different parents gives the key twice, as tshark does
//!   (`eth_eth_addr` under `eth.dst` and under `eth.src`): the line is not
//!   JSON a strict parser accepts without keeping duplicate keys, but it is
//!   byte for byte what Elasticsearch and pyshark are given by tshark.
//! - Values: booleans are `true`/`false`, a field without a value
//!   (`FT_NONE`) is `null`, `frame.time` is ISO 8601 UTC
//!   (`2026-11-21T13:53:57.058723298Z`, nine digits), everything else is
//!   the string `-T fields` prints.
//! - The reassembled-segments block (`tcp.segments`) is not a protocol: as
//!   in tshark it sits directly in `layers` (`"tcp_tcp_segments":null`,
//!   then `tcp_tcp_segment`, ...).
//!
//! With `-j`/`-J` ([`LayerFilter`]) a protocol not listed is
//! `{"filtered":"NAME"}`, and so is a field's value (tshark's
//! `ek_write_attr`).
//!
//! Strings are escaped as Wireshark's `json_dumper` does: `"` and `\`,
//! control characters (`\n`, `\u001f`...), and `</` as `<\/`.

use super::layer_filter::LayerFilter;
use crate::model::tree::{Field, Layer, Tree, Value};
use crate::model::FrameInfo;
use std::fmt::Write as _;

/// Appends the two lines of one packet (each with its newline).
pub fn packet(out: &mut String, frame: &FrameInfo, tree: &Tree, filter: Option<&LayerFilter>) {
    head(out, frame);
    let roots: Vec<Node> = tree.layers.iter().map(Node::Layer).collect();
    write_members(out, frame, &roots, "", filter);
    out.push_str("}}\n");
}

/// The index line and the second line up to its `layers` object's first
/// member: `{"timestamp":"...","layers":{`.
pub(crate) fn head(out: &mut String, frame: &FrameInfo) {
    out.push_str("{\"index\":{\"_index\":\"packets-");
    out.push_str(&super::time_format::local_date(frame.ts.secs));
    out.push_str("\",\"_type\":\"doc\"}}\n");
    out.push_str("{\"timestamp\":\"");
    out.push_str(itoa::Buffer::new().format(frame.ts.secs));
    let millis = frame.ts.nanos / 1_000_000;
    if millis < 100 {
        out.push('0');
    }
    if millis < 10 {
        out.push('0');
    }
    out.push_str(itoa::Buffer::new().format(millis));
    out.push_str("\",\"layers\":{");
}

/// A node of the tree: a protocol layer or a field.
#[derive(Clone, Copy)]
enum Node<'a> {
    Layer(&'a Layer),
    Field(&'a Field),
}

impl<'a> Node<'a> {
    /// The node's registered name (`text` for a text-only line).
    fn abbrev(self) -> &'a str {
        match self {
            Node::Layer(l) => l.proto,
            Node::Field(f) if f.name.is_empty() => "text",
            Node::Field(f) => f.name,
        }
    }

    /// A protocol (written as an object); the reassembled-segments block is
    /// a field of TCP's in Wireshark, not a protocol.
    fn is_protocol(self) -> bool {
        matches!(self, Node::Layer(l) if l.proto != "tcp.segments")
    }

    fn children(self) -> Vec<Node<'a>> {
        match self {
            Node::Layer(l) => l.fields.iter().map(Node::Field).collect(),
            Node::Field(f) => f.children.iter().map(Node::Field).collect(),
        }
    }

    fn has_children(self) -> bool {
        match self {
            Node::Layer(l) => !l.fields.is_empty(),
            Node::Field(f) => !f.children.is_empty(),
        }
    }
}

/// The protocol a field is registered under (`tcp` for `tcp.flags.syn`,
/// `_ws.expert` for `_ws.expert.message`); empty for a protocol.
fn registered_parent(name: &str) -> &str {
    // TCP's options are protocols of their own in Wireshark ("TCP Option -
    // SACK permitted", `tcp.options.sack_perm`), under no parent.
    const TCP_OPTIONS: &[&str] = &[
        "tcp.options.mss",
        "tcp.options.nop",
        "tcp.options.eol",
        "tcp.options.timestamp",
        "tcp.options.wscale",
        "tcp.options.sack_perm",
        "tcp.options.sack",
    ];
    if TCP_OPTIONS.contains(&name) {
        return "";
    }
    let skip = if name.starts_with("_ws.") { 4 } else { 0 };
    match name[skip..].find('.') {
        Some(i) => &name[..skip + i],
        None => "",
    }
}

/// One key of an object: the nodes of one name under one parent node, in
/// order.
struct Group<'a> {
    parent: &'a str,
    abbrev: &'a str,
    nodes: Vec<Node<'a>>,
}

/// tshark's `ek_fill_attr`: the children of a node, and (depth first) the
/// children of those that are not protocols, grouped by (parent, name) in
/// order of first occurrence.
fn fill<'a>(
    groups: &mut Vec<Group<'a>>,
    children: &[Node<'a>],
    parent: &'a str,
    filter: Option<&LayerFilter>,
) {
    for &node in children {
        let abbrev = node.abbrev();
        match groups
            .iter_mut()
            .find(|g| g.abbrev == abbrev && g.parent == parent)
        {
            Some(g) => g.nodes.push(node),
            None => groups.push(Group {
                parent,
                abbrev,
                nodes: vec![node],
            }),
        }
        if node.is_protocol() || !node.has_children() {
            continue;
        }
        match filter {
            None => fill(groups, &node.children(), abbrev, None),
            Some(f) if f.allows_ek(abbrev) => fill(
                groups,
                &node.children(),
                abbrev,
                LayerFilter::below(Some(f)),
            ),
            // A field left out by -j: its children are not written.
            Some(_) => {}
        }
    }
}

/// The members of an object holding `children` (written without braces).
fn write_members(
    out: &mut String,
    frame: &FrameInfo,
    children: &[Node],
    parent: &str,
    filter: Option<&LayerFilter>,
) {
    let mut groups = Vec::new();
    fill(&mut groups, children, parent, filter);
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_name(out, g.nodes[0]);
        let array = g.nodes.len() > 1;
        if array {
            out.push('[');
        }
        for (j, &node) in g.nodes.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let abbrev = node.abbrev();
            let listed = filter.map_or(true, |f| f.allows_ek(abbrev));
            if !node.is_protocol() {
                if listed {
                    write_value(out, frame, node);
                } else {
                    write_filtered(out, abbrev);
                }
                continue;
            }
            out.push('{');
            if listed {
                let below = LayerFilter::below(filter);
                write_members(out, frame, &node.children(), abbrev, below);
            } else {
                out.push_str("\"filtered\":");
                write_string(out, abbrev);
            }
            out.push('}');
        }
        if array {
            out.push(']');
        }
    }
}

fn write_filtered(out: &mut String, abbrev: &str) {
    out.push_str("{\"filtered\":");
    write_string(out, abbrev);
    out.push('}');
}

/// `"key":` — the registered protocol, `_`, the name; `.` as `_`.
fn write_name(out: &mut String, node: Node) {
    let abbrev = node.abbrev();
    let parent = match node {
        Node::Layer(l) if l.proto == "tcp.segments" => "tcp",
        Node::Layer(_) => "",
        Node::Field(f) => registered_parent(f.name),
    };
    out.push('"');
    if !parent.is_empty() {
        push_underscored(out, parent);
        out.push('_');
    }
    push_underscored(out, abbrev);
    out.push_str("\":");
}

fn push_underscored(out: &mut String, name: &str) {
    for c in name.chars() {
        out.push(if c == '.' { '_' } else { c });
    }
}

/// A field's value, as tshark's `ek_write_field_value`.
fn write_value(out: &mut String, frame: &FrameInfo, node: Node) {
    let f = match node {
        Node::Layer(_) => {
            out.push_str("null");
            return;
        }
        Node::Field(f) => f,
    };
    if f.name.is_empty() {
        write_string(out, &f.label);
        return;
    }
    match &f.value {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        _ if f.name == "frame.time" => {
            out.push('"');
            out.push_str(&super::time_format::utc_iso(frame.ts.secs));
            let _ = write!(out, ".{:09}Z\"", frame.ts.nanos.min(999_999_999));
        }
        v => write_string(out, &v.show()),
    }
}

/// A JSON string, escaped as Wireshark's `json_dumper` escapes it.
pub(crate) fn write_string(out: &mut String, s: &str) {
    const CONTROL: [&str; 32] = [
        "u0000", "u0001", "u0002", "u0003", "u0004", "u0005", "u0006", "u0007", "b", "t", "n",
        "u000b", "f", "r", "u000e", "u000f", "u0010", "u0011", "u0012", "u0013", "u0014", "u0015",
        "u0016", "u0017", "u0018", "u0019", "u001a", "u001b", "u001c", "u001d", "u001e", "u001f",
    ];
    out.push('"');
    let mut prev = '\0';
    for c in s.chars() {
        match c {
            c if (c as u32) < 0x20 => {
                out.push('\\');
                out.push_str(CONTROL[c as usize]);
            }
            '/' if prev == '<' => out.push_str("\\/"),
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        prev = c;
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json_dumper_does() {
        let mut s = String::new();
        write_string(&mut s, "a\"b\\c\r\n\u{1f}</x> 1/2");
        assert_eq!(s, r#""a\"b\\c\r\n\u001f<\/x> 1/2""#);
    }

    #[test]
    fn keys_name_the_registered_protocol() {
        assert_eq!(registered_parent("tcp.flags.syn"), "tcp");
        assert_eq!(registered_parent("_ws.expert.message"), "_ws.expert");
        assert_eq!(registered_parent("tcp"), "");
        assert_eq!(registered_parent("tcp.options.sack_perm"), "");
        assert_eq!(registered_parent("tcp.options.mss_val"), "tcp");
        let f = Field::new("tcp.flags.syn", Value::Bool(true), String::new(), 0, 0);
        let mut out = String::new();
        write_name(&mut out, Node::Field(&f));
        assert_eq!(out, "\"tcp_tcp_flags_syn\":");
    }
}
