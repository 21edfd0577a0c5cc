//! The `webapp_form` fuzz target: see `fuzz_support::targets::webapp_form`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| fuzz_support::targets::webapp_form::run(input));
