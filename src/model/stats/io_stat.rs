//! `-z io,stat,INTERVAL[,COLUMN...]`: frames and bytes per time interval
//! (ui/cli/tap-iostat.c, tshark 4.0), one column per filter, or a
//! calculation over a field's values: `COUNT(f)`, `SUM(f)`, `MIN(f)`,
//! `MAX(f)`, `AVG(f)`, `LOAD(f)` (relative times), `FRAMES`, `BYTES`,
//! each optionally followed by a filter (`SUM(tcp.len)tcp.port==80`).
//!
//! Times are tshark's: microseconds since the first frame, rounded; a
//! frame falls in interval `t / interval` (or the latest interval so far
//! when its time went backwards). The table's width and precision are
//! computed when it is drawn ([`crate::view::stats::io_stat`]). Memory is
//! one cell per interval and column.

/// What a column computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calc {
    Frames,
    Bytes,
    FramesAndBytes,
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Load,
}

impl Calc {
    /// tshark's function names, in the order it tries them.
    pub const NAMES: [(&'static str, Calc); 8] = [
        ("FRAMES", Calc::Frames),
        ("BYTES", Calc::Bytes),
        ("COUNT", Calc::Count),
        ("SUM", Calc::Sum),
        ("MIN", Calc::Min),
        ("MAX", Calc::Max),
        ("AVG", Calc::Avg),
        ("LOAD", Calc::Load),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Calc::Frames => "FRAMES",
            Calc::Bytes => "BYTES",
            Calc::FramesAndBytes => "FRAMES BYTES",
            Calc::Count => "COUNT",
            Calc::Sum => "SUM",
            Calc::Min => "MIN",
            Calc::Max => "MAX",
            Calc::Avg => "AVG",
            Calc::Load => "LOAD",
        }
    }
}

/// How a field's values are read (Wireshark's `FT_*` families).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// FT_UINT8..32 and FT_UINT64.
    Unsigned,
    /// FT_INT8..32: compared as 32-bit.
    Signed32,
    Signed64,
    /// FT_RELATIVE_TIME, in nanoseconds.
    Time,
    /// Anything else: only COUNT.
    Other,
}

/// One field value handed to a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Int(i128),
    Time(i128),
    Other,
}

/// One interval of one column.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cell {
    pub frames: u32,
    pub num: u32,
    /// Bytes, a count, or a value's bits (signed values as two's
    /// complement, times in ns), as tshark's `guint64` counter.
    pub counter: u64,
}

/// One column: its text, what it computes, its cells.
#[derive(Debug, Clone)]
pub struct Column {
    /// The text after the interval (`None` for an empty one: frames and
    /// bytes of every frame).
    pub text: Option<String>,
    pub calc: Calc,
    pub kind: Kind,
    pub cells: Vec<Cell>,
    /// The widest value and frame count seen (the column's width).
    pub max_val: u64,
    pub max_frames: u32,
}

impl Column {
    pub fn new(text: Option<String>, calc: Calc, kind: Kind) -> Self {
        Column {
            text,
            calc,
            kind,
            cells: Vec::new(),
            max_val: 0,
            max_frames: 0,
        }
    }
}

/// The statistic.
#[derive(Debug, Clone)]
pub struct IoStat {
    /// In microseconds; `u64::MAX` for the whole capture (`io,stat,0`).
    pub interval: u64,
    /// Decimals the user gave the interval.
    pub precision: u32,
    pub columns: Vec<Column>,
    /// The latest frame's time (µs), for frames whose time went backwards.
    last_us: u64,
    /// `cfile.elapsed_time`: the greatest relative time of any frame read.
    pub elapsed_nanos: i128,
}

impl IoStat {
    pub fn new(interval: u64, precision: u32, columns: Vec<Column>) -> Self {
        IoStat {
            interval,
            precision,
            columns,
            last_us: 0,
            elapsed_nanos: 0,
        }
    }

    /// Every frame read, whether a column counts it or not.
    pub fn frame(&mut self, rel_nanos: i128) {
        if rel_nanos > self.elapsed_nanos {
            self.elapsed_nanos = rel_nanos;
        }
    }

    /// Column `j` counts a frame of `len` bytes at `rel_nanos` whose field
    /// values are `values`.
    pub fn add(&mut self, j: usize, rel_nanos: i128, len: u32, values: &[Value]) {
        let us = if rel_nanos >= 0 {
            let secs = (rel_nanos / 1_000_000_000) as u64;
            let nsecs = (rel_nanos % 1_000_000_000) as u64;
            let t = secs * 1_000_000 + (nsecs + 500) / 1000;
            self.last_us = t;
            t
        } else {
            self.last_us
        };
        let interval = self.interval;
        let col = &mut self.columns[j];
        let at = if col.cells.is_empty() {
            0
        } else {
            col.cells.len() - 1
        };
        let mut idx = at;
        while us
            >= (idx as u64)
                .saturating_mul(interval)
                .saturating_add(interval)
        {
            idx += 1;
        }
        if col.cells.len() <= idx {
            col.cells.resize(idx + 1, Cell::default());
        }
        let kind = col.kind;
        let calc = col.calc;
        {
            let cell = &mut col.cells[idx];
            cell.frames += 1;
            match calc {
                Calc::Frames | Calc::Bytes | Calc::FramesAndBytes => {
                    cell.counter = cell.counter.wrapping_add(u64::from(len))
                }
                Calc::Count => cell.counter = cell.counter.wrapping_add(values.len() as u64),
                Calc::Sum => {
                    for v in values {
                        cell.counter = cell.counter.wrapping_add(bits(*v));
                    }
                }
                Calc::Min | Calc::Max => {
                    for (i, v) in values.iter().enumerate() {
                        let v = bits(*v);
                        let first = calc == Calc::Min && cell.frames == 1 && i == 0;
                        let better = match (kind, calc) {
                            (Kind::Signed32, Calc::Min) => (v as i32) < (cell.counter as i32),
                            (Kind::Signed32, _) => (v as i32) > (cell.counter as i32),
                            (Kind::Signed64, Calc::Min) => (v as i64) < (cell.counter as i64),
                            (Kind::Signed64, _) => (v as i64) > (cell.counter as i64),
                            (_, Calc::Min) => v < cell.counter,
                            _ => v > cell.counter,
                        };
                        if first || better {
                            cell.counter = v;
                        }
                    }
                }
                Calc::Avg => {
                    for v in values {
                        cell.num += 1;
                        cell.counter = cell.counter.wrapping_add(bits(*v));
                    }
                }
                Calc::Load => {}
            }
        }
        if calc == Calc::Load {
            // Each response time spreads over the intervals it spans,
            // backwards from this one.
            for v in values {
                let mut val = (bits(*v) / 1000) as i128 as u64;
                let tival = val % interval;
                col.cells[idx].counter = col.cells[idx].counter.wrapping_add(tival);
                val -= tival;
                let mut p = idx;
                while val > 0 && p > 0 {
                    p -= 1;
                    if val < interval {
                        col.cells[p].counter = col.cells[p].counter.wrapping_add(val);
                        break;
                    }
                    col.cells[p].counter = col.cells[p].counter.wrapping_add(interval);
                    val -= interval;
                }
            }
        }
        let cell = col.cells[idx];
        match calc {
            Calc::Frames => col.max_frames = col.max_frames.max(cell.frames),
            Calc::FramesAndBytes => {
                col.max_frames = col.max_frames.max(cell.frames);
                col.max_val = col.max_val.max(cell.counter);
            }
            Calc::Bytes | Calc::Count | Calc::Load | Calc::Sum | Calc::Min | Calc::Max => {
                col.max_val = col.max_val.max(cell.counter)
            }
            Calc::Avg => {
                if cell.num > 0 {
                    let avg = cell.counter / u64::from(cell.num);
                    col.max_val = col.max_val.max(if kind == Kind::Time {
                        (avg + 500_000_000) / 1_000_000_000
                    } else {
                        avg
                    });
                }
            }
        }
    }
}

/// A value as tshark's 64-bit counter holds it.
fn bits(v: Value) -> u64 {
    match v {
        Value::Int(i) | Value::Time(i) => i as i64 as u64,
        Value::Other => 0,
    }
}

/// The interval's text as tshark reads it (`sscanf("%lf")`) and the
/// precision it infers: `Some((µs, decimals))`, `None` when it is not a
/// number. `Err` carries tshark's message for a too-small interval.
pub fn parse_interval(text: &str) -> Option<Result<(u64, u32), &'static str>> {
    let v: f64 = text.trim_start().parse().ok()?;
    if v == 0.0 {
        return Some(Ok((u64::MAX, 0)));
    }
    let interval = (v * 1_000_000.0 + 0.5) as u64;
    if interval < 1 {
        return Some(Err(
            "\"-z\" interval must be >=0.000001 seconds or \"0\" for the entire capture duration.",
        ));
    }
    let mut precision = 6u32;
    let mut i = 10u64;
    while i < 10_000_000 {
        if interval % i > 0 {
            break;
        }
        precision -= 1;
        i *= 10;
    }
    if precision == 0 {
        // Zeros after the point ask for that many decimals (`1.00`).
        if let Some((_, frac)) = text.split_once('.') {
            if !frac.is_empty() {
                precision = (frac.len() as u32).min(6);
            }
        }
    }
    Some(Ok((interval, precision)))
}
