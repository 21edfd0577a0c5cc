//! The one-line packet list, column for column as tshark prints it:
//! `No. Time Source → Destination Protocol Length Info`.
//!
//! tshark pads the number to 5 characters (right), the time to 10 (right),
//! the source to 12 (right) and the destination to 12 (left), measuring in
//! bytes like C's `strlen`; the other columns are unpadded.

use crate::model::summary::Columns;
use crate::model::FrameInfo;
use crate::source::time::write_seconds;

/// Appends one packet-list line (with its newline) to `out`.
pub fn write_line(out: &mut String, frame: &FrameInfo, cols: &Columns, scratch: &mut String) {
    let mut n = itoa::Buffer::new();
    pad_left(out, n.format(frame.number), 5);
    out.push(' ');
    scratch.clear();
    if frame.has_ts {
        write_seconds(scratch, frame.rel_nanos, frame.precision.digits());
    }
    pad_left(out, scratch, 10);
    out.push(' ');
    pad_left(out, &cols.source, 12);
    out.push_str(" \u{2192} ");
    out.push_str(&cols.destination);
    for _ in cols.destination.len()..12 {
        out.push(' ');
    }
    out.push(' ');
    out.push_str(&cols.protocol);
    out.push(' ');
    out.push_str(n.format(frame.orig_len));
    out.push(' ');
    out.push_str(&cols.info);
    out.push('\n');
}

fn pad_left(out: &mut String, s: &str, width: usize) {
    for _ in s.len()..width {
        out.push(' ');
    }
    out.push_str(s);
}
