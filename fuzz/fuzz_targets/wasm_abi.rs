//! The wasm ABI boundary (`runtime-wasm/src/bridge.rs` and both engines):
//! a fixed, valid Morph module (guests/abi.wat) runs a program taken from
//! the fuzz input, so every pointer and length it hands the host (`call`,
//! `response`, `panic`, the packed result of `morph_execute`) is chosen by
//! the fuzzer. Run through the real `Host` on wasmer or wasmi (the first
//! byte chooses). Any outcome but a host panic or an `internal` error is
//! an answer; after an error the extension must still serve.

#![no_main]

use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use morph_fuzz::harness::Loaded;
use morph_runtime_core::LoadOptions;
use morph_runtime_wasm::{WasmConfig, WasmRuntime};
use morph_testkit::PackageSpec;
use serde_json::json;

const ACTIONS: &str = "actions:\n  - {name: run, description: Runs a program, parameters: [{name: p, type: string, required: true}]}\n";

fn load(engine: &str) -> Loaded {
    let wasm = wat::parse_str(include_str!("../guests/abi.wat")).expect("guests/abi.wat assembles");
    let dir = std::env::temp_dir().join(format!("morph-fuzz-wasm-cache-{}", std::process::id()));
    let runtime = Arc::new(WasmRuntime::new(WasmConfig {
        default_engine: engine.to_owned(),
        cache_dir: Some(dir),
        pool_workers: 1,
    }));
    let spec = PackageSpec::new("fuzz-wasm-abi", "wasm", "guest.wasm", wasm, ACTIONS)
        .permissions(&["vault:read", "fs:read", "http:read"])
        .allowed_hosts(&["127.0.0.1:9"])
        .limits("max_execution_ms: 2000\nmax_memory_mb: 16\nmax_output_kb: 64");
    let options = LoadOptions {
        isolation: None,
        engine: Some(engine.to_owned()),
    };
    Loaded::new(runtime, options, &spec)
}

fn host(wasmer: bool) -> &'static Loaded {
    static WASMER: OnceLock<Loaded> = OnceLock::new();
    static WASMI: OnceLock<Loaded> = OnceLock::new();
    if wasmer {
        WASMER.get_or_init(|| load("wasmer"))
    } else {
        WASMI.get_or_init(|| load("wasmi"))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((first, program)) = data.split_first() else {
        return;
    };
    let host = host(first & 1 == 0);
    let mut p = String::with_capacity(1 + program.len() * 2);
    p.push('#');
    for b in program.iter().take(8 * 1024) {
        let _ = write!(p, "{b:02x}");
    }
    if let Err(e) = host.run("run", json!({ "p": p })) {
        host.check_error("run", &e);
        // The host still serves the extension after any guest fault.
        let ok = host.run("run", json!({ "p": "#" }));
        assert_eq!(
            ok.ok(),
            Some(serde_json::Value::Null),
            "the extension stopped serving"
        );
    }
});
