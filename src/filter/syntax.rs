//! Lexer and parser of Wireshark's display-filter language (4.x): tokens
//! with byte positions, then an AST whose nodes keep the span they came
//! from, so errors can point at the offending place.
//!
//! Grammar (precedence low to high, as Wireshark's `grammar.lemon`):
//!
//! ```text
//! expr     = xor { ("or" | "||") xor }
//! xor      = and { ("xor" | "^^") and }
//! and      = unary { ("and" | "&&") unary }
//! unary    = ("not" | "!") unary | "(" expr ")" | relation
//! relation = operand [ cmp operand | "in" set | "not" "in" set ]
//! cmp      = "==" "!=" "~=" "<" ">" "<=" ">=" "&" | eq ne any_eq all_ne any_ne lt gt le ge
//!            contains matches "~"
//! operand  = word [ "[" slice "]" ] | "quoted string"
//! set      = "{" item { [","] item } "}"    item = operand [ ".." operand ]
//! ```
//!
//! The lexer is hand-written (a few dozen lines): Wireshark's unquoted
//! literals (`127.0.0.0/8`, `::1`, `42:52:45:57`, `5030..5031`) need
//! context that a generated lexer would not make simpler.

use super::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An unquoted word: field name, number, address, byte string.
    Word(String),
    /// A double-quoted string, escapes resolved (bytes: `\xhh` may be any byte).
    Str(Vec<u8>),
    /// An operator or punctuation.
    Punct(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub len: usize,
}

const PUNCTS: &[&str] = &[
    "==", "!=", "~=", "<=", ">=", "&&", "||", "^^", "..", "<", ">", "!", "&", "(", ")", "{", "}",
    "[", "]", ",", "~",
];

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-')
}

/// Splits an expression into tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < src.len() {
        let c = src[i..].chars().next().expect("in bounds");
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c == '"' {
            let (s, end) = lex_string(src, i)?;
            out.push(Token {
                tok: Tok::Str(s),
                start: i,
                len: end - i,
            });
            i = end;
            continue;
        }
        if is_word_char(c) {
            let start = i;
            let mut end = i;
            while end < src.len() {
                let ch = src[end..].chars().next().expect("in bounds");
                if !is_word_char(ch) {
                    break;
                }
                // `5030..5031`: a range operator inside a word ends it.
                if ch == '.' && bytes.get(end + 1) == Some(&b'.') {
                    break;
                }
                end += ch.len_utf8();
            }
            if end == start {
                // A lone `.` before `..`: fall through to punctuation.
            } else {
                out.push(Token {
                    tok: Tok::Word(src[start..end].to_string()),
                    start,
                    len: end - start,
                });
                i = end;
                continue;
            }
        }
        if let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            out.push(Token {
                tok: Tok::Punct(p),
                start: i,
                len: p.len(),
            });
            i += p.len();
            continue;
        }
        return Err(FilterError::new(
            format!("\"{c}\" was unexpected in this context."),
            i,
            c.len_utf8(),
        ));
    }
    Ok(out)
}

/// A quoted string starting at `start` (the `"`): its bytes and the end offset.
fn lex_string(src: &str, start: usize) -> Result<(Vec<u8>, usize), FilterError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let esc_start = i;
                i += 1;
                let Some(&e) = b.get(i) else { break };
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'0'..=b'7' => {
                        let mut v = (e - b'0') as u32;
                        let mut n = 1;
                        while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                            v = v * 8 + (b[i] - b'0') as u32;
                            i += 1;
                            n += 1;
                        }
                        if v > 255 {
                            return Err(FilterError::new(
                                format!("{} is not a valid octal escape.", &src[esc_start..i]),
                                esc_start,
                                i - esc_start,
                            ));
                        }
                        out.push(v as u8);
                    }
                    b'x' => {
                        let mut v = 0u32;
                        let mut n = 0;
                        while n < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                            v = v * 16 + (b[i] as char).to_digit(16).expect("hex");
                            i += 1;
                            n += 1;
                        }
                        if n == 0 {
                            return Err(FilterError::new(
                                "\\x escape with no hex digits.".into(),
                                esc_start,
                                2,
                            ));
                        }
                        out.push(v as u8);
                    }
                    // `\\`, `\"` and any other character stand for themselves.
                    other => {
                        // Keep multi-byte characters whole.
                        let ch_start = i - 1;
                        let ch = src[ch_start..].chars().next().expect("in bounds");
                        if other.is_ascii() {
                            out.push(other);
                        } else {
                            out.extend_from_slice(ch.to_string().as_bytes());
                            i = ch_start + ch.len_utf8();
                        }
                    }
                }
            }
            _ => {
                let ch = src[i..].chars().next().expect("in bounds");
                out.extend_from_slice(&src.as_bytes()[i..i + ch.len_utf8()]);
                i += ch.len_utf8();
            }
        }
    }
    Err(FilterError::new(
        "The final quote was missing from a quoted string.".into(),
        start,
        src.len() - start,
    ))
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// Any value equal.
    Eq,
    /// No value equal (Wireshark 4.x `!=`, `all_ne`).
    AllNe,
    /// Any value different (`~=`, `any_ne`).
    AnyNe,
    Lt,
    Le,
    Gt,
    Ge,
    /// Bit test: any value with `value & mask != 0`.
    BitAnd,
    Contains,
    Matches,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::AllNe => "!=",
            CmpOp::AnyNe => "~=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::BitAnd => "&",
            CmpOp::Contains => "contains",
            CmpOp::Matches => "matches",
        }
    }
}

/// A slice of a field's bytes: `[start:len]`, `[start-end]`, `[start]`,
/// `[start:]`, `[:len]`. Negative starts count from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub start: i64,
    /// Length, or `None` for "to the end".
    pub len: Option<u64>,
}

/// An operand as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// An unquoted word (a field name or a literal, decided by the compiler).
    Word {
        text: String,
        slice: Option<Slice>,
    },
    Str(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub start: usize,
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetItem {
    One(Spanned<Operand>),
    Range(Spanned<Operand>, Spanned<Operand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    Xor(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// An operand alone: a field or protocol that must exist.
    Test(Spanned<Operand>),
    Cmp {
        lhs: Spanned<Operand>,
        op: CmpOp,
        op_span: (usize, usize),
        rhs: Spanned<Operand>,
    },
    In {
        lhs: Spanned<Operand>,
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
        end: src.len(),
    };
    let e = p.expr(0)?;
    if let Some(t) = p.peek() {
        return Err(unexpected(t));
    }
    Ok(e)
}

/// Nesting limit, so that `((((...` cannot overflow the stack.
const MAX_DEPTH: usize = 200;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    end: usize,
}

fn unexpected(t: &Token) -> FilterError {
    let text = match &t.tok {
        Tok::Word(w) => w.clone(),
        Tok::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
        Tok::Punct(p) => p.to_string(),
    };
    let text = if matches!(t.tok, Tok::Str(_)) {
        text
    } else {
        format!("\"{text}\"")
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
    "and", "or", "xor", "not", "in", "eq", "ne", "lt", "gt", "le", "ge", "contains", "matches",
    "any_eq", "all_ne", "any_ne",
];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn eof(&self) -> FilterError {
        FilterError::new("Unexpected end of filter expression.".into(), self.end, 0)
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        let t = self.toks.get(self.pos).cloned().ok_or_else(|| self.eof())?;
        self.pos += 1;
        Ok(t)
    }

    fn eat_punct(&mut self, ps: &[&str]) -> bool {
        if let Some(Token {
            tok: Tok::Punct(p), ..
        }) = self.peek()
        {
            if ps.contains(p) {
                self.pos += 1;
                return true;
            }
        }
        false
    }

    fn eat_word(&mut self, kws: &[&str]) -> bool {
        if self.peek().is_some_and(|t| word_is(t, kws)) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if depth > MAX_DEPTH {
            let at = self.peek().map(|t| t.start).unwrap_or(self.end);
            return Err(FilterError::new(
                "The filter expression is nested too deeply.".into(),
                at,
                0,
            ));
        }
        let mut lhs = self.xor(depth)?;
        while self.eat_punct(&["||"]) || self.eat_word(&["or"]) {
            let rhs = self.xor(depth)?;
            lhs = Expr::Or(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn xor(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut lhs = self.and(depth)?;
        while self.eat_punct(&["^^"]) || self.eat_word(&["xor"]) {
            let rhs = self.and(depth)?;
            lhs = Expr::Xor(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut lhs = self.unary(depth)?;
        while self.eat_punct(&["&&"]) || self.eat_word(&["and"]) {
            let rhs = self.unary(depth)?;
            lhs = Expr::And(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if depth > MAX_DEPTH {
            return self.expr(depth + 1);
        }
        if self.eat_punct(&["!"]) || self.eat_word(&["not"]) {
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.eat_punct(&["("]) {
            let e = self.expr(depth + 1)?;
            let t = self.next()?;
            if t.tok != Tok::Punct(")") {
                return Err(unexpected(&t));
            }
            return Ok(e);
        }
        self.relation()
    }

    fn operand(&mut self) -> Result<Spanned<Operand>, FilterError> {
        let t = self.next()?;
        match t.tok {
            Tok::Word(ref w) if KEYWORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) => {
                Err(unexpected(&t))
            }
            Tok::Word(w) => {
                let mut end = t.start + t.len;
                let slice = if self.eat_punct(&["["]) {
                    let (s, close_end) = self.slice()?;
                    end = close_end;
                    Some(s)
                } else {
                    None
                };
                Ok(Spanned {
                    node: Operand::Word { text: w, slice },
                    start: t.start,
                    len: end - t.start,
                })
            }
            Tok::Str(s) => Ok(Spanned {
                node: Operand::Str(s),
                start: t.start,
                len: t.len,
            }),
            Tok::Punct(_) => Err(unexpected(&t)),
        }
    }

    /// After `[`: the slice spec and `]`; returns the slice and the end offset.
    fn slice(&mut self) -> Result<(Slice, usize), FilterError> {
        let t = self.next()?;
        let (text, start) = match &t.tok {
            Tok::Word(w) => (w.clone(), t.start),
            _ => return Err(unexpected(&t)),
        };
        let close = self.next()?;
        if close.tok != Tok::Punct("]") {
            return Err(unexpected(&close));
        }
        let bad = || {
            FilterError::new(
                format!("\"{text}\" is not a valid slice."),
                start,
                text.len(),
            )
        };
        let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
        let slice = if let Some((a, b)) = text.split_once(':') {
            let start = if a.is_empty() { 0 } else { num(a)? };
            let len = if b.is_empty() {
                None
            } else {
                Some(u64::try_from(num(b)?).map_err(|_| bad())?)
            };
            Slice { start, len }
        } else if let Some((a, b)) = text[1..].split_once('-').map(|(a, b)| {
            // `[-3-4]` is not a thing; a leading `-` is a negative start.
            (&text[..a.len() + 1], b)
        }) {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(bad());
            }
            Slice {
                start: a,
                len: Some((b - a + 1) as u64),
            }
        } else {
            Slice {
                start: num(&text)?,
                len: Some(1),
            }
        };
        Ok((slice, close.start + close.len))
    }

    fn cmp_op(&mut self) -> Option<(CmpOp, (usize, usize))> {
        let t = self.peek()?;
        let span = (t.start, t.len);
        let op = match &t.tok {
            Tok::Punct(p) => match *p {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::AllNe,
                "~=" => CmpOp::AnyNe,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                ">=" => CmpOp::Ge,
                "&" => CmpOp::BitAnd,
                "~" => CmpOp::Matches,
                _ => return None,
            },
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "eq" | "any_eq" => CmpOp::Eq,
                "ne" | "all_ne" => CmpOp::AllNe,
                "any_ne" => CmpOp::AnyNe,
                "lt" => CmpOp::Lt,
                "le" => CmpOp::Le,
                "gt" => CmpOp::Gt,
                "ge" => CmpOp::Ge,
                "contains" => CmpOp::Contains,
                "matches" => CmpOp::Matches,
                _ => return None,
            },
            Tok::Str(_) => return None,
        };
        self.pos += 1;
        Some((op, span))
    }

    fn relation(&mut self) -> Result<Expr, FilterError> {
        let lhs = self.operand()?;
        if let Some((op, op_span)) = self.cmp_op() {
            let rhs = self.operand()?;
            return Ok(Expr::Cmp {
                lhs,
                op,
                op_span,
                rhs,
            });
        }
        let negated = if self.peek().is_some_and(|t| word_is(t, &["not"]))
            && self
                .toks
                .get(self.pos + 1)
                .is_some_and(|t| word_is(t, &["in"]))
        {
            self.pos += 1;
            true
        } else {
            false
        };
        if self.eat_word(&["in"]) {
            let open = self.next()?;
            if open.tok != Tok::Punct("{") {
                return Err(unexpected(&open));
            }
            let mut items = Vec::new();
            loop {
                if self.eat_punct(&["}"]) {
                    break;
                }
                if !items.is_empty() {
                    self.eat_punct(&[","]);
                }
                let a = self.operand()?;
                if self.eat_punct(&[".."]) {
                    let b = self.operand()?;
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
                negated,
                items,
            });
        }
        Ok(Expr::Test(lhs))
    }
}
