//! `-z http,stat` (ui/cli/tap-httpstat.c, tshark 4.0).

use crate::model::stats::http::HttpStat;
use std::fmt::Write;

const RULE: &str = "===================================================================\n";

pub fn write(out: &mut String, s: &HttpStat, filter: Option<&str>) {
    out.push('\n');
    out.push_str(RULE);
    match filter.filter(|f| !f.is_empty()) {
        None => out.push_str("HTTP Statistics\n"),
        Some(f) => {
            let _ = writeln!(out, "HTTP Statistics with filter {f}");
        }
    }
    out.push_str("* HTTP Response Status Codes                Packets\n");
    for (code, name, n) in s.codes() {
        let _ = writeln!(out, "  {code:>3} {name:<35} {n:>9}");
    }
    out.push_str("* HTTP Request Methods                      Packets\n");
    for (m, n) in s.methods() {
        // printf pads by bytes, not characters.
        let pad = 39usize.saturating_sub(m.len());
        let _ = writeln!(out, "  {m}{:pad$} {n:>9} ", "");
    }
    out.push_str(RULE);
}
