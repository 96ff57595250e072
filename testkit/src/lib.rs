//! Fixtures shared by Morph's test suites (never a dependency of library code).
//!
//! - [`TestServer`]: a real HTTP/1.1 server on 127.0.0.1 that answers with a
//!   handler and records what it saw.
//! - [`PackageSpec`]: writes an extension package (manifest and files) for
//!   any runtime.
//! - [`bare_broker`], [`bare_call`]: a broker and a call with no grant,
//!   for tests that drive a session.
//! - [`TestHost`]: a [`Host`](morph_runtime_core::Host) on a temporary data dir
//!   with a memory audit sink.
//! - [`JiraExample`]: a JIRA example extension against a stand-in JIRA
//!   Cloud, with the checks every language's JIRA example passes.
//! - [`cpython_reference`]: the driver that runs a Python extension package
//!   under CPython, the reference runtime.
//! - [`node_reference`]: the driver that runs a JS extension module under
//!   Node, the reference for JS.

pub mod agent_extensions;
mod call;
mod host;
mod jira;
mod package;
mod server;

pub use call::{bare_broker, bare_call};
pub use host::TestHost;
pub use jira::JiraExample;
pub use package::PackageSpec;
pub use server::{Reply, Seen, TestServer};

/// `python/reference.py`: `python3 reference.py PACKAGE ACTION [PARAMS_JSON]`
/// runs the package's `main.py` under CPython (`init({})`, then
/// `execute`, awaited if async) with only the standard library and the
/// package importable, `PYTHONHASHSEED=0` and `TZ=UTC` (it re-executes
/// itself so), and prints the result as sorted JSON on one line.
pub fn cpython_reference() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/reference.py")
}

/// `js/reference.mjs`: `node reference.mjs MODULE_PATH ACTION PARAMS_JSON
/// [CONFIG_JSON]` imports the ES module, awaits `init(config)` if exported
/// (config defaults to `{}`) and `execute(action, params)`, and prints
/// `JSON.stringify(result)` on one line of stdout; each `console` line goes
/// to stderr as `{"level", "message"}` JSON (Morph's log levels, Node's
/// formatting). Timers pending when `execute` settles are dropped, as in
/// Morph.
pub fn node_reference() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js/reference.mjs")
}
