//! The `coffeeshark` binary: everything lives in the library and `cli`.

mod cli;

/// mimalloc, for the threaded read path (`pipeline::threads`): with glibc's
/// allocator the application-layer thread, which allocates per message,
/// runs about 40% more instructions (callgrind, `read` on 100,000 packets:
/// 366 M against 260 M).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
