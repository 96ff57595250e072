//! HTTP tests
