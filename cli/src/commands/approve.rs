//! `morph approve [ID] [--decline]`: a person's decision on an AI agent's
//! call of a `propose` action (without ID: the approvals waiting). The
//! decision is recorded in the audit log before it is made; the agent's
//! next call with the same arguments then runs, once.

use std::io::Write;

use morph_capabilities::audit::FileAuditLog;
use morph_runtime_core::Error;
use morph_serve::ApprovalStore;
use morph_serve::approvals::decide_audited;
use serde_json::json;

use crate::args::ApproveArgs;
use crate::data_dir::default_data_dir;
use crate::output::outcome;

pub fn approve(args: &ApproveArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let done = (|| {
        let store = ApprovalStore::open_in(&data_dir)?;
        let Some(id) = &args.id else {
            let pending = store.pending()?;
            let text = if pending.is_empty() {
                "no approvals waiting\n".to_owned()
            } else {
                pending
                    .iter()
                    .map(|a| {
                        format!(
                            "{}  {}.{} for {}  {}\n",
                            a.id, a.extension, a.action, a.caller, a.arguments
                        )
                    })
                    .collect()
            };
            return Ok::<_, Error>((json!({"approvals": pending}), text));
        };
        let by = args.by.clone().unwrap_or_else(|| {
            format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
            )
        });
        let log = FileAuditLog::open_in(&data_dir.join("audit"))?;
        let approval = decide_audited(&store, &log, id, !args.decline, &by)?;
        let text = format!(
            "{} {}.{} for {}\n",
            if args.decline { "declined" } else { "approved" },
            approval.extension,
            approval.action,
            approval.caller
        );
        Ok((json!({"approval": approval}), text))
    })();
    outcome(out, err, args.json, done)
}
