//! The `display_filter` fuzz target: see `fuzz_support::targets::display_filter`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::display_filter::run(input));
