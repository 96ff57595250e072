//! The `--json` envelope, human-readable errors and exit codes.

use std::io::Write;

use morph_capabilities::audit::AuditRecord;
use morph_runtime_core::{Error, ErrorCode, envelope};
use serde_json::Value;

/// The call succeeded.
pub const EXIT_OK: u8 = 0;
/// The extension failed (guest error, limit, denied capability, quarantined, ...).
pub const EXIT_EXTENSION_FAILED: u8 = 1;
/// A usage or host error (bad manifest, missing runtime, bad arguments, ...).
pub const EXIT_HOST_ERROR: u8 = 2;

/// The exit code for an error: 1 when the extension itself failed while
/// running, 2 for everything the caller or the host got wrong.
pub fn exit_code_for(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::InitFailed
        | ErrorCode::PermissionDenied
        | ErrorCode::HostNotAllowed
        | ErrorCode::RateLimited
        | ErrorCode::Timeout
        | ErrorCode::MemoryLimit
        | ErrorCode::StackOverflow
        | ErrorCode::OutputTooLarge
        | ErrorCode::QuotaExceeded
        | ErrorCode::GuestError
        | ErrorCode::GuestCrash
        | ErrorCode::CapabilityFailed
        | ErrorCode::UnknownCapability
        | ErrorCode::InvalidRequest
        | ErrorCode::ExtensionQuarantined
        | ErrorCode::ToolCallsExceeded
        | ErrorCode::ApprovalRequired
        | ErrorCode::ApprovalDeclined => EXIT_EXTENSION_FAILED,
        _ => EXIT_HOST_ERROR,
    }
}

/// Writes the success form (envelope or bare result) and returns 0.
pub fn success(out: &mut dyn Write, json_mode: bool, result: &Value, audit: &[AuditRecord]) -> u8 {
    let doc = if json_mode {
        envelope(&Ok(result.clone()), audit)
    } else {
        result.clone()
    };
    print_json(out, &doc);
    EXIT_OK
}

/// Writes the failure form (envelope on stdout, or a message on stderr) and
/// returns the exit code for the error.
pub fn failure(
    out: &mut dyn Write,
    err: &mut dyn Write,
    json_mode: bool,
    error: &Error,
    audit: &[AuditRecord],
) -> u8 {
    let wire = error.to_wire();
    if json_mode {
        let doc = envelope(&Err(Error::Relayed(wire.clone())), audit);
        print_json(out, &doc);
    } else {
        let _ = writeln!(err, "error[{}]: {}", wire.code, wire.message);
        if let Some(stack) = &wire.stack {
            let _ = writeln!(err, "{stack}");
        }
    }
    exit_code_for(wire.code)
}

fn print_json(out: &mut dyn Write, doc: &Value) {
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(doc).unwrap_or_else(|_| "null".to_owned())
    );
}

/// Writes what a command that changes or lists host state produced: its
/// JSON document (as the success envelope with `--json`) or its text, or
/// the failure; returns the exit code.
pub fn outcome(
    out: &mut dyn Write,
    err: &mut dyn Write,
    json_mode: bool,
    done: Result<(Value, String), Error>,
) -> u8 {
    match done {
        Err(e) => failure(out, err, json_mode, &e, &[]),
        Ok((doc, _)) if json_mode => success(out, true, &doc, &[]),
        Ok((_, text)) => {
            let _ = write!(out, "{text}");
            EXIT_OK
        }
    }
}
