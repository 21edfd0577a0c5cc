//! tshark's `-z` statistics as tshark 4.0 prints them, byte for byte, from
//! the accumulators of [`crate::model::stats`]. Each renderer appends its
//! block to a `String`; the CLI prints the blocks in tshark's order (the
//! last `-z` first).

pub mod conv;
pub mod expert;
pub mod http;
pub mod io_stat;
pub mod phs;
pub mod stats_tree;

/// `nstime_to_sec` of a relative time: whole seconds and nanoseconds
/// (truncated toward zero) as a `double`.
pub(crate) fn nstime_to_sec(nanos: i128) -> f64 {
    (nanos / 1_000_000_000) as f64 + (nanos % 1_000_000_000) as f64 / 1e9
}
