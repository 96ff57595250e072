//! `wasm-opt -Oz` over a guest module, for `morph package --optimize`.
//!
//! Runs binaryen's `wasm-opt` (found on `PATH`, or the binary that
//! `MORPH_WASM_OPT` names) on a copy in a temporary directory: **the
//! author's file is never touched**, only the bytes that go into the
//! archive change. **The result is held to Morph's feature set** (ABI.md,
//! "Feature set"): the module is checked by runtime-wasm's validator before
//! wasm-opt runs, wasm-opt gets exactly that set as flags (the input's
//! `target_features` section is removed first, because binaryen would take
//! the features it declares over its flags), and the output must pass the
//! same validator again or nothing is packaged. Custom sections survive
//! (`producers`, `morph_sdk`, any other), except the debug names (`name`)
//! and `target_features`; **a `morph_sdk` section the input has is checked
//! to be in the output, unchanged**.
//!
//! Errors: `invalid_package` when the module is not valid for Morph (as
//! `morph run` would refuse it); `io` when wasm-opt cannot be started (not
//! installed, or `MORPH_WASM_OPT` names nothing runnable) or the temporary
//! files fail; `internal` when wasm-opt fails or its output is not what
//! Morph accepts (the tool's fault, not the package's: packaging without
//! `--optimize` still works).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use morph_runtime_core::{Error, Result};
use wasmparser::{Parser, Payload};

/// The environment variable naming the `wasm-opt` binary to run.
pub const WASM_OPT_ENV: &str = "MORPH_WASM_OPT";

/// wasm-opt's flags for Morph's feature set: none, then each feature
/// ABI.md lists (the MVP plus these six).
const FEATURE_FLAGS: [&str; 7] = [
    "--mvp-features",
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-bulk-memory",
    "--enable-reference-types",
];

/// The custom section binaryen reads features from.
const TARGET_FEATURES: &str = "target_features";

/// The most of wasm-opt's stderr quoted in an error, in bytes.
const MAX_QUOTED_STDERR: usize = 2048;

/// `wasm` (the package file `module`, named in messages) optimized for
/// size.
///
/// # Errors
/// See the module docs: `invalid_package`, `io` or `internal`.
pub fn optimize(module: &str, wasm: &[u8]) -> Result<Vec<u8>> {
    morph_runtime_wasm::validate::validate(wasm)?;
    let sdk = morph_package::sdk_name(wasm);
    let input = without_custom_section(wasm, TARGET_FEATURES)?;

    let dir = tempfile::Builder::new()
        .prefix("morph-wasm-opt-")
        .tempdir()
        .map_err(|e| Error::io("creating a temporary directory for wasm-opt", e))?;
    let (in_path, out_path) = (dir.path().join("in.wasm"), dir.path().join("out.wasm"));
    std::fs::write(&in_path, &input)
        .map_err(|e| Error::io(format!("writing {}", in_path.display()), e))?;

    let (program, named_by) = wasm_opt();
    let ran = Command::new(&program)
        .arg("-Oz")
        .args(FEATURE_FLAGS)
        .arg(&in_path)
        .arg("-o")
        .arg(&out_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            Error::io(
                format!(
                    "cannot run `{}` ({named_by}) for --optimize; install binaryen \
                     (Debian and Ubuntu: `apt-get install binaryen`) or name its \
                     wasm-opt with {WASM_OPT_ENV}",
                    program.display()
                ),
                e,
            )
        })?;
    if !ran.status.success() {
        return Err(Error::internal(format!(
            "`{}` failed on {module} ({}): {}; package without --optimize",
            program.display(),
            ran.status,
            tail(&String::from_utf8_lossy(&ran.stderr), MAX_QUOTED_STDERR),
        )));
    }
    let optimized = std::fs::read(&out_path).map_err(|e| {
        Error::io(
            format!("reading wasm-opt's output {}", out_path.display()),
            e,
        )
    })?;

    morph_runtime_wasm::validate::validate(&optimized).map_err(|e| {
        Error::internal(format!(
            "`{}` made {module} a module Morph refuses ({e}); package without --optimize",
            program.display()
        ))
    })?;
    if sdk.is_some() && morph_package::sdk_name(&optimized) != sdk {
        return Err(Error::internal(format!(
            "`{}` did not keep the `{}` section of {module}; package without --optimize",
            program.display(),
            morph_package::sdk_name::SDK_SECTION
        )));
    }
    Ok(optimized)
}

/// The `wasm-opt` to run and where its name came from.
fn wasm_opt() -> (PathBuf, &'static str) {
    match std::env::var_os(WASM_OPT_ENV) {
        Some(named) if !named.is_empty() => (PathBuf::from(named), "named by MORPH_WASM_OPT"),
        _ => (PathBuf::from("wasm-opt"), "looked up on PATH"),
    }
}

/// `wasm` without its custom sections called `name` (every other section
/// kept byte for byte, in order).
fn without_custom_section(wasm: &[u8], name: &str) -> Result<Vec<u8>> {
    let malformed = |e: wasmparser::BinaryReaderError| Error::InvalidPackage {
        reason: format!("not a WebAssembly module: {e}"),
    };
    let mut out = Vec::with_capacity(wasm.len());
    // Sections are contiguous: each starts where the one before ended.
    let (mut copied, mut section_start) = (0usize, 0usize);
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(malformed)?;
        if let Payload::Version { range, .. } = &payload {
            section_start = range.end;
        }
        let Some((_, contents)) = payload.as_section() else {
            continue;
        };
        if matches!(&payload, Payload::CustomSection(c) if c.name() == name) {
            out.extend_from_slice(slice(wasm, copied, section_start)?);
            copied = contents.end;
        }
        section_start = contents.end;
    }
    out.extend_from_slice(slice(wasm, copied, wasm.len())?);
    Ok(out)
}

/// `wasm[start..end]`; the parser's ranges always lie within `wasm`, so the
/// error is a bug, reported rather than a panic.
fn slice(wasm: &[u8], start: usize, end: usize) -> Result<&[u8]> {
    wasm.get(start..end).ok_or_else(|| {
        Error::internal(format!(
            "section bounds {start}..{end} outside a module of {} bytes",
            wasm.len()
        ))
    })
}

/// The last `max` bytes of `text` (on a character boundary), trimmed.
fn tail(text: &str, max: usize) -> &str {
    let text = text.trim();
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or_default()
}
