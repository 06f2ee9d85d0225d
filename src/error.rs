//! The library's one error type and the `Location` every user-caused error carries.
//!
//! Each failure family is a variant carrying its data (`store`, `usage`, `build`, `migrate`,
//! `data`, `spec`, `catalog` and `export` hold the families' enums); the text is rendered from the data by `Display`. Nothing here
//! prints or exits: `cli::entry` prints `error: {err}`, then the [`Error::detail`] lines, then the
//! [`Error::hints`] as `hint: …` lines, and maps every error to exit status 2
//! (docs/architecture.md, "Errors").

use std::fmt;
use std::path::Path;

mod build;
/// How many missing ids of one role a refused build names (the rest are counted).
pub(crate) use build::SHOWN_IDS;
mod catalog;
mod data;
mod export;
mod migrate;
mod results;
mod spec;
mod spec_hints;
mod store;
mod team;
mod usage;

pub use build::{
    BuildError, BuildErrorKind, Disagreement, FieldDiff, MissingId, MissingIds, SharedId,
};
pub use catalog::{CHANGED_HINT, CatalogError, CatalogErrorKind, RowProblem};
pub use data::{DataError, DataErrorKind, ListLine, MetaError};
pub use export::{Access, ExportError, MetadataClash};
pub use migrate::{MigrateError, RenamedId};
pub use results::ResultsError;
pub use spec::{SpecError, SpecErrorKind};
pub use store::{Cause, MigrationFailure, StoreProblem};
#[cfg(feature = "postgres")]
pub use team::pg_text;
pub use team::{TeamError, TeamErrorKind, UrlProblem};
pub use usage::{CohortLookup, ReadOnlyError, UsageError};

/// Where in the user's input something is: a file, optionally a line and column, optionally a
/// YAML/JSON path inside the file (`axes.flag[0]`).
///
/// Displays as `path:line:column` (the form editors jump to) followed by `: yaml.path` when one
/// is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file as the user named it (or as it is stored in a bundle).
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// Path inside a structured document, e.g. `rules.pairs.p.allowed[1]`.
    pub yaml_path: Option<String>,
}

impl Location {
    /// A whole file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Location {
            path: path.as_ref().display().to_string(),
            ..Location::default()
        }
    }

    /// A line of a file.
    pub fn line(path: impl AsRef<Path>, line: u64) -> Self {
        Location {
            line: Some(narrow(line)),
            ..Location::file(path)
        }
    }

    /// A line and column of a file.
    pub fn line_col(path: impl AsRef<Path>, line: u64, column: u64) -> Self {
        Location {
            line: Some(narrow(line)),
            column: Some(narrow(column)),
            ..Location::file(path)
        }
    }

    /// A position reported by a parser (line and column when it knows them).
    pub fn position(path: impl AsRef<Path>, line: Option<u64>, column: Option<u64>) -> Self {
        Location {
            line: line.map(narrow),
            column: column.map(narrow),
            ..Location::file(path)
        }
    }

    /// A path inside a structured file.
    pub fn yaml(path: impl AsRef<Path>, yaml_path: impl Into<String>) -> Self {
        let yaml_path = yaml_path.into();
        Location {
            yaml_path: if yaml_path.is_empty() {
                None
            } else {
                Some(yaml_path)
            },
            ..Location::file(path)
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(yaml_path) = &self.yaml_path {
            write!(f, ": {yaml_path}")?;
        }
        Ok(())
    }
}

/// Lines and columns are kept as u32 (keeps `Error` small); larger values saturate.
fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Every way a cohortdb operation can fail: one variant per failure family, each carrying its
/// data; [`Display`](fmt::Display) renders the first line, [`Error::detail`] and
/// [`Error::hints`] the lines after it.
///
/// A cause (the OS's, SQLite's or refinery's error) is kept as the variant's `source` and its
/// text appears once, in the first line; `cli::entry` does not print the chain below a library
/// error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {}", io_text(source))]
    Io {
        /// The file or directory.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An SQL statement against the store failed.
    #[error("store: {query}: {}", sqlite_text(source))]
    Db {
        /// The name of the statement (its file under `sql/`, or what it does).
        query: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// Applying the schema migrations, or reading the schema version, failed.
    #[error("store {path}: schema migration failed: {failure}")]
    Migrate {
        /// The store file.
        path: String,
        /// What failed, with refinery's error as its source.
        #[source]
        failure: MigrationFailure,
    },
    /// The store file cannot be used: empty, another format or application, damaged, or written
    /// by a newer cohortdb. Nothing was changed.
    #[error("store {path}: {problem}")]
    BadStore {
        /// The store file.
        path: String,
        /// What is wrong, and the way out.
        #[source]
        problem: StoreProblem,
    },
    /// The store file does not exist (a read-only command was run before anything was stored).
    #[error("no store at {path}: run `cohortdb import` (or `cohortdb init`) first")]
    NoStore {
        /// The store file that was looked for.
        path: String,
    },
    /// A spec (or a file it includes, or a `--catalog` JSON file) is invalid.
    #[error(transparent)]
    Spec(Box<SpecError>),
    /// A catalog file is invalid, or importing it would change stored rows.
    #[error(transparent)]
    Catalog(Box<CatalogError>),
    /// A data file other than a catalog or spec (membership.csv, a metadata.json, a curated
    /// list) is invalid.
    #[error(transparent)]
    Data(Box<DataError>),
    /// A command-line value or combination, or a file named on the command line, cannot be
    /// used.
    #[error(transparent)]
    Argument(Box<UsageError>),
    /// `migrate` or `catalog strip-active` refused to write; nothing was written.
    #[error(transparent)]
    Migration(MigrateError),
    /// A build was refused; nothing was stored.
    #[error(transparent)]
    Build(Box<BuildError>),
    /// A statement given to `query` would write, or is not a single statement.
    #[error(transparent)]
    ReadOnly(ReadOnlyError),
    /// An invariant the code relies on did not hold: a bug (or a store changed behind
    /// cohortdb's back), never a user mistake.
    #[error("internal error: {invariant}{}", if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
    Internal {
        /// The invariant that broke.
        invariant: &'static str,
        /// What was found instead.
        detail: String,
    },
    /// An export (or `show --spec-out`, or `backup`) refused to write; nothing was written.
    #[error(transparent)]
    Export(Box<ExportError>),
    /// The command was stopped (Ctrl-C, Python's `KeyboardInterrupt`, `close()`) before it
    /// finished: a store write was rolled back; files already written are complete ones.
    #[error("interrupted before it finished")]
    Interrupted,
    /// `import gens`, `scores` or `results verify` refused; nothing was recorded or written.
    #[error(transparent)]
    Results(Box<ResultsError>),
    /// A team store (PostgreSQL), its mirror, or a copy between stores failed; nothing was
    /// written (docs/postgres.md).
    #[error(transparent)]
    Team(Box<TeamError>),
}

impl From<TeamError> for Error {
    fn from(e: TeamError) -> Self {
        Error::Team(Box::new(e))
    }
}

impl From<ResultsError> for Error {
    fn from(e: ResultsError) -> Self {
        Error::Results(Box::new(e))
    }
}

impl From<SpecError> for Error {
    fn from(e: SpecError) -> Self {
        Error::Spec(Box::new(e))
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Argument(Box::new(e))
    }
}

impl From<MigrateError> for Error {
    fn from(e: MigrateError) -> Self {
        Error::Migration(e)
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Error::Build(Box::new(e))
    }
}

impl From<ExportError> for Error {
    fn from(e: ExportError) -> Self {
        Error::Export(Box::new(e))
    }
}

impl From<ReadOnlyError> for Error {
    fn from(e: ReadOnlyError) -> Self {
        Error::ReadOnly(e)
    }
}

impl Error {
    /// The lines to print after the first `error: …` line and before the hints: lists,
    /// side-by-side pairs, explanations.
    pub fn detail(&self) -> Vec<String> {
        match self {
            Error::Spec(e) => e.kind.detail(),
            Error::Catalog(e) => e.kind.detail(),
            Error::Argument(e) => e.detail(),
            Error::Build(e) => e.detail(),
            Error::Migration(e) => e.detail(),
            Error::Export(e) => e.detail(),
            _ => Vec::new(),
        }
    }

    /// What the user can do about it, one hint a line (printed as `hint: …` after the detail).
    pub fn hints(&self) -> Vec<String> {
        match self {
            Error::Spec(e) => e.kind.hints(),
            Error::Catalog(e) => e.kind.hints(),
            Error::Argument(e) => e.hints(),
            Error::Build(e) => e.hints(),
            Error::Migration(e) => e.hints(),
            Error::Export(e) => e.hints(),
            Error::Results(e) => e.hints(),
            Error::NoStore { .. } => vec![
                "run it in the project's folder or below (where `cohortdb init` wrote \
                 cohortdb.yaml), or name the store with --db (docs/cli.md, \"The project file\")"
                    .into(),
            ],
            _ => Vec::new(),
        }
    }

    /// The error's kind as a stable snake_case name (for a JSON error output or a binding's
    /// exception class), without matching every variant.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::Db { .. } => "db",
            Error::Migrate { .. } => "migration",
            Error::BadStore { .. } => "bad_store",
            Error::NoStore { .. } => "no_store",
            Error::Spec(_) => "spec",
            Error::Catalog(_) => "catalog",
            Error::Data(_) => "data",
            Error::Argument(_) => "usage",
            Error::ReadOnly(_) => "read_only",
            Error::Build(_) => "build",
            Error::Migration(_) => "migrate_refused",
            Error::Internal { .. } => "internal",
            Error::Export(_) => "export_refused",
            Error::Interrupted => "interrupted",
            Error::Results(_) => "results_refused",
            Error::Team(_) => "team",
        }
    }

    /// Where in the user's input the problem is, when the error knows.
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::Spec(e) => Some(e.loc.clone()),
            Error::Catalog(e) => Some(e.loc.clone()),
            Error::Data(e) => Some(e.loc.clone()),
            Error::Io { path, .. }
            | Error::Migrate { path, .. }
            | Error::BadStore { path, .. }
            | Error::NoStore { path } => Some(Location::file(path)),
            Error::Argument(e) => e.file().map(Location::file),
            Error::Migration(e) => e.file().map(Location::file),
            Error::Export(e) => e.file().map(Location::file),
            Error::Results(e) => e.file().map(Location::file),
            _ => None,
        }
    }

    /// The offending value, when the error names one.
    pub fn value(&self) -> Option<String> {
        match self {
            Error::Argument(e) => e.value(),
            Error::Build(e) => Some(e.cohort.clone()),
            Error::Data(e) => e.kind.value(),
            Error::Spec(e) => e.kind.value(),
            Error::Catalog(e) => e.kind.value(),
            Error::Export(e) => e.value(),
            Error::Results(e) => e.value(),
            _ => None,
        }
    }

    /// A data file problem (see [`Error::Data`]).
    pub fn data(loc: Location, kind: DataErrorKind) -> Self {
        Error::Data(Box::new(DataError { loc, kind }))
    }

    /// A broken invariant (see [`Error::Internal`]).
    pub fn internal(invariant: &'static str, detail: impl Into<String>) -> Self {
        Error::Internal {
            invariant,
            detail: detail.into(),
        }
    }

    /// A spec problem (see [`Error::Spec`]).
    pub fn spec(loc: Location, kind: SpecErrorKind) -> Self {
        Error::Spec(Box::new(SpecError { loc, kind }))
    }

    /// A catalog problem (see [`Error::Catalog`]).
    pub fn catalog(loc: Location, kind: CatalogErrorKind) -> Self {
        Error::Catalog(Box::new(CatalogError { loc, kind }))
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A store that cannot be used.
    pub fn bad_store(path: impl AsRef<Path>, problem: StoreProblem) -> Self {
        Error::BadStore {
            path: path.as_ref().display().to_string(),
            problem,
        }
    }

    /// True when the error is a closed pipe on output (the reader went away; not a failure).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// SQLite's message for `e`, once: rusqlite's `SqliteFailure` displays the message SQLite gave,
/// and its source repeats the code (`Error code 23: …`); callers print only this text.
/// Damage and interruption are named in words a person can act on.
pub fn sqlite_text(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    let text = sqlite_said(e);
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            format!("{text} (the store file is damaged; restore it from a backup)")
        }
        Some(ErrorCode::DiskFull) => {
            format!("{text} (no space left on a device: the store's, or its temporary files')")
        }
        Some(ErrorCode::OperationInterrupted) => "interrupted".to_string(),
        Some(ErrorCode::DatabaseBusy) => format!(
            "{text} (another connection kept the store locked for as long as cohortdb waits: a \
             writer in another process, or a transaction left open, e.g. by Python's sqlite3; \
             finish it and run again)"
        ),
        _ => match unfinished_write(e) {
            Some(file) => format!(
                "a writer stopped before finishing its work on the store, which waits in its \
                 {file} file, and only a user who may write the store can complete it; the \
                 store's owner runs any cohortdb command once (e.g. `cohortdb init`)"
            ),
            None => text,
        },
    }
}

/// SQLite's own message for `e`, once and capped, with nothing added.
pub(crate) fn sqlite_said(e: &rusqlite::Error) -> String {
    let text = match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqliteFailure(f, None) => f.to_string(),
        other => other.to_string(),
    };
    crate::textfmt::capped(&text)
}

/// When `e` says a read-only connection met work a writer left unfinished, the file it waits
/// in: `-journal` (a hot rollback journal, SQLITE_READONLY_ROLLBACK) or `-wal` (a write-ahead
/// log that needs recovery, SQLITE_READONLY_RECOVERY or _CANTINIT).
pub fn unfinished_write(e: &rusqlite::Error) -> Option<&'static str> {
    use rusqlite::ffi;
    match e.sqlite_error()?.extended_code {
        ffi::SQLITE_READONLY_ROLLBACK => Some("-journal"),
        ffi::SQLITE_READONLY_RECOVERY | ffi::SQLITE_READONLY_CANTINIT => Some("-wal"),
        _ => None,
    }
}

/// The operating system's message for `e` (its `Display`, capped).
fn io_text(e: &std::io::Error) -> String {
    crate::textfmt::capped(&e.to_string())
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches a statement name to rusqlite errors: `stmt.execute(..).db("catalog_insert")?`.
pub(crate) trait DbContext<T> {
    /// Maps the error to [`Error::Db`] naming `query`.
    fn db(self, query: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, rusqlite::Error> {
    fn db(self, query: &'static str) -> Result<T> {
        self.map_err(|source| Error::Db { query, source })
    }
}

/// Attaches a path to I/O errors: `fs::read(p).at(p)?`.
pub(crate) trait IoContext<T> {
    /// Maps the error to [`Error::Io`] naming `path`.
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::result::Result<T, std::io::Error> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|source| Error::io(path, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_displays_like_an_editor_position() {
        assert_eq!(Location::line_col("a.csv", 3, 2).to_string(), "a.csv:3:2");
        assert_eq!(Location::line("a.csv", 3).to_string(), "a.csv:3");
        assert_eq!(
            Location::yaml("c.yaml", "axes.flag[0]").to_string(),
            "c.yaml: axes.flag[0]"
        );
        assert_eq!(Location::yaml("c.yaml", "").to_string(), "c.yaml");
    }

    /// The first line, detail and hints as `cli::entry` prints them.
    fn printed(err: &Error) -> Vec<String> {
        let mut lines = vec![format!("error: {err}")];
        lines.extend(err.detail().into_iter().map(|l| format!("  {l}")));
        lines.extend(err.hints().into_iter().map(|h| format!("  hint: {h}")));
        lines
    }

    #[test]
    fn store_problems_render_once_with_the_way_out() {
        let err = Error::bad_store("s.db", StoreProblem::Empty);
        assert_eq!(
            err.to_string(),
            "store s.db: the file is empty (0 bytes), not a cohortdb store; remove it if a failed \
             command left it, or point --db at the store"
        );
        assert_eq!(err.kind_name(), "bad_store");
        assert_eq!(err.location(), Some(Location::file("s.db")));
        let newer = Error::bad_store(
            "s.db",
            StoreProblem::Newer {
                version: 9,
                latest: 4,
            },
        );
        assert!(
            newer
                .to_string()
                .ends_with("schema version 9, newer than this cohortdb knows (4); use the cohortdb that wrote it, or a newer one"),
            "{newer}"
        );
        let outdated = Error::Migrate {
            path: "s.db".into(),
            failure: MigrationFailure::Outdated {
                recorded: 1,
                latest: 3,
            },
        };
        assert_eq!(
            outdated.to_string(),
            "store s.db: schema migration failed: the store has schema version 1 but this \
             cohortdb needs 3; run `cohortdb init` to migrate it"
        );
        assert_eq!(outdated.kind_name(), "migration");
    }

    #[test]
    fn a_store_kept_locked_and_a_writer_s_unfinished_work_are_said_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch("create table t(x); begin immediate; insert into t values (1);")
            .unwrap();
        let waiter = rusqlite::Connection::open(&path).unwrap();
        waiter
            .busy_timeout(std::time::Duration::from_millis(10))
            .unwrap();
        let busy = waiter
            .execute_batch("begin immediate")
            .expect_err("the holder has the write lock");
        let text = sqlite_text(&busy);
        assert!(
            text.starts_with("database is locked (another connection kept the store locked")
                && text.contains("Python's sqlite3"),
            "{text}"
        );
        let journal = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY_ROLLBACK),
            Some("attempt to write a readonly database".into()),
        );
        assert_eq!(unfinished_write(&journal), Some("-journal"));
        let text = sqlite_text(&journal);
        assert!(
            text.contains("waits in its -journal file") && !text.contains("readonly"),
            "{text}"
        );
        let wal = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY_RECOVERY),
            None,
        );
        assert_eq!(unfinished_write(&wal), Some("-wal"));
        let plain = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            None,
        );
        assert_eq!(unfinished_write(&plain), None);
    }

    #[test]
    fn a_migration_failure_keeps_its_source() {
        let sqlite = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(1),
            Some("table x already exists".into()),
        );
        let err = Error::Migrate {
            path: "s.db".into(),
            failure: MigrationFailure::Schema { source: sqlite },
        };
        let text = err.to_string();
        assert_eq!(text.matches("table x already exists").count(), 1, "{text}");
        let failure = std::error::Error::source(&err).expect("the failure is the source");
        let cause = failure.source().expect("SQLite's error is kept");
        assert!(cause.to_string().contains("table x already exists"));
    }

    #[test]
    fn usage_errors_carry_their_value_detail_and_hints() {
        let err = crate::ids::CohortId::parse("a/b").expect_err("a slash is refused");
        assert_eq!(
            printed(&err),
            [
                "error: invalid cohort id \"a/b\"",
                "  a cohort id is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (D11); it names the folder cohorts/<id>/",
            ]
        );
        assert_eq!(err.kind_name(), "usage");
        assert_eq!(err.value().as_deref(), Some("a/b"));
        let err = Error::from(UsageError::TooManyRows {
            rows: 10,
            max_rows: 5,
        });
        assert_eq!(
            printed(&err),
            [
                "error: the spec's product has 10 rows, more than --max-rows 5",
                "  hint: `cohortdb explain SPEC` shows which axes and rules make it this large; raise --max-rows if it is intended",
            ]
        );
        assert_eq!(err.value().as_deref(), Some("10"));
        let err = Error::from(UsageError::NothingToImport {
            root: "data".into(),
            is_dir: false,
            expected: vec!["data/1_raw/concepts_metadata.csv".into()],
        });
        assert_eq!(
            printed(&err),
            [
                "error: nothing to import: the data root data is not a folder",
                "  expected at least one of: data/1_raw/concepts_metadata.csv",
                "  hint: pass --data-root DIR (or COHORTDB_DATA_ROOT), or `import KIND FILE`",
            ]
        );
        assert_eq!(err.location(), Some(Location::file("data")));
    }

    #[test]
    fn read_only_refusals_render_the_statement() {
        let err = Error::from(ReadOnlyError::Writes {
            statement: "delete from x".into(),
        });
        assert_eq!(
            err.to_string(),
            "query is read-only; this statement would write: delete from x"
        );
        assert_eq!(err.kind_name(), "read_only");
    }

    #[test]
    fn build_refusals_list_then_hint() {
        let err = Error::from(BuildError {
            cohort: "c1".into(),
            kind: BuildErrorKind::MissingCatalogIds {
                groups: vec![MissingIds {
                    role: "evaluation LLMs",
                    ids: (0..12)
                        .map(|i| MissingId {
                            value: format!("m{i}"),
                            at: "c.yaml: axes".into(),
                            near: (i == 0).then(|| "m00".to_string()),
                        })
                        .collect(),
                }],
                not_imported: vec!["LLM models"],
            },
        });
        let lines = printed(&err);
        assert_eq!(
            lines[0],
            "error: cohort \"c1\": 12 ids the spec uses are not in the imported catalogs (D16)"
        );
        assert!(lines[1].starts_with(
            "  evaluation LLMs (12): \"m0\" (c.yaml: axes; did you mean \"m00\"?), \"m1\" (c.yaml: axes), "
        ));
        assert!(lines[1].ends_with(", and 2 more"), "{}", lines[1]);
        assert_eq!(lines[2], "  note: no LLM models have been imported");
        assert!(lines[3].starts_with("  hint: import the missing rows"));
        assert_eq!(err.kind_name(), "build");
        assert_eq!(err.value().as_deref(), Some("c1"));

        let err = Error::from(BuildError {
            cohort: "c1".into(),
            kind: BuildErrorKind::CollidingEntries {
                stage: crate::ids::Stage::Draft,
                entries: 2,
                shared_ids: 1,
                shared: vec![SharedId {
                    gen_id: "d1".into(),
                    first: "combo A".into(),
                    others: vec!["combo a".into()],
                }],
                llm_differs: false,
                case_differs: true,
            },
        });
        let lines = printed(&err);
        assert_eq!(
            lines[..3],
            [
                "error: cohort \"c1\": 2 draft plan entries would share 1 gen_id; a build never collapses them silently (D2)",
                "  d1: combo A",
                "      vs combo a",
            ]
        );
        assert!(lines[3].starts_with("  hint: gen_ids lowercase their components"));

        let err = Error::from(BuildError {
            cohort: "c1".into(),
            kind: BuildErrorKind::RecordChanged {
                changes: vec!["spec: its content changed (not only its formatting)".into()],
            },
        });
        assert_eq!(
            printed(&err)[0],
            "error: cohort \"c1\" already exists with different content; nothing was written"
        );
        assert!(printed(&err)[2].contains("`cohortdb build c1-v2 --spec …`"));
    }

    #[test]
    fn migration_refusals_list_say_nothing_was_written_then_hint() {
        let err = Error::from(MigrateError::Orphans {
            members: (0..12).map(|i| format!("draft d{i}")).collect(),
        });
        let lines = printed(&err);
        assert_eq!(
            lines[0],
            "error: 12 members of the membership have no evaluation, so a migrated spec would drop them"
        );
        assert_eq!(lines[1], "  draft d0");
        assert_eq!(lines[11], "  … and 2 more");
        assert_eq!(lines[12], "  nothing was written");
        assert!(lines[13].starts_with("  hint: each row of a migrated spec"));
        assert_eq!(lines.len(), 14);
        assert_eq!(err.kind_name(), "migrate_refused");
    }

    #[test]
    fn data_errors_render_their_location_and_value() {
        let err = Error::data(
            Location::line_col("m.csv", 3, 2),
            DataErrorKind::UnknownStage {
                value: "drat".into(),
            },
        );
        assert_eq!(
            err.to_string(),
            "m.csv:3:2: unknown stage \"drat\" (expected draft, essay or evaluation)"
        );
        assert_eq!(err.kind_name(), "data");
        assert_eq!(err.location(), Some(Location::line_col("m.csv", 3, 2)));
        assert_eq!(err.value().as_deref(), Some("drat"));
        let err = Error::data(
            Location::file("gens/essay/e1/metadata.json"),
            DataErrorKind::EssayMetadataMissing {
                id: "e1".into(),
                at: ListLine {
                    list: "2_tasks/selected_essays.txt".into(),
                    line: 4,
                },
            },
        );
        assert_eq!(
            err.to_string(),
            "gens/essay/e1/metadata.json: essay_metadata_missing: essay e1 \
             (2_tasks/selected_essays.txt:4) has no metadata"
        );
        let err = Error::data(
            Location::file("l.txt"),
            DataErrorKind::NotUtf8 { at_byte: Some(7) },
        );
        assert_eq!(err.to_string(), "l.txt: not valid UTF-8 (at byte 7)");
    }

    #[test]
    fn spec_errors_render_location_text_detail_and_hints() {
        let at = Location::yaml("spec/config.yaml", "replicates");
        let err = Error::spec(at.clone(), SpecErrorKind::ReplicatesRemoved);
        assert_eq!(
            printed(&err),
            [
                "error: spec/config.yaml: replicates: unknown top-level key \"replicates\": the \
                 replicates block was removed and silently did nothing in the old tool (D18)",
                "  hint: declare replicate axes instead, e.g. `draft_replicate: [1, 2]` under axes",
            ]
        );
        assert_eq!(err.kind_name(), "spec");
        assert_eq!(err.location(), Some(at));
        assert_eq!(err.value(), None);

        let err = Error::spec(
            Location::yaml("c.yaml", "rules.pairs.p.allowed[0]"),
            SpecErrorKind::PairOutsideDomain {
                rule: "pair p".into(),
                left: "\"d9\"".into(),
                right: "\"e1\"".into(),
                side: "left",
                value: "\"d9\"".into(),
                axis: "dt".into(),
                levels: vec!["\"d1\"".into(), "\"d2\"".into()],
            },
        );
        assert_eq!(
            printed(&err),
            [
                "error: c.yaml: rules.pairs.p.allowed[0]: pair p: [\"d9\", \"e1\"] is outside the \
                 domain: left value \"d9\" is not a level of \"dt\"",
                "  dt levels: [\"d1\", \"d2\"]",
            ]
        );
        assert_eq!(err.value().as_deref(), Some("\"d9\""));
    }

    #[test]
    fn a_missing_axis_hints_at_the_rule_that_consumed_it_or_the_axes_left() {
        let missing = |consumed_by: Option<&str>, axes_now: Option<Vec<String>>| {
            Error::spec(
                Location::yaml("c.yaml", "rules.ties.t"),
                SpecErrorKind::AxisMissing {
                    rule: "tie t".into(),
                    axis: "a".into(),
                    consumed_by: consumed_by.map(str::to_string),
                    axes_now,
                },
            )
        };
        let err = missing(Some("tuple t1"), None);
        assert_eq!(
            printed(&err),
            [
                "error: c.yaml: rules.ties.t: tie t: axis \"a\" does not exist at this point",
                "  hint: \"a\" was consumed by tuple t1, which applies earlier: rules apply in the \
                 order their sections are written (D3)",
            ]
        );
        let err = missing(None, Some(vec!["b".into(), "c".into()]));
        assert_eq!(printed(&err)[1], "  hint: axes at this point: b, c");
        assert_eq!(printed(&missing(None, None)).len(), 1);
    }

    #[test]
    fn spec_errors_name_fields_formats_csv_headers_invisible_characters_and_imbalance() {
        for (fields, text) in [
            (vec!["x"], "output.field_order names undefined field \"x\""),
            (
                vec!["x", "y"],
                "output.field_order names undefined fields \"x\", \"y\"",
            ),
        ] {
            let err = Error::spec(
                Location::yaml("c.yaml", "output.field_order"),
                SpecErrorKind::UndefinedFields {
                    fields: fields.into_iter().map(str::to_string).collect(),
                },
            );
            assert_eq!(
                err.to_string(),
                format!("c.yaml: output.field_order: {text}")
            );
        }

        let err = Error::spec(
            Location::position("c.yaml", Some(2), Some(5)),
            SpecErrorKind::UnsupportedFormat { ext: String::new() },
        );
        assert_eq!(
            err.to_string(),
            "c.yaml:2:5: unsupported spec format \"\": a spec is a .yaml, .yml or .json file \
             (TOML never worked)"
        );
        let err = Error::spec(
            Location::line("spec/items.csv", 1),
            SpecErrorKind::CsvNoDataRows {
                columns: vec!["a".into(), "b".into()],
            },
        );
        assert_eq!(
            err.to_string(),
            "spec/items.csv:1: the @file CSV has a header (a, b) but no data rows"
        );
        assert!(err.hints()[0].starts_with("the first line of an @file CSV"));
        let err = Error::spec(
            Location::yaml("c.yaml", "axes.a[0]"),
            SpecErrorKind::InvisibleLevel {
                value: "a\u{200b}b".into(),
                position: 2,
                found: '\u{200b}',
            },
        );
        assert_eq!(
            err.to_string(),
            "c.yaml: axes.a[0]: level \"a\\u{200b}b\" contains an invisible format character \
             U+200B at character 2 (see docs/decisions.md#d9, #d20)"
        );
        let err = Error::spec(
            Location::yaml("c.yaml", "rules.pairs.p"),
            SpecErrorKind::PairImbalance {
                rule: "pair p".into(),
                side: "left",
                balance: "both".into(),
                counts: vec![("\"d1\"".into(), 1), ("\"d2\"".into(), 2)],
            },
        );
        assert_eq!(
            printed(&err),
            [
                "error: c.yaml: rules.pairs.p: pair p: pair imbalance on left: \"d1\" ×1, \"d2\" ×2",
                "  hint: balance: both requires every left value that appears in allowed to \
                 appear equally often",
            ]
        );
    }

    #[test]
    fn catalog_errors_list_row_problems_then_say_nothing_was_imported_then_hint() {
        let err = Error::catalog(
            Location::line_col("llm.csv", 3, 2),
            CatalogErrorKind::Rows {
                first: RowProblem::Changed {
                    label: "llm models",
                    key: "m".into(),
                    what: "column \"model\"".into(),
                    old: "\"gpt\"".into(),
                    source_file: "/data/llm.csv".into(),
                    line: 2,
                    new: "\"gpt-2\"".into(),
                },
                more: vec![
                    (
                        Location::line("llm.csv", 4),
                        RowProblem::FieldCount {
                            found: 1,
                            expected: 2,
                        },
                    ),
                    (
                        Location::line_col("llm.csv", 5, 1),
                        RowProblem::KeyWhitespace {
                            column: "id".into(),
                            value: " m".into(),
                        },
                    ),
                ],
                stopped_after: None,
            },
        );
        assert_eq!(
            printed(&err),
            [
                "error: llm.csv:3:2: llm models row \"m\" changed: column \"model\" is \"gpt\" in \
                 the store (imported from /data/llm.csv:2) but \"gpt-2\" here",
                "  llm.csv:4: row has 1 fields but the header has 2",
                "  llm.csv:5:1: id \" m\" has leading or trailing whitespace (the reference \
                 trimmed it silently; fix the file)",
                "  nothing was imported",
                &format!("  hint: {CHANGED_HINT}"),
            ]
        );
        assert_eq!(err.kind_name(), "catalog");
        assert_eq!(err.location(), Some(Location::line_col("llm.csv", 3, 2)));
        assert_eq!(err.value().as_deref(), Some("m"));

        let err = Error::catalog(
            Location::line_col("data/1_raw/llm_models.csv", 1, 3),
            CatalogErrorKind::SelectionColumn {
                name: "active".into(),
                root: "data".into(),
            },
        );
        let lines = printed(&err);
        assert_eq!(
            lines[0],
            "error: data/1_raw/llm_models.csv:1:3: the catalog has the selection column \
             \"active\": selection flags are not catalog data (D9); a cohort spec says which rows \
             a cohort uses"
        );
        assert_eq!(
            lines[2],
            "  hint: `cohortdb catalog strip-active data` rewrites the catalogs without them \
             (keeping *.legacy.csv copies)"
        );
        assert_eq!(err.value().as_deref(), Some("active"));

        for (kind, text) in [
            (
                CatalogErrorKind::MissingColumns {
                    missing: vec!["id"],
                    label: "llm models",
                    header: vec!["model".into(), "provider".into()],
                },
                "missing required column \"id\" for llm models (found: model, provider)",
            ),
            (
                CatalogErrorKind::MissingColumns {
                    missing: vec!["stage", "replicates"],
                    label: "replication",
                    header: vec![],
                },
                "missing required columns \"stage\", \"replicates\" for replication (found: )",
            ),
            (
                CatalogErrorKind::UnterminatedQuote { truncated: true },
                "a quoted field is never closed (unterminated quote); the file may be truncated",
            ),
            (
                CatalogErrorKind::UnterminatedQuote { truncated: false },
                "a quoted field is never closed (unterminated quote)",
            ),
            (
                CatalogErrorKind::ComboCollision {
                    id: "combo_v1_x".into(),
                    concepts: ["a".to_string()].into_iter().collect(),
                    level: "paragraph".into(),
                    k_max: "2".into(),
                    wanted: ["b".to_string()].into_iter().collect(),
                    wanted_level: "sentence".into(),
                    wanted_k_max: 3,
                },
                "combo combo_v1_x already exists for concepts {\"a\"} (paragraph, k_max 2), not \
                 for {\"b\"} (sentence, k_max 3) (combo_collision)",
            ),
        ] {
            let err = Error::catalog(Location::line("c.csv", 1), kind);
            assert_eq!(err.to_string(), format!("c.csv:1: {text}"));
            assert!(err.detail().is_empty() && err.hints().is_empty());
        }
    }

    #[test]
    fn export_refusals_list_then_hint_and_say_nothing_was_written() {
        let err = Error::from(ExportError::MetadataConflicts {
            count: 3,
            gens_root: "gens".into(),
            shown: vec![
                MetadataClash {
                    path: "gens/draft/d1/metadata.json".into(),
                    found: Ok("sig-a".into()),
                    expected: Some("sig-b".into()),
                },
                MetadataClash {
                    path: "gens/draft/d2/metadata.json".into(),
                    found: Err(MetaError::Json("EOF while parsing".into())),
                    expected: None,
                },
                MetadataClash {
                    path: "gens/draft/d3/metadata.json".into(),
                    found: Err(MetaError::MissingFields(vec!["llm_model_id"])),
                    expected: None,
                },
            ],
            other_generation: 1,
            not_json: 1,
        });
        let lines = printed(&err);
        assert_eq!(
            lines[..4],
            [
                "error: 3 existing metadata.json files under gens are not their members'; \
                 nothing was written",
                "  gens/draft/d1/metadata.json: signature \"sig-a\", but the member's is \"sig-b\"",
                "  gens/draft/d2/metadata.json: not valid JSON (EOF while parsing)",
                "  gens/draft/d3/metadata.json: valid JSON, but without \"llm_model_id\" (missing, \
                 null or empty), which the signature of its stage needs",
            ]
        );
        assert!(lines[4].starts_with("  hint: a gen_id names one generation;"));
        assert!(lines[5].starts_with("  hint: `cohortdb export --repair` rewrites the file"));
        assert!(
            lines[6].starts_with("  hint: a metadata.json that is valid JSON is never rewritten")
        );
        assert_eq!(lines.len(), 7);
        // Each hint only for the kind of file found: with --repair, the files left are valid
        // JSON, and the hint does not send the user back to --repair.
        let err = Error::from(ExportError::MetadataConflicts {
            count: 1,
            gens_root: "gens".into(),
            shown: Vec::new(),
            other_generation: 0,
            not_json: 0,
        });
        let hints = err.hints();
        assert_eq!(hints.len(), 1);
        assert!(hints[0].contains("not even by --repair"), "{hints:?}");
        assert_eq!(err.kind_name(), "export_refused");
        assert_eq!(err.location(), Some(Location::file("gens")));

        let err = Error::from(ExportError::FilesDiffer {
            cohort: "c1".into(),
            out: "out".into(),
            files: vec!["out/membership.csv".into()],
        });
        assert_eq!(
            printed(&err),
            [
                "error: cohort \"c1\": exported files in out differ from the stored record; \
                 nothing was written",
                "  out/membership.csv",
                "  hint: `cohortdb verify` shows what changed; `cohortdb export --force` replaces \
                 these files",
            ]
        );
        assert_eq!(err.value().as_deref(), Some("c1"));
    }

    #[test]
    fn export_refusals_of_changed_specs_rows_and_links_hint_at_the_way_out() {
        let err = Error::from(ExportError::SpecChanged {
            cohort: "c1".into(),
            spec_dir: "out/spec".into(),
            files: vec!["config.yaml".into(), "items.csv".into()],
        });
        assert_eq!(
            printed(&err),
            [
                "error: cohort \"c1\": the spec in out/spec was changed after the build \
                 (config.yaml, items.csv); nothing was written",
                "  hint: a cohort record never changes (D14); build the changed spec under a new \
                 cohort id, e.g. `cohortdb build c1-v2 --spec out/spec`",
            ]
        );

        let err = Error::from(ExportError::RowsDiffer {
            cohort: "c1".into(),
            diffs: vec!["a difference".into()],
        });
        let lines = printed(&err);
        assert_eq!(
            lines[0],
            "error: cohort \"c1\": the store's rows are not the record its content hash covers; \
             nothing was written"
        );
        assert_eq!(lines[1], "  a difference");
        assert!(lines[2].starts_with("  hint: `cohortdb verify` shows every difference;"));

        let err = Error::from(ExportError::LinkBelowRoot {
            found: "out/spec".into(),
            what: "a symlink",
            root: "out".into(),
            access: Access::Write,
        });
        assert_eq!(
            printed(&err),
            [
                "error: out/spec is a symlink; cohortdb never writes through it (it could lead \
                 outside out); nothing was written",
                "  hint: remove or rename it (it is left alone), or export to another folder",
            ]
        );
    }

    #[test]
    fn export_refusals_of_paths_and_roots_name_the_path() {
        for (e, text) in [
            (
                ExportError::WrongKind {
                    found: "out/x".into(),
                    kind: "a directory".into(),
                    want_file: true,
                    access: Access::Write,
                },
                "out/x: is a directory, not a regular file; nothing was written",
            ),
            (
                ExportError::RootNotFolder {
                    flag: "--out".into(),
                    root: "o/sub".into(),
                    at: "o".into(),
                    kind: "a regular file".into(),
                },
                "--out o/sub: o is a regular file, not a folder; nothing was written",
            ),
            (
                ExportError::RootNotWritable {
                    flag: "--gens-root".into(),
                    root: "g".into(),
                    at: "g".into(),
                },
                "--gens-root g: g is not writable; nothing was written",
            ),
            (
                ExportError::NotPlainRelative {
                    rel: "../x".into(),
                    root: "out".into(),
                },
                "../x: not a plain relative path below out",
            ),
            (
                ExportError::MetadataAppeared {
                    path: "m.json".into(),
                },
                "m.json: another metadata.json appeared during the export; it was left alone",
            ),
            (
                ExportError::AppearedWhileWriting {
                    path: "s/c.yaml".into(),
                },
                "s/c.yaml appeared while writing; left alone",
            ),
            (
                ExportError::BackupCheckFailed {
                    check: "bad page".into(),
                },
                "backup: the copy failed its check (bad page); nothing was written",
            ),
        ] {
            assert_eq!(Error::from(e).to_string(), text);
        }
        let err = Error::from(ExportError::SpecFilesExist {
            dir: "s".into(),
            existing: vec!["s/config.yaml".into()],
        });
        assert_eq!(
            printed(&err),
            [
                "error: s already holds 1 of the spec's files; nothing was written",
                "  s/config.yaml",
            ]
        );
    }

    #[test]
    fn usage_errors_for_cohorts_folders_and_query_parameters_render_with_their_hints() {
        let no_cohort = |lookup| {
            printed(&Error::from(UsageError::NoSuchCohort {
                id: "c9".into(),
                lookup,
                did_you_mean: None,
            }))
        };
        assert_eq!(
            no_cohort(CohortLookup::Stored),
            [
                "error: no cohort \"c9\" in the store",
                "  hint: `cohortdb cohorts` lists the stored cohorts; `cohortdb build` stores one",
            ]
        );
        assert_eq!(
            no_cohort(CohortLookup::Show)[1],
            "  hint: `cohortdb cohorts` lists the stored cohorts"
        );
        assert_eq!(
            no_cohort(CohortLookup::Diff)[1],
            "  hint: `cohortdb cohorts` lists the stored cohorts; a spec is given as a file or a \
             folder holding config.yaml"
        );
        assert_eq!(no_cohort(CohortLookup::Bundle).len(), 1);
        let err = Error::from(UsageError::NoSuchCohort {
            id: "c9".into(),
            lookup: CohortLookup::Show,
            did_you_mean: None,
        });
        assert_eq!(err.kind_name(), "usage");
        assert_eq!(err.value().as_deref(), Some("c9"));

        assert_eq!(
            printed(&Error::from(UsageError::NoSuchFolder {
                flag: "--dir",
                path: "x".into(),
            })),
            [
                "error: --dir x: no such folder",
                "  hint: a folder named on the command line must exist; a cohort that was never \
                 exported is checked with --store-only",
            ]
        );
        assert_eq!(
            printed(&Error::from(UsageError::NoDataRoot {
                path: "d".into(),
                command: "verify"
            }))[0],
            "error: --data-root d: no such folder"
        );
        for (command, hint) in [
            ("verify", "--store-only"),
            ("status", "status compares"),
            ("export", "which are created when missing"),
        ] {
            let err = Error::from(UsageError::NoDataRoot {
                path: "d".into(),
                command,
            });
            assert!(
                err.hints()[0].contains(hint),
                "{command}: {:?}",
                err.hints()
            );
        }
        assert_eq!(
            printed(&Error::from(UsageError::MissingParameters {
                missing: vec![":a".into(), "?2".into()],
            })),
            [
                "error: query: no value for the statement's parameters :a, ?2",
                "  hint: give each with --param NAME=VALUE (positional ? parameters cannot be \
                 named; use :name)",
            ]
        );
        for (e, text) in [
            (
                UsageError::NoSuchParameter { name: ":x".into() },
                "query: a value was given for :x, but the statement has no parameter :x",
            ),
            (
                UsageError::MissingParameters {
                    missing: vec![":a".into()],
                },
                "query: no value for the statement's parameter :a",
            ),
            (UsageError::NoSql, "query: no SQL statement"),
            (
                UsageError::SqlNotUtf8 {
                    path: "q.sql".into(),
                    byte: 3,
                },
                "q.sql: the statement is not UTF-8 (byte 3)",
            ),
            (
                UsageError::DiffTooManyRows {
                    path: "s.yaml".into(),
                    rows: 9,
                    max: 8,
                },
                "s.yaml: the spec's product has 9 rows, more than 8",
            ),
        ] {
            assert_eq!(Error::from(e).to_string(), text);
        }
    }

    #[test]
    fn internal_errors_name_the_invariant() {
        let err = Error::internal("a stored member's stage is 0, 1 or 2", "found 7");
        assert_eq!(
            err.to_string(),
            "internal error: a stored member's stage is 0, 1 or 2 (found 7)"
        );
        assert_eq!(err.kind_name(), "internal");
        assert!(err.detail().is_empty() && err.hints().is_empty());
    }

    #[test]
    fn io_and_db_errors_print_their_cause_once() {
        let err = Error::io(
            "a.csv",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(err.to_string(), "a.csv: gone");
        let err = Error::Db {
            query: "catalog_insert",
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(19),
                Some("UNIQUE constraint failed: t.x".into()),
            ),
        };
        assert_eq!(
            err.to_string(),
            "store: catalog_insert: UNIQUE constraint failed: t.x"
        );
        assert_eq!(err.kind_name(), "db");
    }
}
