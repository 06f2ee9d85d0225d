//! The local mirror of a team store (docs/postgres.md, "The mirror"): a full cohortdb SQLite
//! store on the client, `<mirror dir>/<store-uuid>.db`, synced from the server before a command
//! runs.
//!
//! Records are immutable and catalogs append-only, so a sync only ever adds: every import batch
//! (with its catalog rows) and every cohort record (with all its rows) the mirror lacks, found
//! by set difference of ids — writers may commit out of order, so "above my newest" would miss
//! rows. A sync is one SQLite write transaction that re-reads what the mirror holds inside it,
//! so several processes syncing one mirror at once each add what is still missing, once.
//! **Every record is re-hashed on arrival** (`check_arrival`: the checks `verify` makes of the
//! stored rows, the referenced catalog rows' digest, and the registry entries) and a mismatch
//! refuses the whole sync, naming the cohort. The mirror records which store it mirrors
//! (`team_mirror`) and refuses to take another's rows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use postgres::{IsolationLevel, Transaction};
use rusqlite::Connection;

use super::tables::Table;
use super::transfer::{SqliteSink, pg_rows};
use super::{Pg, TeamStore, queries, team_error};
use crate::error::{DbContext, IoContext, Result, TeamErrorKind};
use crate::ids::{CohortId, Role};
use crate::record::Stored;

/// The environment variable naming the folder of mirrors.
pub const MIRROR_DIR_ENV: &str = "COHORTDB_MIRROR_DIR";

/// The folder of mirrors: `$COHORTDB_MIRROR_DIR`, else `$XDG_CACHE_HOME/cohortdb/mirrors`, else
/// `~/.cache/cohortdb/mirrors`. With none of these set there is no folder of this user's own:
/// a shared one (`/tmp`) would let another user plant a mirror or a link by its predictable
/// name, so that is an error.
pub fn mirror_dir() -> Result<PathBuf> {
    mirror_dir_from(|name| std::env::var_os(name))
}

/// [`mirror_dir`] with the environment read through `env`.
fn mirror_dir_from(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(dir) = var(MIRROR_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    let cache = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| crate::Error::from(crate::error::UsageError::NoMirrorDir))?;
    Ok(cache.join("cohortdb").join("mirrors"))
}

/// The mirror file of the store with UUID `uuid`.
pub fn mirror_path(uuid: &str) -> Result<PathBuf> {
    Ok(mirror_dir()?.join(format!("{uuid}.db")))
}

/// Opens (creating when missing) the mirror of `team` at `path` and checks it mirrors this
/// store.
pub fn open_mirror(team: &TeamStore, path: &Path) -> Result<crate::Store> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).at(dir)?;
    }
    let mut store = crate::Store::open(path)?;
    store.mark_cache();
    let conn = store.conn();
    conn.execute_batch(include_str!("../../sql/team_mirror_create.sql"))
        .db("team_mirror_create")?;
    conn.execute(
        include_str!("../../sql/team_mirror_claim.sql"),
        [team.uuid()],
    )
    .db("team_mirror_claim")?;
    let mut stmt = conn
        .prepare(include_str!("../../sql/team_mirror_select.sql"))
        .db("team_mirror_select")?;
    let held: Vec<String> = stmt
        .query_map([], |r| r.get("store_uuid"))
        .db("team_mirror_select")?
        .collect::<rusqlite::Result<_>>()
        .db("team_mirror_select")?;
    drop(stmt);
    if held != [team.uuid()] {
        return Err(team_error(
            team.shown(),
            TeamErrorKind::MirrorOfAnotherStore {
                path: path.display().to_string(),
                holds: held.join(", "),
                expected: team.uuid().to_string(),
            },
        ));
    }
    Ok(store)
}

/// What a store holds, by id: import batches, cohort records (number → id) and results
/// imports.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Ids {
    pub(crate) batches: BTreeSet<i64>,
    pub(crate) records: BTreeMap<i64, String>,
    pub(crate) results: BTreeSet<i64>,
}

/// The newest batch, record and results import numbers (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tops {
    pub(crate) batch: i64,
    pub(crate) record: i64,
    pub(crate) results: i64,
}

impl Ids {
    /// The newest batch, record and results import numbers.
    pub(crate) fn tops(&self) -> Tops {
        Tops {
            batch: self.batches.last().copied().unwrap_or(0),
            record: self.records.keys().last().copied().unwrap_or(0),
            results: self.results.last().copied().unwrap_or(0),
        }
    }

    /// Files the id of one `state_ids` row under its kind.
    fn add(&mut self, kind: &str, id: i64, cohort_id: impl FnOnce() -> Option<String>) {
        match kind {
            "batch" => {
                self.batches.insert(id);
            }
            "results" => {
                self.results.insert(id);
            }
            _ => {
                self.records.insert(id, cohort_id().unwrap_or_default());
            }
        }
    }
}

/// The ids an SQLite store holds.
pub(crate) fn sqlite_ids(conn: &Connection) -> Result<Ids> {
    let mut ids = Ids::default();
    let mut stmt = conn
        .prepare_cached(include_str!("../../sql/team_state_ids.sql"))
        .db("team_state_ids")?;
    let mut rows = stmt.query([]).db("team_state_ids")?;
    while let Some(r) = rows.next().db("team_state_ids")? {
        let kind: String = r.get("kind").db("team_state_ids")?;
        let id: i64 = r.get("id").db("team_state_ids")?;
        let cohort_id: Option<String> = r.get("cohort_id").db("team_state_ids")?;
        ids.add(&kind, id, || cohort_id);
    }
    Ok(ids)
}

/// The ids the team store holds, in the transaction's snapshot.
pub(crate) fn pg_ids(tx: &mut Transaction<'_>, store: &str) -> Result<Ids> {
    let mut ids = Ids::default();
    for r in tx.query(queries::STATE_IDS, &[]).pg(store, "state_ids")? {
        let kind: String = r.get("kind");
        let id: i64 = r.get("id");
        ids.add(&kind, id, || r.get("cohort_id"));
    }
    Ok(ids)
}

/// What a sync brought.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Import batches added to the mirror.
    pub batches: u64,
    /// Cohort records added to the mirror (ids, in build order).
    pub records: Vec<String>,
    /// Results imports (`import gens`) added to the mirror.
    pub results: u64,
}

/// How many batches or records one PostgreSQL statement fetches.
const CHUNK: usize = 512;

/// Brings the mirror up to the team store's current state; returns the ids it now holds (those
/// of the server's snapshot). Nothing is written when nothing is missing.
pub fn sync(team: &mut TeamStore, mirror: &mut crate::Store) -> Result<SyncReport> {
    sync_ids(team, mirror).map(|(report, _)| report)
}

/// [`sync`], also returning the ids the mirror holds afterwards.
pub(crate) fn sync_ids(
    team: &mut TeamStore,
    mirror: &mut crate::Store,
) -> Result<(SyncReport, Ids)> {
    let shown = team.shown.clone();
    let path = mirror.path().display().to_string();
    // What the mirror holds is read before the server's snapshot is taken: everything in the
    // mirror was committed on the server before the mirror got it, so the snapshot holds it too
    // (another process syncing the same mirror can only put it ahead of an older snapshot).
    let local = sqlite_ids(mirror.conn())?;
    let (pg, server) = snapshot(team, &shown)?;
    check_divergence(&local, &server, &shown, &path)?;
    if missing(&local, &server).is_none() {
        return Ok((SyncReport::default(), local));
    }
    drop(pg);
    let tx = mirror.write_transaction()?;
    let local = sqlite_ids(&tx)?;
    let (mut pg, server) = snapshot(team, &shown)?;
    check_divergence(&local, &server, &shown, &path)?;
    let Some(Missing {
        batches,
        records,
        results,
    }) = missing(&local, &server)
    else {
        return Ok((SyncReport::default(), local));
    };
    let mut sink = SqliteSink::new(&tx);
    for chunk in batches.chunks(CHUNK) {
        copy_batches(&mut pg, &mut sink, &shown, chunk)?;
    }
    for chunk in records.chunks(CHUNK) {
        for table in Table::record_tables() {
            pg_rows(&mut pg, &shown, table, chunk, &mut |row| {
                sink.insert(table, &row)
            })?;
        }
    }
    for chunk in results.chunks(CHUNK) {
        copy_results(&mut pg, &mut sink, &shown, chunk)?;
    }
    drop(sink);
    let mut report = SyncReport {
        batches: batches.len() as u64,
        records: Vec::new(),
        results: results.len() as u64,
    };
    for no in &records {
        let id = &server.records[no];
        check_arrival(&tx, &shown, id)?;
        report.records.push(id.clone());
    }
    tx.commit().db("commit sync")?;
    pg.commit().pg(&shown, "end sync")?;
    Ok((report, server))
}

/// A read-only snapshot of the server and the ids it holds.
fn snapshot<'t>(team: &'t mut TeamStore, shown: &str) -> Result<(Transaction<'t>, Ids)> {
    let mut pg = team
        .client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .pg(shown, "begin sync")?;
    let server = pg_ids(&mut pg, shown)?;
    Ok((pg, server))
}

/// What a mirror lacks: batches, records and results imports.
struct Missing {
    batches: Vec<i64>,
    records: Vec<i64>,
    results: Vec<i64>,
}

/// The batches, records and results imports `server` has that `local` lacks, or `None` when
/// there are none.
fn missing(local: &Ids, server: &Ids) -> Option<Missing> {
    let batches: Vec<i64> = server.batches.difference(&local.batches).copied().collect();
    let records: Vec<i64> = server
        .records
        .keys()
        .filter(|no| !local.records.contains_key(no))
        .copied()
        .collect();
    let results: Vec<i64> = server.results.difference(&local.results).copied().collect();
    (!batches.is_empty() || !records.is_empty() || !results.is_empty()).then_some(Missing {
        batches,
        records,
        results,
    })
}

/// A mirror holding a record or batch the server does not (or the same number for another
/// cohort) is not a copy of this store: refused rather than mixed.
fn check_divergence(local: &Ids, server: &Ids, shown: &str, path: &str) -> Result<()> {
    let foreign_record = local
        .records
        .iter()
        .find(|(no, id)| server.records.get(no) != Some(id));
    let foreign_batch = local.batches.difference(&server.batches).next();
    let foreign_results = local.results.difference(&server.results).next();
    let what = match (foreign_record, foreign_batch, foreign_results) {
        (Some((no, id)), _, _) => format!("cohort {id:?} as record {no}"),
        (None, Some(b), _) => format!("import batch {b}"),
        (None, None, Some(i)) => format!("results import {i}"),
        (None, None, None) => return Ok(()),
    };
    Err(team_error(
        shown,
        TeamErrorKind::MirrorDiverged {
            path: path.to_string(),
            what,
        },
    ))
}

/// Copies import batches (their catalog rows, then the batch rows) into the mirror, checking
/// that each batch brings the rows it says it added.
fn copy_batches(
    pg: &mut Transaction<'_>,
    sink: &mut SqliteSink<'_>,
    shown: &str,
    batches: &[i64],
) -> Result<()> {
    let mut arrived: BTreeMap<i64, i64> = BTreeMap::new();
    for table in Table::batch_tables() {
        let batch_col = table.position("batch_id");
        pg_rows(pg, shown, table, batches, &mut |row| {
            let batch = match row[batch_col] {
                rusqlite::types::Value::Integer(b) => b,
                _ => 0,
            };
            if table == Table::ImportBatches {
                let added = match row[table.position("rows_added")] {
                    rusqlite::types::Value::Integer(n) => n,
                    _ => -1,
                };
                let found = arrived.get(&batch).copied().unwrap_or(0);
                if added != found {
                    return Err(team_error(
                        shown,
                        TeamErrorKind::bad_value(
                            "import_batches",
                            &format!(
                                "batch {batch} says it added {added} rows; the server holds {found}"
                            ),
                        ),
                    ));
                }
            } else {
                *arrived.entry(batch).or_default() += 1;
            }
            sink.insert(table, &row)
        })?;
    }
    Ok(())
}

/// Copies results imports (their ledger rows, then the import rows) into the mirror, checking
/// that each import brings the generation versions it says it added. The ledger's tables are
/// append-only on both sides, so a row the server holds twice (or a second version 1) fails
/// the mirror's primary keys and refuses the sync.
fn copy_results(
    pg: &mut Transaction<'_>,
    sink: &mut SqliteSink<'_>,
    shown: &str,
    imports: &[i64],
) -> Result<()> {
    let mut arrived: BTreeMap<i64, i64> = BTreeMap::new();
    for table in Table::results_tables() {
        pg_rows(pg, shown, table, imports, &mut |row| {
            let int = |column: &str| match row[table.position(column)] {
                rusqlite::types::Value::Integer(n) => n,
                _ => -1,
            };
            match table {
                Table::ResultsGenerations => *arrived.entry(int("import_id")).or_default() += 1,
                Table::ResultsImports => {
                    let (import, versions) = (int("import_id"), int("versions"));
                    let found = arrived.get(&import).copied().unwrap_or(0);
                    if versions != found {
                        return Err(team_error(
                            shown,
                            TeamErrorKind::bad_value(
                                "results_imports",
                                &format!(
                                    "results import {import} says it added {versions} generation versions; the server holds {found}"
                                ),
                            ),
                        ));
                    }
                }
                _ => {}
            }
            sink.insert(table, &row)
        })?;
    }
    Ok(())
}

/// Re-hashes a record that just arrived in `conn` (a mirror or a copy's target, inside its
/// transaction): the stored rows against the record's digests (what `verify` checks of them),
/// the catalog rows it references as of its last batch against its catalog digest, and every
/// member against the registry (each registry entry is the gen_id of its member's signature at
/// its collision index; a gen_id an earlier cohort registered was registered for the same
/// signature). Any difference is [`TeamErrorKind::Tampered`], naming the cohort.
pub(crate) fn check_arrival(conn: &Connection, shown: &str, cohort_id: &str) -> Result<()> {
    let tampered = |diffs: Vec<String>| {
        team_error(
            shown,
            TeamErrorKind::Tampered {
                cohort: crate::textfmt::capped(cohort_id),
                diffs,
            },
        )
    };
    let Ok(id) = CohortId::parse(cohort_id) else {
        return Err(tampered(vec![
            "the cohort id is not a valid id (D11)".into(),
        ]));
    };
    let stored = Stored::load(conn, &id)?;
    let expected = stored.expected_modes(conn)?;
    let mut diffs: Vec<String> = stored
        .check_rows(&expected)
        .iter()
        .map(ToString::to_string)
        .collect();
    let texts = crate::diff::catalog::member_texts(&stored.members);
    let rows = crate::record::catalog::referenced_rows(
        conn,
        &|role: Role| texts[role.index()].clone(),
        stored.record.last_batch,
    )?;
    if rows.digest().to_hex() != stored.record.catalog_hash {
        diffs.push(format!(
            "the catalog rows it references (as of import batch {}) do not hash to its catalog digest",
            stored.record.last_batch
        ));
    }
    diffs.extend(registry_problems(conn, &stored)?);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(tampered(diffs))
    }
}

/// How many registry problems are named (all are counted).
const SHOWN_PROBLEMS: usize = 3;

/// The registry entries of a stored cohort's members that do not fit them.
fn registry_problems(conn: &Connection, stored: &Stored) -> Result<Vec<String>> {
    let no = stored.record.cohort_no;
    let mut stmt = conn
        .prepare(include_str!("../../sql/team_registry_of_members.sql"))
        .db("team_registry_of_members")?;
    let mut rows = stmt.query([no]).db("team_registry_of_members")?;
    let mut problems = Vec::new();
    let mut count = 0u64;
    let mut note = |problems: &mut Vec<String>, text: String| {
        count += 1;
        if problems.len() < SHOWN_PROBLEMS {
            problems.push(text);
        }
    };
    while let Some(r) = rows.next().db("team_registry_of_members")? {
        let get =
            |name: &str| -> Result<Option<i64>> { r.get(name).db("team_registry_of_members") };
        let ordinal = get("ordinal")?.unwrap_or(-1);
        let Some(member) = usize::try_from(ordinal)
            .ok()
            .filter(|&i| i < stored.members.len())
            .map(|i| stored.members.get(i))
        else {
            continue; // an ordinal problem, already reported by the row check
        };
        let digest: Option<Vec<u8>> = r.get("signature_digest").db("team_registry_of_members")?;
        let Some(digest) = digest else {
            note(
                &mut problems,
                format!(
                    "member {ordinal}: gen_id {} is not in the registry",
                    member.gen_id
                ),
            );
            continue;
        };
        let Some(signature) = member.signature() else {
            continue; // an invalid member, already reported by the row check
        };
        let own = crate::store::functions::signature_digest(&signature);
        if digest != own {
            note(
                &mut problems,
                format!(
                    "member {ordinal}: the registry holds gen_id {} for another signature",
                    member.gen_id
                ),
            );
            continue;
        }
        if get("registered_no")? == Some(no) {
            let collision = get("collision_index")?.unwrap_or(-1);
            let expected =
                u32::try_from(collision).map(|c| crate::ids::gen_id(member.stage, &signature, c));
            if expected.as_deref() != Ok(member.gen_id)
                || get("registered_ordinal")? != Some(ordinal)
            {
                note(
                    &mut problems,
                    format!(
                        "member {ordinal}: its registry entry (collision index {collision}) does not give gen_id {}",
                        member.gen_id
                    ),
                );
            }
        }
    }
    if count > problems.len() as u64 {
        problems.push(format!(
            "and {} more registry problems",
            count - problems.len() as u64
        ));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::PathBuf;

    #[test]
    fn the_mirror_folder_is_never_a_shared_temporary_one() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let dir = |vars| super::mirror_dir_from(env(vars)).map_err(|e| e.to_string());
        assert_eq!(
            dir(&[("HOME", "/h")]),
            Ok(PathBuf::from("/h/.cache/cohortdb/mirrors"))
        );
        assert_eq!(
            dir(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/c")]),
            Ok(PathBuf::from("/c/cohortdb/mirrors"))
        );
        assert_eq!(
            dir(&[("COHORTDB_MIRROR_DIR", "/m"), ("HOME", "/h")]),
            Ok(PathBuf::from("/m"))
        );
        let err = dir(&[("HOME", "")]).unwrap_err();
        assert!(err.contains("COHORTDB_MIRROR_DIR"), "{err}");
    }
}
