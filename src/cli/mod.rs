//! The command line: clap types (their doc comments are the help text) and the dispatch.
//! No logic lives here beyond turning arguments into library calls; see one file per command.

mod backup;
mod build;
mod catalog;
mod cohorts;
pub mod colour;
mod compile;
mod completions;
#[cfg(feature = "postgres")]
mod copy;
mod diff;
pub mod entry;
mod explain;
mod export;
mod import;
mod init;
mod migrate;
mod new;
mod out;
mod progress;
mod query;
mod render;
mod results;
mod show;
mod sql;
mod status;
mod verify;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// A command's exit status: 0 success, 1 a check found a difference, 2 an error, 130 stopped by
/// Ctrl-C. Like `super::ExitCode`, but its number can be read: the Python package's
/// `cohortdb` command returns it to its interpreter ([`entry::cli_main`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitCode(u8);

impl ExitCode {
    /// Success (0).
    pub const SUCCESS: ExitCode = ExitCode(0);

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self.0
    }
}

impl From<u8> for ExitCode {
    fn from(code: u8) -> ExitCode {
        ExitCode(code)
    }
}

/// An embedded SQLite catalog and cohort store for LLM experiment pipelines.
#[derive(Debug, Parser)]
#[command(name = "cohortdb", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after the subcommand.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The store: an SQLite file, or a team store's postgres://USER@HOST:PORT/DB?sslmode=… URL
    /// (docs/postgres.md; its password is never printed) [default: the project file's `db`
    /// (cohortdb.yaml, found in this folder or above), else cohorts.db]
    // `hide_env_values`: `--help` would print the variable's value, and a URL may hold a password.
    #[arg(
        long = "db",
        global = true,
        env = "COHORTDB_DB",
        hide_env_values = true,
        value_name = "PATH"
    )]
    db_arg: Option<PathBuf>,
    /// The data layout root (1_raw/, combo_mappings.csv, cohorts/, gens/) [default: the
    /// project file's `data_root`, else data]
    #[arg(
        long = "data-root",
        global = true,
        env = "COHORTDB_DATA_ROOT",
        value_name = "DIR"
    )]
    data_root_arg: Option<PathBuf>,
    /// No progress bars and no warnings on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour the error, warning and hint prefixes: auto (on a terminal, unless NO_COLOR is
    /// set; CLICOLOR_FORCE forces it), always or never
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = colour::ColorWhen::Auto,
        value_name = "WHEN"
    )]
    pub color: colour::ColorWhen,
    /// When stderr is not a terminal (a CI or scheduler log): one progress line per this many
    /// seconds of a long command; 0: a line as each step starts and ends [default: 5]
    #[arg(
        long,
        global = true,
        env = progress::PROGRESS_EVERY_VAR,
        value_name = "SECONDS"
    )]
    pub progress_every: Option<u64>,
    /// The store file in use: from --db, else the project file, else the default.
    #[arg(skip)]
    pub db: PathBuf,
    /// The data root in use: from --data-root, else the project file, else the default.
    #[arg(skip)]
    pub data_root: PathBuf,
    /// The project file the paths came from, if any.
    #[arg(skip)]
    pub project: Option<PathBuf>,
}

/// Parses the command line, with `--color` applied to clap's own messages too.
pub fn parse_from(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    colour::set(colour::from_args(args.iter().cloned()));
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command()))
}

/// The clap command, coloured as `--color` says (for the errors the shell raises itself).
pub fn command() -> clap::Command {
    Cli::command().color(colour::clap_choice())
}

impl Global {
    /// Fills `db`, `data_root` and `project` (docs/cli.md, "The project file").
    fn locate(&mut self) -> anyhow::Result<()> {
        let cwd = std::env::current_dir().context("the current folder")?;
        let found =
            crate::app::project::locate(self.db_arg.clone(), self.data_root_arg.clone(), &cwd)?;
        self.db = found.db;
        self.data_root = found.data_root;
        self.project = found.project;
        Ok(())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or migrate the store, the data layout's folders and the project file; in an
    /// empty folder also the starter catalogs (unless --bare).
    Init(init::InitArgs),
    /// Start a new cohort: write its spec folder (a starter spec over the imported catalogs,
    /// or a copy of a stored cohort's spec with --from).
    New(new::NewArgs),
    /// Import catalogs append-only: every file of the data layout, or one KIND FILE.
    Import(import::ImportArgs),
    /// Compile a spec into its design rows (CSV or JSONL), exactly as the reference does.
    Compile(compile::CompileArgs),
    /// Print the SQL a spec compiles to (values as ?N placeholders) and each table's rows.
    Sql(sql::SqlArgs),
    /// Show a spec's plan step by step: axes, each rule's effect, the row count, the columns.
    Explain(explain::ExplainArgs),
    /// Build a cohort: validate against the catalogs, derive members with reference gen_ids,
    /// and store an immutable, content-hashed record.
    Build(build::BuildArgs),
    /// Write a stored cohort's canonical files: membership.csv, manifest.json, spec/,
    /// cohort.lock.json, and the members' metadata.json under gens/.
    Export(export::ExportArgs),
    /// Prove a stored cohort reproduces from its hash, and that its exported files are intact.
    Verify(verify::VerifyArgs),
    /// List the stored cohorts.
    Cohorts(render::FormatArgs),
    /// Run one read-only SQL statement against the store.
    Query(query::QueryArgs),
    /// Copy the store, consistently and while in use, to a new self-contained file.
    Backup(backup::BackupArgs),
    /// Turn legacy cohorts into specs: from a membership.csv, or from active flags and curated
    /// lists; `--check` proves the spec reproduces the members.
    #[command(subcommand)]
    Migrate(migrate::MigrateCommand),
    /// Maintain catalog files (`strip-active`).
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// What is stale: spec folders edited since the build, exports missing or differing from
    /// the record, newer cohorts sharing gen_ids. Exit 0 when current, 1 when anything is stale.
    Status(status::StatusArgs),
    /// A stored cohort: its record, its stored spec (`--spec`, `--spec-out DIR`) and a balance
    /// table of members per level of each axis.
    Show(show::ShowArgs),
    /// What differs between two cohorts (stored ids or spec folders): members added and removed
    /// per stage, spec changes, referenced catalog rows. Exit 0 when identical, 1 when not.
    Diff(diff::DiffArgs),
    /// Write the reference's results files for a cohort under cohorts/<id>/reports/ (from the
    /// results ledger; `import gens` first), or print its rows with --format csv|json.
    Scores(results::ScoresArgs),
    /// The results ledger: `results verify` re-hashes every imported output file,
    /// `results progress COHORT_ID` counts each stage's outputs.
    #[command(subcommand)]
    Results(results::ResultsCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print a man page in roff: cohortdb(1), or a command's (`cohortdb man build`); `--out
    /// DIR` writes them all.
    Man(completions::ManArgs),
    /// Copy cohorts, with the catalog rows and registry entries they need, from this store
    /// (--db) to another (an SQLite path or a postgres:// URL); re-hashed on arrival.
    #[cfg(feature = "postgres")]
    Push(copy::PushArgs),
    /// Copy cohorts, with what they need, from another store into this one (--db).
    #[cfg(feature = "postgres")]
    Pull(copy::PullArgs),
}

/// What every command runs with: the global options, the stop token Ctrl-C sets, and the
/// progress shown on stderr.
pub struct Session {
    /// The global options.
    pub global: Global,
    /// Set on Ctrl-C.
    pub cancel: crate::app::Cancel,
    /// Bars on a terminal, lines in a log.
    pub progress: std::sync::Arc<progress::Progress>,
}

/// After Ctrl-C, how long a command has to stop on its own (rolling back its transaction)
/// before the process exits anyway: a read or write blocked in the kernel (SQL from a terminal,
/// a full pipe) never checks the stop token.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// The exit status after Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

impl Session {
    /// A session for `global`: Ctrl-C stops the command (a second one, or a command that does
    /// not stop within [`STOP_GRACE`], ends the process with status 130); progress goes to
    /// stderr unless `--quiet`.
    pub fn new(global: Global) -> Session {
        let cancel = crate::app::Cancel::new();
        let progress = std::sync::Arc::new(progress::Progress::new(
            global.quiet,
            global.progress_every.map(std::time::Duration::from_secs),
        ));
        {
            let cancel = cancel.clone();
            // One handler per process; `set_handler` fails only when one exists already.
            // `process::exit` is the way out only for a command that did not stop by itself: it
            // is blocked in the kernel (reading SQL from a terminal, writing to a full pipe) or
            // the user insists. Nothing is half-written by it: the store's open transaction is
            // rolled back by SQLite's WAL, exported files are renamed into place whole.
            #[allow(clippy::disallowed_methods)]
            let _ = ctrlc::set_handler(move || {
                if cancel.is_cancelled() {
                    std::process::exit(i32::from(INTERRUPTED));
                }
                cancel.cancel();
                std::thread::spawn(|| {
                    std::thread::sleep(STOP_GRACE);
                    let _ = writeln!(std::io::stderr(), "error: interrupted");
                    std::process::exit(i32::from(INTERRUPTED));
                });
            });
        }
        {
            // Off a terminal, work without counts still shows a line every few seconds.
            let progress = std::sync::Arc::downgrade(&progress);
            std::thread::spawn(move || {
                while let Some(progress) = progress.upgrade() {
                    progress.tick();
                    drop(progress);
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            });
        }
        Session {
            global,
            cancel,
            progress,
        }
    }

    /// The context a library command runs with.
    pub fn ctx(&self) -> crate::app::Context<'_> {
        crate::app::Context::new(&*self.progress, &self.cancel)
    }

    /// The store and data root of this run.
    pub fn workspace(&self) -> crate::app::Workspace {
        crate::app::Workspace::new(&self.global.db, &self.global.data_root)
    }

    /// Prints a warning on stderr unless `--quiet`.
    pub fn warn(&self, message: &str) {
        render::warn(&self.global, message);
    }

    /// A status line on stderr (not a warning), unless `--quiet`: the report of a command
    /// whose stdout carries data (`backup -`).
    pub fn warn_line(&self, line: &str) {
        if !self.global.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "{}",
                crate::textfmt::visible(line)
            );
        }
    }
}

/// Runs a parsed command line.
pub fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    if !matches!(cli.command, Command::Completions(_) | Command::Man(_)) {
        cli.global.locate()?;
    }
    let session = Session::new(cli.global);
    let s = &session;
    match cli.command {
        Command::Init(args) => init::run(s, &args),
        Command::New(args) => new::run(s, args),
        Command::Import(args) => import::run(s, args),
        Command::Compile(args) => compile::run(s, args),
        Command::Sql(args) => sql::run(s, args),
        Command::Explain(args) => explain::run(s, args),
        Command::Build(args) => build::run(s, args),
        Command::Export(args) => export::run(s, args),
        Command::Verify(args) => verify::run(s, args),
        Command::Cohorts(format) => cohorts::run(s, &format),
        Command::Query(args) => query::run(s, args),
        Command::Backup(args) => backup::run(s, args),
        Command::Migrate(command) => migrate::run(s, command),
        Command::Catalog(command) => catalog::run(&s.global, command),
        Command::Status(args) => status::run(s, args),
        Command::Show(args) => show::run(s, args),
        Command::Diff(args) => diff::run(s, args),
        Command::Scores(args) => results::scores(s, args),
        Command::Results(command) => results::run(s, command),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        #[cfg(feature = "postgres")]
        Command::Push(args) => copy::push(s, args),
        #[cfg(feature = "postgres")]
        Command::Pull(args) => copy::pull(s, args),
    }
}
