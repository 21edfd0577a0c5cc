//! Absolute times in filters (`frame.time > "Nov 21, 2026 13:53:57.5"`),
//! read as tshark 4.0 reads an `FT_ABSOLUTE_TIME` literal:
//!
//! - `Mon DD, YYYY HH:MM:SS[.fraction]` (the form `-T fields` prints), the
//!   seconds required;
//! - `YYYY-MM-DD[ HH:MM[:SS[.fraction]]]`, also with `T` between date and
//!   time (ISO 8601), a date alone being its midnight, the time followed by
//!   an optional `Z` or `+HH:MM` / `-HHMM` offset;
//!
//! in local time (`TZ` applies), in UTC with ` UTC` at the end (either
//! form) or `Z`. The result is nanoseconds since the epoch, as
//! `frame.time`'s values. As in tshark, what follows a date that was read
//! is "unexpected data" ([`Error::Trailing`]), anything else "not a valid
//! absolute time" ([`Error::Invalid`]).

/// Why a literal is not an absolute time (tshark's two messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    Invalid,
    Trailing,
}

/// The nanoseconds since the epoch of `text` (see the module doc).
pub fn parse(text: &str) -> Result<i128, Error> {
    let mut s = text.trim();
    let mut utc = false;
    if let Some(rest) = s.strip_suffix(" UTC") {
        s = rest.trim_end();
        utc = true;
    }
    let (date, time, offset) = if s
        .as_bytes()
        .first()
        .ok_or(Error::Invalid)?
        .is_ascii_alphabetic()
    {
        let (date, time) = month_form(s)?;
        (date, time, None)
    } else {
        iso_form(s)?
    };
    let (year, month, day) = date;
    let (h, m, sec, nanos) = time;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return Err(Error::Invalid);
    }
    let utc = utc || offset.is_some();
    let secs = to_epoch(year, month, day, h, m, sec, utc).ok_or(Error::Invalid)?;
    let secs = secs - offset.unwrap_or(0);
    Ok(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
}

type Date = (i64, u32, u32);
type Time = (u32, u32, u32, u32);

/// `Nov 21, 2026 13:53:57.123`.
fn month_form(s: &str) -> Result<(Date, Time), Error> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let bad = Error::Invalid;
    let (mon, rest) = s.split_once(' ').ok_or(bad)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(mon))
        .ok_or(bad)? as u32
        + 1;
    let (day, rest) = rest.trim_start().split_once(',').ok_or(bad)?;
    let (year, rest) = rest.trim_start().split_once(' ').ok_or(bad)?;
    let rest = rest.trim_start();
    let end = rest.find(' ').unwrap_or(rest.len());
    let (h, m, sec, nanos) = clock(&rest[..end]).ok_or(bad)?;
    let sec = sec.ok_or(bad)?;
    if !rest[end..].trim().is_empty() {
        return Err(Error::Trailing);
    }
    let date = (
        number(year).ok_or(bad)?,
        month,
        number(day.trim()).ok_or(bad)? as u32,
    );
    Ok((date, (h, m, sec, nanos)))
}

/// `2026-11-21`, `2026-11-21 13:53:57.123`, `2026-11-21T13:53:57+01:00`;
/// the offset in seconds east of UTC.
fn iso_form(s: &str) -> Result<(Date, Time, Option<i64>), Error> {
    let bad = Error::Invalid;
    let date_len = s.find([' ', 'T', 'Z', '+']).unwrap_or(s.len());
    let mut parts = s[..date_len].split('-');
    let year = number(parts.next().ok_or(bad)?).ok_or(bad)?;
    let month = number(parts.next().ok_or(bad)?).ok_or(bad)? as u32;
    let day = number(parts.next().ok_or(bad)?).ok_or(bad)? as u32;
    if parts.next().is_some() {
        return Err(bad);
    }
    let date = (year, month, day);
    let rest = &s[date_len..];
    if rest.is_empty() {
        return Ok((date, (0, 0, 0, 0), None));
    }
    let Some(rest) = rest.strip_prefix([' ', 'T']) else {
        return Err(Error::Trailing);
    };
    let rest = rest.trim_start();
    let end = rest.find(['Z', '+', '-', ' ']).unwrap_or(rest.len());
    let (h, m, sec, nanos) = clock(&rest[..end]).ok_or(Error::Trailing)?;
    let offset = match rest[end..].trim_end() {
        "" => None,
        "Z" => Some(0),
        zone => Some(offset(zone).ok_or(Error::Trailing)?),
    };
    Ok((date, (h, m, sec.unwrap_or(0), nanos), offset))
}

/// `+HH:MM`, `-HHMM`, `+HH`: seconds east of UTC.
fn offset(zone: &str) -> Option<i64> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|&c| c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// `HH:MM[:SS[.fraction]]` (up to 9 digits of fraction); the seconds are
/// `None` when left out.
fn clock(t: &str) -> Option<(u32, u32, Option<u32>, u32)> {
    let (hms, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let mut parts = hms.split(':');
    let h = number(parts.next()?)? as u32;
    let m = number(parts.next()?)? as u32;
    let s = match parts.next() {
        Some(p) => Some(number(p)? as u32),
        None => None,
    };
    if parts.next().is_some() || (s.is_none() && frac.is_some()) {
        return None;
    }
    let nanos = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
    };
    Some((h, m, s, nanos))
}

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Seconds since the epoch of a calendar time, in UTC or local time.
fn to_epoch(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32, utc: bool) -> Option<i64> {
    // SAFETY: `tm` is plain data, filled here; timegm/mktime read it (and
    // mktime normalises it in place) and keep no pointer to it.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = i32::try_from(year - 1900).ok()?;
        tm.tm_mon = month as i32 - 1;
        tm.tm_mday = day as i32;
        tm.tm_hour = h as i32;
        tm.tm_min = m as i32;
        tm.tm_sec = s as i32;
        tm.tm_isdst = -1;
        let t = if utc {
            libc::timegm(&mut tm)
        } else {
            libc::mktime(&mut tm)
        };
        (t != -1 || (year == 1969 && month == 12 && day == 31)).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, Error};

    const T: i128 = 1_795_269_237_319_724_506; // Nov 21, 2026 13:53:57.319724506 UTC

    #[test]
    fn the_forms_tshark_reads() {
        assert_eq!(parse("Nov 21, 2026 13:53:57.319724506 UTC"), Ok(T));
        assert_eq!(parse("2026-11-21T13:53:57.319724506Z"), Ok(T));
        assert_eq!(parse("2026-11-21 13:53:57.319724506 UTC"), Ok(T));
        assert_eq!(parse("2026-11-21T14:53:57.319724506+01:00"), Ok(T));
        assert_eq!(parse("2026-11-21T12:53:57.319724506-0100"), Ok(T));
        assert_eq!(
            parse("2026-11-21 13:53:57.5Z"),
            Ok(T - 319_724_506 + 500_000_000)
        );
        assert_eq!(parse("2026-11-21 13:53Z"), Ok(T - 57_319_724_506));
        assert!(parse("nov 21, 2026 13:53:57").is_ok());
        assert!(parse("2026-11-21").is_ok());
    }

    #[test]
    fn what_it_refuses_and_how() {
        for bad in [
            "garbage",
            "5",
            "Nov 21, 2026 13:53",
            "Foo 21, 2026 13:53:57",
            "2026-13-01",
            "2026-11-21 25:00:00",
            "",
        ] {
            assert_eq!(parse(bad), Err(Error::Invalid), "{bad}");
        }
        for trailing in [
            "2026-11-21Z",
            "2026-11-21 x",
            "2026-11-21T10",
            "2026-11-21 10:00:00 x",
            "2026-11-21 13:53:57.1234567890",
            "Nov 21, 2026 13:53:57 x",
        ] {
            assert_eq!(parse(trailing), Err(Error::Trailing), "{trailing}");
        }
    }
}
