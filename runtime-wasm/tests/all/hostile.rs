//! Malformed and hostile modules are refused at load with a clear error,
//! never a panic, and the host keeps serving other extensions.

use serde_json::json;

use crate::on_every_engine;
use crate::support::{GuestOptions, guest_wasm, host, write_package};

on_every_engine!(hostile_modules_are_refused_at_load);

/// A module that satisfies the ABI; `$extra` adds items, `$version` is the
/// value `morph_abi_version` returns.
fn module(extra: &str, version: i32, exports: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (memory (export "memory") 1)
            (global $bump (mut i32) (i32.const 1024))
            (func (export "morph_abi_version") (result i32) (i32.const {version}))
            (func (export "morph_alloc") (param i32) (result i32)
                (local $p i32)
                (local.set $p (global.get $bump))
                (global.set $bump (i32.add (global.get $bump) (local.get 0)))
                (local.get $p))
            (func (export "morph_free") (param i32 i32))
            {exports}
            {extra})"#
    ))
    .unwrap()
}

const EXECUTE: &str =
    r#"(func (export "morph_execute") (param i32 i32) (result i64) (i64.const 0))"#;

/// THREATS.md, "Guests reaching the host without the broker": wasm, an import
/// that is not granted fails at link time (`foreign-import`).
async fn hostile_modules_are_refused_at_load(engine: &str) {
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("not-wasm", b"#!/bin/sh\necho pwned\n".to_vec(), "invalid_package", "not a WebAssembly"),
        ("wrong-abi", module("", 99, EXECUTE), "invalid_package", "ABI"),
        ("no-execute", module("", 1, ""), "invalid_package", "morph_execute"),
        (
            "foreign-import",
            wat::parse_str(
                r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))"#,
            )
            .unwrap(),
            "invalid_package",
            "fd_write",
        ),
        (
            "bad-signature",
            module("", 1, r#"(func (export "morph_execute") (param i32) (result i32) (i32.const 0))"#),
            "invalid_package",
            "signature",
        ),
        (
            "simd",
            module(
                r#"(func (export "uses_simd") (result i32) (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))"#,
                1,
                EXECUTE,
            ),
            "invalid_package",
            "feature",
        ),
        (
            "start-loops",
            module("(func $spin (loop $l (br $l))) (start $spin)", 1, EXECUTE),
            "init_failed",
            "",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = host(dir.path(), engine, None);
    for (id, wasm, code, needle) in cases {
        let opts = GuestOptions {
            id,
            limits: "  max_execution_ms: 300\n",
            ..Default::default()
        };
        let pkg = write_package(dir.path(), &opts, &wasm);
        let err = host.load(&pkg, json!({})).await.unwrap_err();
        assert_eq!(err.code().as_str(), code, "{engine} {id}: {err}");
        assert!(
            err.to_string()
                .to_lowercase()
                .contains(&needle.to_lowercase()),
            "{engine} {id}: {err}"
        );
    }
    // The host still loads and runs a good extension.
    let pkg = write_package(dir.path(), &GuestOptions::default(), &guest_wasm());
    let id = host.load(&pkg, json!({})).await.unwrap();
    assert_eq!(
        host.execute(&id, "echo", json!({"value": 1}))
            .await
            .unwrap(),
        json!({"value": 1})
    );
}
