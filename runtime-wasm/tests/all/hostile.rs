//! Malformed and hostile modules are refused at load with a clear error,
//! never a panic, and the host keeps serving other extensions.

use serde_json::json;

use crate::on_every_engine;
use crate::support::{GuestOptions, WAT_BUMP_ALLOCATOR, guest_wasm, host, write_package};

on_every_engine!(
    hostile_modules_are_refused_at_load,
    wasi_calls_with_bad_pointers_get_errnos_never_host_memory,
);

/// A module that satisfies the ABI; `$extra` adds items, `$version` is the
/// value `morph_abi_version` returns.
fn module(extra: &str, version: i32, exports: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (memory (export "memory") 1)
            (func (export "morph_abi_version") (result i32) (i32.const {version}))
            {WAT_BUMP_ALLOCATOR}
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
            wat::parse_str(r#"(module (import "env" "system" (func (param i32) (result i32))))"#)
                .unwrap(),
            "invalid_package",
            "env.system",
        ),
        (
            "unknown-wasi-function",
            wat::parse_str(
                r#"(module (import "wasi_snapshot_preview1" "fd_open" (func (param i32) (result i32))))"#,
            )
            .unwrap(),
            "invalid_package",
            "not a WASI preview 1 function",
        ),
        (
            "wasi-wrong-signature",
            wat::parse_str(
                r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i64) (result i32))))"#,
            )
            .unwrap(),
            "invalid_package",
            "fd_write",
        ),
        (
            "wasi-command",
            module(r#"(func (export "_start"))"#, 1, EXECUTE),
            "invalid_package",
            "_start",
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

/// A guest that hands every WASI function it imports pointers and lengths
/// outside its memory (and a descriptor that does not exist); it traps
/// unless each call answered the errno ABI.md names.
const WASI_BAD_POINTERS: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"ok\":true}")
  ;; iovec at 64: a buffer far outside memory
  (data (i32.const 64) "\f0\ff\ff\ff\64\00\00\00")
  (func (export "morph_abi_version") (result i32) (i32.const 1))
  ALLOCATOR
  (func $expect (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then unreachable)))
  (func (export "morph_execute") (param i32 i32) (result i64)
    ;; EFAULT (21): the iovec's buffer, the iovec table, the result slot
    (call $expect (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 128)) (i32.const 21))
    (call $expect (call $fd_write (i32.const 2) (i32.const 0xfffffff8) (i32.const 1) (i32.const 128)) (i32.const 21))
    (call $expect (call $fd_read (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 65535)) (i32.const 21))
    (call $expect (call $random_get (i32.const 65530) (i32.const 100)) (i32.const 21))
    (call $expect (call $random_get (i32.const 0xffffffff) (i32.const 2)) (i32.const 21))
    (call $expect (call $clock (i32.const 0) (i64.const 0) (i32.const 65535)) (i32.const 21))
    (call $expect (call $args (i32.const 65534) (i32.const 0)) (i32.const 21))
    ;; EINVAL (28): more iovecs than the cap; an unknown clock
    (call $expect (call $fd_write (i32.const 1) (i32.const 64) (i32.const 0x7fffffff) (i32.const 128)) (i32.const 28))
    (call $expect (call $clock (i32.const 9) (i64.const 0) (i32.const 256)) (i32.const 28))
    ;; EBADF (8): a descriptor that does not exist, a path under none
    (call $expect (call $fd_write (i32.const 9) (i32.const 64) (i32.const 1) (i32.const 128)) (i32.const 8))
    (call $expect (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 256)) (i32.const 8))
    ;; ENOTCAPABLE (76) writing stdin, ENOSYS (52) for poll_oneoff
    (call $expect (call $fd_write (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)) (i32.const 76))
    (call $expect (call $poll (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 256)) (i32.const 52))
    (i64.const 11)))"#;

/// THREATS.md, "Guests reaching the host without the broker": WASI
/// functions check every pointer like the `morph` imports; a bad one is an
/// errno for the guest, never a host read or write outside its memory.
async fn wasi_calls_with_bad_pointers_get_errnos_never_host_memory(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = host(dir.path(), engine, None);
    let opts = GuestOptions {
        id: "wasi-bad-pointers",
        ..Default::default()
    };
    let pkg = write_package(
        dir.path(),
        &opts,
        &wat::parse_str(WASI_BAD_POINTERS.replace("ALLOCATOR", WAT_BUMP_ALLOCATOR)).unwrap(),
    );
    let id = host.load(&pkg, json!({})).await.unwrap();
    let out = host.execute(&id, "state_get", json!({})).await;
    assert_eq!(out.unwrap(), json!(true), "{engine}");
}
