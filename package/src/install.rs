//! Installed packages: `<data dir>/extensions/<id>/` holds the verified
//! `package.morph` exactly as it was approved, and `install.json`, the
//! record of what was approved (version, digest, publisher, permissions,
//! hosts, limits).
//!
//! Installing is two steps so a user can decide in between:
//! [`InstallStore::plan`] verifies the package (signature and trust as the
//! [`TrustPolicy`] says), refuses a downgrade unless allowed and an update
//! signed by another publisher, and computes what an update asks for beyond
//! the installed version ([`Widening`]); [`InstallPlan::commit`] writes the
//! new directory beside the old one and renames it into place, so **a failed
//! install leaves nothing half-installed**.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use morph_capabilities::{Error, LIMIT_RANGES, Permission, Result};
use morph_runtime_core::Manifest;
use serde::{Deserialize, Serialize};

use crate::archive::Limits;
use crate::digest::Sha256Digest;
use crate::keys::public_key_hex;
use crate::sealed::{SealedPackage, write_file_atomically};
use crate::verify::{Signer, TrustPolicy};

/// File name of the installed archive inside an extension's directory.
pub const PACKAGE_FILE: &str = "package.morph";
/// File name of the install record.
pub const RECORD_FILE: &str = "install.json";
/// Largest install record read back.
const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// What was approved when a package was installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledRecord {
    /// The extension id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// The canonical package digest, `sha256:<hex>`.
    pub digest: String,
    /// SHA-256 of `manifest.yaml` (hex), the manifest that was approved.
    pub manifest_digest: String,
    /// The publisher's name in the trust store, when trusted.
    #[serde(default)]
    pub publisher: Option<String>,
    /// The signing key (hex), when signed.
    #[serde(default)]
    pub publisher_key: Option<String>,
    /// Approved permissions.
    pub permissions: Vec<String>,
    /// Approved `allowed_hosts`.
    pub allowed_hosts: Vec<String>,
    /// Approved resource limits, by manifest field name.
    pub limits: BTreeMap<String, u64>,
    /// Where the package came from (a file path or an OCI reference).
    pub source: String,
}

impl InstalledRecord {
    /// The approved permissions, parsed (unknown names are skipped).
    pub fn permission_set(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.permissions.iter().any(|s| s == p.as_str()))
            .collect()
    }

    /// The permissions that were not approved: what a host policy takes
    /// away from this extension so that it runs with no more than it was
    /// approved for, whatever its manifest asks.
    pub fn unapproved(&self) -> Vec<Permission> {
        let approved = self.permission_set();
        Permission::ALL
            .into_iter()
            .filter(|p| !approved.contains(p))
            .collect()
    }

    /// Opens the installed archive `file` of this record through `opener`,
    /// verified again, and refuses it unless it is still the package that
    /// was approved.
    ///
    /// # Errors
    /// What [`crate::PackageOpener::open`] refuses; `signature_invalid` when the
    /// archive changed on disk since it was approved.
    pub fn open_verified(
        &self,
        opener: &crate::PackageOpener,
        file: &Path,
    ) -> Result<crate::VerifiedPackage> {
        let verified = opener.open(file)?;
        if verified.digest.to_string() != self.digest {
            return Err(Error::SignatureInvalid {
                reason: format!(
                    "the installed package of `{}` changed on disk since it was approved",
                    self.id
                ),
            });
        }
        Ok(verified)
    }
}

/// What an update asks for beyond the installed version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Widening {
    /// Permissions the installed version does not have.
    pub permissions: Vec<Permission>,
    /// `allowed_hosts` entries the installed version does not have.
    pub hosts: Vec<String>,
    /// Limits raised: (field, installed value, new value).
    pub limits: Vec<(String, u64, u64)>,
}

impl Widening {
    /// Whether the update asks for nothing more.
    pub fn is_empty(&self) -> bool {
        self.permissions.is_empty() && self.hosts.is_empty() && self.limits.is_empty()
    }
}

/// How a plan relates to what is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Nothing with this id is installed.
    Fresh,
    /// A newer version replaces an older one.
    Update {
        /// The installed version.
        from: String,
    },
    /// The same version with different contents.
    Reinstall,
    /// Exactly this package is already installed.
    Unchanged,
    /// An older version replaces a newer one (only when allowed).
    Downgrade {
        /// The installed version.
        from: String,
    },
}

/// The installed packages of one data dir.
#[derive(Debug, Clone)]
pub struct InstallStore {
    root: PathBuf,
}

/// A verified package ready to install, and what installing it changes.
#[derive(Debug)]
pub struct InstallPlan {
    root: PathBuf,
    manifest: Manifest,
    record: InstalledRecord,
    previous: Option<InstalledRecord>,
    signer: Signer,
    change: Change,
    bytes: Vec<u8>,
}

impl InstallStore {
    /// The store of the data dir `data_dir` (`<data_dir>/extensions`).
    pub fn new(data_dir: &Path) -> InstallStore {
        InstallStore {
            root: data_dir.join("extensions"),
        }
    }

    /// The directory installs live in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the installed archive of `id` is.
    pub fn package_path(&self, id: &str) -> PathBuf {
        self.root.join(id).join(PACKAGE_FILE)
    }

    /// The record of `id`, if installed.
    ///
    /// # Errors
    /// `io` or `invalid_package` when the record cannot be read.
    pub fn get(&self, id: &str) -> Result<Option<InstalledRecord>> {
        if !is_id(id) {
            return Ok(None);
        }
        let path = self.root.join(id).join(RECORD_FILE);
        let file = match std::fs::File::open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("opening {}", path.display()), e)),
            Ok(f) => f,
        };
        let mut bytes = Vec::new();
        file.take(MAX_RECORD_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::InvalidPackage {
                reason: format!("{} is damaged: {e}", path.display()),
            })
    }

    /// Every installed package, by id.
    ///
    /// # Errors
    /// As [`InstallStore::get`].
    pub fn list(&self) -> Result<Vec<InstalledRecord>> {
        let entries = match std::fs::read_dir(&self.root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(format!("reading {}", self.root.display()), e)),
            Ok(entries) => entries,
        };
        let mut records = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::io(format!("reading {}", self.root.display()), e))?;
            if let Some(name) = entry.file_name().to_str()
                && let Some(record) = self.get(name)?
            {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    /// Uninstalls `id`; its vault, tasks and files stay in the data dir.
    ///
    /// # Errors
    /// `unknown_extension` when it is not installed; `io` when it cannot be
    /// removed.
    pub fn remove(&self, id: &str) -> Result<InstalledRecord> {
        let record = self
            .get(id)?
            .ok_or_else(|| Error::UnknownExtension { id: id.to_owned() })?;
        let dir = self.root.join(id);
        // Rename first, so a crash never leaves a half-removed install.
        let doomed = tempfile::Builder::new()
            .prefix(".removed-")
            .tempdir_in(&self.root)
            .map_err(|e| Error::io(format!("removing {id}"), e))?;
        let target = doomed.path().join(id);
        std::fs::rename(&dir, &target)
            .map_err(|e| Error::io(format!("removing {}", dir.display()), e))?;
        drop(doomed);
        Ok(record)
    }

    /// Verifies the `.morph` bytes `bytes` (from `source`) and plans their
    /// install.
    ///
    /// # Errors
    /// `invalid_package`, `invalid_manifest`, `signature_invalid`,
    /// `unsigned_package`, `untrusted_publisher` when the package is
    /// refused; `invalid_package` for a downgrade without
    /// `allow_downgrade`; `untrusted_publisher` for an update signed by
    /// another key than the installed version.
    pub fn plan(
        &self,
        bytes: Vec<u8>,
        source: &str,
        policy: &TrustPolicy,
        limits: &Limits,
        allow_downgrade: bool,
    ) -> Result<InstallPlan> {
        let package = SealedPackage::read(bytes.as_slice(), limits)?;
        let digest = package.digest();
        let signer = policy.check(&digest, package.signature_bytes())?;
        let manifest = package.manifest()?;
        let record = record_of(&manifest, &package, &digest, &signer, source)?;
        let previous = self.get(&manifest.extension_id)?;
        let change = match &previous {
            None => Change::Fresh,
            Some(prev) => {
                if prev.publisher_key != record.publisher_key {
                    return Err(Error::UntrustedPublisher {
                        reason: format!(
                            "`{}` is installed from key {}, and this package is {}; remove it first to switch publishers",
                            prev.id,
                            prev.publisher_key.as_deref().unwrap_or("(unsigned)"),
                            signer.describe()
                        ),
                    });
                }
                let installed =
                    semver::Version::parse(&prev.version).map_err(|e| Error::InvalidPackage {
                        reason: format!("the installed record of `{}` is damaged: {e}", prev.id),
                    })?;
                match manifest.version.cmp(&installed) {
                    std::cmp::Ordering::Greater => Change::Update {
                        from: prev.version.clone(),
                    },
                    std::cmp::Ordering::Equal if prev.digest == record.digest => Change::Unchanged,
                    std::cmp::Ordering::Equal => Change::Reinstall,
                    std::cmp::Ordering::Less if allow_downgrade => Change::Downgrade {
                        from: prev.version.clone(),
                    },
                    std::cmp::Ordering::Less => {
                        return Err(Error::InvalidPackage {
                            reason: format!(
                                "refusing to downgrade `{}` from {} to {} (allow it explicitly with --allow-downgrade)",
                                prev.id, prev.version, manifest.version
                            ),
                        });
                    }
                }
            }
        };
        Ok(InstallPlan {
            root: self.root.clone(),
            manifest,
            record,
            previous,
            signer,
            change,
            bytes,
        })
    }
}

fn record_of(
    manifest: &Manifest,
    package: &SealedPackage,
    digest: &Sha256Digest,
    signer: &Signer,
    source: &str,
) -> Result<InstalledRecord> {
    let limits = LIMIT_RANGES
        .iter()
        .zip(manifest.resource_limits.values())
        .map(|(range, value)| (range.field.to_owned(), value))
        .collect();
    Ok(InstalledRecord {
        id: manifest.extension_id.clone(),
        version: manifest.version.to_string(),
        digest: digest.to_string(),
        manifest_digest: Sha256Digest::of(package.manifest_bytes()?).hex(),
        publisher: signer.name().map(str::to_owned),
        publisher_key: signer.key().map(public_key_hex),
        permissions: manifest
            .permissions
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        allowed_hosts: manifest
            .allowed_hosts
            .iter()
            .map(|h| h.to_string())
            .collect(),
        limits,
        source: source.to_owned(),
    })
}

impl InstallPlan {
    /// The package's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The record that installing writes.
    pub fn record(&self) -> &InstalledRecord {
        &self.record
    }

    /// The installed version's record, if any.
    pub fn previous(&self) -> Option<&InstalledRecord> {
        self.previous.as_ref()
    }

    /// Who signed the package.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// How this relates to what is installed.
    pub fn change(&self) -> &Change {
        &self.change
    }

    /// What the package asks for beyond the installed version (empty for a
    /// fresh install: then everything it asks for is new).
    pub fn widening(&self) -> Widening {
        let Some(prev) = &self.previous else {
            return Widening::default();
        };
        let old = prev.permission_set();
        let permissions = self
            .manifest
            .permissions
            .iter()
            .filter(|p| !old.contains(p))
            .collect();
        let hosts = self
            .record
            .allowed_hosts
            .iter()
            .filter(|h| !prev.allowed_hosts.contains(h))
            .cloned()
            .collect();
        let limits = self
            .record
            .limits
            .iter()
            .filter_map(|(field, new)| {
                // A record from before a limit existed ran under its
                // default: only a value above that widens.
                let old = prev.limits.get(field).copied().unwrap_or_else(|| {
                    LIMIT_RANGES
                        .iter()
                        .find(|r| r.field == field)
                        .map_or(0, |r| r.default)
                });
                (*new > old).then(|| (field.clone(), old, *new))
            })
            .collect();
        Widening {
            permissions,
            hosts,
            limits,
        }
    }

    /// Installs: writes the new directory beside the old one, then swaps it
    /// into place. Does nothing for [`Change::Unchanged`].
    ///
    /// # Errors
    /// `io` when writing fails (the installed version, if any, stays).
    pub fn commit(self) -> Result<InstalledRecord> {
        if self.change == Change::Unchanged {
            return Ok(self.record);
        }
        let io = |what: &str, e: std::io::Error| Error::io(what.to_owned(), e);
        std::fs::create_dir_all(&self.root)
            .map_err(|e| io(&format!("creating {}", self.root.display()), e))?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.root)
            .map_err(|e| io("creating the install staging dir", e))?;
        write_file_atomically(&staging.path().join(PACKAGE_FILE), &self.bytes)?;
        let record = serde_json::to_vec_pretty(&self.record)
            .map_err(|e| Error::internal(format!("encoding the install record: {e}")))?;
        write_file_atomically(&staging.path().join(RECORD_FILE), &record)?;
        let target = self.root.join(&self.record.id);
        let aside = tempfile::Builder::new()
            .prefix(".previous-")
            .tempdir_in(&self.root)
            .map_err(|e| io("creating the install staging dir", e))?;
        let old = aside.path().join("old");
        let had_old = target.exists();
        if had_old {
            std::fs::rename(&target, &old)
                .map_err(|e| io(&format!("moving {} aside", target.display()), e))?;
        }
        let new = staging.keep();
        if let Err(e) = std::fs::rename(&new, &target) {
            let _ = std::fs::remove_dir_all(&new);
            if had_old {
                let _ = std::fs::rename(&old, &target);
            }
            return Err(io(&format!("installing into {}", target.display()), e));
        }
        drop(aside);
        Ok(self.record)
    }
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
