//! Evaluation of a compiled filter on one packet's fields.
//!
//! Values stream through callbacks (`each`): a field with several values,
//! arithmetic (every pair of values, as tshark), functions; nothing is
//! collected, and integer arithmetic allocates nothing.
//!
//! Comparisons follow tshark 4.0's virtual machine as observed: the fields
//! a comparison reads must all be present (`a != b` is false without `b`);
//! then `any` wants some pair of values to pass and `all` every pair, and
//! at least one value of every slice (`all x[9:2] == 0` is false past the
//! end); `a != b` is "no pair equal" and `any a != b` is "not every pair
//! equal" (so `http.request.method[0:4] != "HEAD"` matches `GET`).
//! Arithmetic keeps tshark's widths: an unsigned result of up to 32 bits
//! that overflows, the negation of a value above `i32::MAX`, a subtraction
//! below zero from an operand above `i32::MAX`, division by zero — no
//! value (64-bit fields alike with 64 bits).

use super::compile::{FieldOp, Node, Rhs, SetEl, VExpr, Width};
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
        } => {
            let reads =
                || reads_exist(lhs, pf) && !matches!(rhs, Rhs::Val(r) if !reads_exist(r, pf));
            let sliced = || {
                slices_nonempty(lhs, pf) && !matches!(rhs, Rhs::Val(r) if !slices_nonempty(r, pf))
            };
            match (quant, op) {
                // tshark 4.0: `a != b` is "not any equal", `any a != b` is
                // "not all equal"; both after reading the fields.
                (Quant::All, CmpOp::Ne) => reads() && !any_pair(lhs, rhs, CmpOp::Eq, pf),
                (Quant::Any, CmpOp::Ne) => {
                    reads() && !(sliced() && all_pairs(lhs, rhs, CmpOp::Eq, pf))
                }
                (Quant::All, _) => reads() && sliced() && all_pairs(lhs, rhs, *op, pf),
                (Quant::Any, _) => any_pair(lhs, rhs, *op, pf),
            }
        }
        Node::In {
            lhs,
            quant: Quant::Any,
            set,
        } => each(lhs, pf, &mut |v| set.iter().any(|el| in_el(&v, el, pf))),
        // tshark 4.0: `all x in {a, b}` is `all x == a || all x == b`.
        Node::In { lhs, set, .. } => set.iter().any(|el| {
            reads_exist(lhs, pf)
                && slices_nonempty(lhs, pf)
                && !each(lhs, pf, &mut |v| !in_el(&v, el, pf))
        }),
    }
}

/// Some pair of values satisfies `op` (an incomparable right side has
/// none).
fn any_pair(lhs: &VExpr, rhs: &Rhs, op: CmpOp, pf: &PacketFields<'_, '_>) -> bool {
    match rhs {
        Rhs::Incomparable => false,
        Rhs::Regex(re) => each(
            lhs,
            pf,
            &mut |v| matches!(v, Val::Bytes(b) if re.is_match(b)),
        ),
        Rhs::Val(VExpr::Lit(l)) => each(lhs, pf, &mut |v| lit_cmp(&v, op, l)),
        Rhs::Val(r) => each(lhs, pf, &mut |a| each(r, pf, &mut |b| val_cmp(&a, op, &b))),
    }
}

/// Every pair of values satisfies `op` (true when there is none).
fn all_pairs(lhs: &VExpr, rhs: &Rhs, op: CmpOp, pf: &PacketFields<'_, '_>) -> bool {
    match rhs {
        Rhs::Incomparable => true,
        Rhs::Regex(re) => !each(
            lhs,
            pf,
            &mut |v| !matches!(v, Val::Bytes(b) if re.is_match(b)),
        ),
        Rhs::Val(VExpr::Lit(l)) => !each(lhs, pf, &mut |v| !lit_cmp(&v, op, l)),
        Rhs::Val(r) => !each(lhs, pf, &mut |a| each(r, pf, &mut |b| !val_cmp(&a, op, &b))),
    }
}

fn in_el(v: &Val<'_>, el: &SetEl, pf: &PacketFields<'_, '_>) -> bool {
    match el {
        SetEl::One(VExpr::Lit(l)) => lit_cmp(v, CmpOp::Eq, l),
        SetEl::One(e) => each(e, pf, &mut |w| val_cmp(v, CmpOp::Eq, &w)),
        SetEl::Range(a, b) => lit_cmp(v, CmpOp::Ge, a) && lit_cmp(v, CmpOp::Le, b),
    }
}

/// Whether every field `e` reads has a value (before slicing): tshark
/// reads them first and fails the comparison when one is absent.
fn reads_exist(e: &VExpr, pf: &PacketFields<'_, '_>) -> bool {
    match e {
        VExpr::Field(o) => {
            let whole = FieldOp { slice: None, ..*o };
            each_field(&whole, pf, &mut |_| true)
        }
        VExpr::Lit(_) => true,
        VExpr::Refs(ls) => !ls.is_empty(),
        VExpr::Neg(_, x) => reads_exist(x, pf),
        VExpr::Arith(_, _, a, b) => reads_exist(a, pf) && reads_exist(b, pf),
        // A function without a result fails the test (`count` of an absent
        // field), but `min`/`max` skip absent arguments.
        VExpr::Func(..) => each(e, pf, &mut |_| true),
    }
}

/// Whether every slice in `e` has a value: an `all` comparison of a slice
/// past the end is false in tshark 4.0 (arithmetic that fails is not).
fn slices_nonempty(e: &VExpr, pf: &PacketFields<'_, '_>) -> bool {
    match e {
        VExpr::Field(o) => o.slice.is_none() || each_field(o, pf, &mut |_| true),
        VExpr::Neg(_, x) => slices_nonempty(x, pf),
        VExpr::Arith(_, _, a, b) => slices_nonempty(a, pf) && slices_nonempty(b, pf),
        VExpr::Lit(_) | VExpr::Refs(_) | VExpr::Func(..) => true,
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
        VExpr::Neg(w, x) => each(x, pf, &mut |v| match v {
            // tshark 4.0 negates an unsigned value into a signed one of the
            // same width, and fails (no value) when it does not fit.
            Val::Int(i) => match w {
                Width::U32 => i <= i32::MAX as i128 && visit(Val::Int(-i)),
                Width::U64 => i <= i64::MAX as i128 && visit(Val::Int(-i)),
                Width::I32 => i32::try_from(-i).is_ok() && visit(Val::Int(-i)),
                Width::I64 => i64::try_from(-i).is_ok() && visit(Val::Int(-i)),
                Width::Exact => visit(Val::Int(-i)),
            },
            Val::Time(t) => visit(Val::Time(-t)),
            _ => false,
        }),
        VExpr::Arith(op, w, a, b) => each(a, pf, &mut |x| {
            each(b, pf, &mut |y| match (x, y) {
                (Val::Bytes(p), Val::Bytes(q)) if *op == ArOp::BitAnd => {
                    // Rare (bytes & mask): one small buffer per pair.
                    let out: Vec<u8> = p.iter().zip(q).map(|(a, b)| a & b).collect();
                    visit(Val::Bytes(&out))
                }
                _ => match arith(*op, *w, x, y) {
                    Some(v) => visit(v),
                    None => false,
                },
            })
        }),
        VExpr::Func(f, args) => each_call(*f, args, pf, visit),
    }
}

fn arith(op: ArOp, w: Width, x: Val<'_>, y: Val<'_>) -> Option<Val<'static>> {
    // tshark 4.0 fails an operation whose result does not fit (no value).
    let wrap = |v: i128| -> Option<i128> {
        let fits = match w {
            Width::U32 => u32::try_from(v).is_ok(),
            Width::U64 => u64::try_from(v).is_ok(),
            Width::I32 => i32::try_from(v).is_ok(),
            Width::I64 => i64::try_from(v).is_ok(),
            Width::Exact => true,
        };
        fits.then_some(v)
    };
    let f = |a: i128, b: i128| -> Option<i128> {
        match op {
            ArOp::Add => a.checked_add(b).and_then(wrap),
            // Below zero, tshark's unsigned subtraction gives a signed
            // result of the same width.
            // result of the same width, from operands that fit it.
            ArOp::Sub => match w {
                Width::U32 if b > a => (a.max(b) <= i32::MAX as i128).then_some(a - b),
                Width::U64 if b > a => (a.max(b) <= i64::MAX as i128).then_some(a - b),
                _ => a.checked_sub(b).and_then(wrap),
            },
            ArOp::Mul => a.checked_mul(b).and_then(wrap),
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
        CmpOp::Lt | CmpOp::LenLt => o == Ordering::Less,
        CmpOp::Le | CmpOp::LenLe => o != Ordering::Greater,
        CmpOp::Gt | CmpOp::LenGt => o == Ordering::Greater,
        CmpOp::Ge | CmpOp::LenGe => o != Ordering::Less,
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
            CmpOp::LenLt | CmpOp::LenLe | CmpOp::LenGt | CmpOp::LenGe => {
                ord_ok(op, a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
            }
            _ => ord_ok(op, a.cmp(b)),
        },
        _ => false,
    }
}
