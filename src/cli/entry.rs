//! The command line's one entry: arguments in, exit status out. The `cohortdb` binary
//! (src/main.rs) and the Python package's `cohortdb` command (python/cohortdb/_cli.py, through
//! `cohortdb._native.cli_main`) both call [`cli_main`], so they are one program: the same
//! parsing, output, exit statuses, closed-pipe and Ctrl-C handling.
//!
//! 0 success · 1 a check found a difference (`verify`) · 2 any error · 130 stopped by Ctrl-C.
//!
//! The status is decided by the work, never by whether printing succeeded: commands print
//! through `cli::out::stdout()`, which swallows a closed pipe and lets the command run on to
//! its real outcome, so an error that reaches here is a real failure (exit 2), even when the
//! reader of stdout has gone away (docs/reliability.md, "Pipes, special files and links").

use std::ffi::OsString;
use std::io::Write;

use super::INTERRUPTED;

/// Runs the `cohortdb` command line `args` (the first is the program's name, as in
/// `std::env::args_os`) and returns the status the process should exit with. It prints to the
/// process's stdout and stderr and, while it runs, owns SIGINT (Ctrl-C stops the command; a
/// second one, or a command that does not stop within half a second, ends the process with
/// status 130): call it once, as a process's whole work.
pub fn cli_main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match super::parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // What clap's own `exit` does, returned instead: help and --version on stdout
            // (status 0), a usage error on stderr (status 2).
            let _ = err.print();
            return u8::try_from(err.exit_code()).unwrap_or(2);
        }
    };
    match super::run(cli) {
        Ok(code) => code.code(),
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            // Each line capped, and escaped: a value inside a message (a file name, a spec
            // value, store content) cannot forge a line or reach the terminal as a control
            // sequence (docs/reliability.md, "Terminal output").
            let cap = |text: &str| {
                crate::textfmt::visible(&crate::textfmt::capped_to(
                    &crate::textfmt::decision_links(text),
                    crate::textfmt::MESSAGE_CHARS,
                ))
                .into_owned()
            };
            let _ = writeln!(
                stderr,
                "{} {}",
                super::colour::prefix("error:"),
                cap(&message(&err))
            );
            if let Some(lib) = err.downcast_ref::<crate::Error>() {
                for line in lib.detail() {
                    let _ = writeln!(stderr, "  {}", cap(&line));
                }
                for hint in lib.hints() {
                    let _ = writeln!(
                        stderr,
                        "  {} {}",
                        super::colour::prefix("hint:"),
                        cap(&hint)
                    );
                }
            }
            // Stopped by Ctrl-C: the status a shell reports for SIGINT, not a failure of the input.
            match err.downcast_ref::<crate::Error>() {
                Some(crate::Error::Interrupted) => INTERRUPTED,
                _ => 2,
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
        if cause.downcast_ref::<crate::Error>().is_some() {
            break;
        }
    }
    text
}
