//! How reports reach stdout — one JSON document (`--format json`), or text for people, every
//! untrusted character escaped on the way (`textfmt::visible_lines`) — and warnings on
//! stderr.

use std::io::Write;

use super::Global;

/// Prints a warning on stderr unless `--quiet` (escaped: it may echo untrusted text).
pub fn warn(global: &Global, message: &str) {
    if !global.quiet {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} {}",
            super::colour::prefix("warning:"),
            crate::textfmt::visible(message)
        );
    }
}

/// Standard output for text reports: what is written is escaped with
/// [`crate::textfmt::visible_lines`] (line breaks kept, every other control or format
/// character shown as an escape), so no value in a report can move the cursor, colour the
/// terminal or forge a line. [`TextOut::raw`] writes the report's own escape sequences
/// (colour).
pub struct TextOut {
    inner: Box<dyn Write>,
}

/// Writes one line of a text report: the formatted text with every character a terminal would
/// interpret escaped — a line break inside a value included — then the line's own `\n`.
/// `say!(out)` writes an empty line.
macro_rules! say {
    ($out:expr) => {
        $out.line(format_args!(""))
    };
    ($out:expr, $($arg:tt)*) => {
        $out.line(format_args!($($arg)*))
    };
}
pub(crate) use say;

impl TextOut {
    /// One line of a report (see [`say!`]).
    pub fn line(&mut self, text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        let text = text.to_string();
        let mut shown = crate::textfmt::visible(&text).into_owned();
        shown.push('\n');
        self.inner.write_all(shown.as_bytes())
    }

    /// Text output on stdout.
    pub fn stdout() -> TextOut {
        TextOut {
            inner: Box::new(super::out::stdout()),
        }
    }

    /// Text output into a buffer the caller reads back (for tests of the printers).
    #[cfg(test)]
    pub fn capture() -> (TextOut, std::rc::Rc<std::cell::RefCell<Vec<u8>>>) {
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = std::rc::Rc::default();
        let out = TextOut {
            inner: Box::new(Shared(std::rc::Rc::clone(&buffer))),
        };
        (out, buffer)
    }

    /// Writes `s` unescaped: only for the CLI's own sequences, never for report values.
    pub fn raw(&mut self, s: &str) -> std::io::Result<()> {
        self.inner.write_all(s.as_bytes())
    }
}

impl Write for TextOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner
            .write_all(crate::textfmt::visible_lines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// Text for people.
    #[default]
    Text,
    /// One JSON document (schemas under docs/schema/).
    Json,
}

/// `--format text|json` and `--json`, on every command that prints a report.
#[derive(Debug, Clone, clap::Args)]
pub struct FormatArgs {
    /// Print the report as text (default) or as one JSON document (docs/schema/).
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    format: ReportFormat,
    /// Same as `--format json`.
    #[arg(long)]
    json: bool,
}

impl FormatArgs {
    /// True when the report goes out as JSON.
    pub fn is_json(&self) -> bool {
        self.json || self.format == ReportFormat::Json
    }
}

/// Prints `value` as one pretty JSON document on stdout, with a trailing newline.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = super::out::stdout();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

impl FormatArgs {
    /// Prints a report on stdout: one JSON document with `--format json`, else the text
    /// `print` renders.
    pub fn emit<T: serde::Serialize>(
        &self,
        report: &T,
        print: impl FnOnce(&mut TextOut, &T) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        if self.is_json() {
            return print_json(report);
        }
        let mut out = TextOut::stdout();
        print(&mut out, report)?;
        out.flush()?;
        Ok(())
    }
}

/// The exit code of a report that is either current/identical (0) or not (1).
pub fn verdict(ok: bool) -> super::ExitCode {
    if ok {
        super::ExitCode::SUCCESS
    } else {
        super::ExitCode::from(1)
    }
}

/// True when stdout is coloured (`--color`, `NO_COLOR`; [`super::colour`]).
pub fn colour_stdout() -> bool {
    super::colour::stdout()
}
