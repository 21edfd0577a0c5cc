//! Dates as the lab writes them: `%a, %d %b %Y %H:%M:%S` (e.g.
//! `Tue, 09 Apr 2024 18:37:30`), which is an HTTP date without its ` GMT`.
//!
//! The lab's Python pot writes local time without a zone; ours writes UTC, so
//! that the pot and the web app agree whatever their time zones. The brew
//! record keeps the lab's strings; durations are computed by parsing them back
//! with [`parse_lab_date`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Formats `t` (whole seconds, UTC) in the lab's format.
pub fn lab_date(t: SystemTime) -> String {
    let http = httpdate::fmt_http_date(t);
    // "Sun, 06 Nov 1994 08:49:37 GMT": the lab's format is everything before " GMT".
    http.strip_suffix(" GMT").unwrap_or(&http).to_string()
}

/// Parses a date written by [`lab_date`]; `None` if it is not one.
pub fn parse_lab_date(s: &str) -> Option<SystemTime> {
    if s.len() > 40 {
        return None;
    }
    httpdate::parse_http_date(&format!("{} GMT", s.trim())).ok()
}

/// Seconds from `now` until `t` (negative when `t` is past), whole seconds.
pub fn seconds_until(t: SystemTime, now: SystemTime) -> i64 {
    match t.duration_since(now) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// `t` rounded down to a whole second (dates carry no fraction).
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_format_round_trips() {
        let t = UNIX_EPOCH + Duration::from_secs(1_712_687_850); // 2024-04-09 18:37:30 UTC
        assert_eq!(lab_date(t), "Tue, 09 Apr 2024 18:37:30");
        assert_eq!(parse_lab_date("Tue, 09 Apr 2024 18:37:30"), Some(t));
        assert_eq!(parse_lab_date("yesterday"), None);
        assert_eq!(seconds_until(t + Duration::from_secs(30), t), 30);
        assert_eq!(seconds_until(t, t + Duration::from_secs(5)), -5);
    }
}
