//! The extension's own modules: every `.js`, `.mjs`, `.ts`, `.mts` and
//! `.json` file of the package, plus the entry, read once at load time
//! through [`ExtensionPackage`] and kept in memory.
//!
//! **Guests import only what the host read here**: workers never touch the
//! filesystem, and nothing outside the package root is ever read (the
//! package reads beneath its root with cap-std; specifiers are resolved as
//! strings by [`crate::specifier`]). Reading happens while the package is
//! open (a `.morph` archive's staging directory is gone once the host has
//! loaded it), capped at [`MAX_MODULES`] files and [`MAX_SOURCE_BYTES`]
//! bytes. Files under a `node_modules` directory are not read: npm packages
//! are bundled, not resolved ([`crate::specifier::BUNDLE_ADVICE`]).
//!
//! **Each module is prepared once per loaded extension**, on its first
//! import in any context: its nesting is checked ([`crate::source_check`])
//! and a TypeScript module's types are stripped ([`crate::typescript`]).
//! Every context (the pool's workers, every `PerCall` call) then only parses
//! the prepared text.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use morph_capabilities::{Error, Result};
use morph_runtime_core::ExtensionPackage;

use crate::{source_check, specifier, typescript};

/// Most module files (`.js`, `.mjs`, `.ts`, `.mts`, `.json`) one package
/// may hold.
pub const MAX_MODULES: usize = 4096;

/// Most bytes all of a package's module files may hold together.
pub const MAX_SOURCE_BYTES: usize = 32 * 1024 * 1024;

/// Most files the package may hold (modules and anything else).
const MAX_FILES: usize = 20_000;

/// What a module file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.js`, `.mjs` (and an entry of any other extension).
    JavaScript,
    /// `.ts`, `.mts`: types stripped before parsing.
    TypeScript,
    /// `.json`: a JSON module (`with { type: "json" }`).
    Json,
}

impl Kind {
    /// The kind of `path`, `None` when it is not an importable module.
    pub fn of(path: &str) -> Option<Kind> {
        let (_, ext) = path.rsplit_once('.')?;
        match ext {
            "js" | "mjs" => Some(Kind::JavaScript),
            "ts" | "mts" if !path.ends_with(".d.ts") && !path.ends_with(".d.mts") => {
                Some(Kind::TypeScript)
            }
            "json" => Some(Kind::Json),
            _ => None,
        }
    }
}

/// One module file of the package.
#[derive(Debug)]
pub struct ModuleFile {
    /// How it is parsed.
    pub kind: Kind,
    source: Arc<str>,
    prepared: OnceLock<std::result::Result<Arc<str>, String>>,
}

impl ModuleFile {
    /// The text Boa parses: the source with its nesting checked and, for
    /// TypeScript, its types stripped; prepared on the first call (on a
    /// worker thread, whose stack the checked nesting fits) and kept.
    ///
    /// # Errors
    /// Why it cannot be parsed, naming `path` (and for TypeScript the line
    /// and column).
    pub fn prepared(&self, path: &str) -> std::result::Result<Arc<str>, String> {
        self.prepared
            .get_or_init(|| {
                source_check::check(self.source.chars()).map_err(|e| format!("{path}: {e}"))?;
                match self.kind {
                    Kind::TypeScript => typescript::strip(path, &self.source)
                        .map(Arc::from)
                        .map_err(|e| format!("TypeScript that cannot run as JavaScript: {e}")),
                    Kind::JavaScript | Kind::Json => Ok(self.source.clone()),
                }
            })
            .clone()
    }
}

/// The module files of one extension package, by package-relative path.
#[derive(Debug)]
pub struct PackageSources {
    files: HashMap<String, ModuleFile>,
    entry: String,
}

impl PackageSources {
    /// No files at all (a context that imports nothing).
    pub(crate) fn empty() -> PackageSources {
        PackageSources {
            files: HashMap::new(),
            entry: String::new(),
        }
    }

    /// Reads the entry and every module file of `package`.
    ///
    /// # Errors
    /// `invalid_package` past the caps or for a module file that is not
    /// UTF-8, or an entry that is missing; `io` when the package cannot be
    /// read.
    pub fn read(package: &ExtensionPackage) -> Result<PackageSources> {
        let entry = specifier::normalise(&package.manifest().entry);
        let mut sources = PackageSources {
            files: HashMap::new(),
            entry: entry.clone(),
        };
        let mut total = 0usize;
        let entry_kind = match Kind::of(&entry) {
            Some(Kind::TypeScript) => Kind::TypeScript,
            _ => Kind::JavaScript,
        };
        sources.add(entry, entry_kind, package.read_entry()?, &mut total)?;
        for path in package.list_files("", MAX_FILES)? {
            if sources.files.contains_key(&path) || path.split('/').any(|p| p == "node_modules") {
                continue;
            }
            let Some(kind) = Kind::of(&path) else {
                continue;
            };
            if sources.files.len() >= MAX_MODULES {
                return Err(Error::InvalidPackage {
                    reason: format!(
                        "the package holds more than {MAX_MODULES} module files (.js, .mjs, \
                         .ts, .mts, .json)"
                    ),
                });
            }
            let bytes = package.read_file(&path)?;
            sources.add(path, kind, bytes, &mut total)?;
        }
        Ok(sources)
    }

    fn add(&mut self, path: String, kind: Kind, bytes: Vec<u8>, total: &mut usize) -> Result<()> {
        *total = total.saturating_add(bytes.len());
        if *total > MAX_SOURCE_BYTES {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "the package's module files hold more than {MAX_SOURCE_BYTES} bytes \
                     (at `{path}`)"
                ),
            });
        }
        let source = String::from_utf8(bytes).map_err(|_| Error::InvalidPackage {
            reason: format!("{path} is not UTF-8"),
        })?;
        self.files.insert(
            path,
            ModuleFile {
                kind,
                source: Arc::from(source),
                prepared: OnceLock::new(),
            },
        );
        Ok(())
    }

    /// The entry's normalised package path.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The module file at package path `path`, if the package has one.
    pub fn get(&self, path: &str) -> Option<&ModuleFile> {
        self.files.get(path)
    }
}
