//! The `morph` binary: parses the command line and hands over to `morph_cli`.

fn main() -> std::process::ExitCode {
    morph_cli::main_from_env()
}
