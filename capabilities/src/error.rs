//! The one Morph error type and its stable codes (brief section 8).
//!
//! Every layer (providers, broker, runtimes, `Host`, CLI) reports failures as
//! [`Error`]. Callers match on [`Error::code`], whose string form is part of
//! the public contract: it appears in the CLI's `--json` envelope, in
//! conformance certificates and in audit records. **A code, once published,
//! never changes meaning.** Causes are typed values, never bare strings, and
//! no message ever carries a secret (vault values, request bodies).

use std::fmt;

/// The stable error codes of the brief's section 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The manifest is malformed or fails validation.
    InvalidManifest,
    /// The package (directory or archive) is malformed or unsafe.
    InvalidPackage,
    /// A package signature does not verify.
    SignatureInvalid,
    /// A package carries no signature.
    UnsignedPackage,
    /// A package is signed by a key the trust store does not hold.
    UntrustedPublisher,
    /// No linked runtime serves the manifest's `runtime`, or an engine is missing.
    RuntimeUnavailable,
    /// No extension with that id is loaded.
    UnknownExtension,
    /// The extension declares no action with that name.
    UnknownAction,
    /// The call's parameters or config do not match the declared schema.
    InvalidParams,
    /// The guest's `init` failed.
    InitFailed,
    /// The capability needs a permission the extension was not granted.
    PermissionDenied,
    /// The HTTP target is not in `allowed_hosts` or resolves to a refused address.
    HostNotAllowed,
    /// A per-call budget (`max_http_requests`) is spent.
    RateLimited,
    /// `max_execution_ms` elapsed.
    Timeout,
    /// `max_memory_mb` was exceeded.
    MemoryLimit,
    /// The guest recursed too deep.
    StackOverflow,
    /// `max_output_kb` (result plus logs) was exceeded.
    OutputTooLarge,
    /// A storage quota (`max_files`, `max_storage_mb`, `max_tasks`,
    /// `max_vault_entries`) or `max_events` would be exceeded: the write was
    /// refused before anything was stored.
    QuotaExceeded,
    /// The guest raised or returned an error.
    GuestError,
    /// The guest trapped, aborted or misbehaved at the ABI level.
    GuestCrash,
    /// A granted capability failed while running (network error, not found, ...).
    CapabilityFailed,
    /// The guest asked for a capability that does not exist.
    UnknownCapability,
    /// The guest's capability request is malformed: a field missing, unknown
    /// or of the wrong type, or a value that is not JSON (the guest's fault,
    /// unlike `invalid_params`, which is the caller's).
    InvalidRequest,
    /// The extension is quarantined after repeated limit violations or
    /// crashes; its guest does not run until it is enabled again.
    ExtensionQuarantined,
    /// The caller cancelled the call (an MCP client's cancellation, a
    /// dropped API request): it ended the way a call past its deadline does,
    /// and no capability call of it runs after the cancellation.
    Cancelled,
    /// A code run called a `propose` tool that a person has not approved
    /// for exactly this call: nothing of that tool ran, and the run ended;
    /// the error names the approval to decide.
    ApprovalRequired,
    /// A person declined the tool call a code run was waiting on: nothing
    /// of it ran.
    ApprovalDeclined,
    /// A code run made more tool calls than its policy's `max_tool_calls`.
    ToolCallsExceeded,
    /// A host I/O operation failed.
    Io,
    /// A bug or an unexpected host condition.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order of the brief (later codes beside their kin).
    pub const ALL: [ErrorCode; 30] = [
        ErrorCode::InvalidManifest,
        ErrorCode::InvalidPackage,
        ErrorCode::SignatureInvalid,
        ErrorCode::UnsignedPackage,
        ErrorCode::UntrustedPublisher,
        ErrorCode::RuntimeUnavailable,
        ErrorCode::UnknownExtension,
        ErrorCode::UnknownAction,
        ErrorCode::InvalidParams,
        ErrorCode::InitFailed,
        ErrorCode::PermissionDenied,
        ErrorCode::HostNotAllowed,
        ErrorCode::RateLimited,
        ErrorCode::Timeout,
        ErrorCode::MemoryLimit,
        ErrorCode::StackOverflow,
        ErrorCode::OutputTooLarge,
        ErrorCode::QuotaExceeded,
        ErrorCode::GuestError,
        ErrorCode::GuestCrash,
        ErrorCode::CapabilityFailed,
        ErrorCode::UnknownCapability,
        ErrorCode::InvalidRequest,
        ErrorCode::ExtensionQuarantined,
        ErrorCode::Cancelled,
        ErrorCode::ApprovalRequired,
        ErrorCode::ApprovalDeclined,
        ErrorCode::ToolCallsExceeded,
        ErrorCode::Io,
        ErrorCode::Internal,
    ];

    /// The wire spelling, for instance `"permission_denied"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidManifest => "invalid_manifest",
            ErrorCode::InvalidPackage => "invalid_package",
            ErrorCode::SignatureInvalid => "signature_invalid",
            ErrorCode::UnsignedPackage => "unsigned_package",
            ErrorCode::UntrustedPublisher => "untrusted_publisher",
            ErrorCode::RuntimeUnavailable => "runtime_unavailable",
            ErrorCode::UnknownExtension => "unknown_extension",
            ErrorCode::UnknownAction => "unknown_action",
            ErrorCode::InvalidParams => "invalid_params",
            ErrorCode::InitFailed => "init_failed",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::HostNotAllowed => "host_not_allowed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
            ErrorCode::MemoryLimit => "memory_limit",
            ErrorCode::StackOverflow => "stack_overflow",
            ErrorCode::OutputTooLarge => "output_too_large",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::GuestError => "guest_error",
            ErrorCode::GuestCrash => "guest_crash",
            ErrorCode::CapabilityFailed => "capability_failed",
            ErrorCode::UnknownCapability => "unknown_capability",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::ExtensionQuarantined => "extension_quarantined",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::ApprovalRequired => "approval_required",
            ErrorCode::ApprovalDeclined => "approval_declined",
            ErrorCode::ToolCallsExceeded => "tool_calls_exceeded",
            ErrorCode::Io => "io",
            ErrorCode::Internal => "internal",
        }
    }

    /// Parses a wire spelling back into a code.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which resource limit a call ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// `max_execution_ms`.
    Time,
    /// `max_memory_mb`.
    Memory,
    /// Recursion depth / native stack.
    Stack,
    /// `max_output_kb`.
    Output,
    /// `max_http_requests`.
    HttpRequests,
    /// [`CallContext::MAX_CAPABILITY_CALLS`](crate::CallContext::MAX_CAPABILITY_CALLS):
    /// capability invocations per call, whatever they are.
    CapabilityCalls,
    /// A code run's `max_tool_calls`.
    ToolCalls,
}

impl LimitKind {
    /// The error code a violation of this limit carries.
    pub fn code(self) -> ErrorCode {
        match self {
            LimitKind::Time => ErrorCode::Timeout,
            LimitKind::Memory => ErrorCode::MemoryLimit,
            LimitKind::Stack => ErrorCode::StackOverflow,
            LimitKind::Output => ErrorCode::OutputTooLarge,
            LimitKind::HttpRequests | LimitKind::CapabilityCalls => ErrorCode::RateLimited,
            LimitKind::ToolCalls => ErrorCode::ToolCallsExceeded,
        }
    }
}

/// Which quota a refused write ran into: what an extension keeps (files,
/// their bytes, tasks, vault entries) or emits per call (events).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    /// `max_files`: entries (files and directories) in the extension's directory.
    Files,
    /// `max_storage_mb`: bytes of the extension's files.
    Storage,
    /// `max_tasks`: the extension's tasks.
    Tasks,
    /// `max_vault_entries`: the extension's vault keys.
    VaultEntries,
    /// `max_events`: events emitted in one call.
    Events,
}

impl QuotaKind {
    /// The manifest limit that sets it, for instance `"max_files"`.
    pub fn field(self) -> &'static str {
        match self {
            QuotaKind::Files => "max_files",
            QuotaKind::Storage => "max_storage_mb",
            QuotaKind::Tasks => "max_tasks",
            QuotaKind::VaultEntries => "max_vault_entries",
            QuotaKind::Events => "max_events",
        }
    }
}

/// A guest-side failure: the guest's own message and, where the engine
/// gives one, its stack trace with file and line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuestFault {
    /// The guest's message, bounded in length by the runtime.
    pub message: String,
    /// The guest's stack trace, if the engine provides one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// The Morph error. Match on [`Error::code`]; the variants carry the typed cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The manifest is invalid; `field` names the offending field (dotted path).
    #[error("invalid manifest: {field}: {reason}")]
    InvalidManifest {
        /// Dotted path of the field, e.g. `resource_limits.max_memory_mb`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The package is malformed or unsafe.
    #[error("invalid package: {reason}")]
    InvalidPackage {
        /// What is wrong with it.
        reason: String,
    },
    /// A signature failed to verify.
    #[error("signature invalid: {reason}")]
    SignatureInvalid {
        /// What failed.
        reason: String,
    },
    /// The package is not signed.
    #[error("package is not signed")]
    UnsignedPackage,
    /// The signing key is not in the trust store.
    #[error("untrusted publisher: {reason}")]
    UntrustedPublisher {
        /// Which key, and why it is not trusted.
        reason: String,
    },
    /// No runtime is available for the requested kind or engine.
    #[error("runtime unavailable: {reason}")]
    RuntimeUnavailable {
        /// Which runtime or engine is missing.
        reason: String,
    },
    /// No extension with that id is loaded.
    #[error("unknown extension `{id}`")]
    UnknownExtension {
        /// The requested id.
        id: String,
    },
    /// The extension has no such action.
    #[error("extension `{extension}` has no action `{action}`")]
    UnknownAction {
        /// Extension id.
        extension: String,
        /// Requested action.
        action: String,
    },
    /// Parameters (or config) do not match the declared schema.
    #[error("invalid params: {field}: {reason}")]
    InvalidParams {
        /// The offending parameter (or config path).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The guest's `init` failed.
    #[error("init failed: {0}")]
    InitFailed(Box<Error>),
    /// A permission was not granted.
    #[error("permission denied: `{capability}` needs `{permission}`")]
    PermissionDenied {
        /// Wire name of the capability.
        capability: String,
        /// The permission it needs.
        permission: String,
    },
    /// A vault value bound to hosts would leave for another host, or a
    /// header asks for a value that is not bound to the request's host. The
    /// reason names the key and the hosts it is bound to, never the value or
    /// the host it was refused for (that host may be the value itself).
    #[error("permission denied: the vault value `{key}` {reason}")]
    SecretRefused {
        /// The vault key.
        key: String,
        /// Why, without the value.
        reason: String,
    },
    /// An HTTP target is not allowed.
    #[error("host not allowed: {reason}")]
    HostNotAllowed {
        /// Which host and why.
        reason: String,
    },
    /// A resource limit was hit.
    #[error("{kind:?} limit exceeded: {detail}")]
    Limit {
        /// Which limit.
        kind: LimitKind,
        /// Human-readable detail (limit value, observed value).
        detail: String,
    },
    /// A quota would be exceeded; nothing was stored (or emitted).
    #[error("quota exceeded: `{capability}` would pass {}: {detail}", .quota.field())]
    QuotaExceeded {
        /// Wire name of the capability.
        capability: String,
        /// Which quota.
        quota: QuotaKind,
        /// The cap and what the write would bring the extension to.
        detail: String,
    },
    /// The guest raised or returned an error.
    #[error("guest error: {}", .0.message)]
    Guest(GuestFault),
    /// The guest crashed (trap, abort, ABI violation).
    #[error("guest crashed: {reason}")]
    GuestCrash {
        /// What happened.
        reason: String,
    },
    /// A granted capability failed while running.
    #[error("capability `{capability}` failed: {reason}")]
    CapabilityFailed {
        /// Wire name of the capability.
        capability: String,
        /// What failed (never a secret).
        reason: String,
    },
    /// No such capability.
    #[error("unknown capability `{name}`")]
    UnknownCapability {
        /// The requested wire name (truncated).
        name: String,
    },
    /// A malformed capability request from the guest.
    #[error("invalid request to `{capability}`: {field}: {reason}")]
    InvalidRequest {
        /// Wire name of the capability.
        capability: String,
        /// The offending field (`request` for the request as a whole).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The extension is quarantined: no guest code of it runs until it is
    /// enabled again (see `morph_capabilities::Quarantine`).
    #[error(
        "extension `{id}` is quarantined since {since}: {reason}; `morph enable {id}` lifts it"
    )]
    Quarantined {
        /// The extension id.
        id: String,
        /// When it was quarantined (RFC 3339, UTC).
        since: String,
        /// Why (how many strikes in what window, the last one's code).
        reason: String,
    },
    /// The caller cancelled the call.
    #[error("cancelled: {reason}")]
    Cancelled {
        /// Who cancelled, and when in the call.
        reason: String,
    },
    /// A code run's tool call needs a person's approval first.
    #[error("approval required: {reason}")]
    ApprovalRequired {
        /// The approval to decide (absent when the host keeps no approvals).
        approval_id: Option<String>,
        /// Which tool call, and how to go on.
        reason: String,
    },
    /// A person declined the tool call.
    #[error("approval declined: {reason}")]
    ApprovalDeclined {
        /// The approval that was declined.
        approval_id: String,
        /// Which tool call.
        reason: String,
    },
    /// A host I/O error.
    #[error("io error: {context}: {source}")]
    Io {
        /// What the host was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A host bug or unexpected condition.
    #[error("internal error: {reason}")]
    Internal {
        /// What happened.
        reason: String,
    },
    /// An error that crossed a process boundary (a process-isolation worker
    /// and its host), with its original code, message and stack.
    #[error("{}", .0.message)]
    Relayed(WireError),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidManifest { .. } => ErrorCode::InvalidManifest,
            Error::InvalidPackage { .. } => ErrorCode::InvalidPackage,
            Error::SignatureInvalid { .. } => ErrorCode::SignatureInvalid,
            Error::UnsignedPackage => ErrorCode::UnsignedPackage,
            Error::UntrustedPublisher { .. } => ErrorCode::UntrustedPublisher,
            Error::RuntimeUnavailable { .. } => ErrorCode::RuntimeUnavailable,
            Error::UnknownExtension { .. } => ErrorCode::UnknownExtension,
            Error::UnknownAction { .. } => ErrorCode::UnknownAction,
            Error::InvalidParams { .. } => ErrorCode::InvalidParams,
            Error::InitFailed(_) => ErrorCode::InitFailed,
            Error::PermissionDenied { .. } | Error::SecretRefused { .. } => {
                ErrorCode::PermissionDenied
            }
            Error::HostNotAllowed { .. } => ErrorCode::HostNotAllowed,
            Error::Limit { kind, .. } => kind.code(),
            Error::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Error::Guest(_) => ErrorCode::GuestError,
            Error::GuestCrash { .. } => ErrorCode::GuestCrash,
            Error::CapabilityFailed { .. } => ErrorCode::CapabilityFailed,
            Error::UnknownCapability { .. } => ErrorCode::UnknownCapability,
            Error::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            Error::Quarantined { .. } => ErrorCode::ExtensionQuarantined,
            Error::Cancelled { .. } => ErrorCode::Cancelled,
            Error::ApprovalRequired { .. } => ErrorCode::ApprovalRequired,
            Error::ApprovalDeclined { .. } => ErrorCode::ApprovalDeclined,
            Error::Io { .. } => ErrorCode::Io,
            Error::Internal { .. } => ErrorCode::Internal,
            Error::Relayed(wire) => wire.code,
        }
    }

    /// Shorthand for [`Error::InvalidManifest`].
    pub fn manifest(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidManifest {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidParams`].
    pub fn params(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidParams {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Limit`].
    pub fn limit(kind: LimitKind, detail: impl Into<String>) -> Error {
        Error::Limit {
            kind,
            detail: detail.into(),
        }
    }

    /// Shorthand for [`Error::QuotaExceeded`].
    pub fn quota(
        capability: impl Into<String>,
        quota: QuotaKind,
        detail: impl Into<String>,
    ) -> Error {
        Error::QuotaExceeded {
            capability: capability.into(),
            quota,
            detail: detail.into(),
        }
    }

    /// Shorthand for [`Error::CapabilityFailed`].
    pub fn capability(capability: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::CapabilityFailed {
            capability: capability.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidRequest`].
    pub fn request(
        capability: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::InvalidRequest {
            capability: capability.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Shorthand for [`Error::Internal`].
    pub fn internal(reason: impl Into<String>) -> Error {
        Error::Internal {
            reason: reason.into(),
        }
    }

    /// Shorthand for a guest error without a stack.
    pub fn guest(message: impl Into<String>) -> Error {
        Error::Guest(GuestFault {
            message: message.into(),
            stack: None,
        })
    }

    /// The guest's stack trace, when this is a guest error that has one.
    pub fn guest_stack(&self) -> Option<&str> {
        match self {
            Error::Guest(fault) => fault.stack.as_deref(),
            Error::InitFailed(inner) => inner.guest_stack(),
            Error::Relayed(wire) => wire.stack.as_deref(),
            _ => None,
        }
    }

    /// The serialisable `{code, message}` form used on the wire (CLI envelope,
    /// the wasm ABI, the process-isolation protocol).
    pub fn to_wire(&self) -> WireError {
        WireError {
            code: self.code(),
            message: self.to_string(),
            stack: self.guest_stack().map(str::to_owned),
        }
    }
}

/// An error as it crosses a boundary: code, message, optional guest stack.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WireError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable message.
    pub message: String,
    /// Guest stack trace, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

impl WireError {
    /// The error again, on the other side of the boundary: its code, message
    /// and stack are kept as they were.
    pub fn into_error(self) -> Error {
        Error::Relayed(self)
    }
}

/// Result alias used across Morph.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
/// Used wherever guest-controlled text reaches a message.
pub fn truncate_for_message(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "ééééé";
        let t = truncate_for_message(s, 3);
        assert!(t.starts_with('é'));
        assert!(t.contains("10 bytes"));
    }
}
