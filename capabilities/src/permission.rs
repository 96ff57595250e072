//! The ten permissions a manifest can ask for, and sets of them.
//!
//! A permission is the unit of consent: a user approves the set a manifest
//! asks for, a host policy can narrow it, and the broker checks it on every
//! capability call. **Nothing outside this set grants anything.**

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// One permission (brief section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// `http:read`: GET and HEAD requests to allowed hosts.
    HttpRead,
    /// `http:write`: every other method to allowed hosts.
    HttpWrite,
    /// `vault:read`: read the extension's own secrets.
    VaultRead,
    /// `vault:write`: store secrets in the extension's own namespace.
    VaultWrite,
    /// `event:emit`: publish events on the host bus.
    EventEmit,
    /// `event:listen`: receive host events through `on_event`.
    EventListen,
    /// `fs:read`: read and list files in the extension's data directory.
    FsRead,
    /// `fs:write`: write and delete files in the extension's data directory.
    FsWrite,
    /// `data:read`: read tasks.
    DataRead,
    /// `data:write`: create and update tasks.
    DataWrite,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 10] = [
        Permission::HttpRead,
        Permission::HttpWrite,
        Permission::VaultRead,
        Permission::VaultWrite,
        Permission::EventEmit,
        Permission::EventListen,
        Permission::FsRead,
        Permission::FsWrite,
        Permission::DataRead,
        Permission::DataWrite,
    ];

    /// The manifest spelling, e.g. `http:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::HttpRead => "http:read",
            Permission::HttpWrite => "http:write",
            Permission::VaultRead => "vault:read",
            Permission::VaultWrite => "vault:write",
            Permission::EventEmit => "event:emit",
            Permission::EventListen => "event:listen",
            Permission::FsRead => "fs:read",
            Permission::FsWrite => "fs:write",
            Permission::DataRead => "data:read",
            Permission::DataWrite => "data:write",
        }
    }

    /// A one-line explanation for `morph inspect` and install prompts.
    pub fn explain(self) -> &'static str {
        match self {
            Permission::HttpRead => "make GET/HEAD requests to the hosts in allowed_hosts",
            Permission::HttpWrite => {
                "make POST/PUT/PATCH/DELETE requests to the hosts in allowed_hosts"
            }
            Permission::VaultRead => "read secrets stored in its own vault namespace",
            Permission::VaultWrite => "store secrets in its own vault namespace",
            Permission::EventEmit => "publish events on the host's event bus",
            Permission::EventListen => "receive events from the host's event bus",
            Permission::FsRead => "read and list files in its own data directory",
            Permission::FsWrite => "write and delete files in its own data directory",
            Permission::DataRead => "read its tasks",
            Permission::DataWrite => "create and update its tasks",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown permission name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(crate::error::truncate_for_message(s, 64)))
    }
}

impl serde::Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An ordered set of permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every permission.
    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    /// Whether `p` is in the set.
    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    /// Adds `p`; returns whether it was new.
    pub fn insert(&mut self, p: Permission) -> bool {
        self.0.insert(p)
    }

    /// Removes `p`; returns whether it was present.
    pub fn remove(&mut self, p: Permission) -> bool {
        self.0.remove(&p)
    }

    /// The permissions in both sets.
    pub fn intersection(&self, other: &PermissionSet) -> PermissionSet {
        PermissionSet(self.0.intersection(&other.0).copied().collect())
    }

    /// The permissions in `self` that are not in `other`.
    pub fn difference(&self, other: &PermissionSet) -> PermissionSet {
        PermissionSet(self.0.difference(&other.0).copied().collect())
    }

    /// Iterates in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// Number of permissions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        PermissionSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_fail() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
        }
        assert!("http:admin".parse::<Permission>().is_err());
        assert!("HTTP:READ".parse::<Permission>().is_err());
    }

    #[test]
    fn intersection_keeps_only_common_permissions() {
        let a: PermissionSet = [Permission::HttpRead, Permission::VaultRead]
            .into_iter()
            .collect();
        let b: PermissionSet = [Permission::VaultRead, Permission::FsRead]
            .into_iter()
            .collect();
        let i = a.intersection(&b);
        assert_eq!(i.iter().collect::<Vec<_>>(), vec![Permission::VaultRead]);
    }
}
