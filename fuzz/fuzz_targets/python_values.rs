//! The Python value converter (`runtime-python/src/convert.rs`) through a
//! real RustPython session: host JSON sent in and echoed back must come back
//! the same (exactly: Python's ints and floats hold every JSON number), and
//! guest-built values (big ints, NaN, sets, bytes, non-`str` keys,
//! subclasses with hostile methods, cycles, surrogates...) must cross or be
//! refused cleanly.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use morph_fuzz::harness::Loaded;
use morph_fuzz::values::{Case, program, same_json};
use morph_runtime_core::LoadOptions;
use morph_runtime_python::{PythonConfig, PythonRuntime};
use morph_testkit::PackageSpec;
use serde_json::json;

/// The guest's operations, in the order of `OPS` in guests/values.py.
const PY_OPS: &[&str] = &[
    "num",
    "str",
    "bigint",
    "pow2",
    "negpow2",
    "float",
    "nan",
    "inf",
    "negz",
    "bool",
    "none",
    "bytes",
    "bytearray",
    "set",
    "frozenset",
    "complex",
    "range",
    "surrogate",
    "arr",
    "tuple",
    "dict",
    "intkey",
    "tuplekey",
    "nonekey",
    "subdict",
    "sublist",
    "substr",
    "substrkey",
    "subint",
    "subfloat",
    "object",
    "cls",
    "fn",
    "cycle",
    "shared",
    "deep",
    "deepdict",
    "deeptuple",
    "repeat",
    "dup",
    "exception",
    "gen",
];

fn host() -> &'static Loaded {
    static HOST: OnceLock<Loaded> = OnceLock::new();
    HOST.get_or_init(|| {
        let runtime = Arc::new(PythonRuntime::new(PythonConfig {
            pool_workers: 1,
            ..PythonConfig::default()
        }));
        let spec = PackageSpec::new(
            "fuzz-python-values",
            "python",
            "main.py",
            include_str!("../guests/values.py"),
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
                    same_json(&sent, &got, false),
                    "echo changed the value:\n sent {sent}\n got  {got}"
                ),
                Err(e) => host.check_error("echo", &e),
            }
        }
        Some(Case::Build(ops)) => {
            if let Err(e) = host.run("build", program(&ops, PY_OPS)) {
                host.check_error("build", &e);
            }
        }
        None => {}
    }
});
