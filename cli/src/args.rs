//! The command line, as clap parses it. Spellings here are the public contract.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Morph: run sandboxed extensions in WebAssembly, JavaScript or Python.
#[derive(Debug, Parser)]
#[command(name = "morph", version, about, propagate_version = true)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one action of an extension and print its result.
    Run(RunArgs),
    /// Check a package and its manifest.
    Validate(PackageArgs),
    /// Show what a package asks for: permissions, hosts, limits, actions,
    /// and whether it is quarantined in the data dir.
    Inspect(InspectArgs),
    /// Show or verify the audit log of a data dir.
    Audit(AuditArgs),
    /// Create a working extension project.
    New(NewArgs),
    /// Certify the linked runtimes with the conformance suite.
    Conformance(ConformanceArgs),
    /// Create an Ed25519 signing key for publishing packages.
    Keygen(KeygenArgs),
    /// Pack an extension directory into a `.morph` file (unsigned).
    Package(PackageBuildArgs),
    /// Sign a `.morph` file with a key from `morph keygen`.
    Sign(SignArgs),
    /// Check a `.morph` file's signature against the trust store.
    Verify(VerifyArgs),
    /// Manage the trusted publisher keys.
    Trust(TrustArgs),
    /// Install a `.morph` file or an OCI reference into the data dir.
    Install(InstallArgs),
    /// List installed extensions (and quarantined ones).
    List(DataDirArgs),
    /// Lift an extension's quarantine so that it runs again.
    Enable(EnableArgs),
    /// Uninstall an extension (its data stays).
    Remove(RemoveArgs),
    /// Store, list and remove an extension's secrets (sealed at rest).
    Vault(VaultArgs),
    /// Push a `.morph` file to an OCI registry.
    Push(PushArgs),
    /// Pull a package from an OCI registry.
    Pull(PullArgs),
    /// List the tags of a package repository in an OCI registry.
    Tags(TagsArgs),
    /// Serve the installed extensions over HTTP (a JSON API and MCP).
    Serve(ServeArgs),
    /// Serve the installed extensions to an AI agent over MCP on stdio.
    Mcp(McpArgs),
    /// Create, list and revoke bearer tokens for `morph serve`.
    Token(TokenArgs),
    /// Approve (or decline) an AI agent's call of a `propose` action.
    Approve(ApproveArgs),
    /// Code mode: run a program that calls the installed extensions as tools.
    Code(CodeArgs),
}

/// Where the trust store is (shared by the commands that verify).
#[derive(Debug, Clone, clap::Args)]
pub struct TrustLocation {
    /// The data dir (its `trust/` is the default trust store).
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The trust store: a directory of `<name>.pub` publisher keys
    /// (default `<data dir>/trust`).
    #[arg(long, env = "MORPH_TRUST_DIR")]
    pub trust_dir: Option<PathBuf>,
}

/// `morph keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the private key (mode 0600); the public key goes to
    /// the same path plus `.pub`.
    #[arg(long, short, default_value = "morph-signing.key")]
    pub out: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph package`.
#[derive(Debug, clap::Args)]
pub struct PackageBuildArgs {
    /// The extension directory.
    pub dir: PathBuf,
    /// The `.morph` file to write (default `<id>-<version>.morph`).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Shrink the module of a `runtime: wasm` package with binaryen's
    /// `wasm-opt -Oz` before archiving it (on a copy: the directory is not
    /// changed). wasm-opt is found on PATH, or named by MORPH_WASM_OPT.
    #[arg(long)]
    pub optimize: bool,
    #[command(flatten)]
    pub registry: RegistryDeadline,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The `.morph` file.
    pub file: PathBuf,
    /// The private key file from `morph keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// Write the signed package here instead of replacing `file`.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The `.morph` file.
    pub file: PathBuf,
    /// Trust only this public key file instead of the trust store.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Where the trust store is.
    #[command(flatten)]
    pub trust: TrustLocation,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph trust`.
#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TrustAction,
    /// Where the trust store is.
    #[command(flatten)]
    pub trust: TrustLocation,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `morph trust ...`.
#[derive(Debug, Subcommand)]
pub enum TrustAction {
    /// Trust a publisher's public key (a `.pub` file from `morph keygen`).
    Add {
        /// The publisher's name.
        name: String,
        /// The public key file.
        key: PathBuf,
    },
    /// List trusted publishers.
    List,
    /// Stop trusting a publisher.
    Remove {
        /// The publisher's name.
        name: String,
    },
}

/// `morph install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// A `.morph` file or an OCI reference (REGISTRY/REPO:TAG).
    pub source: String,
    /// Approve without asking (for scripts).
    #[arg(long, short)]
    pub yes: bool,
    /// Allow replacing a newer installed version with an older one.
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Install even if unsigned or signed by an untrusted key.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Where the data dir and trust store are.
    #[command(flatten)]
    pub trust: TrustLocation,
    /// For an OCI reference: the registry's overall deadline.
    #[command(flatten)]
    pub registry: RegistryDeadline,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph list`.
#[derive(Debug, clap::Args)]
pub struct DataDirArgs {
    /// The data dir.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The extension id.
    pub id: String,
    /// The data dir.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph enable`.
#[derive(Debug, clap::Args)]
pub struct EnableArgs {
    /// The extension id.
    pub id: String,
    /// The data dir.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph vault`.
#[derive(Debug, clap::Args)]
pub struct VaultArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: VaultAction,
    /// The data dir (its vault is what the extension's `vault.get` reads).
    #[arg(long, env = "MORPH_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `morph vault ...`.
#[derive(Debug, Subcommand)]
pub enum VaultAction {
    /// Store a secret: the value is read from stdin (one trailing newline
    /// dropped), or asked for without echo when stdin is a terminal.
    Set {
        /// The extension id (the vault's namespace).
        ext: String,
        /// The key the extension reads with `vault.get`.
        key: String,
        /// Bind the secret to these hosts (`allowed_hosts` entries, comma
        /// separated): the broker refuses any request carrying it elsewhere,
        /// and fills in `{{vault:KEY}}` in headers for these hosts only.
        /// Without it, a new value is not bound (setting again unbinds).
        #[arg(long, value_delimiter = ',', value_name = "HOST,...")]
        hosts: Vec<String>,
    },
    /// List an extension's keys, when they were set and the hosts they are
    /// bound to (never the values).
    List {
        /// The extension id.
        ext: String,
    },
    /// Remove a secret.
    Rm {
        /// The extension id.
        ext: String,
        /// The key.
        key: String,
    },
    /// Make a new vault key, re-seal every value under it, retire the old one.
    RotateKey,
}

/// How long a command may wait for a registry in all.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct RegistryDeadline {
    /// Give up on the registry after this many seconds in all, however
    /// slowly it answers (nothing is written then).
    #[arg(long = "timeout", value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub secs: u64,
}

/// `morph push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The `.morph` file.
    pub file: PathBuf,
    /// REGISTRY/REPO[:TAG] (the tag defaults to the package version).
    pub reference: String,
    #[command(flatten)]
    pub registry: RegistryDeadline,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// REGISTRY/REPO[:TAG][@sha256:DIGEST].
    pub reference: String,
    /// The `.morph` file to write (default `<id>-<version>.morph`).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryDeadline,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph tags`.
#[derive(Debug, clap::Args)]
pub struct TagsArgs {
    /// REGISTRY/REPO.
    pub reference: String,
    #[command(flatten)]
    pub registry: RegistryDeadline,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph conformance`.
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// A runtime to certify: `wasm`, `wasm/wasmer`, `wasm/wasmi`, `js`,
    /// `python` (repeatable; default: every linked runtime).
    #[arg(long)]
    pub runtime: Vec<String>,
    /// Certify under this isolation mode (default: each runtime's own).
    #[arg(long, value_enum)]
    pub isolation: Option<IsolationArg>,
    /// Run only the cases whose id starts with this (repeatable).
    #[arg(long)]
    pub only: Vec<String>,
    /// Also write the certificates (JSON) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the certificates as the JSON envelope instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `morph new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The extension's language.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// The directory to create; its name becomes the extension id.
    pub name: PathBuf,
    /// Use this `sdk/rust` checkout for `morph-sdk` (Rust only).
    #[arg(long)]
    pub sdk_path: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// A wasm extension built with `morph-sdk`.
    Rust,
    /// A wasm extension in C (or C++, Zig) on the C SDK, built with clang
    /// for wasm32-wasi.
    C,
    /// A JavaScript extension (Boa).
    Js,
    /// A TypeScript extension (Boa; types stripped at load, no `tsc`).
    Ts,
    /// A Python extension (RustPython).
    Python,
}

impl Lang {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::C => "c",
            Lang::Js => "js",
            Lang::Ts => "ts",
            Lang::Python => "python",
        }
    }

    /// Whether a project in this language is built (`./build.sh`) before it runs.
    pub fn is_built(self) -> bool {
        matches!(self, Lang::Rust | Lang::C)
    }
}

/// `morph audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Check the hash chain and the signed checkpoints; name the first bad record.
    #[arg(long)]
    pub verify: bool,
    /// With `--verify`: check the signatures against this Ed25519 public key
    /// (64 hex digits, from `--public-key`) instead of the log's key file
    /// (`MORPH_AUDIT_KEY_FILE`, else under the user's config dir).
    #[arg(long, value_name = "HEX")]
    pub key: Option<String>,
    /// With `--verify`: also check the log against this witness (every head
    /// in it must be in the log with the same hash: catches a log cut or
    /// rewritten together with its checkpoints, even re-signed with the key).
    #[arg(long, value_name = "PATH", env = "MORPH_AUDIT_WITNESS")]
    pub witness: Option<PathBuf>,
    /// Print the public key that signs this data dir's checkpoints (to pin it).
    #[arg(long, conflicts_with = "verify")]
    pub public_key: bool,
    /// Show at most this many of the latest records.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// The data dir whose `audit/` to read.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// An extension directory (development), a `.morph` file, or the id of
    /// an installed extension.
    pub package: PathBuf,
    /// The action to run.
    pub action: String,
    /// Action parameters, as JSON.
    #[arg(long, default_value = "{}")]
    pub params: String,
    /// Extension config, as JSON (validated against `config_schema`).
    #[arg(long, default_value = "{}")]
    pub config: String,
    /// Where vault, tasks, files and the audit log live.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Run a `.morph` package even if it is unsigned or untrusted.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// The trust store for `.morph` packages (default `<data dir>/trust`).
    #[arg(long, env = "MORPH_TRUST_DIR")]
    pub trust_dir: Option<PathBuf>,
    /// How the host runs guests.
    #[command(flatten)]
    pub host: HostArgs,
    /// Lowers a storage quota for the extension whatever its manifest asks
    /// for, as `FIELD=N` (`max_files`, `max_storage_mb`, `max_tasks`,
    /// `max_vault_entries`, `max_events`); repeat for several, or set
    /// `MORPH_QUOTA` to a comma-separated list.
    #[arg(
        long = "quota",
        value_name = "FIELD=N",
        env = "MORPH_QUOTA",
        value_delimiter = ','
    )]
    pub quotas: Vec<String>,
    /// Print one JSON envelope on stdout, whatever happens.
    #[arg(long)]
    pub json: bool,
}

/// How a host runs guests: shared by `run`, `serve` and `mcp`.
#[derive(Debug, Clone, clap::Args)]
pub struct HostArgs {
    /// The wasm engine.
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
    /// How instances are isolated.
    #[arg(long, value_enum)]
    pub isolation: Option<IsolationArg>,
    /// Quarantine an extension after this many calls ending in a limit
    /// violation or a crash within `--quarantine-window` (0: never).
    #[arg(long, env = "MORPH_QUARANTINE_STRIKES", default_value_t = 5)]
    pub quarantine_strikes: u32,
    /// The window strikes are counted in, in seconds.
    #[arg(long, env = "MORPH_QUARANTINE_WINDOW", default_value_t = 60)]
    pub quarantine_window: u64,
    /// Free space (MiB) kept on the audit log's volume: below it, calls with
    /// an effect are refused so that records still fit (0: no check).
    #[arg(long, env = "MORPH_AUDIT_RESERVE_MB", default_value_t = 32)]
    pub audit_reserve_mb: u64,
}

/// `morph serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen (loopback unless `--allow-remote`; port 0 picks one).
    #[arg(long, default_value = "127.0.0.1:8420")]
    pub listen: std::net::SocketAddr,
    /// Allow a non-loopback address. Morph serves plain HTTP: put a proxy
    /// that terminates TLS in front.
    #[arg(long)]
    pub allow_remote: bool,
    /// Requests handled at once; more wait briefly, then get 503.
    #[arg(long, default_value_t = 256)]
    pub max_concurrent: usize,
    /// Longest a request may take, in seconds.
    #[arg(long, default_value_t = 300)]
    pub request_timeout: u64,
    /// On SIGTERM/SIGINT, how long calls in flight may finish, in seconds.
    #[arg(long, default_value_t = 30)]
    pub drain: u64,
    /// Origins (`scheme://host:port`) a browser may call `/mcp` from; any
    /// other Origin header is refused.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// The data dir, trust store and approvals.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// How the host runs guests.
    #[command(flatten)]
    pub host: HostArgs,
}

/// What `morph serve` and `morph mcp` share besides the host.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// The data dir and trust store.
    #[command(flatten)]
    pub trust: TrustLocation,
    /// How long an approval request waits for a person, and an approval
    /// for its call, in seconds.
    #[arg(long, env = "MORPH_APPROVAL_TTL_SECS", default_value_t = 900)]
    pub approval_ttl: u64,
    /// Code mode: wall clock of a run, tool calls included, in ms.
    #[arg(long, env = "MORPH_CODE_MAX_EXECUTION_MS", default_value_t = 30_000)]
    pub code_max_execution_ms: u64,
    /// Code mode: a run's heap, in MiB.
    #[arg(long, env = "MORPH_CODE_MAX_MEMORY_MB", default_value_t = 128)]
    pub code_max_memory_mb: u64,
    /// Code mode: a run's result plus logs, in KiB.
    #[arg(long, env = "MORPH_CODE_MAX_OUTPUT_KB", default_value_t = 1024)]
    pub code_max_output_kb: u64,
    /// Code mode: tool calls per run.
    #[arg(long, env = "MORPH_CODE_MAX_TOOL_CALLS", default_value_t = 100)]
    pub code_max_tool_calls: u32,
}

impl ServiceArgs {
    /// The code mode policy these flags set.
    ///
    /// # Errors
    /// `invalid_params` for a limit out of range.
    pub fn code_policy(
        &self,
    ) -> Result<morph_runtime_core::code::CodePolicy, morph_runtime_core::Error> {
        let policy = morph_runtime_core::code::CodePolicy {
            max_execution_ms: self.code_max_execution_ms,
            max_memory_mb: self.code_max_memory_mb,
            max_output_kb: self.code_max_output_kb,
            max_tool_calls: self.code_max_tool_calls,
        };
        policy.validate()?;
        Ok(policy)
    }
}

/// `morph mcp`.
#[derive(Debug, clap::Args)]
pub struct McpArgs {
    /// The data dir, trust store and approvals.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// How the host runs guests.
    #[command(flatten)]
    pub host: HostArgs,
}

/// `morph token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TokenAction,
    /// The data dir.
    #[arg(long, env = "MORPH_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `morph token ...`.
#[derive(Debug, clap::Subcommand)]
pub enum TokenAction {
    /// Create a token and print it (the only time it is shown).
    Create {
        /// Its name: the caller the audit log records for its calls.
        name: String,
        /// `invoke` (list and run) or `admin` (everything).
        #[arg(long, default_value = "invoke")]
        scope: String,
        /// This token's own code mode limits, replacing the server's.
        #[command(flatten)]
        code: TokenCodeLimits,
    },
    /// List the tokens (names and scopes, never the tokens).
    List,
    /// Revoke a token.
    Revoke {
        /// Its name.
        name: String,
    },
}

/// A token's own code mode limits (`morph token create --code-max-*`): each
/// one given replaces the server's `--code-max-*` for that token's runs.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct TokenCodeLimits {
    /// Wall clock of one of its code runs, in ms.
    #[arg(long = "code-max-execution-ms", value_name = "MS")]
    pub max_execution_ms: Option<u64>,
    /// Heap of one of its code runs, in MiB.
    #[arg(long = "code-max-memory-mb", value_name = "MIB")]
    pub max_memory_mb: Option<u64>,
    /// Result plus logs of one of its code runs, in KiB.
    #[arg(long = "code-max-output-kb", value_name = "KIB")]
    pub max_output_kb: Option<u64>,
    /// Tool calls per code run.
    #[arg(long = "code-max-tool-calls", value_name = "N")]
    pub max_tool_calls: Option<u32>,
}

impl TokenCodeLimits {
    /// As the token store keeps them.
    pub fn policy(self) -> morph_runtime_core::code::CodePolicyOverride {
        morph_runtime_core::code::CodePolicyOverride {
            max_execution_ms: self.max_execution_ms,
            max_memory_mb: self.max_memory_mb,
            max_output_kb: self.max_output_kb,
            max_tool_calls: self.max_tool_calls,
        }
    }
}

/// `morph code`.
#[derive(Debug, clap::Args)]
pub struct CodeArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: CodeAction,
}

/// Where code runs and what they may call: the data dir's installs, run
/// store and approvals, and how the host runs guests.
#[derive(Debug, clap::Args)]
pub struct CodeHost {
    /// The data dir, trust store, approvals and code run limits.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// How the host runs guests.
    #[command(flatten)]
    pub host: HostArgs,
}

/// `morph code ...`.
#[derive(Debug, clap::Subcommand)]
pub enum CodeAction {
    /// Run FILE (`.js`, `.ts` or `.py`) in a fresh sandbox whose only
    /// capability is calling the installed tools: `await
    /// tools.<extension>.<action>(...)`.
    Run {
        /// The program.
        file: PathBuf,
        /// Its language, when the file's extension does not say
        /// (`javascript`, `typescript`, `python`).
        #[arg(long)]
        language: Option<String>,
        /// Take up run RUN_ID (which ended with `approval_required`) again
        /// once its approval is decided: its completed tool calls are
        /// answered from the record, never run again.
        #[arg(long, value_name = "RUN_ID")]
        resume: Option<String>,
        /// Print the whole answer as JSON.
        #[arg(long)]
        json: bool,
        /// The data dir and host.
        #[command(flatten)]
        on: CodeHost,
    },
    /// Print the tools a program may call, as TypeScript declarations or a
    /// Python listing.
    Api {
        /// `javascript` (default), `typescript` or `python`.
        #[arg(long, default_value = "javascript")]
        language: String,
        /// The data dir and host.
        #[command(flatten)]
        on: CodeHost,
    },
}

/// `morph approve`.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The approval id (from an agent's `approval_required` answer); without
    /// it, list the approvals waiting.
    pub id: Option<String>,
    /// Decline instead of approving.
    #[arg(long)]
    pub decline: bool,
    /// Who decides, as the audit log records it (default `cli:$USER`).
    #[arg(long = "as", value_name = "NAME")]
    pub by: Option<String>,
    /// The data dir.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph validate`.
#[derive(Debug, clap::Args)]
pub struct PackageArgs {
    /// An extension directory.
    pub package: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `morph inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// An extension directory.
    pub package: PathBuf,
    /// The data dir whose quarantine to report.
    #[arg(long, env = "MORPH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--engine`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EngineArg {
    /// wasmer with Cranelift.
    Wasmer,
    /// the wasmi interpreter.
    Wasmi,
}

/// `--isolation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    /// A fresh instance per call.
    PerCall,
    /// Warm instances per extension.
    Pooled,
    /// A worker child process.
    Process,
}
