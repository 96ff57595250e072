//! CLI tests: the envelope and exit codes in-process with a test runtime, and
//! the real `morph` binary for what needs no runtime.

mod audit_intent;
mod audit_log;
mod audit_witness;
mod binary;
mod cancel;
mod code;
mod demo;
mod envelope;
mod host_api;
mod js_libraries;
mod js_modules;
mod library_calls;
mod mcp;
mod mcp_code;
mod mcp_rmcp;
mod memory;
mod new;
mod package_optimize;
mod packages;
mod process;
mod python_libraries;
mod python_sandbox;
mod quarantine;
mod quota;
mod redaction;
#[path = "../../../package/tests/all/registry_server.rs"]
mod registry_server;
mod serve;
mod serve_fixture;
#[path = "../../../runtime-core/tests/all/test_runtime.rs"]
mod test_runtime;
mod threats_broker;
mod threats_guests;
mod threats_host;
mod threats_packages;
mod vault;
