//! The `pot_request` fuzz target: see `fuzz_support::targets::pot_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::pot_request::run(input));
