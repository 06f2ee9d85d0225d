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
pub mod pyjson;
pub mod pytext;
pub mod reorder;
pub mod score;
pub mod summary;
pub mod table;
mod unprintable;
pub mod walk;

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

/// A stored cohort's gen_ids of one stage, in membership order.
fn stored_members(conn: &Connection, cohort: &str, stage: crate::ids::Stage) -> Result<walk::Ids> {
    let mut stmt = conn
        .prepare_cached(queries::RESULTS_STORED_MEMBERS)
        .db("results_stored_members")?;
    let stage = crate::ids::Stage::ALL
        .iter()
        .position(|s| *s == stage)
        .unwrap_or_default() as i64;
    let mut rows = stmt
        .query(rusqlite::params![cohort, stage])
        .db("results_stored_members")?;
    let mut ids = walk::Ids::default();
    while let Some(r) = rows.next().db("results_stored_members")? {
        ids.push(walk::text(r, 0).db("results_stored_members")?);
    }
    Ok(ids)
}

/// The cohort's evaluation gen_ids (membership order) and where they came from.
fn members(conn: &Connection, req: &ScoresRequest) -> Result<(walk::Ids, MembershipSource)> {
    let id = req.cohort.as_str();
    if stored(conn, id)? {
        let ids = stored_members(conn, id, crate::ids::Stage::Evaluation)?;
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
            return Ok((walk::Ids::default(), MembershipSource::None));
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let ids = membership::evaluation_ids(&bytes).map_err(|e| ResultsError::Membership {
        path: path.display().to_string(),
        problem: e.to_string(),
    })?;
    Ok((ids.into_iter().collect(), MembershipSource::MembershipCsv))
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
) -> Result<(Imported, MembershipSource, walk::Ids, table::Typing, u64)> {
    let imported = imported_root(conn, &req.gens_root)?;
    let (ids, source) = members(conn, req)?;
    let src = table::Source {
        cohort: req.cohort.as_str(),
        members: &ids,
        gens_root: &imported.gens_root,
        stored: source == MembershipSource::Store,
    };
    let (typing, rows) = table::check(conn, &src)?;
    Ok((imported, source, ids, typing, rows))
}

/// Streams the cohort's rows (the reference's normalised table) through `f`; refuses, before
/// the first row, where the reference would abort (D25). Returns the number of rows.
pub fn score_rows(
    conn: &Connection,
    req: &ScoresRequest,
    mut f: impl FnMut(&EvaluationRow) -> Result<()>,
) -> Result<u64> {
    // The check and the rows read one snapshot.
    let _snapshot = crate::store::read_snapshot(conn)?;
    let (imported, source, ids, typing, rows) = prepare(conn, req)?;
    let src = table::Source {
        cohort: req.cohort.as_str(),
        members: &ids,
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
    let snapshot = crate::store::read_snapshot(conn)?;
    let imported = imported_root(conn, &req.gens_root)?;
    let (ids, source) = members(conn, req)?;
    let members = ids.len() as u64;
    let id = req.cohort.as_str();
    let src = table::Source {
        cohort: id,
        members: &ids,
        gens_root: &imported.gens_root,
        stored: source == MembershipSource::Store,
    };
    // The members' key order is sorted on a second thread while this one loads the stored
    // cohort's essays and drafts (D37).
    let (order, parents) = std::thread::scope(|scope| {
        let sorting = scope.spawn(|| ids.key_order());
        let parents = table::Parents::new(conn, &src);
        let order = sorting
            .join()
            .map_err(|_| Error::internal("sorting the members does not panic", "it did"));
        (order, parents)
    });
    let (order, mut parents) = (order?, parents?);
    let mut header = Vec::new();
    frame::push_record(&mut header, &COLUMNS);
    let root = &req.data_root;
    let mut rows_in_order = reorder::Reorder::new(root, members);
    let mut types = summary::Types::new(&COLUMNS);
    let mut pass = |typing: Option<&table::Typing>,
                    rows_in_order: &mut reorder::Reorder,
                    types: &mut summary::Types| {
        let keyed = Keyed {
            src: &src,
            order: &order,
            parents: &mut parents,
        };
        write_rows(conn, keyed, typing, rows_in_order, types, root)
    };
    let (_, rows) = {
        let first = pass(None, &mut rows_in_order, &mut types)?;
        if first.0.any_float_form() {
            rows_in_order.clear();
            types = summary::Types::new(&COLUMNS);
            pass(Some(&first.0), &mut rows_in_order, &mut types)?
        } else {
            first
        }
    };
    drop(parents);
    drop(order);
    // Everything is read: the files are written from the scratch files.
    drop(snapshot);
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
    // The summaries are computed on a second thread from the rows' cells as they are written
    // in membership order, with the dtypes computed as the rows were rendered: what read_csv
    // reads back from the file. Where that cannot be trusted (a cell with a `\r`) or that
    // thread fails, the file is read back afterwards, as pandas reads it (D35, D37).
    let summariser = summary::Summariser::of_cells(types.clone());
    let (written, summarised) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let summarising = summariser.map(|mut summariser| {
            scope.spawn(move || {
                for batch in rx {
                    for (_, cells) in batch.rows() {
                        summariser.add_cells(&cells);
                    }
                }
                summariser.finish()
            })
        });
        let mut to = summarising.is_some().then_some(tx);
        let written = crate::layout::write_with(&aggregated, |file, shown| -> Result<()> {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            out.write_all(&header).at(shown)?;
            let mut line = Vec::with_capacity(512);
            let mut batch = Batch::default();
            rows_in_order
                .write_in_order(|cells| {
                    let cells = <&[&str; 15]>::try_from(cells).map_err(|_| {
                        std::io::Error::other("a scratch row does not hold the table's 15 cells")
                    })?;
                    line.clear();
                    frame::push_record(&mut line, cells);
                    out.write_all(&line)?;
                    if to.is_some() {
                        batch.push(0, cells);
                        if batch.positions.len() >= Batch::ROWS {
                            send(&mut to, std::mem::take(&mut batch));
                        }
                    }
                    Ok(())
                })
                .at(shown)?;
            send(&mut to, batch);
            out.flush().at(shown)?;
            Ok(())
        });
        // The summaries' thread ends when its sender is gone — also when writing failed.
        drop(to);
        // The copy runs while the summaries' thread finishes.
        let written = written.and_then(|()| {
            crate::layout::write_with(&evaluation_scores, |file, shown| -> Result<()> {
                let mut from = crate::fsutil::open_regular(&aggregated).at(&aggregated)?;
                std::io::copy(&mut from, file).at(shown)?;
                Ok(())
            })
        });
        let summarised = summarising.and_then(|t| t.join().ok());
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
    keyed: Keyed<'_, '_, '_>,
    typing: Option<&table::Typing>,
    rows: &mut reorder::Reorder,
    types: &mut summary::Types,
    shown: &Path,
) -> Result<(table::Typing, u64)> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let writer = scope.spawn(move || -> std::io::Result<()> {
            for batch in rx {
                for (position, cells) in batch.rows() {
                    types.add(&cells);
                    rows.push(position, &cells)?;
                }
            }
            Ok(())
        });
        let gone = || Error::internal("the rows' writer thread takes every batch", "it stopped");
        let mut batch = Batch::default();
        let found = table::render_rows(
            conn,
            keyed.src,
            keyed.order,
            keyed.parents,
            typing,
            |position, cells| {
                batch.push(position, cells);
                if batch.positions.len() >= Batch::ROWS {
                    tx.send(std::mem::take(&mut batch)).map_err(|_| gone())?;
                }
                Ok(())
            },
        )
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

/// What a pass of [`write_rows`] walks: the cohort, its members' key order and the essays
/// and drafts remembered so far.
struct Keyed<'a, 'p, 'c> {
    src: &'a table::Source<'a>,
    order: &'a [u32],
    parents: &'p mut table::Parents<'c>,
}

/// Sends a batch to the summaries' thread, if it still takes them (a thread that stopped
/// early, which only happens when it panicked, leaves the file to be read back).
fn send(to: &mut Option<std::sync::mpsc::SyncSender<Batch>>, batch: Batch) {
    if let Some(tx) = to
        && tx.send(batch).is_err()
    {
        *to = None;
    }
}

/// Rows handed from one thread to another: each row's position and its 15 cells,
/// concatenated.
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
///
/// Each stage's members are sorted by gen_id and the ledger is walked beside them
/// ([`walk::walk`], docs/decisions.md D37): its pages are read once, in order, with no sort in
/// SQL and no seek per member where the cohort holds most of the stage.
pub fn progress(conn: &Connection, cohort: &CohortId, missing: bool) -> Result<ProgressReport> {
    let _snapshot = crate::store::read_snapshot(conn)?;
    let mut stages: Vec<StageProgress> = crate::ids::Stage::ALL
        .iter()
        .map(|s| StageProgress {
            stage: s.as_str().to_string(),
            missing: missing.then(Vec::new),
            ..StageProgress::default()
        })
        .collect();
    // Each stage's members: gen_id and ordinal (sql/results_progress_members.sql: stage,
    // gen_id, ordinal by position).
    let mut members: Vec<Vec<(String, i64)>> = vec![Vec::new(); stages.len()];
    {
        let mut stmt = conn
            .prepare(queries::RESULTS_PROGRESS_MEMBERS)
            .db("results_progress_members")?;
        let mut rows = stmt
            .query([cohort.as_str()])
            .db("results_progress_members")?;
        while let Some(r) = rows.next().db("results_progress_members")? {
            let stage: i64 = r.get(0).db("results_progress_members")?;
            let Some(list) = usize::try_from(stage).ok().and_then(|i| members.get_mut(i)) else {
                continue;
            };
            list.push((
                r.get(1).db("results_progress_members")?,
                r.get(2).db("results_progress_members")?,
            ));
        }
    }
    for ((p, mut list), stage) in stages.iter_mut().zip(members).zip(crate::ids::Stage::ALL) {
        // By gen_id, then ordinal.
        list.sort_unstable();
        // The members without parsed.txt: ordinal and place in `list`.
        let mut absent: Vec<(i64, usize)> = Vec::new();
        walk::walk(
            conn,
            queries::RESULTS_PROGRESS_WALK,
            "results_progress_walk",
            stage.as_str(),
            list.len(),
            |k| &list[k].0,
            |k, row| {
                // Columns by position: gen_id, has_prompt, has_raw, has_parsed.
                let flag = |at: usize| -> Result<u64> {
                    match row {
                        None => Ok(0),
                        Some(r) => Ok(u64::from(
                            r.get::<_, i64>(at).db("results_progress_walk")? != 0,
                        )),
                    }
                };
                p.members += 1;
                p.with_prompt += flag(1)?;
                p.with_raw += flag(2)?;
                let parsed = flag(3)?;
                p.with_parsed += parsed;
                if parsed == 0 && missing {
                    absent.push((list[k].1, k));
                }
                Ok(())
            },
        )?;
        if let Some(out) = p.missing.as_mut() {
            absent.sort_unstable();
            *out = absent.into_iter().map(|(_, k)| list[k].0.clone()).collect();
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
