//! The SQLite store: opening it (checks, pragmas, migrations, SQL functions) and handing out
//! connections. Every SQL text lives in `sql/` (see `queries`) or `migrations/`.
//!
//! The store file is untrusted input like any other (see `docs/reliability.md`): before a
//! command uses it, [`Store`] checks that it is an SQLite file, that it holds cohortdb's schema
//! history, that its schema version is one this build knows, and (for stores up to
//! [`QUICK_CHECK_MAX_BYTES`], and always for `verify` and `backup`) runs `PRAGMA quick_check`.
//! Only writers migrate; readers never change the file and work on read-only folders and
//! mounts.
//!
//! Any mix of clients may share a store (docs/decisions.md D26, docs/storage.md "Shared use"):
//! on Linux [`ofd`] makes the bundled SQLite's locks open file description locks that another
//! copy of SQLite in the same process (Python's `sqlite3`) can neither ignore nor drop, and
//! `connect` opens readers that may not write the store with `mode=ro` on the `-wal` and
//! `-shm` files writers keep (`immutable=1` only on a read-only mount).
//!
//! `--db` is a path, never an SQLite URI: the store is always opened through a `file:` URI
//! built here from the percent-encoded absolute path, so `file:x`, `:memory:` or `?mode=` in a
//! name are ordinary file names.
//!
//! This module knows nothing about catalogs, specs or cohorts; it must not print.

pub mod backup;
mod crash;
#[cfg(feature = "postgres")]
pub(crate) use crash::point as crash_point;
pub mod functions;
mod guard;
pub(crate) mod migrate;
pub mod ofd;
pub(crate) mod queries;
mod scratch;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{DbContext, Error, IoContext, MigrationFailure, Result, StoreProblem};
use scratch::{Purpose, Scratch};

pub use migrate::latest_version;
#[doc(hidden)]
pub use migrate::{create_at_version, migration_sql};

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a finishing writer waits for readers to let it checkpoint the WAL into the store.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(2);

/// Stores up to this size are checked with `PRAGMA quick_check` whenever they are opened (a
/// few milliseconds per MiB); larger ones by `verify` and `backup` only.
pub const QUICK_CHECK_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Switches the store to WAL. Switching a new file needs an exclusive lock, for which SQLite
/// does not wait (it returns "database is locked" at once to avoid deadlocks), so two processes
/// creating one store at the same moment retry here; a store already in WAL mode needs no lock.
fn set_wal(conn: &Connection) -> Result<()> {
    let mut attempt = 0u64;
    loop {
        match conn.pragma_update(None, "journal_mode", "wal") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 100 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10 * attempt.min(10)));
            }
            other => return other.db("pragma journal_mode"),
        }
    }
}

/// How a command uses the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Writes: created when missing, migrated, checkpointed when closed.
    Write,
    /// Reads, with temporary scratch tables (`verify`): never migrated, always quick-checked.
    Scratch,
    /// Reads only (`query`, `cohorts`, `export`, `backup`): never migrated, `query_only`.
    Read,
}

/// An open cohortdb store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    version: u32,
    mode: Mode,
    /// A cache (a team store's mirror): closing does not wait for other processes' readers to
    /// copy the WAL into the file.
    cache: bool,
}

impl Store {
    /// Opens the store at `path` for reading and writing, creating it when it does not exist,
    /// and applies pending migrations. Every writing command opens through here.
    ///
    /// A new store is created under a temporary name next to `path` and linked into place only
    /// once its schema is complete, so a process killed while creating it leaves no store (at
    /// most a `.<name>.creating-XXXXXX.db` file, named uniquely and created exclusively by
    /// `tempfile`, which the next store created in that folder removes), never a half-made one.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        ofd::install();
        let path = path.as_ref().to_path_buf();
        if check_file(&path)?.is_none() {
            create(&path)?;
        }
        let conn = connect(&path, Mode::Write, Journal::Wal)?;
        finish_open(conn, path, Mode::Write)
    }

    /// Opens an existing store for reading with room for temporary scratch tables (`verify`
    /// recomputes members in them): nothing is migrated or committed, and the whole file is
    /// checked with `PRAGMA quick_check`. Fails with [`Error::NoStore`] when the file does not
    /// exist.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_reader(path.as_ref(), Mode::Scratch)
    }

    /// Opens an existing store read-only (no migrations, no writes possible through this
    /// connection: `query_only` and the `query` authorizer; a file or folder this process may
    /// not write is opened `mode=ro`, see `connect`). Fails with [`Error::NoStore`] when the
    /// file does not exist.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_reader(path.as_ref(), Mode::Read)
    }

    fn open_reader(path: &Path, mode: Mode) -> Result<Store> {
        ofd::install();
        let path = path.to_path_buf();
        let Some(journal) = check_file(&path)? else {
            return Err(Error::NoStore {
                path: path.display().to_string(),
            });
        };
        let conn = connect(&path, mode, journal)?;
        finish_open(conn, path, mode)
    }

    /// Opens an in-memory store with the full schema (tests, scratch builds).
    pub fn open_in_memory() -> Result<Store> {
        // Its connection may attach a store file (`status::scratch`).
        ofd::install();
        let mut conn = Connection::open_in_memory().db("open in-memory store")?;
        conn.pragma_update(None, "foreign_keys", "on")
            .db("pragma foreign_keys")?;
        let version = migrate::run(&mut conn, ":memory:")?;
        functions::register(&conn)?;
        Ok(Store {
            conn,
            path: PathBuf::from(":memory:"),
            version,
            mode: Mode::Scratch,
            cache: false,
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (the newest applied migration).
    pub fn schema_version(&self) -> u32 {
        self.version
    }

    /// The underlying connection.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The underlying connection, mutably (for transactions).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Starts the one write transaction of a command. `IMMEDIATE` takes the write lock up
    /// front, so two processes never deadlock upgrading read locks; the busy timeout makes the
    /// second one wait.
    pub fn write_transaction(&mut self) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db("begin immediate")
    }

    /// A write transaction when no other connection holds the write lock right now; `None`
    /// when one does (for work that may be left to later, such as a mirror keeping a record
    /// the next sync would bring anyway).
    pub fn try_write_transaction(&mut self) -> Result<Option<rusqlite::Transaction<'_>>> {
        self.conn
            .busy_timeout(Duration::ZERO)
            .db("set busy timeout")?;
        // `&mut self`: no other transaction is open on this connection.
        let begun =
            rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate);
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .db("set busy timeout")?;
        match begun {
            Ok(tx) => Ok(Some(tx)),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => Ok(None),
            Err(e) => Err(e).db("begin immediate"),
        }
    }

    /// Marks the store as a cache (a team store's mirror): closing it does not wait for other
    /// processes' readers to copy the WAL into the file (a passive checkpoint instead), since
    /// nobody copies a mirror's file by hand, and that wait would hold up every other writer.
    pub fn mark_cache(&mut self) {
        self.cache = true;
    }

    /// Runs `PRAGMA quick_check` over the whole store; a damaged store is
    /// [`Error::BadStore`].
    pub fn quick_check(&self) -> Result<()> {
        quick_check(&self.conn, &self.path)
    }
}

impl Drop for Store {
    /// A writer copies its committed pages from the WAL into the store file when it finishes
    /// (`wal_checkpoint(TRUNCATE)`, waiting briefly for readers), so the file alone holds every
    /// committed cohort even while other processes keep the store open.
    fn drop(&mut self) {
        if self.mode == Mode::Write && self.cache {
            let _ = self
                .conn
                .query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
        } else if self.mode == Mode::Write {
            let _ = self.conn.busy_timeout(CHECKPOINT_WAIT);
            let _ = self
                .conn
                .query_row("pragma wal_checkpoint(truncate)", [], |_| Ok(()));
        }
    }
}

/// A store that cannot be used, with the reason and the way out.
fn bad(path: &Path, problem: StoreProblem) -> Error {
    Error::bad_store(path, problem)
}

/// How a store file keeps its journal, as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// A write-ahead log (`-wal`, `-shm`): every store a writer has opened.
    Wal,
    /// A rollback journal: a `cohortdb backup` copy no writer has opened yet.
    Rollback,
}

/// Checks what is at `path` before SQLite sees it: `Ok(None)` when nothing is there, the
/// journal its header names for a file that starts like an SQLite database,
/// [`Error::BadStore`] for anything else (a folder, an empty or short file, another format).
fn check_file(path: &Path) -> Result<Option<Journal>> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A link to nothing would be written through (or its creation fail as if the
            // folder were read-only): refused, and the link is left alone.
            return match fs::symlink_metadata(path) {
                Ok(link) if link.file_type().is_symlink() => {
                    Err(bad(path, StoreProblem::DanglingLink))
                }
                _ => Ok(None),
            };
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    if !meta.is_file() {
        return Err(bad(path, StoreProblem::NotAFile));
    }
    if meta.len() == 0 {
        return Err(bad(path, StoreProblem::Empty));
    }
    let mut head = [0u8; 100];
    // Not `fs::File`: closing a descriptor on the store drops this process's POSIX locks on it,
    // another SQLite copy's (docs/decisions.md D26).
    let read = ofd::read_head(path, &mut head).at(path)?;
    if read < head.len() || &head[..16] != SQLITE_MAGIC {
        return Err(bad(path, StoreProblem::NotSqlite));
    }
    // The file format's read and write versions (bytes 18 and 19): 2 in WAL mode.
    Ok(Some(if head[18] == 2 || head[19] == 2 {
        Journal::Wal
    } else {
        Journal::Rollback
    }))
}

/// The `file:` URI of `path` with every byte outside the unreserved set percent-encoded, so
/// SQLite reads no parameter or special name out of it, plus the given query parameters.
fn file_uri(path: &Path, params: &str) -> Result<String> {
    let absolute = std::path::absolute(path).at(path)?;
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    if !params.is_empty() {
        uri.push('?');
        uri.push_str(params);
    }
    Ok(uri)
}

/// True when this process may write `path` (`access(2)`: permissions, read-only mounts).
#[cfg(unix)]
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// True when this process may write `path`.
#[cfg(not(unix))]
fn writable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// True when the store file at `path` is frozen: no write permission for anyone (`chmod a-w`).
/// Nobody is meant to write it — cohortdb refuses to, even as root — so a reader that cannot
/// read it through a write-ahead log index may open it `immutable=1` (docs/storage.md,
/// "Readers that may not write the store").
#[cfg(unix)]
fn frozen(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o222 == 0)
}

/// True when the store file at `path` is frozen (read-only for everyone).
#[cfg(not(unix))]
fn frozen(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.permissions().readonly())
}

/// The folder holding `path`.
fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` with `suffix` appended (`-wal`, `-shm`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// True when `path` is a regular file (not followed if a link).
fn is_regular(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Why `path` cannot be read by this process, if it cannot.
#[cfg(unix)]
fn unreadable(path: &Path) -> Option<std::io::Error> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    (unsafe { libc::access(c.as_ptr(), libc::R_OK) } != 0).then(std::io::Error::last_os_error)
}

/// Why `path` cannot be read by this process, if it cannot.
#[cfg(not(unix))]
fn unreadable(path: &Path) -> Option<std::io::Error> {
    fs::File::open(path).err()
}

/// True when `folder` is on a read-only mount: nobody can write there.
#[cfg(unix)]
fn read_only_mount(folder: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(folder.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `statvfs` is plain data, filled by the call; `c` outlives it.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::statvfs(c.as_ptr(), &mut st) == 0 && st.f_flag & libc::ST_RDONLY != 0 }
}

/// True when `folder` is on a read-only mount.
#[cfg(not(unix))]
fn read_only_mount(_folder: &Path) -> bool {
    false
}

/// The URI parameter a reader that may not write the store opens it with (docs/storage.md,
/// "Sharing a store").
///
/// A store in rollback-journal mode (a backup no writer has opened yet) is read `mode=ro`:
/// shared locks need no write access, and a writer waits for them. In WAL mode `mode=ro` needs
/// the `-wal` and `-shm` files (SQLite then reads the WAL index read-only, holding a read lock
/// that keeps its snapshot from being checkpointed away; sqlite.org/wal.html "Read-Only
/// Databases"). Writers keep both (`PERSIST_WAL`), readable like the store. `immutable=1` — no
/// locks, no change detection — only where nobody writes: a read-only mount, or a [`frozen`]
/// file. Anything else is refused with the way out, never read torn.
fn reader_params(path: &Path, journal: Journal) -> Result<&'static str> {
    if journal == Journal::Rollback {
        return Ok("mode=ro");
    }
    let wal = with_suffix(path, "-wal");
    let shm = with_suffix(path, "-shm");
    let (wal_there, shm_there) = (is_regular(&wal), is_regular(&shm));
    if wal_there && shm_there {
        for (file, suffix) in [(&wal, "-wal"), (&shm, "-shm")] {
            if let Some(source) = unreadable(file) {
                return Err(bad(
                    path,
                    StoreProblem::WalFileUnreadable { suffix, source },
                ));
            }
        }
        return Ok("mode=ro");
    }
    if read_only_mount(&folder(path)) || frozen(path) {
        if fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(bad(path, StoreProblem::WalWithoutIndex));
        }
        return Ok("immutable=1");
    }
    let missing = match (wal_there, shm_there) {
        (false, false) => "-wal and -shm",
        (false, true) => "-wal",
        _ => "-shm",
    };
    Err(bad(path, StoreProblem::NoWalFiles { missing }))
}

/// Opens the SQLite connection for `mode` (the file exists and starts like a database).
///
/// Writers open read-write. Readers that could write the file and its folder open read-write
/// too — never creating, never migrating, with `query_only` on — so that SQLite can recover
/// what a stopped writer left. Both keep the `-wal` and `-shm` files of a WAL store when they
/// close (`SQLITE_FCNTL_PERSIST_WAL`): a reader that may not write the store needs them, and
/// another SQLite client that closes the store last removes them. (A backup, in rollback-journal
/// mode, never gets them.) Readers that may not write open by [`reader_params`].
fn connect(path: &Path, mode: Mode, journal: Journal) -> Result<Connection> {
    let base = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let can_write = !frozen(path) && writable(path) && writable(&folder(path));
    if mode == Mode::Write && !can_write {
        return Err(bad(path, StoreProblem::ReadOnly));
    }
    let (flags, params, persist) = match mode {
        Mode::Write => (base | OpenFlags::SQLITE_OPEN_READ_WRITE, "", true),
        Mode::Read | Mode::Scratch if can_write => {
            (base | OpenFlags::SQLITE_OPEN_READ_WRITE, "", true)
        }
        Mode::Read | Mode::Scratch => (
            base | OpenFlags::SQLITE_OPEN_READ_ONLY,
            reader_params(path, journal)?,
            false,
        ),
    };
    let conn = Connection::open_with_flags(file_uri(path, params)?, flags)
        .map_err(|e| bad(path, StoreProblem::CannotOpen { source: e }))?;
    if persist {
        conn.file_control(
            Some(rusqlite::MAIN_DB),
            rusqlite::FileControl::PersistWal(&mut 1),
        )
        .db("persist wal")?;
    }
    conn.busy_timeout(BUSY_TIMEOUT).db("set busy timeout")?;
    // Query plans never depend on the values bound to a statement: a cached statement rebound
    // in a loop (the ledger's range reads, a walk's seeks) is otherwise prepared again at
    // each bind (docs/decisions.md D37).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .db("enable the query planner stability guarantee")?;
    // `verify` needs temporary tables, which `query_only` forbids; it commits nothing.
    if mode == Mode::Read {
        conn.pragma_update(None, "query_only", "on")
            .db("pragma query_only")?;
    }
    Ok(conn)
}

/// One read snapshot for every statement a command runs: a deferred transaction (its first
/// read fixes what every later one sees, in WAL mode without blocking writers), unless the
/// caller already holds a transaction on `conn`. A command that reads the store in several
/// statements (`scores`: the members, the essays and drafts, the ledger; `status`) takes one,
/// so an import committed meanwhile never tears its result. Dropping it ends the snapshot.
pub(crate) fn read_snapshot(conn: &Connection) -> Result<Option<rusqlite::Transaction<'_>>> {
    if !conn.is_autocommit() {
        return Ok(None);
    }
    conn.unchecked_transaction()
        .map(Some)
        .db("begin a read snapshot")
}

/// Checks that `conn` holds a cohortdb store this build can use, migrates it (writers) and
/// installs the SQL functions.
fn finish_open(mut conn: Connection, path: PathBuf, mode: Mode) -> Result<Store> {
    let display = path.display().to_string();
    // The first read of the schema: a damaged header or a foreign file fails here.
    let has_history =
        migrate::has_history(&conn).map_err(|e| match crate::error::unfinished_write(&e) {
            Some(file) => bad(&path, StoreProblem::NeedsOwner { file }),
            None => sqlite_problem(&conn, &path, e, |source| StoreProblem::Unreadable {
                source,
            }),
        })?;
    if !has_history {
        return Err(bad(&path, StoreProblem::Foreign));
    }
    let recorded = migrate::current_version(&mut conn, &display).map_err(|e| {
        bad(
            &path,
            StoreProblem::HistoryUnreadable {
                source: Box::new(e),
            },
        )
    })?;
    let latest = migrate::latest_version();
    if recorded > latest {
        return Err(bad(
            &path,
            StoreProblem::Newer {
                version: recorded,
                latest,
            },
        ));
    }
    let size = fs::metadata(&path).map_or(0, |m| m.len());
    if mode == Mode::Scratch || size <= QUICK_CHECK_MAX_BYTES {
        quick_check(&conn, &path)?;
    }
    crash::install(&mut conn);
    let version = match mode {
        Mode::Write => {
            conn.pragma_update(None, "synchronous", "normal")
                .db("pragma synchronous")?;
            conn.pragma_update(None, "foreign_keys", "on")
                .db("pragma foreign_keys")?;
            set_wal(&conn)?;
            migrate::run(&mut conn, &display)?
        }
        Mode::Read | Mode::Scratch => {
            if recorded < latest {
                return Err(Error::Migrate {
                    path: display,
                    failure: MigrationFailure::Outdated { recorded, latest },
                });
            }
            recorded
        }
    };
    functions::register(&conn)?;
    if mode == Mode::Read {
        guard::install_guard(&mut conn)?;
    }
    Ok(Store {
        conn,
        path,
        version,
        mode,
        cache: false,
    })
}

/// The store problem an SQLite failure on `conn` is (`StoreProblem::from_sqlite`: damage only
/// for page-level corruption), with the OS error SQLite saw for it.
fn sqlite_problem(
    conn: &Connection,
    path: &Path,
    e: rusqlite::Error,
    other: impl FnOnce(rusqlite::Error) -> StoreProblem,
) -> Error {
    // SAFETY: the handle is the open connection's, valid for the duration of the call;
    // sqlite3_system_errno only reads the errno SQLite recorded for its last failure.
    let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
    bad(path, StoreProblem::from_sqlite(e, Some(errno), other))
}

/// Whether a `quick_check` line is about one row breaking a constraint (`CHECK constraint
/// failed in t`, `NULL value in t.c`, `non-INTEGER value in t.c` of a STRICT table) rather than
/// about the file's pages: such a row was written behind cohortdb's back (with
/// `ignore_check_constraints`), is a finding for the cohort it belongs to (`verify`), and does
/// not make the store unusable.
fn row_level(line: &str) -> bool {
    line.starts_with("CHECK constraint failed in ")
        || line
            .split_once(" value in ")
            .is_some_and(|(kind, _)| !kind.is_empty() && !kind.contains(' '))
}

/// `PRAGMA quick_check`: the b-trees, records and indexes are well formed (not the slower
/// `integrity_check`, which also compares every index with its table). Page-level problems
/// make the store damaged; rows breaking a constraint do not ([`row_level`]); a failure to
/// read (a full device, an I/O error) is said as such.
fn quick_check(conn: &Connection, path: &Path) -> Result<()> {
    let fail = |e| sqlite_problem(conn, path, e, |source| StoreProblem::Damaged { source });
    let mut stmt = conn.prepare("pragma quick_check").map_err(fail)?;
    let mut rows = stmt.query([]).map_err(fail)?;
    let mut problems = Vec::new();
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let line: String = row.get(0).db("pragma quick_check")?;
                if line != "ok" && !row_level(&line) && problems.len() < 3 {
                    problems.push(line);
                }
            }
            Ok(None) => break,
            Err(e) => return Err(fail(e)),
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(bad(path, StoreProblem::QuickCheck { problems }))
}

/// Creates a new store at `path`: a temporary file next to it gets the WAL switch and the whole
/// schema, is closed (which folds its WAL into it), and is hard-linked to `path` — which fails
/// harmlessly when another process created the store first.
fn create(path: &Path) -> Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(bad(path, StoreProblem::NoFolder));
    }
    let scratch = Scratch::new(path, Purpose::Creating)?;
    let tmp = scratch.path();
    let result = (|| {
        let flags = OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE;
        let mut conn = Connection::open_with_flags(file_uri(tmp, "")?, flags)
            .map_err(|e| bad(path, StoreProblem::CannotCreate { source: e }))?;
        crash::install(&mut conn);
        set_wal(&conn)?;
        conn.pragma_update(None, "foreign_keys", "on")
            .db("pragma foreign_keys")?;
        migrate::run(&mut conn, &path.display().to_string())?;
        conn.close().map_err(|(_, e)| Error::Db {
            query: "close new store",
            source: e,
        })?;
        crash::point();
        match fs::hard_link(tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    })();
    // Dropping `scratch` removes the file and its -wal and -shm.
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let first = Store::open(&path).unwrap();
        assert_eq!(first.schema_version(), latest_version());
        drop(first);
        let second = Store::open(&path).unwrap();
        assert_eq!(second.schema_version(), latest_version());
    }

    /// A read snapshot does not see what another connection commits while it is held, and is
    /// not nested in a caller's transaction.
    #[test]
    fn a_read_snapshot_is_not_torn_by_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let writer = Store::open(&path).unwrap();
        let reader = Store::open_read_only(&path).unwrap();
        let count = |s: &Store| -> i64 {
            s.conn()
                .query_row("select count(*) from results_imports", [], |r| r.get(0))
                .unwrap()
        };
        let insert = |n: i64| {
            writer
                .conn()
                .execute(
                    "insert into results_imports values (?1, '/g', 't', 0, 0, 0)",
                    [n],
                )
                .unwrap();
        };
        // Rebinding a statement never prepares it again (D37).
        for store in [&writer, &reader] {
            assert!(
                store
                    .conn()
                    .db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)
                    .unwrap()
            );
        }
        let snapshot = read_snapshot(reader.conn()).unwrap();
        assert!(snapshot.is_some());
        assert_eq!(count(&reader), 0);
        insert(1);
        assert_eq!(count(&reader), 0, "the commit is after the snapshot");
        assert!(read_snapshot(reader.conn()).unwrap().is_none());
        drop(snapshot);
        assert_eq!(count(&reader), 1);
    }

    /// A try is refused at once while another connection writes, and given once it is done;
    /// the busy timeout is back for everything else.
    #[test]
    fn a_try_for_the_write_lock_does_not_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut holder = Store::open(&path).unwrap();
        let mut other = Store::open(&path).unwrap();
        let held = holder.write_transaction().unwrap();
        assert!(other.try_write_transaction().unwrap().is_none());
        held.commit().unwrap();
        let tx = other.try_write_transaction().unwrap();
        assert!(tx.is_some());
        drop(tx);
        let waits: i64 = other
            .conn()
            .query_row("pragma busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert_eq!(waits, BUSY_TIMEOUT.as_millis() as i64);
    }

    #[test]
    fn read_only_open_requires_an_existing_store() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open_read_only(dir.path().join("missing.db"))
            .err()
            .unwrap();
        assert!(matches!(err, Error::NoStore { .. }));
        assert!(!dir.path().join("missing.db").exists());
    }

    #[test]
    fn uris_are_built_from_literal_paths() {
        let uri = file_uri(Path::new("/a/file:x?mode=memory#y%z b"), "immutable=1").unwrap();
        assert_eq!(
            uri,
            "file:/a/file%3Ax%3Fmode%3Dmemory%23y%25z%20b?immutable=1"
        );
    }

    #[test]
    fn special_names_are_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [":memory:", "file:s.db", "file:x?mode=memory", "a b%20.db"] {
            let path = dir.path().join(name);
            drop(Store::open(&path).unwrap());
            assert!(path.is_file(), "{name}");
            Store::open_read_only(&path).unwrap();
        }
    }

    /// Removes the `-wal` and `-shm` files a writer keeps, as a copied or restored store has
    /// none.
    fn without_wal_files(path: &Path) {
        for suffix in ["-wal", "-shm"] {
            fs::remove_file(with_suffix(path, suffix)).unwrap();
        }
    }

    #[test]
    fn the_immutable_uri_of_an_odd_path_opens_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a b?c#d%e:f.db");
        drop(Store::open(&path).unwrap());
        without_wal_files(&path);
        let flags = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_READ_ONLY;
        let conn =
            Connection::open_with_flags(file_uri(&path, "immutable=1").unwrap(), flags).unwrap();
        assert!(migrate::has_history(&conn).unwrap());
        drop(conn);
        assert!(!with_suffix(&path, "-shm").exists());
    }

    #[test]
    fn writers_keep_an_empty_wal_and_the_shm_with_the_store_s_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        without_wal_files(&path);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let mut writer = Store::open(&path).unwrap();
        let tx = writer.write_transaction().unwrap();
        tx.execute_batch("create table notes(x); insert into notes values (1);")
            .unwrap();
        tx.commit().unwrap();
        assert!(fs::metadata(with_suffix(&path, "-wal")).unwrap().len() > 0);
        drop(writer);
        assert_eq!(fs::metadata(with_suffix(&path, "-wal")).unwrap().len(), 0);
        for suffix in ["-wal", "-shm"] {
            let mode = fs::metadata(with_suffix(&path, suffix))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o640, "{suffix}");
        }
    }

    #[test]
    fn readers_keep_a_wal_store_s_files_and_give_a_backup_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        let read = |path: &Path| {
            for open in [Store::open_read_only, Store::open_existing] {
                open(path)
                    .unwrap()
                    .conn()
                    .query_row("select count(*) from cohort_records", [], |_| Ok(()))
                    .unwrap();
            }
        };
        // After a writer: both kept, the log empty.
        read(&path);
        assert_eq!(fs::metadata(with_suffix(&path, "-wal")).unwrap().len(), 0);
        assert!(with_suffix(&path, "-shm").is_file());
        // Removed by another client that closed the store last: a reader puts them back.
        let other = Connection::open(&path).unwrap();
        other
            .query_row("select count(*) from sqlite_master", [], |_| Ok(()))
            .unwrap();
        drop(other);
        assert!(!with_suffix(&path, "-shm").exists());
        read(&path);
        assert!(with_suffix(&path, "-wal").is_file());
        assert!(with_suffix(&path, "-shm").is_file());
        // A backup is in rollback-journal mode: none.
        let copy = dir.path().join("copy.db");
        backup::backup(&Store::open_read_only(&path).unwrap(), &copy).unwrap();
        read(&copy);
        assert!(!with_suffix(&copy, "-wal").exists());
        assert!(!with_suffix(&copy, "-shm").exists());
    }

    #[test]
    fn readers_that_may_not_write_need_the_wal_files_or_a_read_only_mount() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        assert_eq!(reader_params(&path, Journal::Wal).unwrap(), "mode=ro");
        fs::remove_file(with_suffix(&path, "-shm")).unwrap();
        let err = reader_params(&path, Journal::Wal).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadStore {
                    problem: StoreProblem::NoWalFiles { missing: "-shm" },
                    ..
                }
            ),
            "{err:?}"
        );
        fs::remove_file(with_suffix(&path, "-wal")).unwrap();
        let text = reader_params(&path, Journal::Wal).unwrap_err().to_string();
        assert!(
            text.contains("it has no -wal and -shm file") && text.contains("cohortdb init"),
            "{text}"
        );
        // A link in place of the file is not the file.
        std::os::unix::fs::symlink(&path, with_suffix(&path, "-wal")).unwrap();
        std::os::unix::fs::symlink(&path, with_suffix(&path, "-shm")).unwrap();
        assert!(reader_params(&path, Journal::Wal).is_err());
        // A rollback-journal store (a backup) needs neither: its locks are on the file.
        assert_eq!(reader_params(&path, Journal::Rollback).unwrap(), "mode=ro");
    }

    #[test]
    fn foreign_empty_and_newer_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.db");
        fs::write(&empty, b"").unwrap();
        let text = dir.path().join("text.db");
        fs::write(&text, "id,name\n".repeat(50)).unwrap();
        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("create table notes(x); insert into notes values (1);")
            .unwrap();
        let newer = dir.path().join("newer.db");
        drop(Store::open(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .execute(
                "insert into refinery_schema_history values (?1, 'future', '2030-01-01T00:00:00Z', '1')",
                [latest_version() + 1],
            )
            .unwrap();
        for path in [&empty, &text, &foreign, &newer] {
            let before = fs::read(path).unwrap();
            for result in [
                Store::open(path).err(),
                Store::open_read_only(path).err(),
                Store::open_existing(path).err(),
            ] {
                assert!(
                    matches!(result, Some(Error::BadStore { .. })),
                    "{}: {result:?}",
                    path.display()
                );
            }
            assert_eq!(fs::read(path).unwrap(), before, "{}", path.display());
        }
    }
}
