//! `cohortdb-bench`: the benchmarks the issues set targets for, measured side by side with their
//! baselines in one run.
//!
//! Every measurement runs the release `cohortdb` binary (or the baseline tool) as a child
//! process and takes its wall time and its peak resident memory (`ru_maxrss` from `wait4`), so
//! the figures are whole-process figures, like the reference pipeline's in `shared/README.md`.
//! Each figure is the median of `--runs` runs; set-up work (fresh stores, imports before a
//! build, removing the previous run's output) is never timed.
//!
//! ```sh
//! cargo run --release --bin cohortdb-bench               # everything, 3 runs each
//! cargo run --release --bin cohortdb-bench -- --only import,compile --runs 5
//! ```
//!
//! Missing bench data is generated with `../shared/bench/gen_specs.py` (see `--generator`).
//! `docs/benchmarks.md` explains each benchmark and records the figures.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use clap::{Parser, ValueEnum};

/// Command line of `cohortdb-bench`.
#[derive(Debug, Parser)]
#[command(about = "Side-by-side benchmarks of the cohortdb release binary")]
struct Args {
    /// The cohortdb binary to measure (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/cohortdb")]
    bin: PathBuf,
    /// Bench data written by `gen_specs.py` (generated there when missing).
    #[arg(long, default_value = "target/bench-data")]
    data: PathBuf,
    /// Scratch folder for stores and outputs; emptied before use.
    #[arg(long, default_value = "target/bench-work")]
    work: PathBuf,
    /// The generator of bench data.
    #[arg(long, default_value = "../shared/bench/gen_specs.py")]
    generator: PathBuf,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Benchmarks to run (comma separated); all when omitted.
    #[arg(long, value_delimiter = ',')]
    only: Vec<Group>,
    /// Skip the largest inputs (10M-row compile, 1M-evaluation build, export and verify).
    #[arg(long)]
    quick: bool,
}

/// A family of benchmarks, selectable with `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Group {
    /// `import combo_mappings` of 1,000,000 rows against the sqlite3 shell's `.import`.
    Import,
    /// `compile` of 1,000,000 and 10,000,000 design rows to CSV.
    Compile,
    /// `build` of the 100,000- and 1,000,000-evaluation cohorts, and a second cohort from the
    /// same spec over the first's registry.
    Build,
    /// `export` of the 1,000,000-evaluation cohort against `cp -r` of its `gens/`.
    Export,
    /// `verify --store-only` of the 1,000,000-evaluation cohort against its build; with
    /// `export`, also the full `verify` (store and files) against the export.
    Verify,
}

/// Wall time and peak memory of one child process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    secs: f64,
    peak_kib: u64,
}

impl Sample {
    fn peak_mib(self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// One line of the report.
struct Row {
    work: String,
    ours: Sample,
    /// The baseline's name and sample, when the target is relative to one.
    baseline: Option<(String, Sample)>,
    /// The target time: absolute seconds, or a factor of the baseline.
    target: Target,
    /// The peak memory limit in MiB.
    mem_limit_mib: f64,
}

#[derive(Clone, Copy)]
enum Target {
    Seconds(f64),
    TimesBaseline(f64),
}

impl Row {
    fn limit_secs(&self) -> f64 {
        match (self.target, &self.baseline) {
            (Target::Seconds(s), _) => s,
            (Target::TimesBaseline(f), Some((_, b))) => f * b.secs,
            (Target::TimesBaseline(_), None) => f64::INFINITY,
        }
    }

    fn met(&self) -> bool {
        self.ours.secs <= self.limit_secs() && self.ours.peak_mib() < self.mem_limit_mib
    }
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<bool> {
    ensure!(
        args.bin.is_file(),
        "{}: no such binary; run `cargo build --release` first",
        args.bin.display()
    );
    let bench = Bench::new(args)?;
    let wants = |g: Group| args.only.is_empty() || args.only.contains(&g);
    let mut rows = Vec::new();
    if wants(Group::Import) {
        rows.extend(bench.import()?);
    }
    if wants(Group::Compile) {
        rows.push(bench.compile(1_000_000, 0.55, 100.0)?);
        if !args.quick {
            rows.push(bench.compile(10_000_000, 5.2, 150.0)?);
        }
    }
    let large = !args.quick;
    // Export and verify work on the built 1M-evaluation cohort; its build is the yardstick of
    // verify.
    let mut built = None;
    if wants(Group::Build) {
        rows.push(bench.build(100_000, 0.8)?.0);
        if large {
            let (row, root) = bench.build(1_000_000, 8.0)?;
            let second = bench.second_build(&root, row.ours)?;
            built = Some((row.ours, root));
            rows.push(row);
            rows.push(second);
        }
    }
    if large && (wants(Group::Export) || wants(Group::Verify)) {
        let (build, root) = match built {
            Some(built) => built,
            None => {
                let (row, root) = bench.build(1_000_000, 8.0)?;
                (row.ours, root)
            }
        };
        let mut exported = None;
        if wants(Group::Export) {
            let (row, data) = bench.export(&root)?;
            exported = Some((row.ours, data));
            rows.push(row);
        }
        if wants(Group::Verify) {
            rows.push(bench.verify(&root, build)?);
            // The full verify (store, exported files, 1.2 million metadata.json) needs the
            // export above, its yardstick.
            if let Some((export, data)) = &exported {
                rows.push(bench.verify_full(data, *export)?);
            }
        }
    }
    print!("{}", report(&rows, args.runs));
    Ok(rows.iter().all(Row::met))
}

/// Paths and settings shared by the benchmarks.
struct Bench<'a> {
    args: &'a Args,
    bin: PathBuf,
}

impl<'a> Bench<'a> {
    fn new(args: &'a Args) -> Result<Self> {
        let bin = fs::canonicalize(&args.bin)
            .with_context(|| format!("{}: cannot resolve", args.bin.display()))?;
        if args.work.exists() {
            fs::remove_dir_all(&args.work)
                .with_context(|| format!("{}: cannot empty", args.work.display()))?;
        }
        fs::create_dir_all(&args.work)
            .with_context(|| format!("{}: cannot create", args.work.display()))?;
        Ok(Self { args, bin })
    }

    fn cohortdb(&self) -> Command {
        Command::new(&self.bin)
    }

    /// A bench data path, generated with `gen_specs.py ARGS` when it does not exist yet.
    fn data(&self, relative: &str, generate: &[&str]) -> Result<PathBuf> {
        let path = self.args.data.join(relative);
        if !path.exists() {
            eprintln!("generating {} …", path.display());
            let mut cmd = Command::new("python3");
            cmd.arg(&self.args.generator)
                .arg("--out")
                .arg(&self.args.data)
                .args(generate);
            measure(&mut cmd).with_context(|| {
                format!(
                    "{}: missing, and {} could not write it",
                    path.display(),
                    self.args.generator.display()
                )
            })?;
            ensure!(
                path.exists(),
                "{}: the generator did not write it",
                path.display()
            );
        }
        Ok(path)
    }

    /// A fresh folder under the work folder.
    fn scratch(&self, name: &str) -> Result<PathBuf> {
        let dir = self.args.work.join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("{}: cannot empty", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        Ok(dir)
    }

    /// The median sample of `runs` runs of `prepare` (untimed) then the returned command.
    fn median(&self, mut prepare: impl FnMut() -> Result<Command>) -> Result<Sample> {
        let mut samples = Vec::new();
        for _ in 0..self.args.runs {
            let mut cmd = prepare()?;
            samples.push(measure(&mut cmd)?);
        }
        samples.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        Ok(samples[samples.len() / 2])
    }

    /// Importing 1,000,000 combo-mapping rows, against the sqlite3 shell's `.import`.
    fn import(&self) -> Result<Vec<Row>> {
        let file = self.data(
            "catalogs/combo_mappings_1000000.csv",
            &["--roots", "--combo-rows", "1000000"],
        )?;
        let file = fs::canonicalize(&file)?;
        let dir = self.scratch("import")?;
        let sqlite = self.median(|| {
            let db = fresh_file(&dir.join("t.db"))?;
            let mut cmd = Command::new("sqlite3");
            cmd.arg(db)
                .arg("-cmd")
                .arg(".mode csv")
                .arg(format!(".import {} combo_mappings", file.display()));
            Ok(cmd)
        });
        let ours = self.median(|| {
            let db = fresh_file(&dir.join("cohorts.db"))?;
            let mut cmd = self.cohortdb();
            cmd.arg("--db")
                .arg(db)
                .args(["import", "combo_mappings"])
                .arg(&file);
            Ok(cmd)
        })?;
        let work = "import combo_mappings, 1,000,000 rows".to_owned();
        Ok(vec![match sqlite {
            Ok(base) => Row {
                work,
                ours,
                baseline: Some(("sqlite3 .import".to_owned(), base)),
                target: Target::TimesBaseline(2.5),
                mem_limit_mib: 100.0,
            },
            Err(err) => {
                eprintln!("note: sqlite3 baseline skipped: {err:#}");
                Row {
                    work,
                    ours,
                    baseline: None,
                    target: Target::TimesBaseline(2.5),
                    mem_limit_mib: 100.0,
                }
            }
        }])
    }

    /// Compiling a generated spec of `rows` design rows to a CSV file.
    fn compile(&self, rows: u64, target_secs: f64, mem_limit_mib: f64) -> Result<Row> {
        let spec = self.data(&format!("specs/rows_{rows}"), &[&rows.to_string()])?;
        let dir = self.scratch("compile")?;
        let out = dir.join("rows.csv");
        let ours = self.median(|| {
            let mut cmd = self.cohortdb();
            cmd.arg("compile").arg(&spec).arg("--out").arg(&out);
            Ok(cmd)
        })?;
        Ok(Row {
            work: format!("compile to CSV, {} rows", thousands(rows)),
            ours,
            baseline: None,
            target: Target::Seconds(target_secs),
            mem_limit_mib,
        })
    }

    /// Building the `bench` cohort of the root with `evaluations` evaluations into a fresh
    /// store; returns the row and the prepared root (store built, ready for export).
    fn build(&self, evaluations: u64, target_secs: f64) -> Result<(Row, Root)> {
        let source = self.data(
            &format!("roots/rows_{evaluations}"),
            &["--roots", &evaluations.to_string()],
        )?;
        let root = Root {
            data: fs::canonicalize(&source)?,
            db: self
                .scratch(&format!("build_{evaluations}"))?
                .join("cohorts.db"),
        };
        let ours = self.median(|| {
            fresh_file(&root.db)?;
            measure(root.command(self).arg("import"))?;
            let mut cmd = root.command(self);
            cmd.args(["build", "bench"]);
            Ok(cmd)
        })?;
        let row = Row {
            work: format!("build, {} evaluations", thousands(evaluations)),
            ours,
            baseline: None,
            target: Target::Seconds(target_secs),
            mem_limit_mib: 300.0,
        };
        Ok((row, root))
    }

    /// Building a second cohort from the same spec on a copy of the built store: every member's
    /// gen_id is already registered, so each one is probed against the registry and compared
    /// with the earlier cohort's member (D1, D2) — the worst case of a store that grows.
    fn second_build(&self, root: &Root, first: Sample) -> Result<Row> {
        let copy = Root {
            data: root.data.clone(),
            db: self.scratch("second_build")?.join("cohorts.db"),
        };
        let spec = root.data.join("cohorts/bench/spec");
        let ours = self.median(|| {
            fresh_file(&copy.db)?;
            fs::copy(&root.db, &copy.db).with_context(|| {
                format!(
                    "{}: cannot copy to {}",
                    root.db.display(),
                    copy.db.display()
                )
            })?;
            let mut cmd = copy.command(self);
            cmd.args(["build", "bench-again", "--spec"]).arg(&spec);
            Ok(cmd)
        })?;
        Ok(Row {
            work: "second build, same 1,000,000 evaluations".to_owned(),
            ours,
            baseline: Some(("the first build".to_owned(), first)),
            target: Target::TimesBaseline(3.0),
            mem_limit_mib: 300.0,
        })
    }

    /// Exporting the built cohort into a fresh data root, against `cp -r` of the exported
    /// `gens/` tree on the same filesystem. Returns the row and the exported data root.
    fn export(&self, root: &Root) -> Result<(Row, Root)> {
        let dir = self.scratch("export")?;
        let data = dir.join("data");
        copy_catalog_root(&root.data, &data)?;
        let target = Root {
            data: data.clone(),
            db: root.db.clone(),
        };
        let ours = self.median(|| {
            remove_if_exists(&data.join("gens"))?;
            remove_if_exists(&data.join("cohorts/bench/membership.csv"))?;
            let mut cmd = target.command(self);
            cmd.args(["export", "bench"]);
            Ok(cmd)
        })?;
        let copy = dir.join("gens-copy");
        let cp = self.median(|| {
            remove_if_exists(&copy)?;
            let mut cmd = Command::new("cp");
            cmd.arg("-r").arg(data.join("gens")).arg(&copy);
            Ok(cmd)
        })?;
        Ok((
            Row {
                work: "export, 1,000,000 evaluations (1.2M files)".to_owned(),
                ours,
                baseline: Some(("cp -r gens/".to_owned(), cp)),
                target: Target::TimesBaseline(3.0),
                mem_limit_mib: 300.0,
            },
            target,
        ))
    }

    /// The full `verify` of the exported cohort (store, exported files, every metadata.json
    /// field), against the time of its export.
    fn verify_full(&self, exported: &Root, export: Sample) -> Result<Row> {
        let ours = self.median(|| {
            let mut cmd = exported.command(self);
            cmd.args(["verify", "bench"]);
            Ok(cmd)
        })?;
        Ok(Row {
            work: "verify (store and files), 1,000,000 evaluations".to_owned(),
            ours,
            baseline: Some(("its export".to_owned(), export)),
            target: Target::TimesBaseline(1.5),
            mem_limit_mib: 300.0,
        })
    }

    /// `verify --store-only` of the built cohort, against the time of its build.
    fn verify(&self, root: &Root, build: Sample) -> Result<Row> {
        let ours = self.median(|| {
            let mut cmd = root.command(self);
            cmd.args(["verify", "bench", "--store-only"]);
            Ok(cmd)
        })?;
        Ok(Row {
            work: "verify --store-only, 1,000,000 evaluations".to_owned(),
            ours,
            baseline: Some(("its build".to_owned(), build)),
            target: Target::TimesBaseline(1.0),
            mem_limit_mib: 300.0,
        })
    }
}

/// A data root and the store it is imported into.
struct Root {
    data: PathBuf,
    db: PathBuf,
}

impl Root {
    fn command(&self, bench: &Bench<'_>) -> Command {
        let mut cmd = bench.cohortdb();
        cmd.arg("--db")
            .arg(&self.db)
            .arg("--data-root")
            .arg(&self.data);
        cmd
    }
}

/// Copies the catalogs and cohort specs of a bench root (not its outputs) to `to`.
fn copy_catalog_root(from: &Path, to: &Path) -> Result<()> {
    let mut cmd = Command::new("cp");
    cmd.arg("-r").arg(from).arg(to);
    measure(&mut cmd)?;
    remove_if_exists(&to.join("gens"))
}

fn remove_if_exists(path: &Path) -> Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match result {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("{}: cannot remove", path.display()))
        }
        _ => Ok(()),
    }
}

/// Removes a database file and its WAL companions; returns the path for chaining.
fn fresh_file(path: &Path) -> Result<PathBuf> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        remove_if_exists(Path::new(&name))?;
    }
    Ok(path.to_owned())
}

/// Runs a command to completion with its output discarded, measuring its wall time and its
/// peak resident memory; a failed command is an error carrying its stderr.
fn measure(cmd: &mut Command) -> Result<Sample> {
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

fn thousands(n: u64) -> String {
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

/// The report as a Markdown table, ready to paste into `docs/benchmarks.md`.
fn report(rows: &[Row], runs: u32) -> String {
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
        };
        let _ = writeln!(
            out,
            "| {} | {:.2} s | {:.0} MiB | {baseline} | {target}, < {} MiB | {} |",
            row.work,
            row.ours.secs,
            row.ours.peak_mib(),
            row.mem_limit_mib,
            if row.met() { "met" } else { "MISSED" },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn measure_reports_time_memory_and_failures() {
        let sample = measure(Command::new("true").arg("x")).expect("`true` runs");
        assert!(sample.secs >= 0.0);
        assert!(
            sample.peak_kib > 0,
            "ru_maxrss of a real process is positive"
        );
        let err = measure(Command::new("sh").args(["-c", "echo boom >&2; exit 3"]))
            .expect_err("a failing command is an error");
        assert!(format!("{err:#}").contains("boom"));
    }

    #[test]
    fn a_row_meets_its_target_only_within_time_and_memory() {
        let sample = |secs, mib: u64| Sample {
            secs,
            peak_kib: mib * 1024,
        };
        let row = |ours, target| Row {
            work: String::new(),
            ours,
            baseline: Some(("b".to_owned(), sample(1.0, 10))),
            target,
            mem_limit_mib: 100.0,
        };
        assert!(row(sample(2.4, 50), Target::TimesBaseline(2.5)).met());
        assert!(!row(sample(2.6, 50), Target::TimesBaseline(2.5)).met());
        assert!(!row(sample(0.1, 100), Target::Seconds(1.0)).met());
        assert!(row(sample(0.9, 99), Target::Seconds(1.0)).met());
    }
}
