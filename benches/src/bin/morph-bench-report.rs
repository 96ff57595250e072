//! Prints or regenerates the `BENCHMARKS.md` tables from saved benchmark
//! runs (`scripts/bench.sh` runs everything, then this):
//!
//! `cargo run -p morph-benches --bin morph-bench-report -- [TABLE] [--update FILE] [--plots DIR] [RUN_DIR...]`
//!
//! TABLE is one of `wasm`, `js`, `python`, `process`, `compute` (the
//! criterion suites), `callers`, `payload` (`benches/scaling.rs`) or
//! `extensions` (`morph-bench-extensions`); without one, every table with
//! figures is printed under its name. Each RUN_DIR is a criterion directory
//! (the default is `$CARGO_TARGET_DIR/criterion`); given several, one per
//! run, the tables show the median over the runs (and the criterion suites
//! each figure's range).
//!
//! `--update FILE` rewrites the tables between `<!-- table:NAME -->` and
//! `<!-- /table:NAME -->` in FILE instead of printing; `--plots DIR` writes
//! the scaling charts as SVG into DIR.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use morph_benches::report::{self, Suite};
use morph_benches::{markdown, scaling_report};

/// The tables that are not a criterion [`Suite`].
const SCALING_TABLES: [&str; 3] = ["callers", "payload", "extensions"];

fn main() -> ExitCode {
    let mut only = None;
    let mut update = None;
    let mut plots = None;
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--update") => update = args.next().map(PathBuf::from),
            Some("--plots") => plots = args.next().map(PathBuf::from),
            Some(name)
                if only.is_none()
                    && dirs.is_empty()
                    && (Suite::from_name(name).is_some() || SCALING_TABLES.contains(&name)) =>
            {
                only = Some(name.to_owned());
            }
            _ => dirs.push(PathBuf::from(arg)),
        }
    }
    if dirs.is_empty() {
        dirs.push(report::criterion_dir());
    }
    let shown = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let runs = match report::runs(&dirs) {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("{shown}: {e}; run scripts/bench.sh first");
            return ExitCode::FAILURE;
        }
    };
    let extensions = scaling_report::extension_runs(&dirs);

    let mut tables = BTreeMap::new();
    for suite in Suite::ALL {
        if report::measured(suite, &runs) {
            tables.insert(suite.name().to_owned(), report::table(suite, &runs));
        }
    }
    if scaling_report::measured(&runs) {
        tables.insert("callers".into(), scaling_report::callers_table(&runs));
        tables.insert("payload".into(), scaling_report::payload_table(&runs));
    }
    if !extensions.is_empty() {
        tables.insert(
            "extensions".into(),
            scaling_report::extensions_table(&extensions),
        );
    }
    if let Some(name) = &only {
        tables.retain(|k, _| k == name);
    }
    if tables.is_empty() {
        eprintln!(
            "{shown}: no figures{}; run scripts/bench.sh first",
            only.map_or(String::new(), |n| format!(" for {n}"))
        );
        return ExitCode::FAILURE;
    }

    if let Some(dir) = plots {
        match scaling_report::write_plots(&dir, &runs, &extensions) {
            Ok(paths) => {
                for p in paths {
                    eprintln!("wrote {}", p.display());
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }

    match update {
        Some(file) => {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    return ExitCode::FAILURE;
                }
            };
            let (new, kept) = markdown::update(&text, &tables);
            for name in kept {
                eprintln!(
                    "{}: no figures for table {name}; left as it was",
                    file.display()
                );
            }
            if let Err(e) = std::fs::write(&file, new) {
                eprintln!("{}: {e}", file.display());
                return ExitCode::FAILURE;
            }
            eprintln!("updated {}", file.display());
        }
        None => {
            let single = tables.len() == 1;
            for (i, (name, table)) in tables.iter().enumerate() {
                if !single {
                    if i > 0 {
                        println!();
                    }
                    println!("{name}:\n");
                }
                print!("{table}");
            }
        }
    }
    ExitCode::SUCCESS
}
