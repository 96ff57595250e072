//! The `morph` command-line tool (brief section 9).
//!
//! The CLI's contract is relied on by outside tests: the subcommands and
//! flags, the `--json` envelope (`{"ok":true,"result":..,"audit":[..]}` or
//! `{"ok":false,"error":{"code":..,"message":..},"audit":[..]}`) and the exit
//! codes (0 ok, 1 the extension failed, 2 usage or host error) stay stable.
//! [`run`] takes its output streams as arguments so that tests can drive the
//! same code in-process with a runtime of their own.

mod args;
mod commands;
mod data_dir;
mod host_setup;
mod output;
mod secret_input;
mod wasm_opt;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};
pub use output::{EXIT_EXTENSION_FAILED, EXIT_HOST_ERROR, EXIT_OK, exit_code_for};

/// Runs the CLI on the process's arguments and standard streams.
pub fn main_from_env() -> ExitCode {
    link_runtimes();
    // `morph worker` (process isolation) owns stdin and stdout for its
    // protocol and starts its own async runtime: nothing else runs first.
    if std::env::args_os().nth(1).is_some_and(|a| a == "worker") {
        return morph_process::worker::serve(morph_runtime_core::RuntimeRegistry::linked());
    }
    init_tracing();
    // Unlocked handles: guest logs reach stderr through `tracing` from other
    // threads while a call runs, so the main thread must not hold the lock.
    let code = run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}

/// The process isolation tier, with workers started as `morph worker` from
/// this executable.
///
/// # Errors
/// `runtime_unavailable` when the executable cannot be found.
pub fn process_tier()
-> Result<std::sync::Arc<dyn morph_runtime_core::MorphRuntime>, morph_runtime_core::Error> {
    let command = morph_process::WorkerCommand::current_exe()?;
    Ok(std::sync::Arc::new(morph_process::ProcessRuntime::new(
        morph_process::ProcessConfig::new(command),
    )))
}

/// Runs the CLI on `args` (the first is the program name), writing to `out`
/// and `err`; returns the exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) {
                let _ = write!(out, "{e}");
                return EXIT_OK;
            }
            // `--json` promises one envelope on stdout, whatever happens.
            if args.iter().any(|a| a == "--json") {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("invalid command line");
                let usage = morph_runtime_core::Error::params(
                    "command line",
                    first.trim_start_matches("error: "),
                );
                return output::failure(out, err, true, &usage, &[]);
            }
            let _ = write!(err, "{e}");
            return EXIT_HOST_ERROR;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error[internal]: cannot start the async runtime: {e}");
            return EXIT_HOST_ERROR;
        }
    };
    runtime.block_on(commands::dispatch(cli, out, err))
}

/// The runtimes this binary ships; each registers itself with `inventory`
/// once linked.
pub fn link_runtimes() {
    morph_runtime_wasm::ensure_linked();
    morph_runtime_js::ensure_linked();
    morph_runtime_python::ensure_linked();
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MORPH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,morph::guest=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
