//! The command line: clap types (their doc comments are the help text) and the dispatch.
//! No logic lives here beyond turning arguments into library calls; see one file per command.

mod backup;
mod build;
mod catalog;
mod cohorts;
mod compile;
mod completions;
mod diff;
mod explain;
mod export;
mod import;
mod init;
mod migrate;
mod out;
mod query;
mod render;
mod show;
mod sql;
mod status;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

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
pub struct Global {
    /// The SQLite store file.
    #[arg(
        long,
        global = true,
        env = "COHORTDB_DB",
        default_value = "cohorts.db",
        value_name = "PATH"
    )]
    pub db: PathBuf,
    /// The data layout root (1_raw/, combo_mappings.csv, cohorts/, gens/).
    #[arg(
        long,
        global = true,
        env = "COHORTDB_DATA_ROOT",
        default_value = "data",
        value_name = "DIR"
    )]
    pub data_root: PathBuf,
    /// No progress bars and no warnings on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or migrate the store; prints its path and schema version.
    Init,
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page cohortdb(1) in roff.
    Man,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Init => init::run(&global),
        Command::Import(args) => import::run(&global, args),
        Command::Compile(args) => compile::run(&global, args),
        Command::Sql(args) => sql::run(&global, args),
        Command::Explain(args) => explain::run(&global, args),
        Command::Build(args) => build::run(&global, args),
        Command::Export(args) => export::run(&global, args),
        Command::Verify(args) => verify::run(&global, args),
        Command::Cohorts(format) => cohorts::run(&global, &format),
        Command::Query(args) => query::run(&global, args),
        Command::Backup(args) => backup::run(&global, args),
        Command::Migrate(command) => migrate::run(&global, command),
        Command::Catalog(command) => catalog::run(&global, command),
        Command::Status(args) => status::run(&global, args),
        Command::Show(args) => show::run(&global, args),
        Command::Diff(args) => diff::run(&global, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
    }
}

/// Opens the store for a writing command and runs `f`. When the command fails and the store
/// file did not exist before it, the file is removed again: a refused first command leaves
/// nothing behind.
fn with_new_or_existing_store<T>(
    global: &Global,
    f: impl FnOnce(&mut cohortdb::Store) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let existed = global.db.exists();
    let result = cohortdb::Store::open(&global.db)
        .map_err(anyhow::Error::from)
        .and_then(|mut store| f(&mut store));
    if result.is_err() && !existed {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = global.db.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

/// Loads and resolves a spec; refuses a product of more axes than one SQLite join holds
/// (before `explain`, `compile`, `sql` or `build` writes anything).
fn load_plan(
    path: &std::path::Path,
) -> anyhow::Result<(cohortdb::spec::Spec, cohortdb::spec::Plan)> {
    let spec = cohortdb::spec::load_path(path)?;
    let plan = cohortdb::spec::resolve(&spec)?;
    cohortdb::compile::check_axes(&plan)?;
    Ok((spec, plan))
}

/// Refuses a product larger than `--max-rows`, before any work (`explain` shows the count).
fn check_max_rows(plan: &cohortdb::spec::Plan, max_rows: u128) -> anyhow::Result<()> {
    let rows = plan.row_count();
    if rows > max_rows {
        return Err(
            cohortdb::Error::from(cohortdb::UsageError::TooManyRows { rows, max_rows }).into(),
        );
    }
    Ok(())
}
