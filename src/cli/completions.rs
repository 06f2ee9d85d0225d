//! `cohortdb completions SHELL` and `cohortdb man`: shell completions and a man page, generated
//! from the clap definitions so they never drift from the real options.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory};

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for a shell.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = super::out::stdout();
    clap_complete::generate(args.shell, &mut command, "cohortdb", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page cohortdb(1) (roff): the global options and the SUBCOMMANDS section
/// listing every command; `cohortdb COMMAND --help` has each command's options.
pub fn man() -> anyhow::Result<ExitCode> {
    let mut out = super::out::stdout();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
