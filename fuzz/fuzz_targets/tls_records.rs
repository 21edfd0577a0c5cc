//! The `tls_records` fuzz target: see `fuzz_support::targets::tls_records`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::tls_records::run(input));
