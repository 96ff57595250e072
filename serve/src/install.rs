//! Installs through the server: the same verification and trust checks as
//! `morph install`, and **no permission is granted without an approval of
//! exactly what is asked**: the caller sends back the digest of the
//! permission diff the server showed it.

use morph_package::install::Change;
use morph_package::{InstallPlan, InstalledRecord};
use serde_json::{Value, json};

use crate::approvals::arguments_digest;

/// What installing a plan would grant beyond what is installed: for a fresh
/// install everything it asks for, for an update what it adds.
pub fn permission_diff(plan: &InstallPlan) -> Value {
    let m = plan.manifest();
    let record = plan.record();
    let change = match plan.change() {
        Change::Fresh => json!({"kind": "fresh"}),
        Change::Unchanged => json!({"kind": "unchanged"}),
        Change::Reinstall => json!({"kind": "reinstall"}),
        Change::Update { from } => json!({"kind": "update", "from": from}),
        Change::Downgrade { from } => json!({"kind": "downgrade", "from": from}),
    };
    let (permissions, hosts, limits) = match plan.previous() {
        None => (
            record.permissions.clone(),
            record.allowed_hosts.clone(),
            record
                .limits
                .iter()
                .map(|(field, v)| json!({"limit": field, "to": v}))
                .collect::<Vec<_>>(),
        ),
        Some(_) => {
            let w = plan.widening();
            (
                w.permissions
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                w.hosts,
                w.limits
                    .iter()
                    .map(|(field, from, to)| json!({"limit": field, "from": from, "to": to}))
                    .collect(),
            )
        }
    };
    json!({
        "extension": m.extension_id,
        "version": m.version.to_string(),
        "package_digest": record.digest,
        "publisher": plan.signer().describe(),
        "change": change,
        "added": {
            "permissions": permissions,
            "allowed_hosts": hosts,
            "limits": limits,
        },
    })
}

/// The digest an approval of `diff` must carry: `sha256:` and the SHA-256
/// of its canonical JSON (bound to the package digest inside it).
pub fn diff_digest(diff: &Value) -> String {
    format!("sha256:{}", arguments_digest(diff))
}

/// Whether installing `plan` needs a person's approval: a fresh install
/// does, an update or reinstall only when it asks for more.
pub fn needs_approval(plan: &InstallPlan) -> bool {
    match plan.change() {
        Change::Fresh => true,
        Change::Unchanged => false,
        Change::Update { .. } | Change::Reinstall | Change::Downgrade { .. } => {
            !plan.widening().is_empty()
        }
    }
}

/// An installed record as the API lists it.
pub fn record_json(record: &InstalledRecord) -> Value {
    json!({
        "id": record.id,
        "version": record.version,
        "digest": record.digest,
        "publisher": record.publisher,
        "permissions": record.permissions,
        "allowed_hosts": record.allowed_hosts,
        "source": record.source,
    })
}
