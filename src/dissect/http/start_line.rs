//! Request lines and status lines (RFC 9112 §3 and §4; HTCPCP's
//! `HTCPCP/x.y` of RFC 2324 §2.1 too), read by hand: httparse rejects
//! HTCPCP versions.

use super::*;

/// RFC 9110 §5.6.2 token characters, as a table: every request line's
/// method is checked byte by byte.
pub(super) static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"!#$%&'*+-.^_`|~";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

pub(super) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// `HTTP/1.x` (major 1 only) or `HTCPCP/x.y`.
pub(super) fn parse_version(s: &[u8]) -> Option<Version> {
    let (htcpcp, rest) = if let Some(r) = s.strip_prefix(b"HTTP/") {
        (false, r)
    } else if let Some(r) = s.strip_prefix(b"HTCPCP/") {
        (true, r)
    } else {
        return None;
    };
    match rest {
        [ma, b'.', mi] if ma.is_ascii_digit() && mi.is_ascii_digit() => {
            let (major, minor) = (ma - b'0', mi - b'0');
            (htcpcp || major == 1).then_some(Version {
                htcpcp,
                major,
                minor,
            })
        }
        _ => None,
    }
}

/// A start line as slices of the line it was read from (no allocation:
/// detection and the head check read every start line before the message is
/// built).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLineRef<'a> {
    Request {
        method: &'a [u8],
        target: &'a [u8],
        version: Version,
    },
    Response {
        version: Version,
        code: u16,
        reason: &'a [u8],
    },
}

impl StartLineRef<'_> {
    /// The owned [`StartLine`] (lossy UTF-8).
    pub fn to_owned_line(self) -> StartLine {
        let text = |b: &[u8]| match std::str::from_utf8(b) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(b).into_owned(),
        };
        match self {
            StartLineRef::Request {
                method,
                target,
                version,
            } => StartLine::Request {
                method: text(method),
                target: text(target),
                version,
            },
            StartLineRef::Response {
                version,
                code,
                reason,
            } => StartLine::Response {
                version,
                code,
                reason: text(reason),
            },
        }
    }
}

/// A request line (`token SP target SP version`) or a status line
/// (`version SP 3DIGIT [SP reason]`), without its line ending; `None` when
/// it is neither.
pub fn parse_start_line(line: &[u8]) -> Option<StartLine> {
    read_start_line(line).map(StartLineRef::to_owned_line)
}

/// [`parse_start_line`] without building strings.
pub fn read_start_line(line: &[u8]) -> Option<StartLineRef<'_>> {
    if line.starts_with(b"HTTP/") || line.starts_with(b"HTCPCP/") {
        // A version is its name, `/` and `d.d`: the space after it is at a
        // known place (no search).
        let sp = if line[2] == b'T' { 8 } else { 10 };
        if line.get(sp) != Some(&b' ') {
            return None;
        }
        let version = parse_version(&line[..sp])?;
        let rest = &line[sp + 1..];
        let (code, reason) = match rest {
            [a, b, c] => ([*a, *b, *c], &[][..]),
            [a, b, c, b' ', reason @ ..] => ([*a, *b, *c], reason),
            _ => return None,
        };
        if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
            return None;
        }
        let code =
            (code[0] - b'0') as u16 * 100 + (code[1] - b'0') as u16 * 10 + (code[2] - b'0') as u16;
        return Some(StartLineRef::Response {
            version,
            code,
            reason,
        });
    }
    // A method is a short token: it ends at the first byte that is not one.
    let sp1 = line.iter().position(|&b| !is_tchar(b))?;
    if sp1 == 0 || line[sp1] != b' ' {
        return None;
    }
    let method = &line[..sp1];
    let rest = &line[sp1 + 1..];
    // The target ends at the first space; a control byte (or DEL) before
    // it, or no space at all, is not a request line.
    let sp2 = first_ctl(rest)?;
    if rest[sp2] != b' ' {
        return None;
    }
    let target = &rest[..sp2];
    if target.is_empty() {
        return None;
    }
    let version = parse_version(&rest[sp2 + 1..])?;
    Some(StartLineRef::Request {
        method,
        target,
        version,
    })
}

/// The index of the first byte below 0x21 (controls and space) or DEL.
/// Eight bytes at a time: request targets are tens of bytes, and this runs
/// on every request line.
pub(super) fn first_ctl(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // A byte below 0x21 (bytes from 0x80 are left out by `!w`), or one
        // equal to 0x7f: exact as a whole-word test.
        let low = w.wrapping_sub(ONES * 0x21) & !w & HIGH;
        let del = (w ^ (ONES * 0x7f)).wrapping_sub(ONES) & !(w ^ (ONES * 0x7f)) & HIGH;
        if low | del != 0 {
            break;
        }
        at += 8;
    }
    b[at..]
        .iter()
        .position(|&c| c < 0x21 || c == 0x7f)
        .map(|i| at + i)
}
