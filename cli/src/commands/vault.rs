//! `morph vault set|list|rm|rotate-key`: an extension's secrets, in the
//! data dir's vault, sealed at rest.
//!
//! EXT is the extension id, which is the vault namespace the broker gives
//! the extension: the store is opened exactly as the host opens it
//! ([`SqliteStore::open_in`]), so a value set here is the one the
//! extension's `vault.get` reads. **A value is read from stdin or a prompt
//! without echo and never printed, logged or put in an error**; `list` shows
//! keys, when they were set and the hosts they are bound to, nothing else.
//! `set --hosts` binds a value to the hosts it may be sent to (see
//! `docs/secrets.md`). Every change is audited (`host.vault.set`,
//! `host.vault.rm`, `host.vault.rotate_key`; key names and hosts, never a
//! value) in the data dir's log. No extension runs, so every failure exits 2.

use std::io::Write;
use std::path::Path;

use morph_capabilities::HostPattern;
use morph_capabilities::audit::{AuditEntry, AuditRecord, AuditSink, FileAuditLog};
use morph_capabilities::providers::SqliteStore;
use morph_capabilities::providers::sqlite::DATABASE_FILE;
use morph_capabilities::providers::vault::{MAX_VAULT_KEY_BYTES, MAX_VAULT_VALUE_BYTES};
use morph_runtime_core::Error;
use serde_json::{Value, json};

use crate::args::{VaultAction, VaultArgs};
use crate::data_dir::default_data_dir;
use crate::output::{EXIT_HOST_ERROR, failure, success};
use crate::secret_input::read_secret;

/// Longest extension id (the manifest's rule: `[a-z0-9][a-z0-9-]*`).
const MAX_EXTENSION_ID: usize = 64;

pub async fn vault(args: &VaultArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    match act(&args.action, &data_dir).await {
        Err(e) => {
            failure(out, err, args.json, &e, &[]);
            EXIT_HOST_ERROR
        }
        Ok((result, text, record)) => {
            if args.json {
                let audit: Vec<AuditRecord> = record.into_iter().collect();
                return success(out, true, &result, &audit);
            }
            let _ = write!(out, "{text}");
            0
        }
    }
}

/// Runs the action; returns its JSON result, its text form and the audit
/// record of the change it made.
async fn act(
    action: &VaultAction,
    data_dir: &Path,
) -> Result<(Value, String, Option<AuditRecord>), Error> {
    match action {
        VaultAction::Set { ext, key, hosts } => {
            check_names(ext, Some(key))?;
            let hosts = parse_hosts(hosts)?;
            let value = read_secret(
                &format!("Value of {key} for {ext}: "),
                MAX_VAULT_VALUE_BYTES,
            )?;
            let store = SqliteStore::open_in(data_dir)?;
            store.vault_set_bound(ext, key, &value, hosts).await?;
            drop(value);
            let entry = store
                .vault_list(ext)
                .await?
                .into_iter()
                .find(|e| &e.key == key);
            let bound = entry.as_ref().and_then(|e| e.hosts.clone());
            let record = audit(
                data_dir,
                ext,
                "host.vault.set",
                match &bound {
                    Some(hosts) => format!("`{key}` set, bound to {}", hosts.join(", ")),
                    None => format!("`{key}` set, not bound to hosts"),
                },
            )?;
            let text = match &bound {
                Some(hosts) => format!(
                    "stored `{key}` in the vault of {ext}, bound to {}\n",
                    hosts.join(", ")
                ),
                None => format!("stored `{key}` in the vault of {ext}\n"),
            };
            Ok((
                json!({
                    "extension": ext,
                    "key": key,
                    "updated_ms": entry.map_or(0, |e| e.updated_ms),
                    "hosts": bound,
                }),
                text,
                Some(record),
            ))
        }
        VaultAction::List { ext } => {
            check_names(ext, None)?;
            let entries = match existing_store(data_dir)? {
                Some(store) => store.vault_list(ext).await?,
                None => Vec::new(),
            };
            let mut text = String::new();
            if entries.is_empty() {
                text.push_str(&format!("no secrets stored for {ext}\n"));
            }
            for e in &entries {
                text.push_str(&format!("{:<32} set {}", e.key, utc(e.updated_ms)));
                if let Some(hosts) = &e.hosts {
                    text.push_str(&format!(", bound to {}", hosts.join(", ")));
                }
                text.push('\n');
            }
            Ok((json!({"extension": ext, "keys": entries}), text, None))
        }
        VaultAction::Rm { ext, key } => {
            check_names(ext, Some(key))?;
            let removed = match existing_store(data_dir)? {
                Some(store) => store.vault_remove(ext, key).await?,
                None => false,
            };
            if !removed {
                return Err(Error::params(
                    "key",
                    format!("{ext} has no secret `{key}` in {}", data_dir.display()),
                ));
            }
            let record = audit(data_dir, ext, "host.vault.rm", format!("`{key}` removed"))?;
            Ok((
                json!({"extension": ext, "key": key, "removed": true}),
                format!("removed `{key}` from the vault of {ext}\n"),
                Some(record),
            ))
        }
        VaultAction::RotateKey => {
            let rotation = SqliteStore::open_in(data_dir)?.rotate_vault_key().await?;
            let text = format!(
                "the vault key is now {} ({} values re-sealed{}); key file {}\n",
                rotation.key_id,
                rotation.resealed,
                if rotation.retired.is_empty() {
                    String::new()
                } else {
                    format!(", retired {}", rotation.retired.join(", "))
                },
                rotation.key_file.display()
            );
            let result = serde_json::to_value(&rotation)
                .map_err(|e| Error::internal(format!("serialising the rotation: {e}")))?;
            let record = audit(
                data_dir,
                "",
                "host.vault.rotate_key",
                format!(
                    "vault key {}: {} values re-sealed, retired [{}]",
                    rotation.key_id,
                    rotation.resealed,
                    rotation.retired.join(", ")
                ),
            )?;
            Ok((result, text, Some(record)))
        }
    }
}

/// `--hosts`, parsed as `allowed_hosts` entries; `None` when absent.
fn parse_hosts(hosts: &[String]) -> Result<Option<Vec<HostPattern>>, Error> {
    if hosts.is_empty() {
        return Ok(None);
    }
    hosts
        .iter()
        .map(|h| HostPattern::parse(h.trim()).map_err(|e| Error::params("hosts", e.to_string())))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Appends the record of a change to the vault to the data dir's audit log
/// (what changed, by key name and hosts; never a value).
fn audit(data_dir: &Path, ext: &str, what: &str, reason: String) -> Result<AuditRecord, Error> {
    let log = FileAuditLog::open_in(&data_dir.join("audit"))?;
    let action = what.trim_start_matches("host.").replace('.', " ");
    log.append(AuditEntry::host_change(ext, what, &action, reason))
}

/// The data dir's store, or `None` when it has none yet (listing or
/// removing creates nothing).
fn existing_store(data_dir: &Path) -> Result<Option<SqliteStore>, Error> {
    if !data_dir.join(DATABASE_FILE).exists() {
        return Ok(None);
    }
    SqliteStore::open_in(data_dir).map(Some)
}

/// Refuses an EXT that cannot be an extension id and a key the broker
/// would refuse, so that nothing is stored where no extension can read it.
fn check_names(ext: &str, key: Option<&str>) -> Result<(), Error> {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut chars = ext.chars();
    if ext.len() > MAX_EXTENSION_ID
        || !chars.next().is_some_and(ok)
        || !chars.all(|c| ok(c) || c == '-')
    {
        return Err(Error::params(
            "ext",
            format!(
                "`{}` is not an extension id: 1 to {MAX_EXTENSION_ID} lowercase letters, \
                 digits and `-`, not starting with `-`",
                morph_capabilities::truncate_for_message(ext, 80)
            ),
        ));
    }
    if let Some(key) = key
        && (key.is_empty() || key.len() > MAX_VAULT_KEY_BYTES)
    {
        return Err(Error::params(
            "key",
            format!("must be 1 to {MAX_VAULT_KEY_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil, for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_767_225_599_000), "2025-12-31 23:59:59 UTC");
    }

    #[test]
    fn names_follow_the_manifest_and_broker_rules() {
        assert!(check_names("jira-integration", Some("token")).is_ok());
        for bad in ["", "-x", "Jira", "a_b", &"a".repeat(65)] {
            assert!(check_names(bad, None).is_err(), "{bad}");
        }
        assert!(check_names("x", Some("")).is_err());
        assert!(check_names("x", Some(&"k".repeat(257))).is_err());
    }
}
