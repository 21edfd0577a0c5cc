//! The `report` fuzz target: see `fuzz_support::targets::report`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::report::run(input));
