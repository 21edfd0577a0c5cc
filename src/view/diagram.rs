//! Space-time diagrams drawn from a [`Diagram`]: SVG (self-contained, for
//! browsers and slides), text (a monospaced ladder for terminals), Mermaid
//! (`sequenceDiagram`, rendered by GitHub), PlantUML and mscgen.
//!
//! Vertical layout (SVG): one row per arrow, plus space proportional to the
//! time since the previous arrow; a pause that would take more than
//! [`GAP_ROWS`] rows is drawn compressed, as a band saying how long it was.

use crate::report::diagram::{Arrow, Conn, Diagram};
use std::fmt::Write;

/// Height of one row (px).
const ROW: f64 = 24.0;
/// A pause longer than this many rows' worth of time is compressed.
pub const GAP_ROWS: f64 = 10.0;
/// Time gets about this share of the rows' height.
const TIME_SHARE: f64 = 0.6;
/// Height of a compressed pause (px).
const GAP_H: f64 = 40.0;
const TOP: f64 = 118.0;
const X0: f64 = 260.0;
const LANE_W: f64 = 300.0;
const PALETTE: [&str; 10] = [
    "#1f5fa8", "#c0392b", "#23803a", "#7d3c98", "#a0522d", "#b8338a", "#11808c", "#7a7a12",
    "#d35400", "#555555",
];

/// A compressed pause, between arrows `after` and `after + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub after: usize,
    pub y0: f64,
    pub y1: f64,
    pub nanos: i64,
}

/// Where each arrow's capture time sits (px from the top of the ladder).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub ys: Vec<f64>,
    /// Times, made non-decreasing.
    pub ts: Vec<i64>,
    pub gaps: Vec<Gap>,
    pub px_per_ns: f64,
    pub height: f64,
}

/// Rows and pauses of a diagram.
pub fn layout(d: &Diagram) -> Layout {
    let mut ts: Vec<i64> = Vec::with_capacity(d.arrows.len());
    for a in &d.arrows {
        let t = ts.last().map_or(a.time, |&p: &i64| p.max(a.time));
        ts.push(t);
    }
    let deltas: Vec<i64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
    let n = d.arrows.len().max(1) as f64;
    // Time takes about as much height as the rows: scale so, once long
    // pauses are taken out.
    let scale = |cap: i64| -> f64 {
        let total: i64 = deltas.iter().filter(|&&x| x <= cap).sum();
        if total == 0 {
            0.0
        } else {
            TIME_SHARE * n * ROW / total as f64
        }
    };
    let mut px = scale(i64::MAX);
    if px > 0.0 {
        let cap = (GAP_ROWS * ROW / px) as i64;
        px = scale(cap);
    }
    let is_gap = |dt: i64| px > 0.0 && dt as f64 * px > GAP_ROWS * ROW;
    let mut ys = Vec::with_capacity(ts.len());
    let mut gaps = Vec::new();
    let mut y = 0.0;
    for (i, _) in ts.iter().enumerate() {
        if i > 0 {
            let dt = deltas[i - 1];
            if is_gap(dt) {
                gaps.push(Gap {
                    after: i - 1,
                    y0: y + ROW / 2.0,
                    y1: y + ROW / 2.0 + GAP_H,
                    nanos: dt,
                });
                y += ROW + GAP_H;
            } else {
                y += ROW + dt as f64 * px;
            }
        }
        ys.push(y);
    }
    Layout {
        height: y,
        ys,
        ts,
        gaps,
        px_per_ns: px,
    }
}

impl Layout {
    /// The y of time `t`, searching from row `i` (whose time is the
    /// arrow's capture time) forward or backward; at most 64 rows away.
    pub fn y_near(&self, i: usize, t: i64) -> f64 {
        let (ts, ys) = (&self.ts, &self.ys);
        if t >= ts[i] {
            let mut j = i;
            while j + 1 < ts.len() && ts[j + 1] <= t && j < i + 64 {
                j += 1;
            }
            if j + 1 < ts.len() && ts[j + 1] > ts[j] {
                let f = (t - ts[j]) as f64 / (ts[j + 1] - ts[j]) as f64;
                ys[j] + f.min(1.0) * (ys[j + 1] - ys[j])
            } else {
                ys[j]
            }
        } else {
            let mut j = i;
            while j > 0 && ts[j - 1] >= t && j + 64 > i {
                j -= 1;
            }
            if j > 0 && ts[j] > ts[j - 1] {
                let f = (ts[j] - t) as f64 / (ts[j] - ts[j - 1]) as f64;
                ys[j] - f.min(1.0) * (ys[j] - ys[j - 1])
            } else {
                ys[j]
            }
        }
    }
}

/// `4.906 ms`, `5.02 s`, `12 µs`.
pub fn human_duration(ns: i64) -> String {
    let ns = ns.max(0) as f64;
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} \u{b5}s", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn secs(ns: i64) -> String {
    format!(
        "{}.{:06}",
        ns / 1_000_000_000,
        (ns % 1_000_000_000).abs() / 1000
    )
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('\u{2026}');
        t
    }
}

/// The text on an arrow: `#4 GET /`.
pub fn arrow_text(a: &Arrow) -> String {
    format!("#{} {}", a.frame, a.label)
}

fn colour(stream: u32) -> &'static str {
    PALETTE[stream as usize % PALETTE.len()]
}

fn lane_x(i: usize) -> f64 {
    X0 + i as f64 * LANE_W
}

/// Index of the arrow of `frame`, if shown.
fn arrow_of(d: &Diagram, frame: Option<u64>) -> Option<usize> {
    let f = frame?;
    d.arrows.binary_search_by_key(&f, |a| a.frame).ok()
}

/// What a diagram cut at its arrow limit says about it.
pub fn truncation_note(d: &Diagram) -> String {
    format!(
        "Diagram truncated after {} arrows: {} more segments are not drawn (choose what to draw with `coffeeshark diagram --streams N,M` or `-Y FILTER`, or raise --max-arrows).",
        d.arrows.len(),
        d.truncated
    )
}

/// The footnote: how to read the drawing, and what was left out.
pub fn legend(d: &Diagram) -> Vec<String> {
    let mut v = vec![
        "Time runs downward; an arrow slopes by its connection's estimated one-way delay (half its shortest client-to-server-and-back time, the capture taken at the client); dashed arrows carry only an acknowledgement.".to_string(),
        format!("Pauses longer than {GAP_ROWS} rows' worth of time are compressed and marked with their length."),
    ];
    if d.hidden_acks > 0 {
        v.push(format!(
            "{} pure ACKs and window updates are hidden (--hide-acks).",
            d.hidden_acks
        ));
    }
    if d.truncated > 0 {
        v.push(truncation_note(d));
    }
    if !d.app_seen {
        v.push(
            "No application-layer information: arrows are labelled from the TCP flags only."
                .to_string(),
        );
    }
    v
}

/// The diagram as a self-contained SVG document.
pub fn svg(d: &Diagram) -> String {
    let lay = layout(d);
    let lanes = d.lanes.len().max(1);
    let width = X0 + (lanes - 1) as f64 * LANE_W + 240.0;
    let legend = legend(d);
    let ladder_bottom = TOP + lay.height + ROW;
    let height = ladder_bottom + 30.0 + 16.0 * legend.len() as f64;
    let y = |v: f64| TOP + v;
    let mut s = String::with_capacity(4096 + d.arrows.len() * 400);
    let _ = writeln!(
        s,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="DejaVu Sans, Verdana, Arial, Helvetica, sans-serif" font-size="11">
<title>{title}</title>
<style>
.lane {{ stroke: #444; stroke-width: 1.5; }}
.lane-gap {{ stroke: #999; stroke-width: 1.5; stroke-dasharray: 2 4; }}
.head {{ fill: #f4f1ea; stroke: #444; stroke-width: 1; }}
.name {{ font-size: 14px; font-weight: bold; fill: #222; }}
.addr {{ font-size: 11px; fill: #444; }}
.time {{ font-size: 10px; fill: #777; }}
.label {{ font-size: 11px; }}
.ack {{ stroke-dasharray: 5 3; }}
.gap {{ fill: #eeeeee; }}
.gaptext {{ font-size: 11px; fill: #555; font-style: italic; }}
.hs {{ font-size: 10px; }}
.legend {{ font-size: 11px; fill: #555; }}
</style>
<rect x="0" y="0" width="{w:.0}" height="{h:.0}" fill="#ffffff"/>
<text x="16" y="26" font-size="16" font-weight="bold" fill="#222">{title}</text>"##,
        w = width,
        h = height,
        title = xml(&d.title),
    );
    let _ = writeln!(
        s,
        r##"<text x="16" y="46" class="addr">{} arrows, {} connections; time (s) since the first frame on the left</text>"##,
        d.arrows.len(),
        d.conns.len()
    );
    // Lane heads and lines (broken where pauses are compressed).
    for (i, lane) in d.lanes.iter().enumerate() {
        let x = lane_x(i);
        let _ = writeln!(
            s,
            r##"<g class="lanehead" data-lane="{i}"><rect class="head" x="{:.1}" y="60" width="210" height="40" rx="5"/><text class="name" x="{x:.1}" y="78" text-anchor="middle">{}</text><text class="addr" x="{x:.1}" y="94" text-anchor="middle">{}</text></g>"##,
            x - 105.0,
            xml(&lane.name),
            xml(&lane.address)
        );
        let mut top = TOP - 14.0;
        for g in &lay.gaps {
            let _ = writeln!(
                s,
                r##"<line class="lane" x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}"/><line class="lane-gap" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"##,
                y(g.y0),
                y(g.y0),
                y(g.y1)
            );
            top = y(g.y1);
        }
        let _ = writeln!(
            s,
            r##"<line class="lane" x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{ladder_bottom:.1}"/>"##
        );
    }
    for g in &lay.gaps {
        let _ = writeln!(
            s,
            r##"<rect class="gap" x="8" y="{:.1}" width="{:.0}" height="{:.1}" opacity="0.6"/><text class="gaptext" x="16" y="{:.1}">{} without shown packets (compressed)</text>"##,
            y(g.y0),
            width - 16.0,
            g.y1 - g.y0,
            y((g.y0 + g.y1) / 2.0) + 4.0,
            human_duration(g.nanos)
        );
    }
    // Connection lifetimes: a bar on each of its lanes, shifted right when
    // connections nest on a lane.
    let mut active: Vec<Vec<usize>> = vec![Vec::new(); d.lanes.len()];
    for c in &d.conns {
        let col = colour(c.stream);
        for lane in [c.client_lane, c.server_lane] {
            active[lane].retain(|&last| last >= c.first_arrow);
            let depth = active[lane].len();
            active[lane].push(c.last_arrow);
            let x = lane_x(lane) - 3.0 + depth as f64 * 8.0;
            let (y0, y1) = (
                y(lay.ys[c.first_arrow]) - 4.0,
                y(lay.ys[c.last_arrow]) + 4.0,
            );
            let _ = writeln!(
                s,
                r##"<rect class="conn" x="{x:.1}" y="{y0:.1}" width="6" height="{:.1}" fill="{col}" opacity="0.35"><title>stream {} {} → {}</title></rect>"##,
                y1 - y0,
                c.stream,
                c.client_port,
                c.server_port
            );
        }
        // The handshake, bracketed on the client's outer side.
        if let (Some(first), Some(last)) = (
            arrow_of(d, c.handshake[0]),
            arrow_of(d, c.handshake[2]).or(arrow_of(d, c.handshake[1])),
        ) {
            let dir = if c.client_lane <= c.server_lane {
                -1.0
            } else {
                1.0
            };
            let bx = lane_x(c.client_lane) + dir * 14.0;
            let (y0, y1) = (y(lay.ys[first]) - 6.0, y(lay.ys[last]) + 6.0);
            let tx = bx + dir * 5.0;
            let anchor = if dir < 0.0 { "end" } else { "start" };
            let _ = writeln!(
                s,
                r##"<g class="handshake" data-stream="{}" data-frames="{}"><path d="M{:.1},{y0:.1} H{bx:.1} V{y1:.1} H{:.1}" fill="none" stroke="{col}" stroke-width="1.5"/><text class="hs" x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" fill="{col}">handshake s{}</text><text class="hs" x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" fill="{col}">{} → {}</text></g>"##,
                c.stream,
                c.handshake
                    .iter()
                    .map(|f| f.map_or("-".to_string(), |f| f.to_string()))
                    .collect::<Vec<_>>()
                    .join(","),
                bx - dir * 6.0,
                bx - dir * 6.0,
                (y0 + y1) / 2.0 - 2.0,
                c.stream,
                (y0 + y1) / 2.0 + 10.0,
                c.client_port,
                c.server_port
            );
        }
    }
    // Arrows.
    for (i, a) in d.arrows.iter().enumerate() {
        let col = colour(a.stream);
        let (x1, x2) = (lane_x(a.from), lane_x(a.to));
        let y1 = y(lay.y_near(i, a.depart));
        let y2 = y(lay.y_near(i, a.arrive));
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let (bx, by) = (x2 - 9.0 * ux, y2 - 9.0 * uy);
        let (nx, ny) = (-uy * 4.0, ux * 4.0);
        let class = if a.kind.is_ack() { " ack" } else { "" };
        let text = arrow_text(a);
        let room = ((dx.abs() - 24.0) / 6.3).max(8.0) as usize;
        let _ = writeln!(
            s,
            r##"<g class="arrow {kind}" data-frame="{frame}" data-stream="{stream}" data-from="{from}" data-to="{to}"><title>frame {frame} at {t} s, stream {stream}, {sp} → {dp}: {full}</title><text class="time" x="12" y="{ty:.1}">{t}</text><line class="{class2}" x1="{x1:.1}" y1="{y1:.1}" x2="{bx:.1}" y2="{by:.1}" stroke="{col}" stroke-width="1.6"/><polygon points="{x2:.1},{y2:.1} {p1x:.1},{p1y:.1} {p2x:.1},{p2y:.1}" fill="{col}"/><text class="label" x="{lx:.1}" y="{ly:.1}" text-anchor="middle" fill="{col}">{label}</text></g>"##,
            kind = a.kind.as_str(),
            frame = a.frame,
            from = a.from,
            to = a.to,
            t = secs(a.time),
            stream = a.stream,
            sp = a.src_port,
            dp = a.dst_port,
            full = xml(&text),
            ty = y(lay.ys[i]) + 3.0,
            class2 = class.trim(),
            p1x = bx + nx,
            p1y = by + ny,
            p2x = bx - nx,
            p2y = by - ny,
            lx = (x1 + x2) / 2.0,
            ly = (y1 + y2) / 2.0 - 4.0,
            label = xml(&truncate(&text, room)),
        );
    }
    for (k, line) in legend.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<text class="legend" x="16" y="{:.1}">{}</text>"##,
            ladder_bottom + 24.0 + 16.0 * k as f64,
            xml(line)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Columns between lanes in the text ladder.
const TXT_LANE: usize = 40;

/// The diagram as a monospaced ladder.
pub fn text(d: &Diagram) -> String {
    let lay = layout(d);
    let lanes = d.lanes.len().max(1);
    let ladder_w = (lanes - 1) * TXT_LANE + 1;
    let prefix_w = 18;
    let mut out = String::new();
    if !d.title.is_empty() {
        let _ = writeln!(out, "{}", d.title);
    }
    for row in [0, 1] {
        let mut line: Vec<char> = vec![' '; prefix_w + ladder_w + 24];
        for (i, lane) in d.lanes.iter().enumerate() {
            let t = if row == 0 { &lane.name } else { &lane.address };
            let t: Vec<char> = truncate(t, TXT_LANE - 2).chars().collect();
            let centre = prefix_w + i * TXT_LANE;
            let start = centre.saturating_sub(t.len() / 2);
            for (k, c) in t.iter().enumerate() {
                if start + k < line.len() {
                    line[start + k] = *c;
                }
            }
        }
        let s: String = line.into_iter().collect();
        let _ = writeln!(out, "{}", s.trim_end());
    }
    let _ = writeln!(out, "{:>10}  {:<5}", "time (s)", "strm");
    let handshake_frames: std::collections::HashSet<u64> = d
        .conns
        .iter()
        .flat_map(|c| c.handshake.iter().flatten().copied())
        .collect();
    let blank_ladder = || -> Vec<char> {
        let mut l = vec![' '; ladder_w];
        for i in 0..lanes {
            l[i * TXT_LANE] = '|';
        }
        l
    };
    let mut gaps = lay.gaps.iter().peekable();
    for (i, a) in d.arrows.iter().enumerate() {
        let mut l = blank_ladder();
        let (from, to) = (a.from * TXT_LANE, a.to * TXT_LANE);
        let (lo, hi) = (from.min(to), from.max(to));
        let fill = if a.kind.is_ack() { '.' } else { '-' };
        for c in l.iter_mut().take(hi).skip(lo + 1) {
            *c = fill;
        }
        if hi > lo + 1 {
            if to > from {
                l[hi - 1] = '>';
            } else {
                l[lo + 1] = '<';
            }
            let text = format!(" {} ", arrow_text(a));
            let room = (hi - lo).saturating_sub(5);
            let text: Vec<char> = truncate(&text, room).chars().collect();
            let start = lo + 3;
            for (k, c) in text.iter().enumerate() {
                if start + k < hi - 1 {
                    l[start + k] = *c;
                }
            }
        }
        let tag = format!(
            "s{}{}",
            a.stream,
            if handshake_frames.contains(&a.frame) {
                " H"
            } else {
                ""
            }
        );
        let ladder: String = l.into_iter().collect();
        let _ = writeln!(out, "{:>10}  {:<5} {}", secs(a.time), tag, ladder);
        if let Some(g) = gaps.peek() {
            if g.after == i {
                let mut l = blank_ladder();
                for i in 0..lanes {
                    l[i * TXT_LANE] = ':';
                }
                let ladder: String = l.into_iter().collect();
                let _ = writeln!(
                    out,
                    "{:>10}  {:<5} {}   ~ {} later ~",
                    "",
                    "",
                    ladder.trim_end(),
                    human_duration(g.nanos)
                );
                gaps.next();
            }
        }
    }
    let _ = writeln!(out, "(H: handshake segment; dotted: acknowledgement only)");
    for line in legend(d).iter().skip(2) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Mermaid text: `#`, `;`, `<`, `>` as entity codes.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Handshakes whose three arrows are consecutive, by their first arrow:
/// (last arrow, connection). Text formats draw them as a box.
fn handshake_boxes(d: &Diagram) -> std::collections::HashMap<usize, (usize, &Conn)> {
    let mut boxes = std::collections::HashMap::new();
    for c in &d.conns {
        let idx: Vec<Option<usize>> = c.handshake.iter().map(|f| arrow_of(d, *f)).collect();
        if let [Some(a), Some(b), Some(e)] = idx[..] {
            if b == a + 1 && e == a + 2 {
                boxes.insert(a, (e, c));
            }
        }
    }
    boxes
}

/// The diagram as a Mermaid `sequenceDiagram`.
pub fn mermaid(d: &Diagram) -> String {
    let lay = layout(d);
    let mut out = String::from("sequenceDiagram\n");
    if !d.title.is_empty() {
        let _ = writeln!(out, "    title {}", mermaid_text(&d.title));
    }
    for (i, lane) in d.lanes.iter().enumerate() {
        let _ = writeln!(
            out,
            "    participant L{i} as {}<br/>{}",
            mermaid_text(&lane.name),
            mermaid_text(&lane.address)
        );
    }
    let boxes = handshake_boxes(d);
    let mut open_until: Option<usize> = None;
    let mut gaps = lay.gaps.iter().peekable();
    for (i, a) in d.arrows.iter().enumerate() {
        if let Some((end, c)) = boxes.get(&i) {
            let _ = writeln!(out, "    rect rgba(120, 160, 220, 0.15)");
            let (l, r) = (
                c.client_lane.min(c.server_lane),
                c.client_lane.max(c.server_lane),
            );
            let _ = writeln!(
                out,
                "    Note over L{l},L{r}: handshake s{} {} → {}",
                c.stream, c.client_port, c.server_port
            );
            open_until = Some(*end);
        }
        let arrow = if a.kind.is_ack() { "-->>" } else { "->>" };
        let _ = writeln!(
            out,
            "    L{}{arrow}L{}: {}",
            a.from,
            a.to,
            mermaid_text(&arrow_text(a))
        );
        if open_until == Some(i) {
            let _ = writeln!(out, "    end");
            open_until = None;
        }
        if let Some(g) = gaps.peek() {
            if g.after == i && open_until.is_none() {
                let last = d.lanes.len().saturating_sub(1);
                let _ = writeln!(
                    out,
                    "    Note over L0,L{last}: {} later",
                    human_duration(g.nanos)
                );
                gaps.next();
            } else if g.after <= i {
                gaps.next();
            }
        }
    }
    if open_until.is_some() {
        let _ = writeln!(out, "    end");
    }
    if d.truncated > 0 && !d.lanes.is_empty() {
        let _ = writeln!(
            out,
            "    Note over L0,L{}: {}",
            d.lanes.len() - 1,
            mermaid_text(&truncation_note(d))
        );
    }
    out
}

/// PlantUML text: one line, creole markup and escapes defused with `~`.
fn plantuml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = '\0';
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '~' | '\\' | '<' | '>' | '[' | ']' => {
                out.push('~');
                out.push(c);
            }
            // A leading `#` or `*` starts a creole list; doubled markup
            // characters (`//`, `**`, `__`, `--`, `""`) switch styles on.
            '#' | '*' | '-' | '=' if out.is_empty() => {
                out.push('~');
                out.push(c);
            }
            '/' | '*' | '_' | '-' | '"' | '=' | '^' if c == prev => {
                out.push('~');
                out.push(c);
            }
            c => out.push(c),
        }
        prev = c;
    }
    out
}

/// The diagram as a PlantUML sequence diagram (`@startuml` ... `@enduml`):
/// one participant per lane, one arrow per shown segment (dashed for
/// acknowledgements), each handshake in a `group`, long pauses as `...`
/// delays.
pub fn plantuml(d: &Diagram) -> String {
    let lay = layout(d);
    let mut out = String::from("@startuml\n");
    if !d.title.is_empty() {
        let _ = writeln!(out, "title {}", plantuml_text(&d.title));
    }
    out.push_str("hide footbox\n");
    for (i, lane) in d.lanes.iter().enumerate() {
        let _ = writeln!(
            out,
            "participant \"{}\\n{}\" as L{i}",
            lane.name.replace('"', "'"),
            lane.address.replace('"', "'")
        );
    }
    let boxes = handshake_boxes(d);
    let mut open_until: Option<usize> = None;
    let mut gaps = lay.gaps.iter().peekable();
    for (i, a) in d.arrows.iter().enumerate() {
        if let Some((end, c)) = boxes.get(&i) {
            let _ = writeln!(
                out,
                "group handshake s{} {} \u{2192} {}",
                c.stream, c.client_port, c.server_port
            );
            open_until = Some(*end);
        }
        let arrow = if a.kind.is_ack() { "-->" } else { "->" };
        let _ = writeln!(
            out,
            "L{} {arrow} L{} : {}",
            a.from,
            a.to,
            plantuml_text(&arrow_text(a))
        );
        if open_until == Some(i) {
            out.push_str("end\n");
            open_until = None;
        }
        if let Some(g) = gaps.peek() {
            if g.after == i && open_until.is_none() {
                let _ = writeln!(out, "... {} later ...", human_duration(g.nanos));
                gaps.next();
            } else if g.after <= i {
                gaps.next();
            }
        }
    }
    if open_until.is_some() {
        out.push_str("end\n");
    }
    if d.truncated > 0 && !d.lanes.is_empty() {
        let _ = writeln!(
            out,
            "note over L0, L{} : {}",
            d.lanes.len() - 1,
            plantuml_text(&truncation_note(d))
        );
    }
    out.push_str("@enduml\n");
    out
}

/// An mscgen string's content: `"` and `\` escaped, one line.
fn msc_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The diagram as an mscgen chart (`msc { ... }`): one entity per lane,
/// one arc per shown segment (`->` for a segment, `>>` dashed for an
/// acknowledgement), each handshake announced by a box over its two
/// lanes, long pauses as `...` discontinuities.
pub fn msc(d: &Diagram) -> String {
    let lay = layout(d);
    let mut out = String::from("msc {\n  hscale = \"2\";\n\n");
    if !d.lanes.is_empty() {
        let lanes: Vec<String> = d
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "L{i} [label=\"{}\\n{}\"]",
                    msc_text(&l.name),
                    msc_text(&l.address)
                )
            })
            .collect();
        let _ = writeln!(out, "  {};\n", lanes.join(", "));
    }
    if !d.title.is_empty() && !d.lanes.is_empty() {
        let _ = writeln!(
            out,
            "  L0 note L{} [label=\"{}\"];",
            d.lanes.len() - 1,
            msc_text(&d.title)
        );
    }
    let boxes = handshake_boxes(d);
    let mut gaps = lay.gaps.iter().peekable();
    for (i, a) in d.arrows.iter().enumerate() {
        if let Some((_, c)) = boxes.get(&i) {
            let (l, r) = (
                c.client_lane.min(c.server_lane),
                c.client_lane.max(c.server_lane),
            );
            let _ = writeln!(
                out,
                "  L{l} rbox L{r} [label=\"handshake s{} {} -> {}\"];",
                c.stream, c.client_port, c.server_port
            );
        }
        let arc = if a.kind.is_ack() { ">>" } else { "->" };
        let _ = writeln!(
            out,
            "  L{} {arc} L{} [label=\"{}\"];",
            a.from,
            a.to,
            msc_text(&arrow_text(a))
        );
        if let Some(g) = gaps.peek() {
            if g.after == i {
                let _ = writeln!(out, "  ... [label=\"{} later\"];", human_duration(g.nanos));
                gaps.next();
            } else if g.after < i {
                gaps.next();
            }
        }
    }
    if d.truncated > 0 {
        let _ = writeln!(out, "  --- [label=\"{}\"];", msc_text(&truncation_note(d)));
    }
    out.push_str("}\n");
    out
}
