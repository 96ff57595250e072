//! The probe: the one extension, written in each language from `SPEC.md`,
//! that the suite loads under every manifest variant.

use sha2::{Digest, Sha256};

/// The probe's actions as a manifest declares them (shared with
/// `runtime-wasm`'s tests, whose test guest is the Rust probe).
pub const PROBE_ACTIONS: &str = include_str!("../../runtime-wasm/tests/guest/actions.yaml");

/// A probe package's code for one runtime kind.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The manifest's `runtime:` kind.
    pub kind: String,
    /// The entry file's name.
    pub entry: String,
    /// Every file of the package but the manifest: `(path, contents)`.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Probe {
    /// A probe for `kind` whose entry `entry` holds `code`.
    pub fn new(kind: &str, entry: &str, code: impl Into<Vec<u8>>) -> Probe {
        Probe {
            kind: kind.to_owned(),
            entry: entry.to_owned(),
            files: vec![(entry.to_owned(), code.into())],
        }
    }

    /// The Rust probe compiled to wasm (`morph_test_guest.wasm`, built by
    /// `scripts/build-guests.sh`).
    pub fn wasm(module: Vec<u8>) -> Probe {
        Probe::new("wasm", "probe.wasm", module)
    }

    /// The Rust probe from the workspace's build, if it has been built.
    ///
    /// # Errors
    /// The I/O error reading it (build it with `scripts/build-guests.sh`).
    pub fn wasm_from_workspace() -> std::io::Result<Probe> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../runtime-wasm/tests/guest/morph_test_guest.wasm"
        );
        std::fs::read(path).map(Probe::wasm)
    }

    /// The same Rust probe built for `wasm32-wasip1`
    /// (`morph_test_guest_wasip1.wasm`, built by `scripts/build-guests.sh`),
    /// certified like the `wasm32-unknown-unknown` build.
    ///
    /// # Errors
    /// The I/O error reading it (build it with `scripts/build-guests.sh`).
    pub fn wasm_wasip1_from_workspace() -> std::io::Result<Probe> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../runtime-wasm/tests/guest/morph_test_guest_wasip1.wasm"
        );
        std::fs::read(path).map(Probe::wasm)
    }

    /// The JavaScript probe (`runtime-js/tests/guest/index.js`).
    pub fn js() -> Probe {
        Probe::new(
            "js",
            "index.js",
            include_str!("../../runtime-js/tests/guest/index.js"),
        )
    }

    /// The Python probe (`runtime-python/tests/guest/main.py`).
    pub fn python() -> Probe {
        Probe::new(
            "python",
            "main.py",
            include_str!("../../runtime-python/tests/guest/main.py"),
        )
    }

    /// SHA-256 over the files, in path order.
    pub fn digest(&self) -> [u8; 32] {
        let mut files: Vec<_> = self.files.iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = Sha256::new();
        for (path, contents) in files {
            h.update((path.len() as u64).to_le_bytes());
            h.update(path.as_bytes());
            h.update((contents.len() as u64).to_le_bytes());
            h.update(contents);
        }
        h.finalize().into()
    }
}
