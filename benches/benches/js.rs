//! Benchmarks of the js runtime (being written with its issue).

fn main() {}
