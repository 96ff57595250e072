//! Issue 20, point 4, through the real `morph` binary: a JavaScript extension
//! that times out five times within a minute (one `morph run` per call, as a
//! user would) is quarantined; the sixth run answers `extension_quarantined`
//! (exit 1, the JSON envelope) without running any guest code; `morph list`
//! and `morph inspect` show it with the reason; `morph enable` lifts it; and
//! the audit log holds both transitions. A JavaScript or Python call stuck
//! in one native operation (a backtracking regex) past its deadline, answered
//! by the host's backstop, is a strike like any other (THREATS.md, "Exhausting
//! the host").

use std::path::Path;
use std::process::{Command, Output};

use morph_testkit::PackageSpec;
use serde_json::Value;

const ID: &str = "quarantine-js";

/// `spin` leaves a task behind before it loops past its deadline, so the
/// tasks left tell how many `spin` calls ran.
const JS: &str = r#"export function execute(action, params) {
  if (action === "spin") {
    morph.data.createTask("spin ran");
    for (;;) {}
  }
  return morph.data.listTasks().length;
}
"#;

const ACTIONS: &str = r#"actions:
  - name: spin
    description: Records that it ran, then never returns
  - name: count
    description: How many spins ran
"#;

fn morph(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_morph"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_QUARANTINE_STRIKES")
        .env_remove("MORPH_QUARANTINE_WINDOW")
        .env_remove("MORPH_LOG")
        .output()
        .unwrap()
}

/// Runs `args` with `--json` and returns the exit code and the document.
fn json(data: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut args = args.to_vec();
    args.push("--json");
    let out = morph(data, &args);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

fn capabilities(records: &Value) -> Vec<String> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["capability"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn five_timeouts_quarantine_a_js_extension_until_it_is_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = PackageSpec::new(ID, "js", "index.js", JS, ACTIONS)
        .permissions(&["data:read", "data:write"])
        .limits("max_execution_ms: 300")
        .write(dir.path());
    let data = dir.path().join("data");
    let pkg = pkg.to_str().unwrap();

    for strike in 1..=5 {
        let (code, env) = json(&data, &["run", pkg, "spin"]);
        assert_eq!(code, Some(1), "{env}");
        assert_eq!(env["error"]["code"], "timeout", "{env}");
        let audit = capabilities(&env["audit"]);
        // The task's intent and outcome.
        if strike < 5 {
            assert_eq!(audit, ["data.create_task"; 2], "strike {strike}");
        } else {
            // The fifth call's envelope tells of the quarantine it caused.
            assert_eq!(
                audit,
                ["data.create_task", "data.create_task", "host.quarantine"]
            );
            assert_eq!(env["audit"][2]["outcome"], "extension_quarantined");
        }
    }

    // The sixth run is refused before the guest runs: nothing audited.
    let (code, env) = json(&data, &["run", pkg, "spin"]);
    assert_eq!(code, Some(1), "the extension's failure, not the host's");
    assert_eq!(env["ok"], false);
    assert_eq!(env["error"]["code"], "extension_quarantined");
    let message = env["error"]["message"].as_str().unwrap();
    assert!(message.contains("morph enable quarantine-js"), "{message}");
    assert!(message.contains("timeout"), "{message}");
    assert_eq!(env["audit"], Value::Array(Vec::new()));
    // Every action is refused, and so is a plain (non-JSON) run.
    let (code, env) = json(&data, &["run", pkg, "count"]);
    assert_eq!(
        (code, &env["error"]["code"]),
        (Some(1), &"extension_quarantined".into())
    );
    let plain = morph(&data, &["run", pkg, "count"]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("error[extension_quarantined]"));

    // `morph list` and `morph inspect` show it, with the reason.
    let (code, listed) = json(&data, &["list"]);
    assert_eq!(code, Some(0));
    let held = &listed["result"]["quarantined"];
    assert_eq!(held.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(held[0]["extension"], ID);
    assert_eq!(held[0]["code"], "timeout");
    let reason = held[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("5 calls") && reason.contains("60 s"),
        "{reason}"
    );
    let text = String::from_utf8(morph(&data, &["list"]).stdout).unwrap();
    assert!(
        text.contains(ID) && text.contains("quarantined since"),
        "{text}"
    );
    let inspected = morph(&data, &["inspect", pkg, "--json"]);
    let inspected: Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(inspected["state"], "quarantined");
    assert_eq!(inspected["quarantine"]["reason"], reason);
    let text = String::from_utf8(morph(&data, &["inspect", pkg]).stdout).unwrap();
    assert!(text.contains("QUARANTINED since"), "{text}");

    // `morph enable` lifts it, audited.
    let (code, enabled) = json(&data, &["enable", ID]);
    assert_eq!(code, Some(0), "{enabled}");
    assert_eq!(enabled["result"]["lifted"]["extension"], ID);
    assert_eq!(capabilities(&enabled["audit"]), ["host.enable"]);
    let inspected = morph(&data, &["inspect", pkg, "--json"]);
    let inspected: Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(inspected["state"], "enabled");
    assert_eq!(inspected["quarantine"], Value::Null);

    // It runs again, and only five spins ever ran: the refused ones did not.
    let (code, env) = json(&data, &["run", pkg, "count"]);
    assert_eq!(code, Some(0), "{env}");
    assert_eq!(env["result"], 5);

    // The audit log holds both transitions, in order, and still verifies.
    let (code, records) = json(&data, &["audit", "--limit", "1000"]);
    assert_eq!(code, Some(0));
    let all = capabilities(&records);
    // Five tasks, each an intent and an outcome.
    assert_eq!(all.iter().filter(|c| *c == "data.create_task").count(), 10);
    let transitions: Vec<&String> = all.iter().filter(|c| c.starts_with("host.")).collect();
    assert_eq!(transitions, ["host.quarantine", "host.enable"]);
    let verified = morph(&data, &["audit", "--verify"]);
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");

    // Enabling it again changes nothing and is not an error.
    let (code, again) = json(&data, &["enable", ID]);
    assert_eq!(code, Some(0));
    assert_eq!(again["result"]["lifted"], Value::Null);
    assert_eq!(again["audit"], Value::Array(Vec::new()));
}

#[test]
fn quarantine_strikes_zero_never_quarantines() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = PackageSpec::new(ID, "js", "index.js", JS, ACTIONS)
        .permissions(&["data:read", "data:write"])
        .limits("max_execution_ms: 100")
        .write(dir.path());
    let data = dir.path().join("data");
    let pkg = pkg.to_str().unwrap();
    for _ in 0..6 {
        let (code, env) = json(&data, &["run", pkg, "spin", "--quarantine-strikes", "0"]);
        assert_eq!((code, &env["error"]["code"]), (Some(1), &"timeout".into()));
    }
    let (code, env) = json(&data, &["run", pkg, "count"]);
    assert_eq!((code, &env["result"]), (Some(0), &6.into()));
}

/// A regex that backtracks for far longer than the deadline, in one native
/// operation the engine cannot interrupt: the host's backstop answers.
const STALLS: [(&str, &str, &str); 2] = [
    (
        "js",
        "index.js",
        r#"export function execute() { return /^(a+)+$/.test("a".repeat(27) + "b"); }"#,
    ),
    (
        "python",
        "main.py",
        "import re\n\ndef execute(action, params):\n    return re.match(r\"^(a+)+$\", \"a\" * 27 + \"b\") is not None\n",
    ),
];

/// THREATS.md, "Exhausting the host": every limit holds against one big native
/// operation too (regex backtracking).
#[test]
fn a_native_stall_past_the_deadline_is_a_strike_in_js_and_python() {
    for (runtime, entry, code) in STALLS {
        let dir = tempfile::tempdir().unwrap();
        let id = format!("stall-{runtime}");
        let actions = "actions:\n  - name: stall\n    description: Backtracks\n";
        // Long enough for Python's `init` (importing `re`) on a busy
        // machine; the backtracking takes far longer.
        let pkg = PackageSpec::new(&id, runtime, entry, code, actions)
            .limits("max_execution_ms: 1500")
            .write(dir.path());
        let data = dir.path().join("data");
        let run = [
            "run",
            pkg.to_str().unwrap(),
            "stall",
            "--quarantine-strikes",
            "2",
        ];
        let (exit, first) = json(&data, &run);
        assert_eq!(
            (exit, &first["error"]["code"]),
            (Some(1), &"timeout".into()),
            "{runtime}"
        );
        let (_, second) = json(&data, &run);
        assert_eq!(second["error"]["code"], "timeout", "{runtime}");
        assert_eq!(
            capabilities(&second["audit"]),
            ["host.quarantine"],
            "{runtime}"
        );
        let (exit, third) = json(&data, &run);
        assert_eq!(
            (exit, &third["error"]["code"]),
            (Some(1), &"extension_quarantined".into()),
            "{runtime}"
        );
    }
}
