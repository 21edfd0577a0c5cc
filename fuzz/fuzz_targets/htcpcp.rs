//! The `htcpcp` fuzz target: see `fuzz_support::targets::htcpcp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::htcpcp::run(input));
