//! `morph inspect PACKAGE`: what a package asks for, each item explained.
//!
//! Shows the effective grants under the CLI's host policy (which narrows
//! nothing), the hosts, every limit with its default and range, and the
//! actions with their AI access, and the extension's state in the data dir:
//! `enabled`, or `quarantined` with when and why. For a wasm package whose
//! module names the SDK that built it (its `morph_sdk` section), that name.

use std::io::Write;

use morph_capabilities::quarantine::QUARANTINE_FILE;
use morph_capabilities::{HostPolicy, Quarantine, QuarantineStatus};
use morph_runtime_core::ExtensionPackage;
use morph_runtime_core::manifest::RuntimeKind;
use serde_json::{Value, json};

use super::list::state;
use crate::args::InspectArgs;
use crate::data_dir::default_data_dir;
use crate::output::{EXIT_OK, failure};

pub fn inspect(args: &InspectArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let package = match ExtensionPackage::open_dir(&args.package) {
        Ok(p) => p,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let quarantine = match Quarantine::list_at(&data_dir.join(QUARANTINE_FILE)) {
        Ok(all) => all
            .into_iter()
            .find(|q| q.extension == package.manifest().extension_id),
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let doc = describe(&package, quarantine.as_ref());
    if args.json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    } else {
        let _ = write!(out, "{}", render(&doc));
    }
    EXIT_OK
}

fn describe(package: &ExtensionPackage, quarantine: Option<&QuarantineStatus>) -> Value {
    let m = package.manifest();
    let grants = HostPolicy::permissive().effective(
        &m.extension_id,
        &m.permissions,
        &m.allowed_hosts,
        m.resource_limits,
    );
    let mut doc = morph_runtime_core::describe(m, package.manifest_digest(), &grants);
    doc["state"] = json!(state(quarantine));
    doc["quarantine"] = json!(quarantine);
    doc["sdk"] = json!(sdk(package));
    doc
}

/// The SDK named by a wasm module's `morph_sdk` section; `None` for other
/// runtimes, and when the module names none or cannot be read (what is
/// wrong with a module is `morph validate`'s and `morph run`'s to say).
fn sdk(package: &ExtensionPackage) -> Option<String> {
    if package.manifest().runtime.as_str() != RuntimeKind::WASM {
        return None;
    }
    let wasm = package.read_entry().ok()?;
    morph_package::sdk_name(&wasm)
}

fn render(doc: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut text = format!(
        "{} {} ({})\n  runtime: {}{}\n  entry:   {}\n  digest:  {}\n",
        s(&doc["extension_id"]),
        s(&doc["version"]),
        s(&doc["name"]),
        s(&doc["runtime"]),
        if doc["runtime_linked"] == json!(true) {
            ""
        } else {
            " (not linked into this build)"
        },
        s(&doc["entry"]),
        s(&doc["manifest_digest"]),
    );
    if let Some(sdk) = doc["sdk"].as_str() {
        text += &format!("  sdk:     {sdk}\n");
    }
    text += &match doc["quarantine"].as_object() {
        Some(q) => format!(
            "  state:   QUARANTINED since {}: {} (`morph enable {}` lifts it)\n",
            q.get("since").and_then(Value::as_str).unwrap_or_default(),
            q.get("reason").and_then(Value::as_str).unwrap_or_default(),
            s(&doc["extension_id"]),
        ),
        None => format!("  state:   {}\n", s(&doc["state"])),
    };
    text += "\nPermissions:\n";
    for p in doc["permissions"].as_array().into_iter().flatten() {
        if p["requested"] == json!(true) {
            let state = if p["granted"] == json!(true) {
                "granted"
            } else {
                "revoked"
            };
            text += &format!(
                "  {:<13} {state}: may {}\n",
                s(&p["permission"]),
                s(&p["explain"])
            );
        }
    }
    if !doc["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["requested"] == json!(true))
    {
        text += "  (none: the extension can only log and read its config)\n";
    }
    text += "\nAllowed hosts:\n";
    let hosts = doc["allowed_hosts"].as_array().cloned().unwrap_or_default();
    if hosts.is_empty() {
        text += "  (none: HTTP reaches nothing)\n";
    }
    for h in hosts {
        text += &format!("  {}\n", s(&h));
    }
    text += "\nLimits:\n";
    for l in doc["limits"].as_array().into_iter().flatten() {
        text += &format!(
            "  {:<18} {:>8}  (default {}) {}\n",
            s(&l["limit"]),
            l["value"],
            l["default"],
            s(&l["explain"])
        );
    }
    text += "\nActions:\n";
    for a in doc["actions"].as_array().into_iter().flatten() {
        text += &format!(
            "  {:<20} ai_access={:<8} {}\n",
            s(&a["name"]),
            s(&a["ai_access"]),
            s(&a["description"])
        );
    }
    text
}
