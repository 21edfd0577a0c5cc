//! `-z io,phs` (ui/cli/tap-protohierstat.c, tshark 4.0).

use crate::model::stats::phs::Hierarchy;
use std::fmt::Write;

const RULE: &str = "===================================================================\n";

pub fn write(out: &mut String, h: &Hierarchy, filter: Option<&str>) {
    out.push('\n');
    out.push_str(RULE);
    out.push_str("Protocol Hierarchy Statistics\n");
    let _ = writeln!(out, "Filter: {}", filter.unwrap_or(""));
    out.push('\n');
    for &n in &h.top {
        node(out, h, n, 0);
    }
    out.push_str(RULE);
}

fn node(out: &mut String, h: &Hierarchy, id: usize, depth: usize) {
    let n = &h.nodes[id];
    // tshark's line buffer: two spaces a level, "..." past 16 levels,
    // 79 bytes at most.
    let mut label = String::new();
    for i in 0..depth {
        if i > 15 {
            label.push_str("...");
            break;
        }
        label.push_str("  ");
    }
    label.push_str(n.name);
    label.truncate(79);
    let _ = writeln!(out, "{label:<40} frames:{} bytes:{}", n.frames, n.bytes);
    for &c in &n.children {
        node(out, h, c, depth + 1);
    }
}
