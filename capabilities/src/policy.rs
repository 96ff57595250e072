//! Host policy: what the app or its user takes away from every manifest.
//!
//! Effective grants are **manifest ∩ host policy**: a policy can only narrow
//! what a manifest asks for, never widen it. That holds for the storage
//! quotas too: [`HostPolicy::cap_quota`] lowers a quota for every extension
//! (the host-wide override), whatever its manifest asks for.

use std::collections::{BTreeMap, BTreeSet};

use crate::call::Grants;
use crate::error::QuotaKind;
use crate::http::allowlist::HostPattern;
use crate::limits::ResourceLimits;
use crate::permission::{Permission, PermissionSet};

/// Revocations applied to every manifest the host loads.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    allowed: PermissionSet,
    revoked: BTreeMap<String, PermissionSet>,
    blocked_hosts: BTreeSet<String>,
    quota_caps: BTreeMap<QuotaKind, u64>,
}

impl Default for HostPolicy {
    fn default() -> Self {
        HostPolicy::permissive()
    }
}

impl HostPolicy {
    /// A policy that takes nothing away.
    pub fn permissive() -> HostPolicy {
        HostPolicy {
            allowed: PermissionSet::all(),
            revoked: BTreeMap::new(),
            blocked_hosts: BTreeSet::new(),
            quota_caps: BTreeMap::new(),
        }
    }

    /// A policy that grants nothing, whatever a manifest asks.
    pub fn deny_all() -> HostPolicy {
        HostPolicy {
            allowed: PermissionSet::new(),
            ..HostPolicy::permissive()
        }
    }

    /// Takes `p` away from every extension.
    pub fn deny(&mut self, p: Permission) -> &mut Self {
        self.allowed.remove(p);
        self
    }

    /// Takes `p` away from one extension (a user's revocation).
    pub fn revoke(&mut self, extension_id: &str, p: Permission) -> &mut Self {
        self.revoked
            .entry(extension_id.to_owned())
            .or_default()
            .insert(p);
        self
    }

    /// Replaces what is taken away from one extension with `revoked` (an
    /// install approved more, or less, than before).
    pub fn set_revoked(&mut self, extension_id: &str, revoked: PermissionSet) -> &mut Self {
        if revoked.is_empty() {
            self.revoked.remove(extension_id);
        } else {
            self.revoked.insert(extension_id.to_owned(), revoked);
        }
        self
    }

    /// Removes an `allowed_hosts` entry (by its normalised spelling) from every extension.
    pub fn block_host(&mut self, entry: &HostPattern) -> &mut Self {
        self.blocked_hosts.insert(entry.to_string());
        self
    }

    /// Lowers the quota `kind` to at most `max` for every extension (in the
    /// unit of its manifest field: `max_storage_mb` in MiB). A manifest
    /// asking for less keeps its own value; a second cap on the same quota
    /// keeps the lower of the two.
    pub fn cap_quota(&mut self, kind: QuotaKind, max: u64) -> &mut Self {
        let cap = self.quota_caps.entry(kind).or_insert(max);
        *cap = (*cap).min(max);
        self
    }

    /// The effective grants for `extension_id` asking for `requested`.
    pub fn effective(
        &self,
        extension_id: &str,
        requested: &PermissionSet,
        hosts: &[HostPattern],
        limits: ResourceLimits,
    ) -> Grants {
        let mut permissions = requested.intersection(&self.allowed);
        if let Some(revoked) = self.revoked.get(extension_id) {
            permissions = permissions.difference(revoked);
        }
        let allowed_hosts = hosts
            .iter()
            .filter(|h| !self.blocked_hosts.contains(&h.to_string()))
            .cloned()
            .collect();
        let limits = self
            .quota_caps
            .iter()
            .fold(limits, |l, (kind, max)| l.with_quota_at_most(*kind, *max));
        Grants {
            permissions,
            allowed_hosts,
            limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_only_narrows() {
        let requested: PermissionSet = [Permission::HttpRead, Permission::VaultRead]
            .into_iter()
            .collect();
        let mut policy = HostPolicy::permissive();
        policy
            .deny(Permission::FsWrite)
            .revoke("a", Permission::VaultRead);
        let g = policy.effective("a", &requested, &[], ResourceLimits::default());
        assert!(g.has(Permission::HttpRead));
        assert!(!g.has(Permission::VaultRead));
        assert!(!g.has(Permission::FsWrite), "policy never adds");
        let g = policy.effective("b", &requested, &[], ResourceLimits::default());
        assert!(g.has(Permission::VaultRead), "revocation is per extension");
    }

    #[test]
    fn quota_caps_only_lower() {
        let mut policy = HostPolicy::permissive();
        policy
            .cap_quota(QuotaKind::Files, 50)
            .cap_quota(QuotaKind::Files, 80)
            .cap_quota(QuotaKind::Tasks, 1_000_000);
        let asked = ResourceLimits {
            max_tasks: 20,
            ..ResourceLimits::default()
        };
        let g = policy.effective("a", &PermissionSet::new(), &[], asked);
        assert_eq!(g.limits.max_files, 50, "the lower of two caps");
        assert_eq!(g.limits.max_tasks, 20, "a cap never raises");
        assert_eq!(g.limits.max_storage_mb, asked.max_storage_mb);
        g.limits.validate().unwrap();
    }
}
