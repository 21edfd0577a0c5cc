//! `-z io,stat` as tshark 4.0 draws it (ui/cli/tap-iostat.c,
//! `iostat_draw`, relative times): the precision and widths follow from
//! the capture's duration and the interval, columns are as wide as their
//! largest value, and tshark's quirks are kept — with a whole-second
//! interval the duration prints its microseconds space-padded
//! (`6. 29342 secs`), the last row ends at `Dur`, and a label too narrow
//! for its column is left out.

use crate::model::stats::io_stat::{Calc, Column, IoStat, Kind};
use std::fmt::Write;

/// `magnitude`: decimal digits of `val`, at most `max`.
fn magnitude(mut val: u64, max: u32) -> u32 {
    let mut mag = 0;
    for _ in 0..max {
        mag += 1;
        val /= 10;
        if val == 0 {
            break;
        }
    }
    mag
}

/// `printcenter`: `label` centred in a column `lenval` wide.
fn print_center(out: &mut String, label: &str, lenval: i64) {
    const SPACES: i64 = 6;
    let lenlab = label.len() as i64;
    let len = SPACES - ((lenval - lenlab) / 2 + 1);
    if len > 0 && len < 6 {
        let pad = " ".repeat((SPACES - len) as usize);
        if (lenval - lenlab) % 2 == 0 {
            let _ = write!(out, "{pad}{label}{pad}|");
        } else {
            let _ = write!(out, " {pad}{label}{pad}|");
        }
    } else if len > 0 && len <= 15 {
        let _ = write!(out, "{label}|");
    }
}

/// Widths of a column (frames part, value part) and its cell format.
#[derive(Debug, Clone, Copy)]
struct Width {
    fr: usize,
    val: usize,
}

fn spaces(n: i64) -> String {
    " ".repeat(n.max(0) as usize)
}

pub fn write(out: &mut String, io: &IoStat) {
    let e = io.elapsed_nanos.max(0);
    let mut duration: u64 =
        (e / 1_000_000_000) as u64 * 1_000_000 + ((e % 1_000_000_000) as u64 + 500) / 1000;
    let whole = io.interval > duration || io.interval == u64::MAX;
    let mut interval = if whole { duration } else { io.interval };
    let mut dur_secs = duration / 1_000_000;
    let mut dur_mag = magnitude(dur_secs, 5);
    let invl_mag = magnitude(interval / 1_000_000, 5);
    let (prec, mut borderlen) = if interval == duration {
        let p = if dur_mag >= 2 {
            1
        } else if dur_mag == 1 {
            3
        } else {
            6
        };
        (
            p,
            30 + dur_mag as i64 + if p == 0 { 0 } else { p as i64 + 1 },
        )
    } else {
        let p = io.precision;
        (
            p,
            25 + i64::from(invl_mag.max(dur_mag)) + if p == 0 { 0 } else { p as i64 + 1 },
        )
    };
    let dv = 1_000_000 / 10u64.pow(prec);
    // (tshark 4.0 prints a whole-second interval's duration unrounded.)
    if prec > 0 && duration % dv > 5 * (dv / 10) {
        duration += 5 * (dv / 10);
        duration = duration / dv * dv;
        dur_secs = duration / 1_000_000;
        dur_mag = magnitude(dur_secs, 5);
    }
    if whole {
        interval = duration;
    }
    let dur_usecs = duration % 1_000_000;
    let dm = dur_mag as usize;
    let p = prec as usize;
    let invl_col_w: i64 = if prec == 0 {
        2 * dur_mag as i64 + 8
    } else {
        2 * dur_mag as i64 + 2 * prec as i64 + 10
    }
    .max(12);
    borderlen = borderlen.max(invl_col_w);

    // Column widths.
    let mut widths = Vec::with_capacity(io.columns.len());
    let mut tabrow_w = invl_col_w;
    for c in &io.columns {
        let namelen = if c.calc == Calc::FramesAndBytes {
            5
        } else {
            c.calc.name().len()
        };
        let mut w = Width { fr: 0, val: 0 };
        match c.calc {
            Calc::Frames | Calc::FramesAndBytes => {
                w.fr = magnitude(u64::from(c.max_frames), 15).max(6) as usize;
                tabrow_w += w.fr as i64 + 3;
                if c.calc == Calc::FramesAndBytes {
                    w.val = magnitude(c.max_val, 15).max(5) as usize;
                    tabrow_w += w.val as i64 + 3;
                }
                widths.push(w);
                continue;
            }
            Calc::Bytes | Calc::Count => {
                w.val = magnitude(c.max_val, 15).max(5) as usize;
            }
            _ if c.kind == Kind::Time => {
                let max = match c.calc {
                    Calc::Load => c.max_val / interval.max(1),
                    Calc::Avg => c.max_val,
                    _ => (c.max_val + 500_000_000) / 1_000_000_000,
                };
                w.val = magnitude(max, 15) as usize + 7;
            }
            _ => {
                w.val = magnitude(c.max_val, 15).max(namelen as u32) as usize;
            }
        }
        tabrow_w += w.val as i64 + 3;
        widths.push(w);
    }
    borderlen = borderlen.max(tabrow_w);
    let maxfltr_w = io
        .columns
        .iter()
        .map(|c| c.text.as_ref().map_or(26, |t| t.len() as i64 + 11))
        .max()
        .unwrap_or(0);
    if maxfltr_w > borderlen && borderlen < 102 {
        borderlen = maxfltr_w.min(102);
    }
    if borderlen - tabrow_w == 1 {
        borderlen += 1;
    }

    // The head.
    out.push('\n');
    out.push_str(&"=".repeat(borderlen as usize));
    let _ = write!(out, "\n| IO Statistics{}|\n", spaces(borderlen - 16));
    let _ = writeln!(out, "|{}|", spaces(borderlen - 2));
    if prec == 0 {
        let _ = writeln!(
            out,
            "| Duration: {dur_secs:>dm$}.{dur_usecs:>6} secs{}|",
            spaces(borderlen - (25 + dur_mag as i64))
        );
        let _ = writeln!(
            out,
            "| Interval: {:>dm$} secs{}|",
            interval / 1_000_000,
            spaces(borderlen - (18 + dur_mag as i64))
        );
    } else {
        let pad = spaces(borderlen - (19 + dur_mag as i64 + prec as i64));
        let _ = writeln!(
            out,
            "| Duration: {dur_secs:>dm$}.{:0p$} secs{pad}|",
            dur_usecs / dv
        );
        let _ = writeln!(
            out,
            "| Interval: {:>dm$}.{:0p$} secs{pad}|",
            interval / 1_000_000,
            interval % 1_000_000 / dv
        );
    }
    let _ = writeln!(out, "|{}|", spaces(borderlen - 2));
    out.push_str("| Col");
    for (j, c) in io.columns.iter().enumerate() {
        if j == 0 {
            let _ = write!(out, "{:>2}: ", j + 1);
        } else {
            let _ = write!(out, "|    {:>2}: ", j + 1);
        }
        match &c.text {
            None => {
                let _ = writeln!(out, "Frames and bytes{}|", spaces(borderlen - 26));
            }
            Some(f) => filter_lines(out, f, borderlen),
        }
    }
    let _ = writeln!(out, "|-{}|", "-".repeat((borderlen - 3).max(0) as usize));

    // The column heads.
    let filler = (tabrow_w < borderlen).then(|| spaces(borderlen - tabrow_w - 1));
    let _ = write!(out, "|{}|", spaces(invl_col_w - 2));
    for (j, (c, w)) in io.columns.iter().zip(&widths).enumerate() {
        let pad = match c.calc {
            Calc::FramesAndBytes => w.fr + w.val + 3,
            Calc::Frames => w.fr,
            _ => w.val,
        };
        let _ = write!(out, "{:<2}{}|", j + 1, " ".repeat(pad));
    }
    if let Some(f) = &filler {
        let _ = write!(out, "{f}|");
    }
    let _ = write!(out, "\n| Interval{}|", spaces(invl_col_w - 11));
    for (c, w) in io.columns.iter().zip(&widths) {
        match c.calc {
            Calc::Frames => print_center(out, "FRAMES", w.fr as i64),
            Calc::FramesAndBytes => {
                print_center(out, "Frames", w.fr as i64);
                print_center(out, "Bytes", w.val as i64);
            }
            other => print_center(out, other.name(), w.val as i64),
        }
    }
    if let Some(f) = &filler {
        let _ = write!(out, "{f}|");
    }
    let _ = write!(out, "\n|-{}|", "-".repeat((tabrow_w - 3).max(0) as usize));
    if let Some(f) = &filler {
        let _ = write!(out, "{f}|");
    }
    out.push('\n');

    // The rows.
    let num_rows = if interval == 0 || duration == 0 {
        0
    } else {
        duration / interval + u64::from(duration % interval > 0)
    };
    let mut t: u64 = 0;
    for i in 0..num_rows {
        let last = i == num_rows - 1;
        let end = if last { duration } else { t + interval };
        if prec == 0 {
            let lead = if dur_mag == 1 { " " } else { "" };
            if last {
                let maxw = if dur_mag >= 3 { dm + 1 } else { 3 };
                let _ = write!(out, "| {lead}{:>dm$} <> {:<maxw$}|", t / 1_000_000, "Dur");
            } else {
                let _ = write!(
                    out,
                    "| {lead}{:>dm$} <> {:>dm$} {lead}|",
                    t / 1_000_000,
                    end / 1_000_000
                );
            }
        } else {
            let _ = write!(
                out,
                "| {:>dm$}.{:0p$} <> {:>dm$}.{:0p$} |",
                t / 1_000_000,
                t % 1_000_000 / dv,
                end / 1_000_000,
                end % 1_000_000 / dv
            );
        }
        for (c, w) in io.columns.iter().zip(&widths) {
            cell(out, c, w, i as usize, last, interval, end - t);
        }
        if let Some(f) = &filler {
            let _ = write!(out, "{f}|");
        }
        out.push('\n');
        t += interval;
    }
    out.push_str(&"=".repeat(borderlen as usize));
    out.push('\n');
}

/// A column's filter, wrapped at the last space before the border when it
/// is wider than the table (up to 102 columns).
fn filter_lines(out: &mut String, filter: &str, borderlen: i64) {
    let len = filter.len() as i64;
    if len + 11 <= borderlen {
        let _ = writeln!(out, "{filter}{}|", spaces(borderlen - len - 10));
        return;
    }
    let max_w = (borderlen - 11).max(1) as usize;
    let mut rest = filter;
    loop {
        if rest.len() > max_w {
            let mut cut = max_w;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let head = &rest[..cut];
            let (line, next) = match head.rfind(' ') {
                Some(sp) => (&rest[..sp], sp + 1),
                None => (head, cut),
            };
            let _ = writeln!(out, "{line}{}|", spaces(borderlen - line.len() as i64 - 10));
            out.push_str("|        ");
            rest = &rest[next..];
        } else {
            let _ = writeln!(out, "{rest}{}|", spaces(borderlen - rest.len() as i64 - 10));
            break;
        }
    }
}

/// One column's cell of row `i`.
fn cell(out: &mut String, c: &Column, w: &Width, i: usize, last: bool, interval: u64, span: u64) {
    let cell = c.cells.get(i).copied();
    let v = cell.unwrap_or_default();
    let (fr, val) = (w.fr, w.val);
    match c.calc {
        Calc::Frames => {
            let _ = write!(out, " {:>fr$} |", v.frames);
        }
        Calc::FramesAndBytes => {
            let _ = write!(out, " {:>fr$} | {:>val$} |", v.frames, v.counter);
        }
        Calc::Bytes | Calc::Count => {
            let _ = write!(out, " {:>val$} |", v.counter);
        }
        _ if c.kind == Kind::Time => {
            let vw = val - 7;
            let us = match c.calc {
                Calc::Avg => {
                    let n = u64::from(v.num.max(1));
                    (v.counter / n + 500) / 1000
                }
                Calc::Load => {
                    let d = if last { span } else { interval }.max(1);
                    if cell.is_none() {
                        0
                    } else {
                        let whole = v.counter / d;
                        let frac = (v.counter % d) * 1_000_000 / d;
                        let _ = write!(out, " {whole:>vw$}.{frac:06} |");
                        return;
                    }
                }
                _ => (v.counter + 500) / 1000,
            };
            let _ = write!(out, " {:>vw$}.{:06} |", us / 1_000_000, us % 1_000_000);
        }
        _ => {
            let n = match c.calc {
                Calc::Avg => v.counter / u64::from(v.num.max(1)),
                _ => v.counter,
            };
            if matches!(c.kind, Kind::Signed32 | Kind::Signed64) {
                let _ = write!(out, " {:>val$} |", n as i64);
            } else {
                let _ = write!(out, " {n:>val$} |");
            }
        }
    }
}
