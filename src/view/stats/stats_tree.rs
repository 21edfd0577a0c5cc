//! A `stats_tree` as tshark prints it (`stats_tree_format_as_str`, plain
//! text, tshark 4.0): name, count, average/min/max (empty: none of the
//! HTTP trees averages), rate per ms, percent of the parent, burst rate
//! and burst start; children sorted by count, most first, ties by name
//! (descending, byte order).

use crate::model::stats::stats_tree::{display_name, StatsTree, BURST_WINDOW, ROOT};
use std::fmt::Write;

const COLUMNS: [&str; 8] = [
    "Count",
    "Average",
    "Min Val",
    "Max Val",
    "Rate (ms)",
    "Percent",
    "Burst Rate",
    "Burst Start",
];
/// Each numeric column is 12 wide, printed as " %-13s".
const COLUMN_WIDTH: usize = 12;
const INDENT_MAX: usize = 32;

pub fn write(out: &mut String, t: &StatsTree) {
    let maxnamelen = max_name_len(t, ROOT, 0);
    let sep_len = maxnamelen + COLUMNS.len() * (COLUMN_WIDTH + 2);
    out.push('\n');
    out.push_str(&"=".repeat(sep_len));
    let _ = write!(out, "\n{}:\n", t.name);
    let _ = write!(out, "{:<maxnamelen$}", "Topic / Item");
    for c in COLUMNS {
        let _ = write!(out, " {c:<13}");
    }
    out.push('\n');
    out.push_str(&"-".repeat(sep_len));
    out.push('\n');
    for &c in &t.nodes[ROOT].children {
        node(out, t, c, 0, maxnamelen);
    }
    out.push('\n');
    out.push_str(&"-".repeat(sep_len));
    out.push('\n');
}

/// The name a node is printed with: a root child's last `/` part.
fn shown_name(t: &StatsTree, id: usize) -> String {
    let n = &t.nodes[id];
    if n.parent == Some(ROOT) {
        display_name(&n.name)
    } else {
        n.name.clone()
    }
}

fn max_name_len(t: &StatsTree, id: usize, indent: usize) -> usize {
    let indent = indent.min(INDENT_MAX);
    let mut max = 0;
    for &c in &t.nodes[id].children {
        max = max.max(max_name_len(t, c, indent + 1));
    }
    max.max(shown_name(t, id).len() + indent)
}

fn node(out: &mut String, t: &StatsTree, id: usize, indent: usize, maxnamelen: usize) {
    let n = &t.nodes[id];
    let elapsed = t.elapsed();
    let rate = if elapsed != 0.0 {
        format!("{:.4}", n.counter as f32 as f64 / elapsed)
    } else {
        String::new()
    };
    let parent_count = n.parent.map_or(0, |p| t.nodes[p].counter);
    let percent = if n.parent.is_some() && parent_count != 0 {
        format!(
            "{:.2}%",
            f64::from(n.counter) * 100.0 / f64::from(parent_count)
        )
    } else if n.parent == Some(ROOT) {
        "100%".to_string()
    } else {
        String::new()
    };
    let (burst_rate, burst_start) = match t.burst(id) {
        Some((max, time)) => (
            format!("{:.4}", f64::from(max) / BURST_WINDOW),
            format!("{:.3}", time / 1000.0),
        ),
        None => ("-".to_string(), "-".to_string()),
    };
    let values = [
        (n.counter as u32).to_string(),
        String::new(),
        String::new(),
        String::new(),
        rate,
        percent,
        burst_rate,
        burst_start,
    ];
    // printf pads by bytes, not characters.
    let name = shown_name(t, id);
    let pad = maxnamelen.saturating_sub(indent).saturating_sub(name.len());
    let _ = write!(out, "{:indent$}{name}{:pad$}", "", "");
    for v in values {
        let _ = write!(out, " {v:<13}");
    }
    out.push('\n');
    let mut children = n.children.clone();
    children.sort_by(|&a, &b| {
        let (x, y) = (&t.nodes[a], &t.nodes[b]);
        y.counter
            .cmp(&x.counter)
            .then_with(|| y.name.as_bytes().cmp(x.name.as_bytes()))
    });
    let next = (indent + 1).min(INDENT_MAX);
    for c in children {
        node(out, t, c, next, maxnamelen);
    }
}
