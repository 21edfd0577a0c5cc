//! Every input that once made a fuzz target fail (`fuzz/`, issue 21), kept
//! under `tests/fuzz_regressions/TARGET/`, replayed through the target's own
//! checks (`fuzz/src/targets/`, compiled into this test as they are into the
//! fuzz binaries): each finding stays fixed without nightly or libFuzzer.
//! Each file's name says what it found.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_support;

// The targets name the support code as `crate::...`, as they do in the fuzz crate.
#[allow(unused_imports)]
use fuzz_support::*;

use std::path::Path;

/// Runs `run` on every file of `tests/fuzz_regressions/<target>/`; returns how many.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        eprintln!("{target}: {}", path.display());
        run(&input);
        n += 1;
    }
    n
}

#[test]
fn tcp_stream() {
    assert!(replay("tcp_stream", fuzz_support::targets::tcp_stream::run) > 0);
}

#[test]
fn diagram() {
    assert!(replay("diagram", fuzz_support::targets::diagram::run) > 0);
}
