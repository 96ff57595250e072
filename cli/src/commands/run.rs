//! `morph run PACKAGE ACTION`: load one extension and run one action.
//!
//! PACKAGE is an extension directory (development: runs unsigned, with a
//! warning), a `.morph` file (verified before load: it must be intact and
//! signed by a trusted publisher unless `--allow-unsigned`), or the id of an
//! installed extension (its archive is verified again, must still be the
//! one approved, and runs with no more permissions than were approved).
//!
//! Every run counts towards the extension's quarantine in the data dir
//! (`--quarantine-strikes` within `--quarantine-window`): a quarantined
//! extension is refused with `extension_quarantined` before it loads.
//!
//! `--quota FIELD=N` lowers a storage quota (`max_files`, ...) for the run,
//! whatever the manifest asks for: the host-wide override of
//! [`HostPolicy::cap_quota`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use morph_package::{InstallStore, InstalledRecord, PackageOpener};
use morph_runtime_core::capabilities::{HostPolicy, QuotaKind};
use morph_runtime_core::{Error, Host};
use serde_json::Value;

use super::verify::trust_policy;
use crate::args::{RunArgs, TrustLocation};
use crate::data_dir::default_data_dir;
use crate::output::{failure, success};

/// What PACKAGE names.
enum Target {
    Dir(PathBuf),
    Archive(PathBuf),
    Installed(Box<InstalledRecord>, PathBuf),
}

pub async fn run(args: RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let json_mode = args.json;
    let prepared = match prepare(&args, err) {
        Err(e) => return failure(out, err, json_mode, &e, &[]),
        Ok(p) => p,
    };
    let (host, params, config, target, opener) = prepared;
    let loaded = match &target {
        Target::Dir(dir) => host.load(dir, config).await,
        Target::Archive(file) => host.load(file, config).await,
        Target::Installed(record, file) => {
            load_installed(&host, &opener, record, file, config).await
        }
    };
    let code = match loaded {
        Err(e) => failure(out, err, json_mode, &e, &[]),
        Ok(id) => {
            let execution = host.execute_traced(&id, &args.action, params).await;
            match &execution.result {
                Ok(value) => success(out, json_mode, value, &execution.audit),
                Err(e) => failure(out, err, json_mode, e, &execution.audit),
            }
        }
    };
    // The batched records (reads, outcomes) reach the disk before the
    // process ends; the workers may outlive `host` until exit.
    if let Err(e) = host.broker().flush_audit() {
        let _ = writeln!(err, "warning: syncing the audit log: {e}");
    }
    code
}

type Prepared = (Host, Value, Value, Target, PackageOpener);

fn prepare(args: &RunArgs, err: &mut dyn Write) -> Result<Prepared, Error> {
    let params = parse_json("params", &args.params)?;
    let config = parse_json("config", &args.config)?;
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let target = target(&args.package, &data_dir, err)?;
    let trust = TrustLocation {
        data_dir: Some(data_dir.clone()),
        trust_dir: args.trust_dir.clone(),
    };
    // An installed package was approved as it is (also when it was
    // installed unsigned, explicitly): its integrity is checked against the
    // install record instead.
    let allow_unsigned =
        args.allow_unsigned || matches!(&target, Target::Installed(r, _) if r.publisher.is_none());
    let opener = PackageOpener::new(trust_policy(&trust, allow_unsigned)?);
    let mut builder = args
        .host
        .builder()?
        .with_data_dir(data_dir)
        .with_archive_opener(Arc::new(opener.clone()));
    let mut policy = match &target {
        Target::Installed(record, _) => approved_only(record),
        _ => HostPolicy::permissive(),
    };
    for quota in &args.quotas {
        let (kind, max) = parse_quota(quota)?;
        policy.cap_quota(kind, max);
    }
    builder = builder.with_policy(policy);
    Ok((builder.build()?, params, config, target, opener))
}

/// Loads an installed extension: re-verified, bound to the approved digest.
async fn load_installed(
    host: &Host,
    opener: &PackageOpener,
    record: &InstalledRecord,
    file: &Path,
    config: Value,
) -> Result<String, Error> {
    let verified = record.open_verified(opener, file)?;
    let id = host.load_package(&verified.package, config).await;
    drop(verified);
    id
}

/// The host policy that grants an installed extension no more than the
/// permissions approved when it was installed.
fn approved_only(record: &InstalledRecord) -> HostPolicy {
    let mut policy = HostPolicy::permissive();
    for p in record.unapproved() {
        policy.revoke(&record.id, p);
    }
    policy
}

/// One `--quota FIELD=N`: a quota and the most it may be.
fn parse_quota(text: &str) -> Result<(QuotaKind, u64), Error> {
    const KINDS: [QuotaKind; 5] = [
        QuotaKind::Files,
        QuotaKind::Storage,
        QuotaKind::Tasks,
        QuotaKind::VaultEntries,
        QuotaKind::Events,
    ];
    let fields = || {
        KINDS
            .iter()
            .map(|k| k.field())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (field, max) = text
        .split_once('=')
        .ok_or_else(|| Error::params("quota", format!("`{text}` is not FIELD=N")))?;
    let kind = KINDS
        .into_iter()
        .find(|k| k.field() == field.trim())
        .ok_or_else(|| Error::params("quota", format!("`{field}` is not one of {}", fields())))?;
    let max = max
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| Error::params("quota", format!("`{max}` is not a number from 1")))?;
    Ok((kind, max))
}

fn parse_json(field: &str, text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::params(field, format!("not valid JSON: {e}")))
}

/// Directories run unsigned with a warning; files are `.morph` archives the
/// host verifies; anything else may be an installed extension's id.
fn target(package: &Path, data_dir: &Path, err: &mut dyn Write) -> Result<Target, Error> {
    if package.is_dir() {
        let _ = writeln!(
            err,
            "warning: running unsigned development package {}",
            package.display()
        );
        return Ok(Target::Dir(package.to_path_buf()));
    }
    if package.is_file() {
        return Ok(Target::Archive(package.to_path_buf()));
    }
    let store = InstallStore::new(data_dir);
    if let Some(id) = package.to_str()
        && let Some(record) = store.get(id)?
    {
        let file = store.package_path(id);
        return Ok(Target::Installed(Box::new(record), file));
    }
    Err(Error::InvalidPackage {
        reason: format!(
            "{} does not exist (and is not an installed extension)",
            package.display()
        ),
    })
}
