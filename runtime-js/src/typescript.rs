//! TypeScript modules (`.ts`, `.mts`): **types are stripped, never
//! transformed**.
//!
//! Stripping is swc's strip-only mode (`swc_ts_fast_strip`), the one Node's
//! type stripping uses: every type annotation, `interface`, `type`,
//! `import type`, `declare`, `as`/`satisfies`, `!` and generic argument is
//! replaced by whitespace, so **each remaining character keeps its line and
//! column** and a guest error's stack points into the `.ts` source as
//! written. Syntax that would need code generated (`enum`, `namespace` with
//! values, parameter properties, `import x = require(...)`, legacy `module`)
//! is refused with the file, line and column, as Node refuses it.
//!
//! The caller has already checked the source's nesting
//! ([`crate::source_check`]), and calls this on a worker thread (a large
//! stack): swc's parser recurses like Boa's. A panic inside swc is caught and
//! reported as a refusal; it never crosses into the host.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use swc_common::errors::{DiagnosticBuilder, Emitter, Handler};
use swc_common::sync::Lrc;
use swc_common::{GLOBALS, Globals, SourceMap, Span};
use swc_ts_fast_strip::{Mode, Options, operate};

/// Most refusals one message lists.
const MAX_REPORTED: usize = 5;

/// Why a TypeScript module cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// One line per problem: `file:line:column: message`.
    pub problems: Vec<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problems.join("; "))
    }
}

/// Strips the types from the TypeScript module `source`, read from `file`
/// (a package-relative path, used in messages).
///
/// # Errors
/// [`Refused`] for a syntax error or syntax that needs a transform, each
/// problem named by `file:line:column`.
pub fn strip(file: &str, source: &str) -> Result<String, Refused> {
    let collected = Arc::new(Mutex::new(Vec::new()));
    let emitter = Collect(collected.clone());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        GLOBALS.set(&Globals::new(), || {
            let cm: Lrc<SourceMap> = Lrc::default();
            let handler = Handler::with_emitter(true, false, Box::new(emitter));
            let options = Options {
                module: Some(true),
                filename: Some(file.to_owned()),
                mode: Mode::StripOnly,
                ..Options::default()
            };
            let stripped = operate(&cm, &handler, source.to_owned(), options);
            let diagnostics =
                std::mem::take(&mut *collected.lock().unwrap_or_else(PoisonError::into_inner));
            let problems: Vec<String> = diagnostics
                .into_iter()
                .take(MAX_REPORTED)
                .map(|(message, span)| match span {
                    Some(span) => {
                        let loc = cm.lookup_char_pos(span.lo);
                        format!("{file}:{}:{}: {message}", loc.line, loc.col.0 + 1)
                    }
                    None => format!("{file}: {message}"),
                })
                .collect();
            (stripped.map(|out| out.code), problems)
        })
    }));
    match outcome {
        Ok((Ok(code), _)) => Ok(code),
        Ok((Err(e), problems)) if problems.is_empty() => Err(Refused {
            problems: vec![format!("{file}: {}", e.message)],
        }),
        Ok((Err(_), problems)) => Err(Refused { problems }),
        Err(_) => Err(Refused {
            problems: vec![format!(
                "{file}: the TypeScript stripper failed on this source"
            )],
        }),
    }
}

/// Collects swc's diagnostics (message and primary span) instead of
/// printing them.
struct Collect(Arc<Mutex<Vec<Diagnostic>>>);

/// One diagnostic: its message and where it points.
type Diagnostic = (String, Option<Span>);

impl Emitter for Collect {
    fn emit(&mut self, db: &mut DiagnosticBuilder<'_>) {
        let entry = (db.message(), db.span.primary_span());
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }
}
