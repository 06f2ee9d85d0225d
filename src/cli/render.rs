//! Everything the CLI shows besides results: progress bars and warnings on stderr.
//! Bars appear only on a terminal and never with `--quiet`.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::Global;

/// Files smaller than this get no bar: they are done before a bar would be seen.
const BAR_MIN_BYTES: u64 = 8 << 20;
/// Counts smaller than this get no bar.
const BAR_MIN_ITEMS: u64 = 50_000;

/// Prints a warning on stderr unless `--quiet`.
pub fn warn(global: &Global, message: &str) {
    if !global.quiet {
        let _ = writeln!(std::io::stderr().lock(), "warning: {message}");
    }
}

fn bars_enabled(global: &Global) -> bool {
    !global.quiet && std::io::stderr().is_terminal()
}

/// A byte-counting progress bar for reading files.
pub struct FileBar {
    enabled: bool,
    bar: RefCell<Option<ProgressBar>>,
}

impl FileBar {
    pub fn new(global: &Global) -> Self {
        FileBar {
            enabled: bars_enabled(global),
            bar: RefCell::new(None),
        }
    }
}

impl cohortdb::catalog::Progress for FileBar {
    fn start(&self, label: &str, total_bytes: u64) {
        if !self.enabled || total_bytes < BAR_MIN_BYTES {
            return;
        }
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template("{msg:>22} [{bar:30}] {bytes}/{total_bytes} {eta}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.bar.borrow_mut() = Some(bar);
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

/// A spinner with the elapsed time for work without a count (building, verifying, compiling
/// to a file): shown on a terminal from the start, so long work never sits silent; cleared
/// when dropped.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Starts a spinner saying `message` (nothing unless stderr is a terminal and not `-q`).
    pub fn start(global: &Global, message: impl Into<String>) -> Spinner {
        if !bars_enabled(global) {
            return Spinner(None);
        }
        Spinner(Some(spinner(message.into())))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("the template is valid"),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    // Drawn at once, not at the first tick.
    bar.tick();
    bar
}

/// Export's progress (thread-safe): a spinner while the export checks the existing files,
/// then a bar over the metadata.json files it writes.
pub struct MetadataBar {
    enabled: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl MetadataBar {
    pub fn new(global: &Global, cohort_id: &str) -> Self {
        let enabled = bars_enabled(global);
        let bar = enabled.then(|| spinner(format!("exporting {cohort_id}: checking")));
        MetadataBar {
            enabled,
            bar: std::sync::Mutex::new(bar),
        }
    }
}

impl cohortdb::export::ExportProgress for MetadataBar {
    fn start(&self, total: u64) {
        if !self.enabled {
            return;
        }
        let Ok(mut slot) = self.bar.lock() else {
            return;
        };
        if let Some(spinner) = slot.take() {
            spinner.finish_and_clear();
        }
        let bar = if total < BAR_MIN_ITEMS {
            spinner(format!("writing {total} metadata.json files"))
        } else {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{msg:>22} [{bar:30}] {pos}/{len} {eta}")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.set_message("metadata.json");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        };
        *slot = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = self.bar.lock().ok().as_ref().and_then(|slot| slot.as_ref()) {
            bar.inc(n);
        }
    }
}

impl Drop for MetadataBar {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut slot| slot.take()) {
            bar.finish_and_clear();
        }
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
        print: impl FnOnce(&mut super::out::Stdout, &T) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        if self.is_json() {
            return print_json(report);
        }
        let mut out = super::out::stdout();
        print(&mut out, report)?;
        out.flush()?;
        Ok(())
    }
}

/// The exit code of a report that is either current/identical (0) or not (1).
pub fn verdict(ok: bool) -> std::process::ExitCode {
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}

/// True when stdout is a terminal and `NO_COLOR` is unset or empty (https://no-color.org).
pub fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Members per stage in JSON reports: `{"draft": n, "essay": n, "evaluation": n}`.
pub type StageCountsJson = cohortdb::show::StageCounts;
