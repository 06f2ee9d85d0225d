//! The `cohortdb` binary: parse arguments, run, map the outcome to an exit status.
//! 0 success · 1 a check found a difference (`verify`) · 2 any error. A closed stdout (broken
//! pipe) is not an error.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
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

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<cohortdb::Error>()
                .is_some_and(cohortdb::Error::is_broken_pipe)
    })
}
