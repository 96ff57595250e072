//! `PythonRuntime`: Morph's Python runtime on RustPython (work in progress, issue 5).
#![deny(missing_docs)]

/// Makes sure this crate is linked into a binary that only relies on the
/// link-time registry (`inventory` drops crates nothing refers to).
pub fn ensure_linked() {}
