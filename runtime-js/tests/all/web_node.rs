//! The web platform tour (issue 29 point 1) compared with Node:
//! `tests/guest/web/index.js` uses every web global Morph promises, and its
//! `tour` action must return, API by API, exactly what the same module
//! returns under Node (`morph_testkit::node_reference` runs it there), with
//! a real HTTP server on 127.0.0.1 for `fetch`. What it logs through
//! `console` must match Node's lines too. Without `node` on `PATH` the test
//! says so and skips.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use morph_testkit::PackageSpec;
use serde_json::{Value, json};

const ACTIONS: &str = "actions:\n  - {name: tour, description: The web platform tour, parameters: [{name: base, type: string}]}\n";

fn tour_module() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guest/web/index.js")
}

/// `(result, console lines)` of the tour under Node, or `None` without Node.
fn node(params: &Value) -> Option<(Value, Vec<(String, String)>)> {
    let out = match Command::new("node")
        .arg(morph_testkit::node_reference())
        .arg(tour_module())
        .arg("tour")
        .arg(params.to_string())
        .env("TZ", "UTC")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!(
                "SKIPPED: `node` (the JS reference) is not on PATH ({e}); the web tour was not compared"
            );
            return None;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Node run failed ({}):\n{stderr}",
        out.status
    );
    let result = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "reference.mjs printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let lines = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            Some((
                v.get("level")?.as_str()?.to_owned(),
                v.get("message")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    Some((result, lines))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_tour_matches_node_api_by_api() {
    let server = crate::web::echo_server();
    let host = server.host();
    let params = json!({ "base": format!("http://{host}") });
    let Some((reference, node_logs)) = node(&params) else {
        return;
    };

    let th = crate::support::test_host(None);
    let source = std::fs::read_to_string(tour_module()).unwrap();
    let spec = PackageSpec::new("web-tour", "js", "index.js", source, ACTIONS)
        .permissions(&["http:read", "http:write"])
        .allowed_hosts(&[host.as_str()]);
    let id = th.load(&spec, json!({})).await.unwrap();
    let ex = th.host.execute_traced(&id, "tour", params).await;
    let morph = ex
        .result
        .unwrap_or_else(|e| panic!("the tour failed under Morph ({}): {e}", e.code().as_str()));

    let (Value::Object(m), Value::Object(n)) = (&morph, &reference) else {
        panic!("the tour returns an object: {morph}");
    };
    let names: BTreeSet<&String> = m.keys().chain(n.keys()).collect();
    let differing: Vec<String> = names
        .into_iter()
        .filter(|k| m.get(*k) != n.get(*k))
        .map(|k| {
            format!(
                "{k}:\n    morph: {}\n    node:  {}",
                show(m.get(k)),
                show(n.get(k))
            )
        })
        .collect();
    assert!(
        differing.is_empty(),
        "sections differ from Node:\n{}",
        differing.join("\n")
    );

    let morph_logs: Vec<(String, String)> =
        ex.logs.into_iter().map(|l| (l.level, l.message)).collect();
    let differing: Vec<String> = morph_logs
        .iter()
        .zip(&node_logs)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  morph: {a:?}\n  node:  {b:?}"))
        .collect();
    assert!(
        differing.is_empty() && morph_logs.len() == node_logs.len(),
        "console lines differ from Node ({} vs {} lines):\n{}",
        morph_logs.len(),
        node_logs.len(),
        differing.join("\n")
    );
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "(missing)".to_owned(), Value::to_string)
}
