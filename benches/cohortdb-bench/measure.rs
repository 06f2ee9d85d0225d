//! Measuring a child process (wall time, peak resident memory) and the report table.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Wall time and peak memory of one child process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall time in seconds.
    pub secs: f64,
    /// Peak resident set in KiB.
    pub peak_kib: u64,
}

impl Sample {
    /// Peak resident set in MiB.
    pub fn peak_mib(self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// One line of the report.
pub struct Row {
    /// What was measured.
    pub work: String,
    /// The cohortdb figure.
    pub ours: Sample,
    /// The baseline's name and sample, when the target is relative to one.
    pub baseline: Option<(String, Sample)>,
    /// The target time: absolute seconds, or a factor of the baseline.
    pub target: Target,
    /// The peak memory limit in MiB.
    pub mem_limit_mib: f64,
}

/// A time target.
#[derive(Clone, Copy)]
pub enum Target {
    /// At most this many seconds.
    Seconds(f64),
    /// At most this factor of the baseline's time.
    TimesBaseline(f64),
    /// No time target: only the memory limit is judged (the baseline is shown for scale).
    MemoryOnly,
}

impl Row {
    fn limit_secs(&self) -> f64 {
        match (self.target, &self.baseline) {
            (Target::Seconds(s), _) => s,
            (Target::TimesBaseline(f), Some((_, b))) => f * b.secs,
            (Target::TimesBaseline(_), None) | (Target::MemoryOnly, _) => f64::INFINITY,
        }
    }

    /// Whether the time and memory targets are met.
    pub fn met(&self) -> bool {
        self.ours.secs <= self.limit_secs() && self.ours.peak_mib() < self.mem_limit_mib
    }
}

/// Runs a command to completion with its output discarded, measuring its wall time and its
/// peak resident memory; a failed command is an error carrying its stderr.
pub fn measure(cmd: &mut Command) -> Result<Sample> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = stderr {
            // A child whose stderr cannot be read is still measured; the text is only
            // diagnostic.
            let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        }
        text
    });
    let (status, peak_kib) = wait_with_rusage(child.id())?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = reader.join().unwrap_or_default();
    if status != 0 {
        bail!("{cmd:?} failed (wait status {status}): {}", stderr.trim());
    }
    Ok(Sample { secs, peak_kib })
}

/// Runs commands at the same time, each with its output discarded: the wall time until the
/// last one ends and the largest peak resident memory of any of them; a failed command is an
/// error carrying its stderr (after every one has ended).
pub fn measure_all(cmds: &mut [Command]) -> Result<Sample> {
    let started = Instant::now();
    let mut children = Vec::new();
    for cmd in cmds.iter_mut() {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {cmd:?}"))?;
        let stderr = child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = stderr {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
            }
            text
        });
        children.push((child.id(), reader));
    }
    let mut peak_kib = 0;
    let mut failures = Vec::new();
    for (pid, reader) in children {
        let (status, peak) = wait_with_rusage(pid)?;
        peak_kib = peak_kib.max(peak);
        let stderr = reader.join().unwrap_or_default();
        if status != 0 {
            failures.push(format!("(wait status {status}) {}", stderr.trim()));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if !failures.is_empty() {
        bail!(
            "{} of the concurrent commands failed: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    Ok(Sample { secs, peak_kib })
}

/// Waits for the child `pid`, returning its raw wait status and its peak resident set in KiB.
#[cfg(not(unix))]
fn wait_with_rusage(_pid: u32) -> Result<(i32, u64)> {
    bail!("measuring a child's peak memory needs wait4(2), which only unix systems have")
}

/// Waits for the child `pid`, returning its raw wait status and its peak resident set in KiB.
#[cfg(unix)]
fn wait_with_rusage(pid: u32) -> Result<(i32, u64)> {
    let pid = libc::pid_t::try_from(pid).context("child pid out of range")?;
    let mut status = 0;
    // SAFETY: `rusage` is plain old data, so all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unwaited child; `status` and `usage` are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        return Err(std::io::Error::last_os_error()).context("wait4 failed");
    }
    // ru_maxrss is in KiB on Linux.
    Ok((status, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}

/// `n` with its digits grouped by commas.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The report as a Markdown table, ready to paste into `docs/benchmarks.md`; a run that is
/// not `judged` (a smoke run at small sizes) says so instead of met or missed.
pub fn report(rows: &[Row], runs: u32, judged: bool) -> String {
    let mut out = format!(
        "\nmedian of {runs} run(s); peak = maximum resident set of the process\n\n\
         | work | cohortdb | peak | baseline | target | result |\n\
         | --- | ---: | ---: | --- | --- | --- |\n"
    );
    for row in rows {
        let baseline = match &row.baseline {
            Some((name, b)) => format!("{name}: {:.2} s, {:.0} MiB", b.secs, b.peak_mib()),
            None => "—".to_owned(),
        };
        let target = match (row.target, &row.baseline) {
            (Target::Seconds(s), _) => format!("≤ {s} s"),
            (Target::TimesBaseline(f), Some((_, b))) => format!(
                "≤ {f}× baseline ({:.2} s; ours is {:.2}×)",
                row.limit_secs(),
                row.ours.secs / b.secs
            ),
            (Target::TimesBaseline(f), None) => format!("≤ {f}× baseline (not measured)"),
            (Target::MemoryOnly, Some((_, b))) => {
                format!(
                    "memory only (ours is {:.2}× baseline)",
                    row.ours.secs / b.secs
                )
            }
            (Target::MemoryOnly, None) => "memory only".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {:.2} s | {:.0} MiB | {baseline} | {target}, < {} MiB | {} |",
            row.work,
            row.ours.secs,
            row.ours.peak_mib(),
            row.mem_limit_mib,
            match (judged, row.met()) {
                (false, _) => "not judged (smoke run)",
                (true, true) => "met",
                (true, false) => "MISSED",
            },
        );
    }
    out
}
