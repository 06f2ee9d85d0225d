//! A workspace whose store is a team store (`postgres://…`, docs/postgres.md, docs/decisions.md
//! D28): which door of `crate::team` each command goes through. Reading commands run on the
//! synced local mirror (an SQLite store of the same format), writing commands stage in the
//! mirror and publish to the server, `query` runs on the server. Without the cargo feature
//! `postgres` every function here refuses, naming the feature (`crate::team::parse_url` already
//! does before any of them is reached).

use std::path::{Path, PathBuf};

use super::Cancel;
use crate::catalog::{CatalogKind, ImportReport, Progress};
use crate::cohort::BuildReport;
use crate::error::Result;
use crate::ids::CohortId;
use crate::seed::Seed;
use crate::spec::{Plan, Spec};
use crate::team::PgUrl;

#[cfg(not(feature = "postgres"))]
fn disabled(url: &PgUrl) -> crate::Error {
    crate::team::team_error(&url.to_string(), crate::error::TeamErrorKind::Disabled)
}

/// Syncs the mirror of the store `url` names (never migrating the server) and returns the
/// mirror's file, for a reading command to open.
pub(super) fn synced_mirror(url: &PgUrl) -> Result<PathBuf> {
    #[cfg(feature = "postgres")]
    {
        let team = crate::team::publish::Team::open_reader(url)?;
        Ok(team.mirror_path().to_path_buf())
    }
    #[cfg(not(feature = "postgres"))]
    Err(disabled(url))
}

/// `init`: creates or migrates the server's schema and syncs the mirror; the store as shown
/// (no password) and its schema version.
pub(super) fn init(url: &PgUrl) -> Result<(String, u32)> {
    #[cfg(feature = "postgres")]
    {
        let team = crate::team::publish::Team::open(url)?;
        Ok((
            team.store().shown().to_string(),
            team.store().schema_version(),
        ))
    }
    #[cfg(not(feature = "postgres"))]
    Err(disabled(url))
}

/// A stop interrupts the mirror's statements and cancels the server's (a write lock another
/// writer holds, a COPY): the command ends at once, and its transactions roll back.
#[cfg(feature = "postgres")]
fn watch(team: &crate::team::publish::Team, cancel: &Cancel) {
    cancel.watch(team.mirror().conn());
    cancel.on_cancel(team.store().canceller());
}

/// `import`: one file of one kind, or every catalog file under `data_root`, staged in the mirror
/// and published. A stop (`cancel`) interrupts the mirror's import and the server's statement.
pub(super) fn import(
    url: &PgUrl,
    file: Option<(CatalogKind, &Path)>,
    data_root: &Path,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<ImportReport> {
    #[cfg(feature = "postgres")]
    {
        let mut team = crate::team::publish::Team::open(url)?;
        watch(&team, cancel);
        cancel.check()?;
        match file {
            Some((kind, path)) => team.import_file(kind, path, progress),
            None => team.import_all(data_root, progress),
        }
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (file, data_root, progress, cancel);
        Err(disabled(url))
    }
}

/// `import gens`: scanned into the mirror's ledger, the new import published. `watch` is given
/// the mirror's connection (a stop interrupts the import).
pub(super) fn import_gens(
    url: &PgUrl,
    gens_root: &Path,
    tick: &dyn Fn(u64) -> Result<()>,
    watch: &dyn Fn(&rusqlite::Connection),
) -> Result<crate::results::ImportGensReport> {
    #[cfg(feature = "postgres")]
    {
        let mut team = crate::team::publish::Team::open(url)?;
        watch(team.mirror().conn());
        team.import_gens(gens_root, tick)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (gens_root, tick, watch);
        Err(disabled(url))
    }
}

/// `build`: computed on the mirror, published under the write lock; a stop (`cancel`)
/// interrupts the mirror's computation and the server's statement, and one asked before the
/// server's commit rolls everything back.
pub(super) fn build(
    url: &PgUrl,
    id: &CohortId,
    spec: &Spec,
    plan: &Plan,
    seed: Option<&Seed>,
    cancel: &Cancel,
) -> Result<BuildReport> {
    #[cfg(feature = "postgres")]
    {
        let mut team = crate::team::publish::Team::open(url)?;
        watch(&team, cancel);
        cancel.check()?;
        team.build_checked(id, spec, plan, seed, &|| cancel.check())
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (id, spec, plan, seed, cancel);
        Err(disabled(url))
    }
}
