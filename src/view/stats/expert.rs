//! `-z expert` (ui/cli/tap-expert.c, tshark 4.0): errors, warnings, notes,
//! chats, comments; an empty severity prints nothing.

use crate::model::stats::expert::{Expert, Severity};
use std::fmt::Write;

pub fn write(out: &mut String, e: &Expert) {
    for (severity, label) in [
        (Severity::Error, "Errors"),
        (Severity::Warn, "Warns"),
        (Severity::Note, "Notes"),
        (Severity::Chat, "Chats"),
        (Severity::Comment, "Comments"),
    ] {
        let rows = &e.rows[severity as usize];
        if rows.is_empty() {
            continue;
        }
        let total: u32 = rows.iter().map(|r| r.frequency).sum();
        let _ = write!(out, "\n{label} ({total})\n");
        out.push_str("=============\n");
        out.push_str("   Frequency      Group           Protocol  Summary\n");
        for r in rows {
            let _ = writeln!(
                out,
                "{:>12} {:>10} {:>18}  {}",
                r.frequency, r.group, r.protocol, r.summary
            );
        }
    }
}
