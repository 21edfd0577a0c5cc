//! The `capture_reader` fuzz target: see `fuzz_support::targets::capture_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::capture_reader::run(input));
