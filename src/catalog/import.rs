//! Append-only catalog import (D9, CLI.md `import`).
//!
//! One write transaction per command. For each row: identical content is skipped, a new key is
//! inserted, a changed row is refused with file, line, column, old and new value. Problems are
//! collected (up to [`MAX_ERRORS`]) so the user can fix them in one pass; any problem rolls the
//! whole command back. A file that adds rows is recorded as a batch; one that adds nothing
//! leaves the store untouched. Never UPDATE or DELETE (the schema's triggers refuse both).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::{Attachments, CatalogKind, DESCRIPTION_LEVELS, LEGACY_FLAG_COLUMNS};
use crate::csvread::{CsvError, CsvReader, Dialect, RawRecord};
use crate::error::{DbContext, Error, IoContext, Location, Result};
use crate::ids::{Stage, is_py_space};
use crate::store::{Store, queries};

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
    let files: Vec<(CatalogKind, PathBuf)> = CatalogKind::ALL
        .iter()
        .map(|&k| (k, k.layout_path(data_root)))
        .collect();
    import_files(store, &files, progress, flags)
}

/// Imports one file as catalog `kind` (CLI `import KIND FILE`). Bodies and descriptions are
/// looked up next to the file, as in the layout.
pub fn import_file(
    store: &mut Store,
    kind: CatalogKind,
    path: &Path,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    if !path.is_file() {
        return Err(Error::usage(format!(
            "{}: no such catalog file",
            path.display()
        )));
    }
    import_files(
        store,
        &[(kind, path.to_path_buf())],
        progress,
        LegacyFlags::Refuse,
    )
}

fn import_files(
    store: &mut Store,
    files: &[(CatalogKind, PathBuf)],
    progress: &dyn Progress,
    flags: LegacyFlags,
) -> Result<ImportReport> {
    let tx = store.write_transaction()?;
    let mut next_batch: i64 = tx
        .query_row(queries::BATCH_SELECT_LAST, [], |r| r.get(0))
        .db("batch_select_last")?;
    next_batch += 1;
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let mut report = ImportReport::default();
    for (kind, path) in files {
        let file_report = import_one(&tx, *kind, path, next_batch, &now, progress, flags)?;
        if file_report.batch_id.is_some() {
            next_batch += 1;
        }
        report.files.push(file_report);
    }
    if report.added() > 0 {
        tx.commit().db("commit import")?;
    }
    // Nothing added: dropping the transaction rolls back, and the store stays byte-identical.
    Ok(report)
}

/// One parsed catalog row.
struct Row {
    keys: Vec<String>,
    content: Vec<String>,
    extra: Option<String>,
    attachments: Vec<Option<String>>,
    line: u64,
}

/// A stored row, as read back for comparison.
struct StoredRow {
    content: Vec<String>,
    extra: Option<String>,
    attachments: Vec<Option<String>>,
    batch_id: i64,
    line: u64,
}

/// Problems found so far in one file.
struct Problems {
    first: Option<(Location, String)>,
    rest: Vec<String>,
    count: usize,
    hints: Vec<String>,
}

impl Problems {
    fn new() -> Self {
        Problems {
            first: None,
            rest: Vec::new(),
            count: 0,
            hints: Vec::new(),
        }
    }

    fn add(&mut self, loc: Location, message: String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((loc, message));
        } else {
            self.rest.push(format!("{loc}: {message}"));
        }
    }

    fn hint(&mut self, hint: &str) {
        if !self.hints.iter().any(|h| h == hint) {
            self.hints.push(hint.to_string());
        }
    }

    fn full(&self) -> bool {
        self.count >= MAX_ERRORS
    }

    fn into_result(self) -> Result<()> {
        match self.first {
            None => Ok(()),
            Some((loc, message)) => {
                let mut detail = self.rest;
                if self.count >= MAX_ERRORS {
                    detail.push(format!("(stopped after {MAX_ERRORS} problems)"));
                }
                detail.extend(self.hints.into_iter().map(|h| format!("hint: {h}")));
                detail.push("nothing was imported".to_string());
                Err(Error::Catalog {
                    loc,
                    message,
                    detail,
                })
            }
        }
    }
}

const CHANGED_HINT: &str = "catalog rows are append-only (D9): give a changed row a new id, as the \
     reference catalogs do with suffixes such as -v2";

/// Reads a file in chunks, reporting progress.
struct CountingReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
    pending: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pending += n as u64;
        if self.pending >= 1 << 20 {
            self.progress.advance(self.pending);
            self.pending = 0;
        }
        Ok(n)
    }
}

fn hash_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).at(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).at(path)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

fn field_text(rec: &RawRecord, i: usize) -> std::result::Result<&str, ()> {
    std::str::from_utf8(rec.field(i)).map_err(|_| ())
}

/// Checks a key value: non-empty, no surrounding whitespace, no control or format characters
/// (docs/decisions.md D9, D20); for keys that name files, a plain file name.
fn key_problem(kind: CatalogKind, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_string());
    }
    if value.starts_with(is_py_space) || value.ends_with(is_py_space) {
        return Some(format!(
            "{} has leading or trailing whitespace (the reference trimmed it silently; fix the file)",
            crate::textfmt::capped_debug(value)
        ));
    }
    if let Some(problem) = crate::textfmt::invisible_problem(value) {
        return Some(problem);
    }
    if kind.keys_are_file_names()
        && (value.contains('/') || value.contains('\\') || value == "." || value == "..")
    {
        return Some(format!(
            "{} is not a plain file name (bodies and descriptions are found by id)",
            crate::textfmt::capped_debug(value)
        ));
    }
    None
}

fn read_attachment(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(e) => Err(Error::catalog(
                Location::file(path),
                format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn attachment_paths(kind: CatalogKind, base: &Path, id: &str) -> Vec<PathBuf> {
    match kind.attachments() {
        Attachments::None => Vec::new(),
        Attachments::Body(stage) => {
            vec![
                base.join("templates")
                    .join(stage.as_str())
                    .join(format!("{id}.txt")),
            ]
        }
        Attachments::Descriptions => DESCRIPTION_LEVELS
            .iter()
            .map(|level| {
                base.join("concepts")
                    .join(format!("descriptions-{level}"))
                    .join(format!("{id}.txt"))
            })
            .collect(),
    }
}

fn attachment_dirs(kind: CatalogKind, base: &Path) -> Vec<PathBuf> {
    match kind.attachments() {
        Attachments::None => Vec::new(),
        Attachments::Body(stage) => vec![base.join("templates").join(stage.as_str())],
        Attachments::Descriptions => DESCRIPTION_LEVELS
            .iter()
            .map(|level| base.join("concepts").join(format!("descriptions-{level}")))
            .collect(),
    }
}

/// Body or description files whose id has no row in the file: skipped with a warning.
fn orphan_warnings(
    kind: CatalogKind,
    base: &Path,
    ids: &HashSet<String>,
    csv: &str,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for dir in attachment_dirs(kind, base) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut orphans: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .filter(|p| {
                p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|stem| !ids.contains(stem))
            })
            .collect();
        orphans.sort();
        for path in orphans {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            warnings.push(format!(
                "{}: no {} row {id:?} in {csv}; file skipped",
                path.display(),
                kind.label()
            ));
        }
    }
    warnings
}

/// Replication values are validated at import, so the manifest can copy them (D10).
fn replication_problem(column: &str, value: &str) -> Option<String> {
    match column {
        "stage" if Stage::parse(value).is_none() => Some(format!(
            "{value:?} is not a stage (expected draft, essay or evaluation)"
        )),
        "replicates" if parse_replicates(value).is_none() => Some(format!(
            "{value:?} is not a replicate count (expected an integer of at least 1)"
        )),
        _ => None,
    }
}

/// A replication count as the reference coerces it (semantics §3.7): numeric, fractional
/// values truncated, at least 1.
pub fn parse_replicates(value: &str) -> Option<i64> {
    let text = value.trim();
    let number = match text.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            let f: f64 = text.parse().ok()?;
            if !f.is_finite() || f.abs() > 1e15 {
                return None;
            }
            f.trunc() as i64
        }
    };
    (number >= 1).then_some(number)
}

fn import_one(
    conn: &Connection,
    kind: CatalogKind,
    path: &Path,
    batch_id: i64,
    now: &str,
    progress: &dyn Progress,
    flags: LegacyFlags,
) -> Result<KindReport> {
    let display = path.display().to_string();
    let mut report = KindReport {
        kind,
        path: display.clone(),
        present: false,
        added: 0,
        unchanged: 0,
        batch_id: None,
        warnings: Vec::new(),
    };
    if !path.exists() {
        return Ok(report);
    }
    if path.is_dir() {
        return Err(Error::catalog(
            Location::file(path),
            "is a directory, not a CSV file",
        ));
    }
    report.present = true;
    let digest = hash_file(path)?;
    let file = File::open(path).at(path)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    progress.start(kind.label(), total);
    let counting = CountingReader {
        inner: file,
        progress,
        pending: 0,
    };
    let mut reader = CsvReader::new(
        BufReader::with_capacity(1 << 16, counting),
        Dialect::default(),
    );
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut problems = Problems::new();
    let mut rec = RawRecord::default();

    let csv_error = |e: CsvError| match e {
        CsvError::UnterminatedQuote { line } => Error::catalog(
            Location::line(path, line),
            "a quoted field is never closed (unterminated quote); the file may be truncated",
        ),
        CsvError::Io(e) => Error::io(path, e),
    };

    // Header.
    let has_header = reader.read_record(&mut rec).map_err(csv_error)?;
    if !has_header || rec.is_empty() {
        // An empty file, or a blank first line with nothing after it: zero rows (D9).
        let mut more = RawRecord::default();
        while reader.read_record(&mut more).map_err(csv_error)? {
            if !more.is_empty() {
                return Err(Error::catalog(
                    Location::line(path, rec.line.max(1)),
                    "the header line is blank",
                ));
            }
        }
        progress.finish();
        return Ok(report);
    }
    let mut header: Vec<String> = Vec::with_capacity(rec.len());
    for i in 0..rec.len() {
        let name = field_text(&rec, i).map_err(|_| {
            Error::catalog(
                Location::line_col(path, 1, i as u64 + 1),
                "invalid UTF-8 in the header",
            )
        })?;
        header.push(name.to_string());
    }
    check_header(kind, path, &header, flags)?;
    let position = |name: &str| header.iter().position(|h| h == name);
    let key_pos: Vec<usize> = kind
        .key_columns()
        .iter()
        .map(|k| position(k).expect("checked by check_header"))
        .collect();
    let content_pos: Vec<Option<usize>> =
        kind.content_columns().iter().map(|c| position(c)).collect();
    let known: HashSet<&str> = kind
        .key_columns()
        .iter()
        .chain(kind.content_columns())
        .copied()
        .collect();
    let is_flag = |i: usize| {
        flags == LegacyFlags::Ignore && LEGACY_FLAG_COLUMNS.contains(&header[i].as_str())
    };
    let extra_pos: Vec<usize> = (0..header.len())
        .filter(|&i| !known.contains(header[i].as_str()) && !is_flag(i))
        .collect();
    let stored_header: Vec<&String> = (0..header.len())
        .filter(|&i| !is_flag(i))
        .map(|i| &header[i])
        .collect();

    let stage_param: Option<&str> = kind.stage().map(Stage::as_str);
    let mut insert = conn
        .prepare_cached(kind.insert_sql())
        .db("catalog insert")?;
    let mut select = conn
        .prepare_cached(kind.select_sql())
        .db("catalog select")?;
    let mut older = if kind == CatalogKind::ComboMappings {
        Some(
            conn.prepare_cached(queries::CATALOG_COMBO_MAPPINGS_SELECT_OLDER)
                .db("catalog_combo_mappings_select_older")?,
        )
    } else {
        None
    };
    let mut checked_combo: Option<String> = None;
    let mut ids: HashSet<String> = HashSet::new();
    let mut params: Vec<rusqlite::types::Value> = Vec::new();

    'rows: while reader.read_record(&mut rec).map_err(csv_error)? {
        if problems.full() {
            break;
        }
        if rec.is_empty() {
            continue;
        }
        let line = rec.line;
        if rec.len() != header.len() {
            problems.add(
                Location::line(path, line),
                format!(
                    "row has {} fields but the header has {}",
                    rec.len(),
                    header.len()
                ),
            );
            continue;
        }
        let mut texts: Vec<&str> = Vec::with_capacity(rec.len());
        for (i, name) in header.iter().enumerate() {
            match field_text(&rec, i) {
                Ok(t) if t.contains('\0') => {
                    problems.add(
                        Location::line_col(path, line, i as u64 + 1),
                        format!("column {name:?} contains a NUL byte"),
                    );
                    continue 'rows;
                }
                Ok(t) => texts.push(t),
                Err(()) => {
                    problems.add(
                        Location::line_col(path, line, i as u64 + 1),
                        format!("column {name:?} is not valid UTF-8"),
                    );
                    continue 'rows;
                }
            }
        }
        for &p in &key_pos {
            if let Some(problem) = key_problem(kind, texts[p]) {
                problems.add(
                    Location::line_col(path, line, p as u64 + 1),
                    format!("{} {problem}", header[p]),
                );
                continue 'rows;
            }
        }
        if kind == CatalogKind::Replication {
            for (i, name) in header.iter().enumerate() {
                if let Some(problem) = replication_problem(name, texts[i]) {
                    problems.add(
                        Location::line_col(path, line, i as u64 + 1),
                        format!("{name} {problem}"),
                    );
                    continue 'rows;
                }
            }
        }
        let keys: Vec<String> = key_pos.iter().map(|&p| texts[p].to_string()).collect();
        let content: Vec<String> = content_pos
            .iter()
            .map(|p| p.map_or(String::new(), |p| texts[p].to_string()))
            .collect();
        let extra = {
            let map: BTreeMap<&str, &str> = extra_pos
                .iter()
                .filter(|&&p| !texts[p].is_empty())
                .map(|&p| (header[p].as_str(), texts[p]))
                .collect();
            if map.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&map).expect("string map serialises"))
            }
        };
        let mut attachments = Vec::new();
        for attachment in attachment_paths(kind, &base, &keys[0]) {
            attachments.push(read_attachment(&attachment)?);
        }
        if kind.keys_are_file_names() {
            ids.insert(keys[0].clone());
        }
        let row = Row {
            keys,
            content,
            extra,
            attachments,
            line,
        };

        params.clear();
        if let Some(stage) = stage_param {
            params.push(stage.to_string().into());
        }
        params.extend(row.keys.iter().map(|k| k.clone().into()));
        params.extend(row.content.iter().map(|c| c.clone().into()));
        params.push(row.extra.clone().into());
        params.extend(row.attachments.iter().map(|a| a.clone().into()));
        params.push(batch_id.into());
        params.push((row.line as i64).into());
        let inserted = insert
            .execute(params_from_iter(params.iter()))
            .db("catalog insert")?;
        if inserted == 1 {
            if let Some(older) = older.as_mut() {
                let combo = &row.keys[0];
                if checked_combo.as_deref() != Some(combo.as_str()) {
                    let existing: Option<(String, i64)> = older
                        .query_row((combo, batch_id), |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .db("catalog_combo_mappings_select_older")?;
                    if let Some((concept, old_batch)) = existing {
                        let source = batch_source(conn, old_batch)?;
                        problems.add(
                            Location::line_col(path, line, key_pos[1] as u64 + 1),
                            format!(
                                "combo mappings: concept {:?} is new for combo {combo:?}, which already exists \
                                 with another concept set (e.g. concept {concept:?}, imported from {source}); \
                                 a combo id names a fixed set of concepts",
                                row.keys[1]
                            ),
                        );
                        problems.hint(CHANGED_HINT);
                        continue;
                    }
                    checked_combo = Some(combo.clone());
                }
            }
            report.added += 1;
            continue;
        }
        // The key exists: compare contents.
        params.clear();
        if let Some(stage) = stage_param {
            params.push(stage.to_string().into());
        }
        params.extend(row.keys.iter().map(|k| k.clone().into()));
        let n_content = kind.content_columns().len();
        let n_attach = row.attachments.len();
        let stored: StoredRow = select
            .query_row(params_from_iter(params.iter()), |r| {
                let mut content = Vec::with_capacity(n_content);
                for i in 0..n_content {
                    content.push(r.get(i)?);
                }
                let extra = r.get(n_content)?;
                let mut attachments = Vec::with_capacity(n_attach);
                for i in 0..n_attach {
                    attachments.push(r.get(n_content + 1 + i)?);
                }
                Ok(StoredRow {
                    content,
                    extra,
                    attachments,
                    batch_id: r.get(n_content + 1 + n_attach)?,
                    line: r.get::<_, i64>(n_content + 2 + n_attach)? as u64,
                })
            })
            .db("catalog select")?;
        match first_difference(kind, &row, &stored) {
            None => report.unchanged += 1,
            Some(diff) => {
                let key_text = row.keys.join(", ");
                let (loc, what) = match diff.column.and_then(&position) {
                    Some(p) => (
                        Location::line_col(path, line, p as u64 + 1),
                        diff.label.clone(),
                    ),
                    None => (Location::line(path, line), diff.label.clone()),
                };
                if stored.batch_id == batch_id {
                    problems.add(
                        loc,
                        format!(
                            "{} id {key_text:?} appears twice with different content (first at line {}): \
                             {what} is {} there but {} here",
                            kind.label(),
                            stored.line,
                            diff.old,
                            diff.new
                        ),
                    );
                } else {
                    let source = batch_source(conn, stored.batch_id)?;
                    problems.add(
                        loc,
                        format!(
                            "{} row {key_text:?} changed: {what} is {} in the store (imported from {source}:{}) \
                             but {} here",
                            kind.label(),
                            diff.old,
                            stored.line,
                            diff.new
                        ),
                    );
                    problems.hint(CHANGED_HINT);
                }
            }
        }
    }
    progress.finish();
    problems.into_result()?;
    if kind.keys_are_file_names() {
        let csv_name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or(display.clone());
        report.warnings = orphan_warnings(kind, &base, &ids, &csv_name);
    }
    if report.added > 0 {
        let header_json = serde_json::to_string(&stored_header).expect("string list serialises");
        let source = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        conn.execute(
            queries::BATCH_INSERT,
            (
                batch_id,
                kind.name(),
                source.display().to_string(),
                digest,
                header_json,
                now,
                report.added as i64,
            ),
        )
        .db("batch_insert")?;
        report.batch_id = Some(batch_id);
    }
    Ok(report)
}

fn batch_source(conn: &Connection, batch_id: i64) -> Result<String> {
    let source: Option<String> = conn
        .query_row(queries::BATCH_SELECT_SOURCE, [batch_id], |r| r.get(0))
        .optional()
        .db("batch_select_source")?;
    Ok(source.unwrap_or_else(|| format!("batch {batch_id}")))
}

fn check_header(
    kind: CatalogKind,
    path: &Path,
    header: &[String],
    flags: LegacyFlags,
) -> Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, name) in header.iter().enumerate() {
        let loc = Location::line_col(path, 1, i as u64 + 1);
        if name.is_empty() {
            return Err(Error::catalog(loc, format!("column {} has no name", i + 1)));
        }
        if name.trim() != name {
            return Err(Error::catalog(
                loc,
                format!("column name {name:?} has surrounding whitespace"),
            ));
        }
        if !seen.insert(name) {
            return Err(Error::catalog(
                loc,
                format!("column {name:?} appears twice in the header"),
            ));
        }
        if flags == LegacyFlags::Refuse && LEGACY_FLAG_COLUMNS.contains(&name.as_str()) {
            let root_hint = path
                .parent()
                .and_then(|p| {
                    if p.file_name().is_some_and(|n| n == "1_raw") {
                        p.parent()
                    } else {
                        Some(p)
                    }
                })
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| ".".into());
            return Err(Error::Catalog {
                loc,
                message: format!(
                    "the catalog has the selection column {name:?}: selection flags are not catalog data (D9); \
                     a cohort spec says which rows a cohort uses"
                ),
                detail: vec![
                    "hint: `cohortdb migrate legacy COHORT_ID` writes a spec from these flags"
                        .to_string(),
                    format!(
                        "hint: `cohortdb catalog strip-active {root_hint}` rewrites the catalogs without them \
                         (keeping *.legacy.csv copies)"
                    ),
                ],
            });
        }
    }
    let missing: Vec<&str> = kind
        .key_columns()
        .iter()
        .copied()
        .filter(|k| !header.iter().any(|h| h == k))
        .collect();
    if !missing.is_empty() {
        return Err(Error::catalog(
            Location::line(path, 1),
            format!(
                "missing required column{} {} for {} (found: {})",
                if missing.len() > 1 { "s" } else { "" },
                missing
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                kind.label(),
                header.join(", ")
            ),
        ));
    }
    Ok(())
}

struct Difference {
    /// The CSV column, when the difference is in one.
    column: Option<&'static str>,
    label: String,
    old: String,
    new: String,
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}… ({} characters)", text.chars().count())
    }
}

fn first_difference(kind: CatalogKind, row: &Row, stored: &StoredRow) -> Option<Difference> {
    for (i, name) in kind.content_columns().iter().enumerate() {
        if row.content[i] != stored.content[i] {
            return Some(Difference {
                column: Some(name),
                label: format!("column {name:?}"),
                old: shorten(&stored.content[i]),
                new: shorten(&row.content[i]),
            });
        }
    }
    if row.extra != stored.extra {
        let parse = |e: &Option<String>| -> BTreeMap<String, String> {
            e.as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default()
        };
        let (new, old) = (parse(&row.extra), parse(&stored.extra));
        let mut names: Vec<&String> = new.keys().chain(old.keys()).collect();
        names.sort();
        for name in names {
            let (o, n) = (
                old.get(name).map_or("", String::as_str),
                new.get(name).map_or("", String::as_str),
            );
            if o != n {
                return Some(Difference {
                    column: None,
                    label: format!("column {name:?}"),
                    old: shorten(o),
                    new: shorten(n),
                });
            }
        }
    }
    for (i, name) in kind.attachment_names().iter().enumerate() {
        if row.attachments[i] != stored.attachments[i] {
            let describe = |a: &Option<String>| match a {
                None => "absent".to_string(),
                Some(text) => shorten(text),
            };
            return Some(Difference {
                column: None,
                label: name.to_string(),
                old: describe(&stored.attachments[i]),
                new: describe(&row.attachments[i]),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_are_coerced_like_the_reference() {
        assert_eq!(parse_replicates("2"), Some(2));
        assert_eq!(parse_replicates("2.7"), Some(2));
        assert_eq!(parse_replicates(" 3 "), Some(3));
        assert_eq!(parse_replicates("0"), None);
        assert_eq!(parse_replicates("x"), None);
        assert_eq!(parse_replicates("nan"), None);
    }

    #[test]
    fn keys_are_checked() {
        assert!(key_problem(CatalogKind::LlmModels, "").is_some());
        assert!(key_problem(CatalogKind::LlmModels, " x").is_some());
        assert!(key_problem(CatalogKind::LlmModels, "x\u{1f}").is_some());
        assert!(key_problem(CatalogKind::LlmModels, "a/b").is_none());
        assert!(key_problem(CatalogKind::DraftTemplates, "a/b").is_some());
        assert!(key_problem(CatalogKind::DraftTemplates, "creative-synthesis-v2").is_none());
    }
}
