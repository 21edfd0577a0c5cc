//! Peak memory of the terminal UI's index on a capture, without a terminal:
//! opens the file as `coffeeshark tui` does, waits for the index, selects
//! the last frame, prints frames, peak RSS and bytes per frame; then the
//! time of a cursor move (`j`) and of a jump to a frame anywhere (details
//! and bytes read back), median and maximum over 500 of each.
//!
//!     cargo run --release --example tui_index_mem -- FILE

use coffeeshark::tui::{self, colors::Theme, Options};
use std::time::{Duration, Instant};

/// The binary's allocator (src/main.rs), so that the figures are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn vm(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: tui_index_mem FILE");
    let before = vm("VmRSS:");
    let start = Instant::now();
    let opts = Options {
        path: path.into(),
        filter: None,
        decode_as: Vec::new(),
        keylog: None,
    };
    let mut app = tui::open(&opts, Theme::plain()).expect("open");
    tui::wait_idle(&mut app, Duration::from_secs(3600));
    let indexed = start.elapsed();
    let frames = app.rows();
    app.select_row(frames.saturating_sub(1));
    let (lines_heap, lines_raw) = {
        let d = app.index.lock();
        (
            d.lines.heap_bytes() as u64 + d.lines.spilled_bytes(),
            d.lines.raw_bytes(),
        )
    };
    let peak = vm("VmHWM:");
    let mut step = Vec::new();
    let mut jump = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..500 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = Instant::now();
        app.select_frame(x % frames.max(1) as u64 + 1);
        jump.push(t.elapsed());
        let t = Instant::now();
        app.press(crossterm::event::KeyCode::Char('j'));
        step.push(t.elapsed());
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        format!(
            "median {:.2} ms, max {:.2} ms",
            v[v.len() / 2].as_secs_f64() * 1e3,
            v[v.len() - 1].as_secs_f64() * 1e3
        )
    };
    println!(
        "frames {frames}  index {:.2} s  peak RSS {} KB (start {} KB)  list text {} KB -> {} KB compressed  {:.1} B/frame above start",
        indexed.as_secs_f64(),
        peak,
        before,
        lines_raw / 1024,
        lines_heap / 1024,
        (peak.saturating_sub(before) * 1024) as f64 / frames.max(1) as f64
    );
    println!(
        "jump to a random frame: {}; j: {}",
        stats(&mut jump),
        stats(&mut step)
    );
}
