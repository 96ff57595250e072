//! `morph code run FILE` and `morph code api`: code mode for people, over
//! the data dir's installed extensions, with the same sandbox, policy, run
//! store and approvals as `POST /v1/code` and the MCP `run_code` tool.

use std::io::Write;

use morph_runtime_core::Error;
use morph_runtime_core::code::{
    CodeLanguage, CodePolicyOverride, CodeRequest, python_api, typescript_api,
};

use crate::args::{CodeAction, CodeArgs, CodeHost};
use crate::output::{exit_code_for, failure};

pub async fn code(args: &CodeArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match &args.action {
        CodeAction::Api { language, on } => {
            let listed = async {
                let language = CodeLanguage::parse(language)?;
                let service = super::serve::start_service(&on.service, &on.host).await?;
                let tools = service.host().code_tools();
                Ok::<_, Error>(match language {
                    CodeLanguage::Python => python_api(&tools),
                    _ => typescript_api(&tools),
                })
            };
            match listed.await {
                Ok(text) => {
                    let _ = write!(out, "{text}");
                    0
                }
                Err(e) => failure(out, err, false, &e, &[]),
            }
        }
        CodeAction::Run {
            file,
            language,
            resume,
            json,
            on,
        } => {
            run(
                on,
                file,
                language.as_deref(),
                resume.clone(),
                *json,
                out,
                err,
            )
            .await
        }
    }
}

async fn run(
    on: &CodeHost,
    file: &std::path::Path,
    language: Option<&str>,
    resume: Option<String>,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let prepared = async {
        let language = match language {
            Some(name) => CodeLanguage::parse(name)?,
            None => CodeLanguage::from_path(file).ok_or_else(|| {
                Error::params(
                    "file",
                    format!(
                        "{}: name the language with --language (the file's extension is not \
                         .js, .ts or .py)",
                        file.display()
                    ),
                )
            })?,
        };
        let source = std::fs::read_to_string(file)
            .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
        let service = super::serve::start_service(&on.service, &on.host).await?;
        Ok::<_, Error>((language, source, service))
    };
    let (language, source, service) = match prepared.await {
        Ok(p) => p,
        Err(e) => return failure(out, err, json, &e, &[]),
    };
    let caller = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
    );
    let run = service
        .run_code(CodeRequest {
            language,
            source,
            policy: service.code_policy(&CodePolicyOverride::default()),
            caller: Some(caller),
            resume,
            cancel: None,
        })
        .await;
    if let Err(e) = service.flush() {
        let _ = writeln!(err, "warning: syncing the audit log: {e}");
    }
    let code = match &run.result {
        Ok(_) => 0,
        Err(e) => exit_code_for(e.code()),
    };
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&run.envelope()).unwrap_or_default()
        );
        return code;
    }
    for line in &run.logs {
        let _ = writeln!(err, "[{}] {}", line.level, line.message);
    }
    match &run.result {
        Ok(value) => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        }
        Err(e) => {
            let wire = e.to_wire();
            let _ = writeln!(err, "error[{}]: {}", wire.code, wire.message);
            if let Some(stack) = &wire.stack {
                let _ = writeln!(err, "{stack}");
            }
            let _ = writeln!(err, "run id: {}", run.run_id);
        }
    }
    code
}
