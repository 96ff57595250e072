//! `morph install FILE|REF`: verify a package, show what it asks for, get
//! approval, and install it into the data dir. An update that asks for more
//! than the installed version shows the difference and asks again; a
//! downgrade is refused unless `--allow-downgrade`.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;

use morph_package::install::Change;
use morph_package::oci::Reference;
use morph_package::{InstallPlan, InstallStore, Limits};
use morph_runtime_core::Error;
use serde_json::json;

use super::verify::{data_dir, trust_policy};
use crate::args::{InstallArgs, RegistryDeadline};
use crate::output::{failure, success};

pub async fn install(args: &InstallArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run(args, out, err).await {
        Ok(doc) => {
            if args.json {
                success(out, true, &doc, &[])
            } else {
                0
            }
        }
        Err(e) => failure(out, err, args.json, &e, &[]),
    }
}

async fn run(
    args: &InstallArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<serde_json::Value, Error> {
    let limits = Limits::default();
    let policy = trust_policy(&args.trust, args.allow_unsigned)?;
    let bytes = fetch(&args.source, &limits, args.registry).await?;
    let store = InstallStore::new(&data_dir(&args.trust));
    let plan = store.plan(bytes, &args.source, &policy, &limits, args.allow_downgrade)?;
    let needs_approval = match plan.change() {
        Change::Fresh => true,
        Change::Unchanged => false,
        Change::Update { .. } | Change::Reinstall | Change::Downgrade { .. } => {
            !plan.widening().is_empty()
        }
    };
    if !args.json {
        describe(&plan, out);
    }
    if needs_approval && !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::params(
                "--yes",
                "installing needs approval of the permissions and limits above; \
                 run on a terminal to be asked, or pass --yes",
            ));
        }
        let _ = write!(
            err,
            "Install {} {}? [y/N] ",
            plan.record().id,
            plan.record().version
        );
        let _ = err.flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            return Err(Error::params("approval", "the install was declined"));
        }
    }
    let change = plan.change().clone();
    let widening = plan.widening();
    let signer = plan.signer().describe();
    let record = plan.commit()?;
    if !args.json {
        let verb = match change {
            Change::Unchanged => "already installed:",
            Change::Update { .. } => "updated",
            Change::Downgrade { .. } => "downgraded",
            _ => "installed",
        };
        let _ = writeln!(out, "{verb} {} {}", record.id, record.version);
    }
    Ok(json!({
        "installed": record,
        "change": format!("{change:?}"),
        "signer": signer,
        "widened": {
            "permissions": widening.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "allowed_hosts": widening.hosts,
            "limits": widening.limits,
        },
    }))
}

/// Reads a `.morph` file, or pulls an OCI reference.
async fn fetch(
    source: &str,
    limits: &Limits,
    deadline: RegistryDeadline,
) -> Result<Vec<u8>, Error> {
    let path = Path::new(source);
    if path.is_file() {
        let file =
            std::fs::File::open(path).map_err(|e| Error::io(format!("opening {source}"), e))?;
        let mut bytes = Vec::new();
        file.take(limits.max_total_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(format!("reading {source}"), e))?;
        return Ok(bytes);
    }
    let reference: Reference = source.parse().map_err(|_| {
        Error::params(
            "source",
            format!("`{source}` is neither a .morph file nor an OCI reference (REGISTRY/REPO:TAG)"),
        )
    })?;
    let pulled = super::pull::client(deadline)?.pull(&reference).await?;
    Ok(pulled.archive)
}

fn describe(plan: &InstallPlan, out: &mut dyn Write) {
    let m = plan.manifest();
    let _ = writeln!(
        out,
        "{} {} — {}",
        m.extension_id, m.version, m.metadata.name
    );
    let _ = writeln!(out, "  {}", plan.signer().describe());
    match plan.change() {
        Change::Fresh => {}
        Change::Unchanged => {
            let _ = writeln!(out, "  this exact package is already installed");
        }
        Change::Reinstall => {
            let _ = writeln!(
                out,
                "  replaces the installed {} (different contents)",
                m.version
            );
        }
        Change::Update { from } => {
            let _ = writeln!(out, "  updates the installed {from}");
        }
        Change::Downgrade { from } => {
            let _ = writeln!(out, "  DOWNGRADES the installed {from}");
        }
    }
    let _ = writeln!(out, "  permissions:");
    if m.permissions.is_empty() {
        let _ = writeln!(out, "    (none)");
    }
    for p in m.permissions.iter() {
        let _ = writeln!(out, "    {:<12} {}", p.as_str(), p.explain());
    }
    if !m.allowed_hosts.is_empty() {
        let hosts: Vec<String> = m.allowed_hosts.iter().map(|h| h.to_string()).collect();
        let _ = writeln!(out, "  allowed hosts: {}", hosts.join(", "));
    }
    let limits: Vec<String> = plan
        .record()
        .limits
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(out, "  limits: {}", limits.join(" "));
    let widening = plan.widening();
    if plan.previous().is_some() && !widening.is_empty() {
        let _ = writeln!(out, "  this version asks for MORE than the installed one:");
        for p in &widening.permissions {
            let _ = writeln!(out, "    + permission {} ({})", p.as_str(), p.explain());
        }
        for h in &widening.hosts {
            let _ = writeln!(out, "    + allowed host {h}");
        }
        for (field, old, new) in &widening.limits {
            let _ = writeln!(out, "    + {field}: {old} -> {new}");
        }
    }
}
