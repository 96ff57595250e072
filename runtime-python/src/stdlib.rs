//! The standard library a guest sees: **one explicit allowlist**.
//!
//! Three sources, all compiled into the binary at build time and never read
//! from the disk at run time:
//!
//! - native modules of rustpython-vm and rustpython-stdlib (built without
//!   `host_env`, `threading`, ssl and sqlite), kept only when named in
//!   [`NATIVE_MODULES`];
//! - pure-Python modules of RustPython's library (`rustpython-pylib`, frozen
//!   to bytecode by its build), kept only when their top-level name is in
//!   [`PURE_MODULES`] and they are not in [`PURE_EXCLUDED`];
//! - Morph's own modules (`src/python/`): the host API (`morph`), the
//!   interpreter's start-up, and the **inert stand-ins** for modules that
//!   real libraries import but that reach the OS (`os`, `io`, `time`,
//!   `_thread`, `signal`, `tempfile`, `shutil`, `marshal`, `atexit`,
//!   `importlib` without its file loaders, `zipimport`): their
//!   pure parts work, anything that would touch the host raises
//!   `PermissionError`.
//!
//! A module on none of these lists does not exist for guests: it is removed
//! from the interpreter's tables before the interpreter starts, so no
//! `__subclasses__` walk or `importlib` trick can create it. Frozen modules
//! are only decoded when first imported.

use std::collections::HashSet;
use std::sync::OnceLock;

use rustpython_vm::builtins::PyModuleDef;
use rustpython_vm::frozen::FrozenModule;
use rustpython_vm::{Context, py_freeze};

/// Native modules a guest may import (plus `sys` and `builtins`). `_imp`,
/// `_io`, `_warnings`, `_weakref`, `_typing` and `_ast` are also needed by
/// the interpreter's own start-up. The native `time` is only reachable as
/// `_time`, an instance made once per interpreter without `sleep` and
/// `tzset` ([`NATIVE_TIME`]); the native `marshal` is gone (its stand-in is
/// Python).
pub const NATIVE_MODULES: &[&str] = &[
    // rustpython-vm
    "_abc",
    "_ast",
    "_codecs",
    "_collections",
    "_functools",
    "_imp",
    "_io",
    "_operator",
    "_sre",
    "_stat",
    "_string",
    "_types",
    "_typing",
    "_warnings",
    "_weakref",
    "errno",
    "itertools",
    // rustpython-stdlib (not `_bisect`: it applies `key` to the needle too,
    // so `bisect.py`'s own Python code is used; not `_csv`: Morph's
    // `python/_csv.py` follows CPython's parser instead)
    "_blake2",
    "_bz2",
    "_contextvars",
    "_hashlib",
    "_json",
    "_lzma",
    "_md5",
    "_opcode",
    "_random",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_statistics",
    "_struct",
    "_suggestions",
    "_tokenize",
    "array",
    "binascii",
    "cmath",
    "math",
    "pyexpat",
    "unicodedata",
    "zlib",
];

/// The native `time` module: removed from the module table, instantiated
/// once per interpreter as `_time` without [`NATIVE_TIME_REMOVED`], for the
/// `time` stand-in to build on (so no second, unsanitised instance can be
/// created by any import route).
pub const NATIVE_TIME: &str = "time";

/// What `_time` loses: an uninterruptible sleep and a re-read of the host's
/// time zone.
pub const NATIVE_TIME_REMOVED: &[&str] = &["sleep", "tzset"];

/// Pure-Python modules and packages of RustPython's library a guest may
/// import (by top-level name; a package brings its submodules).
pub const PURE_MODULES: &[&str] = &[
    "__future__",
    "_collections_abc",
    "_compat_pickle",
    "_colorize",
    "_markupbase",
    "_opcode_metadata",
    "_pycodecs",
    "_py_abc",
    "_py_warnings",
    "_pydatetime",
    "_pydecimal",
    "_pylong",
    "_strptime",
    "_threading_local",
    "_weakrefset",
    "abc",
    "annotationlib",
    "argparse",
    "ast",
    "base64",
    "bisect",
    "bz2",
    "calendar",
    "cmd",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compression",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "dis",
    "doctest",
    "email",
    "encodings",
    "enum",
    "fnmatch",
    "fractions",
    "functools",
    "genericpath",
    "getopt",
    "gettext",
    "glob",
    "graphlib",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "importlib",
    "inspect",
    "ipaddress",
    "json",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "ntpath",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "pathlib",
    "platform",
    "pickle",
    "pickletools",
    "posixpath",
    "pprint",
    "queue",
    "quopri",
    "random",
    "re",
    "reprlib",
    "sched",
    "secrets",
    "shlex",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "textwrap",
    "threading",
    "token",
    "tokenize",
    "tomllib",
    "traceback",
    "types",
    "typing",
    "unittest",
    "urllib",
    "uuid",
    "warnings",
    "weakref",
    "xml",
    "zipfile",
    "zoneinfo",
];

/// Modules inside allowed packages that stay absent: file loaders, network
/// clients, processes and the asyncio machinery.
pub const PURE_EXCLUDED: &[&str] = &[
    "importlib._bootstrap",
    "importlib._bootstrap_external",
    "importlib.abc",
    "importlib.resources",
    "importlib.readers",
    "importlib.simple",
    "http.client",
    "http.server",
    "http.cookiejar",
    "urllib.request",
    "urllib.robotparser",
    "email.mime.application",
    "unittest.async_case",
    "unittest.mock",
    "logging.handlers",
    "logging.config",
    "xml.dom.xmlbuilder",
];

/// Modules that do not exist for guests: the OS, network and native-code
/// routes (listed for the documentation and the hostile tests; absence
/// itself comes from the allowlists above).
pub const ABSENT_MODULES: &[&str] = &[
    "socket",
    "select",
    "selectors",
    "subprocess",
    "ctypes",
    "mmap",
    "resource",
    "fcntl",
    "multiprocessing",
    "posix",
    "_posixsubprocess",
    "asyncio",
    "ssl",
    "sqlite3",
    "gc",
    "_frozen_importlib_external",
];

/// Morph's own Python modules: the host API, start-up and the stand-ins.
static MORPH_MODULES: &rustpython_vm::frozen::FrozenLib = py_freeze!(dir = "python");

/// Frozen modules of RustPython's core library that stay (the import
/// machinery and the codecs it bootstraps with).
const CORE_FROZEN: &[&str] = &[
    "_frozen_importlib",
    "codecs",
    "copyreg",
    "encodings_ascii",
    "encodings_utf_8",
];

/// Whether a pure-Python module of RustPython's library is on the allowlist.
pub fn pure_allowed(name: &str) -> bool {
    let top = name.split('.').next().unwrap_or(name);
    PURE_MODULES.contains(&top)
        && !PURE_EXCLUDED
            .iter()
            .any(|x| name == *x || name.strip_prefix(x).is_some_and(|r| r.starts_with('.')))
}

/// Every frozen module a guest interpreter gets, decoded once per process:
/// the allowed part of RustPython's library, then Morph's modules (which
/// win over a library module of the same name).
pub fn frozen_modules() -> &'static [(&'static str, FrozenModule)] {
    static MODULES: OnceLock<Vec<(&'static str, FrozenModule)>> = OnceLock::new();
    MODULES.get_or_init(|| {
        let mut out: Vec<(&'static str, FrozenModule)> = rustpython_pylib::FROZEN_STDLIB
            .decode()
            .filter(|(name, _)| pure_allowed(name))
            .collect();
        let ours: Vec<_> = MORPH_MODULES.decode().collect();
        out.retain(|(name, _)| !ours.iter().any(|(n, _)| n == name));
        out.extend(ours);
        out
    })
}

/// Morph's own frozen modules alone (decoded once per process).
pub fn morph_modules() -> &'static [(&'static str, FrozenModule)] {
    static MODULES: OnceLock<Vec<(&'static str, FrozenModule)>> = OnceLock::new();
    MODULES.get_or_init(|| MORPH_MODULES.decode().collect())
}

/// Whether a frozen module may stay in the interpreter's table: the core
/// modules the import machinery needs, and [`frozen_modules`].
pub fn frozen_allowed(name: &str) -> bool {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    CORE_FROZEN.contains(&name)
        || NAMES
            .get_or_init(|| frozen_modules().iter().map(|(n, _)| *n).collect())
            .contains(name)
}

/// The native module definitions of rustpython-stdlib (filtered with the
/// vm's own by [`NATIVE_MODULES`] when the interpreter starts).
pub fn native_defs(ctx: &Context) -> Vec<&'static PyModuleDef> {
    rustpython_stdlib::stdlib_module_defs(ctx)
}
