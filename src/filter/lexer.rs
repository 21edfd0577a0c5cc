//! The display-filter lexer: the expression as tokens with byte positions.
//!
//! Wireshark's unquoted literals (`127.0.0.0/8`, `::1`, `42:52:45:57`,
//! `02-00-00-00-00-01`, `.udp.port`) are one word; a `-` *inside* a word
//! belongs to it, so `68-1` is one (invalid) word while `68 -1` and
//! `68 - 1` are a subtraction — tshark's whitespace rule for minus.
//! Strings resolve their escapes here (`\xhh`, octal, `\uXXXX`,
//! `\UXXXXXXXX`, the C letters); raw strings `r"…"` keep every backslash;
//! character constants `'H'`, `'\x50'`, `'\n'` become their byte value.

use super::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An unquoted word: field name, number, address, byte string.
    Word(String),
    /// A double-quoted or raw string, escapes resolved.
    Str(Vec<u8>),
    /// A character constant: its value.
    Char(u32),
    /// An operator or punctuation.
    Punct(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub len: usize,
}

/// Longest first, so that `===` is not read as `==` `=`.
const PUNCTS: &[&str] = &[
    "===", "!==", "==", "!=", "~=", "<=", ">=", "&&", "||", "^^", "..", "${", "<", ">", "!", "&",
    "(", ")", "{", "}", "[", "]", ",", "~", "+", "-", "*", "/", "%", "#", "$",
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
        let raw = matches!(c, 'r' | 'R') && bytes.get(i + 1) == Some(&b'"');
        if c == '"' || raw {
            let (s, end) = lex_string(src, if raw { i + 1 } else { i }, raw)?;
            out.push(tok(Tok::Str(s), i, end));
            i = end;
            continue;
        }
        if c == '\'' {
            let (v, end) = lex_char(src, i)?;
            out.push(tok(Tok::Char(v), i, end));
            i = end;
            continue;
        }
        // A word never starts with `-` or `/`: there they are operators.
        if is_word_char(c) && c != '-' && c != '/' && !src[i..].starts_with("..") {
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
            out.push(tok(Tok::Word(src[i..end].to_string()), i, end));
            i = end;
            continue;
        }
        if let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            out.push(tok(Tok::Punct(p), i, i + p.len()));
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

fn tok(tok: Tok, start: usize, end: usize) -> Token {
    Token {
        tok,
        start,
        len: end - start,
    }
}

/// One escape after a backslash at `b[at]`: the bytes it stands for and
/// where it ends. Shared by strings and character constants.
fn escape(src: &str, at: usize) -> Result<(Vec<u8>, usize), FilterError> {
    let b = src.as_bytes();
    let mut i = at + 1;
    let Some(&e) = b.get(i) else {
        return Ok((vec![b'\\'], i));
    };
    i += 1;
    let one = |v: u8, i| Ok((vec![v], i));
    match e {
        b'n' => one(b'\n', i),
        b't' => one(b'\t', i),
        b'r' => one(b'\r', i),
        b'a' => one(7, i),
        b'b' => one(8, i),
        b'f' => one(12, i),
        b'v' => one(11, i),
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
                    format!("{} is not a valid octal escape.", &src[at..i]),
                    at,
                    i - at,
                ));
            }
            one(v as u8, i)
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
                    "\\x is not a valid character escape sequence".into(),
                    at,
                    2,
                ));
            }
            one(v as u8, i)
        }
        b'u' | b'U' => {
            let digits = if e == b'u' { 4 } else { 8 };
            let text: String = src[i..].chars().take(digits).collect();
            let end = i + text.len();
            let bad = || {
                FilterError::new(
                    format!(
                        "{} is not a valid universal character name",
                        &src[at..end.max(i)]
                    ),
                    at,
                    end - at,
                )
            };
            if text.len() != digits || !text.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            let v = u32::from_str_radix(&text, 16).map_err(|_| bad())?;
            // C's rule for universal character names, as tshark's lexer
            // applies it: nothing below U+00A0 but `$`, `@` and `` ` ``.
            if v < 0xA0 && !matches!(v, 0x24 | 0x40 | 0x60) {
                return Err(bad());
            }
            let ch = char::from_u32(v).ok_or_else(bad)?;
            Ok((ch.to_string().into_bytes(), end))
        }
        _ => {
            // `\\`, `\"`, `\'` and any other character stand for themselves.
            let ch = src[at + 1..].chars().next().expect("in bounds");
            Ok((ch.to_string().into_bytes(), at + 1 + ch.len_utf8()))
        }
    }
}

/// A quoted string whose `"` is at `quote`: its bytes and the end offset.
/// A raw string keeps backslashes (`\"` still does not end it).
fn lex_string(src: &str, quote: usize, raw: bool) -> Result<(Vec<u8>, usize), FilterError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = quote + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' if raw => {
                out.push(b'\\');
                if let Some(&n) = b.get(i + 1) {
                    if n == b'"' || n == b'\\' {
                        out.push(n);
                        i += 1;
                    }
                }
                i += 1;
            }
            b'\\' => {
                let (bytes, end) = escape(src, i)?;
                out.extend_from_slice(&bytes);
                i = end;
            }
            _ => {
                let ch = src[i..].chars().next().expect("in bounds");
                out.extend_from_slice(&b[i..i + ch.len_utf8()]);
                i += ch.len_utf8();
            }
        }
    }
    // tshark points at the end of the expression.
    Err(FilterError::new(
        "The final quote was missing from a quoted string.".into(),
        src.len(),
        0,
    ))
}

/// A character constant at `start` (the `'`): its value and end offset,
/// with tshark 4.0's checks (one byte, printable, a known escape).
fn lex_char(src: &str, start: usize) -> Result<(u32, usize), FilterError> {
    let b = src.as_bytes();
    // The closing quote: the next `'` not escaped by a backslash.
    let mut close = None;
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => {
                close = Some(i);
                break;
            }
            _ => i += 1,
        }
    }
    let Some(close) = close else {
        return Err(FilterError::new(
            "The final quote was missing from a character constant.".into(),
            src.len(),
            0,
        ));
    };
    let text = &src[start..=close];
    let body = &b[start + 1..close];
    let fail = |why: &str| Err(FilterError::new(format!("{text} {why}"), start, text.len()));
    let invalid = "isn't a valid character constant.";
    let long = "is too long to be a valid character constant.";
    let v: u32 = match body {
        [] => {
            return Err(FilterError::new(
                "Empty character constant.".into(),
                start,
                2,
            ))
        }
        [b'\\', b'x', hex @ ..] => {
            if hex.is_empty() || !hex.iter().all(u8::is_ascii_hexdigit) {
                return fail(invalid);
            }
            if hex.len() > 2 {
                return fail(long);
            }
            u32::from_str_radix(std::str::from_utf8(hex).expect("ascii"), 16).expect("hex")
        }
        [b'\\', oct @ ..] if oct.first().is_some_and(|c| (b'0'..=b'7').contains(c)) => {
            if !oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                return fail(invalid);
            }
            if oct.len() > 3 {
                return fail(long);
            }
            let v =
                u32::from_str_radix(std::str::from_utf8(oct).expect("ascii"), 8).expect("octal");
            if v > 255 {
                return fail("is too large to be a valid character constant.");
            }
            v
        }
        [b'\\', e] => match e {
            b'n' => 10,
            b't' => 9,
            b'r' => 13,
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'\\' | b'\'' | b'"' => *e as u32,
            _ => return fail(invalid),
        },
        [b'\\', ..] => return fail(invalid),
        [c] if *c < 0x20 || *c == 0x7f => {
            return Err(FilterError::new(
                format!("Non-printable value '0x{c:02x}' in character constant."),
                start,
                text.len(),
            ))
        }
        [c] => *c as u32,
        _ => return fail(long),
    };
    Ok((v, close + 1))
}
