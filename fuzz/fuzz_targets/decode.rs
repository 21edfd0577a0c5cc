//! The `decode` fuzz target: see `fuzz_support::targets::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::decode::run(input));
