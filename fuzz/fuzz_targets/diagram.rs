//! The `diagram` fuzz target: see `fuzz_support::targets::diagram`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::diagram::run(input));
