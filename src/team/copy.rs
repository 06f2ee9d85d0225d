//! `push` and `pull` (docs/postgres.md, "Moving cohorts between stores"): carry cohorts, with
//! the catalog rows and registry entries they need, from one store to another — SQLite or a
//! team store, either direction. Records are immutable and content-addressed, so they move like
//! git objects:
//!
//! - **What travels.** Each cohort's record and rows; the catalog rows it references
//!   (`record::catalog`: its templates, LLMs, combo rows, their concepts, every replication
//!   row), as of its last import batch, grouped in new batches after the target's newest; and
//!   the cohorts whose registry entries its members' collision indices depend on (a member at
//!   collision index k > 0 exists because indices 0…k−1 were taken by other signatures:
//!   those registrations travel too, transitively).
//! - **What is refused** (nothing is copied): a catalog row whose key the target holds with
//!   other content (append-only, D9); a cohort id the target holds with another content hash
//!   (D14); a member whose gen_id the target registered for another signature or other values,
//!   or whose lower collision indices the target lacks or holds for the same signature (D1, D2
//!   hold store-wide).
//! - **Numbers are the target's own**: batches and records are renumbered on arrival; the
//!   content hash does not depend on them (docs/hashing.md). Reuse counts are recounted there.
//! - **Every record is re-hashed on arrival** (`mirror::check_arrival`, inside the target's
//!   transaction). A cohort the target already holds with the same hash is left alone, so
//!   repeating a copy is a no-op.
//!
//! The work is done between two SQLite connections: a team store's side is its synced mirror,
//! and a copy into a team store is staged in its mirror and published (`Team::stage`).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::mirror::check_arrival;
use super::tables::Table;
use super::team_error;
use super::transfer::{Row, SqliteSink, sqlite_query_rows, sqlite_rows};
use crate::error::{DbContext, Result, TeamErrorKind};
use crate::ids::{CohortId, Role};
use crate::record::{self, Stored};

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    /// Cohorts written to the target, in the order they were (those named and those their
    /// registry entries depend on).
    pub copied: Vec<String>,
    /// Cohorts the target already held with the same content hash.
    pub present: Vec<String>,
    /// Catalog rows carried.
    pub catalog_rows: u64,
}

/// One side of a copy: an SQLite connection (a store, or a team store's mirror) and how it is
/// named in messages.
pub struct Side<'c> {
    /// The connection (the target's inside its write transaction).
    pub conn: &'c Connection,
    /// The store as shown (a path, or a URL without its password).
    pub shown: &'c str,
}

/// Copies the cohorts `ids` and what they need from `source` into `target` (inside the
/// target's transaction, which the caller commits).
pub fn copy_cohorts(source: &Side<'_>, target: &Side<'_>, ids: &[CohortId]) -> Result<CopyReport> {
    let mut report = CopyReport::default();
    for (_, id) in closure(source, ids)? {
        let cohort = CohortId::parse(&id)?;
        let stored = Stored::load(source.conn, &cohort)?;
        if let Some(here) = record::load(target.conn, &id)? {
            if here.content_hash == stored.record.content_hash {
                report.present.push(id);
                continue;
            }
            return Err(team_error(
                target.shown,
                TeamErrorKind::RecordDiffers {
                    cohort: id,
                    here: here.content_hash,
                    there: stored.record.content_hash,
                },
            ));
        }
        report.catalog_rows += carry_catalog_rows(source, target, &stored)?;
        let entries = check_registry(target, &stored)?;
        write_record(source, target, &stored, &entries)?;
        check_arrival(target.conn, target.shown, &id)?;
        report.copied.push(id);
    }
    Ok(report)
}

/// The cohorts to carry, by their number in the source: those named, and, transitively, the
/// cohorts that registered the lower collision indices of their members' gen_ids.
fn closure(source: &Side<'_>, ids: &[CohortId]) -> Result<BTreeMap<i64, String>> {
    let mut needed: BTreeMap<i64, String> = BTreeMap::new();
    let mut work: Vec<i64> = Vec::new();
    for id in ids {
        let record = record::load(source.conn, id.as_str())?.ok_or_else(|| {
            team_error(
                source.shown,
                TeamErrorKind::NoSuchCohort {
                    cohort: id.to_string(),
                },
            )
        })?;
        if needed.insert(record.cohort_no, id.to_string()).is_none() {
            work.push(record.cohort_no);
        }
    }
    let mut registrant = source
        .conn
        .prepare(include_str!("../../sql/team_registry_entry.sql"))
        .db("team_registry_entry")?;
    let mut id_of = source
        .conn
        .prepare(crate::store::queries::RECORD_ID_BY_NO)
        .db("record_id_by_no")?;
    while let Some(no) = work.pop() {
        let id = CohortId::parse(&needed[&no])?;
        let stored = Stored::load(source.conn, &id)?;
        for member in stored.members.iter() {
            let k = collision_index(member.gen_id);
            if k == 0 {
                continue;
            }
            let Some(signature) = member.signature() else {
                continue; // the arrival check names it
            };
            for j in 0..k {
                let lower = crate::ids::gen_id(member.stage, &signature, j);
                let Some(earlier) = registrant
                    .query_row([&lower], |r| r.get::<_, i64>("cohort_no"))
                    .optional()
                    .db("team_registry_entry")?
                else {
                    continue; // the target check refuses a missing lower index
                };
                if needed.contains_key(&earlier) {
                    continue;
                }
                // An entry without a record (written outside cohortdb) has nothing to carry;
                // the target's own registry then decides (check_registry).
                let Some(earlier_id) = id_of
                    .query_row([earlier], |r| r.get::<_, String>("cohort_id"))
                    .optional()
                    .db("record_id_by_no")?
                else {
                    continue;
                };
                needed.insert(earlier, earlier_id);
                work.push(earlier);
            }
        }
    }
    Ok(needed)
}

/// A gen_id's collision index: the number after its `-` (0 without one).
fn collision_index(gen_id: &str) -> u32 {
    gen_id
        .rsplit_once('-')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// The statement that reads one referenced row by its key.
fn by_key(table: Table) -> &'static str {
    match table {
        Table::CatalogTemplates => include_str!("../../sql/team_catalog_templates_by_key.sql"),
        Table::CatalogLlmModels => include_str!("../../sql/team_catalog_llm_models_by_key.sql"),
        Table::CatalogComboMappings => {
            include_str!("../../sql/team_catalog_combo_mappings_by_key.sql")
        }
        Table::CatalogConcepts => include_str!("../../sql/team_catalog_concepts_by_key.sql"),
        _ => include_str!("../../sql/team_catalog_replication_by_key.sql"),
    }
}

/// The keys of the catalog rows a stored cohort references, per table.
fn referenced_keys(conn: &Connection, stored: &Stored) -> Result<Vec<(Table, Vec<String>)>> {
    let texts = crate::diff::catalog::member_texts(&stored.members);
    let rows = crate::record::catalog::referenced_rows(
        conn,
        &|role: Role| texts[role.index()].clone(),
        stored.record.last_batch,
    )?;
    let mut keys = Vec::new();
    for t in &rows.templates {
        keys.push((
            Table::CatalogTemplates,
            vec![t.stage.as_str().to_string(), t.template_id.clone()],
        ));
    }
    for l in &rows.llm_models {
        keys.push((Table::CatalogLlmModels, vec![l.id.clone()]));
    }
    for c in &rows.combo_mappings {
        keys.push((
            Table::CatalogComboMappings,
            vec![c.combo_id.clone(), c.concept_id.clone()],
        ));
    }
    for c in &rows.concepts {
        keys.push((Table::CatalogConcepts, vec![c.concept_id.clone()]));
    }
    for r in &rows.replication {
        keys.push((Table::CatalogReplication, vec![r.stage.clone()]));
    }
    Ok(keys)
}

/// One catalog row by key from `side`.
fn row_by_key(side: &Side<'_>, table: Table, key: &[String]) -> Result<Option<Row>> {
    let params: Vec<&dyn rusqlite::ToSql> = key.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
    let mut found = None;
    sqlite_query_rows(
        side.conn,
        side.shown,
        table,
        by_key(table),
        &params,
        &mut |row| {
            found = Some(row);
            Ok(())
        },
    )?;
    Ok(found)
}

/// Carries the catalog rows `stored` references that the target lacks, in new batches (one per
/// source batch they came from, after the target's newest); refuses a row the target holds
/// with other content. Returns how many rows it carried.
fn carry_catalog_rows(source: &Side<'_>, target: &Side<'_>, stored: &Stored) -> Result<u64> {
    let mut by_batch: BTreeMap<i64, Vec<(Table, Row)>> = BTreeMap::new();
    for (table, key) in referenced_keys(source.conn, stored)? {
        let Some(row) = row_by_key(source, table, &key)? else {
            continue;
        };
        let batch_col = table.position("batch_id");
        let content = |r: &Row| -> Vec<Value> {
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != batch_col && *i != table.position("line"))
                .map(|(_, v)| v.clone())
                .collect()
        };
        match row_by_key(target, table, &key)? {
            Some(theirs) if content(&theirs) == content(&row) => {}
            Some(_) => {
                return Err(team_error(
                    target.shown,
                    TeamErrorKind::CatalogRowDiffers {
                        table: table.name(),
                        key: crate::textfmt::capped(&key.join(", ")),
                    },
                ));
            }
            None => {
                let Value::Integer(batch) = row[batch_col] else {
                    continue;
                };
                by_batch.entry(batch).or_default().push((table, row));
            }
        }
    }
    let mut carried = 0;
    let mut sink = SqliteSink::new(target.conn);
    for (source_batch, rows) in by_batch {
        let batch = record::last_batch(target.conn)? + 1;
        let count = rows.len() as i64;
        // Rows of a batch in table order, as an import writes them.
        for table in Table::batch_tables() {
            for (t, row) in rows.iter().filter(|(t, _)| *t == table) {
                let mut row = row.clone();
                row[t.position("batch_id")] = Value::Integer(batch);
                sink.insert(*t, &row)?;
            }
        }
        let mut header = None;
        sqlite_rows(
            source.conn,
            source.shown,
            Table::ImportBatches,
            source_batch,
            &mut |row| {
                header = Some(row);
                Ok(())
            },
        )?;
        let Some(mut header) = header else {
            return Err(team_error(
                source.shown,
                TeamErrorKind::bad_value(
                    "import_batches",
                    &format!("catalog rows name batch {source_batch}, which does not exist"),
                ),
            ));
        };
        header[Table::ImportBatches.position("batch_id")] = Value::Integer(batch);
        header[Table::ImportBatches.position("rows_added")] = Value::Integer(count);
        sink.insert(Table::ImportBatches, &header)?;
        carried += count as u64;
    }
    Ok(carried)
}

/// A registry entry the arriving record adds: `(gen_id, signature digest, collision index,
/// ordinal)`.
type Entry = (String, Vec<u8>, i64, i64);

/// Checks the arriving cohort's members against the target's registry (D1, D2 store-wide) and
/// returns the entries the record adds (its gen_ids the target has not registered).
fn check_registry(target: &Side<'_>, stored: &Stored) -> Result<Vec<Entry>> {
    let cohort = &stored.record.cohort_id;
    let conflict = |gen_id: &str| {
        team_error(
            target.shown,
            TeamErrorKind::RegistryConflict {
                cohort: cohort.clone(),
                gen_id: gen_id.to_string(),
            },
        )
    };
    let mut entry = target
        .conn
        .prepare(include_str!("../../sql/team_registry_entry.sql"))
        .db("team_registry_entry")?;
    let mut holder = target
        .conn
        .prepare(include_str!("../../sql/team_registry_member.sql"))
        .db("team_registry_member")?;
    let mut fresh = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (ordinal, member) in stored.members.iter().enumerate() {
        let Some(signature) = member.signature() else {
            continue; // the arrival check names it
        };
        let digest = crate::store::functions::signature_digest(&signature).to_vec();
        let k = collision_index(member.gen_id);
        for j in 0..k {
            let lower = crate::ids::gen_id(member.stage, &signature, j);
            let theirs: Option<Vec<u8>> = entry
                .query_row([&lower], |r| r.get("signature_digest"))
                .optional()
                .db("team_registry_entry")?;
            // The lower index must be taken, by another signature, or this member would get it.
            if theirs.is_none_or(|d| d == digest) {
                return Err(conflict(member.gen_id));
            }
        }
        let theirs: Option<Vec<u8>> = entry
            .query_row([member.gen_id], |r| r.get("signature_digest"))
            .optional()
            .db("team_registry_entry")?;
        match theirs {
            None => {
                if seen.insert(member.gen_id) {
                    fresh.push((
                        member.gen_id.to_string(),
                        digest,
                        i64::from(k),
                        ordinal as i64,
                    ));
                }
            }
            Some(d) if d != digest => return Err(conflict(member.gen_id)),
            Some(_) => {
                // The same signature: the values must agree too (D2).
                let agrees = holder
                    .query_row([member.gen_id], |r| {
                        let stage: String = r.get("stage")?;
                        Ok(stage == member.stage.as_str()
                            && r.get::<_, Option<String>>("parent_gen_id")?.as_deref()
                                == member.parent_gen_id
                            && r.get::<_, String>("combo_id")? == member.combo_id
                            && r.get::<_, String>("template_id")? == member.template_id
                            && r.get::<_, String>("llm_model_id")? == member.llm_model_id
                            && r.get::<_, crate::replicate::Replicate>("replicate")?
                                == *member.replicate)
                    })
                    .optional()
                    .db("team_registry_member")?;
                if agrees != Some(true) {
                    return Err(conflict(member.gen_id));
                }
            }
        }
    }
    Ok(fresh)
}

/// Writes the record into the target under its next number: spec files, modes, values,
/// members, the registry entries it adds, reuse counts recounted there, and the record row last
/// (its last batch: the target's newest, which holds every row the cohort references).
fn write_record(
    source: &Side<'_>,
    target: &Side<'_>,
    stored: &Stored,
    entries: &[Entry],
) -> Result<()> {
    let from = stored.record.cohort_no;
    let no = record::next_cohort_no(target.conn)?;
    let last_batch = record::last_batch(target.conn)?;
    let mut sink = SqliteSink::new(target.conn);
    for table in [
        Table::CohortSpecFiles,
        Table::CohortTemplateModes,
        Table::CohortValues,
        Table::CohortMembers,
    ] {
        let col = table.position("cohort_no");
        sqlite_rows(source.conn, source.shown, table, from, &mut |mut row| {
            row[col] = Value::Integer(no);
            sink.insert(table, &row)
        })?;
    }
    for (gen_id, digest, k, ordinal) in entries {
        sink.insert(
            Table::GenIds,
            &[
                Value::Text(gen_id.clone()),
                Value::Blob(digest.clone()),
                Value::Integer(*k),
                Value::Integer(no),
                Value::Integer(*ordinal),
            ],
        )?;
    }
    for r in record::recount_reuse(target.conn, no)? {
        sink.insert(
            Table::CohortReuse,
            &[
                Value::Integer(no),
                Value::Integer(r.earlier_no),
                Value::Integer(r.shared as i64),
            ],
        )?;
    }
    let mut record_row = None;
    sqlite_rows(
        source.conn,
        source.shown,
        Table::CohortRecords,
        from,
        &mut |row| {
            record_row = Some(row);
            Ok(())
        },
    )?;
    let Some(mut row) = record_row else {
        return Err(crate::Error::internal(
            "a loaded record has its row",
            format!("cohort_no {from}"),
        ));
    };
    row[Table::CohortRecords.position("cohort_no")] = Value::Integer(no);
    row[Table::CohortRecords.position("last_batch_id")] = Value::Integer(last_batch);
    sink.insert(Table::CohortRecords, &row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collision_indices_are_read_from_the_gen_id() {
        assert_eq!(collision_index("d_abc"), 0);
        assert_eq!(collision_index("d_abc-2"), 2);
        assert_eq!(collision_index("e_x-13"), 13);
    }
}

/// A store named on the command line: an SQLite file or a team store.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// An SQLite store file.
    Sqlite(std::path::PathBuf),
    /// A team store.
    Team(super::PgUrl),
}

impl Endpoint {
    /// `db` as `--db`, `--to` or `--from` name it: a `postgres://` URL or a path.
    pub fn parse(db: &str) -> Result<Endpoint> {
        if super::is_url(db) {
            Ok(Endpoint::Team(super::parse_url(db)?))
        } else {
            Ok(Endpoint::Sqlite(db.into()))
        }
    }

    /// The store as shown (a path, or the URL without its password).
    pub fn shown(&self) -> String {
        match self {
            Endpoint::Sqlite(path) => path.display().to_string(),
            Endpoint::Team(url) => url.to_string(),
        }
    }
}

/// Copies cohorts `ids` and what they need from `from` to `to` (`push` and `pull`): one
/// transaction on the target (published under its write lock for a team store); nothing is
/// written when every cohort is already there.
pub fn copy(from: &Endpoint, to: &Endpoint, ids: &[CohortId]) -> Result<CopyReport> {
    let from_shown = from.shown();
    let to_shown = to.shown();
    let source_team;
    let source_store;
    let source_conn: &Connection = match from {
        Endpoint::Sqlite(path) => {
            source_store = crate::Store::open_read_only(path)?;
            source_store.conn()
        }
        Endpoint::Team(url) => {
            source_team = super::publish::Team::open_reader(url)?;
            source_team.mirror().conn()
        }
    };
    let source = Side {
        conn: source_conn,
        shown: &from_shown,
    };
    match to {
        Endpoint::Sqlite(path) => {
            let mut store = crate::Store::open(path)?;
            let tx = store.write_transaction()?;
            let target = Side {
                conn: &tx,
                shown: &to_shown,
            };
            let report = copy_cohorts(&source, &target, ids)?;
            if !report.copied.is_empty() {
                tx.commit().db("commit copy")?;
            }
            Ok(report)
        }
        Endpoint::Team(url) => {
            let mut team = super::publish::Team::open(url)?;
            team.stage(&mut |tx| {
                let target = Side {
                    conn: tx,
                    shown: &to_shown,
                };
                copy_cohorts(&source, &target, ids)
            })
        }
    }
}
