//! The extension's own Python modules: every `.py` file beneath the entry's
//! directory (the import root), read once at load time through
//! [`ExtensionPackage`] and kept in memory.
//!
//! **Guests import only what the host read here**: never a path the guest
//! names, never a file outside the package root, never `.pyc`. `a/b.py` is
//! the module `a.b`, `a/__init__.py` the package `a`, and a directory of
//! modules without `__init__.py` a namespace package. Reading happens while
//! the package is open (a `.morph` archive's staging directory is gone once
//! the host has loaded it), capped in module count and total size.
//!
//! **Each module is compiled once per loaded extension**, on its first
//! import in any interpreter, and kept as bytecode: the other interpreters
//! (the pool's workers, every `PerCall` call) only decode it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use morph_capabilities::{Error, Result};
use morph_runtime_core::ExtensionPackage;
use rustpython_vm::compiler::{CompileError, CompileOpts, Mode};
use rustpython_vm::frozen::FrozenCodeObject;

/// A module compiled to bytecode, shared by every interpreter of the extension.
pub type Compiled = Arc<FrozenCodeObject<Vec<u8>>>;

/// Most `.py` modules one package may hold.
pub const MAX_MODULES: usize = 4096;

/// Most source bytes all of a package's modules may hold together.
pub const MAX_SOURCE_BYTES: usize = 32 * 1024 * 1024;

/// Most files the import root may hold (modules and anything else).
const MAX_FILES: usize = 20_000;

/// One importable module.
#[derive(Debug)]
pub struct ModuleSource {
    /// Path shown in tracebacks and `__file__` (relative to the package root).
    pub file: String,
    /// The source (empty for a namespace package).
    pub code: Arc<str>,
    /// Whether it is a package (`__init__.py` or a namespace directory).
    pub package: bool,
}

/// The modules of one extension package, by dotted name.
#[derive(Default)]
pub struct PackageModules {
    modules: HashMap<String, ModuleSource>,
    compiled: Mutex<HashMap<String, Compiled>>,
}

impl std::fmt::Debug for PackageModules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageModules")
            .field("modules", &self.modules.len())
            .finish_non_exhaustive()
    }
}

impl PackageModules {
    /// Reads every module beneath the directory of `package`'s entry.
    ///
    /// # Errors
    /// `invalid_package` past the caps or for a module that is not UTF-8;
    /// `io` when the package cannot be read.
    pub fn read(package: &ExtensionPackage) -> Result<PackageModules> {
        let entry = &package.manifest().entry;
        let root = entry.rsplit_once('/').map_or("", |(dir, _)| dir);
        let prefix = if root.is_empty() {
            String::new()
        } else {
            format!("{root}/")
        };
        let mut modules = HashMap::new();
        let mut total = 0usize;
        for relative in package.list_files(root, MAX_FILES)? {
            let Some((name, package_init)) = module_name(&relative) else {
                continue;
            };
            if modules.len() >= MAX_MODULES {
                return Err(Error::InvalidPackage {
                    reason: format!("the package holds more than {MAX_MODULES} Python modules"),
                });
            }
            let file = format!("{prefix}{relative}");
            let bytes = package.read_file(&file)?;
            total = total.saturating_add(bytes.len());
            if total > MAX_SOURCE_BYTES {
                return Err(Error::InvalidPackage {
                    reason: format!(
                        "the package's Python modules hold more than {MAX_SOURCE_BYTES} bytes"
                    ),
                });
            }
            let code = String::from_utf8(bytes).map_err(|_| Error::InvalidPackage {
                reason: format!("`{file}` is not UTF-8"),
            })?;
            // Namespace packages: every directory on the way is a package.
            let parts: Vec<&str> = name.split('.').collect();
            for end in 1..parts.len() {
                let parent = parts[..end].join(".");
                modules
                    .entry(parent.clone())
                    .or_insert_with(|| ModuleSource {
                        file: format!("{prefix}{}", parts[..end].join("/")),
                        code: Arc::from(""),
                        package: true,
                    });
            }
            modules.insert(
                name,
                ModuleSource {
                    file,
                    code: Arc::from(code),
                    package: package_init,
                },
            );
        }
        Ok(PackageModules {
            modules,
            compiled: Mutex::default(),
        })
    }

    /// The bytecode of module `name`, compiled on its first request (`None`
    /// when the package has no such module).
    ///
    /// # Errors
    /// The compiler's error for a module that does not compile (not kept:
    /// the next import reports it again).
    pub fn compiled(&self, name: &str) -> Option<std::result::Result<Compiled, CompileError>> {
        let module = self.get(name)?;
        let cache = || self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(code) = cache().get(name) {
            return Some(Ok(code.clone()));
        }
        let compiled = rustpython_vm::compiler::compile(
            &module.code,
            Mode::Exec,
            &module.file,
            CompileOpts::default(),
        )
        .map(|code| Arc::new(FrozenCodeObject::encode(&code)));
        if let Ok(code) = &compiled {
            cache().insert(name.to_owned(), code.clone());
        }
        Some(compiled)
    }

    /// The module called `name`, if the package has it.
    pub fn get(&self, name: &str) -> Option<&ModuleSource> {
        self.modules.get(name)
    }

    /// The source of the module read from `file` (a package-relative path,
    /// as in tracebacks and `__file__`).
    pub fn source_of_file(&self, file: &str) -> Option<&Arc<str>> {
        self.modules
            .values()
            .find(|m| m.file == file && !m.code.is_empty())
            .map(|m| &m.code)
    }

    /// How many modules the package holds.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the package holds no module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

/// `a/b/c.py` -> (`a.b.c`, false), `a/b/__init__.py` -> (`a.b`, true);
/// `None` for anything that is not an importable module path.
fn module_name(relative: &str) -> Option<(String, bool)> {
    let stem = relative.strip_suffix(".py")?;
    let mut parts: Vec<&str> = stem.split('/').collect();
    let package = parts.last() == Some(&"__init__");
    if package {
        parts.pop();
    }
    if parts.is_empty() || !parts.iter().all(|p| is_identifier(p)) {
        return None;
    }
    Some((parts.join("."), package))
}

/// A Python identifier in ASCII (what a module path may be made of here).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::module_name;

    #[test]
    fn module_names_follow_python_rules() {
        assert_eq!(module_name("util.py"), Some(("util".into(), false)));
        assert_eq!(
            module_name("jira/client.py"),
            Some(("jira.client".into(), false))
        );
        assert_eq!(module_name("jira/__init__.py"), Some(("jira".into(), true)));
        assert_eq!(module_name("__init__.py"), None);
        assert_eq!(module_name("my-lib/x.py"), None);
        assert_eq!(module_name("x.pyc"), None);
        assert_eq!(module_name("data/x.json"), None);
        assert_eq!(module_name("__pycache__/x.cpython-311.py"), None);
    }
}
