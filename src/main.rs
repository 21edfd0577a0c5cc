//! The `coffeeshark` binary: everything lives in the library and `cli`.

mod cli;

/// mimalloc, for the threaded read path (`pipeline::threads`): messages are
/// allocated on one thread and freed on another, where glibc's allocator
/// spends about a third of the application-layer thread's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
