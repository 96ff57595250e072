//! Module graphs and TypeScript, on real packages on disk: relative imports
//! within the package (never out of it), JSON modules, cycles, `import()`,
//! one instance per module, the bundling advice for npm names, the caps,
//! and `.ts` entries and imports with their types stripped.

use morph_runtime_core::Isolation;
use morph_testkit::{PackageSpec, TestHost};
use serde_json::{Value, json};

use crate::support::test_host;

/// The actions of every package here.
const ACTIONS: &str = "actions:
  - {name: run, description: Runs the package's check}
  - {name: import, description: import() of a specifier, parameters: [{name: specifier, type: string, required: true}]}
";

/// An entry whose `import` action imports `specifier` dynamically, and
/// whose `run` action returns what `run` computes.
fn entry(head: &str, run: &str) -> String {
    format!(
        "{head}\nexport async function execute(action, p) {{\n  if (action === 'import') {{ const m = await import(p.specifier); return Object.keys(m).sort(); }}\n  {run}\n}}\n"
    )
}

fn package(id: &str, entry_file: &str, code: impl Into<Vec<u8>>) -> PackageSpec {
    PackageSpec::new(id, "js", entry_file, code, ACTIONS)
}

async fn loaded(spec: &PackageSpec) -> (TestHost, String) {
    let th = test_host(None);
    let id = th.load(spec, json!({})).await.expect("the package loads");
    (th, id)
}

/// Loads `spec` expecting `invalid_package`; returns the message.
async fn refused(spec: &PackageSpec) -> String {
    let th = test_host(None);
    let err = th.load(spec, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package", "{err}");
    eprintln!("{err}");
    err.to_string()
}

/// `import(specifier)` in the loaded package: the module's export names or
/// the error (code, message).
async fn import(th: &TestHost, id: &str, specifier: &str) -> Result<Value, (String, String)> {
    th.run(id, "import", json!({"specifier": specifier}))
        .await
        .map_err(|e| {
            eprintln!("import({specifier}): {e}");
            (e.code().as_str().to_owned(), e.to_string())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_of_modules_imports_beneath_its_root() {
    let spec = package(
        "graph",
        "src/index.js",
        entry(
            "import { summary } from './lib/jira.js';\nimport { bump } from '../shared/counter.js';",
            "return { summary: summary({ key: 'M-1' }), first: bump(), second: bump() };",
        ),
    )
    .file(
        "src/lib/jira.js",
        "import { upper } from '../../shared/text.js';\nimport { bump } from './../../shared/./counter.js';\nexport function summary(i) { bump(); return upper(i.key); }\n",
    )
    .file("shared/text.js", "export const upper = (s) => s.toUpperCase() + '!';\n")
    .file("shared/counter.js", "let n = 0;\nexport function bump() { n += 1; return n; }\n");
    let (th, id) = loaded(&spec).await;
    // One counter for both importers: a module imported twice is one instance.
    let out = th.run(&id, "run", json!({})).await.unwrap();
    assert_eq!(out, json!({"summary": "M-1!", "first": 2, "second": 3}));
    assert_eq!(
        import(&th, &id, "../shared/text.js").await.unwrap(),
        json!(["upper"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_import_shares_the_static_instance_and_rejects_catchably() {
    let spec = package(
        "dynamic",
        "index.js",
        entry(
            "import * as statik from './lib/counter.js';",
            "const again = await import('./lib/counter.js');\n  const self = await import('./index.js');\n  let missing;\n  try { await import('./lib/missing.js'); } catch (e) { missing = `${e.name}: ${e.message}`; }\n  let broken;\n  try { await import('./lib/broken.js'); } catch (e) { broken = e.name; }\n  return { same: again === statik, selfSame: self.execute === execute, n: again.bump(), missing, broken };",
        ),
    )
    .file("lib/counter.js", "let n = 0;\nexport function bump() { n += 1; return n; }\n")
    .file("lib/broken.js", "export const = ;\n");
    let (th, id) = loaded(&spec).await;
    let out = th.run(&id, "run", json!({})).await.unwrap();
    assert_eq!(out["same"], json!(true), "{out}");
    assert_eq!(out["selfSame"], json!(true), "{out}");
    assert_eq!(out["n"], json!(1), "{out}");
    assert_eq!(out["broken"], json!("SyntaxError"), "{out}");
    let missing = out["missing"].as_str().unwrap();
    assert_eq!(
        missing,
        "TypeError: cannot import `./lib/missing.js` from index.js: lib/missing.js is not in \
         the package (a specifier names the file exactly, extension included)"
    );
    // Uncaught, a refused import() is the call's guest_error.
    let (code, message) = import(&th, &id, "./lib/counter").await.unwrap_err();
    assert_eq!(code, "guest_error");
    assert!(
        message.contains("lib/counter is not a module file"),
        "{message}"
    );
    // From a `new Function` body too.
    let spec = package(
        "dynamic-fn",
        "src/index.js",
        entry(
            "",
            "return Object.keys(await new Function(\"return import('./lib/x.js')\")());",
        ),
    )
    .file("src/lib/x.js", "export const x = 1;\n");
    let (th, id) = loaded(&spec).await;
    assert_eq!(th.run(&id, "run", json!({})).await.unwrap(), json!(["x"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_outside_the_package_is_ever_imported() {
    let spec = package("escape", "src/index.js", entry("", "return null;"));
    let (th, id) = loaded(&spec).await;
    // A real module right next to the package: still out of reach.
    let packages = th.dir.path().join("packages");
    std::fs::write(packages.join("secret.js"), "export const secret = 1;\n").unwrap();
    std::fs::write(
        packages.join("escape").join("inside.js"),
        "export const inside = 1;\n",
    )
    .unwrap();
    for (specifier, why) in [
        ("../../secret.js", "the path climbs out of the package root"),
        (
            "../../../../../../etc/passwd",
            "the path climbs out of the package root",
        ),
        (
            "../inside/../../secret.js",
            "the path climbs out of the package root",
        ),
        ("/etc/passwd", "absolute paths are not imported"),
        ("file:///etc/passwd", "URLs are not imported"),
        (
            "data:text/javascript,export default 1",
            "URLs are not imported",
        ),
        ("./..\\..\\secret.js", "the path holds a backslash"),
    ] {
        let (code, message) = import(&th, &id, specifier).await.unwrap_err();
        assert_eq!(code, "guest_error", "{specifier}");
        assert!(
            message.contains(&format!(
                "cannot import `{specifier}` from src/index.js: {why}"
            )),
            "{specifier}: {message}"
        );
    }
    // Written after load: the package's files were read once, at load.
    let (_, message) = import(&th, &id, "../inside.js").await.unwrap_err();
    assert!(
        message.contains("inside.js is not in the package"),
        "{message}"
    );
    // A static import out of the package fails the load, naming it.
    let message = refused(&package(
        "escape-static",
        "index.js",
        entry("import x from '../../etc/passwd';", "return x;"),
    ))
    .await;
    assert!(
        message.contains(
            "cannot import `../../etc/passwd` from index.js: the path climbs out of the package root"
        ),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_names_and_node_builtins_say_to_bundle() {
    let message = refused(&package(
        "bare",
        "index.js",
        entry("import _ from 'lodash';", "return _;"),
    ))
    .await;
    assert!(
        message.contains("cannot import `lodash` from index.js: npm packages and Node built-ins are not resolved: bundle dependencies into the package (e.g. `esbuild main.js --bundle --format=esm --outfile=bundle.js`)"),
        "{message}"
    );
    let spec = package("builtins", "index.js", entry("", "return null;"))
        .file("node_modules/left-pad/index.js", "export default 1;\n");
    let (th, id) = loaded(&spec).await;
    for specifier in [
        "node:fs",
        "fs",
        "@scope/pkg",
        "./node_modules/left-pad/index.js",
    ] {
        let (code, message) = import(&th, &id, specifier).await.unwrap_err();
        assert_eq!(code, "guest_error", "{specifier}");
        assert!(
            message.contains("--bundle --format=esm"),
            "{specifier}: {message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_modules_need_the_json_type() {
    let spec = package(
        "json",
        "index.js",
        entry(
            "import data from './data/fields.json' with { type: 'json' };",
            "const again = await import('./data/fields.json', { with: { type: 'json' } });\n  let odd;\n  try { await import('./data/fields.json', { with: { type: 'json', mode: 'x' } }); } catch (e) { odd = e.message; }\n  return { data, same: again.default === data, odd };",
        ),
    )
    .file("data/fields.json", r#"{"summary": "Summary", "n": [1, 2]}"#)
    .file("lib/x.js", "export const x = 1;\n");
    let (th, id) = loaded(&spec).await;
    assert_eq!(
        th.run(&id, "run", json!({})).await.unwrap(),
        json!({
            "data": {"summary": "Summary", "n": [1, 2]},
            "same": true,
            "odd": "cannot import `./data/fields.json` from index.js: unsupported import attribute `mode`"
        })
    );
    let (_, message) = import(&th, &id, "./data/fields.json").await.unwrap_err();
    assert!(
        message.contains("a JSON module is imported with `with { type: \"json\" }`"),
        "{message}"
    );
    let message = refused(
        &package(
            "json-typed-js",
            "index.js",
            entry("import x from './x.js' with { type: 'json' };", "return x;"),
        )
        .file("x.js", "export default 1;\n"),
    )
    .await;
    assert!(
        message.contains("only a .json file is imported with type \"json\""),
        "{message}"
    );
    let message = refused(
        &package(
            "json-broken",
            "index.js",
            entry(
                "import d from './d.json' with { type: 'json' };",
                "return d;",
            ),
        )
        .file("d.json", "{\"a\": "),
    )
    .await;
    assert!(message.contains("d.json is not valid JSON"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_link_into_one_graph() {
    let spec = package(
        "cycle",
        "index.js",
        entry("import { isEven } from './even.js';", "return [isEven(10), isEven(7)];"),
    )
    .file(
        "even.js",
        "import { isOdd } from './odd.js';\nexport function isEven(n) { return n === 0 ? true : isOdd(n - 1); }\n",
    )
    .file(
        "odd.js",
        "import { isEven } from './even.js';\nexport function isOdd(n) { return n === 0 ? false : isEven(n - 1); }\n",
    );
    let (th, id) = loaded(&spec).await;
    assert_eq!(
        th.run(&id, "run", json!({})).await.unwrap(),
        json!([true, false])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_context_gets_the_graph_under_per_call() {
    let spec = package(
        "per-call",
        "index.js",
        entry("import { bump } from './counter.js';", "return bump();"),
    )
    .file(
        "counter.js",
        "let n = 0;\nexport function bump() { n += 1; return n; }\n",
    );
    let th = test_host(Some(Isolation::PerCall));
    let id = th.load(&spec, json!({})).await.unwrap();
    for _ in 0..3 {
        assert_eq!(th.run(&id, "run", json!({})).await.unwrap(), json!(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_count_and_size_are_capped() {
    let mut spec = package("many", "index.js", entry("", "return null;"));
    for i in 0..morph_runtime_js::MAX_MODULES {
        spec = spec.file(&format!("m/{i}.js"), "export {};\n");
    }
    let message = refused(&spec).await;
    assert!(
        message.contains("the package holds more than 4096 module files"),
        "{message}"
    );

    let big = format!("[{}0]", "0,".repeat(morph_runtime_js::MAX_SOURCE_BYTES / 2));
    let message =
        refused(&package("big", "index.js", entry("", "return null;")).file("big.json", big)).await;
    assert!(
        message.contains("the package's module files hold more than 33554432 bytes"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_runs_with_its_types_stripped() {
    let spec = package(
        "ts",
        "main.ts",
        entry(
            "import { describe, fail } from './lib/issue.ts';\nimport type { Issue } from './lib/issue.ts';\nimport { twice } from './lib/util.mts';\ninterface Params { specifier?: string }\nconst issue: Issue = { key: 'M-7', points: 3 as number };",
            "if (action === 'fail') { fail(); }\n  return { text: describe(issue), twice: twice<number>(issue.points!) };",
        ),
    )
    .file(
        "lib/issue.ts",
        "export type Issue = { key: string; points: number };\n\nexport function describe(i: Issue): string {\n  return `${i.key} (${i.points} points)`;\n}\n\nexport function fail(): never {\n  const why: string = 'the tracker said no';\n  throw new Error(why);\n}\n",
    )
    .file("lib/util.mts", "export const twice = <T extends number>(n: T): number => n * 2;\n");
    let (th, id) = loaded(&spec).await;
    assert_eq!(
        th.run(&id, "run", json!({})).await.unwrap(),
        json!({"text": "M-7 (3 points)", "twice": 6})
    );
    // A thrown error points into the .ts source as written (line 9,
    // column 9: `new Error`).
    let spec = spec.clone();
    let mut failing = spec;
    failing.id = "ts-fail".into();
    failing
        .actions
        .push_str("  - {name: fail, description: Throws from TypeScript}\n");
    let (th, id) = loaded(&failing).await;
    let err = th.run(&id, "fail", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error", "{err}");
    let stack = err.guest_stack().expect("a stack");
    assert!(
        stack.contains("lib/issue.ts:9:"),
        "position in the .ts file: {stack}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_that_needs_a_transform_is_refused_with_its_position() {
    let message = refused(
        &package(
            "ts-enum",
            "main.ts",
            entry("import { Color } from './color.ts';", "return Color.Red;"),
        )
        .file("color.ts", "// Colours.\nexport enum Color {\n  Red,\n}\n"),
    )
    .await;
    assert!(message.contains("color.ts:2:8:"), "{message}");
    assert!(message.contains("enum"), "{message}");
    for (name, code, position) in [
        (
            "namespace",
            "namespace N { export const x = 1; }\n",
            "main.ts:1:1:",
        ),
        (
            "parameter-property",
            "class A {\n  constructor(private x: number) {}\n}\n",
            "main.ts:2:23:",
        ),
    ] {
        let message = refused(&package(
            &format!("ts-{name}"),
            "main.ts",
            format!("{code}export function execute() {{ return 1; }}\n"),
        ))
        .await;
        assert!(message.contains(position), "{name}: {message}");
    }
    // A TypeScript syntax error, too.
    let message = refused(&package(
        "ts-syntax",
        "main.ts",
        "export function execute(: number) { return 1; }\n",
    ))
    .await;
    assert!(message.contains("main.ts:1:"), "{message}");
    // `.js` names a `.js` file exactly, never the `.ts` beside it.
    let message = refused(
        &package(
            "ts-js-specifier",
            "main.ts",
            entry("import { x } from './x.js';", "return x;"),
        )
        .file("x.ts", "export const x: number = 1;\n"),
    )
    .await;
    assert!(
        message.contains("x.js is not in the package, x.ts is (a specifier names the file exactly"),
        "{message}"
    );
}
