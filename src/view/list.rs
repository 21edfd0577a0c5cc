//! The one-line packet list, column for column as tshark prints it:
//! `No. Time Source → Destination Protocol Length Info`.
//!
//! tshark pads the number to 5 characters (right), the time to 10 (right),
//! the source to 12 (right) and the destination to 12 (left), measuring in
//! bytes like C's `strlen`; the other columns are unpadded.
//!
//! A line is appended piece by piece straight into the output: padding is
//! sliced from a constant and each column's length is known before it is
//! written, so nothing is formatted twice or into a temporary.

use crate::model::summary::Columns;
use crate::model::FrameInfo;
use crate::source::time::{push_spaces, write_seconds_right};

/// Appends one packet-list line (with its newline) to `out`.
///
/// `_scratch` is unused since the time is written in place; it stays so that
/// callers compile unchanged.
pub fn write_line(out: &mut String, frame: &FrameInfo, cols: &Columns, _scratch: &mut String) {
    let mut n = itoa::Buffer::new();
    pad_left(out, n.format(frame.number), 5);
    out.push(' ');
    if frame.has_ts {
        write_seconds_right(out, frame.rel_nanos, frame.precision.digits(), 10);
    } else {
        push_spaces(out, 10);
    }
    out.push(' ');
    pad_left(out, &cols.source, 12);
    out.push_str(" \u{2192} ");
    out.push_str(&cols.destination);
    push_spaces(out, 12usize.saturating_sub(cols.destination.len()));
    out.push(' ');
    out.push_str(&cols.protocol);
    out.push(' ');
    out.push_str(n.format(frame.orig_len));
    out.push(' ');
    out.push_str(&cols.info);
    out.push('\n');
}

fn pad_left(out: &mut String, s: &str, width: usize) {
    push_spaces(out, width.saturating_sub(s.len()));
    out.push_str(s);
}
