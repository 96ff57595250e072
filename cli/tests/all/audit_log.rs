//! The audit log through the real `morph` binary when several processes
//! share one data dir, and after a writer died mid-append (issue 20,
//! point 6): one unbroken chain, and a cut tail said plainly.

use std::path::Path;
use std::process::{Command, Output};

use morph_testkit::PackageSpec;
use serde_json::{Value, json};

const ACTIONS: &str = r#"actions:
  - name: chatter
    description: Logs a few lines (each one an audit record)
    parameters:
      - {name: lines, type: integer, required: true}
"#;

const JS: &str = r#"export function execute(action, params) {
  for (let i = 0; i < params.lines; i++) morph.log("line " + i);
  return params.lines;
}
"#;

fn morph(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_morph"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

/// The report of `morph audit --verify --json` (exit 0 when it verifies).
fn verify(data: &Path) -> Value {
    let out = morph(data, &["audit", "--verify", "--json"]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_runs_at_once_on_one_data_dir_append_one_chain() {
    const RUNS: usize = 4;
    const LINES: u64 = 10;
    let dir = tempfile::tempdir().unwrap();
    let pkg = PackageSpec::new("chatter", "js", "index.js", JS, ACTIONS).write(dir.path());
    let data = dir.path().join("data");
    // One run first creates the data dir and the audit key.
    let first = morph(
        &data,
        &[
            "run",
            pkg.to_str().unwrap(),
            "chatter",
            "--params",
            r#"{"lines": 1}"#,
        ],
    );
    assert!(first.status.success(), "{first:?}");
    let params = json!({ "lines": LINES }).to_string();
    let runs: Vec<_> = (0..RUNS)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_morph"))
                .args([
                    "run",
                    pkg.to_str().unwrap(),
                    "chatter",
                    "--json",
                    "--params",
                ])
                .arg(&params)
                .arg("--data-dir")
                .arg(&data)
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let report = verify(&data);
    assert_eq!(report["problem"], Value::Null, "{report}");
    assert_eq!(
        report["records"],
        json!(1 + RUNS as u64 * LINES),
        "{report}"
    );
    // Records without an effect are batched; each run checkpoints its head
    // when it ends (runs that end at the same head share one).
    assert!(
        report["checkpoints_checked"].as_u64().unwrap() >= 1,
        "{report}"
    );
}

#[test]
fn a_run_killed_mid_append_leaves_a_cut_tail_that_verify_names_and_the_next_run_removes() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = PackageSpec::new("chatter", "js", "index.js", JS, ACTIONS).write(dir.path());
    let data = dir.path().join("data");
    let run = || {
        morph(
            &data,
            &[
                "run",
                pkg.to_str().unwrap(),
                "chatter",
                "--params",
                r#"{"lines": 3}"#,
            ],
        )
    };
    assert!(run().status.success());
    // What a `kill -9` in the middle of an append leaves: half a line.
    let log = data.join("audit").join("audit.log");
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut file, br#"{"seq":4,"ts_ms":1765100000000,"exten"#).unwrap();
    drop(file);

    let report = verify(&data);
    assert_eq!(report["records"], json!(3), "{report}");
    assert_eq!(report["torn_tail"], true, "{report}");
    assert_eq!(report["problem"], Value::Null, "{report}");
    let text = morph(&data, &["audit", "--verify"]);
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(text.status.success(), "{said}");
    assert!(said.contains("the tail was cut"), "{said}");

    assert!(run().status.success(), "the next run goes on");
    let report = verify(&data);
    assert_eq!(report["records"], json!(6), "{report}");
    assert_eq!(report["torn_tail"], false, "{report}");
}
