//! Prints the `BENCHMARKS.md` table from the last `cargo bench -p morph-benches`
//! run: `cargo run -p morph-benches --bin morph-bench-report [CRITERION_DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use morph_benches::report;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(report::criterion_dir, PathBuf::from);
    match report::means(&dir) {
        Ok(means) if !means.is_empty() => {
            print!("{}", report::table(&means));
            ExitCode::SUCCESS
        }
        Ok(_) => {
            eprintln!(
                "{}: no criterion estimates; run `cargo bench -p morph-benches` first",
                dir.display()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!(
                "{}: {e}; run `cargo bench -p morph-benches` first",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}
