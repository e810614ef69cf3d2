//! Writes the benchmark's realistic JSON lines to a file, for timing the `reqlog`
//! binary itself (threads, memory) rather than the library in memory:
//!
//! ```text
//! cargo run --release -p reqlog-cli --example bench_log -- /tmp/bench.log 1000000
//! ```
//!
//! `cli/benches/threads.sh` uses it; the lines are the ones `cargo bench --bench report`
//! times (same generator, same seed).

#[path = "../benches/report.rs"]
#[allow(dead_code)]
mod bench;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), lines) = (args.next(), args.next()) else {
        eprintln!("usage: bench_log FILE [LINES]");
        return ExitCode::from(2);
    };
    let lines = lines.and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    match std::fs::write(&path, bench::lines::generate(lines, 42)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_log: cannot write {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
