//! Append-only catalog import (docs/decisions.md D9; docs/cli.md `import`).
//!
//! One write transaction per command. For each row: identical content is skipped, a new key is
//! inserted, a changed row is refused with file, line, column, old and new value. Problems are
//! collected (up to [`MAX_ERRORS`]) so the user can fix them in one pass; any problem rolls the
//! whole command back. A file that adds rows is recorded as a batch; one that adds nothing
//! leaves the store untouched. Never UPDATE or DELETE (the schema's triggers refuse both).
//!
//! Each file goes through three steps: `reading` streams its records (and finds the body and
//! description files next to it), `validating` checks the header and turns each record into a
//! row or a problem, and `storing` inserts the row with prepared statements or compares it with
//! the stored one. `import_one` drives them for one file.

mod reading;
mod storing;
mod validating;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::Connection;

use super::CatalogKind;
use crate::error::{CatalogErrorKind, DbContext, Error, IoContext, Location, Result, UsageError};
use crate::store::{Store, queries};
use reading::CatalogFile;
use storing::{Batch, Outcome, Writer};
use validating::{Layout, Problems};

pub use validating::parse_replicates;

/// How many row problems are collected before an import stops reading.
pub const MAX_ERRORS: usize = 20;

/// Receives progress while a large file is read (the CLI draws a bar; tests ignore it).
pub trait Progress {
    /// A file of `total_bytes` starts.
    fn start(&self, label: &str, total_bytes: u64);
    /// `bytes` more have been read.
    fn advance(&self, bytes: u64);
    /// The file is done.
    fn finish(&self);
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// What happened to one catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindReport {
    /// The catalog.
    pub kind: CatalogKind,
    /// The file, as named to the user.
    pub path: String,
    /// False when the file does not exist (every catalog file is optional).
    pub present: bool,
    /// Rows added.
    pub added: u64,
    /// Rows already stored with identical content (and identical repeated lines).
    pub unchanged: u64,
    /// The batch recorded for the added rows, if any.
    pub batch_id: Option<i64>,
    /// Things worth telling the user (orphan body files), one line each.
    pub warnings: Vec<String>,
}

/// What an import command did, per file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// One entry per catalog file considered.
    pub files: Vec<KindReport>,
}

impl ImportReport {
    /// Total rows added.
    pub fn added(&self) -> u64 {
        self.files.iter().map(|f| f.added).sum()
    }
}

/// How legacy selection flags (`active`, `for_generation`, `for_evaluation`) are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegacyFlags {
    /// A catalog with one is refused, pointing at `migrate` and `strip-active` (D9).
    #[default]
    Refuse,
    /// The columns are left out, as `catalog strip-active` would write the file. Only for
    /// scratch stores (`migrate --check`), never for the user's store.
    Ignore,
}

/// Imports every catalog file of the data layout under `data_root` in one transaction.
/// Missing files are reported as skipped.
pub fn import_all(
    store: &mut Store,
    data_root: &Path,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    import_all_with(store, data_root, progress, LegacyFlags::Refuse)
}

/// [`import_all`], with a choice of how legacy selection flags are treated.
pub fn import_all_with(
    store: &mut Store,
    data_root: &Path,
    progress: &dyn Progress,
    flags: LegacyFlags,
) -> Result<ImportReport> {
    import_files(store, &layout_files(data_root), progress, flags)
}

/// Every catalog file of the data layout under `data_root`, by kind (each is optional).
pub fn layout_files(data_root: &Path) -> Vec<(CatalogKind, PathBuf)> {
    CatalogKind::ALL
        .iter()
        .map(|&k| (k, k.layout_path(data_root)))
        .collect()
}

/// Imports one file as catalog `kind` (CLI `import KIND FILE`). Bodies and descriptions are
/// looked up next to the file, as in the layout.
pub fn import_file(
    store: &mut Store,
    kind: CatalogKind,
    path: &Path,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    check_file_named(path)?;
    import_files(
        store,
        &[(kind, path.to_path_buf())],
        progress,
        LegacyFlags::Refuse,
    )
}

/// A file named on the command line (`import KIND FILE`) must exist (`-` is stdin).
pub fn check_file_named(path: &Path) -> Result<()> {
    if !crate::fsutil::is_stdio(path) && !path.exists() {
        return Err(UsageError::NoCatalogFile {
            path: path.display().to_string(),
        }
        .into());
    }
    Ok(())
}

fn import_files(
    store: &mut Store,
    files: &[(CatalogKind, PathBuf)],
    progress: &dyn Progress,
    flags: LegacyFlags,
) -> Result<ImportReport> {
    let tx = store.write_transaction()?;
    let report = import_into(&tx, files, progress, flags)?;
    if report.added() > 0 {
        tx.commit().db("commit import")?;
    }
    // Nothing added: dropping the transaction rolls back, and the store stays byte-identical.
    Ok(report)
}

/// Receives every row an import adds, as it is stored: a team store streams them to the
/// server's COPY while the mirror import runs (docs/postgres.md, "Writes"). The rows of one
/// file come between [`AddedRows::begin`] and [`AddedRows::end`]; an error from any call stops
/// the import (nothing stays: the caller drops its transaction).
pub trait AddedRows {
    /// Rows of catalog `kind` follow.
    fn begin(&mut self, kind: CatalogKind) -> Result<()>;
    /// One added row: its values in the order of the catalog's insert statement
    /// (`sql/catalog_<table>_insert.sql`: the stage first for templates, then the key, content,
    /// `extra`, attachments, `batch_id`, `line`).
    fn row(&mut self, values: &[rusqlite::types::Value]) -> Result<()>;
    /// The file's rows are done.
    fn end(&mut self) -> Result<()>;
}

/// An [`AddedRows`] that only stores (an SQLite store's import).
struct Nowhere;

impl AddedRows for Nowhere {
    fn begin(&mut self, _: CatalogKind) -> Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &[rusqlite::types::Value]) -> Result<()> {
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Imports `files` inside the caller's write transaction `conn`, which the caller commits (or
/// drops: nothing stays). The batches go after the store's newest.
pub fn import_into(
    conn: &Connection,
    files: &[(CatalogKind, PathBuf)],
    progress: &dyn Progress,
    flags: LegacyFlags,
) -> Result<ImportReport> {
    import_streaming(conn, files, progress, flags, &mut Nowhere)
}

/// [`import_into`], handing every added row to `added` as it is stored. A team store stages an
/// import in its mirror this way while the rows go to the server (docs/postgres.md).
pub fn import_streaming(
    conn: &Connection,
    files: &[(CatalogKind, PathBuf)],
    progress: &dyn Progress,
    flags: LegacyFlags,
    added: &mut dyn AddedRows,
) -> Result<ImportReport> {
    let mut next_batch: i64 = conn
        .query_row(queries::BATCH_SELECT_LAST, [], |r| r.get(0))
        .db("batch_select_last")?;
    next_batch += 1;
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let mut report = ImportReport::default();
    for (kind, path) in files {
        let file_report = import_one(
            conn,
            File {
                kind: *kind,
                path,
                batch_id: next_batch,
            },
            &now,
            progress,
            flags,
            added,
        )?;
        if file_report.batch_id.is_some() {
            next_batch += 1;
        }
        report.files.push(file_report);
    }
    Ok(report)
}

/// One catalog file to import, and the batch its added rows go into.
struct File<'a> {
    kind: CatalogKind,
    path: &'a Path,
    batch_id: i64,
}

/// Imports one catalog file inside the command's transaction `conn`; rows that are added go
/// into batch `file.batch_id` (and to `added`), recorded only when the file adds rows.
fn import_one(
    conn: &Connection,
    file: File<'_>,
    now: &str,
    progress: &dyn Progress,
    flags: LegacyFlags,
    added: &mut dyn AddedRows,
) -> Result<KindReport> {
    let File {
        kind,
        path,
        batch_id,
    } = file;
    let mut report = KindReport {
        kind,
        path: path.display().to_string(),
        present: false,
        added: 0,
        unchanged: 0,
        batch_id: None,
        warnings: Vec::new(),
    };
    // `-`: the CSV comes from stdin, copied into a private file to be read twice (its digest,
    // then its rows); messages and the batch name it `-`, and bodies and descriptions are read
    // from the current folder, as for a file there (docs/cli.md `import`).
    let spooled = if crate::fsutil::is_stdio(path) {
        Some(crate::fsutil::spool_stdin().at(path)?)
    } else {
        None
    };
    let source = spooled.as_ref().map_or(path, |s| s.path());
    if spooled.is_none() && !path.exists() {
        return Ok(report);
    }
    if spooled.is_none() && path.is_dir() {
        return Err(Error::catalog(
            Location::file(path),
            CatalogErrorKind::IsDirectory,
        ));
    }
    report.present = true;
    let digest = reading::hash_file_as(source, path)?;
    let mut file = CatalogFile::open_as(kind, source, path, progress)?;
    let Some(header) = file.header()? else {
        // An empty file, or blank lines only: zero rows (D9).
        progress.finish();
        return Ok(report);
    };
    let layout = Layout::new(kind, path, header, flags)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut writer = Writer::prepare(conn, kind, batch_id)?;
    added.begin(kind)?;
    let mut problems = Problems::new();
    let mut ids: HashSet<String> = HashSet::new();
    while let Some(rec) = file.next_record()? {
        if problems.full() {
            break;
        }
        if rec.is_empty() {
            continue;
        }
        let mut row = match layout.row(path, rec) {
            Ok(row) => row,
            Err(problem) => {
                let (loc, problem) = *problem;
                problems.add(loc, problem);
                continue;
            }
        };
        row.attachments = reading::read_attachments(kind, &base, &row.keys[0])?;
        if kind.keys_are_file_names() {
            ids.insert(row.keys[0].clone());
        }
        match writer.store(&row)? {
            Outcome::Added => {
                added.row(writer.stored())?;
                report.added += 1;
            }
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Conflict(conflict) => {
                let loc = match conflict.column.and_then(|c| layout.position(c)) {
                    Some(p) => Location::line_col(path, row.line, p as u64 + 1),
                    None => Location::line(path, row.line),
                };
                problems.add(loc, conflict.problem);
            }
        }
    }
    progress.finish();
    problems.into_result()?;
    added.end()?;
    if kind.keys_are_file_names() {
        let csv_name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| report.path.clone());
        report.warnings = reading::orphan_warnings(kind, &base, &ids, &csv_name);
    }
    if report.added > 0 {
        let batch = Batch {
            id: batch_id,
            kind,
            path,
            digest: &digest,
            header_json: &layout.stored_header_json(),
            imported_at: now,
            rows: report.added,
        };
        storing::record_batch(conn, &batch)?;
        report.batch_id = Some(batch_id);
    }
    Ok(report)
}
