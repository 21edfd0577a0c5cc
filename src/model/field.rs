//! The vocabulary of the per-packet field tree: a [`Tree`] of protocol
//! [`Layer`]s, each a list of [`Field`]s with a Wireshark display-filter name,
//! a typed [`Value`], a display label and the byte span it covers.
//!
//! Both builders fill it — [`super::tree`] (frame, link, IP, TCP/UDP) and
//! [`super::app_tree`] (HTTP, HTCPCP, TLS) — and the views, the filter and the
//! TUI read it; it depends on neither builder.
//!
//! Values print (`Field::show`) as tshark prints them in `-T json`: integers in
//! decimal unless the field is hexadecimal in Wireshark (`eth.type`,
//! `tcp.flags`, checksums), booleans as `1`/`0`, times as seconds.

use crate::link;
use crate::source::time::write_seconds;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A field's value, typed so filters can compare it later.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A text-only node (no value of its own).
    None,
    UInt(u64),
    /// A signed integer (`tcp.window_size_scalefactor`'s -1 and -2).
    Int(i64),
    /// An unsigned integer Wireshark shows in hex, with this many digits.
    Hex(u64, u8),
    Bool(bool),
    Str(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Mac([u8; 6]),
    /// A relative time in nanoseconds, shown with this many decimals.
    Seconds(i128, u8),
    Bytes(Vec<u8>),
}

impl Value {
    /// The value as tshark's JSON and `-T fields` print it.
    pub fn show(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::UInt(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Hex(v, w) => format!("0x{v:0width$x}", width = *w as usize),
            Value::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
            Value::Str(s) => s.clone(),
            Value::Ipv4(a) => a.to_string(),
            Value::Ipv6(a) => a.to_string(),
            Value::Mac(m) => link::Mac(m).to_string(),
            Value::Seconds(n, d) => {
                let mut s = String::new();
                write_seconds(&mut s, *n, *d as usize);
                s
            }
            Value::Bytes(b) => b
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Display-filter name; empty for text-only nodes.
    pub name: &'static str,
    pub value: Value,
    /// The line shown in the details view.
    pub label: String,
    /// Byte span in the frame: start and length.
    pub start: usize,
    pub len: usize,
    pub children: Vec<Field>,
    /// Wireshark's hidden fields: filterable, in JSON and `-T fields`, not
    /// shown by `-V`.
    pub hidden: bool,
}

impl Field {
    pub fn new(name: &'static str, value: Value, label: String, start: usize, len: usize) -> Self {
        Field {
            name,
            value,
            label,
            start,
            len,
            children: Vec::new(),
            hidden: false,
        }
    }

    pub fn text(label: String, start: usize, len: usize) -> Self {
        Field::new("", Value::None, label, start, len)
    }

    pub fn with(mut self, children: Vec<Field>) -> Self {
        self.children = children;
        self
    }
}

/// One protocol layer (`frame`, `eth`, `ip`, `tcp`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Wireshark's protocol filter name.
    pub proto: &'static str,
    /// The layer's summary line.
    pub label: String,
    pub start: usize,
    pub len: usize,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tree {
    pub layers: Vec<Layer>,
}

impl Tree {
    /// Every field in depth-first order (for `-T fields` and filters).
    pub fn walk(&self) -> impl Iterator<Item = &Field> {
        fn rec<'a>(f: &'a Field, out: &mut Vec<&'a Field>) {
            out.push(f);
            for c in &f.children {
                rec(c, out);
            }
        }
        let mut all = Vec::new();
        for l in &self.layers {
            for f in &l.fields {
                rec(f, &mut all);
            }
        }
        all.into_iter()
    }

    /// The first value of the named field.
    pub fn first(&self, name: &str) -> Option<&Value> {
        self.walk().find(|f| f.name == name).map(|f| &f.value)
    }
}
