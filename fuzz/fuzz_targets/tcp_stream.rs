//! The `tcp_stream` fuzz target: see `fuzz_support::targets::tcp_stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::tcp_stream::run(input));
