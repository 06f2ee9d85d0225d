//! Immutable cohort records (D12, D14): written once with INSERT only, keyed by cohort id;
//! the schema's triggers refuse any UPDATE or DELETE.

pub mod canonical;
pub mod catalog;
pub mod members;
pub mod new;
pub mod stored;

use std::collections::BTreeMap;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{BuildError, BuildErrorKind, DbContext, Error, Result};
use crate::ids::Stage;
use crate::seed::Seed;
use crate::spec::Bundle;
use crate::store::queries;

pub use canonical::{ContentHash, SCHEME};
pub use members::{Member, MemberIds, Members, RowProblem, load_members};
pub use new::{Computed, HashDiff, Hashes, RegistryEntry, Reuse};
pub use stored::{MemberRows, RowDiff, Stored, is_plain_relative};

/// A stored cohort record (without its members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The build number (members, values and registry entries refer to it).
    pub cohort_no: i64,
    /// The cohort id.
    pub cohort_id: String,
    /// The hash scheme (`cohortdb-v1`).
    pub scheme: String,
    /// The content hash.
    pub content_hash: String,
    /// The canonical spec's digest.
    pub spec_hash: String,
    /// The members' digest.
    pub members_hash: String,
    /// The manifest's digest.
    pub manifest_hash: String,
    /// The referenced catalog rows' digest.
    pub catalog_hash: String,
    /// The effective shuffle seed (INTEGER when it fits an i64, else decimal text, D23).
    pub seed: Option<Seed>,
    /// The newest import batch the build saw.
    pub last_batch: i64,
    /// The config file inside the bundle.
    pub spec_config: String,
    /// `manifest.json`.
    pub manifest: String,
    /// Members per stage.
    pub counts: [u64; 3],
    /// When it was built (RFC 3339, UTC).
    pub created_at: String,
}

/// One row of `cohortdb cohorts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The cohort id.
    pub cohort_id: String,
    /// The content hash.
    pub content_hash: String,
    /// Members per stage.
    pub counts: [u64; 3],
    /// When it was built.
    pub created_at: String,
}

/// The newest import batch (0 before any import).
pub fn last_batch(conn: &Connection) -> Result<i64> {
    conn.query_row(queries::BATCH_SELECT_LAST, [], |r| r.get(0))
        .db("batch_select_last")
}

/// The cohort_no the next record gets.
pub fn next_cohort_no(conn: &Connection) -> Result<i64> {
    conn.query_row(queries::RECORD_NEXT_NO, [], |r| r.get("cohort_no"))
        .db("record_next_no")
}

/// Loads a record by cohort id.
pub fn load(conn: &Connection, cohort_id: &str) -> Result<Option<Record>> {
    conn.query_row(queries::RECORD_SELECT, [cohort_id], |r| {
        Ok(Record {
            cohort_no: r.get("cohort_no")?,
            cohort_id: cohort_id.to_string(),
            scheme: r.get("hash_scheme")?,
            content_hash: r.get("content_hash")?,
            spec_hash: r.get("spec_hash")?,
            members_hash: r.get("members_hash")?,
            manifest_hash: r.get("manifest_hash")?,
            catalog_hash: r.get("catalog_hash")?,
            seed: r.get("seed")?,
            last_batch: r.get("last_batch_id")?,
            spec_config: r.get("spec_config")?,
            manifest: r.get("manifest")?,
            counts: stage_counts(r)?,
            created_at: r.get("created_at")?,
        })
    })
    .optional()
    .db("record_select")
}

/// The `drafts`, `essays` and `evaluations` counts of a record row.
fn stage_counts(r: &rusqlite::Row<'_>) -> rusqlite::Result<[u64; 3]> {
    let count = |name: &str| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(name)? as u64) };
    Ok([count("drafts")?, count("essays")?, count("evaluations")?])
}

/// The stored cohort id nearest to `id` (Damerau-Levenshtein distance of at most a third of
/// its length, at least 1), for the "did you mean" of an unknown id; the first in id order on a
/// tie. `None` when none is near or the ids cannot be read.
pub fn nearest_id(conn: &Connection, id: &str) -> Option<String> {
    crate::textfmt::nearest(id, list(conn).ok()?.into_iter().map(|c| c.cohort_id))
}

/// Every stored cohort, by id.
pub fn list(conn: &Connection) -> Result<Vec<Summary>> {
    let mut stmt = conn.prepare(queries::RECORD_LIST).db("record_list")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Summary {
                cohort_id: r.get("cohort_id")?,
                content_hash: r.get("content_hash")?,
                counts: stage_counts(r)?,
                created_at: r.get("created_at")?,
            })
        })
        .db("record_list")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().db("record_list")
}

/// The stored spec bundle of a record.
pub fn load_bundle(conn: &Connection, record: &Record) -> Result<Bundle> {
    let mut stmt = conn
        .prepare(queries::RECORD_SPEC_FILES_SELECT)
        .db("record_spec_files_select")?;
    let files: BTreeMap<String, Vec<u8>> = stmt
        .query_map([record.cohort_no], |r| {
            Ok((r.get("path")?, r.get("content")?))
        })
        .db("record_spec_files_select")?
        .collect::<rusqlite::Result<_>>()
        .db("record_spec_files_select")?;
    Ok(Bundle {
        config: record.spec_config.clone(),
        files,
    })
}

/// The stored spec files of a record whose `blake3` column is not the BLAKE3 of their content.
pub fn spec_digest_mismatches(conn: &Connection, cohort_no: i64) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare(queries::RECORD_SPEC_FILES_SELECT)
        .db("record_spec_files_select")?;
    let mut rows = stmt.query([cohort_no]).db("record_spec_files_select")?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().db("record_spec_files_select")? {
        let content: Vec<u8> = r.get("content").db("record_spec_files_select")?;
        let digest: String = r.get("blake3").db("record_spec_files_select")?;
        if blake3::hash(&content).to_hex().as_str() != digest {
            out.push(r.get("path").db("record_spec_files_select")?);
        }
    }
    Ok(out)
}

/// The stored template modes of a record: `(stage, template_id) → mode`.
pub fn load_modes(conn: &Connection, cohort_no: i64) -> Result<BTreeMap<(String, String), String>> {
    let mut stmt = conn
        .prepare(queries::RECORD_TEMPLATE_MODES_SELECT)
        .db("record_template_modes_select")?;
    let modes = stmt
        .query_map([cohort_no], |r| {
            Ok(((r.get("stage")?, r.get("template_id")?), r.get("mode")?))
        })
        .db("record_template_modes_select")?
        .collect::<rusqlite::Result<_>>()
        .db("record_template_modes_select")?;
    Ok(modes)
}

/// Writes a new record from a build's scratch tables (`temp.m`, `temp.role_text`), inside the
/// caller's transaction: the spec bundle, the template modes, the member values and members, the
/// gen_ids issued for the first time, and the record row last (it completes the record: the
/// schema then refuses new rows for it, `migrations/V3__complete_records_reject_inserts.sql`).
/// INSERT only.
pub fn write(
    conn: &Connection,
    cohort_id: &str,
    computed: &Computed,
    bundle: &Bundle,
    created_at: &str,
) -> Result<()> {
    let h = &computed.hashes;
    let no = computed.cohort_no;
    // The V3 triggers would check, for each of the record's rows, that `no` has no record row
    // yet: one check here does it for all of them (it was 15–20% of a build), and the triggers
    // are off for this connection until the record row goes in (docs/storage.md).
    let complete: bool = conn
        .query_row(queries::RECORD_EXISTS_NO, [no], |r| r.get("complete"))
        .db("record_exists_no")?;
    if complete {
        return Err(Error::internal(
            "a new record's cohort_no has no record row yet",
            format!("cohort_no {no} already has one"),
        ));
    }
    let mut orphans = conn
        .prepare(queries::RECORD_ORPHAN_ROWS)
        .db("record_orphan_rows")?;
    let tables: Vec<String> = orphans
        .query_map([no], |r| r.get("table_name"))
        .db("record_orphan_rows")?
        .collect::<rusqlite::Result<_>>()
        .db("record_orphan_rows")?;
    if !tables.is_empty() {
        return Err(BuildError::refused(
            cohort_id,
            BuildErrorKind::OrphanRows {
                cohort_no: no,
                tables,
            },
        ));
    }
    let triggers = TriggersOff::new(conn)?;
    let mut file = conn
        .prepare(queries::RECORD_SPEC_FILE_INSERT)
        .db("record_spec_file_insert")?;
    for (path, content) in &bundle.files {
        file.execute(params![
            no,
            path,
            content,
            blake3::hash(content).to_hex().to_string()
        ])
        .db("record_spec_file_insert")?;
    }
    let mut mode = conn
        .prepare(queries::RECORD_TEMPLATE_MODE_INSERT)
        .db("record_template_mode_insert")?;
    for (stage, template, m) in &computed.modes {
        mode.execute(params![no, stage.as_str(), template, m])
            .db("record_template_mode_insert")?;
    }
    conn.execute(queries::COHORT_VALUES_INSERT, [no])
        .db("cohort_values_insert")?;
    conn.execute(queries::COHORT_MEMBERS_INSERT, [no])
        .db("cohort_members_insert")?;
    // The entries are sorted by gen_id, so the registry's B-tree grows at its end (SQLite would
    // sort a million text keys several times slower than Rust does).
    let mut insert = conn.prepare(queries::GEN_IDS_INSERT).db("gen_ids_insert")?;
    for entry in &computed.registry {
        insert
            .execute(params![
                entry.gen_id(),
                &entry.digest[..],
                entry.collision,
                no,
                entry.ordinal
            ])
            .db("gen_ids_insert")?;
    }
    let mut reuse = conn
        .prepare(queries::COHORT_REUSE_INSERT)
        .db("cohort_reuse_insert")?;
    for r in &computed.reuse {
        reuse
            .execute(params![no, r.earlier_no, r.shared as i64])
            .db("cohort_reuse_insert")?;
    }
    triggers.restore()?;
    // The record row last: once it exists the record is complete, and the V3 triggers refuse
    // any further row for its cohort_no (docs/storage.md).
    conn.execute(
        queries::RECORD_INSERT,
        params![
            no,
            cohort_id,
            SCHEME,
            h.content.to_hex(),
            h.spec.to_hex(),
            h.members.to_hex(),
            h.manifest.to_hex(),
            h.catalog.to_hex(),
            computed.seed,
            computed.last_batch,
            bundle.config,
            computed.manifest,
            computed.counts[0] as i64,
            computed.counts[1] as i64,
            computed.counts[2] as i64,
            created_at,
        ],
    )
    .db("record_insert")?;
    Ok(())
}

/// The reuse counts of the members in the build's `temp.hits` (made by the registry agreement
/// check): what a new record's `cohort_reuse` rows hold.
pub fn hits_reuse(conn: &Connection) -> Result<Vec<Reuse>> {
    reuse_rows(
        conn,
        queries::BUILD_REGISTRY_REUSE,
        "build_registry_reuse",
        None,
    )
}

/// A stored cohort's `cohort_reuse` rows.
pub fn stored_reuse(conn: &Connection, cohort_no: i64) -> Result<Vec<Reuse>> {
    reuse_rows(
        conn,
        queries::COHORT_REUSE_SELECT,
        "cohort_reuse_select",
        Some(cohort_no),
    )
}

/// A stored cohort's reuse counts, recounted from its members and the registry (what its
/// `cohort_reuse` rows must hold). One registry probe per member, skipped when no record is
/// older than this one.
pub fn recount_reuse(conn: &Connection, cohort_no: i64) -> Result<Vec<Reuse>> {
    let any_earlier: bool = conn
        .query_row(queries::RECORD_ANY_EARLIER, [cohort_no], |r| {
            r.get("any_earlier")
        })
        .db("record_any_earlier")?;
    if !any_earlier {
        return Ok(Vec::new());
    }
    reuse_rows(
        conn,
        queries::COHORT_REUSE_RECOUNT,
        "cohort_reuse_recount",
        Some(cohort_no),
    )
}

/// The stored cohort's `cohort_reuse` rows against a recount from its members (empty when they
/// agree). Rows are derived data outside the content hash; `verify` reports each difference.
pub fn check_reuse(conn: &Connection, cohort_no: i64) -> Result<Vec<RowDiff>> {
    let stored = stored_reuse(conn, cohort_no)?;
    let recounted = recount_reuse(conn, cohort_no)?;
    let mut by_cohort: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for r in &stored {
        by_cohort.entry(r.earlier_no).or_default().0 = r.shared;
    }
    for r in &recounted {
        by_cohort.entry(r.earlier_no).or_default().1 = r.shared;
    }
    let mut id = conn
        .prepare(queries::RECORD_ID_BY_NO)
        .db("record_id_by_no")?;
    let mut diffs = Vec::new();
    for (earlier_no, (stored, recounted)) in by_cohort {
        if stored != recounted {
            let earlier_cohort = id
                .query_row([earlier_no], |r| r.get("cohort_id"))
                .optional()
                .db("record_id_by_no")?;
            diffs.push(RowDiff::Reuse {
                earlier_no,
                earlier_cohort,
                stored,
                recounted,
            });
        }
    }
    Ok(diffs)
}

fn reuse_rows(
    conn: &Connection,
    sql: &str,
    name: &'static str,
    cohort_no: Option<i64>,
) -> Result<Vec<Reuse>> {
    let mut stmt = conn.prepare(sql).db(name)?;
    let map = |r: &rusqlite::Row<'_>| {
        let shared: i64 = r.get("shared")?;
        Ok(Reuse {
            earlier_no: r.get("earlier_no")?,
            shared: u64::try_from(shared)
                .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(1, shared))?,
        })
    };
    let rows = match cohort_no {
        Some(no) => stmt.query_map([no], map),
        None => stmt.query_map([], map),
    };
    rows.db(name)?.collect::<rusqlite::Result<_>>().db(name)
}

/// Turns the connection's triggers off while a new record's rows go in, and back on when
/// restored or dropped (an early return on error included). Only this connection is affected:
/// every other connection, and this one afterwards, keeps the schema's append-only triggers.
/// Changing the setting expires prepared statements, so no statement prepared without the
/// triggers outlives the guard.
struct TriggersOff<'c> {
    conn: &'c Connection,
    on: bool,
}

impl<'c> TriggersOff<'c> {
    fn new(conn: &'c Connection) -> Result<Self> {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)
            .db("triggers off")?;
        Ok(TriggersOff { conn, on: false })
    }

    /// Turns the triggers back on, reporting a failure (dropping the guard cannot).
    fn restore(mut self) -> Result<()> {
        self.on = true;
        let enabled = self
            .conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true)
            .db("triggers on")?;
        if !enabled {
            return Err(Error::internal(
                "the connection's triggers are on after a record's rows",
                "SQLite left them off",
            ));
        }
        Ok(())
    }
}

impl Drop for TriggersOff<'_> {
    fn drop(&mut self) {
        if !self.on {
            // An error path (the caller rolls back and reports that error). `sqlite3_db_config`
            // fails only for an option it does not know, and it knew this one a moment ago.
            let _ = self
                .conn
                .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true);
        }
    }
}

/// The mode `metadata.json` records for a template (docs/reference.md §3.6): its `generator`
/// as of `last_batch`, stripped and lowercased; `llm` when empty or when there is no row (D9).
pub fn template_mode(
    conn: &Connection,
    stage: Stage,
    template: &str,
    last_batch: i64,
) -> Result<String> {
    let generator: Option<String> = conn
        .prepare_cached(queries::CATALOG_TEMPLATE_ROW)
        .db("catalog_template_row")?
        .query_row(params![stage.as_str(), template, last_batch], |r| {
            r.get("generator")
        })
        .optional()
        .db("catalog_template_row")?;
    Ok(generator
        .map(|g| crate::ids::py_strip(&g).to_lowercase())
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| "llm".into()))
}

/// Stage names in membership order, for reports.
pub fn stage_names() -> [&'static str; 3] {
    Stage::ALL.map(Stage::as_str)
}
