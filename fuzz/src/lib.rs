//! Shared parts of Morph's fuzz targets (`fuzz_targets/*.rs`): a host with
//! one loaded extension kept warm across inputs ([`harness`]), and the
//! guest-shaped values the value-converter targets send ([`values`]).
//!
//! **A target fails only on a real defect**: a panic, a crash, an `internal`
//! error, or a differential mismatch; every clean refusal is an answer.

pub mod harness;
pub mod values;
