//! Evaluation of a compiled filter on one packet's fields.
//!
//! Values stream through callbacks (`each`): a field with several values,
//! arithmetic (every pair of values, as tshark), functions; nothing is
//! collected, and integer arithmetic allocates nothing. A comparison is
//! true for `any` when some pair of values satisfies it, for `all` when
//! every field it reads is present and every pair satisfies it — tshark
//! 4.0 reads the fields first and gives up when one is absent (`a != b`
//! needs both), then tests the values computed from them, so a slice past
//! the end (no value) passes `all`: `http.request.method[0:4] != "HEAD"`
//! matches `GET`. Division by zero and overflow give no value.

use super::compile::{FieldOp, Node, Rhs, SetEl, VExpr};
use super::functions::each_call;
use super::literal::Lit;
use super::parser::{ArOp, CmpOp, Quant, Range};
use super::values::{PacketFields, Val};
use std::cmp::Ordering;

pub fn eval(n: &Node, pf: &PacketFields<'_, '_>) -> bool {
    match n {
        Node::Or(a, b) => eval(a, pf) || eval(b, pf),
        Node::Xor(a, b) => eval(a, pf) != eval(b, pf),
        Node::And(a, b) => eval(a, pf) && eval(b, pf),
        Node::Not(a) => !eval(a, pf),
        Node::Exists(o) => each_field(o, pf, &mut |_| true),
        Node::NonZero(e) => each(e, pf, &mut |v| match v {
            Val::Int(i) | Val::Time(i) => i != 0,
            Val::V4(a) => a != 0,
            Val::V6(a) => a != 0,
            Val::Bytes(b) => b.iter().any(|&x| x != 0),
        }),
        Node::Cmp {
            lhs,
            op,
            quant,
            rhs,
        } => match rhs {
            Rhs::Regex(re) => quantified(*quant, lhs, pf, &mut |v| match v {
                Val::Bytes(b) => re.is_match(b),
                _ => false,
            }),
            Rhs::Val(VExpr::Lit(l)) => quantified(*quant, lhs, pf, &mut |v| lit_cmp(&v, *op, l)),
            Rhs::Val(r) => pairs(*quant, lhs, r, pf, *op),
        },
        Node::In {
            lhs,
            quant: Quant::Any,
            set,
        } => each(lhs, pf, &mut |v| set.iter().any(|el| in_el(&v, el, pf))),
        // tshark 4.0: `all x in {a, b}` is `all x == a || all x == b`.
        Node::In { lhs, set, .. } => set
            .iter()
            .any(|el| quantified(Quant::All, lhs, pf, &mut |v| in_el(&v, el, pf))),
    }
}

fn in_el(v: &Val<'_>, el: &SetEl, pf: &PacketFields<'_, '_>) -> bool {
    match el {
        SetEl::One(VExpr::Lit(l)) => lit_cmp(v, CmpOp::Eq, l),
        SetEl::One(e) => each(e, pf, &mut |w| val_cmp(v, CmpOp::Eq, &w)),
        SetEl::Range(a, b) => lit_cmp(v, CmpOp::Ge, a) && lit_cmp(v, CmpOp::Le, b),
    }
}

/// Whether every field `e` reads has a value (before slicing).
fn reads_exist(e: &VExpr, pf: &PacketFields<'_, '_>) -> bool {
    match e {
        VExpr::Field(o) => {
            let whole = FieldOp { slice: None, ..*o };
            each_field(&whole, pf, &mut |_| true)
        }
        VExpr::Lit(_) => true,
        VExpr::Refs(ls) => !ls.is_empty(),
        VExpr::Neg(x) => reads_exist(x, pf),
        VExpr::Arith(_, a, b) => reads_exist(a, pf) && reads_exist(b, pf),
        VExpr::Func(_, args) => args.iter().all(|a| reads_exist(a, pf)),
    }
}

/// `any`: some value passes `test`; `all`: there are values and all pass.
fn quantified(
    q: Quant,
    e: &VExpr,
    pf: &PacketFields<'_, '_>,
    test: &mut dyn FnMut(Val<'_>) -> bool,
) -> bool {
    match q {
        Quant::Any => each(e, pf, test),
        Quant::All => reads_exist(e, pf) && !each(e, pf, &mut |v| !test(v)),
    }
}

/// Two computed sides: every pair of values.
fn pairs(q: Quant, l: &VExpr, r: &VExpr, pf: &PacketFields<'_, '_>, op: CmpOp) -> bool {
    match q {
        Quant::Any => each(l, pf, &mut |a| each(r, pf, &mut |b| val_cmp(&a, op, &b))),
        Quant::All => {
            reads_exist(l, pf)
                && reads_exist(r, pf)
                && !each(l, pf, &mut |a| each(r, pf, &mut |b| !val_cmp(&a, op, &b)))
        }
    }
}

fn lit_val(l: &Lit) -> Val<'_> {
    match l {
        Lit::Int(i) => Val::Int(*i),
        Lit::Time(t) => Val::Time(*t),
        Lit::V4(a, _) => Val::V4(*a),
        Lit::V6(a, _) => Val::V6(*a),
        Lit::Bytes(b) => Val::Bytes(b),
    }
}

/// Calls `visit` with each value of `e`; true as soon as `visit` is.
pub fn each(e: &VExpr, pf: &PacketFields<'_, '_>, visit: &mut dyn FnMut(Val<'_>) -> bool) -> bool {
    match e {
        VExpr::Field(o) => each_field(o, pf, visit),
        VExpr::Lit(l) => visit(lit_val(l)),
        VExpr::Refs(ls) => ls.iter().any(|l| visit(lit_val(l))),
        VExpr::Neg(x) => each(x, pf, &mut |v| match v {
            Val::Int(i) => visit(Val::Int(-i)),
            Val::Time(t) => visit(Val::Time(-t)),
            _ => false,
        }),
        VExpr::Arith(op, a, b) => each(a, pf, &mut |x| {
            each(b, pf, &mut |y| match (x, y) {
                (Val::Bytes(p), Val::Bytes(q)) if *op == ArOp::BitAnd => {
                    // Rare (bytes & mask): one small buffer per pair.
                    let out: Vec<u8> = p.iter().zip(q).map(|(a, b)| a & b).collect();
                    visit(Val::Bytes(&out))
                }
                _ => match arith(*op, x, y) {
                    Some(v) => visit(v),
                    None => false,
                },
            })
        }),
        VExpr::Func(f, args) => each_call(*f, args, pf, visit),
    }
}

fn arith(op: ArOp, x: Val<'_>, y: Val<'_>) -> Option<Val<'static>> {
    let f = |a: i128, b: i128| -> Option<i128> {
        match op {
            ArOp::Add => a.checked_add(b),
            ArOp::Sub => a.checked_sub(b),
            ArOp::Mul => a.checked_mul(b),
            ArOp::Div => a.checked_div(b),
            ArOp::Mod => a.checked_rem(b),
            ArOp::BitAnd => Some(a & b),
        }
    };
    match (x, y) {
        (Val::Int(a), Val::Int(b)) => f(a, b).map(Val::Int),
        (Val::Time(a), Val::Time(b)) => f(a, b).map(Val::Time),
        _ => None,
    }
}

/// Whether layer `k` of `n` (1-based) is in the range (`#-1` the last).
pub fn layer_in(k: usize, n: usize, r: Range) -> bool {
    let start = if r.start < 0 {
        n as i64 + r.start + 1
    } else {
        r.start
    };
    let end = match r.len {
        None => n as i64,
        Some(l) => start.saturating_add(l as i64) - 1,
    };
    start >= 1 && (k as i64) >= start && (k as i64) <= end
}

/// Each value of a field operand: in its layers, sliced.
pub fn each_field(
    o: &FieldOp,
    pf: &PacketFields<'_, '_>,
    visit: &mut dyn FnMut(Val<'_>) -> bool,
) -> bool {
    let mut sliced = |v: Val<'_>| -> bool {
        let Some(s) = o.slice else {
            return visit(v);
        };
        let (v4, v6);
        let bytes: &[u8] = match v {
            Val::Bytes(b) => b,
            Val::V4(a) => {
                v4 = a.to_be_bytes();
                &v4
            }
            Val::V6(a) => {
                v6 = a.to_be_bytes();
                &v6
            }
            _ => return false,
        };
        slice_bytes(bytes, s).is_some_and(|b| visit(Val::Bytes(b)))
    };
    match o.layer {
        None => pf.each(o.field, &mut sliced),
        Some(r) => pf.each_in_layers(o.field, &|k, n| layer_in(k, n, r), &mut sliced),
    }
}

fn slice_bytes(b: &[u8], s: Range) -> Option<&[u8]> {
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
            let end = start.checked_add(usize::try_from(n).ok()?)?;
            // Wireshark: a slice reaching past the end does not exist.
            (end <= b.len()).then(|| &b[start..end])
        }
    }
}

fn ord_ok(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
        CmpOp::Contains | CmpOp::Matches => false,
    }
}

/// A value against a literal (which may be a CIDR block).
pub fn lit_cmp(v: &Val<'_>, op: CmpOp, l: &Lit) -> bool {
    match (v, l) {
        (Val::V4(a), Lit::V4(b, m)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            ord_ok(op, (a & m).cmp(&(b & m)))
        }
        (Val::V6(a), Lit::V6(b, m)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            ord_ok(op, (a & m).cmp(&(b & m)))
        }
        _ => val_cmp(v, op, &lit_val(l)),
    }
}

pub fn val_cmp(v: &Val<'_>, op: CmpOp, w: &Val<'_>) -> bool {
    match (v, w) {
        (Val::Int(a), Val::Int(b)) | (Val::Time(a), Val::Time(b)) => ord_ok(op, a.cmp(b)),
        (Val::V4(a), Val::V4(b)) => ord_ok(op, a.cmp(b)),
        (Val::V6(a), Val::V6(b)) => ord_ok(op, a.cmp(b)),
        (Val::Bytes(a), Val::Bytes(b)) => match op {
            CmpOp::Contains => {
                b.is_empty() || (b.len() <= a.len() && a.windows(b.len()).any(|x| x == *b))
            }
            _ => ord_ok(op, a.cmp(b)),
        },
        _ => false,
    }
}
