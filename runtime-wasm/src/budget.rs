//! The compile budget: what a module may cost to compile, checked before any
//! engine sees it.
//!
//! Compiling is the one step of a load that the guest's own limits do not
//! govern, and its cost grows with the module's shape: Cranelift spends about
//! 0.1 ms and 2 KiB per function however small, more than linear time in
//! the size of one function body, and compiles a trampoline per function
//! type (`runtime-wasm/README.md`, "Compilation has a budget", has the
//! measurements). [`check`] reads section headers and body sizes only
//! (never an operator: a few milliseconds for 300 000 functions) and
//! refuses, with `invalid_package` naming the bound:
//!
//! - a module larger than `resource_limits.max_module_kb`;
//! - more functions (imported and defined) than `resource_limits.max_functions`;
//! - a function body larger than [`MAX_FUNCTION_BODY_BYTES`], more function
//!   types than [`MAX_TYPES`], more globals than [`MAX_GLOBALS`] or more
//!   exports than [`MAX_EXPORTS`]: fixed caps, far above what compilers emit,
//!   that keep the manifest's two bounds meaningful.
//!
//! **A module refused here was never compiled, on either engine.** The third
//! bound, `max_compile_ms`, is the wall clock of the compilation itself;
//! wasmer enforces it while compiling (`wasmer_engine/compile_deadline.rs`).

use morph_capabilities::{Error, ResourceLimits, Result};
use wasmparser::{Parser, Payload, TypeRef};

/// The largest function body, in bytes (the body's size prefix excluded).
/// Cranelift needs more than linear time in one body (a 256 KiB body of
/// calls and branches takes about 20 s) and cannot be stopped inside one;
/// Go's compiler emits bodies up to about 170 KB, Rust's a few KiB.
pub const MAX_FUNCTION_BODY_BYTES: usize = 256 * 1024;

/// The most function types: wasmer compiles a trampoline for each one
/// (100 000 types take about 5 s); Rust and Go modules declare a few dozen.
pub const MAX_TYPES: u32 = 10_000;

/// The most globals: every instance (one per call under `PerCall`)
/// allocates each of them; compilers emit a handful.
pub const MAX_GLOBALS: u32 = 10_000;

/// The most exports: the ABI needs seven.
pub const MAX_EXPORTS: u32 = 10_000;

/// What [`check`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleCost {
    /// The module's size in bytes.
    pub bytes: usize,
    /// Functions, imported and defined.
    pub functions: u64,
    /// The largest function body in bytes.
    pub largest_body: usize,
}

/// Checks `wasm` against the compile budget of `limits` and the fixed caps,
/// reading section headers and body sizes only. Where the bytes stop parsing, counting
/// stops: a malformed module is [`crate::validate`]'s to refuse (it runs
/// next, before any engine), with its message.
///
/// # Errors
/// `invalid_package` naming the bound (`resource_limits.max_module_kb`,
/// `resource_limits.max_functions` or the fixed cap) and the module's count.
pub fn check(wasm: &[u8], limits: &ResourceLimits) -> Result<ModuleCost> {
    let max_bytes = limits.module_bytes();
    if wasm.len() as u64 > max_bytes {
        return Err(over(format!(
            "the module is {} KiB, more than resource_limits.max_module_kb = {}",
            wasm.len().div_ceil(1024),
            limits.max_module_kb
        )));
    }
    let max_functions = u64::from(limits.max_functions);
    let functions_over = |functions: u64| -> Result<()> {
        if functions > max_functions {
            return Err(over(format!(
                "the module has {functions} functions, more than resource_limits.max_functions = {max_functions}"
            )));
        }
        Ok(())
    };
    let mut cost = ModuleCost {
        bytes: wasm.len(),
        functions: 0,
        largest_body: 0,
    };
    let mut imported = 0u64;
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { break };
        match payload {
            Payload::TypeSection(reader) => fixed_cap("function types", reader.count(), MAX_TYPES)?,
            Payload::ImportSection(reader) => {
                for import in reader.into_iter().map_while(|i| i.ok()) {
                    if matches!(import.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
                functions_over(imported)?;
            }
            Payload::FunctionSection(reader) => {
                cost.functions = imported + u64::from(reader.count());
                functions_over(cost.functions)?;
            }
            Payload::GlobalSection(reader) => fixed_cap("globals", reader.count(), MAX_GLOBALS)?,
            Payload::ExportSection(reader) => fixed_cap("exports", reader.count(), MAX_EXPORTS)?,
            // Validation checks that it matches the function section; a
            // module that lies about it is refused here all the same.
            Payload::CodeSectionStart { count, .. } => {
                functions_over(imported + u64::from(count))?;
            }
            Payload::CodeSectionEntry(body) => {
                let size = body.range().len();
                if size > MAX_FUNCTION_BODY_BYTES {
                    return Err(over(format!(
                        "a function body is {} KiB, more than the {} KiB Morph compiles",
                        size.div_ceil(1024),
                        MAX_FUNCTION_BODY_BYTES / 1024
                    )));
                }
                cost.largest_body = cost.largest_body.max(size);
            }
            _ => {}
        }
    }
    cost.functions = cost.functions.max(imported);
    Ok(cost)
}

fn fixed_cap(what: &str, count: u32, max: u32) -> Result<()> {
    if count > max {
        return Err(over(format!(
            "the module declares {count} {what}, more than the {max} Morph compiles"
        )));
    }
    Ok(())
}

fn over(reason: String) -> Error {
    Error::InvalidPackage {
        reason: format!(
            "{reason}; nothing was compiled (the compile budget, runtime-wasm/README.md)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    fn limits(max_module_kb: u64, max_functions: u32) -> ResourceLimits {
        ResourceLimits {
            max_module_kb,
            max_functions,
            ..ResourceLimits::default()
        }
    }

    #[test]
    fn counts_imported_and_defined_functions() {
        let wasm = module(
            r#"(module
                (import "morph" "panic" (func (param i32 i32)))
                (func) (func (drop (i32.const 1))))"#,
        );
        let cost = check(&wasm, &ResourceLimits::default()).unwrap();
        assert_eq!(cost.functions, 3);
        assert_eq!(cost.bytes, wasm.len());
        assert!(cost.largest_body > 0);
        let err = check(&wasm, &limits(1024, 2)).unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_package");
        assert!(
            err.to_string()
                .contains("3 functions, more than resource_limits.max_functions = 2"),
            "{err}"
        );
        check(&wasm, &limits(1024, 3)).unwrap();
    }

    #[test]
    fn size_is_checked_before_anything_is_parsed() {
        let mut junk = vec![0u8; 2048 + 1];
        junk[..4].copy_from_slice(b"\0asm");
        let err = check(&junk, &limits(2, 10)).unwrap_err();
        assert!(
            err.to_string()
                .contains("3 KiB, more than resource_limits.max_module_kb = 2"),
            "{err}"
        );
        // Within the size, malformed bytes are left to validation.
        check(&junk, &limits(4, 10)).unwrap();
        assert!(crate::validate::validate(&junk).is_err());
    }

    #[test]
    fn fixed_caps_name_what_they_count() {
        let types: String = (0..=MAX_TYPES)
            .map(|i| format!("(type (func (param {})))", "i32 ".repeat(i as usize % 8)))
            .collect();
        let err = check(
            &module(&format!("(module {types})")),
            &ResourceLimits::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("function types"), "{err}");

        let globals = "(global i32 (i32.const 0))".repeat(MAX_GLOBALS as usize + 1);
        let err = check(
            &module(&format!("(module {globals})")),
            &ResourceLimits::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("globals"), "{err}");

        let body = "(drop (i32.const 1))".repeat(MAX_FUNCTION_BODY_BYTES / 2);
        let err = check(
            &module(&format!("(module (func {body}))")),
            &ResourceLimits::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("a function body is"), "{err}");
        assert!(err.to_string().contains("nothing was compiled"), "{err}");
    }
}
