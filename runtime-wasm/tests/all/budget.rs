//! Compilation has a budget: a module past `max_module_kb` or
//! `max_functions` fails its load with `invalid_package` before either engine
//! compiles it, `max_compile_ms` stops wasmer's Cranelift, and a manifest
//! that raises a bound lets a bigger module load.
//!
//! Times are only sanity bounds (a loaded CI machine is slow); what proves
//! that nothing was compiled is the error, which names the bound.

use std::time::{Duration, Instant};

use morph_runtime_core::Error;
use serde_json::json;

use crate::generated::{Filler, abi_module};
use crate::on_every_engine;
use crate::support::{GuestOptions, guest_wasm, host, write_package};

on_every_engine!(
    a_module_with_too_many_functions_fails_before_it_compiles,
    raising_max_functions_lets_a_bigger_module_load,
    a_module_past_max_module_kb_fails_until_the_manifest_raises_it,
    compilation_stops_at_max_compile_ms,
    budgets_out_of_range_are_invalid_manifests,
);

/// Loads `wasm` on `engine` under `limits` (manifest lines); returns what
/// the load did, how long it took, and the answer of one call when it
/// loaded.
async fn load(
    engine: &str,
    limits: &str,
    wasm: &[u8],
) -> (Result<serde_json::Value, Error>, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = host(dir.path(), engine, None);
    let opts = GuestOptions {
        id: "budget",
        limits,
        ..Default::default()
    };
    let pkg = write_package(dir.path(), &opts, wasm);
    let started = Instant::now();
    let loaded = host.load(&pkg, json!({})).await;
    let elapsed = started.elapsed();
    let result = match loaded {
        Ok(id) => host.execute(&id, "echo", json!({})).await,
        Err(e) => Err(e),
    };
    (result, elapsed)
}

fn refused(result: Result<serde_json::Value, Error>, engine: &str) -> String {
    let err = result.expect_err("the load should fail");
    assert_eq!(err.code().as_str(), "invalid_package", "{engine}: {err}");
    err.to_string()
}

async fn a_module_with_too_many_functions_fails_before_it_compiles(engine: &str) {
    // 300 000 functions in 2.9 MiB: wasmer needed 20 to 35 s and 0.5 to
    // 0.7 GiB to compile them on a 2-core machine (runtime-wasm/README.md).
    let bomb = abi_module(300_000, Filler::Tiny { repeats: 1 });
    assert!(bomb.len() < 3 << 20, "{}", bomb.len());
    let (result, elapsed) = load(engine, "", &bomb).await;
    let message = refused(result, engine);
    assert!(
        message.contains("300004 functions, more than resource_limits.max_functions = 50000"),
        "{engine}: {message}"
    );
    assert!(
        message.contains("nothing was compiled"),
        "{engine}: {message}"
    );
    assert!(elapsed < Duration::from_secs(10), "{engine}: {elapsed:?}");

    // A normal module, under the same defaults, loads.
    let (result, _) = load(engine, "", &guest_wasm()).await;
    assert_eq!(result.unwrap(), json!({}), "{engine}");
}

async fn raising_max_functions_lets_a_bigger_module_load(engine: &str) {
    let module = abi_module(2_000, Filler::Tiny { repeats: 1 });
    let (result, _) = load(engine, "  max_functions: 1000\n", &module).await;
    let message = refused(result, engine);
    assert!(
        message.contains("2004 functions, more than resource_limits.max_functions = 1000"),
        "{engine}: {message}"
    );
    let (result, _) = load(engine, "  max_functions: 3000\n", &module).await;
    assert_eq!(result.unwrap(), json!(42), "{engine}");
}

async fn a_module_past_max_module_kb_fails_until_the_manifest_raises_it(engine: &str) {
    let wasm = guest_wasm();
    assert!(wasm.len() > 64 * 1024 && wasm.len() < 1024 * 1024);
    let (result, _) = load(engine, "  max_module_kb: 64\n", &wasm).await;
    let message = refused(result, engine);
    assert!(
        message.contains("more than resource_limits.max_module_kb = 64"),
        "{engine}: {message}"
    );
    let (result, _) = load(engine, "  max_module_kb: 1024\n", &wasm).await;
    assert_eq!(result.unwrap(), json!({}), "{engine}");
}

async fn compilation_stops_at_max_compile_ms(engine: &str) {
    // 4 MiB of calls and branches in 64 functions of 64 KiB: well within
    // the size and count bounds, but about 65 s of CPU (47 s on 2 cores) for
    // Cranelift with metering, so tens of times the deadline on any machine;
    // wasmi translates it in 0.3 s.
    let module = abi_module(64, Filler::Branchy { repeats: 4_000 });
    let (result, elapsed) = load(engine, "  max_compile_ms: 1000\n", &module).await;
    match engine {
        "wasmer" => {
            let message = refused(result, engine);
            assert!(
                message.contains("did not compile within resource_limits.max_compile_ms = 1000"),
                "{message}"
            );
            // The deadline plus the functions being compiled when it passed.
            assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
        }
        _ => assert_eq!(result.unwrap(), json!(42), "{engine}"),
    }
}

async fn budgets_out_of_range_are_invalid_manifests(engine: &str) {
    for (line, field) in [
        ("  max_module_kb: 0\n", "resource_limits.max_module_kb"),
        ("  max_module_kb: 65537\n", "resource_limits.max_module_kb"),
        ("  max_functions: 0\n", "resource_limits.max_functions"),
        ("  max_compile_ms: 10\n", "resource_limits.max_compile_ms"),
    ] {
        let (result, _) = load(engine, line, &guest_wasm()).await;
        let err = result.expect_err(line);
        assert_eq!(err.code().as_str(), "invalid_manifest", "{line}: {err}");
        assert!(err.to_string().contains(field), "{line}: {err}");
    }
}
