//! Wireshark display filters (`-Y`), the language of tshark 4.0
//! (docs/FILTERS.md): [`lexer`] and [`parser`] (AST with spans),
//! [`compile`] (names and types against the field registry [`fields`],
//! literals converted by [`literal`], [`functions`]), and [`eval`], a
//! compiled evaluator over one packet's fields ([`values`]).
//!
//! Semantics are tshark 4.0's: a field name alone tests existence and
//! arithmetic alone tests "not zero"; a comparison of multi-valued sides
//! (`tcp.port`, `ip.addr`) wants some pair of values to satisfy it (`==`,
//! `any`), every pair (`===`, `all`), no pair equal (`!=`) or not every
//! pair equal (`!==`), after reading every field it names (an absent one
//! makes it false: see [`eval`]); `in {..}` is any value in the set; `field#N` and
//! `field#[range]` pick protocol layers, `field[range]` bytes; functions
//! `len count string upper lower min max abs`; arithmetic `+ - * / % &`
//! with `{ }` for grouping. Wireshark 4.2's `xor`, `true`/`false`, sets
//! without commas and a literal on the left of a field are accepted too.
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

pub mod abs_time;
pub mod compile;
pub mod eval;
pub mod fast;
pub mod fields;
pub mod format;
pub mod functions;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod values;

use crate::model::Packet;
use compile::{Compiler, Node, Rhs, SetEl, VExpr};
use fields::{FieldId, Ftype};
pub use literal::Lit;
use parser::CmpOp;
use std::fmt;
use values::PacketFields;

/// A compile error, with the byte span of the offending place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
    pub start: usize,
    pub len: usize,
    /// tshark prints the message alone, without the expression and caret
    /// (an unknown `${macro}`).
    pub plain: bool,
}

impl FilterError {
    pub fn new(message: String, start: usize, len: usize) -> Self {
        FilterError {
            message,
            start,
            len,
            plain: false,
        }
    }

    /// An error tshark reports without pointing into the expression.
    pub fn plain(message: String) -> Self {
        FilterError {
            message,
            start: 0,
            len: 0,
            plain: true,
        }
    }

    /// The message, the expression and a caret line under the offending
    /// place, as tshark prints them (indented by four spaces).
    pub fn render(&self, expr: &str) -> String {
        if self.plain {
            return self.message.clone();
        }
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

/// A compiled display filter.
#[derive(Debug)]
pub struct Filter {
    root: Node,
    fields: Vec<FieldId>,
    needs_tree: bool,
}

impl Filter {
    /// Parses and type-checks `expr`. A field reference (`${ip.src}`) has
    /// no value, as on tshark's command line.
    pub fn compile(expr: &str) -> Result<Filter, FilterError> {
        Self::build(expr, None)
    }

    /// Like [`Filter::compile`], with `${field}` taking the values
    /// `refs` gives (the selected packet's, in the TUI).
    pub fn compile_with_refs(
        expr: &str,
        refs: &dyn Fn(FieldId) -> Vec<Lit>,
    ) -> Result<Filter, FilterError> {
        Self::build(expr, Some(refs))
    }

    fn build(expr: &str, refs: Option<compile::RefResolver<'_>>) -> Result<Filter, FilterError> {
        let ast = parser::parse(expr)?;
        let mut c = Compiler {
            src: expr,
            fields: Vec::new(),
            refs,
        };
        let root = c.node(&ast)?;
        let needs_tree = c
            .fields
            .iter()
            .any(|&id| values::fast_kind(fields::def(id).name).is_none())
            || uses_layers(&root);
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
        eval::eval(&self.root, pf)
    }
}

/// Whether a layer operand (`#N`) reads an application field, which goes
/// through the tree.
fn uses_layers(n: &Node) -> bool {
    fn v(e: &VExpr) -> bool {
        match e {
            VExpr::Field(o) => o.layer.is_some(),
            VExpr::Neg(_, x) => v(x),
            VExpr::Arith(_, _, a, b) => v(a) || v(b),
            VExpr::Func(_, args) => args.iter().any(v),
            VExpr::Lit(_) | VExpr::Refs(_) => false,
        }
    }
    match n {
        Node::Or(a, b) | Node::Xor(a, b) | Node::And(a, b) => uses_layers(a) || uses_layers(b),
        Node::Not(a) => uses_layers(a),
        Node::Exists(o) => o.layer.is_some(),
        Node::NonZero(e) => v(e),
        Node::Cmp { lhs, rhs, .. } => v(lhs) || matches!(rhs, Rhs::Val(r) if v(r)),
        Node::In { lhs, set, .. } => {
            v(lhs) || set.iter().any(|s| matches!(s, SetEl::One(e) if v(e)))
        }
    }
}

/// Whether `e` yields no value on a frame that completes no application
/// message: it reads an HTTP/HTCPCP/TLS field (which exist only on such
/// frames, `PacketFields::each`) in a way that needs a value of it.
fn strict_app(e: &VExpr) -> bool {
    let app = |o: &compile::FieldOp| {
        let def = fields::def(o.field.id);
        let proto = match def.ftype {
            Ftype::Protocol => def.name,
            _ => def.parent(),
        };
        o.field.fast != Some(values::Fast::Absent)
            && def.alias_of.is_empty()
            && matches!(proto, "http" | "htcpcp" | "tls")
    };
    match e {
        VExpr::Field(o) => app(o),
        VExpr::Neg(_, x) => strict_app(x),
        VExpr::Arith(_, _, a, b) => strict_app(a) || strict_app(b),
        VExpr::Func(functions::Func::Min | functions::Func::Max, args) => {
            args.iter().all(strict_app)
        }
        VExpr::Func(_, args) => args.iter().any(strict_app),
        VExpr::Lit(_) | VExpr::Refs(_) => false,
    }
}

/// Whether `n` is false on every frame that completes no application
/// message: a test of such a field is false elsewhere, and so is an `and`
/// with such a side, or an `or` with two. Both sides of a comparison need
/// a value (tshark 4.0, `!=` included).
fn needs_messages(n: &Node) -> bool {
    match n {
        Node::Or(a, b) => needs_messages(a) && needs_messages(b),
        Node::And(a, b) => needs_messages(a) || needs_messages(b),
        Node::Xor(..) | Node::Not(_) => false,
        Node::Exists(o) => strict_app(&VExpr::Field(*o)),
        Node::NonZero(e) | Node::In { lhs: e, .. } => strict_app(e),
        Node::Cmp { lhs, rhs, op, .. } => {
            strict_app(lhs) || matches!(rhs, Rhs::Val(r) if strict_app(r) && *op != CmpOp::Contains)
        }
    }
}
