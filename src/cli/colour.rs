//! Colour, in one place: `--color auto|always|never` (docs/cli.md, "Colour"; docs/decisions.md
//! D30). Only the `error:`, `warning:` and `hint:` prefixes on stderr, show's `!` marker on
//! stdout, and clap's own help and usage errors are coloured — never a report's data, never
//! JSON. `auto` colours a stream that is a terminal, unless `NO_COLOR` is set (non-empty);
//! `CLICOLOR_FORCE` (non-empty, not `0`) colours it even when it is not. `always` and `never`
//! win over both variables (<https://no-color.org>: an explicit choice overrides `NO_COLOR`).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[default]
    Auto,
    /// Always, even into a pipe or file.
    Always,
    /// Never.
    Never,
}

static CHOICE: OnceLock<ColorWhen> = OnceLock::new();

/// Sets the run's choice (once, before anything is printed).
pub fn set(choice: ColorWhen) {
    let _ = CHOICE.set(choice);
}

fn choice() -> ColorWhen {
    CHOICE.get().copied().unwrap_or_default()
}

fn var_set(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// Whether to colour a stream that is (`terminal`) or is not a terminal.
fn enabled(terminal: bool) -> bool {
    match choice() {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            if var_set("NO_COLOR").is_some() {
                false
            } else if var_set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else {
                terminal
            }
        }
    }
}

/// Whether stderr is coloured.
pub fn stderr() -> bool {
    enabled(std::io::stderr().is_terminal())
}

/// Whether stdout is coloured.
pub fn stdout() -> bool {
    enabled(std::io::stdout().is_terminal())
}

/// The choice for clap's own messages.
pub fn clap_choice() -> clap::ColorChoice {
    match choice() {
        ColorWhen::Always => clap::ColorChoice::Always,
        ColorWhen::Never => clap::ColorChoice::Never,
        ColorWhen::Auto if enabled(std::io::stderr().is_terminal()) => clap::ColorChoice::Always,
        ColorWhen::Auto => clap::ColorChoice::Never,
    }
}

/// `--color` from the arguments, before clap parses them (its own messages need the choice):
/// the last `--color WHEN` or `--color=WHEN` before a `--`; anything else is `auto` here, and
/// clap then reports a bad value.
pub fn from_args(args: impl IntoIterator<Item = OsString>) -> ColorWhen {
    let mut found = ColorWhen::Auto;
    let mut args = args.into_iter().skip(1);
    let parse = |value: &OsString| match value.to_str() {
        Some("always") => ColorWhen::Always,
        Some("never") => ColorWhen::Never,
        _ => ColorWhen::Auto,
    };
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--color" {
            if let Some(value) = args.next() {
                found = parse(&value);
            }
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--color=")) {
            found = parse(&OsString::from(value));
        }
    }
    found
}

/// A stderr prefix (`error:`, `warning:`, `hint:`), coloured when stderr is: bold red, bold
/// yellow, cyan.
pub fn prefix(word: &str) -> String {
    if !stderr() {
        return word.to_string();
    }
    let style = match word {
        "error:" => "\x1b[1;31m",
        "warning:" => "\x1b[1;33m",
        _ => "\x1b[36m",
    };
    format!("{style}{word}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_last_color_option_before_a_double_dash_counts() {
        assert_eq!(from_args(args(&["cohortdb", "status"])), ColorWhen::Auto);
        assert_eq!(
            from_args(args(&["cohortdb", "--color", "never", "status"])),
            ColorWhen::Never
        );
        assert_eq!(
            from_args(args(&["cohortdb", "status", "--color=always"])),
            ColorWhen::Always
        );
        assert_eq!(
            from_args(args(&["cohortdb", "--color=never", "--color", "always"])),
            ColorWhen::Always
        );
        assert_eq!(
            from_args(args(&["cohortdb", "query", "--", "--color=never"])),
            ColorWhen::Auto
        );
        assert_eq!(
            from_args(args(&["cohortdb", "--color", "pink"])),
            ColorWhen::Auto
        );
    }
}
