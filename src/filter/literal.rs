//! Literals converted to the type of what they are compared with, with
//! tshark 4.0's error messages: integers (decimal, `0x`, `0b`, octal;
//! character constants; value strings such as `ip.proto == "TCP"`),
//! booleans (`1`, `True`, the field's own "Set"/"Not set"), addresses and
//! CIDR blocks, MAC addresses, byte strings (`42:52`, `42.52`, `42-52`,
//! `:4252`, `4252`, or an integer up to 255 for one byte), strings, times.
//!
//! Value strings are Wireshark's own (`value_strings.tsv`: the `V` and `T`
//! lines of `tshark -G values` for the fields we register; a test checks
//! the file against tshark).

use super::fields::Ftype;
use super::values::parse_seconds;
use super::FilterError;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A literal converted to the type of the value it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i128),
    Time(i128),
    /// Address and mask (CIDR); a plain address has an all-ones mask.
    V4(u32, u32),
    V6(u128, u128),
    Bytes(Vec<u8>),
}

/// A literal as written.
pub enum Written<'a> {
    /// Unquoted.
    Word(&'a str),
    Str(&'a [u8]),
    Char(u32),
}

/// What a field's value strings say: integer values, or a boolean's two
/// strings.
enum Vals {
    Ints(Vec<(i128, &'static str)>),
    Bool(&'static str, &'static str),
}

fn value_strings() -> &'static HashMap<&'static str, Vals> {
    static TABLE: OnceLock<HashMap<&'static str, Vals>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m: HashMap<&'static str, Vals> = HashMap::new();
        for line in include_str!("value_strings.tsv").lines() {
            let mut cols = line.split('\t');
            let (Some(kind), Some(field), Some(a), Some(b)) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            match kind {
                "T" => {
                    m.insert(field, Vals::Bool(a, b));
                }
                "V" => {
                    let v = if let Some(h) = a.strip_prefix("0x") {
                        i128::from_str_radix(h, 16).ok()
                    } else {
                        a.parse().ok()
                    };
                    if let (Some(v), Vals::Ints(list)) =
                        (v, m.entry(field).or_insert(Vals::Ints(Vec::new())))
                    {
                        list.push((v, b));
                    }
                }
                _ => {}
            }
        }
        m
    })
}

/// The integer a value string names, case-insensitively (as tshark).
fn value_of(field: &str, s: &str) -> Option<i128> {
    match value_strings().get(field)? {
        Vals::Ints(list) => list
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(s))
            .map(|(v, _)| *v),
        Vals::Bool(t, f) => {
            if t.eq_ignore_ascii_case(s) {
                Some(1)
            } else if f.eq_ignore_ascii_case(s) {
                Some(0)
            } else {
                None
            }
        }
    }
}

pub enum IntError {
    Invalid,
    Overflow,
}

/// Wireshark's integer literals: decimal, `0x` hex, `0b` binary, leading-0
/// octal, optional sign.
pub fn parse_int(s: &str) -> Result<i128, IntError> {
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

/// `42:52:45:57`, `42-52`, `4252.4557`, `:4252`, `4252`, `42`: hex bytes
/// with one kind of separator, or an even run of hex digits.
pub fn parse_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix(':').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let hex2 = |p: &str| -> Option<Vec<u8>> {
        if p.len() % 2 != 0 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        (0..p.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&p[i..i + 2], 16).ok())
            .collect()
    };
    let Some(sep) = s.chars().find(|c| matches!(c, ':' | '-' | '.')) else {
        if s.len() == 1 {
            return u8::from_str_radix(s, 16).ok().map(|b| vec![b]);
        }
        return hex2(s);
    };
    let mut out = Vec::new();
    for p in s.split(sep) {
        // `xxxx.xxxx.xxxx` (Cisco MACs): groups of 4 digits.
        match p.len() {
            1 => out.push(u8::from_str_radix(p, 16).ok()?),
            2 => out.extend(hex2(p)?),
            4 if sep == '.' => out.extend(hex2(p)?),
            _ => return None,
        }
    }
    Some(out)
}

/// Converts a literal to type `t` for field `name` (value strings, error
/// text). `start`/`len`: the literal's span, for errors.
pub fn convert(
    w: &Written<'_>,
    t: Ftype,
    name: &str,
    start: usize,
    len: usize,
) -> Result<Lit, FilterError> {
    let err = |m: String| Err(FilterError::new(m, start, len));
    let (text, is_str): (String, bool) = match w {
        Written::Word(s) => (s.to_string(), false),
        Written::Str(s) => (String::from_utf8_lossy(s).into_owned(), true),
        Written::Char(c) => {
            return match t {
                _ if t.is_integer() => Ok(Lit::Int(*c as i128)),
                Ftype::Bytes | Ftype::Protocol | Ftype::String if *c <= 0xff => {
                    Ok(Lit::Bytes(vec![*c as u8]))
                }
                _ => err(format!(
                    "{} cannot be converted from a character constant.",
                    t.pretty()
                )),
            };
        }
    };
    let word = text.as_str();
    match t {
        Ftype::UInt(_) | Ftype::Int(_) | Ftype::FrameNum => {
            if is_str {
                return match value_of(name, word) {
                    Some(v) => Ok(Lit::Int(v)),
                    None if value_strings().contains_key(name) => err(format!(
                        "\"{word}\" cannot be found among the possible values for {name}."
                    )),
                    None => err(format!(
                        "{} cannot be converted from a string (\"{word}\").",
                        t.pretty()
                    )),
                };
            }
            let v = match parse_int(word) {
                Ok(v) => v,
                Err(IntError::Overflow) => {
                    return err(format!("\"{word}\" causes an integer overflow."))
                }
                Err(IntError::Invalid) => {
                    if let Some(v) = value_of(name, word) {
                        return Ok(Lit::Int(v));
                    }
                    return err(format!("\"{word}\" is not a valid number."));
                }
            };
            let (min, max) = match t {
                Ftype::UInt(b) => (i128::MIN, (1i128 << b) - 1),
                Ftype::Int(b) => (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1),
                _ => (i128::MIN, u32::MAX as i128),
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
            let v = match word {
                "1" | "True" | "TRUE" | "true" => Some(1),
                "0" | "False" | "FALSE" | "false" => Some(0),
                w => value_of(name, w).or_else(|| {
                    (!is_str)
                        .then(|| parse_int(w).ok().map(|v| (v != 0) as i128))
                        .flatten()
                }),
            };
            match v {
                Some(v) => Ok(Lit::Int(v)),
                None => err(format!(
                    "\"{word}\" cannot be found among the possible values for {name}."
                )),
            }
        }
        Ftype::Ipv4 | Ftype::Ipv6 => {
            let v6 = t == Ftype::Ipv6;
            let fam = if v6 { "IPv6" } else { "IPv4" };
            if is_str {
                return err(format!(
                    "{fam} address cannot be converted from a string (\"{word}\")."
                ));
            }
            let (addr, bits) = match word.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (word, None),
            };
            let bad = || format!("\"{word}\" is not a valid hostname or {fam} address.");
            let width = if v6 { 128 } else { 32 };
            let n = match bits {
                None => width,
                Some(b) => match b.parse::<u32>() {
                    Ok(n) if n <= width => n,
                    Ok(n) if v6 => {
                        return err(format!(
                            "Prefix in a CIDR IPv6 address should be <= 128, not {n}"
                        ))
                    }
                    Ok(n) => {
                        return err(format!(
                            "Netmask bits in a CIDR IPv4 address should be <= 32, not {n}"
                        ))
                    }
                    Err(_) => return err(bad()),
                },
            };
            if v6 {
                let Ok(a) = addr.parse::<std::net::Ipv6Addr>() else {
                    return err(bad());
                };
                Ok(Lit::V6(
                    u128::from(a),
                    u128::MAX.checked_shl(128 - n).unwrap_or(0),
                ))
            } else {
                let Ok(a) = addr.parse::<std::net::Ipv4Addr>() else {
                    return err(bad());
                };
                Ok(Lit::V4(
                    u32::from(a),
                    u32::MAX.checked_shl(32 - n).unwrap_or(0),
                ))
            }
        }
        Ftype::Ether => {
            if is_str {
                return err(format!(
                    "Ethernet or other MAC address cannot be converted from a string (\"{word}\")."
                ));
            }
            match parse_bytes(word) {
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
            if let Written::Str(s) = w {
                return Ok(Lit::Bytes(s.to_vec()));
            }
            if let Some(b) = parse_bytes(word) {
                return Ok(Lit::Bytes(b));
            }
            // tshark 4.0: an integer that fits in a byte is that byte
            // (`ip[-1] == 0x5e`, `ipv6.dst[15:1] == 153`).
            match parse_int(word) {
                Ok(v) if (0..=255).contains(&v) => Ok(Lit::Bytes(vec![v as u8])),
                _ => err(format!("\"{word}\" is not a valid byte string.")),
            }
        }
        Ftype::String => match w {
            Written::Str(s) => Ok(Lit::Bytes(s.to_vec())),
            _ => Ok(Lit::Bytes(text.into_bytes())),
        },
        Ftype::RelTime => {
            if is_str {
                return err(format!(
                    "Time offset cannot be converted from a string (\"{word}\")."
                ));
            }
            match parse_seconds(word) {
                Some(n) => Ok(Lit::Time(n)),
                None => err(format!("\"{word}\" is not a valid time.")),
            }
        }
        Ftype::AbsTime => match super::abs_time::parse(word) {
            Ok(n) => Ok(Lit::Time(n)),
            Err(super::abs_time::Error::Trailing) => {
                err("Unexpected data after time value.".to_string())
            }
            Err(super::abs_time::Error::Invalid) => err(format!(
                "\"{word}\" is not a valid absolute time. Example: \"Nov 12, 1999 08:55:44.123\" or \"2011-07-04 12:34:56\""
            )),
        },
        Ftype::None => err(format!(
            "{name} (type=Label) cannot participate in == comparison."
        )),
    }
}
