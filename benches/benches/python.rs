//! Benchmarks of the python runtime (being written with its issue).

fn main() {}
