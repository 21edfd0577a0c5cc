//! The fuzz targets' bodies, one module each: `run(input)` feeds one input
//! and asserts what must hold (each module's doc says what). The libFuzzer
//! binaries in `fuzz_targets/` call them, and so does the main test suite
//! (`tests/fuzz_regressions.rs`), which replays every input that once
//! failed, kept under `tests/fuzz_regressions/TARGET/`.

pub mod capture_reader;
pub mod decode;
pub mod diagram;
pub mod display_filter;
pub mod htcpcp;
pub mod http_parser;
pub mod pot_request;
pub mod report;
pub mod tcp_stream;
pub mod tls_records;
pub mod webapp_form;
