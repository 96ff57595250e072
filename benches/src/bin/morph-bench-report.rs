//! Prints the `BENCHMARKS.md` tables from the last `cargo bench -p morph-benches`
//! run: `cargo run -p morph-benches --bin morph-bench-report [-- SUITE] [DIR...]`.
//!
//! SUITE is `wasm`, `js` or `python`; without one, every measured suite's
//! table is printed under its name. Each DIR is a criterion directory (the
//! default is `$CARGO_TARGET_DIR/criterion`); given several, one per run
//! (`CRITERION_HOME=DIR cargo bench ...`), the tables show the median over
//! the runs and each figure's range.

use std::path::PathBuf;
use std::process::ExitCode;

use morph_benches::report::{self, Suite};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    let suite = args
        .peek()
        .and_then(|a| a.to_str())
        .and_then(Suite::from_name);
    if suite.is_some() {
        args.next();
    }
    let mut dirs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs.push(report::criterion_dir());
    }
    let shown = || {
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let runs = match report::runs(&dirs) {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("{}: {e}; run `cargo bench -p morph-benches` first", shown());
            return ExitCode::FAILURE;
        }
    };
    let suites: Vec<Suite> = match suite {
        Some(s) => vec![s],
        None => Suite::ALL.into_iter().collect(),
    };
    let measured: Vec<Suite> = suites
        .into_iter()
        .filter(|s| report::measured(*s, &runs))
        .collect();
    if measured.is_empty() {
        eprintln!(
            "{}: no criterion estimates{}; run `cargo bench -p morph-benches` first",
            shown(),
            suite.map_or(String::new(), |s| format!(" for {}", s.name())),
        );
        return ExitCode::FAILURE;
    }
    for (i, s) in measured.iter().enumerate() {
        if suite.is_none() {
            if i > 0 {
                println!();
            }
            println!("{}:\n", s.name());
        }
        print!("{}", report::table(*s, &runs));
    }
    ExitCode::SUCCESS
}
