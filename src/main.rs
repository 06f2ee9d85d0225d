//! The `cohortdb` binary: parse arguments, run, map the outcome to an exit status.
//! 0 success · 1 a check found a difference (`verify`) · 2 any error.
//!
//! The status is decided by the work, never by whether printing succeeded: commands print
//! through `cli::out::stdout()`, which swallows a closed pipe and lets the command run on to
//! its real outcome, so an error that reaches here is a real failure (exit 2), even when the
//! reader of stdout has gone away (docs/reliability.md, "Pipes, special files and links").

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {err:#}");
            if let Some(lib) = err.downcast_ref::<cohortdb::Error>() {
                for line in lib.detail() {
                    let _ = writeln!(stderr, "  {line}");
                }
            }
            ExitCode::from(2)
        }
    }
}
