//! One module per subcommand; `dispatch` picks it.

mod audit;
mod conformance;
mod inspect;
mod new;
mod run;
mod validate;

use std::io::Write;

use crate::args::{Cli, Command};

/// Runs the parsed command; returns the exit code.
pub async fn dispatch(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match cli.command {
        Command::Run(args) => run::run(args, out, err).await,
        Command::Validate(args) => validate::validate(&args, out, err),
        Command::Inspect(args) => inspect::inspect(&args, out, err),
        Command::Audit(args) => audit::audit(&args, out, err),
        Command::New(args) => new::new(&args, out, err),
        Command::Conformance(args) => conformance::conformance(args, out, err).await,
    }
}
