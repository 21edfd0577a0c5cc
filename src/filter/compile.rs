//! Semantic checks: the AST against the field registry, to a compiled
//! tree ([`Node`], [`VExpr`]) whose literals are already converted to the
//! type they are compared with, with tshark 4.0's error messages.
//!
//! Typing follows tshark: a comparison takes the type of its left side
//! (a field, a slice — bytes —, a function or arithmetic over a field);
//! a literal takes the type of what it meets; arithmetic is for integers
//! (`+ - * / % &`) and times (`+ -`), bitwise and also for bytes; a
//! constant left side is refused (we accept a plain literal on the left
//! of a field and flip the comparison, as Wireshark 4.2 does).

use super::fields::{self, FieldId, Ftype};
use super::functions::{self, Func};
use super::literal::{convert, Lit, Written};
use super::parser::{ArOp, CmpOp, Expr, Quant, Range, SetItem, Spanned, Value};
use super::values::FieldRef;
use super::FilterError;

/// A field operand: the field, an optional layer range (`#2`, `#[1-2]`)
/// and an optional byte slice.
#[derive(Debug, Clone, Copy)]
pub struct FieldOp {
    pub field: FieldRef,
    pub layer: Option<Range>,
    pub slice: Option<Range>,
}

/// How tshark 4.0 keeps an arithmetic result: unsigned fields of up to 32
/// bits in 32 bits (`+` and `*` wrap; a subtraction below zero turns
/// signed), 64-bit ones in 64, signed ones in 32 or 64; times exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    U32,
    U64,
    I32,
    I64,
    Exact,
}

impl Width {
    fn of(t: Ftype) -> Width {
        match t {
            Ftype::UInt(b) if b > 32 => Width::U64,
            Ftype::UInt(_) | Ftype::FrameNum => Width::U32,
            Ftype::Int(b) if b > 32 => Width::I64,
            Ftype::Int(_) => Width::I32,
            _ => Width::Exact,
        }
    }
}

/// A compiled value expression: yields zero or more values per packet.
#[derive(Debug)]
pub enum VExpr {
    Field(FieldOp),
    Lit(Lit),
    Neg(Width, Box<VExpr>),
    Arith(ArOp, Width, Box<VExpr>, Box<VExpr>),
    Func(Func, Vec<VExpr>),
    /// `${field}`: the values of the selected packet, fixed at compile time.
    Refs(Vec<Lit>),
}

#[derive(Debug)]
pub enum Rhs {
    Val(VExpr),
    Regex(regex::bytes::Regex),
    /// A negative constant against an unsigned field: tshark 4.0 cannot
    /// compare them, which fails `any` and passes `all` (every pair it
    /// could compare passed).
    Incomparable,
}

#[derive(Debug)]
pub enum SetEl {
    One(VExpr),
    Range(Lit, Lit),
}

#[derive(Debug)]
pub enum Node {
    Or(Box<Node>, Box<Node>),
    Xor(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Exists(FieldOp),
    /// Arithmetic alone: some value is not zero.
    NonZero(VExpr),
    Cmp {
        lhs: VExpr,
        op: CmpOp,
        quant: Quant,
        rhs: Rhs,
    },
    In {
        lhs: VExpr,
        quant: Quant,
        set: Vec<SetEl>,
    },
}

/// Gives the values of a field in the selected packet, for `${field}`
/// (the TUI); `None` means there is no selected packet (the command line).
pub type RefResolver<'a> = &'a dyn Fn(FieldId) -> Vec<Lit>;

pub struct Compiler<'s, 'r> {
    pub src: &'s str,
    pub fields: Vec<FieldId>,
    pub refs: Option<RefResolver<'r>>,
}

/// A name tshark knows as a protocol that coffeeshark never dissects
/// (`dns`, `arp`, `fc`; the filter names of `tshark -G protocols`): valid
/// in a filter, present in no packet.
pub fn foreign_protocol(name: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| include_str!("protocols.txt").lines().collect())
        .contains(name)
}

/// The field a word names: registered, or a protocol only tshark has.
fn field_of(text: &str) -> Option<FieldRef> {
    match fields::lookup(text) {
        Some(id) => Some(FieldRef::new(id)),
        None if foreign_protocol(text) => Some(FieldRef::absent_protocol()),
        None => None,
    }
}

fn err<T>(m: String, start: usize, len: usize) -> Result<T, FilterError> {
    Err(FilterError::new(m, start, len))
}

impl Compiler<'_, '_> {
    fn text(&self, v: &Spanned<Value>) -> &str {
        self.src.get(v.start..v.start + v.len).unwrap_or("")
    }

    fn note(&mut self, id: FieldId) {
        if !self.fields.contains(&id) {
            self.fields.push(id);
        }
    }

    /// The static type of a value expression, `None` for a constant.
    pub fn infer(&self, v: &Spanned<Value>) -> Option<Ftype> {
        match &v.node {
            Value::Word { text, slice, .. } => {
                let f = field_of(text)?;
                Some(if slice.is_some() {
                    Ftype::Bytes
                } else {
                    fields::def(f.id).ftype
                })
            }
            Value::Str(_) | Value::Char(_) => None,
            Value::Ref(name) => field_of(name).map(|f| fields::def(f.id).ftype),
            Value::Neg(x) => self.infer(x),
            Value::Arith(_, a, b) => self.infer(a).or_else(|| self.infer(b)),
            Value::Call { name, args, .. } => functions::result_type(name, args, self),
        }
    }

    pub fn node(&mut self, e: &Expr) -> Result<Node, FilterError> {
        let b = |n| Box::new(n);
        Ok(match e {
            Expr::Or(x, y) => Node::Or(b(self.node(x)?), b(self.node(y)?)),
            Expr::Xor(x, y) => Node::Xor(b(self.node(x)?), b(self.node(y)?)),
            Expr::And(x, y) => Node::And(b(self.node(x)?), b(self.node(y)?)),
            Expr::Not(x) => Node::Not(b(self.node(x)?)),
            Expr::Test(v) => self.test(v)?,
            Expr::Cmp {
                lhs,
                op,
                op_text,
                quant,
                rhs,
            } => self.cmp(lhs, *op, op_text, *quant, rhs)?,
            Expr::In {
                lhs,
                quant,
                negated,
                items,
            } => {
                let Some(t) = self.infer(lhs) else {
                    return Err(self.constant_lhs(lhs, "in"));
                };
                let l = self.value(lhs, Some(t))?;
                check_op(t, CmpOp::Eq, "==", self.text(lhs), lhs)?;
                let mut set = Vec::new();
                for it in items {
                    set.push(match it {
                        SetItem::One(v) => SetEl::One(self.operand(v, t, lhs)?),
                        SetItem::Range(a, z) => {
                            check_op(t, CmpOp::Lt, "<", self.text(lhs), lhs)?;
                            SetEl::Range(self.lit(a, t)?, self.lit(z, t)?)
                        }
                    });
                }
                // tshark 4.0: `all x not in {..}` is `not x in {..}` (no value
                // in the set), whatever the quantifier.
                let n = Node::In {
                    lhs: l,
                    quant: if *negated { Quant::Any } else { *quant },
                    set,
                };
                if *negated {
                    Node::Not(b(n))
                } else {
                    n
                }
            }
        })
    }

    fn test(&mut self, v: &Spanned<Value>) -> Result<Node, FilterError> {
        match &v.node {
            Value::Word { text, .. } if field_of(text).is_some() => match self.value(v, None)? {
                VExpr::Field(op) => Ok(Node::Exists(op)),
                other => Ok(Node::NonZero(other)),
            },
            Value::Word { .. } | Value::Str(_) | Value::Char(_) => err(
                format!("{} is neither a field nor a protocol name.", self.text(v)),
                v.start,
                v.len,
            ),
            Value::Call { name, name_len, .. } => {
                // An unknown function says so first (its arguments do not).
                if !functions::exists(name) {
                    self.value(v, None)?;
                }
                err(
                    "You cannot test whether a function is present.".into(),
                    v.start,
                    *name_len,
                )
            }
            Value::Ref(name) => {
                let Some(f) = field_of(name) else {
                    return Err(FilterError::plain(format!("macro '{name}' does not exist")));
                };
                let id = f.id;
                err(
                    format!(
                        "{name} <{}> is neither a field nor a protocol name.",
                        fields::def(id).ftype.ft_name()
                    ),
                    v.start + 2,
                    name.len(),
                )
            }
            Value::Neg(_) | Value::Arith(..) => match self.infer(v) {
                None => Err(self.constant_lhs(v, "")),
                Some(t) => Ok(Node::NonZero(self.value(v, Some(t))?)),
            },
        }
    }

    fn constant_lhs(&self, v: &Spanned<Value>, op: &str) -> FilterError {
        match &v.node {
            Value::Neg(_) | Value::Arith(..) => FilterError::new(
                "Constant arithmetic expression on the LHS is invalid.".into(),
                v.start,
                1,
            ),
            _ => FilterError::new(
                format!(
                    "Left side of \"{op}\" expression must be a field or function, not {}.",
                    self.text(v)
                ),
                v.start,
                v.len,
            ),
        }
    }

    fn cmp(
        &mut self,
        lhs: &Spanned<Value>,
        op: CmpOp,
        op_text: &str,
        quant: Quant,
        rhs: &Spanned<Value>,
    ) -> Result<Node, FilterError> {
        // Only what reads as a literal (a number, an address, a string), not
        // a misspelt field name, is flipped.
        let is_lit = |v: &Spanned<Value>| {
            matches!(&v.node, Value::Word { text, dot: false, .. }
                if field_of(text).is_none()
                    && text.starts_with(|c: char| c.is_ascii_digit() || c == ':'))
                || matches!(v.node, Value::Str(_) | Value::Char(_))
        };
        let (lhs, op, rhs) = match self.infer(lhs) {
            Some(_) => (lhs, op, rhs),
            // `5030 == tcp.port`: Wireshark 4.2 reads it; tshark 4.0 does not.
            None if is_lit(lhs)
                && self.infer(rhs).is_some()
                && !matches!(op, CmpOp::Contains | CmpOp::Matches) =>
            {
                let flipped = match op {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::Le => CmpOp::Ge,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Le,
                    other => other,
                };
                (rhs, flipped, lhs)
            }
            None => return Err(self.constant_lhs(lhs, op_text)),
        };
        let t = self.infer(lhs).expect("typed");
        let l = self.value(lhs, Some(t))?;
        if op == CmpOp::Matches && !matches!(rhs.node, Value::Str(_)) {
            return err(
                "Matches requires a double quoted string on the right side.".into(),
                rhs.start,
                rhs.len,
            );
        }
        check_op(t, op, op_text, self.text(lhs), lhs)?;
        if let (CmpOp::Matches, Value::Str(s)) = (op, &rhs.node) {
            let pattern = String::from_utf8_lossy(s);
            // PCRE2 in tshark is caseless unless the pattern says `(?-i)`.
            // Byte semantics (`.` is any byte but `\n`, as PCRE2 on raw
            // bytes) unless the pattern needs Unicode (`\p{..}`).
            let build = |unicode: bool| {
                regex::bytes::RegexBuilder::new(&pattern)
                    .case_insensitive(true)
                    .unicode(unicode)
                    .size_limit(1 << 20)
                    .build()
            };
            let re = build(false).or_else(|_| build(true)).map_err(|e| {
                let detail = match &e {
                    regex::Error::Syntax(s) => {
                        let last = s.lines().last().unwrap_or("").trim();
                        last.trim_start_matches("error: ").to_string()
                    }
                    other => other.to_string(),
                };
                FilterError::plain(format!("Regex compilation error: {detail}."))
            })?;
            return Ok(Node::Cmp {
                lhs: l,
                op,
                quant,
                rhs: Rhs::Regex(re),
            });
        }
        let want = if op == CmpOp::Contains && t == Ftype::Protocol {
            Ftype::Bytes
        } else {
            t
        };
        let r = self.operand(rhs, want, lhs)?;
        let op = match (
            op,
            matches!(t, Ftype::Bytes | Ftype::Ether | Ftype::Protocol),
        ) {
            (CmpOp::Lt, true) => CmpOp::LenLt,
            (CmpOp::Le, true) => CmpOp::LenLe,
            (CmpOp::Gt, true) => CmpOp::LenGt,
            (CmpOp::Ge, true) => CmpOp::LenGe,
            (op, _) => op,
        };
        let unsigned = matches!(t, Ftype::UInt(_) | Ftype::FrameNum)
            && matches!(lhs.node, Value::Word { .. } | Value::Call { .. });
        if unsigned && matches!(r, VExpr::Lit(Lit::Int(i)) if i < 0) {
            return Ok(Node::Cmp {
                lhs: l,
                op,
                quant,
                rhs: Rhs::Incomparable,
            });
        }
        Ok(Node::Cmp {
            lhs: l,
            op,
            quant,
            rhs: Rhs::Val(r),
        })
    }

    /// A right-hand operand of type `t`: a literal converted to it, or a
    /// typed expression of a compatible type.
    fn operand(
        &mut self,
        v: &Spanned<Value>,
        t: Ftype,
        lhs: &Spanned<Value>,
    ) -> Result<VExpr, FilterError> {
        // A slice compares with any field that has bytes (tshark slices it
        // whole).
        let slice_lhs = matches!(lhs.node, Value::Word { slice: Some(_), .. });
        if let Some(rt) = self.infer(v) {
            if !(compatible(t, rt) || (slice_lhs && sliceable(rt))) {
                return err(
                    format!(
                        "{} and {} are not of compatible types.",
                        self.text(lhs),
                        self.text(v)
                    ),
                    v.start,
                    v.len,
                );
            }
            return self.value(v, Some(rt));
        }
        self.value(v, Some(t))
    }

    fn lit(&self, v: &Spanned<Value>, t: Ftype) -> Result<Lit, FilterError> {
        let written = match &v.node {
            Value::Word {
                text,
                dot: false,
                layer: None,
                slice: None,
            } => Written::Word(text),
            Value::Str(s) => Written::Str(s),
            Value::Char(c) => Written::Char(*c),
            Value::Neg(x) => {
                return match self.lit(x, t)? {
                    Lit::Int(i) => Ok(Lit::Int(-i)),
                    Lit::Time(i) => Ok(Lit::Time(-i)),
                    _ => err(format!("{} cannot -.", t.ft_name()), v.start, v.len),
                }
            }
            _ => {
                return err(
                    format!("{} is neither a field nor a protocol name.", self.text(v)),
                    v.start,
                    v.len,
                )
            }
        };
        convert(&written, t, self.field_name(), v.start, v.len)
    }

    /// The field whose value strings a literal uses: the last field
    /// compiled, which is the left side it is compared with (the left side
    /// is compiled first).
    fn field_name(&self) -> &'static str {
        self.fields
            .last()
            .map(|&id| fields::def(id).name)
            .unwrap_or("")
    }

    /// Compiles a value expression; literals take type `want`.
    pub fn value(&mut self, v: &Spanned<Value>, want: Option<Ftype>) -> Result<VExpr, FilterError> {
        match &v.node {
            Value::Word {
                text,
                dot,
                layer,
                slice,
            } => {
                if let Some(field) = field_of(text) {
                    if field.fast != Some(super::values::Fast::Absent) {
                        self.note(field.id);
                    }
                    let def = fields::def(field.id);
                    if slice.is_some() && !sliceable(def.ftype) {
                        return err(
                            format!(
                                "\"{}\" is a {} and cannot be sliced into a sequence of bytes.",
                                def.name,
                                def.ftype.pretty()
                            ),
                            v.start,
                            text.len() + usize::from(*dot),
                        );
                    }
                    // Wireshark's `ip` item is the header: its slices and
                    // length are the header's (`contains` reads it all).
                    let field = if slice.is_some() && def.name == "ip" {
                        FieldRef::ip_header()
                    } else {
                        field
                    };
                    return Ok(VExpr::Field(FieldOp {
                        field,
                        layer: *layer,
                        slice: *slice,
                    }));
                }
                if *dot || layer.is_some() || slice.is_some() {
                    return err(
                        format!("{text} is neither a field nor a protocol name."),
                        v.start,
                        text.len() + usize::from(*dot),
                    );
                }
                match want {
                    Some(t) => Ok(VExpr::Lit(self.lit(v, t)?)),
                    None => err(
                        format!("{text} is neither a field nor a protocol name."),
                        v.start,
                        v.len,
                    ),
                }
            }
            Value::Str(_) | Value::Char(_) => match want {
                Some(t) => Ok(VExpr::Lit(self.lit(v, t)?)),
                None => err(
                    format!("{} is neither a field nor a protocol name.", self.text(v)),
                    v.start,
                    v.len,
                ),
            },
            Value::Ref(name) => {
                let Some(f) = field_of(name) else {
                    return Err(FilterError::plain(format!("macro '{name}' does not exist")));
                };
                let vals = self.refs.map(|r| r(f.id)).unwrap_or_default();
                Ok(VExpr::Refs(vals))
            }
            Value::Neg(x) => {
                let t = self.infer(v).or(want);
                if let Some(t) = t {
                    if !(t.is_integer() && t != Ftype::Boolean || t == Ftype::RelTime) {
                        return err(format!("{} cannot -.", t.ft_name()), v.start, v.len);
                    }
                }
                Ok(match self.value(x, t)? {
                    VExpr::Lit(Lit::Int(i)) => VExpr::Lit(Lit::Int(-i)),
                    VExpr::Lit(Lit::Time(i)) => VExpr::Lit(Lit::Time(-i)),
                    other => VExpr::Neg(t.map_or(Width::Exact, Width::of), Box::new(other)),
                })
            }
            Value::Arith(op, a, b) => {
                let t = self.infer(v).or(want);
                if let Some(t) = t {
                    let ok = match op {
                        ArOp::BitAnd => t.is_integer() && t != Ftype::Boolean || t == Ftype::Bytes,
                        ArOp::Add | ArOp::Sub => {
                            t.is_integer() && t != Ftype::Boolean || t == Ftype::RelTime
                        }
                        _ => t.is_integer() && t != Ftype::Boolean,
                    };
                    if !ok {
                        return err(
                            format!("{} cannot {}.", t.ft_name(), op.symbol()),
                            v.start,
                            v.len,
                        );
                    }
                    for side in [a, b] {
                        if matches!(side.node, Value::Str(_)) {
                            return err(
                                format!("{} is not a valid arithmetic operand.", self.text(side)),
                                side.start,
                                side.len,
                            );
                        }
                        if let Some(st) = self.infer(side) {
                            if !compatible(t, st) || st == Ftype::Boolean && t != st {
                                return err(
                                    format!("{} cannot {}.", st.ft_name(), op.symbol()),
                                    side.start,
                                    side.len,
                                );
                            }
                        }
                    }
                }
                let x = self.value(a, t)?;
                let y = self.value(b, t)?;
                let w = t.map_or(Width::Exact, Width::of);
                Ok(VExpr::Arith(*op, w, Box::new(x), Box::new(y)))
            }
            Value::Call {
                name,
                name_len,
                args,
            } => functions::compile(self, name, *name_len, args, v),
        }
    }
}

fn sliceable(t: Ftype) -> bool {
    matches!(
        t,
        Ftype::Protocol | Ftype::Bytes | Ftype::String | Ftype::Ether | Ftype::Ipv4 | Ftype::Ipv6
    )
}

/// tshark 4.0's comparable pairs: integers of any kind (booleans and
/// frame numbers included), byte sequences with MAC addresses, else the
/// same type (a string is not bytes, a protocol is only a protocol).
pub fn compatible(a: Ftype, b: Ftype) -> bool {
    let bytes = |t: Ftype| matches!(t, Ftype::Bytes | Ftype::Ether);
    (a.is_integer() && b.is_integer()) || (bytes(a) && bytes(b)) || a == b
}

/// Whether `op` applies to values of type `t`.
fn check_op(
    t: Ftype,
    op: CmpOp,
    sym: &str,
    text: &str,
    v: &Spanned<Value>,
) -> Result<(), FilterError> {
    let ok = match op {
        CmpOp::Eq | CmpOp::Ne => t != Ftype::None,
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            !matches!(t, Ftype::None | Ftype::Protocol | Ftype::Boolean)
        }
        CmpOp::LenLt | CmpOp::LenLe | CmpOp::LenGt | CmpOp::LenGe => true,
        CmpOp::Contains => t.is_bytes_like(),
        CmpOp::Matches => matches!(t, Ftype::String | Ftype::Protocol | Ftype::Bytes),
    };
    if ok {
        return Ok(());
    }
    err(
        format!(
            "{text} (type={}) cannot participate in {sym} comparison.",
            t.pretty()
        ),
        v.start,
        v.len,
    )
}
