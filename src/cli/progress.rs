//! How the CLI shows a command's progress ([`crate::app::Event`]s) on stderr: a bar or a
//! spinner on a terminal; off a terminal (CI logs, Dagster logs) one plain line every few
//! seconds for work that runs long; nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::app::{Event, Events, Unit};
use indicatif::{ProgressBar, ProgressStyle};

/// Bars are drawn only for tasks at least this large; smaller ones get a spinner.
const BAR_MIN_BYTES: u64 = 8 << 20;
/// Counts smaller than this get a spinner, not a bar.
const BAR_MIN_ITEMS: u64 = 50_000;
/// Off a terminal: the first line after this long, then one line per this long at most
/// (`COHORTDB_PROGRESS_EVERY` seconds when set).
const LOG_EVERY: Duration = Duration::from_secs(5);
/// The variable that sets the interval of log lines off a terminal, in whole seconds; `0`
/// writes a line as each task starts and as it ends (docs/cli.md, "Progress").
pub const PROGRESS_EVERY_VAR: &str = "COHORTDB_PROGRESS_EVERY";

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `--quiet`.
    Off,
    /// A bar or spinner on the terminal.
    Terminal,
    /// A line every [`LOG_EVERY`] on a stderr that is not a terminal.
    Log,
}

struct Task {
    name: String,
    started: Instant,
    last_line: Option<Instant>,
    bar: Option<ProgressBar>,
}

/// The CLI's [`Events`].
pub struct Progress {
    mode: Mode,
    /// Off a terminal: the interval of log lines.
    every: Duration,
    task: Mutex<Option<Task>>,
}

impl Progress {
    /// Progress for this run: off with `--quiet`, bars on a terminal, lines otherwise, every
    /// `every` (default [`LOG_EVERY`]).
    pub fn new(quiet: bool, every: Option<Duration>) -> Progress {
        let mode = if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Log
        };
        Progress {
            mode,
            every: every.unwrap_or(LOG_EVERY),
            task: Mutex::new(None),
        }
    }

    fn bar(task: &str, total: Option<u64>, unit: Unit) -> ProgressBar {
        let big = match (total, unit) {
            (Some(t), Unit::Bytes) => t >= BAR_MIN_BYTES,
            (Some(t), Unit::Files) => t >= BAR_MIN_ITEMS,
            _ => false,
        };
        let bar = match total {
            Some(total) if big => {
                let template = match unit {
                    Unit::Bytes => "{msg:>22} [{bar:30}] {bytes}/{total_bytes} {eta}",
                    _ => "{msg:>22} [{bar:30}] {pos}/{len} {eta}",
                };
                let bar = ProgressBar::new(total);
                bar.set_style(
                    ProgressStyle::with_template(template)
                        .expect("the template is valid")
                        .progress_chars("=> "),
                );
                bar
            }
            _ => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("the template is valid"),
                );
                bar
            }
        };
        bar.set_message(crate::textfmt::visible(task).into_owned());
        bar.enable_steady_tick(Duration::from_millis(150));
        bar.tick();
        bar
    }

    /// One log line for `task`: its counts when it has them, else how long it has run.
    fn line(task: &Task, done: Option<u64>, total: Option<u64>) {
        let elapsed = task.started.elapsed().as_secs();
        let what = match (done, total) {
            (Some(done), Some(total)) if total > 0 => {
                format!("{done}/{total} ({}%)", done.saturating_mul(100) / total)
            }
            (Some(done), _) => format!("{done}"),
            _ => "working".to_string(),
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "cohortdb: {}: {what}, {elapsed} s",
            crate::textfmt::visible(&task.name)
        );
    }
}

impl Events for Progress {
    fn event(&self, event: &Event) {
        if self.mode == Mode::Off {
            return;
        }
        let Ok(mut slot) = self.task.lock() else {
            return;
        };
        match event {
            Event::Start { task, total, unit } => {
                if let Some(old) = slot.take().and_then(|t| t.bar) {
                    old.finish_and_clear();
                }
                let new = Task {
                    name: task.clone(),
                    started: Instant::now(),
                    last_line: None,
                    bar: (self.mode == Mode::Terminal).then(|| Progress::bar(task, *total, *unit)),
                };
                let new = slot.insert(new);
                if self.mode == Mode::Log && self.every.is_zero() {
                    Progress::line(new, None, *total);
                    new.last_line = Some(Instant::now());
                }
            }
            Event::Progress { done, total, .. } => {
                let Some(task) = slot.as_mut() else {
                    return;
                };
                if let Some(bar) = &task.bar {
                    bar.set_position(*done);
                    return;
                }
                let due = task.last_line.map_or(task.started, |last| last).elapsed() >= self.every;
                if self.mode == Mode::Log && due {
                    Progress::line(task, Some(*done), *total);
                    task.last_line = Some(Instant::now());
                }
            }
            Event::Finish { .. } => {
                if let Some(task) = slot.take() {
                    if let Some(bar) = task.bar {
                        bar.finish_and_clear();
                    } else if self.mode == Mode::Log && task.last_line.is_some() {
                        let _ = writeln!(
                            std::io::stderr().lock(),
                            "cohortdb: {}: done in {} s",
                            crate::textfmt::visible(&task.name),
                            task.started.elapsed().as_secs()
                        );
                    }
                }
            }
        }
    }
}

impl Progress {
    /// Off a terminal, work without counts (a build) also gets a line every few seconds: call
    /// this from a timer thread.
    pub fn tick(&self) {
        // With an interval of 0 the lines come with the steps, not with the clock.
        if self.mode != Mode::Log || self.every.is_zero() {
            return;
        }
        let Ok(mut slot) = self.task.lock() else {
            return;
        };
        if let Some(task) = slot.as_mut() {
            let due = task.last_line.map_or(task.started, |last| last).elapsed() >= self.every;
            if due {
                Progress::line(task, None, None);
                task.last_line = Some(Instant::now());
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.task.lock()
            && let Some(bar) = slot.take().and_then(|t| t.bar)
        {
            bar.finish_and_clear();
        }
    }
}
