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
    scratch.clear();
    if frame.has_ts {
        write_seconds(scratch, frame.rel_nanos, frame.precision.digits());
    }
    write_line_timed(out, frame, scratch, cols);
}

/// [`write_line`] with the Time column already written (`-t`, `-u`:
/// [`super::time_format::TimeColumn`]).
pub fn write_line_timed(out: &mut String, frame: &FrameInfo, time: &str, cols: &Columns) {
    write_line_separated(out, frame, time, cols, ' ');
}

/// `-T tabs`: [`write_line_timed`]'s line, padded the same, with a tab in
/// place of each space between columns (tshark's `-T tabs`).
pub fn write_line_tabs(out: &mut String, frame: &FrameInfo, time: &str, cols: &Columns) {
    write_line_separated(out, frame, time, cols, '\t');
}

fn write_line_separated(
    out: &mut String,
    frame: &FrameInfo,
    time: &str,
    cols: &Columns,
    sep: char,
) {
    let mut n = itoa::Buffer::new();
    pad_left(out, n.format(frame.number), 5);
    out.push(sep);
    pad_left(out, time, 10);
    out.push(sep);
    pad_left(out, &cols.source, 12);
    out.push(sep);
    out.push('\u{2192}');
    out.push(sep);
    out.push_str(&cols.destination);
    for _ in cols.destination.len()..12 {
        out.push(' ');
    }
    out.push(sep);
    out.push_str(&cols.protocol);
    out.push(sep);
    out.push_str(n.format(frame.orig_len));
    out.push(sep);
    out.push_str(&cols.info);
    out.push('\n');
}

/// The separator of [`write_cells`]' cells (ASCII unit separator: no
/// column text contains it, as control bytes are escaped by the dissectors).
pub const CELL_SEPARATOR: char = '\u{1f}';

/// The packet list's column titles, Wireshark's: `No.`, then the titles of
/// the cells [`write_cells`] writes.
pub const TITLES: [&str; 7] = [
    "No.",
    "Time",
    "Source",
    "Destination",
    "Protocol",
    "Length",
    "Info",
];

/// The columns of [`write_line`] but No., unpadded and separated by
/// [`CELL_SEPARATOR`]: Time, Source, Destination, Protocol, Length, Info.
/// The terminal UI keeps these per frame and lays them out as a table;
/// [`line_from_cells`] gives back the line `coffeeshark read` prints.
pub fn write_cells(out: &mut String, frame: &FrameInfo, cols: &Columns) {
    if frame.has_ts {
        write_seconds(out, frame.rel_nanos, frame.precision.digits());
    }
    write_cells_after_time(out, frame, cols);
}

/// The cells of [`write_cells`] after the Time cell (which the caller
/// wrote, in a `-t` format).
pub fn write_cells_after_time(out: &mut String, frame: &FrameInfo, cols: &Columns) {
    for cell in [&cols.source, &cols.destination, &cols.protocol] {
        out.push(CELL_SEPARATOR);
        out.push_str(cell);
    }
    out.push(CELL_SEPARATOR);
    out.push_str(itoa::Buffer::new().format(frame.orig_len));
    out.push(CELL_SEPARATOR);
    out.push_str(&cols.info);
}

/// The cells of [`write_cells`], split.
pub fn split_cells(cells: &str) -> [&str; 6] {
    let mut it = cells.splitn(6, CELL_SEPARATOR);
    std::array::from_fn(|_| it.next().unwrap_or(""))
}

/// The packet-list line of frame `number` from its [`write_cells`] cells,
/// padded as [`write_line`] pads (without the newline).
pub fn line_from_cells(number: u64, cells: &str) -> String {
    let [time, source, destination, protocol, length, info] = split_cells(cells);
    let mut out = String::with_capacity(cells.len() + 40);
    pad_left(&mut out, itoa::Buffer::new().format(number), 5);
    out.push(' ');
    pad_left(&mut out, time, 10);
    out.push(' ');
    pad_left(&mut out, source, 12);
    out.push_str(" \u{2192} ");
    out.push_str(destination);
    for _ in destination.len()..12 {
        out.push(' ');
    }
    for cell in [protocol, length, info] {
        out.push(' ');
        out.push_str(cell);
    }
    out
}

fn pad_left(out: &mut String, s: &str, width: usize) {
    for _ in s.len()..width {
        out.push(' ');
    }
    out.push_str(s);
}
