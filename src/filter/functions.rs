//! Display-filter functions (tshark 4.0): `len`, `count`, `string`,
//! `upper`, `lower`, `min`, `max`, `abs` — their checks (arity, argument
//! kinds and types, with tshark's messages) and their evaluation.
//!
//! Per value: `len` (bytes of each value), `string`, `upper`, `lower`,
//! `abs`. Over all values: `count` (no value when the field is absent),
//! `min`/`max` (over every value of every argument). Integer results
//! allocate nothing; `string`/`upper`/`lower` build each string once.

use super::compile::{Compiler, FieldOp, VExpr};
use super::eval::each;
use super::fields::{self, Ftype};
use super::parser::{Spanned, Value};
use super::values::FieldRef;
use super::values::{PacketFields, Val};
use super::FilterError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// Byte length of each value; integers count their field's width.
    Len(u8),
    Count,
    /// Text of each value, by the argument's type.
    String(Ftype),
    Upper,
    Lower,
    Min,
    Max,
    Abs,
}

const NAMES: &[&str] = &[
    "len", "count", "string", "upper", "lower", "min", "max", "abs",
];

/// Whether tshark 4.0 has a function of this name.
pub fn exists(name: &str) -> bool {
    NAMES.contains(&name)
}

/// The type a call yields, for typing the comparison around it. Unknown
/// functions say `None`-typed `Label` so that compiling reports them.
pub fn result_type(name: &str, args: &[Spanned<Value>], c: &Compiler<'_, '_>) -> Option<Ftype> {
    Some(match name {
        "len" | "count" => Ftype::UInt(32),
        "string" | "upper" | "lower" => Ftype::String,
        "min" | "max" | "abs" => args.iter().find_map(|a| c.infer(a)).unwrap_or(Ftype::None),
        _ => Ftype::None,
    })
}

fn err<T>(m: String, start: usize, len: usize) -> Result<T, FilterError> {
    Err(FilterError::new(m, start, len))
}

fn int_width(t: Ftype) -> u8 {
    match t {
        Ftype::UInt(b) | Ftype::Int(b) => b.div_ceil(8),
        Ftype::FrameNum => 4,
        Ftype::RelTime => 8,
        _ => 1,
    }
}

pub fn compile(
    c: &mut Compiler<'_, '_>,
    name: &str,
    name_len: usize,
    args: &[Spanned<Value>],
    whole: &Spanned<Value>,
) -> Result<VExpr, FilterError> {
    if !NAMES.contains(&name) {
        return err(
            format!("Function '{name}' does not exist"),
            whole.start,
            name_len,
        );
    }
    let (min_args, max_args) = match name {
        "min" | "max" => (1, usize::MAX),
        _ => (1, 1),
    };
    if args.len() < min_args {
        return err(
            format!("Function {name} needs at least {min_args} arguments."),
            whole.start,
            name_len,
        );
    }
    if args.len() > max_args {
        return err(
            format!("Function {name} can only accept {max_args} arguments."),
            whole.start,
            name_len,
        );
    }
    let a = &args[0];
    let field_arg = |c: &mut Compiler<'_, '_>| -> Result<(FieldOp, Ftype), FilterError> {
        let only = || {
            let m = format!("Only fields can be used as parameter for {name}()");
            // tshark points at a word, not at a slice.
            if matches!(a.node, Value::Word { slice: Some(_), .. }) {
                FilterError::plain(m)
            } else {
                FilterError::new(m, a.start, a.len)
            }
        };
        match &a.node {
            Value::Word { slice: None, .. } => match (c.infer(a), c.value(a, None)) {
                (Some(t), Ok(VExpr::Field(op))) => Ok((op, t)),
                _ => Err(only()),
            },
            _ => Err(only()),
        }
    };
    let f = match name {
        "len" => {
            let (op, t) = field_arg(c)?;
            // Wireshark's `ip` item covers the header only (its value, for
            // `contains`, is the whole datagram).
            let op = if t == Ftype::Protocol && fields::def(op.field.id).name == "ip" {
                FieldOp {
                    field: FieldRef::ip_header(),
                    ..op
                }
            } else {
                op
            };
            return Ok(VExpr::Func(Func::Len(int_width(t)), vec![VExpr::Field(op)]));
        }
        "count" => {
            let (op, _) = field_arg(c)?;
            return Ok(VExpr::Func(Func::Count, vec![VExpr::Field(op)]));
        }
        "string" => {
            let (op, t) = field_arg(c)?;
            let ok = (t.is_integer() && t != Ftype::Boolean)
                || matches!(t, Ftype::Ipv4 | Ftype::Ipv6 | Ftype::Ether);
            if !ok {
                let text = c.src.get(a.start..a.start + a.len).unwrap_or("");
                return err(
                    format!("String conversion for field \"{text}\" is not supported"),
                    a.start,
                    a.len,
                );
            }
            return Ok(VExpr::Func(Func::String(t), vec![VExpr::Field(op)]));
        }
        "upper" | "lower" => {
            if c.infer(a) != Some(Ftype::String) {
                return err(
                    format!("Only string type fields can be used as parameter for {name}()"),
                    a.start,
                    a.len,
                );
            }
            let v = c.value(a, Some(Ftype::String))?;
            let f = if name == "upper" {
                Func::Upper
            } else {
                Func::Lower
            };
            return Ok(VExpr::Func(f, vec![v]));
        }
        "abs" => Func::Abs,
        "min" => Func::Min,
        _ => Func::Max,
    };
    // min, max, abs: numbers (and, for min/max, addresses) of one type.
    let Some(t) = args.iter().find_map(|x| c.infer(x)) else {
        let text = c.src.get(a.start..a.start + a.len).unwrap_or("");
        return err(
            format!("Argument '{text}' is not valid for {name}()"),
            a.start,
            a.len,
        );
    };
    let numeric = (t.is_integer() && t != Ftype::Boolean) || t == Ftype::RelTime;
    if !(numeric || (f != Func::Abs && matches!(t, Ftype::Ipv4 | Ftype::Ipv6))) {
        return err(
            format!(
                "Argument '{}' is not valid for {name}()",
                c.src.get(a.start..a.start + a.len).unwrap_or("")
            ),
            a.start,
            a.len,
        );
    }
    let mut out = Vec::new();
    for x in args {
        if matches!(x.node, Value::Str(_)) {
            let text = c.src.get(x.start..x.start + x.len).unwrap_or("");
            return err(
                format!("Argument '{text}' is not valid for {name}()"),
                x.start,
                x.len,
            );
        }
        if let Some(xt) = c.infer(x) {
            if xt != t {
                return err(
                    format!(
                        "Arguments to '{name}' must have the same type (expected {}, got {})",
                        t.ft_name(),
                        xt.ft_name()
                    ),
                    x.start,
                    x.len,
                );
            }
        }
        out.push(c.value(x, Some(t))?);
    }
    Ok(VExpr::Func(f, out))
}

/// An owned copy of a value, for `min`/`max` across arguments.
#[derive(Clone, Copy)]
enum Best {
    Int(i128),
    Time(i128),
    V4(u32),
    V6(u128),
}

/// Calls `visit` with each value the call yields; true when `visit` did.
pub fn each_call(
    f: Func,
    args: &[VExpr],
    pf: &PacketFields<'_, '_>,
    visit: &mut dyn FnMut(Val<'_>) -> bool,
) -> bool {
    match f {
        Func::Len(width) => each(&args[0], pf, &mut |v| {
            let n = match v {
                Val::Bytes(b) => b.len(),
                Val::V4(_) => 4,
                Val::V6(_) => 16,
                Val::Int(_) | Val::Time(_) => width as usize,
            };
            visit(Val::Int(n as i128))
        }),
        Func::Count => {
            let mut n = 0i128;
            each(&args[0], pf, &mut |_| {
                n += 1;
                false
            });
            n > 0 && visit(Val::Int(n))
        }
        Func::String(t) => {
            let mut s = String::new();
            each(&args[0], pf, &mut |v| {
                s.clear();
                use std::fmt::Write;
                let _ = match v {
                    Val::Int(i) | Val::Time(i) => write!(s, "{i}"),
                    Val::V4(a) => write!(s, "{}", std::net::Ipv4Addr::from(a)),
                    Val::V6(a) => write!(s, "{}", std::net::Ipv6Addr::from(a)),
                    Val::Bytes(b) if t == Ftype::Ether => {
                        for (i, x) in b.iter().enumerate() {
                            let _ = write!(s, "{}{x:02x}", if i > 0 { ":" } else { "" });
                        }
                        Ok(())
                    }
                    Val::Bytes(b) => {
                        s.push_str(&String::from_utf8_lossy(b));
                        Ok(())
                    }
                };
                visit(Val::Bytes(s.as_bytes()))
            })
        }
        Func::Upper | Func::Lower => {
            let mut buf = Vec::new();
            each(&args[0], pf, &mut |v| match v {
                Val::Bytes(b) => {
                    buf.clear();
                    buf.extend(b.iter().map(|c| {
                        if f == Func::Upper {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    }));
                    visit(Val::Bytes(&buf))
                }
                _ => false,
            })
        }
        Func::Abs => each(&args[0], pf, &mut |v| match v {
            Val::Int(i) => visit(Val::Int(i.abs())),
            Val::Time(i) => visit(Val::Time(i.abs())),
            other => visit(other),
        }),
        Func::Min | Func::Max => {
            let mut best: Option<Best> = None;
            for a in args {
                each(a, pf, &mut |v| {
                    let (key, cand) = match v {
                        Val::Int(i) => (i, Best::Int(i)),
                        Val::Time(i) => (i, Best::Time(i)),
                        Val::V4(x) => (x as i128, Best::V4(x)),
                        Val::V6(x) => (x as i128, Best::V6(x)),
                        Val::Bytes(_) => return false,
                    };
                    let cur = best.map(|b| match b {
                        Best::Int(i) | Best::Time(i) => i,
                        Best::V4(x) => x as i128,
                        // Wraps for the top half, so compare as unsigned.
                        Best::V6(x) => x as i128,
                    });
                    let better = match (cur, cand, best) {
                        (None, ..) => true,
                        (_, Best::V6(x), Some(Best::V6(y))) => {
                            (f == Func::Min && x < y) || (f == Func::Max && x > y)
                        }
                        (Some(c), ..) => (f == Func::Min && key < c) || (f == Func::Max && key > c),
                    };
                    if better {
                        best = Some(cand);
                    }
                    false
                });
            }
            match best {
                None => false,
                Some(Best::Int(i)) => visit(Val::Int(i)),
                Some(Best::Time(i)) => visit(Val::Time(i)),
                Some(Best::V4(x)) => visit(Val::V4(x)),
                Some(Best::V6(x)) => visit(Val::V6(x)),
            }
        }
    }
}
