//! The `cohortdb` binary: parse arguments, run, map the outcome to an exit status.
//! 0 success · 1 a check found a difference (`verify`) · 2 any error.
//!
//! The status is decided by the work, never by whether printing succeeded: commands print
//! through `cli::out::stdout()`, which swallows a closed pipe and lets the command run on to
//! its real outcome, so an error that reaches here is a real failure (exit 2), even when the
//! reader of stdout has gone away (docs/reliability.md, "Pipes, special files and links").

use std::io::Write;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    let args = cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            // Each line capped, and escaped: a value inside a message (a file name, a spec
            // value, store content) cannot forge a line or reach the terminal as a control
            // sequence (docs/reliability.md, "Terminal output").
            let cap = |text: &str| {
                cohortdb::textfmt::visible(&cohortdb::textfmt::capped_to(
                    &cohortdb::textfmt::decision_links(text),
                    cohortdb::textfmt::MESSAGE_CHARS,
                ))
                .into_owned()
            };
            let _ = writeln!(
                stderr,
                "{} {}",
                cli::colour::prefix("error:"),
                cap(&message(&err))
            );
            if let Some(lib) = err.downcast_ref::<cohortdb::Error>() {
                for line in lib.detail() {
                    let _ = writeln!(stderr, "  {}", cap(&line));
                }
                for hint in lib.hints() {
                    let _ = writeln!(stderr, "  {} {}", cli::colour::prefix("hint:"), cap(&hint));
                }
            }
            // Stopped by Ctrl-C: the status a shell reports for SIGINT, not a failure of the input.
            match err.downcast_ref::<cohortdb::Error>() {
                Some(cohortdb::Error::Interrupted) => ExitCode::from(cli::INTERRUPTED),
                _ => ExitCode::from(2),
            }
        }
    }
}

/// The error and its causes on one line, each cause once: a library error's text already
/// includes its source (SQLite's or the OS's message), so the chain stops there, and a cause
/// whose text is already shown is skipped.
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        if cause.downcast_ref::<cohortdb::Error>().is_some() {
            break;
        }
    }
    text
}
