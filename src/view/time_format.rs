//! The packet list's Time column in tshark's formats: `-t FORMAT` picks what
//! the column shows, `-u s|hms` how a relative or delta time is written.
//!
//! | `-t`   | the column                                   | example                          |
//! |--------|----------------------------------------------|----------------------------------|
//! | `r`    | since the first packet (the default)         | `6.029342048`                    |
//! | `d`    | since the previous captured packet           | `0.000540746`                    |
//! | `dd`   | since the previous displayed packet (`-Y`)   | `0.000560025`                    |
//! | `e`    | since the Unix epoch                         | `1795269237.319724506`           |
//! | `a`    | local time of day                            | `13:53:57.319724506`             |
//! | `ad`   | local date and time                          | `2026-11-21 13:53:57.319724506`  |
//! | `adoy` | local year/day-of-year and time              | `2026/325 13:53:57.319724506`    |
//! | `u`, `ud`, `udoy` | the same three in UTC             |                                  |
//!
//! `-u hms` writes `r`, `d` and `dd` as Wireshark's `set_time_hour_min_sec`
//! does: `0.000019619s`, `59m 28.418523426s`, `367h  3m 11.581585708s`
//! (minutes and seconds after a larger unit padded to two). The decimals
//! are the file's precision, truncated, as for the default column.
//!
//! Local time is the C library's (`localtime_r`, so `TZ` applies), as in
//! tshark.

use crate::model::FrameInfo;
use crate::source::time::{write_seconds, Seconds, Timestamp};

/// What the Time column shows (`-t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    Relative,
    Delta,
    DeltaDisplayed,
    Epoch,
    /// Wall-clock time, local or UTC, with or without the date.
    Absolute {
        utc: bool,
        date: DateStyle,
    },
}

/// The date part of an absolute time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// No date: the time of day alone.
    TimeOfDay,
    /// `YYYY-MM-DD`
    YearMonthDay,
    /// `YYYY/DOY`
    DayOfYear,
}

/// The Time column's writer: the format, the unit, and the previous
/// displayed packet's time for `-t dd`.
#[derive(Debug, Clone)]
pub struct TimeColumn {
    format: TimeFormat,
    hms: bool,
    previous_displayed: Option<Timestamp>,
}

impl Default for TimeColumn {
    fn default() -> Self {
        TimeColumn {
            format: TimeFormat::Relative,
            hms: false,
            previous_displayed: None,
        }
    }
}

impl TimeColumn {
    /// From tshark's `-t` and `-u` values; the error is tshark's message.
    pub fn parse(t: Option<&str>, u: Option<&str>) -> Result<TimeColumn, String> {
        use DateStyle::{DayOfYear, TimeOfDay, YearMonthDay};
        let format = match t.unwrap_or("r") {
            "r" => TimeFormat::Relative,
            "d" => TimeFormat::Delta,
            "dd" => TimeFormat::DeltaDisplayed,
            "e" => TimeFormat::Epoch,
            "a" => TimeFormat::Absolute {
                utc: false,
                date: TimeOfDay,
            },
            "ad" => TimeFormat::Absolute {
                utc: false,
                date: YearMonthDay,
            },
            "adoy" => TimeFormat::Absolute {
                utc: false,
                date: DayOfYear,
            },
            "u" => TimeFormat::Absolute {
                utc: true,
                date: TimeOfDay,
            },
            "ud" => TimeFormat::Absolute {
                utc: true,
                date: YearMonthDay,
            },
            "udoy" => TimeFormat::Absolute {
                utc: true,
                date: DayOfYear,
            },
            other => {
                return Err(format!(
                    "Invalid time stamp type \"{other}\"; it must be one of:\n\
                     \t\"a\"    for absolute\n\
                     \t\"ad\"   for absolute with YYYY-MM-DD date\n\
                     \t\"adoy\" for absolute with YYYY/DOY date\n\
                     \t\"d\"    for delta\n\
                     \t\"dd\"   for delta displayed\n\
                     \t\"e\"    for epoch\n\
                     \t\"r\"    for relative\n\
                     \t\"u\"    for absolute UTC\n\
                     \t\"ud\"   for absolute UTC with YYYY-MM-DD date\n\
                     \t\"udoy\" for absolute UTC with YYYY/DOY date"
                ))
            }
        };
        let hms = match u.unwrap_or("s") {
            "s" => false,
            "hms" => true,
            other => {
                return Err(format!(
                    "Invalid seconds type \"{other}\"; it must be one of:\n\
                     \t\"s\"   for seconds\n\
                     \t\"hms\" for hours, minutes and seconds"
                ))
            }
        };
        Ok(TimeColumn {
            format,
            hms,
            previous_displayed: None,
        })
    }

    /// The column is tshark's default (`-t r -u s`).
    pub fn is_default(&self) -> bool {
        self.format == TimeFormat::Relative && !self.hms
    }

    /// Writes the column of `frame`, a displayed packet (call it for each
    /// displayed packet in order: `-t dd` remembers the previous one).
    pub fn write(&mut self, out: &mut String, frame: &FrameInfo) {
        let previous = self.previous_displayed.replace(frame.ts);
        if !frame.has_ts {
            return;
        }
        let digits = frame.precision.digits();
        let span = |nanos: i128, out: &mut String| {
            if self.hms {
                write_hms(out, nanos, digits)
            } else {
                write_seconds(out, nanos, digits)
            }
        };
        match self.format {
            TimeFormat::Relative => span(frame.rel_nanos, out),
            TimeFormat::Delta => span(frame.delta_nanos, out),
            TimeFormat::DeltaDisplayed => {
                span(previous.map_or(0, |p| frame.ts.nanos_since(p)), out)
            }
            TimeFormat::Epoch => {
                write_seconds(out, frame.ts.nanos_since(Timestamp::default()), digits)
            }
            TimeFormat::Absolute { utc, date } => write_absolute(out, frame.ts, utc, date, digits),
        }
    }
}

/// Wireshark's hours-minutes-seconds form of a span (`-u hms`).
pub fn write_hms(out: &mut String, nanos: i128, digits: usize) {
    let s = Seconds::split(nanos, digits);
    if s.negative {
        out.push('-');
    }
    let (hours, minutes, seconds) = (s.whole / 3600, s.whole / 60 % 60, s.whole % 60);
    let two = |out: &mut String, v: u64| {
        if v < 10 {
            out.push(' ');
        }
        out.push_str(itoa::Buffer::new().format(v));
    };
    if hours > 0 {
        out.push_str(itoa::Buffer::new().format(hours));
        out.push_str("h ");
        two(out, minutes);
        out.push_str("m ");
        two(out, seconds);
    } else if minutes > 0 {
        out.push_str(itoa::Buffer::new().format(minutes));
        out.push_str("m ");
        two(out, seconds);
    } else {
        out.push_str(itoa::Buffer::new().format(seconds));
    }
    push_fraction(out, s.fraction, digits);
    out.push('s');
}

/// `.` and the fraction zero-padded to `digits` (nothing for 0 digits).
fn push_fraction(out: &mut String, fraction: u32, digits: usize) {
    if digits > 0 {
        let mut buf = itoa::Buffer::new();
        let f = buf.format(fraction);
        out.push('.');
        (f.len()..digits).for_each(|_| out.push('0'));
        out.push_str(f);
    }
}

/// Broken-down time of `secs`, local or UTC, from the C library (which
/// applies `TZ` and the zone's rules as tshark's does).
fn broken_down(secs: i64, utc: bool) -> Option<libc::tm> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `tm` is plain data that the call fills; both pointers are
    // valid for the call's duration; the _r variants keep no static state.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let done = if utc {
            libc::gmtime_r(&t, &mut tm)
        } else {
            libc::localtime_r(&t, &mut tm)
        };
        (!done.is_null()).then_some(tm)
    }
}

/// An absolute time as Wireshark shows `frame.time` (`Nov 21, 2026
/// 13:53:57.319724506 UTC`): local time (`TZ` applies), the day padded
/// with a space, nine decimals, the zone's abbreviation; tshark's "Not
/// representable" when the C library cannot break it down.
pub fn abs_time_local(secs: i64, nanos: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Some(tm) = broken_down(secs, false) else {
        return "Not representable".into();
    };
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: glibc points `tm_zone` at a NUL-terminated static string.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    format!(
        "{} {:2}, {} {:02}:{:02}:{:02}.{:09} {zone}",
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_mday,
        i64::from(tm.tm_year) + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        nanos.min(999_999_999)
    )
}

/// `YYYY-MM-DD` of `secs` in local time (`TZ` applies), or tshark's
/// `XXXX-XX-XX` when the C library cannot represent it: the date of
/// `-T ek`'s index name.
pub fn local_date(secs: i64) -> String {
    match broken_down(secs, false) {
        Some(tm) => format!(
            "{:04}-{:02}-{:02}",
            i64::from(tm.tm_year) + 1900,
            tm.tm_mon + 1,
            tm.tm_mday
        ),
        None => "XXXX-XX-XX".into(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` in UTC (C's `%FT%T`).
pub fn utc_iso(secs: i64) -> String {
    match broken_down(secs, true) {
        Some(tm) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            i64::from(tm.tm_year) + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        ),
        None => "Not representable".into(),
    }
}

/// An absolute time: `[date ]HH:MM:SS.fraction`.
fn write_absolute(out: &mut String, ts: Timestamp, utc: bool, date: DateStyle, digits: usize) {
    let Some(tm) = broken_down(ts.secs, utc) else {
        out.push_str("Not representable");
        return;
    };
    let pad = |out: &mut String, v: i64, width: usize| {
        let mut buf = itoa::Buffer::new();
        let s = buf.format(v);
        (s.len()..width).for_each(|_| out.push('0'));
        out.push_str(s);
    };
    let year = i64::from(tm.tm_year) + 1900;
    match date {
        DateStyle::TimeOfDay => {}
        DateStyle::YearMonthDay => {
            pad(out, year, 4);
            out.push('-');
            pad(out, i64::from(tm.tm_mon) + 1, 2);
            out.push('-');
            pad(out, i64::from(tm.tm_mday), 2);
            out.push(' ');
        }
        DateStyle::DayOfYear => {
            pad(out, year, 4);
            out.push('/');
            pad(out, i64::from(tm.tm_yday) + 1, 3);
            out.push(' ');
        }
    }
    pad(out, i64::from(tm.tm_hour), 2);
    out.push(':');
    pad(out, i64::from(tm.tm_min), 2);
    out.push(':');
    pad(out, i64::from(tm.tm_sec), 2);
    let fraction = ts.nanos / 10u32.pow(9 - digits as u32);
    push_fraction(out, fraction, digits);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hms(nanos: i128) -> String {
        let mut s = String::new();
        write_hms(&mut s, nanos, 9);
        s
    }

    /// The shapes tshark 4.0 printed with `-u hms` on merged samples.
    #[test]
    fn hours_minutes_seconds() {
        assert_eq!(hms(19_619), "0.000019619s");
        assert_eq!(hms(3_568_418_523_426), "59m 28.418523426s");
        assert_eq!(hms(1_321_391_581_585_708), "367h  3m 11.581585708s");
        assert_eq!(hms(8_176_224_371_552), "2h 16m 16.224371552s");
        assert_eq!(hms(-65_000_000_000), "-1m  5.000000000s");
    }

    #[test]
    fn unknown_formats_are_refused() {
        assert!(TimeColumn::parse(Some("x"), None).is_err());
        assert!(TimeColumn::parse(None, Some("ms")).is_err());
        assert!(TimeColumn::parse(None, None).unwrap().is_default());
        assert!(!TimeColumn::parse(Some("dd"), None).unwrap().is_default());
    }
}
