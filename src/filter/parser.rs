//! The display-filter parser: tokens to an AST whose nodes keep the span
//! they came from, so that errors can point at the offending place.
//!
//! Grammar (precedence low to high, as Wireshark 4.0's `grammar.lemon`):
//!
//! ```text
//! expr     = xor { ("or" | "||") xor }
//! xor      = and { ("xor" | "^^") and }          (4.2; an extension here)
//! and      = unary { ("and" | "&&") unary }
//! unary    = ("not" | "!") unary | "(" expr ")" | relation
//! relation = ["any" | "all"] arith [ cmp arith | ["not"] "in" set ]
//! arith    = sum { ("&" | "bitwise_and") sum }
//! sum      = term { ("+" | "-") term }
//! term     = sign { ("*" | "/" | "%") sign }
//! sign     = ("-" | "+") sign | primary
//! primary  = word ["#" layer] ["[" slice "]"] | word "(" [arith {"," arith}] ")"
//!          | string | char | "{" arith "}" | "${" word "}"
//! set      = "{" item { [","] item } "}"    item = primary [ ".." primary ]
//! ```

use super::lexer::{lex, Tok, Token};
use super::FilterError;

/// Comparison operators, each with the quantifier it implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Matches,
    /// `<`, `<=`, `>`, `>=` on byte sequences, which tshark 4.0 orders by
    /// length first (the compiler picks these for bytes, not strings).
    LenLt,
    LenLe,
    LenGt,
    LenGe,
}

/// Whether some or every pair of values must satisfy a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    Any,
    All,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
}

impl ArOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArOp::Add => "+",
            ArOp::Sub => "-",
            ArOp::Mul => "*",
            ArOp::Div => "/",
            ArOp::Mod => "%",
            ArOp::BitAnd => "&",
        }
    }
}

/// `[start:len]`, `[start-end]`, `[start]`, `[start:]`, `[:len]`, for
/// byte slices and for layers (`#[..]`). Negative starts count from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: i64,
    /// Length, or `None` for "to the end".
    pub len: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub start: usize,
    pub len: usize,
}

/// A value expression as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unquoted word: a field name or a literal, decided by the compiler.
    /// `dot`: written with a leading `.` (a field for sure).
    Word {
        text: String,
        dot: bool,
        layer: Option<Range>,
        slice: Option<Range>,
    },
    Str(Vec<u8>),
    Char(u32),
    /// `${field}`: the field's value in the selected packet.
    Ref(String),
    Neg(Box<Spanned<Value>>),
    Arith(ArOp, Box<Spanned<Value>>, Box<Spanned<Value>>),
    Call {
        name: String,
        name_len: usize,
        args: Vec<Spanned<Value>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetItem {
    One(Spanned<Value>),
    Range(Spanned<Value>, Spanned<Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    Xor(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A value alone: a field that must exist, or arithmetic that must not
    /// be zero.
    Test(Spanned<Value>),
    Cmp {
        lhs: Spanned<Value>,
        op: CmpOp,
        op_text: &'static str,
        quant: Quant,
        rhs: Spanned<Value>,
    },
    In {
        lhs: Spanned<Value>,
        quant: Quant,
        negated: bool,
        items: Vec<SetItem>,
    },
}

pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(FilterError::new(
            "The filter expression is empty.".into(),
            0,
            0,
        ));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if let Some(t) = p.peek() {
        return Err(unexpected(t));
    }
    Ok(e)
}

/// Nesting limit, so that `((((...` or `{{{{...` cannot overflow the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

pub(crate) fn unexpected(t: &Token) -> FilterError {
    let text = match &t.tok {
        Tok::Word(w) => format!("\"{w}\""),
        Tok::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
        Tok::Char(_) => "character constant".to_string(),
        Tok::Punct(p) => format!("\"{p}\""),
    };
    FilterError::new(
        format!("{text} was unexpected in this context."),
        t.start,
        t.len,
    )
}

fn word_is(t: &Token, kws: &[&str]) -> bool {
    match &t.tok {
        Tok::Word(w) => kws.iter().any(|k| w.eq_ignore_ascii_case(k)),
        _ => false,
    }
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "xor",
    "not",
    "in",
    "eq",
    "ne",
    "lt",
    "gt",
    "le",
    "ge",
    "contains",
    "matches",
    "any_eq",
    "all_eq",
    "all_ne",
    "any_ne",
    "bitwise_and",
    "any",
    "all",
];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Token> {
        self.toks.get(self.pos + n)
    }

    /// tshark 4.0 prints this one without the expression.
    fn eof(&self) -> FilterError {
        FilterError::plain("Unexpected end of filter expression.".into())
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        let t = self.toks.get(self.pos).cloned().ok_or_else(|| self.eof())?;
        self.pos += 1;
        Ok(t)
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Punct(q), .. }) if *q == p)
    }

    fn eat_punct(&mut self, ps: &[&str]) -> Option<&'static str> {
        if let Some(Token {
            tok: Tok::Punct(p), ..
        }) = self.peek()
        {
            if ps.contains(p) {
                let p = *p;
                self.pos += 1;
                return Some(p);
            }
        }
        None
    }

    fn eat_word(&mut self, kws: &[&str]) -> bool {
        if self.peek().is_some_and(|t| word_is(t, kws)) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect_punct(&mut self, p: &str) -> Result<Token, FilterError> {
        let t = self.next()?;
        if t.tok
            != Tok::Punct(match p {
                ")" => ")",
                "]" => "]",
                "}" => "}",
                _ => "(",
            })
        {
            return Err(unexpected(&t));
        }
        Ok(t)
    }

    fn deeper(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let at = self.peek().map_or(0, |t| t.start);
            return Err(FilterError::new(
                "The filter expression is nested too deeply.".into(),
                at,
                0,
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, FilterError> {
        self.deeper()?;
        let mut lhs = self.xor()?;
        while self.eat_punct(&["||"]).is_some() || self.eat_word(&["or"]) {
            let rhs = self.xor()?;
            lhs = Expr::Or(Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn xor(&mut self) -> Result<Expr, FilterError> {
        let mut lhs = self.and()?;
        while self.eat_punct(&["^^"]).is_some() || self.eat_word(&["xor"]) {
            let rhs = self.and()?;
            lhs = Expr::Xor(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut lhs = self.unary()?;
        while self.eat_punct(&["&&"]).is_some() || self.eat_word(&["and"]) {
            let rhs = self.unary()?;
            lhs = Expr::And(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.eat_punct(&["!"]).is_some() || self.eat_word(&["not"]) {
            self.deeper()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        if self.eat_punct(&["("]).is_some() {
            let e = self.expr()?;
            self.expect_punct(")")?;
            return Ok(e);
        }
        self.relation()
    }

    fn cmp_op(&mut self) -> Option<(CmpOp, Quant, &'static str)> {
        let t = self.peek()?;
        use CmpOp::*;
        use Quant::*;
        let r = match &t.tok {
            Tok::Punct(p) => match *p {
                "==" => (Eq, Any, "=="),
                "!=" => (Ne, All, "!="),
                "===" => (Eq, All, "==="),
                "!==" | "~=" => (Ne, Any, "!=="),
                "<" => (Lt, Any, "<"),
                "<=" => (Le, Any, "<="),
                ">" => (Gt, Any, ">"),
                ">=" => (Ge, Any, ">="),
                "~" => (Matches, Any, "matches"),
                _ => return None,
            },
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "eq" | "any_eq" => (Eq, Any, "=="),
                "all_eq" => (Eq, All, "==="),
                "ne" | "all_ne" => (Ne, All, "!="),
                "any_ne" => (Ne, Any, "!=="),
                "lt" => (Lt, Any, "<"),
                "le" => (Le, Any, "<="),
                "gt" => (Gt, Any, ">"),
                "ge" => (Ge, Any, ">="),
                "contains" => (Contains, Any, "contains"),
                "matches" => (Matches, Any, "matches"),
                _ => return None,
            },
            _ => return None,
        };
        self.pos += 1;
        Some(r)
    }

    fn relation(&mut self) -> Result<Expr, FilterError> {
        let quant = if self.peek().is_some_and(|t| word_is(t, &["any", "all"]))
            && self.peek_at(1).is_some()
        {
            let all = word_is(self.peek().expect("peeked"), &["all"]);
            self.pos += 1;
            Some(if all { Quant::All } else { Quant::Any })
        } else {
            None
        };
        let lhs = self.arith()?;
        if let Some((op, q, op_text)) = self.cmp_op() {
            let rhs = self.arith()?;
            return Ok(Expr::Cmp {
                lhs,
                op,
                op_text,
                quant: quant.unwrap_or(q),
                rhs,
            });
        }
        let negated = self.peek().is_some_and(|t| word_is(t, &["not"]))
            && self.peek_at(1).is_some_and(|t| word_is(t, &["in"]));
        if negated {
            self.pos += 1;
        }
        if self.eat_word(&["in"]) {
            let open = self.next()?;
            if open.tok != Tok::Punct("{") {
                return Err(unexpected(&open));
            }
            let mut items = Vec::new();
            loop {
                if self.eat_punct(&["}"]).is_some() {
                    break;
                }
                // A negative number only where tshark 4.0 has one: first,
                // or after a comma (`{8000 - 1}` is not two members).
                let sep = items.is_empty() || self.eat_punct(&[","]).is_some();
                let a = self.set_value(sep)?;
                if self.eat_punct(&[".."]).is_some() {
                    let b = self.set_value(true)?;
                    items.push(SetItem::Range(a, b));
                } else {
                    items.push(SetItem::One(a));
                }
            }
            if items.is_empty() {
                return Err(FilterError::new("Empty set.".into(), open.start, open.len));
            }
            return Ok(Expr::In {
                lhs,
                quant: quant.unwrap_or(Quant::Any),
                negated,
                items,
            });
        }
        if quant.is_some() {
            return Err(match self.peek() {
                Some(t) => unexpected(t),
                None => self.eof(),
            });
        }
        Ok(Expr::Test(lhs))
    }

    /// A set member: a literal, a field or a negative number (no arithmetic,
    /// as tshark 4.0).
    fn set_value(&mut self, sign_ok: bool) -> Result<Spanned<Value>, FilterError> {
        if sign_ok && self.is_punct("-") {
            let t = self.next()?;
            let v = self.primary()?;
            return Ok(spanned(
                Value::Neg(Box::new(v.clone())),
                t.start,
                end_of(&v),
            ));
        }
        self.primary()
    }

    /// Arithmetic chains nest to the left, one level per operator: each
    /// counts against the nesting limit (compiling and evaluating recurse).
    fn arith(&mut self) -> Result<Spanned<Value>, FilterError> {
        let base = self.depth;
        let mut lhs = self.sum()?;
        while self.eat_punct(&["&"]).is_some() || self.eat_word(&["bitwise_and"]) {
            self.deeper()?;
            let rhs = self.sum()?;
            lhs = binary(ArOp::BitAnd, lhs, rhs);
        }
        self.depth = base;
        Ok(lhs)
    }

    fn sum(&mut self) -> Result<Spanned<Value>, FilterError> {
        let base = self.depth;
        let mut lhs = self.term()?;
        while let Some(p) = self.eat_punct(&["+", "-"]) {
            self.deeper()?;
            let rhs = self.term()?;
            let op = if p == "+" { ArOp::Add } else { ArOp::Sub };
            lhs = binary(op, lhs, rhs);
        }
        self.depth = base;
        Ok(lhs)
    }

    fn term(&mut self) -> Result<Spanned<Value>, FilterError> {
        let base = self.depth;
        let mut lhs = self.sign()?;
        while let Some(p) = self.eat_punct(&["*", "/", "%"]) {
            self.deeper()?;
            let rhs = self.sign()?;
            let op = match p {
                "*" => ArOp::Mul,
                "/" => ArOp::Div,
                _ => ArOp::Mod,
            };
            lhs = binary(op, lhs, rhs);
        }
        self.depth = base;
        Ok(lhs)
    }

    fn sign(&mut self) -> Result<Spanned<Value>, FilterError> {
        if let Some(p) = self.eat_punct(&["-", "+"]) {
            let start = self.toks[self.pos - 1].start;
            self.deeper()?;
            let v = self.sign()?;
            self.depth -= 1;
            if p == "+" {
                return Ok(v);
            }
            let end = end_of(&v);
            return Ok(spanned(Value::Neg(Box::new(v)), start, end));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Spanned<Value>, FilterError> {
        let t = self.next()?;
        match t.tok {
            Tok::Word(ref w) if KEYWORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) => {
                Err(unexpected(&t))
            }
            Tok::Word(ref w) if self.is_punct("(") => self.call(w.clone(), &t),
            Tok::Word(w) => {
                let mut end = t.start + t.len;
                let layer = if self.eat_punct(&["#"]).is_some() {
                    let (r, e) = self.layer()?;
                    end = e;
                    Some(r)
                } else {
                    None
                };
                let slice = if self.eat_punct(&["["]).is_some() {
                    let (r, e) = self.range()?;
                    end = e;
                    Some(r)
                } else {
                    None
                };
                let dot = w.starts_with('.') && w.len() > 1;
                let text = if dot { w[1..].to_string() } else { w };
                Ok(spanned(
                    Value::Word {
                        text,
                        dot,
                        layer,
                        slice,
                    },
                    t.start,
                    end,
                ))
            }
            Tok::Str(s) => Ok(spanned(Value::Str(s), t.start, t.start + t.len)),
            Tok::Char(c) => Ok(spanned(Value::Char(c), t.start, t.start + t.len)),
            Tok::Punct("{") => {
                self.deeper()?;
                let v = self.arith()?;
                self.depth -= 1;
                let close = self.expect_punct("}")?;
                // The group's span is its content's (errors point inside).
                let _ = close;
                Ok(v)
            }
            Tok::Punct("${") => {
                let name = self.next()?;
                let Tok::Word(n) = name.tok.clone() else {
                    return Err(unexpected(&name));
                };
                let close = self.expect_punct("}")?;
                Ok(spanned(Value::Ref(n), t.start, close.start + close.len))
            }
            // tshark 4.0 wants `{` after `$`: `$ip.src` fails at `ip.src`.
            Tok::Punct("$") => Err(unexpected(&self.next()?)),
            Tok::Punct(_) => Err(unexpected(&t)),
        }
    }

    fn call(&mut self, name: String, t: &Token) -> Result<Spanned<Value>, FilterError> {
        self.expect_punct("(")?;
        self.deeper()?;
        let mut args = Vec::new();
        if !self.is_punct(")") {
            loop {
                args.push(self.arith()?);
                if self.eat_punct(&[","]).is_none() {
                    break;
                }
            }
        }
        self.depth -= 1;
        let close = self.expect_punct(")")?;
        Ok(spanned(
            Value::Call {
                name,
                name_len: t.len,
                args,
            },
            t.start,
            close.start + close.len,
        ))
    }

    /// After `#`: a layer number or `[range]`.
    fn layer(&mut self) -> Result<(Range, usize), FilterError> {
        if self.eat_punct(&["["]).is_some() {
            return self.range();
        }
        let t = self.next()?;
        let bad = || unexpected(&t);
        match &t.tok {
            Tok::Word(w) => {
                let n: i64 = w.parse().map_err(|_| bad())?;
                Ok((
                    Range {
                        start: n,
                        len: Some(1),
                    },
                    t.start + t.len,
                ))
            }
            _ => Err(bad()),
        }
    }

    /// After `[`: the range and `]`; returns the range and the end offset.
    fn range(&mut self) -> Result<(Range, usize), FilterError> {
        let neg = self
            .eat_punct(&["-"])
            .map(|_| self.toks[self.pos - 1].start);
        let t = self.next()?;
        let (body, start) = match &t.tok {
            Tok::Word(w) => (w.clone(), neg.unwrap_or(t.start)),
            _ => return Err(unexpected(&t)),
        };
        let text = if neg.is_some() {
            format!("-{body}")
        } else {
            body
        };
        let close = self.next()?;
        if close.tok != Tok::Punct("]") {
            return Err(unexpected(&close));
        }
        let bad = || {
            FilterError::new(
                format!("\"{text}\" is not a valid range."),
                start,
                t.start + t.len - start,
            )
        };
        let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
        let r = if let Some((a, b)) = text.split_once(':') {
            let start = if a.is_empty() { 0 } else { num(a)? };
            let len = if b.is_empty() {
                None
            } else {
                Some(u64::try_from(num(b)?).map_err(|_| bad())?)
            };
            Range { start, len }
        } else if let Some(dash) = text[1..].find('-') {
            // `[-3-4]` is not a thing; a leading `-` is a negative start.
            let (a, b) = (num(&text[..dash + 1])?, num(&text[dash + 2..])?);
            // tshark 4.0 wants the end after the start (`[4-4]` is refused).
            if b <= a {
                return Err(FilterError::new(
                    format!("Range {a}-{b} isn't valid because {a} is greater or equal than {b}"),
                    start,
                    t.start + t.len - start,
                ));
            }
            if (a < 0) != (b < 0) {
                return Err(bad());
            }
            Range {
                start: a,
                len: Some((b - a + 1) as u64),
            }
        } else {
            Range {
                start: num(&text)?,
                len: Some(1),
            }
        };
        Ok((r, close.start + close.len))
    }
}

fn spanned<T>(node: T, start: usize, end: usize) -> Spanned<T> {
    Spanned {
        node,
        start,
        len: end - start,
    }
}

fn end_of<T>(s: &Spanned<T>) -> usize {
    s.start + s.len
}

fn binary(op: ArOp, a: Spanned<Value>, b: Spanned<Value>) -> Spanned<Value> {
    let (start, end) = (a.start, end_of(&b));
    spanned(Value::Arith(op, Box::new(a), Box::new(b)), start, end)
}
