//! Writing to a team store (docs/postgres.md, "Writes"): a change is staged in the mirror and
//! published to PostgreSQL in **one transaction under the store's one advisory lock**
//! (`pg_advisory_xact_lock`, taken once, first: no deadlock; a client killed mid-write leaves
//! nothing, the transaction rolls back), with optimistic validation against what the mirror
//! had synced:
//!
//! - imports (docs/decisions.md D32): the lock is taken and the server checked unmoved since
//!   the sync *before* the import runs on the mirror (else it re-syncs first); the rows the
//!   import adds stream to the server's binary COPY on a second thread while it runs
//!   (`team::streaming`); the server commits, then the mirror.
//! - [`Team::stage`] (`import gens`, pushes into a team store): the change runs on the mirror inside a mirror
//!   write transaction; under the lock, if the server moved since the mirror's sync, both roll
//!   back and it re-syncs and re-runs; else the new batches and records are copied to the
//!   server (binary COPY), the server commits, then the mirror.
//! - [`Team::build`]: the cohort is computed on the mirror in a *read* transaction
//!   (`cohort::prepare`; builds on one machine do not queue behind each other's computation).
//!   Under the lock the cohort id must still be new, and no registry entry for one of the gen_ids
//!   this build would register may have appeared since the sync — else it re-syncs and
//!   recomputes, which gives the collision index, the reuse or the D2 refusal a build after the
//!   other would have given. Then the server assigns the record number and the rows are copied,
//!   the record row last. Members, gen_ids, collision indices and the content hash are computed
//!   by the same code as on SQLite, so they are the same bytes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use postgres::Transaction;
use rusqlite::Connection;
use rusqlite::types::Value;

use super::mirror::{self, Ids, SyncReport, Tops, sqlite_ids};
use super::streaming;
use super::tables::Table;
use super::transfer::{Row, pg_copy, pg_insert_record, sqlite_query_rows, sqlite_to_pg};
use super::url::PgUrl;
use super::{Pg, TeamStore, WRITE_LOCK_KEY, queries, team_error};
use crate::catalog::{CatalogKind, ImportReport, LegacyFlags, Progress};
use crate::cohort::{self, BuildReport, Prepared};
use crate::error::{DbContext, Result, TeamErrorKind};
use crate::ids::CohortId;
use crate::record::{self, Computed, SCHEME};
use crate::seed::Seed;
use crate::spec::{Plan, Spec};
use crate::store::Store;

/// How many times a write re-syncs and retries while other writers keep moving the store.
pub const MAX_ATTEMPTS: u32 = 50;

/// A publish of at least this many rows refreshes the server's statistics afterwards.
const ANALYZE_ROWS: u64 = 10_000;

/// A team store and its synced local mirror: what every command on a `postgres://` store
/// works with.
pub struct Team {
    store: TeamStore,
    mirror: Store,
    mirror_path: PathBuf,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Team")
            .field("store", &self.store)
            .field("mirror", &self.mirror_path)
            .finish()
    }
}

impl Team {
    /// Opens the team store for writing (creating or migrating its schema) with its mirror in
    /// the mirror folder, synced.
    pub fn open(url: &PgUrl) -> Result<Team> {
        let store = TeamStore::open(url)?;
        let path = mirror::mirror_path(store.uuid())?;
        Team::with_mirror(store, &path)
    }

    /// Opens the team store for reading (never migrated) with its mirror, synced.
    pub fn open_reader(url: &PgUrl) -> Result<Team> {
        let store = TeamStore::open_existing(url)?;
        let path = mirror::mirror_path(store.uuid())?;
        Team::with_mirror(store, &path)
    }

    /// Uses the mirror at `path` (created when missing), synced.
    pub fn with_mirror(store: TeamStore, path: &Path) -> Result<Team> {
        let mirror = mirror::open_mirror(&store, path)?;
        let mut team = Team {
            store,
            mirror,
            mirror_path: path.to_path_buf(),
        };
        team.sync()?;
        Ok(team)
    }

    /// Brings the mirror up to the server's current state.
    pub fn sync(&mut self) -> Result<SyncReport> {
        mirror::sync(&mut self.store, &mut self.mirror)
    }

    /// The mirror (read commands run on it unchanged once synced).
    pub fn mirror(&self) -> &Store {
        &self.mirror
    }

    /// The mirror, mutably.
    pub fn mirror_mut(&mut self) -> &mut Store {
        &mut self.mirror
    }

    /// The mirror file.
    pub fn mirror_path(&self) -> &Path {
        &self.mirror_path
    }

    /// The server connection.
    pub fn store(&self) -> &TeamStore {
        &self.store
    }

    /// The server connection, mutably (`query`).
    pub fn store_mut(&mut self) -> &mut TeamStore {
        &mut self.store
    }

    /// Imports every catalog file of the data layout under `data_root` (one publish).
    pub fn import_all(
        &mut self,
        data_root: &Path,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        let files = crate::catalog::import::layout_files(data_root);
        self.import_files(&files, progress)
    }

    /// Imports one file as catalog `kind` (`import KIND FILE`).
    pub fn import_file(
        &mut self,
        kind: CatalogKind,
        path: &Path,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        crate::catalog::import::check_file_named(path)?;
        self.import_files(&[(kind, path.to_path_buf())], progress)
    }

    /// Imports `files` into the mirror inside a mirror write transaction while the rows it adds
    /// stream to the server's `COPY` on a second thread ([`super::streaming`]), inside one
    /// server transaction that holds the write lock from before the first row: the server must
    /// still hold exactly what the mirror synced (else both roll back and it re-syncs), and then
    /// nothing can move under the import. The batch rows go last; the server commits, then the
    /// mirror (a kill before the server's commit leaves nothing on either).
    fn import_files(
        &mut self,
        files: &[(CatalogKind, PathBuf)],
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        let shown = self.store.shown.clone();
        for _ in 0..MAX_ATTEMPTS {
            self.sync()?;
            let tx = self.mirror.write_transaction()?;
            let before = sqlite_ids(&tx)?;
            let mut pg = self
                .store
                .client
                .transaction()
                .pg(&shown, "begin publish")?;
            if !lock_unmoved(&mut pg, &shown, &before)? {
                continue; // both transactions roll back as they drop
            }
            let (mut sender, receiver) = streaming::channel(&shown);
            let (imported, streamed) = std::thread::scope(|scope| {
                let server = scope.spawn(|| streaming::serve(&mut pg, &shown, receiver));
                let imported = crate::catalog::import::import_streaming(
                    &tx,
                    files,
                    progress,
                    LegacyFlags::Refuse,
                    &mut sender,
                );
                drop(sender); // the server's thread ends its loop
                // A panic on the server's thread is carried on here, as if it were one thread.
                let streamed = server
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (imported, streamed)
            });
            // The server's error first: the importer's is then only "the channel closed".
            let mut rows = streamed?;
            let report = imported?;
            let after = sqlite_ids(&tx)?;
            let batches: Vec<i64> = after.batches.difference(&before.batches).copied().collect();
            if batches.is_empty() {
                return Ok(report); // nothing added: both roll back, nothing is written
            }
            let same = |_: Table, _: &mut Row| {};
            for batch in &batches {
                rows += sqlite_to_pg(&tx, &mut pg, &shown, &[Table::ImportBatches], *batch, &same)?;
            }
            commit_server(pg, &shown)?;
            // The server holds the import: the refresh of its statistics (server work) runs
            // beside the mirror's commit and WAL checkpoint (local work), not after it (D34).
            let store = &mut self.store;
            std::thread::scope(|scope| {
                scope.spawn(move || refresh_statistics(store, rows, queries::ANALYZE_CATALOGS));
                tx.commit().db("commit mirror")
            })?;
            return Ok(report);
        }
        Err(contended(&shown))
    }

    /// `import gens`: scans the gens root into the mirror's results ledger and publishes the
    /// import it added (nothing when the tree is unchanged). Re-run from the scan when another
    /// writer moved the server meanwhile, so its version numbers follow the other's.
    pub fn import_gens(
        &mut self,
        gens_root: &Path,
        tick: &dyn Fn(u64) -> Result<()>,
    ) -> Result<crate::results::ImportGensReport> {
        self.stage(&mut |conn| crate::results::import_gens_into(conn, gens_root, tick))
    }

    /// Runs `change` on the mirror inside a mirror write transaction and publishes the batches,
    /// records and results imports it added to the server in one transaction under the write lock; re-syncs
    /// and re-runs it while the server moved since the sync. Nothing added: nothing is written
    /// anywhere.
    pub fn stage<T>(&mut self, change: &mut dyn FnMut(&Connection) -> Result<T>) -> Result<T> {
        let shown = self.store.shown.clone();
        for _ in 0..MAX_ATTEMPTS {
            self.sync()?;
            let tx = self.mirror.write_transaction()?;
            let before = sqlite_ids(&tx)?;
            let out = change(&tx)?;
            let after = sqlite_ids(&tx)?;
            let batches: Vec<i64> = after.batches.difference(&before.batches).copied().collect();
            let records: Vec<i64> = after
                .records
                .keys()
                .filter(|no| !before.records.contains_key(no))
                .copied()
                .collect();
            let results: Vec<i64> = after.results.difference(&before.results).copied().collect();
            if batches.is_empty() && records.is_empty() && results.is_empty() {
                return Ok(out);
            }
            let mut pg = self
                .store
                .client
                .transaction()
                .pg(&shown, "begin publish")?;
            if !lock_unmoved(&mut pg, &shown, &before)? {
                continue; // both transactions roll back as they drop
            }
            let same = |_: Table, _: &mut Row| {};
            let groups = [
                (Table::batch_tables().collect::<Vec<_>>(), &batches),
                (Table::record_tables().collect(), &records),
                (Table::results_tables().collect(), &results),
            ];
            let mut rows = 0;
            for (tables, keys) in &groups {
                for &key in keys.iter() {
                    rows += sqlite_to_pg(&tx, &mut pg, &shown, tables, key, &same)?;
                }
            }
            commit_both(pg, tx, &shown)?;
            refresh_statistics(&mut self.store, rows, queries::ANALYZE);
            return Ok(out);
        }
        Err(contended(&shown))
    }

    /// Builds cohort `id` into the team store (see the module documentation).
    pub fn build(
        &mut self,
        id: &CohortId,
        spec: &Spec,
        plan: &Plan,
        seed: Option<&Seed>,
    ) -> Result<BuildReport> {
        self.build_checked(id, spec, plan, seed, &|| Ok(()))
    }

    /// [`Team::build`], calling `before_commit` right before the server commits: an error from
    /// it (a stop the caller asked for) rolls the whole record back, so it leaves nothing.
    pub fn build_checked(
        &mut self,
        id: &CohortId,
        spec: &Spec,
        plan: &Plan,
        seed: Option<&Seed>,
        before_commit: &dyn Fn() -> Result<()>,
    ) -> Result<BuildReport> {
        let shown = self.store.shown.clone();
        for _ in 0..MAX_ATTEMPTS {
            self.sync()?;
            let conn = self.mirror.conn();
            // A read transaction: one snapshot of the mirror; the scratch tables are the
            // connection's own (the temp schema takes no lock on the store).
            let read = conn.unchecked_transaction().db("begin build")?;
            let synced = sqlite_ids(&read)?;
            let computed = match cohort::prepare(&read, id, spec, plan, seed)? {
                Prepared::Unchanged(report) => return Ok(report),
                Prepared::New(computed) => computed,
            };
            let fresh = new_registry_entries(&read, &computed)?;
            let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
            let mut pg = self
                .store
                .client
                .transaction()
                .pg(&shown, "begin publish")?;
            pg.execute(queries::LOCK_WRITE, &[&WRITE_LOCK_KEY])
                .pg(&shown, "lock_write")?;
            if pg
                .query_opt(queries::RECORD_BY_ID, &[&id.as_str()])
                .pg(&shown, "record_by_id")?
                .is_some()
            {
                // Another writer stored this id since the sync: the next round reads it from
                // the mirror and says "unchanged" or refuses (D14), as SQLite would.
                continue;
            }
            let synced_top = synced.tops().record;
            let server_top = tops(&mut pg, &shown)?.record;
            if server_top != synced_top {
                let ids: Vec<&str> = fresh.iter().map(|e| e.gen_id()).collect();
                let collided = pg
                    .query_opt(queries::GEN_IDS_REGISTERED_SINCE, &[&synced_top, &ids])
                    .pg(&shown, "gen_ids_registered_since")?;
                if collided.is_some() {
                    continue; // recompute: the registry moved under this cohort's gen_ids
                }
            }
            let number = server_top + 1;
            write_record(
                &read, &mut pg, &shown, id, spec, &computed, &fresh, number, &now,
            )?;
            crate::store::crash_point();
            before_commit()?;
            pg.commit().pg(&shown, "commit build")?;
            // Committing keeps the scratch tables (a rollback would drop them); the mirror's
            // own tables were only read.
            read.commit().db("end build")?;
            refresh_statistics(
                &mut self.store,
                computed.counts.iter().sum(),
                queries::ANALYZE_RECORDS,
            );
            self.keep_locally(id, spec, &computed, number, &now)?;
            return Ok(computed.created(id));
        }
        Err(contended(&shown))
    }

    /// Writes a just-published record into the mirror at once when it is the mirror's next
    /// record (its scratch tables are still on the connection) and no other process is
    /// writing the mirror; otherwise the next sync brings it (re-hashed on arrival). Builds
    /// finishing together on one machine thus do not queue behind each other's copies.
    fn keep_locally(
        &mut self,
        id: &CohortId,
        spec: &Spec,
        computed: &Computed,
        number: i64,
        now: &str,
    ) -> Result<()> {
        let Some(tx) = self.mirror.try_write_transaction()? else {
            return Ok(());
        };
        if record::next_cohort_no(&tx)? != number || record::load(&tx, id.as_str())?.is_some() {
            return Ok(());
        }
        let mut local = computed.clone();
        local.cohort_no = number;
        record::write(&tx, id.as_str(), &local, &spec.bundle, now)?;
        tx.commit().db("commit mirror")
    }
}

/// After a publish of `rows` rows: refreshes the statistics of the tables it wrote
/// (`analyze`, one of `sql/postgres/analyze*.sql`) when they were many (a table just loaded
/// by COPY has none, and the planner then joins the `membership` view row by row). Best
/// effort, after the commit: the change is stored whatever happens here.
fn refresh_statistics(store: &mut TeamStore, rows: u64, analyze: &str) {
    if rows >= ANALYZE_ROWS {
        let _ = store.client.batch_execute(analyze);
    }
}

/// Commits a publish: the server first, then the mirror. A test's crash point
/// (`COHORTDB_CRASH_AT_WRITE`) comes first: everything sent, nothing committed. Once the server
/// holds the change, a failure only leaves the mirror behind, and the next sync brings it.
fn commit_both(pg: Transaction<'_>, mirror: rusqlite::Transaction<'_>, shown: &str) -> Result<()> {
    commit_server(pg, shown)?;
    mirror.commit().db("commit mirror")?;
    Ok(())
}

/// The server's half of [`commit_both`]: the crash point, then the server's commit; the caller
/// commits the mirror next.
fn commit_server(pg: Transaction<'_>, shown: &str) -> Result<()> {
    crate::store::crash_point();
    pg.commit().pg(shown, "commit publish")
}

/// The error of a publish that found the server moved on every attempt.
fn contended(shown: &str) -> crate::error::Error {
    team_error(
        shown,
        TeamErrorKind::Contended {
            attempts: MAX_ATTEMPTS,
        },
    )
}

/// Takes the write lock and says whether the server still holds exactly what the mirror had
/// (its newest batch, record and results import: they are numbered under this lock, so equal
/// tops mean nothing was added since).
fn lock_unmoved(pg: &mut Transaction<'_>, shown: &str, synced: &Ids) -> Result<bool> {
    pg.execute(queries::LOCK_WRITE, &[&WRITE_LOCK_KEY])
        .pg(shown, "lock_write")?;
    Ok(tops(pg, shown)? == synced.tops())
}

/// The server's newest batch, record and results import numbers.
fn tops(pg: &mut Transaction<'_>, shown: &str) -> Result<Tops> {
    let row = pg
        .query_one(queries::STATE_TOPS, &[])
        .pg(shown, "state_tops")?;
    Ok(Tops {
        batch: row.get("last_batch"),
        record: row.get("last_cohort"),
        results: row.get("last_results"),
    })
}

/// The registry entries a new record adds: its members' gen_ids that no earlier cohort
/// registered (`on conflict do nothing` on SQLite; here they are left out).
fn new_registry_entries(
    conn: &Connection,
    computed: &Computed,
) -> Result<Vec<record::RegistryEntry>> {
    let mut stmt = conn
        .prepare(include_str!("../../sql/team_build_reused.sql"))
        .db("team_build_reused")?;
    let reused: BTreeSet<u32> = stmt
        .query_map([], |r| r.get::<_, i64>("ordinal"))
        .db("team_build_reused")?
        .map(|o| o.map(|o| o as u32))
        .collect::<rusqlite::Result<_>>()
        .db("team_build_reused")?;
    Ok(computed
        .registry
        .iter()
        .filter(|e| !reused.contains(&e.ordinal))
        .cloned()
        .collect())
}

/// Copies a computed record into the server as record `number`: spec files, template modes,
/// values and members (from the build's scratch tables), new registry entries, reuse counts,
/// and the record row last.
#[allow(clippy::too_many_arguments)]
fn write_record(
    conn: &Connection,
    pg: &mut Transaction<'_>,
    shown: &str,
    id: &CohortId,
    spec: &Spec,
    computed: &Computed,
    fresh: &[record::RegistryEntry],
    number: i64,
    now: &str,
) -> Result<()> {
    let mut copy = pg_copy(pg, shown, Table::CohortSpecFiles)?;
    for (path, content) in &spec.bundle.files {
        copy.write(&[
            Value::Integer(number),
            Value::Text(path.clone()),
            Value::Blob(content.clone()),
            Value::Text(blake3::hash(content).to_hex().to_string()),
        ])?;
    }
    copy.finish()?;
    let mut copy = pg_copy(pg, shown, Table::CohortTemplateModes)?;
    for (stage, template, mode) in &computed.modes {
        copy.write(&[
            Value::Integer(number),
            Value::Text(stage.as_str().to_string()),
            Value::Text(template.clone()),
            Value::Text(mode.clone()),
        ])?;
    }
    copy.finish()?;
    for (table, sql) in [
        (
            Table::CohortValues,
            include_str!("../../sql/team_build_values.sql"),
        ),
        (
            Table::CohortMembers,
            include_str!("../../sql/team_build_members.sql"),
        ),
    ] {
        let mut copy = pg_copy(pg, shown, table)?;
        sqlite_query_rows(conn, shown, table, sql, &[&number], &mut |row| {
            copy.write(&row)
        })?;
        copy.finish()?;
    }
    let mut copy = pg_copy(pg, shown, Table::GenIds)?;
    for e in fresh {
        copy.write(&[
            Value::Text(e.gen_id().to_string()),
            Value::Blob(e.digest.to_vec()),
            Value::Integer(i64::from(e.collision)),
            Value::Integer(number),
            Value::Integer(i64::from(e.ordinal)),
        ])?;
    }
    copy.finish()?;
    let mut copy = pg_copy(pg, shown, Table::CohortReuse)?;
    for r in &computed.reuse {
        copy.write(&[
            Value::Integer(number),
            Value::Integer(r.earlier_no),
            Value::Integer(r.shared as i64),
        ])?;
    }
    copy.finish()?;
    let h = &computed.hashes;
    let text = |s: String| Value::Text(s);
    pg_insert_record(
        pg,
        shown,
        &[
            Value::Integer(number),
            text(id.to_string()),
            text(SCHEME.to_string()),
            text(h.content.to_hex()),
            text(h.spec.to_hex()),
            text(h.members.to_hex()),
            text(h.manifest.to_hex()),
            text(h.catalog.to_hex()),
            computed
                .seed
                .as_ref()
                .map_or(Value::Null, |s| text(s.as_str().to_string())),
            Value::Integer(computed.last_batch),
            text(spec.bundle.config.clone()),
            text(computed.manifest.clone()),
            Value::Integer(computed.counts[0] as i64),
            Value::Integer(computed.counts[1] as i64),
            Value::Integer(computed.counts[2] as i64),
            text(now.to_string()),
        ],
    )
}
