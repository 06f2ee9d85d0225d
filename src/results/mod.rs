//! The results ledger (docs/storage.md, "The results ledger"; docs/reference.md, "Results";
//! docs/decisions.md D25): what each generation folder `gens/<stage>/<gen_id>/` produced,
//! imported append-only with history ([`import_gens`]), each cohort's progress
//! ([`progress`]), the reference's results files byte for byte ([`scores`], [`score_rows`]),
//! and a full re-hash of what was imported ([`verify`]).
//!
//! Layers: `pytext`, `pyjson` and `score` are Python's semantics; `generation` reads one
//! folder; `ledger` walks the gens root into the store; `table` assembles the reference's rows
//! from the store; `frame` is pandas' CSV writing and reading; `summary` the summary tables;
//! `membership` a cohort that exists only as files. Nothing here prints; reports are typed and
//! `serde::Serialize`.

pub mod frame;
pub mod generation;
pub mod ledger;
pub mod membership;
pub mod pipe;
pub mod pyjson;
pub mod pytext;
pub mod reorder;
pub mod score;
pub mod summary;
pub mod table;
mod unprintable;

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{DbContext, Error, IoContext, Result, ResultsError};
use crate::ids::CohortId;
use crate::store::queries;

pub use ledger::{ImportGensReport, import_gens, import_gens_into};
pub use table::{COLUMNS, EvaluationRow};

/// The latest import: its id, gens root and time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    /// The import's id.
    pub import_id: i64,
    /// The resolved gens root it scanned.
    pub gens_root: String,
    /// When (RFC 3339, UTC).
    pub imported_at: String,
}

/// The latest import, if any.
pub fn last_import(conn: &Connection) -> Result<Option<Imported>> {
    let mut stmt = conn
        .prepare(queries::RESULTS_IMPORT_LAST)
        .db("results_import_last")?;
    let mut rows = stmt.query([]).db("results_import_last")?;
    match rows.next().db("results_import_last")? {
        None => Ok(None),
        Some(r) => Ok(Some(Imported {
            import_id: r.get("import_id").db("results_import_last")?,
            gens_root: r.get("gens_root").db("results_import_last")?,
            imported_at: r.get("imported_at").db("results_import_last")?,
        })),
    }
}

/// What `scores` reads: a cohort, its data root and the gens root.
#[derive(Debug, Clone)]
pub struct ScoresRequest {
    /// The cohort.
    pub cohort: CohortId,
    /// The data root (`cohorts/<id>/…` below it).
    pub data_root: PathBuf,
    /// The gens root (must be the one imported last).
    pub gens_root: PathBuf,
}

/// Where a cohort's membership came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipSource {
    /// The stored record.
    Store,
    /// `cohorts/<id>/membership.csv`, read as the reference reads it.
    MembershipCsv,
    /// No membership file: no rows, as in the reference.
    None,
}

/// What `scores` wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoresReport {
    /// The cohort.
    pub cohort_id: String,
    /// Where the membership came from.
    pub membership: MembershipSource,
    /// The ledger import the rows reflect.
    pub imported: Imported,
    /// Rows of the normalised table.
    pub rows: u64,
    /// Files written.
    pub written: Vec<String>,
    /// Files the reference would not write, with why.
    pub not_written: Vec<(String, String)>,
}

fn stored(conn: &Connection, id: &str) -> Result<bool> {
    conn.query_row(queries::RESULTS_COHORT_STORED, [id], |r| r.get("stored"))
        .db("results_cohort_stored")
}

/// The cohort's evaluation gen_ids (membership order) and where they came from.
fn members(conn: &Connection, req: &ScoresRequest) -> Result<(Vec<String>, MembershipSource)> {
    let id = req.cohort.as_str();
    if stored(conn, id)? {
        let mut stmt = conn
            .prepare(queries::RESULTS_STORED_EVALUATIONS)
            .db("results_stored_evaluations")?;
        let ids = stmt
            .query_map([id], |r| r.get::<_, String>("gen_id"))
            .db("results_stored_evaluations")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db("results_stored_evaluations")?;
        return Ok((ids, MembershipSource::Store));
    }
    let dir = crate::layout::DataLayout::new(&req.data_root).cohort(id);
    if !dir.is_dir() {
        return Err(ResultsError::NoCohort {
            id: id.to_string(),
            dir: dir.display().to_string(),
        }
        .into());
    }
    crate::layout::check_below(
        &req.data_root,
        Path::new(&format!("cohorts/{id}/membership.csv")),
        true,
    )?;
    let path = dir.join("membership.csv");
    let bytes = match crate::fsutil::read_regular(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Vec::new(), MembershipSource::None));
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let ids = membership::evaluation_ids(&bytes).map_err(|e| ResultsError::Membership {
        path: path.display().to_string(),
        problem: e.to_string(),
    })?;
    Ok((ids, MembershipSource::MembershipCsv))
}

/// The latest import, which must be of `gens_root`.
fn imported_root(conn: &Connection, gens_root: &Path) -> Result<Imported> {
    let imported = last_import(conn)?.ok_or(ResultsError::NothingImported)?;
    let asked = ledger::resolve(gens_root).display().to_string();
    if imported.gens_root != asked {
        return Err(ResultsError::OtherRoot {
            imported: imported.gens_root,
            asked,
        }
        .into());
    }
    Ok(imported)
}

/// Checks a cohort's rows (refusing where the reference aborts, D25) and prepares them.
fn prepare(
    conn: &Connection,
    req: &ScoresRequest,
) -> Result<(Imported, MembershipSource, String, table::Typing, u64)> {
    let imported = imported_root(conn, &req.gens_root)?;
    let (ids, source) = members(conn, req)?;
    let json = serde_json::to_string(&ids)
        .map_err(|e| Error::internal("a list of strings serialises as JSON", e.to_string()))?;
    let src = table::Source {
        cohort: req.cohort.as_str(),
        members_json: json,
        gens_root: &imported.gens_root,
        stored: source == MembershipSource::Store,
    };
    let (typing, rows) = table::check(conn, &src)?;
    let json = src.members_json;
    Ok((imported, source, json, typing, rows))
}

/// Streams the cohort's rows (the reference's normalised table) through `f`; refuses, before
/// the first row, where the reference would abort (D25). Returns the number of rows.
pub fn score_rows(
    conn: &Connection,
    req: &ScoresRequest,
    mut f: impl FnMut(&EvaluationRow) -> Result<()>,
) -> Result<u64> {
    let (imported, source, json, typing, rows) = prepare(conn, req)?;
    let src = table::Source {
        cohort: req.cohort.as_str(),
        members_json: json,
        gens_root: &imported.gens_root,
        stored: source == MembershipSource::Store,
    };
    table::rows(conn, &src, &typing, |row| f(&row))?;
    Ok(rows)
}

/// Writes the reference's results files for a cohort under `cohorts/<id>/reports/`
/// (docs/cli.md `scores`): nothing at all when the reference would abort (D25).
///
/// One pass over the ledger, in its key order (docs/decisions.md D35), checks and renders
/// every row into unnamed scratch files in the data root ([`reorder::Reorder`]: they vanish
/// with the process; nothing visible exists before the last row passed the check); only when
/// a raw-copied column turns out to print its ints in float form (`3.0`, which depends on
/// every row) is the pass redone with that typing. The report files are then written from the
/// scratch files in membership order.
pub fn scores(conn: &Connection, req: &ScoresRequest) -> Result<ScoresReport> {
    let imported = imported_root(conn, &req.gens_root)?;
    let (ids, source) = members(conn, req)?;
    let json = serde_json::to_string(&ids)
        .map_err(|e| Error::internal("a list of strings serialises as JSON", e.to_string()))?;
    let members = ids.len() as u64;
    drop(ids);
    let id = req.cohort.as_str();
    let src = table::Source {
        cohort: id,
        members_json: json,
        gens_root: &imported.gens_root,
        stored: source == MembershipSource::Store,
    };
    let mut header = Vec::new();
    frame::push_record(&mut header, &COLUMNS);
    let root = &req.data_root;
    let mut rows_in_order = reorder::Reorder::new(root, members);
    let mut types = summary::Types::new(&COLUMNS);
    let (_, rows) = {
        let first = write_rows(conn, &src, None, &mut rows_in_order, &mut types, root)?;
        if first.0.any_float_form() {
            rows_in_order.clear();
            types = summary::Types::new(&COLUMNS);
            write_rows(
                conn,
                &src,
                Some(&first.0),
                &mut rows_in_order,
                &mut types,
                root,
            )?
        } else {
            first
        }
    };
    let parsing_rel = format!("cohorts/{id}/reports/parsing");
    let parsing = req.data_root.join(&parsing_rel);
    let summary_dir = crate::layout::create_below(
        &req.data_root,
        Path::new(&format!("cohorts/{id}/reports/summary")),
    )?;
    let aggregated = parsing.join("aggregated_scores.csv");
    let evaluation_scores = summary_dir.join("evaluation_scores.csv");
    let mut report = ScoresReport {
        cohort_id: id.to_string(),
        membership: source,
        imported: imported.clone(),
        rows,
        written: Vec::new(),
        not_written: Vec::new(),
    };
    if rows == 0 {
        crate::layout::write_atomic(&evaluation_scores, &header)?;
        report.written.push(evaluation_scores.display().to_string());
        report.not_written.push((
            aggregated.display().to_string(),
            "no rows: the reference writes no file (and keeps an earlier one)".into(),
        ));
        for name in SUMMARY_FILES {
            report.not_written.push((
                summary_dir.join(name).display().to_string(),
                "no aggregated_scores.csv to read".into(),
            ));
        }
        return Ok(report);
    }
    crate::layout::create_below(&req.data_root, Path::new(&parsing_rel))?;
    // The summaries are computed on a second thread from the bytes of aggregated_scores.csv
    // as they are written (pipe.rs), with the dtypes computed as the rows were rendered; where
    // those cannot be trusted (a cell with a `\r`) or that thread fails, the file is read back
    // afterwards, as pandas reads it (D35).
    let streamed = types.usable();
    let (written, summarised) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(pipe::IN_FLIGHT);
        let summarising = streamed.then(|| {
            let types = types.clone();
            scope.spawn(move || {
                let mut once = Some(pipe::Chunks::new(rx));
                summary::summarise_typed(
                    || {
                        once.take()
                            .ok_or_else(|| std::io::Error::other("the stream is read once"))
                    },
                    Some(types),
                )
            })
        });
        let to = streamed.then_some(tx);
        let written = crate::layout::write_with(&aggregated, |file, shown| -> Result<()> {
            let mut out = pipe::Tee::new(std::io::BufWriter::with_capacity(1 << 20, file), to);
            out.write_all(&header).at(shown)?;
            rows_in_order.write_in_order(&mut out).at(shown)?;
            out.finish().at(shown)?;
            Ok(())
        });
        // The copy runs while the summaries' thread finishes.
        let written = written.and_then(|()| {
            crate::layout::write_with(&evaluation_scores, |file, shown| -> Result<()> {
                let mut from = crate::fsutil::open_regular(&aggregated).at(&aggregated)?;
                std::io::copy(&mut from, file).at(shown)?;
                Ok(())
            })
        });
        let summarised = summarising.and_then(|t| t.join().ok()).and_then(|s| s.ok());
        (written, summarised)
    });
    written?;
    report.written.push(aggregated.display().to_string());
    report.written.push(evaluation_scores.display().to_string());
    let summaries = match summarised {
        Some(summaries) => summaries,
        None => summary::summarise_typed(
            || {
                crate::fsutil::open_regular(&aggregated)
                    .map(|f| BufReader::with_capacity(1 << 20, f))
            },
            Some(types),
        )
        .at(&aggregated)?,
    };
    for (name, bytes) in [
        ("final_results.csv", summaries.final_results),
        ("perfect_score_paths.csv", summaries.perfect_score_paths),
        (
            "evaluation_model_template_pivot.csv",
            summaries.evaluation_model_template_pivot,
        ),
    ] {
        let path = summary_dir.join(name);
        match bytes {
            Some(b) => {
                crate::layout::write_atomic(&path, &b)?;
                report.written.push(path.display().to_string());
            }
            None => report.not_written.push((
                path.display().to_string(),
                "empty: the reference writes no file (and keeps an earlier one)".into(),
            )),
        }
    }
    Ok(report)
}

/// One pass of [`table::render_rows`] into `rows` (every row's CSV record at its position in
/// the membership) and `types` (the dtypes the summaries read, so they read the file once);
/// returns the typing found and the number of rows. This thread steps the ledger and renders
/// each row's cells; a second one writes them as CSV records and types them (D35), fed
/// batches of rows through a bounded channel.
fn write_rows(
    conn: &Connection,
    src: &table::Source<'_>,
    typing: Option<&table::Typing>,
    rows: &mut reorder::Reorder,
    types: &mut summary::Types,
    shown: &Path,
) -> Result<(table::Typing, u64)> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let writer = scope.spawn(move || -> std::io::Result<()> {
            let mut line = Vec::with_capacity(512);
            for batch in rx {
                for (position, cells) in batch.rows() {
                    types.add(&cells);
                    line.clear();
                    frame::push_record(&mut line, &cells);
                    rows.push(position, &line)?;
                }
            }
            Ok(())
        });
        let gone = || Error::internal("the rows' writer thread takes every batch", "it stopped");
        let mut batch = Batch::default();
        let found = table::render_rows(conn, src, typing, |position, cells| {
            batch.push(position, cells);
            if batch.positions.len() >= Batch::ROWS {
                tx.send(std::mem::take(&mut batch)).map_err(|_| gone())?;
            }
            Ok(())
        })
        .and_then(|found| {
            tx.send(batch).map_err(|_| gone())?;
            Ok(found)
        });
        drop(tx);
        // The writer's own error (an I/O error on the scratch files) explains a stop.
        match writer.join() {
            Ok(Ok(())) => found,
            Ok(Err(e)) => Err(Error::io(shown, e)),
            Err(_) => Err(Error::internal(
                "the rows' writer thread does not panic",
                "it did",
            )),
        }
    })
}

/// Rows handed from the ledger's thread to the rows' writer: each row's position and its 15
/// cells, concatenated.
#[derive(Default)]
struct Batch {
    positions: Vec<u64>,
    text: String,
    /// The end of each cell in `text`, 15 per row.
    ends: Vec<usize>,
}

impl Batch {
    /// Rows per batch.
    const ROWS: usize = 4096;

    fn push(&mut self, position: u64, cells: &[&str; 15]) {
        self.positions.push(position);
        for cell in cells {
            self.text.push_str(cell);
            self.ends.push(self.text.len());
        }
    }

    fn rows(&self) -> impl Iterator<Item = (u64, [&str; 15])> + '_ {
        self.positions.iter().enumerate().map(|(i, position)| {
            let ends = &self.ends[i * 15..i * 15 + 15];
            let mut start = if i == 0 { 0 } else { self.ends[i * 15 - 1] };
            let cells = std::array::from_fn(|k| {
                let cell = &self.text[start..ends[k]];
                start = ends[k];
                cell
            });
            (*position, cells)
        })
    }
}

const SUMMARY_FILES: [&str; 3] = [
    "final_results.csv",
    "perfect_score_paths.csv",
    "evaluation_model_template_pivot.csv",
];

/// Per stage: members, and how many have each output in the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StageProgress {
    /// `draft`, `essay` or `evaluation`.
    pub stage: String,
    /// Members of the stage.
    pub members: u64,
    /// … with a prompt.txt.
    pub with_prompt: u64,
    /// … with a raw.txt.
    pub with_raw: u64,
    /// … with a parsed.txt.
    pub with_parsed: u64,
    /// The gen_ids without a parsed.txt, in membership order (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
}

/// How far a stored cohort is, from the ledger (the reference's coverage counts parsed.txt).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProgressReport {
    /// The cohort.
    pub cohort_id: String,
    /// The import the counts reflect (`None`: nothing imported yet; every output missing).
    pub imported: Option<Imported>,
    /// Draft, essay and evaluation, in that order.
    pub stages: Vec<StageProgress>,
}

/// The progress of a stored cohort; `missing` lists the gen_ids without parsed.txt.
pub fn progress(conn: &Connection, cohort: &CohortId, missing: bool) -> Result<ProgressReport> {
    let mut stages: Vec<StageProgress> = crate::ids::Stage::ALL
        .iter()
        .map(|s| StageProgress {
            stage: s.as_str().to_string(),
            missing: missing.then(Vec::new),
            ..StageProgress::default()
        })
        .collect();
    let mut stmt = conn
        .prepare(queries::RESULTS_PROGRESS)
        .db("results_progress")?;
    let mut rows = stmt.query([cohort.as_str()]).db("results_progress")?;
    // The missing members of each stage with their ordinals: the rows come in the ledger's key
    // order, the list is in membership order.
    let mut missing_by_stage: Vec<Vec<(i64, String)>> = vec![Vec::new(); stages.len()];
    // Columns by position (sql/results_progress.sql): stage, gen_id, has_prompt, has_raw,
    // has_parsed, ordinal; only a missing member's gen_id is copied.
    while let Some(r) = rows.next().db("results_progress")? {
        let stage: i64 = r.get(0).db("results_progress")?;
        let Some(i) = usize::try_from(stage).ok().filter(|i| *i < stages.len()) else {
            continue;
        };
        let p = &mut stages[i];
        let flag = |at: usize| -> Result<u64> {
            Ok(u64::from(r.get::<_, i64>(at).db("results_progress")? != 0))
        };
        p.members += 1;
        p.with_prompt += flag(2)?;
        p.with_raw += flag(3)?;
        let parsed = flag(4)?;
        p.with_parsed += parsed;
        if parsed == 0 && missing {
            missing_by_stage[i].push((
                r.get(5).db("results_progress")?,
                r.get(1).db("results_progress")?,
            ));
        }
    }
    for (p, mut list) in stages.iter_mut().zip(missing_by_stage) {
        if let Some(out) = p.missing.as_mut() {
            list.sort_unstable_by_key(|(ordinal, _)| *ordinal);
            *out = list.into_iter().map(|(_, gen_id)| gen_id).collect();
        }
    }
    Ok(ProgressReport {
        cohort_id: cohort.as_str().to_string(),
        imported: last_import(conn)?,
        stages,
    })
}

/// One imported file that is no longer what the ledger holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    /// The file.
    pub path: String,
    /// `changed` (other bytes), `vanished`, or what it is now (`not a regular file`).
    pub change: String,
}

/// What `results verify` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResultsVerifyReport {
    /// The gens root checked (the latest import's).
    pub gens_root: String,
    /// Files re-hashed.
    pub checked: u64,
    /// Files that changed or vanished since they were imported.
    pub changes: Vec<FileChange>,
}

/// Re-reads every file the ledger's current versions hold, under the latest import's root,
/// and reports each that changed or vanished (whatever its stat says: a full re-hash).
/// `tick` is called every few thousand files with the count so far; its error stops the check.
pub fn verify(conn: &Connection, tick: &dyn Fn(u64) -> Result<()>) -> Result<ResultsVerifyReport> {
    let imported = last_import(conn)?.ok_or(ResultsError::NothingImported)?;
    let root = PathBuf::from(&imported.gens_root);
    let mut report = ResultsVerifyReport {
        gens_root: imported.gens_root.clone(),
        checked: 0,
        changes: Vec::new(),
    };
    let mut stmt = conn
        .prepare(queries::RESULTS_CURRENT_FILES)
        .db("results_current_files")?;
    let mut rows = stmt.query([]).db("results_current_files")?;
    let mut buf = vec![0u8; 64 << 10];
    while let Some(r) = rows.next().db("results_current_files")? {
        let stage: String = r.get("stage").db("results_current_files")?;
        let gen_id: String = r.get("gen_id").db("results_current_files")?;
        let name: String = r.get("name").db("results_current_files")?;
        let blake3: Option<Vec<u8>> = r.get("blake3").db("results_current_files")?;
        let path = root.join(&stage).join(&gen_id).join(&name);
        report.checked += 1;
        if report.checked.is_multiple_of(4096) {
            tick(report.checked)?;
        }
        let change = match no_link_below(&root, &[&stage, &gen_id, &name]) {
            Some(what) => Some(what),
            None => match hash_file(&path, &mut buf) {
                Ok(h) if blake3.as_deref() == Some(h.as_slice()) => None,
                Ok(_) => Some("changed".to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("vanished".to_string()),
                Err(e) => Some(format!("unreadable ({e})")),
            },
        };
        if let Some(change) = change {
            report.changes.push(FileChange {
                path: path.display().to_string(),
                change,
            });
        }
    }
    Ok(report)
}

/// What a path below the root is instead of a folder chain and a regular file, if anything.
fn no_link_below(root: &Path, parts: &[&str]) -> Option<String> {
    let mut at = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Err(_) => return Some("vanished".to_string()),
            Ok(m) => {
                let t = m.file_type();
                let last = i + 1 == parts.len();
                if t.is_symlink() {
                    return Some("now a symlink (not followed)".to_string());
                }
                if (last && !t.is_file()) || (!last && !t.is_dir()) {
                    return Some(format!("now {}", crate::fsutil::kind_name(t)));
                }
            }
        }
    }
    None
}

fn hash_file(path: &Path, buf: &mut [u8]) -> std::io::Result<[u8; 32]> {
    let mut file = crate::fsutil::open_regular(path)?;
    let mut hasher = blake3::Hasher::new();
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(*hasher.finalize().as_bytes())
}
