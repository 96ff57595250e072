//! The trust store: a directory of named publisher public keys.
//!
//! Each trusted publisher is one file `<name>.pub` holding its Ed25519
//! public key as 64 hex digits; names are `[a-z0-9][a-z0-9._-]*`. The store
//! is the only source of trust: a package is trusted when the key that
//! signed it is byte-for-byte one of these keys. A missing directory is an
//! empty store (nothing is trusted).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use morph_capabilities::{Error, Result};

use crate::keys::{public_key_hex, read_public_key, write_public_key};

/// Most keys read from one store.
const MAX_KEYS: usize = 10_000;

/// Named publisher keys.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    dir: Option<PathBuf>,
    keys: BTreeMap<String, VerifyingKey>,
}

/// A trusted publisher: its name in the store and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// The name the store gives the key.
    pub name: String,
    /// The public key.
    pub key: VerifyingKey,
}

impl TrustStore {
    /// A store that trusts nobody and is kept nowhere.
    pub fn empty() -> TrustStore {
        TrustStore::default()
    }

    /// Reads the store kept in `dir` (missing: empty).
    ///
    /// # Errors
    /// `io` when the directory cannot be read; `invalid_params` for a key
    /// file that does not hold a key.
    pub fn open(dir: impl Into<PathBuf>) -> Result<TrustStore> {
        let dir = dir.into();
        let mut keys = BTreeMap::new();
        let entries = match std::fs::read_dir(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(TrustStore {
                    dir: Some(dir),
                    keys,
                });
            }
            Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
            Ok(entries) => entries,
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".pub")) else {
                continue;
            };
            if check_name(name).is_err() {
                continue;
            }
            if keys.len() >= MAX_KEYS {
                break;
            }
            keys.insert(name.to_owned(), read_public_key(&entry.path())?);
        }
        Ok(TrustStore {
            dir: Some(dir),
            keys,
        })
    }

    /// Trusts `key` under `name` in memory only.
    ///
    /// # Errors
    /// `invalid_params` for a bad name.
    pub fn with_key(mut self, name: &str, key: VerifyingKey) -> Result<TrustStore> {
        check_name(name)?;
        self.keys.insert(name.to_owned(), key);
        Ok(self)
    }

    /// The directory the store is kept in, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Trusts `key` under `name` and writes it to the store's directory.
    ///
    /// # Errors
    /// `invalid_params` for a bad name or a name already used for another
    /// key; `io` when the key cannot be written.
    pub fn add(&mut self, name: &str, key: VerifyingKey) -> Result<()> {
        check_name(name)?;
        match self.keys.get(name) {
            Some(existing) if *existing == key => return Ok(()),
            Some(_) => {
                return Err(Error::params(
                    "name",
                    format!("`{name}` already names another key; remove it first"),
                ));
            }
            None => {}
        }
        if let Some(dir) = &self.dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            write_public_key(&dir.join(format!("{name}.pub")), &key)?;
        }
        self.keys.insert(name.to_owned(), key);
        Ok(())
    }

    /// Stops trusting `name`; returns whether it was there.
    ///
    /// # Errors
    /// `io` when its file cannot be removed.
    pub fn remove(&mut self, name: &str) -> Result<bool> {
        check_name(name)?;
        if self.keys.remove(name).is_none() {
            return Ok(false);
        }
        if let Some(dir) = &self.dir {
            let file = dir.join(format!("{name}.pub"));
            std::fs::remove_file(&file)
                .map_err(|e| Error::io(format!("removing {}", file.display()), e))?;
        }
        Ok(true)
    }

    /// The publisher whose key is exactly `key`, if trusted.
    pub fn publisher_of(&self, key: &VerifyingKey) -> Option<Publisher> {
        self.keys
            .iter()
            .find(|(_, k)| k.as_bytes() == key.as_bytes())
            .map(|(name, key)| Publisher {
                name: name.clone(),
                key: *key,
            })
    }

    /// Every trusted publisher, by name.
    pub fn publishers(&self) -> Vec<Publisher> {
        self.keys
            .iter()
            .map(|(name, key)| Publisher {
                name: name.clone(),
                key: *key,
            })
            .collect()
    }
}

impl Publisher {
    /// The key as hex.
    pub fn key_hex(&self) -> String {
        public_key_hex(&self.key)
    }
}

/// Checks a publisher name: `[a-z0-9][a-z0-9._-]*`, at most 64 bytes.
///
/// # Errors
/// `invalid_params` naming the rule.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::params(
            "name",
            format!(
                "`{}` is not a publisher name ([a-z0-9][a-z0-9._-]*, at most 64 bytes)",
                morph_capabilities::truncate_for_message(name, 80)
            ),
        ))
    }
}
