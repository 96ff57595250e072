//! The JS value converter (`runtime-js/src/convert.rs`) through a real Boa
//! session: host JSON sent in and echoed back must come back the same
//! (numbers as doubles), and guest-built values (BigInt, NaN, proxies,
//! cycles, holes, getters, promises...) must cross or be refused cleanly.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use morph_fuzz::harness::Loaded;
use morph_fuzz::values::{Case, program, same_json};
use morph_runtime_core::LoadOptions;
use morph_runtime_js::{JsConfig, JsRuntime};
use morph_testkit::PackageSpec;
use serde_json::json;

/// The guest's operations, in the order of `OPS` in guests/values.js.
const JS_OPS: &[&str] = &[
    "num",
    "str",
    "big",
    "nan",
    "inf",
    "negz",
    "undef",
    "sym",
    "fn",
    "date",
    "map",
    "set",
    "re",
    "bytes",
    "floats",
    "surrogate",
    "arr",
    "obj",
    "define",
    "numkey",
    "symkey",
    "length",
    "hole",
    "arrprop",
    "getter",
    "proxy",
    "cycle",
    "shared",
    "deep",
    "deepobj",
    "freeze",
    "inherit",
    "nullproto",
    "tojson",
    "thenable",
    "promise",
    "reject",
    "boxed",
    "error",
    "subarray",
    "repeat",
    "dup",
    "json",
];

fn host() -> &'static Loaded {
    static HOST: OnceLock<Loaded> = OnceLock::new();
    HOST.get_or_init(|| {
        let runtime = Arc::new(JsRuntime::new(JsConfig {
            pool_workers: 1,
            ..JsConfig::default()
        }));
        let spec = PackageSpec::new(
            "fuzz-js-values",
            "js",
            "index.js",
            include_str!("../guests/values.js"),
            include_str!("../guests/actions.yaml"),
        )
        .limits("max_execution_ms: 5000");
        Loaded::new(runtime, LoadOptions::default(), &spec)
    })
}

fuzz_target!(|data: &[u8]| {
    let host = host();
    match Case::from_bytes(data) {
        Some(Case::Echo(tree)) => {
            let sent = tree.to_json();
            match host.run("echo", json!({ "value": sent })) {
                Ok(got) => assert!(
                    same_json(&sent, &got, true),
                    "echo changed the value:\n sent {sent}\n got  {got}"
                ),
                Err(e) => host.check_error("echo", &e),
            }
        }
        Some(Case::Build(ops)) => {
            if let Err(e) = host.run("build", program(&ops, JS_OPS)) {
                host.check_error("build", &e);
            }
        }
        None => {}
    }
});
