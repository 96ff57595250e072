//! Module specifiers: which ones name a file of the package, and which file.
//!
//! **Only relative specifiers resolve** (`./lib/jira.js`, `../shared/x.ts`),
//! against the directory of the importing module, into a normalised
//! package-relative path (`lib/jira.js`). **A path never climbs above the
//! package root**: a `..` past it is refused, as are absolute paths, URLs
//! (`file:`, `data:`, `https:`), Node built-ins (`node:fs`) and bare
//! specifiers (`lodash`), the last two with the advice to bundle npm
//! dependencies into the package. Resolution is pure string work: it reads
//! nothing, so a refused specifier never touches the disk.
//!
//! As in Node's ES modules, a specifier names the file exactly, extension
//! included: `./x.js` is `x.js`, never `x.ts` or `x/index.js`.

/// How npm dependencies get into a package: said by every refusal of a
/// package name.
pub const BUNDLE_ADVICE: &str = "npm packages and Node built-ins are not resolved: bundle \
     dependencies into the package (e.g. `esbuild main.js --bundle --format=esm \
     --outfile=bundle.js`) and import files by relative path (`./lib/x.js`)";

/// Why a specifier names no file of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `lodash`, `@scope/pkg`, `node:fs`.
    Bare,
    /// `/etc/passwd`.
    Absolute,
    /// `file:///x.js`, `https://...`, `data:...`.
    Url,
    /// A `..` that climbs above the package root.
    OutsideRoot,
    /// A backslash, NUL or other character paths may not hold.
    Malformed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Bare => BUNDLE_ADVICE,
            Refusal::Absolute => {
                "absolute paths are not imported: use a path relative to the importing \
                 module (`./x.js`)"
            }
            Refusal::Url => {
                "URLs are not imported: use a path relative to the importing module (`./x.js`)"
            }
            Refusal::OutsideRoot => "the path climbs out of the package root",
            Refusal::Malformed => "the path holds a backslash or a NUL character",
        })
    }
}

/// Resolves `specifier` as imported by the module at package path `from`
/// (`lib/a.js`; its directory is the base) into a package path.
///
/// # Errors
/// A [`Refusal`] for anything but a relative path that stays in the package.
pub fn resolve(specifier: &str, from: &str) -> Result<String, Refusal> {
    if specifier.starts_with('/') {
        return Err(Refusal::Absolute);
    }
    let relative = specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier == "."
        || specifier == "..";
    if !relative {
        if specifier.starts_with("node:") {
            return Err(Refusal::Bare);
        }
        // A scheme: letters, digits, `+-.` before the first `:`.
        if let Some((scheme, _)) = specifier.split_once(':')
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(Refusal::Url);
        }
        if specifier.contains(['\\', '\0']) {
            return Err(Refusal::Malformed);
        }
        return Err(Refusal::Bare);
    }
    if specifier.contains(['\\', '\0']) {
        return Err(Refusal::Malformed);
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the importing file's own name
    parts.retain(|p| !p.is_empty() && *p != ".");
    for part in specifier.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Refusal::OutsideRoot);
                }
            }
            name => parts.push(name),
        }
    }
    Ok(parts.join("/"))
}

/// Normalises a package-relative path (`./src//main.ts` -> `src/main.ts`).
pub fn normalise(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}
