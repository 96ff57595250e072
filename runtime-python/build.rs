//! Rebuilds the crate when Morph's Python modules change (they are frozen
//! into the binary by `py_freeze!`, which cargo does not track).

fn main() {
    println!("cargo:rerun-if-changed=src/python");
    if let Ok(entries) = std::fs::read_dir("src/python") {
        for entry in entries.flatten() {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
}
