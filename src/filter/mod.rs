//! Wireshark display filters (`-Y`): lexer and parser ([`syntax`]), type
//! check and literal conversion against the field registry ([`fields`]),
//! and a compiled evaluator over one packet's fields ([`values`]).
//!
//! Semantics are Wireshark 4.x's: a field name alone tests existence; a
//! comparison of a multi-valued field (`tcp.port`, `ip.addr`) is true when
//! any value satisfies it, except `!=`, which is "no value equal" (`~=` /
//! `any_ne` is "any value different"); `in {..}` is any value in the set;
//! `and` binds tighter than `xor`, which binds tighter than `or`.
//!
//! ```
//! use coffeeshark::filter::Filter;
//! let f = Filter::compile("tcp.port in {5030 5031} && !tcp.analysis.flags").unwrap();
//! assert!(Filter::compile("tcp.prot == 1").is_err());
//! # let _ = f;
//! ```
//!
//! Compile once, then [`Filter::matches`] per packet: only the fields the
//! filter names are computed, the common ones straight from the decoded
//! headers; the field tree is built only for a packet whose evaluation
//! reaches a field without a fast extractor.

pub mod fields;
pub mod format;
pub mod syntax;
pub mod values;

use crate::model::Packet;
use fields::{FieldId, Ftype};
use std::cmp::Ordering;
use std::fmt;
use syntax::{CmpOp, Expr, Operand, SetItem, Slice, Spanned};
use values::{FieldRef, PacketFields, Val};

/// A compile error, with the byte span of the offending place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
    pub start: usize,
    pub len: usize,
}

impl FilterError {
    pub fn new(message: String, start: usize, len: usize) -> Self {
        FilterError {
            message,
            start,
            len,
        }
    }

    /// The message, the expression and a caret line under the offending
    /// place, as tshark prints them (indented by four spaces).
    pub fn render(&self, expr: &str) -> String {
        let col = expr
            .get(..self.start.min(expr.len()))
            .map_or(0, |s| s.chars().count());
        let width = expr
            .get(self.start.min(expr.len())..(self.start + self.len).min(expr.len()))
            .map_or(0, |s| s.chars().count());
        format!(
            "{}\n    {}\n    {}^{}",
            self.message,
            expr,
            " ".repeat(col),
            "~".repeat(width.saturating_sub(1))
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}

/// A literal converted to the type of the field it is compared with.
#[derive(Debug, Clone)]
enum Lit {
    Int(i128),
    Time(i128),
    /// Address and mask (CIDR); a plain address has an all-ones mask.
    V4(u32, u32),
    V6(u128, u128),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, Copy)]
struct Operand_ {
    field: FieldRef,
    slice: Option<Slice>,
}

#[derive(Debug)]
enum Rhs {
    Lit(Lit),
    Field(Operand_),
    Regex(regex::bytes::Regex),
}

#[derive(Debug)]
enum SetEl {
    One(Lit),
    Range(Lit, Lit),
}

#[derive(Debug)]
enum Node {
    Or(Box<Node>, Box<Node>),
    Xor(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Exists(Operand_),
    Cmp { lhs: Operand_, op: CmpOp, rhs: Rhs },
    In { lhs: Operand_, set: Vec<SetEl> },
}

/// A compiled display filter.
#[derive(Debug)]
pub struct Filter {
    root: Node,
    fields: Vec<FieldId>,
    needs_tree: bool,
}

impl Filter {
    /// Parses and type-checks `expr`.
    pub fn compile(expr: &str) -> Result<Filter, FilterError> {
        let ast = syntax::parse(expr)?;
        let mut c = Compiler { fields: Vec::new() };
        let root = c.node(&ast)?;
        let needs_tree = c
            .fields
            .iter()
            .any(|&id| values::fast_kind(fields::def(id).name).is_none());
        Ok(Filter {
            root,
            fields: c.fields,
            needs_tree,
        })
    }

    /// The fields the filter reads, in order of appearance.
    pub fn fields(&self) -> &[FieldId] {
        &self.fields
    }

    /// Whether some field the filter names needs the field tree.
    pub fn needs_tree(&self) -> bool {
        self.needs_tree
    }

    /// Whether the filter can only match a frame that completes an HTTP,
    /// HTCPCP or TLS message: then frames without one need not be decoded
    /// at all (`read -Y 'http.response.code == 304'`). Conservative: `not`
    /// and `xor` say no.
    pub fn needs_messages(&self) -> bool {
        needs_messages(&self.root)
    }

    /// Evaluates the filter on a packet.
    pub fn matches(&self, pkt: &Packet<'_>) -> bool {
        self.matches_fields(&PacketFields::new(pkt))
    }

    /// Evaluates the filter on a packet's fields (shared with `-T fields`,
    /// so that the tree is built at most once per packet).
    pub fn matches_fields(&self, pf: &PacketFields<'_, '_>) -> bool {
        eval(&self.root, pf)
    }
}

// ---------------------------------------------------------------- compile

struct Compiler {
    fields: Vec<FieldId>,
}

fn quoted(s: &[u8]) -> String {
    format!("\"{}\"", String::from_utf8_lossy(s))
}

impl Compiler {
    fn node(&mut self, e: &Expr) -> Result<Node, FilterError> {
        Ok(match e {
            Expr::Or(a, b) => Node::Or(Box::new(self.node(a)?), Box::new(self.node(b)?)),
            Expr::Xor(a, b) => Node::Xor(Box::new(self.node(a)?), Box::new(self.node(b)?)),
            Expr::And(a, b) => Node::And(Box::new(self.node(a)?), Box::new(self.node(b)?)),
            Expr::Not(a) => Node::Not(Box::new(self.node(a)?)),
            Expr::Test(o) => Node::Exists(self.field_operand(o)?),
            Expr::Cmp {
                lhs,
                op,
                op_span,
                rhs,
            } => self.cmp(lhs, *op, *op_span, rhs)?,
            Expr::In {
                lhs,
                negated,
                items,
            } => {
                let l = self.field_operand(lhs)?;
                let t = operand_type(&l);
                self.check_op(&l, lhs, CmpOp::Eq)?;
                let mut set = Vec::new();
                for it in items {
                    set.push(match it {
                        SetItem::One(o) => SetEl::One(self.literal(o, t, &l)?),
                        SetItem::Range(a, b) => {
                            self.check_op(&l, lhs, CmpOp::Lt)?;
                            SetEl::Range(self.literal(a, t, &l)?, self.literal(b, t, &l)?)
                        }
                    });
                }
                let n = Node::In { lhs: l, set };
                if *negated {
                    Node::Not(Box::new(n))
                } else {
                    n
                }
            }
        })
    }

    /// An operand that must be a field (or protocol).
    fn field_operand(&mut self, o: &Spanned<Operand>) -> Result<Operand_, FilterError> {
        match &o.node {
            Operand::Word { text, slice } => match fields::lookup(text) {
                Some(id) => {
                    if !self.fields.contains(&id) {
                        self.fields.push(id);
                    }
                    Ok(Operand_ {
                        field: FieldRef::new(id),
                        slice: *slice,
                    })
                }
                None => Err(FilterError::new(
                    format!("\"{text}\" is neither a field nor a protocol name."),
                    o.start,
                    text.len(),
                )),
            },
            Operand::Str(s) => Err(FilterError::new(
                format!("{} is neither a field nor a protocol name.", quoted(s)),
                o.start,
                o.len,
            )),
        }
    }

    fn is_field(o: &Spanned<Operand>) -> bool {
        matches!(&o.node, Operand::Word { text, .. } if fields::lookup(text).is_some())
    }

    fn cmp(
        &mut self,
        lhs: &Spanned<Operand>,
        op: CmpOp,
        op_span: (usize, usize),
        rhs: &Spanned<Operand>,
    ) -> Result<Node, FilterError> {
        // `5030 == tcp.port`: a literal on the left, a field on the right.
        let (lhs, op, rhs) = if !Self::is_field(lhs) && Self::is_field(rhs) {
            let flipped = match op {
                CmpOp::Lt => CmpOp::Gt,
                CmpOp::Le => CmpOp::Ge,
                CmpOp::Gt => CmpOp::Lt,
                CmpOp::Ge => CmpOp::Le,
                CmpOp::Eq | CmpOp::AllNe | CmpOp::AnyNe | CmpOp::BitAnd => op,
                CmpOp::Contains | CmpOp::Matches => {
                    return Err(FilterError::new(
                        format!(
                            "Left side of \"{}\" expression must be a field or function.",
                            op.symbol()
                        ),
                        lhs.start,
                        lhs.len,
                    ))
                }
            };
            (rhs, flipped, lhs)
        } else {
            (lhs, op, rhs)
        };
        let l = self.field_operand(lhs)?;
        if op == CmpOp::Matches && !matches!(rhs.node, Operand::Str(_)) {
            return Err(FilterError::new(
                "Matches requires a double quoted string on the right side.".into(),
                rhs.start,
                rhs.len,
            ));
        }
        self.check_op(&l, lhs, op)?;
        let t = operand_type(&l);
        if let (CmpOp::Matches, Operand::Str(s)) = (op, &rhs.node) {
            let pattern = String::from_utf8_lossy(s);
            let re = regex::bytes::RegexBuilder::new(&pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    let detail = match &e {
                        regex::Error::Syntax(s) => {
                            s.lines().last().unwrap_or("").trim().to_string()
                        }
                        other => other.to_string(),
                    };
                    FilterError::new(
                        format!("{} is not a valid regular expression: {detail}", quoted(s)),
                        rhs.start,
                        rhs.len,
                    )
                })?;
            return Ok(Node::Cmp {
                lhs: l,
                op,
                rhs: Rhs::Regex(re),
            });
        }
        let _ = op_span;
        if Self::is_field(rhs) {
            let r = self.field_operand(rhs)?;
            let rt = operand_type(&r);
            if !compatible(t, rt) {
                return Err(FilterError::new(
                    format!(
                        "{} and {} are not of compatible types.",
                        field_text(lhs),
                        field_text(rhs)
                    ),
                    lhs.start,
                    rhs.start + rhs.len - lhs.start,
                ));
            }
            return Ok(Node::Cmp {
                lhs: l,
                op,
                rhs: Rhs::Field(r),
            });
        }
        let lit = if op == CmpOp::Contains && matches!(t, Ftype::Protocol) {
            self.literal(rhs, Ftype::Bytes, &l)?
        } else {
            self.literal(rhs, t, &l)?
        };
        Ok(Node::Cmp {
            lhs: l,
            op,
            rhs: Rhs::Lit(lit),
        })
    }

    /// Whether `op` applies to the operand's type.
    fn check_op(&self, l: &Operand_, lhs: &Spanned<Operand>, op: CmpOp) -> Result<(), FilterError> {
        let t = operand_type(l);
        let ok = match op {
            CmpOp::Eq | CmpOp::AllNe | CmpOp::AnyNe => t != Ftype::None,
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                !matches!(t, Ftype::None | Ftype::Protocol | Ftype::Boolean)
            }
            CmpOp::BitAnd => t.is_integer(),
            CmpOp::Contains => t.is_bytes_like(),
            CmpOp::Matches => matches!(t, Ftype::String | Ftype::Protocol | Ftype::Bytes),
        };
        if ok {
            return Ok(());
        }
        let sym = match op {
            CmpOp::Contains | CmpOp::Matches => op.symbol().to_string(),
            _ => format!("'{}'", op.symbol()),
        };
        Err(FilterError::new(
            format!(
                "{} (type={}) cannot participate in {sym} comparison.",
                field_text(lhs),
                t.pretty()
            ),
            lhs.start,
            lhs.len,
        ))
    }

    /// Converts a literal operand to type `t`.
    fn literal(&self, o: &Spanned<Operand>, t: Ftype, l: &Operand_) -> Result<Lit, FilterError> {
        let err = |m: String| Err(FilterError::new(m, o.start, o.len));
        let name = fields::def(l.field.id).name;
        let (text, is_str) = match &o.node {
            Operand::Word { text, slice: None } => (text.as_bytes().to_vec(), false),
            Operand::Word {
                text,
                slice: Some(_),
            } => {
                return err(format!(
                    "\"{text}\" is neither a field nor a protocol name."
                ))
            }
            Operand::Str(s) => (s.clone(), true),
        };
        let word = String::from_utf8_lossy(&text).into_owned();
        match t {
            Ftype::UInt(_) | Ftype::Int(_) | Ftype::FrameNum => {
                if is_str {
                    return err(format!(
                        "{} cannot be converted from a string (\"{word}\").",
                        t.pretty()
                    ));
                }
                let v = match parse_int(&word) {
                    Ok(v) => v,
                    Err(IntError::Overflow) => {
                        return err(format!("\"{word}\" causes an integer overflow."))
                    }
                    Err(IntError::Invalid) => {
                        let kind = if matches!(t, Ftype::Int(_)) {
                            "a signed integer"
                        } else {
                            "an unsigned integer"
                        };
                        return err(format!("\"{word}\" cannot be converted to {kind}."));
                    }
                };
                let (min, max) = match t {
                    Ftype::UInt(b) => (0i128, (1i128 << b) - 1),
                    Ftype::Int(b) => (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1),
                    _ => (0, u32::MAX as i128),
                };
                if v > max {
                    return err(format!("\"{word}\" too big for this field, maximum {max}."));
                }
                if v < min {
                    return err(format!(
                        "\"{word}\" too small for this field, minimum {min}."
                    ));
                }
                Ok(Lit::Int(v))
            }
            Ftype::Boolean => {
                let v = match word.as_str() {
                    "1" | "True" | "TRUE" | "true" => Some(1),
                    "0" | "False" | "FALSE" | "false" => Some(0),
                    w if !is_str => parse_int(w).ok().map(|v| (v != 0) as i128),
                    _ => None,
                };
                match v {
                    Some(v) => Ok(Lit::Int(v)),
                    None => err(format!(
                        "\"{word}\" cannot be found among the possible values for {name}."
                    )),
                }
            }
            Ftype::Ipv4 => {
                if is_str {
                    return err(format!(
                        "IPv4 address cannot be converted from a string (\"{word}\")."
                    ));
                }
                let (addr, bits) = match word.split_once('/') {
                    Some((a, b)) => (a, Some(b)),
                    None => (word.as_str(), None),
                };
                let Ok(a) = addr.parse::<std::net::Ipv4Addr>() else {
                    return err(format!(
                        "\"{word}\" is not a valid hostname or IPv4 address."
                    ));
                };
                let mask = match bits {
                    None => u32::MAX,
                    Some(b) => match b.parse::<u32>() {
                        Ok(n) if n <= 32 => u32::MAX.checked_shl(32 - n).unwrap_or(0),
                        Ok(n) => {
                            return err(format!(
                                "Netmask bits in a CIDR IPv4 address should be <= 32, not {n}"
                            ))
                        }
                        Err(_) => {
                            return err(format!(
                                "\"{word}\" is not a valid hostname or IPv4 address."
                            ))
                        }
                    },
                };
                Ok(Lit::V4(u32::from(a), mask))
            }
            Ftype::Ipv6 => {
                if is_str {
                    return err(format!(
                        "IPv6 address cannot be converted from a string (\"{word}\")."
                    ));
                }
                let (addr, bits) = match word.split_once('/') {
                    Some((a, b)) => (a, Some(b)),
                    None => (word.as_str(), None),
                };
                let Ok(a) = addr.parse::<std::net::Ipv6Addr>() else {
                    return err(format!(
                        "\"{word}\" is not a valid hostname or IPv6 address."
                    ));
                };
                let mask = match bits {
                    None => u128::MAX,
                    Some(b) => match b.parse::<u32>() {
                        Ok(n) if n <= 128 => u128::MAX.checked_shl(128 - n).unwrap_or(0),
                        Ok(n) => {
                            return err(format!(
                                "Prefix in a CIDR IPv6 address should be <= 128, not {n}"
                            ))
                        }
                        Err(_) => {
                            return err(format!(
                                "\"{word}\" is not a valid hostname or IPv6 address."
                            ))
                        }
                    },
                };
                Ok(Lit::V6(u128::from(a), mask))
            }
            Ftype::Ether => {
                if is_str {
                    return err(format!(
                        "Ethernet or other MAC address cannot be converted from a string (\"{word}\")."
                    ));
                }
                match parse_bytes(&word) {
                    Some(b) if b.len() == 6 => Ok(Lit::Bytes(b)),
                    Some(b) if b.len() < 6 => err(format!(
                        "\"{word}\" contains too few bytes to be a valid Ethernet address."
                    )),
                    Some(_) => err(format!(
                        "\"{word}\" contains too many bytes to be a valid Ethernet address."
                    )),
                    None => err(format!("\"{word}\" is not a valid Ethernet address.")),
                }
            }
            Ftype::Bytes | Ftype::Protocol => {
                if is_str {
                    return Ok(Lit::Bytes(text));
                }
                match parse_bytes(&word) {
                    Some(b) => Ok(Lit::Bytes(b)),
                    None => err(format!("\"{word}\" is not a valid byte string.")),
                }
            }
            Ftype::String => Ok(Lit::Bytes(text)),
            Ftype::RelTime => {
                if is_str {
                    return err(format!(
                        "Time offset cannot be converted from a string (\"{word}\")."
                    ));
                }
                match values::parse_seconds(&word) {
                    Some(n) => Ok(Lit::Time(n)),
                    None => err(format!("\"{word}\" is not a valid time.")),
                }
            }
            Ftype::None => err(format!(
                "{name} (type=Label) cannot participate in '==' comparison."
            )),
        }
    }
}

fn field_text(o: &Spanned<Operand>) -> String {
    match &o.node {
        Operand::Word { text, slice: None } => text.clone(),
        Operand::Word {
            text,
            slice: Some(_),
        } => format!("{text}[...]"),
        Operand::Str(s) => quoted(s),
    }
}

/// The type of an operand: a slice is always bytes.
fn operand_type(o: &Operand_) -> Ftype {
    if o.slice.is_some() {
        Ftype::Bytes
    } else {
        fields::def(o.field.id).ftype
    }
}

fn compatible(a: Ftype, b: Ftype) -> bool {
    (a.is_integer() && b.is_integer()) || (a.is_bytes_like() && b.is_bytes_like()) || a == b
}

enum IntError {
    Invalid,
    Overflow,
}

/// Wireshark's integer literals: decimal, `0x` hex, `0b` binary, leading-0
/// octal, optional sign.
fn parse_int(s: &str) -> Result<i128, IntError> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, h)
    } else if let Some(b) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, b)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(IntError::Invalid);
    }
    let v = u64::from_str_radix(digits, radix).map_err(|_| IntError::Overflow)? as i128;
    Ok(if neg { -v } else { v })
}

/// `42:52:45:57`, `42-52`, `4252.4557`, `42`: hex bytes with one kind of
/// separator, or one or two hex digits alone.
fn parse_bytes(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() {
        return None;
    }
    if s.len() <= 2 {
        return u8::from_str_radix(s, 16).ok().map(|b| vec![b]);
    }
    let sep = s.chars().find(|c| matches!(c, ':' | '-' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let mut out = Vec::new();
    for p in parts {
        // `xxxx.xxxx.xxxx` (Cisco MACs): groups of 4 digits.
        if p.is_empty() || p.len() % 2 != 0 && p.len() != 1 || p.len() > 4 {
            return None;
        }
        if p.len() == 4 && sep != '.' {
            return None;
        }
        if p.len() == 1 {
            out.push(u8::from_str_radix(p, 16).ok()?);
            continue;
        }
        for i in (0..p.len()).step_by(2) {
            out.push(u8::from_str_radix(&p[i..i + 2], 16).ok()?);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------- evaluate

/// Whether `n` is false on every frame that completes no application
/// message: HTTP, HTCPCP and TLS fields exist only on such frames
/// (`PacketFields::each`), so a test of one of them is false elsewhere,
/// and so is an `and` with such a side, or an `or` with two.
fn needs_messages(n: &Node) -> bool {
    let app = |o: &Operand_| {
        let def = fields::def(o.field.id);
        let proto = match def.ftype {
            Ftype::Protocol => def.name,
            _ => def.parent(),
        };
        def.alias_of.is_empty() && matches!(proto, "http" | "htcpcp" | "tls")
    };
    match n {
        Node::Or(a, b) => needs_messages(a) && needs_messages(b),
        Node::And(a, b) => needs_messages(a) || needs_messages(b),
        Node::Xor(..) | Node::Not(_) => false,
        Node::Exists(o) | Node::In { lhs: o, .. } => app(o),
        Node::Cmp { lhs, op, rhs } => {
            // `a != b` needs `a` (and is true when `b` has no value).
            let rhs_app = matches!(rhs, Rhs::Field(r) if app(r)) && *op != CmpOp::AllNe;
            app(lhs) || rhs_app
        }
    }
}

fn eval(n: &Node, pf: &PacketFields<'_, '_>) -> bool {
    match n {
        Node::Or(a, b) => eval(a, pf) || eval(b, pf),
        Node::Xor(a, b) => eval(a, pf) != eval(b, pf),
        Node::And(a, b) => eval(a, pf) && eval(b, pf),
        Node::Not(a) => !eval(a, pf),
        Node::Exists(o) => each_operand(pf, o, &mut |_| true),
        Node::Cmp { lhs, op, rhs } => match (op, rhs) {
            // "No value equal", and the field must be there (Wireshark 4.x).
            (CmpOp::AllNe, _) => {
                each_operand(pf, lhs, &mut |_| true) && !any_cmp(pf, lhs, CmpOp::Eq, rhs)
            }
            _ => any_cmp(pf, lhs, *op, rhs),
        },
        Node::In { lhs, set } => each_operand(pf, lhs, &mut |v| {
            set.iter().any(|el| match el {
                SetEl::One(l) => lit_cmp(&v, CmpOp::Eq, l),
                SetEl::Range(a, b) => lit_cmp(&v, CmpOp::Ge, a) && lit_cmp(&v, CmpOp::Le, b),
            })
        }),
    }
}

/// Calls `visit` on each value of the operand (sliced if it has a slice).
fn each_operand(
    pf: &PacketFields<'_, '_>,
    o: &Operand_,
    visit: &mut dyn FnMut(Val<'_>) -> bool,
) -> bool {
    match o.slice {
        None => pf.each(o.field, visit),
        Some(s) => pf.each(o.field, &mut |v| match v {
            Val::Bytes(b) => slice_bytes(b, s).is_some_and(|b| visit(Val::Bytes(b))),
            _ => false,
        }),
    }
}

fn slice_bytes(b: &[u8], s: Slice) -> Option<&[u8]> {
    let start = if s.start < 0 {
        b.len().checked_sub(s.start.unsigned_abs() as usize)?
    } else {
        s.start as usize
    };
    if start > b.len() {
        return None;
    }
    match s.len {
        None => Some(&b[start..]),
        Some(n) => {
            let end = start.checked_add(n as usize)?;
            // Wireshark: a slice reaching past the end does not exist.
            (end <= b.len()).then(|| &b[start..end])
        }
    }
}

fn any_cmp(pf: &PacketFields<'_, '_>, lhs: &Operand_, op: CmpOp, rhs: &Rhs) -> bool {
    match rhs {
        Rhs::Lit(l) => each_operand(pf, lhs, &mut |v| lit_cmp(&v, op, l)),
        Rhs::Regex(re) => each_operand(pf, lhs, &mut |v| match v {
            Val::Bytes(b) => re.is_match(b),
            _ => false,
        }),
        Rhs::Field(r) => {
            // Field against field: any pair. Right values are gathered as
            // literals first (rare, allocation is fine).
            let mut rights: Vec<Lit> = Vec::new();
            each_operand(pf, r, &mut |v| {
                rights.push(match v {
                    Val::Int(i) => Lit::Int(i),
                    Val::Time(t) => Lit::Time(t),
                    Val::V4(a) => Lit::V4(a, u32::MAX),
                    Val::V6(a) => Lit::V6(a, u128::MAX),
                    Val::Bytes(b) => Lit::Bytes(b.to_vec()),
                });
                false
            });
            each_operand(pf, lhs, &mut |v| rights.iter().any(|l| lit_cmp(&v, op, l)))
        }
    }
}

fn ord_ok(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::AllNe | CmpOp::AnyNe => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
        CmpOp::BitAnd | CmpOp::Contains | CmpOp::Matches => false,
    }
}

fn lit_cmp(v: &Val<'_>, op: CmpOp, l: &Lit) -> bool {
    match (v, l) {
        (Val::Int(a), Lit::Int(b)) => match op {
            CmpOp::BitAnd => a & b != 0,
            _ => ord_ok(op, a.cmp(b)),
        },
        (Val::Time(a), Lit::Time(b)) => ord_ok(op, a.cmp(b)),
        (Val::V4(a), Lit::V4(b, m)) => match op {
            CmpOp::Eq | CmpOp::AllNe | CmpOp::AnyNe => ord_ok(op, (a & m).cmp(&(b & m))),
            _ => ord_ok(op, a.cmp(b)),
        },
        (Val::V6(a), Lit::V6(b, m)) => match op {
            CmpOp::Eq | CmpOp::AllNe | CmpOp::AnyNe => ord_ok(op, (a & m).cmp(&(b & m))),
            _ => ord_ok(op, a.cmp(b)),
        },
        (Val::Bytes(a), Lit::Bytes(b)) => match op {
            CmpOp::Contains => {
                b.is_empty() || (b.len() <= a.len() && a.windows(b.len()).any(|w| w == &b[..]))
            }
            _ => ord_ok(op, a.cmp(&b.as_slice())),
        },
        _ => false,
    }
}
