//! Helpers for the CLI integration tests: a sandbox folder holding a copy of the fixture data
//! root, a store inside it, and the real `cohortdb` binary run with that folder as cwd
//! (like xsv's `Workdir` and ripgrep's `Dir`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

#[cfg(feature = "postgres")]
pub mod pg;
pub mod schema;

/// Every file below `dir` (links are not followed), as sorted paths relative to `dir`.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Every file below `dir` with its bytes, by relative path.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// A sandbox: `<tmp>/data` (a copy of tests/fixtures/data unless empty) and `<tmp>/store.db`.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

/// Copies a folder recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The fixture folder of the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Sandbox {
    /// A sandbox with the fixture data root.
    pub fn new() -> Sandbox {
        let sandbox = Sandbox::empty();
        copy_tree(&fixtures().join("data"), &sandbox.path("data"));
        sandbox
    }

    /// A sandbox with the fixture data root already imported and cohort `alpha` built — a
    /// populated store to prove failed commands leave untouched. Prepared once per test binary
    /// and copied.
    pub fn baseline() -> Sandbox {
        static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let sandbox = Sandbox::new();
            sandbox.ok(&["import"]);
            sandbox.ok(&["build", "alpha"]);
            sandbox.dir
        });
        let sandbox = Sandbox::empty();
        copy_tree(template.path(), sandbox.dir.path());
        sandbox
    }

    /// A sandbox without data.
    pub fn empty() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A path inside the sandbox.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The store file.
    pub fn db(&self) -> PathBuf {
        self.path("store.db")
    }

    /// `cohortdb` with the sandbox as cwd and its store and data root.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// [`Sandbox::cmd`] as a plain `std::process::Command` (to spawn, kill or wait on it).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cohortdb"));
        cmd.current_dir(self.dir.path())
            .env("COHORTDB_DB", self.db())
            .env("COHORTDB_DATA_ROOT", self.path("data"))
            .env_remove("RUST_BACKTRACE")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `cohortdb args…`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs and asserts exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "cohortdb {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a report command that exits 0 or 1 by its verdict and prints nothing on stderr;
    /// returns the exit code and stdout.
    pub fn verdict(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
        )
    }

    /// Runs and asserts exit 2 with an `error:` first line and no panic; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(2),
            "cohortdb {args:?}: expected exit 2\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr.starts_with("error: "),
            "first line must be `error: …`:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
        stderr
    }

    /// Writes a file (creating folders).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Reads a file as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// A digest of every table's content in the store (to prove a failed command changed
    /// nothing). Missing store → "no store".
    pub fn store_digest(&self) -> String {
        if !self.db().exists() {
            return "no store".into();
        }
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let mut tables: Vec<String> = conn
            .prepare("select name from sqlite_master where type = 'table' order by name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        tables.sort();
        let mut hasher = blake3::Hasher::new();
        for table in tables {
            hasher.update(table.as_bytes());
            let mut stmt = conn
                .prepare(&format!("select * from \"{table}\" order by 1, 2"))
                .unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..n {
                    hasher.update(format!("{:?}|", row.get_ref(i).unwrap()).as_bytes());
                }
                hasher.update(b"\n");
            }
        }
        hasher.finalize().to_hex().to_string()
    }

    /// `cohortdb query SQL --format csv`, as text.
    pub fn query(&self, sql: &str) -> String {
        self.ok(&["query", sql, "--format", "csv"])
    }
}

#[cfg(unix)]
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, not Child::wait"
)]
/// Runs cohortdb with `args` in `sandbox` and returns the child's peak resident memory in
/// KiB (`ru_maxrss` from `wait4`); the command must succeed.
pub fn peak_kib(sandbox: &Sandbox, args: &[&str]) -> u64 {
    let child = sandbox
        .std_cmd()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data; `pid` is our unwaited child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert_eq!(status, 0, "{args:?} failed");
    u64::try_from(usage.ru_maxrss).unwrap()
}
