//! `import gens`: walks `gens/<stage>/<gen_id>/` in gen_id order beside the ledger's current
//! state (a merge of two sorted streams, chunk by chunk), reads only what changed, and appends
//! new versions in one transaction (docs/storage.md, "The results ledger").
//!
//! A file is read again unless its size, mtime, ctime, inode and device all equal the last
//! observation of it and that observation was not racy (taken within 2 s of the file's
//! modification). Folders are read on two threads while this one writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::{Connection, params};

use super::generation::{self, Entry, Facts, FileRecord, Kind, Stat};
use super::walk::text;
use crate::error::{DbContext, Error, IoContext, Result, ResultsError};
use crate::ids::Stage;
use crate::store::{Store, queries};

mod writer;
use writer::Writer;

/// Generation folders per chunk (one range query and one reader task each).
const CHUNK: usize = 2048;
/// The name under which a generation folder's own stat is observed (no entry of a folder is
/// called `.`): when it is unchanged and clean, the folder's entries are the ledger's and only
/// its regular files are stat'ed, not listed (docs/storage.md).
const FOLDER: &str = ".";
/// Warnings kept in a report; the rest are counted (`warnings_omitted`), so a tree of a
/// million symlinks does not grow the report without bound.
pub const MAX_WARNINGS: usize = 100;
/// An observation this close to the import's start may miss a later same-size edit within the
/// file system's timestamp granularity, so it does not vouch for the file (git's "racy" rule).
const RACY_NS: i64 = 2_000_000_000;

/// What `import gens` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportGensReport {
    /// The resolved gens root that was scanned.
    pub gens_root: String,
    /// The import's id (`None` when nothing was recorded).
    pub import_id: Option<i64>,
    /// Generation folders seen, per stage (`draft`, `essay`, `evaluation`).
    pub generations: BTreeMap<String, u64>,
    /// Files whose bytes were read.
    pub files_read: u64,
    /// Generation versions added: new folders.
    pub added: u64,
    /// … folders whose content changed.
    pub changed: u64,
    /// … folders that vanished.
    pub vanished: u64,
    /// Things skipped or not followed, one line each (links, special files, odd names); the
    /// first [`MAX_WARNINGS`].
    pub warnings: Vec<String>,
    /// Warnings beyond the first [`MAX_WARNINGS`], counted only.
    pub warnings_omitted: u64,
}

impl ImportGensReport {
    /// Versions added in all.
    pub fn versions(&self) -> u64 {
        self.added + self.changed + self.vanished
    }

    /// Adds a warning, or counts it once [`MAX_WARNINGS`] are kept.
    fn warn(&mut self, warning: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        } else {
            self.warnings_omitted += 1;
        }
    }
}

/// The current version of a generation in the ledger.
#[derive(Debug, Default)]
struct Current {
    version: i64,
    folder: String,
    files: Vec<FileRecord>,
    /// The last observation of each of `files` (same positions): its stat and whether it
    /// vouches for the bytes. Observations of names the current version does not hold are
    /// never consulted (a folder whose entries differ is read again), so they are not kept.
    files_observed: Vec<Option<(Stat, bool)>>,
    /// The last observation of the folder itself (under the name [`FOLDER`]).
    folder_observed: Option<(Stat, bool)>,
}

impl Current {
    /// The last observation of `name` ([`FOLDER`] for the folder), if the ledger keeps one.
    fn observed(&self, name: &str) -> Option<&(Stat, bool)> {
        if name == FOLDER {
            return self.folder_observed.as_ref();
        }
        let at = self.files.iter().position(|f| f.name == name)?;
        self.files_observed.get(at)?.as_ref()
    }
}

/// What a reader found for one generation folder of a chunk.
enum Found {
    /// The folder's own stat vouches for its entries and every file's stat for its bytes:
    /// nothing listed, nothing read.
    Unchanged,
    /// Listed and compared: nothing to read; the folder's stat (to record when it is not yet).
    Listed(Stat),
    /// A link, FIFO, file or other non-folder in place of the folder.
    NotFolder(&'static str),
    /// Read: its files, stats and facts, and the folder's stat.
    Read(Box<generation::Scanned>, Stat),
}

struct Job {
    stage: Stage,
    dir: PathBuf,
    names: Vec<String>,
    current: BTreeMap<String, Current>,
}

struct Done {
    stage: Stage,
    names: Vec<String>,
    found: Vec<std::io::Result<Found>>,
    current: BTreeMap<String, Current>,
}

/// Python's `Path.resolve()` (non-strict): the existing part with links resolved, the rest
/// appended with `.` and `..` collapsed; absolute against the current folder.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut existing = absolute.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                match part.to_str() {
                    Some("..") => {
                        out.pop();
                    }
                    Some(".") => {}
                    _ => out.push(part),
                }
            }
            return out;
        }
        let last = match existing.components().next_back() {
            Some(std::path::Component::ParentDir) => "..".into(),
            Some(std::path::Component::CurDir) => ".".into(),
            Some(c) => c.as_os_str().to_os_string(),
            None => return absolute,
        };
        rest.push(last);
        if !existing.pop() {
            return absolute;
        }
    }
}

/// Lists the generation folders of one stage, sorted by name; missing stage folder → none.
fn stage_names(root: &Path, stage: Stage, report: &mut ImportGensReport) -> Result<Vec<String>> {
    let dir = root.join(stage.as_str());
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
        Ok(m) if m.is_dir() => {}
        Ok(m) => {
            return Err(ResultsError::StageFolder {
                path: dir.display().to_string(),
                kind: format!("is {}", crate::fsutil::kind_name(m.file_type())),
            }
            .into());
        }
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).at(&dir)? {
        let entry = entry.at(&dir)?;
        match entry.file_name().into_string() {
            Ok(name) => names.push(name),
            Err(odd) => report.warn(format!(
                "{}: a folder name that is not UTF-8 is skipped (no membership can name it)",
                dir.join(odd).display()
            )),
        }
    }
    names.sort();
    Ok(names)
}

fn conversion(at: usize, e: rusqlite::types::FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
}

/// A chunk's upper bound as the range statements take it: the last gen_id of the chunk, or for
/// the last chunk an empty BLOB (it sorts after every text, so the bound stays an index range
/// and a chunk never scans the rest of the stage).
fn bound(upper: Option<&str>) -> rusqlite::types::Value {
    match upper {
        Some(u) => rusqlite::types::Value::Text(u.to_string()),
        None => rusqlite::types::Value::Blob(Vec::new()),
    }
}

/// Reads the ledger's current state for gen_ids in `(lower, upper]` of a stage.
fn load_current(
    conn: &Connection,
    stage: Stage,
    lower: &str,
    upper: Option<&str>,
) -> Result<BTreeMap<String, Current>> {
    let mut out: BTreeMap<String, Current> = BTreeMap::new();
    let mut stmt = conn
        .prepare_cached(queries::RESULTS_CURRENT_RANGE)
        .db("results_current_range")?;
    let mut rows = stmt
        .query(params![stage.as_str(), lower, bound(upper)])
        .db("results_current_range")?;
    // Columns by position: gen_id, version, folder, name, kind, size, blake3.
    while let Some(r) = rows.next().db("results_current_range")? {
        let gen_id = text(r, 0).db("results_current_range")?;
        // Rows come in gen_id order: a generation's rows follow each other.
        let cur = match out.last_entry() {
            Some(last) if last.key() == gen_id => last.into_mut(),
            _ => out.entry(gen_id.to_string()).or_default(),
        };
        cur.version = r.get(1).db("results_current_range")?;
        cur.folder = r.get(2).db("results_current_range")?;
        if let Some(name) = r.get::<_, Option<String>>(3).db("results_current_range")? {
            let kind = text(r, 4).db("results_current_range")?;
            let blake3 = r
                .get_ref(6)
                .and_then(|v| v.as_blob_or_null().map_err(|e| conversion(6, e)))
                .db("results_current_range")?;
            cur.files.push(FileRecord {
                name,
                kind: Kind::parse(kind),
                size: r.get(5).db("results_current_range")?,
                blake3: blake3.and_then(|b| <[u8; 32]>::try_from(b).ok()),
            });
        }
    }
    let mut stmt = conn
        .prepare_cached(queries::RESULTS_OBSERVATIONS_RANGE)
        .db("results_observations_range")?;
    let mut rows = stmt
        .query(params![stage.as_str(), lower, bound(upper)])
        .db("results_observations_range")?;
    // Columns by position: gen_id, name, size, mtime_ns, ctime_ns, inode, device, clean. Rows
    // come in gen_id order (the same byte order as the map's keys), walked beside the map;
    // a later observation of a name replaces an earlier one.
    for cur in out.values_mut() {
        cur.files_observed = vec![None; cur.files.len()];
    }
    let mut cursor = out.iter_mut().peekable();
    while let Some(r) = rows.next().db("results_observations_range")? {
        let gen_id = text(r, 0).db("results_observations_range")?;
        while cursor.peek().is_some_and(|(k, _)| k.as_str() < gen_id) {
            cursor.next();
        }
        let Some((key, cur)) = cursor.peek_mut() else {
            break;
        };
        if key.as_str() != gen_id {
            continue;
        }
        let name = text(r, 1).db("results_observations_range")?;
        let slot = if name == FOLDER {
            &mut cur.folder_observed
        } else {
            match cur.files.iter().position(|f| f.name == name) {
                Some(at) => &mut cur.files_observed[at],
                None => continue,
            }
        };
        let stat = Stat {
            size: r.get(2).db("results_observations_range")?,
            mtime_ns: r.get(3).db("results_observations_range")?,
            ctime_ns: r.get(4).db("results_observations_range")?,
            inode: r.get(5).db("results_observations_range")?,
            device: r.get(6).db("results_observations_range")?,
        };
        let clean: bool = r.get(7).db("results_observations_range")?;
        *slot = Some((stat, clean));
    }
    Ok(out)
}

/// True when the listing matches the current version and every file's last observation
/// vouches for its bytes.
fn unchanged(entries: &[Entry], current: &Current) -> bool {
    current.folder == "dir"
        && entries.len() == current.files.len()
        && entries
            .iter()
            .zip(&current.files)
            .zip(&current.files_observed)
            .all(|((e, f), observed)| {
                e.name == f.name
                    && e.kind == f.kind
                    && (e.kind != Kind::File
                        || observed
                            .as_ref()
                            .is_some_and(|(stat, clean)| *clean && *stat == e.stat))
            })
}

/// A stage folder, opened once per chunk: the stats of its generation folders and their files
/// are taken relative to it (`fstatat` with `AT_SYMLINK_NOFOLLOW`, one or two path components)
/// rather than walking the whole absolute path each time. Where it cannot be opened (or off
/// Unix) the absolute path is used, as before.
struct StageDir {
    path: PathBuf,
    #[cfg(unix)]
    fd: Option<rustix::fd::OwnedFd>,
    /// A reusable buffer for `<gen_id>/<file>`.
    rel: String,
}

impl StageDir {
    fn open(path: &Path) -> StageDir {
        #[cfg(unix)]
        let fd = {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            rustix::fs::open(path, flags, Mode::empty()).ok()
        };
        StageDir {
            path: path.to_path_buf(),
            #[cfg(unix)]
            fd,
            rel: String::new(),
        }
    }

    /// The kind and stat of `<gen_id>` (`file` `None`) or `<gen_id>/<file>`, never following
    /// a link in the last component.
    fn stat(&mut self, gen_id: &str, file: Option<&str>) -> std::io::Result<(Kind, Stat)> {
        self.rel.clear();
        self.rel.push_str(gen_id);
        if let Some(file) = file {
            self.rel.push('/');
            self.rel.push_str(file);
        }
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            use rustix::fs::{AtFlags, FileType};
            let st = rustix::fs::statat(fd, self.rel.as_str(), AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))?;
            let kind = match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => Kind::File,
                FileType::Directory => Kind::Dir,
                FileType::Symlink => Kind::Link,
                FileType::Fifo => Kind::Fifo,
                FileType::Socket => Kind::Socket,
                FileType::CharacterDevice | FileType::BlockDevice => Kind::Device,
                _ => Kind::Other,
            };
            let ns = |secs: i64, nsec: i64| secs.saturating_mul(1_000_000_000).saturating_add(nsec);
            #[allow(
                clippy::unnecessary_cast,
                reason = "the field types differ between targets"
            )]
            let stat = Stat {
                size: st.st_size as i64,
                mtime_ns: ns(st.st_mtime as i64, st.st_mtime_nsec as i64),
                ctime_ns: ns(st.st_ctime as i64, st.st_ctime_nsec as i64),
                inode: st.st_ino as i64,
                device: st.st_dev as i64,
            };
            return Ok((kind, stat));
        }
        let meta = std::fs::symlink_metadata(self.path.join(&self.rel))?;
        Ok((Kind::of(meta.file_type()), Stat::of(&meta)))
    }
}

/// True when the folder's own observation vouches for its entries (the same stat, clean) and
/// every regular file the ledger holds still has the stat of a clean observation: no entry was
/// added, removed, renamed or replaced (each changes the folder's mtime and ctime), and no file
/// was written (each write changes its ctime). Stats the files without listing the folder.
fn unchanged_by_stat(
    dir: &mut StageDir,
    name: &str,
    folder: &Stat,
    current: &Current,
) -> std::io::Result<bool> {
    if current.folder != "dir"
        || !current
            .folder_observed
            .as_ref()
            .is_some_and(|(stat, clean)| *clean && stat == folder)
    {
        return Ok(false);
    }
    for (file, observed) in current.files.iter().zip(&current.files_observed) {
        if file.kind != Kind::File {
            continue;
        }
        let (kind, stat) = match dir.stat(name, Some(&file.name)) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let vouched = kind == Kind::File
            && observed
                .as_ref()
                .is_some_and(|(observed, clean)| *clean && *observed == stat);
        if !vouched {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Lists (and when needed reads) one generation folder.
fn examine(
    dir: &mut StageDir,
    stage: Stage,
    name: &str,
    current: Option<&Current>,
) -> std::io::Result<Found> {
    let (kind, folder) = dir.stat(name, None)?;
    if kind != Kind::Dir {
        return Ok(Found::NotFolder(if kind == Kind::Link {
            "link"
        } else {
            "other"
        }));
    }
    if let Some(c) = current
        && unchanged_by_stat(dir, name, &folder, c)?
    {
        return Ok(Found::Unchanged);
    }
    let path = dir.path.join(name);
    let (entries, odd) = generation::list(&path)?;
    let _ = odd;
    if current.is_some_and(|c| unchanged(&entries, c)) {
        return Ok(Found::Listed(folder));
    }
    generation::scan(&path, stage, &entries).map(|s| Found::Read(Box::new(s), folder))
}

fn run_job(job: Job) -> Done {
    let mut dir = StageDir::open(&job.dir);
    let found = job
        .names
        .iter()
        .map(|name| examine(&mut dir, job.stage, name, job.current.get(name)))
        .collect();
    Done {
        stage: job.stage,
        names: job.names,
        found,
        current: job.current,
    }
}

/// Imports the gens root into the ledger in one transaction (docs/cli.md `import gens`).
/// `tick` is called after each chunk of folders with the number seen so far; an error it
/// returns (a stop) abandons the import, nothing recorded.
pub fn import_gens(
    store: &mut Store,
    gens_root: &Path,
    tick: &dyn Fn(u64) -> Result<()>,
) -> Result<ImportGensReport> {
    let tx = store.write_transaction()?;
    let report = import_gens_into(&tx, gens_root, tick)?;
    if report.import_id.is_some() {
        tx.commit().db("commit")?;
    }
    Ok(report)
}

/// [`import_gens`] inside the caller's write transaction `tx` (a team store's mirror stages it
/// there and publishes what it added, docs/postgres.md): the rows of a new import are written
/// but not committed. `import_id` is `None` when there was nothing to record (then nothing was
/// written).
pub fn import_gens_into(
    tx: &Connection,
    gens_root: &Path,
    tick: &dyn Fn(u64) -> Result<()>,
) -> Result<ImportGensReport> {
    let started = std::time::SystemTime::now();
    let started_ns = started
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let root = resolve(gens_root);
    let (import_id, last_root, versions): (i64, Option<String>, i64) = tx
        .query_row(queries::RESULTS_IMPORT_NEXT, [], |r| {
            Ok((r.get("next_id")?, r.get("last_root")?, r.get("versions")?))
        })
        .db("results_import_next")?;
    let mut report = ImportGensReport {
        gens_root: root.display().to_string(),
        ..ImportGensReport::default()
    };
    match std::fs::metadata(&root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(ResultsError::GensRootNotFolder {
                root: gens_root.display().to_string(),
            }
            .into());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if versions > 0 {
                return Err(ResultsError::NoGensRoot {
                    root: gens_root.display().to_string(),
                    imported: last_root.unwrap_or_default(),
                    generations: versions as u64,
                }
                .into());
            }
            report.warn(format!(
                "{}: no such folder; recorded as an empty gens root",
                gens_root.display()
            ));
        }
        Err(e) => return Err(Error::io(gens_root, e)),
    }
    let mut writer = Writer {
        conn: tx,
        import_id,
        started_ns,
        observations: 0,
        report,
        tick,
    };
    let readers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    for stage in Stage::ALL {
        let names = stage_names(&root, stage, &mut writer.report)?;
        let dir = root.join(stage.as_str());
        // Chunks tile the whole key space, so gen_ids the ledger holds between or after the
        // folders on disk are found (and recorded as vanished).
        let mut chunks: Vec<Vec<String>> = Vec::with_capacity(names.len() / CHUNK + 1);
        let mut names = names.into_iter().peekable();
        while names.peek().is_some() {
            chunks.push(names.by_ref().take(CHUNK).collect());
        }
        if chunks.is_empty() {
            chunks.push(Vec::new());
        }
        process_stage(tx, stage, &dir, chunks, readers, &mut writer, &root)?;
    }
    let observations = writer.observations;
    let mut report = writer.report;
    let root_text = report.gens_root.clone();
    // An unchanged tree under the same root adds nothing; observations alone (a touched file
    // read again) or another root are recorded.
    if report.versions() == 0 && observations == 0 && last_root.as_deref() == Some(&root_text) {
        return Ok(report);
    }
    let imported_at = humantime::format_rfc3339_seconds(started).to_string();
    let seen: u64 = report.generations.values().sum();
    tx.execute(
        queries::RESULTS_IMPORT_INSERT,
        params![
            import_id,
            root_text,
            imported_at,
            seen as i64,
            report.files_read as i64,
            report.versions() as i64
        ],
    )
    .db("results_import_insert")?;
    report.import_id = Some(import_id);
    Ok(report)
}

/// Reads a stage's chunks on `readers` threads and records them in order on this one. Each
/// chunk's ledger state is loaded just before its reader starts, so this thread loads the next
/// chunk while the readers list and read the others; at most `readers` chunks are in memory.
fn process_stage(
    conn: &Connection,
    stage: Stage,
    dir: &Path,
    chunks: Vec<Vec<String>>,
    readers: usize,
    writer: &mut Writer<'_>,
    root: &Path,
) -> Result<()> {
    std::thread::scope(|scope| {
        let mut chunks = chunks.into_iter().peekable();
        let mut lower = String::new();
        let mut running = std::collections::VecDeque::new();
        let mut result = Ok(());
        loop {
            while result.is_ok() && running.len() < readers {
                let Some(chunk) = chunks.next() else {
                    break;
                };
                let upper = if chunks.peek().is_none() {
                    None
                } else {
                    chunk.last().cloned()
                };
                let current = match load_current(conn, stage, &lower, upper.as_deref()) {
                    Ok(current) => current,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                if let Some(u) = upper {
                    lower = u;
                }
                let job = Job {
                    stage,
                    dir: dir.to_path_buf(),
                    names: chunk,
                    current,
                };
                let (tx, rx) = mpsc::sync_channel(1);
                scope.spawn(move || {
                    let _ = tx.send(run_job(job));
                });
                running.push_back(rx);
            }
            let Some(rx) = running.pop_front() else {
                break;
            };
            if let Ok(done) = rx.recv()
                && result.is_ok()
            {
                result = writer
                    .chunk(done, root)
                    .and_then(|()| (writer.tick)(writer.report.generations.values().sum()));
            }
        }
        result
    })
}
