//! The module loader: **modules come only from the package's sources read
//! at load** ([`PackageSources`]), never from the disk.
//!
//! A specifier is resolved against the importing module's package path
//! ([`crate::specifier`]; code with no module of its own, such as a
//! `new Function` body, resolves against the entry), its import attributes
//! are checked against the file's kind (`.json` needs
//! `with { type: "json" }`, and only `.json` may have it), and the module is
//! parsed **once per context**: the loader keeps every module it handed out,
//! by path, so a module imported twice, from anywhere, statically or with
//! `import()`, is the same instance (cycles included). A refusal is a
//! `TypeError` (a parse failure a `SyntaxError`) naming the specifier and the
//! importing file: static imports fail the load, `import()` rejects.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use boa_engine::module::{Module, ModuleLoader, ModuleRequest, Referrer};
use boa_engine::{Context, JsError, JsNativeError, JsResult, JsString, Source, js_string};
use morph_capabilities::truncate_for_message;
use morph_runtime_core::allocation;

use crate::package_sources::{Kind, PackageSources};
use crate::specifier::{self, BUNDLE_ADVICE};

/// Resolves imports within one package, for one context.
pub(crate) struct PackageLoader {
    sources: Arc<PackageSources>,
    /// Every module this context parsed, by package path.
    modules: RefCell<HashMap<String, Module>>,
}

impl PackageLoader {
    /// A loader over `sources`, with no module parsed yet.
    pub fn new(sources: Arc<PackageSources>) -> PackageLoader {
        PackageLoader {
            sources,
            modules: RefCell::default(),
        }
    }

    /// The module at package path `path`, parsed on its first request in
    /// this context.
    ///
    /// # Errors
    /// A `TypeError` when the package has no such module file, a
    /// `SyntaxError` when it does not parse; both name `path`.
    pub fn module(&self, path: &str, ctx: &mut Context) -> JsResult<Module> {
        if let Some(module) = self.modules.borrow().get(path) {
            return Ok(module.clone());
        }
        let Some(file) = self.sources.get(path) else {
            return Err(JsNativeError::typ()
                .with_message(format!("{path} is not a module file of the package"))
                .into());
        };
        // Preparing fills a cell every session of the extension waits on:
        // outside the call's allocation ceiling, so no thread is parked
        // inside it (the source is bounded by `MAX_SOURCE_BYTES`).
        let code = allocation::unbudgeted(|| file.prepared(path))
            .map_err(|e| JsNativeError::syntax().with_message(e))?;
        let module = match file.kind {
            Kind::Json => Module::parse_json(JsString::from(&*code), ctx).map_err(|e| {
                JsNativeError::syntax()
                    .with_message(format!("{path} is not valid JSON: {}", message_of(&e)))
            })?,
            Kind::JavaScript | Kind::TypeScript => Module::parse(
                Source::from_bytes(code.as_bytes()).with_path(Path::new(path)),
                None,
                ctx,
            )
            .map_err(|e| {
                JsNativeError::syntax().with_message(format!(
                    "{path} does not parse as an ES module: {}",
                    message_of(&e)
                ))
            })?,
        };
        self.modules
            .borrow_mut()
            .insert(path.to_owned(), module.clone());
        Ok(module)
    }

    /// Resolves `request` from `referrer` and hands out its module.
    fn load(
        &self,
        referrer: &Referrer,
        request: &ModuleRequest,
        ctx: &mut Context,
    ) -> JsResult<Module> {
        let raw = request.specifier().to_std_string_lossy();
        let shown = truncate_for_message(&raw, 128);
        let from = referrer
            .path()
            .and_then(Path::to_str)
            .unwrap_or_else(|| self.sources.entry());
        let refuse = |why: &dyn std::fmt::Display| -> JsError {
            JsNativeError::typ()
                .with_message(format!("cannot import `{shown}` from {from}: {why}"))
                .into()
        };
        let path = specifier::resolve(&raw, from).map_err(|why| refuse(&why))?;
        let Some(file) = self.sources.get(&path) else {
            let why = if path.split('/').any(|p| p == "node_modules") {
                format!("files under node_modules/ are not loaded; {BUNDLE_ADVICE}")
            } else if Kind::of(&path).is_none() {
                format!(
                    "{} is not a module file (modules are .js, .mjs, .ts, .mts and .json files, \
                     named with their extension)",
                    truncate_for_message(&path, 128)
                )
            } else if let Some(ts) = typescript_twin(&path)
                && self.sources.get(&ts).is_some()
            {
                format!(
                    "{} is not in the package, {} is (a specifier names the file exactly, \
                     extension included)",
                    truncate_for_message(&path, 128),
                    truncate_for_message(&ts, 128)
                )
            } else {
                format!(
                    "{} is not in the package (a specifier names the file exactly, extension \
                     included)",
                    truncate_for_message(&path, 128)
                )
            };
            return Err(refuse(&why));
        };
        let mut json = false;
        for attribute in request.attributes() {
            if attribute.key() != &js_string!("type") {
                return Err(refuse(&format!(
                    "unsupported import attribute `{}`",
                    truncate_for_message(&attribute.key().to_std_string_lossy(), 64)
                )));
            }
            if attribute.value() != &js_string!("json") {
                return Err(refuse(&format!(
                    "unsupported module type `{}` (only \"json\" is)",
                    truncate_for_message(&attribute.value().to_std_string_lossy(), 64)
                )));
            }
            json = true;
        }
        match (file.kind, json) {
            (Kind::Json, false) => Err(refuse(
                &"a JSON module is imported with `with { type: \"json\" }`",
            )),
            (Kind::JavaScript | Kind::TypeScript, true) => {
                Err(refuse(&"only a .json file is imported with type \"json\""))
            }
            _ => self.module(&path, ctx),
        }
    }
}

impl ModuleLoader for PackageLoader {
    fn load_imported_module(
        self: Rc<Self>,
        referrer: Referrer,
        request: ModuleRequest,
        context: &RefCell<&mut Context>,
    ) -> impl Future<Output = JsResult<Module>> {
        let result = self.load(&referrer, &request, &mut context.borrow_mut());
        std::future::ready(result)
    }
}

/// `x.ts` for `x.js`, `x.mts` for `x.mjs`: what a specifier written for a
/// compiler's output may have meant.
fn typescript_twin(path: &str) -> Option<String> {
    if let Some(stem) = path.strip_suffix(".js") {
        return Some(format!("{stem}.ts"));
    }
    path.strip_suffix(".mjs").map(|stem| format!("{stem}.mts"))
}

/// The message of an engine error, without running guest code (a parse
/// error is a native error).
pub(crate) fn message_of(e: &JsError) -> String {
    match e.as_native() {
        Some(native) => native.message().to_string(),
        None => e.to_string(),
    }
}
