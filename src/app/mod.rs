//! The front door: one [`Workspace`] (a store and a data root) and one method per command, the
//! only API the CLI (`src/cli/`) and the Python package (`python/src/lib.rs`) call.
//!
//! Everything a command decides besides its own algorithm lives here, once: where the default
//! cohort folder, spec and gens root are (through [`DataLayout`]), which store a command opens
//! and how (writers create and migrate it; readers never do), that a refused first command
//! leaves no store file behind, which checks run before anything is written (the cohort id,
//! the spec, `--max-rows`, a data root that holds catalogs), how a command reports progress
//! and is stopped ([`Context`]), and the shape of every report ([`reports`]): the CLI prints
//! it as text or as JSON (`docs/schema/`), Python builds its typed reports from the same
//! document. docs/architecture.md, "The front door".

pub mod context;
#[cfg(feature = "postgres")]
mod copy;
mod inspect;
mod migrate;
pub mod project;
mod query;
pub mod reports;
mod results;
mod scaffold;
mod team;
mod work;

use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::ids::CohortId;
use crate::layout::{self, DataLayout};
use crate::store::Store;

pub use context::{Cancel, Context, Event, Events, Quiet, Unit};
#[cfg(feature = "postgres")]
pub use copy::CopyRequest;
pub use inspect::{DiffRequest, ExplainRequest, StatusRequest, explain};
pub use migrate::{MigrateRequest, MigrateSource};
#[cfg(feature = "parquet")]
pub use query::ParquetSink;
pub use query::{ColumnType, Params, QueryRequest, RowSink};
pub use reports::{
    BackupReport, BuildReport, CohortsReport, ExplainReport, ImportGensReport, ImportReport,
    InitReport, ProgressReport, ResultsVerifyReport, ScoresReport, VerifyReport,
};
pub use results::{ImportGensRequest, ProgressRequest, ScoresRequest};
pub use scaffold::{NewReport, NewRequest};
pub use work::{
    BuildRequest, ExportRequest, ImportRequest, VerifyRequest, VerifyTarget, load_plan,
};

/// A store and a data root: what every command works on.
///
/// The store is an SQLite file, or — when its text is a `postgres://` (or `postgresql://`) URL —
/// a team store on a PostgreSQL server (docs/postgres.md, docs/decisions.md D28): every command
/// works on either, with the same requests and reports. The URL is parsed (and its password
/// looked up) when a command runs; it is never shown with its password ([`Workspace::store_shown`],
/// `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Workspace {
    store: PathBuf,
    layout: DataLayout,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("store", &self.store_shown())
            .field("layout", &self.layout)
            .finish()
    }
}

impl Workspace {
    /// A workspace over the store file `store` and the data root `data_root`, as given
    /// (relative paths are relative to the current folder whenever a command runs).
    pub fn new(store: impl Into<PathBuf>, data_root: impl Into<PathBuf>) -> Workspace {
        Workspace {
            store: store.into(),
            layout: DataLayout::new(data_root.into()),
        }
    }

    /// A workspace whose paths are made absolute now, against the current folder, so a later
    /// change of folder (`os.chdir` in a notebook) does not move the store or the data root.
    /// Symbolic links are not resolved.
    /// A team store's URL is kept as it is.
    pub fn anchored(store: impl AsRef<Path>, data_root: impl AsRef<Path>) -> Result<Workspace> {
        let absolute = |p: &Path| std::path::absolute(p).at(p);
        let store = store.as_ref();
        let store = if is_team_url(store) {
            store.to_path_buf()
        } else {
            absolute(store)?
        };
        Ok(Workspace::new(store, absolute(data_root.as_ref())?))
    }

    /// The store file (for a team store, its URL as given: see [`Workspace::store_shown`]).
    pub fn store_path(&self) -> &Path {
        &self.store
    }

    /// The store as it may be shown: the file, or a team store's URL without its password.
    pub fn store_shown(&self) -> String {
        match self.store.to_str() {
            Some(text) if crate::team::is_url(text) => crate::team::url::redact(text),
            _ => self.store.display().to_string(),
        }
    }

    /// The store as the project file names it: the file, or a team store's URL without any
    /// password (the password then comes from `PGPASSWORD` or the password file: a project file
    /// is often committed).
    fn store_for_project_file(&self) -> PathBuf {
        match self.store.to_str() {
            Some(text) if crate::team::is_url(text) => PathBuf::from(
                crate::team::url::redact(text)
                    .replacen(":***@", "@", 1)
                    .replace("password=***&", "")
                    .replace("&password=***", "")
                    .replace("?password=***", ""),
            ),
            _ => self.store.clone(),
        }
    }

    /// Whether the store is a team store (a `postgres://` URL).
    pub fn is_team(&self) -> bool {
        is_team_url(&self.store)
    }

    /// The team store's URL, parsed (its password from the URL, `PGPASSWORD` or the password
    /// file); `None` for an SQLite store.
    fn team_url(&self) -> Result<Option<crate::team::PgUrl>> {
        match self.store.to_str() {
            Some(text) if crate::team::is_url(text) => Ok(Some(crate::team::parse_url(text)?)),
            _ => Ok(None),
        }
    }

    /// The data layout under the data root.
    pub fn layout(&self) -> &DataLayout {
        &self.layout
    }

    /// The data root.
    pub fn data_root(&self) -> &Path {
        self.layout.root()
    }

    /// Opens the store for a writing command and runs `f`. When the command fails and the
    /// store file did not exist before it, the file is removed again: a refused first command
    /// leaves nothing behind.
    /// (SQLite only: a team store's writes go through `team`.)
    fn writer<T>(&self, ctx: Context<'_>, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if let Some(url) = self.team_url()? {
            // Every team-store write has its own door (`team`); one without is refused here,
            // never sent to a file named like the URL.
            return Err(crate::team::team_error(
                &url.to_string(),
                crate::error::TeamErrorKind::NotOnTeamStore {
                    command: "this command",
                },
            ));
        }
        // `symlink_metadata`: a link (even to nothing) is something that existed; it is never
        // removed below.
        let existed = std::fs::symlink_metadata(&self.store).is_ok();
        let result = Store::open(&self.store).and_then(|mut store| {
            ctx.cancel.watch(store.conn());
            f(&mut store)
        });
        if result.is_err() && !existed {
            remove_store_files(&self.store);
        }
        result.map_err(|e| ctx.cancel.explain(e))
    }

    /// The SQLite file a reading command opens: the store, or a team store's mirror, synced
    /// first (the server is never migrated by a reader).
    fn readable(&self) -> Result<PathBuf> {
        match self.team_url()? {
            Some(url) => team::synced_mirror(&url),
            None => Ok(self.store.clone()),
        }
    }

    /// Opens the store read-only (never created, never migrated).
    fn reader(&self, ctx: Context<'_>) -> Result<Store> {
        let store = Store::open_read_only(self.readable()?)?;
        ctx.cancel.watch(store.conn());
        Ok(store)
    }

    /// Opens the store for reading with temporary scratch tables (verify recomputes in them).
    fn scratch(&self, ctx: Context<'_>) -> Result<Store> {
        let store = Store::open_existing(self.readable()?)?;
        ctx.cancel.watch(store.conn());
        Ok(store)
    }

    /// A cohort id argument, checked before anything is read or written (D11).
    fn cohort_id(id: &str) -> Result<CohortId> {
        CohortId::parse(id)
    }

    /// Refuses a data root that does not exist when a command would read or write default
    /// paths under it: a mistyped `--data-root` must not read as "nothing exported yet", nor be
    /// created by a write. `command` picks the hint.
    fn require_data_root(&self, command: &'static str) -> Result<()> {
        if self.data_root().is_dir() {
            return Ok(());
        }
        Err(crate::UsageError::NoDataRoot {
            path: self.data_root().display().to_string(),
            command,
        }
        .into())
    }

    /// `cohortdb init`: creates the store, or migrates an older one; creates the data layout's
    /// folders (the data root, `1_raw/`, `cohorts/`, `gens/`) when they are missing, and with
    /// [`InitRequest::project_file`] writes the project file naming this store and data root;
    /// with [`InitRequest::starter`], in a new project, writes and imports the starter catalogs.
    /// Nothing that exists is changed.
    pub fn init(&self, request: &InitRequest, ctx: Context<'_>) -> Result<InitReport> {
        let root = self.data_root();
        let team_url = self.team_url()?;
        // Checked before anything is written: the data root (or its nearest existing ancestor)
        // is a folder this process may write, and the project file can name both paths.
        layout::check_writable_root(root, "--data-root")?;
        let project_text = match &request.project_file {
            Some(file) => Some(
                project::ProjectFile {
                    db: self.store_for_project_file(),
                    data_root: root.to_path_buf(),
                }
                .to_yaml(file)?,
            ),
            None => None,
        };
        let starter = request.starter
            && team_url.is_none()
            && std::fs::symlink_metadata(&self.store).is_err()
            && scaffold::wants_starter(root);
        // What this `init` created, removed again when it fails (Ctrl-C included): a refused
        // `init` leaves the folder as it found it.
        let mut undo = scaffold::Undo::default();
        let result = self.init_steps(request, ctx, team_url, project_text, starter, &mut undo);
        if result.is_err() {
            undo.run();
        }
        result
    }

    /// [`Workspace::init`]'s writes, in order: an existing (or team) store opened and migrated
    /// first, so a store that cannot be used stops `init` before it writes anything; the
    /// folders; the project file; then, for a new project, the starter catalogs and the store,
    /// created by their import in one transaction.
    fn init_steps(
        &self,
        request: &InitRequest,
        ctx: Context<'_>,
        team_url: Option<crate::team::PgUrl>,
        project_text: Option<String>,
        starter: bool,
        undo: &mut scaffold::Undo,
    ) -> Result<InitReport> {
        let root = self.data_root();
        let opened = match (&team_url, starter) {
            (Some(url), _) => Some(team::init(url)?),
            (None, false) => Some(self.writer(ctx, |store| {
                Ok((store.path().display().to_string(), store.schema_version()))
            })?),
            (None, true) => None,
        };
        let mut created = Vec::new();
        for dir in undo.create_root(root)? {
            created.push(dir.display().to_string());
        }
        for folder in [
            crate::catalog::RAW_DIR,
            layout::data::COHORTS_DIR,
            layout::data::GENS_DIR,
        ] {
            if let Some(dir) = undo.create_dir(root, &root.join(folder))? {
                created.push(dir.display().to_string());
            }
        }
        let project = match (&request.project_file, project_text) {
            (Some(file), Some(text)) => {
                if crate::layout::write_new(file, text.as_bytes())? {
                    undo.file(file);
                    created.push(file.display().to_string());
                }
                Some(file.display().to_string())
            }
            _ => None,
        };
        ctx.cancel.check()?;
        let (store, schema_version, starter_files, imported) = match opened {
            Some((store, version)) => (store, version, Vec::new(), None),
            None => {
                let files = scaffold::write_starter_catalogs(root, ctx.cancel, undo)?;
                let (store, version, report) = self.writer(ctx, |store| {
                    let events = work::ImportEvents::new(ctx);
                    let report = crate::catalog::import_all(store, root, &events)?;
                    Ok((
                        store.path().display().to_string(),
                        store.schema_version(),
                        ImportReport::from(report),
                    ))
                })?;
                let files = files.iter().map(|f| f.display().to_string()).collect();
                (store, version, files, Some(report))
            }
        };
        Ok(InitReport {
            store,
            schema_version,
            project,
            created,
            starter_files,
            imported,
        })
    }
}

/// What `init` sets up besides the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitRequest {
    /// The project file (docs/cli.md, "The project file"): written, naming the store and data
    /// root, unless it exists; `None` for none (the CLI passes the project file it found, else
    /// `./cohortdb.yaml`; Python passes none).
    pub project_file: Option<PathBuf>,
    /// Write the starter catalogs (the bundled example's catalog files) into the data root and
    /// import them — only when this `init` creates an SQLite store and the data root holds no
    /// catalog file, so `init`, `new` and `build` work in an empty folder (docs/cli.md `init`;
    /// the CLI asks for them unless `--bare`; Python's `Store.init` only when asked).
    pub starter: bool,
}

/// Whether a store names a team store (a `postgres://` or `postgresql://` URL).
fn is_team_url(store: &Path) -> bool {
    store.to_str().is_some_and(crate::team::is_url)
}

/// Removes a store file a failed first command created, with its journal files.
fn remove_store_files(store: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = store.as_os_str().to_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}
