//! cohortdb: an embedded SQLite catalog and cohort store for LLM experiment pipelines.
//!
//! Data flow:
//! 1. [`catalog`] imports CSV catalogs append-only into the [`store`] (SQLite, migrations in
//!    `migrations/`, every fixed statement in `sql/`).
//! 2. [`spec`] loads a YAML/JSON spec with its `@file:` includes into a validated `Spec`, and
//!    resolves its rules into a `Plan` (the reference semantics, docs/reference.md §2).
//! 3. [`compile`] turns a plan into SQL (tables of levels loaded with bound parameters, a
//!    product ordered by the level ordinals) and streams the design rows as CSV or JSONL.
//! 4. [`cohort`] builds in stages (design → members → checks → manifest) the draft/essay/
//!    evaluation members with the reference gen_ids; [`record`] hashes and stores them as an
//!    immutable, content-hashed record; [`export`] writes the canonical files (formats and the
//!    atomic writer in [`layout`]) and [`verify`] proves a record reproduces.
//!
//! Modules import only downward (`docs/architecture.md`). Nothing outside `cli/` prints or
//! exits: the command line is part of the library ([`cli_main`]) so that the `cohortdb` binary
//! and the Python package's `cohortdb` command are one program.

#![warn(missing_docs)]

pub mod app;
pub mod catalog;
// The command line's doc comments are its `--help` text (clap), written for a terminal:
// `cohorts/<id>/` there is a path, not an HTML tag.
#[allow(rustdoc::invalid_html_tags)]
mod cli;
pub mod cohort;
pub mod compile;
pub mod csvread;
pub mod diff;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod ids;
pub mod layout;
pub mod migrate;
pub mod query;
pub mod record;
pub mod replicate;
pub mod results;
pub mod seed;
pub mod show;
pub mod spec;
pub mod status;
pub mod store;
pub mod team;
pub mod textfmt;
pub mod verify;

pub use cli::entry::cli_main;
pub use error::{
    CohortLookup, Error, ExportError, Location, MigrationFailure, ReadOnlyError, Result,
    StoreProblem, UsageError,
};
pub use store::Store;
