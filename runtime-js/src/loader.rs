//! The module loader: **nothing is ever loaded from disk**.
//!
//! Boa's default loader resolves specifiers against the working directory;
//! a Morph guest is one ES module and imports nothing. Every static `import`
//! and every dynamic `import()` is refused with a `TypeError` naming the
//! specifier (static imports fail the load, dynamic ones reject their
//! promise), so no host file is ever read, parsed or even stat'ed.

use std::cell::RefCell;
use std::rc::Rc;

use boa_engine::module::{Module, ModuleLoader, ModuleRequest, Referrer};
use boa_engine::{Context, JsNativeError, JsResult};
use morph_capabilities::truncate_for_message;

/// A loader that refuses every import.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoImports;

impl ModuleLoader for NoImports {
    fn load_imported_module(
        self: Rc<Self>,
        _referrer: Referrer,
        request: ModuleRequest,
        _context: &RefCell<&mut Context>,
    ) -> impl Future<Output = JsResult<Module>> {
        let specifier = truncate_for_message(&request.specifier().to_std_string_lossy(), 128);
        std::future::ready(Err(JsNativeError::typ()
            .with_message(format!(
                "cannot import `{specifier}`: Morph extensions are a single ES module \
                 (bundle dependencies into the entry file)"
            ))
            .into()))
    }
}
