//! Load-time validation of a guest module against the ABI and the one feature
//! set both engines support.
//!
//! **A module that passes here runs unchanged on wasmer and on wasmi**: the
//! same features, exactly one memory exported as `memory`, imports only from
//! `morph` with the ABI's signatures, and the required exports with theirs.
//! Everything else is refused with `invalid_package` and a message saying what.

use morph_capabilities::{Error, Result};
use wasmparser::{
    CompositeInnerType, ExternalKind, FuncType, Parser, Payload, TypeRef, ValType, Validator,
    WasmFeatures,
};

/// The most tables a module may define or import.
pub const MAX_TABLES: usize = 16;

/// The largest module accepted.
pub const MAX_MODULE_BYTES: usize = 64 * 1024 * 1024;

/// The features both engines support (ABI.md, "Feature set").
pub fn features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::FLOATS
        | WasmFeatures::GC_TYPES
}

/// What validation learned about the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleShape {
    /// The ABI version `morph_execute`'s signature says (1 or 2).
    pub abi_version: i32,
    /// Whether the module imports WASI preview 1 functions.
    pub uses_wasi: bool,
    /// Whether `morph_init` is exported.
    pub has_init: bool,
    /// Whether `morph_on_event` is exported.
    pub has_on_event: bool,
    /// Whether the module has a start function.
    pub has_start: bool,
}

/// Validates `wasm`.
///
/// # Errors
/// `invalid_package` naming what is wrong.
pub fn validate(wasm: &[u8]) -> Result<ModuleShape> {
    if wasm.len() > MAX_MODULE_BYTES {
        return Err(invalid(format!(
            "module of {} bytes exceeds {MAX_MODULE_BYTES}",
            wasm.len()
        )));
    }
    if !wasm.starts_with(b"\0asm") {
        return Err(invalid(
            "not a WebAssembly module (bad magic number)".into(),
        ));
    }
    Validator::new_with_features(features())
        .validate_all(wasm)
        .map_err(|e| invalid(format!("not valid for Morph's wasm feature set: {e}")))?;

    let mut types: Vec<Option<FuncType>> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut memories = 0usize;
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut has_start = false;
    let mut uses_wasi = false;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| invalid(e.to_string()))? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group.map_err(|e| invalid(e.to_string()))?;
                    for sub in group.into_types() {
                        types.push(match sub.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(f),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(|e| invalid(e.to_string()))?;
                    let TypeRef::Func(ty) = import.ty else {
                        return Err(invalid(format!(
                            "import `{}.{}` is not a function: only the `morph` functions may be imported",
                            import.module, import.name
                        )));
                    };
                    check_import(import.module, import.name, lookup(&types, ty)?)?;
                    uses_wasi |= import.module == crate::wasi::MODULE;
                    func_types.push(ty);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    func_types.push(ty.map_err(|e| invalid(e.to_string()))?);
                }
            }
            Payload::MemorySection(reader) => memories += reader.count() as usize,
            Payload::TableSection(reader) if reader.count() as usize > MAX_TABLES => {
                return Err(invalid(format!(
                    "the module defines {} tables (at most {MAX_TABLES})",
                    reader.count()
                )));
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| invalid(e.to_string()))?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            Payload::StartSection { .. } => has_start = true,
            _ => {}
        }
    }
    if memories != 1 {
        return Err(invalid(format!(
            "the module must define exactly one memory (it defines {memories})"
        )));
    }
    let export_type = |name: &str| -> Result<Option<FuncType>> {
        match exports.iter().find(|(n, _, _)| n == name) {
            None => Ok(None),
            Some((_, ExternalKind::Func, index)) => {
                let ty = func_types
                    .get(*index as usize)
                    .copied()
                    .ok_or_else(|| invalid(format!("export `{name}` has no function")))?;
                lookup(&types, ty).map(Some)
            }
            Some(_) => Err(invalid(format!("export `{name}` is not a function"))),
        }
    };
    if !exports
        .iter()
        .any(|(n, k, _)| n == "memory" && *k == ExternalKind::Memory)
    {
        return Err(invalid(
            "the module does not export its memory as `memory`".into(),
        ));
    }
    use ValType::{I32, I64};
    let required: [(&str, &[ValType], &[ValType]); 3] = [
        ("morph_abi_version", &[], &[I32]),
        ("morph_alloc", &[I32], &[I32]),
        ("morph_free", &[I32, I32], &[]),
    ];
    for (name, params, results) in required {
        match export_type(name)? {
            None => return Err(invalid(format!("missing export `{name}` (ABI.md)"))),
            Some(ty) => check_signature(name, &ty, params, results)?,
        }
    }
    // The signature of `morph_execute` tells the version apart (ABI.md).
    let abi_version = match export_type("morph_execute")? {
        None => return Err(invalid("missing export `morph_execute` (ABI.md)".into())),
        Some(ty) if ty.params() == [I32, I32, I32, I32] => {
            check_signature("morph_execute", &ty, &[I32, I32, I32, I32], &[I64])?;
            2
        }
        Some(ty) => {
            check_signature("morph_execute", &ty, &[I32, I32], &[I64])?;
            1
        }
    };
    if exports.iter().any(|(n, _, _)| n == "_start") {
        return Err(invalid(
            "the module exports `_start`: it is a WASI command, Morph runs reactors (build C guests with -mexec-model=reactor)".into(),
        ));
    }
    if let Some(ty) = export_type(crate::wasi::INITIALIZE)? {
        check_signature(crate::wasi::INITIALIZE, &ty, &[], &[])?;
    }
    let optional = |name: &str| -> Result<bool> {
        match export_type(name)? {
            None => Ok(false),
            Some(ty) => check_signature(name, &ty, &[I32, I32], &[I64]).map(|()| true),
        }
    };
    Ok(ModuleShape {
        abi_version,
        uses_wasi,
        has_init: optional("morph_init")?,
        has_on_event: optional("morph_on_event")?,
        has_start,
    })
}

fn check_import(module: &str, name: &str, ty: FuncType) -> Result<()> {
    use ValType::I32;
    let expected: (&[ValType], &[ValType]) = match (module, name) {
        ("morph", "call") => (&[I32, I32, I32, I32], &[I32]),
        ("morph", "response") => (&[I32, I32], &[I32]),
        ("morph", "panic") => (&[I32, I32], &[]),
        (crate::wasi::MODULE, _) => match crate::wasi::Function::named(name) {
            Some(f) => (f.params(), f.results()),
            None => {
                return Err(invalid(format!(
                    "import `{module}.{name}` is not a WASI preview 1 function"
                )));
            }
        },
        _ => {
            return Err(invalid(format!(
                "import `{module}.{name}` is not part of the Morph ABI (only morph.call, morph.response, morph.panic and WASI preview 1)"
            )));
        }
    };
    check_signature(&format!("{module}.{name}"), &ty, expected.0, expected.1)
}

fn check_signature(
    name: &str,
    ty: &FuncType,
    params: &[ValType],
    results: &[ValType],
) -> Result<()> {
    if ty.params() != params || ty.results() != results {
        return Err(invalid(format!(
            "`{name}` has signature {:?} -> {:?}, the ABI wants {params:?} -> {results:?}",
            ty.params(),
            ty.results()
        )));
    }
    Ok(())
}

fn lookup(types: &[Option<FuncType>], index: u32) -> Result<FuncType> {
    types
        .get(index as usize)
        .cloned()
        .flatten()
        .ok_or_else(|| invalid(format!("type {index} is not a function type")))
}

fn invalid(reason: String) -> Error {
    Error::InvalidPackage { reason }
}
