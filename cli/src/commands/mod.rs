//! One module per subcommand; `dispatch` picks it.

mod approve;
mod audit;
mod code;
mod conformance;
mod enable;
mod inspect;
mod install;
mod keygen;
mod list;
mod mcp;
mod new;
mod package;
mod pull;
mod push;
mod remove;
mod run;
mod serve;
mod sign;
mod tags;
mod token;
mod trust;
mod validate;
mod vault;
mod verify;

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
        Command::Keygen(args) => keygen::keygen(&args, out, err),
        Command::Package(args) => package::package(&args, out, err),
        Command::Sign(args) => sign::sign(&args, out, err),
        Command::Verify(args) => verify::verify(&args, out, err),
        Command::Trust(args) => trust::trust(&args, out, err),
        Command::Install(args) => install::install(&args, out, err).await,
        Command::List(args) => list::list(&args, out, err),
        Command::Enable(args) => enable::enable(&args, out, err),
        Command::Remove(args) => remove::remove(&args, out, err),
        Command::Vault(args) => vault::vault(&args, out, err).await,
        Command::Push(args) => push::push(&args, out, err).await,
        Command::Pull(args) => pull::pull(&args, out, err).await,
        Command::Tags(args) => tags::tags(&args, out, err).await,
        Command::Serve(args) => serve::run(&args, out, err).await,
        Command::Token(args) => token::token(&args, out, err),
        Command::Approve(args) => approve::approve(&args, out, err),
        Command::Mcp(args) => mcp::run(&args, out, err).await,
        Command::Code(args) => code::code(&args, out, err).await,
    }
}
