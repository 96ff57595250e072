//! Integration tests of the capability layer, on real parts: a real HTTP
//! server on 127.0.0.1, real SQLite, a real directory tree.

mod audit;
mod audit_witness;
mod broker;
mod files;
mod http;
mod quarantine;
mod store;
mod support;
mod threats_files;
