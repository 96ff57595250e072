//! Which package owns each extension id in a data dir.
//!
//! Vault keys, tasks and files are namespaced by extension id, so **an id is
//! bound to the package origin that first used it** (a package directory
//! today, a publisher key with signed packages): another package that declares
//! the same id is refused instead of inheriting the first one's secrets.
//! The binding persists in `<data dir>/extensions.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use morph_capabilities::{Error, Result};

/// Longest `extensions.json` read back.
const MAX_OWNERS_BYTES: u64 = 16 * 1024 * 1024;

/// The id → origin bindings of one data dir.
#[derive(Debug)]
pub(crate) struct Ownership {
    file: Option<PathBuf>,
    owners: Mutex<Option<BTreeMap<String, String>>>,
}

impl Ownership {
    /// Bindings persisted in `file` (or kept in memory when `None`).
    pub(crate) fn new(file: Option<PathBuf>) -> Ownership {
        Ownership {
            file,
            owners: Mutex::new(None),
        }
    }

    /// Binds `id` to `origin`, or checks that it is already bound to it.
    ///
    /// # Errors
    /// `invalid_package` when `id` belongs to another origin; `io` when the
    /// bindings cannot be read or written.
    pub(crate) fn claim(&self, id: &str, origin: &str) -> Result<()> {
        let mut guard = self
            .owners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(self.read()?);
        }
        let owners = guard.get_or_insert_with(BTreeMap::new);
        match owners.get(id) {
            Some(owner) if owner == origin => Ok(()),
            Some(owner) => Err(Error::InvalidPackage {
                reason: format!(
                    "extension id `{id}` already belongs to {owner} in this data dir; \
                     another package may not take over its vault, tasks and files \
                     (use another data dir, or remove the installed extension first)"
                ),
            }),
            None => {
                owners.insert(id.to_owned(), origin.to_owned());
                self.write(owners)
            }
        }
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        let Some(file) = &self.file else {
            return Ok(BTreeMap::new());
        };
        let bytes = match std::fs::File::open(file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(Error::io(format!("opening {}", file.display()), e)),
            Ok(f) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(f, MAX_OWNERS_BYTES),
                    &mut bytes,
                )
                .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
                bytes
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::io(
                format!("{} is corrupt", file.display()),
                std::io::Error::other(e.to_string()),
            )
        })
    }

    fn write(&self, owners: &BTreeMap<String, String>) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let json = serde_json::to_vec_pretty(owners)
            .map_err(|e| Error::internal(format!("encoding bindings: {e}")))?;
        let tmp = file.with_extension("json.tmp");
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, file))
            .map_err(|e| Error::io(format!("writing {}", file.display()), e))
    }
}
