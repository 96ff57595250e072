//! A JavaScript package of several modules, a JSON module and TypeScript run
//! through the real `morph run`; an import that climbs out of the package
//! fails the load with `invalid_package` and a message naming it (issue 29).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

/// Writes `files` (path, text) under `dir`, with a manifest for `entry`.
fn package(dir: &Path, entry: &str, files: &[(&str, &str)]) {
    let manifest = format!(
        "extension_id: js-modules\nversion: 0.1.0\nmetadata: {{name: JS modules, description: \
         Modules and TypeScript, author: Morph tests, license: Apache-2.0}}\n\
         runtime: js\nentry: {entry}\nactions:\n  - {{name: run, description: Runs, \
         ai_access: execute}}\n"
    );
    std::fs::write(dir.join("manifest.yaml"), manifest).unwrap();
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// `morph run DIR run --json` in a fresh data dir: (exit code, envelope).
fn run(dir: &Path) -> (Option<i32>, Value) {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_morph"))
        .arg("run")
        .arg(dir)
        .args(["run", "--json", "--data-dir"])
        .arg(data.path())
        .env_remove("MORPH_DATA_DIR")
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON envelope ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

#[test]
fn a_typescript_package_of_modules_with_a_json_module_runs() {
    let dir = tempfile::tempdir().unwrap();
    package(
        dir.path(),
        "src/main.ts",
        &[
            (
                "src/main.ts",
                "import { greet, type Greeting } from './lib/greet.ts';\n\
                 import { shout } from '../shared/shout.js';\n\
                 import data from '../data/names.json' with { type: 'json' };\n\
                 export async function execute(action: string, params: unknown) {\n\
                 \x20 const { twice } = await import('./lib/twice.mjs');\n\
                 \x20 const all: Greeting[] = data.names.map(greet);\n\
                 \x20 return { all, loud: shout(all[0].text), twice: twice(21) };\n\
                 }\n",
            ),
            (
                "src/lib/greet.ts",
                "export interface Greeting { text: string; length: number }\n\
                 export function greet(name: string): Greeting {\n\
                 \x20 const text = `Hello, ${name}!`;\n\
                 \x20 return { text, length: text.length };\n\
                 }\n",
            ),
            ("src/lib/twice.mjs", "export const twice = (n) => n * 2;\n"),
            (
                "shared/shout.js",
                "export const shout = (s) => s.toUpperCase();\n",
            ),
            ("data/names.json", "{\"names\": [\"Ada\", \"Grace\"]}\n"),
        ],
    );
    let (code, doc) = run(dir.path());
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(
        doc["result"],
        json!({
            "all": [
                {"text": "Hello, Ada!", "length": 11},
                {"text": "Hello, Grace!", "length": 13}
            ],
            "loud": "HELLO, ADA!",
            "twice": 42
        })
    );
}

#[test]
fn an_import_that_climbs_out_of_the_package_fails_the_load() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ext");
    std::fs::create_dir(&dir).unwrap();
    // A real file beside the package: it must never be read.
    std::fs::write(root.path().join("outside.js"), "export const x = 1;\n").unwrap();
    package(
        &dir,
        "main.js",
        &[(
            "main.js",
            "import { x } from '../outside.js';\nexport function execute() { return x; }\n",
        )],
    );
    let (code, doc) = run(&dir);
    assert_eq!(code, Some(2), "{doc}");
    assert_eq!(doc["error"]["code"], "invalid_package", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("../outside.js") && message.contains("climbs out of the package"),
        "{message}"
    );
}
