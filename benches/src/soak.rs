//! The soak (issue 20, point 9; THREATS.md, "The host itself"): one
//! long-lived `Host`, as a server holds it, under hours or minutes of mixed
//! calls on every runtime, faults included, **keeps its memory, descriptors,
//! threads and worker processes flat**. `morph-bench-soak` runs it
//! (`scripts/soak.sh [MINUTES]`; RELIABILITY.md has the figures).
//!
//! - [`guests`]: the extensions (each language's behaviour guest, wasm on
//!   wasmer and wasmi, in process and under process isolation) as packages.
//! - [`router`]: each language's runtime behind one host, with the engine and
//!   isolation each extension's plan names.
//! - [`http_server`]: the HTTP server on 127.0.0.1 the allowed fetches reach.
//! - [`mix`]: the calls (ordinary, capabilities, denials, faults), their
//!   expected outcomes and the tally.
//! - [`heap`]: the live-heap count beneath the metered allocator.
//! - [`probe`]: RSS, descriptors, threads and children, from `/proc`.
//! - [`run`]: the soak: callers, maintenance (events, reloads), quiesced
//!   readings.
//! - [`report`]: the tables and the verdict.

pub mod guests;
pub mod heap;
pub mod http_server;
pub mod mix;
pub mod probe;
pub mod report;
pub mod router;
pub mod run;
