//! The `http_parser` fuzz target: see `fuzz_support::targets::http_parser`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::http_parser::run(input));
