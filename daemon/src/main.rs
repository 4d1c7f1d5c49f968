//! The `liandong` binary: the daemon (coming with the data layer) and its command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: glibc gives each allocating thread its own arena and
/// returns little of what the first start frees (B8 in BENCHMARKS.md).
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
