//! The command line: clap types (their doc comments are the help text) and the dispatch.
//! No logic lives here beyond turning arguments into library calls; see one file per command.

mod import;
mod init;
mod query;
mod render;

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
    /// Run one read-only SQL statement against the store.
    Query(query::QueryArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Init => init::run(&global),
        Command::Import(args) => import::run(&global, args),
        Command::Query(args) => query::run(&global, args),
    }
}
