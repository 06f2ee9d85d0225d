//! The store opens safely wherever it lives (issue 12), through the real binary: damaged and
//! foreign stores are errors, `--db` is a path, readers create and migrate nothing, `import`
//! without catalogs creates no store, backups hold every commit, `query` is bounded, plans of
//! too many axes are refused before output, invisible id characters are refused (D20), and
//! error messages are bounded with each cause once. Each threat is listed with its test in
//! `docs/reliability.md`.

mod support;

use std::path::{Path, PathBuf};

use support::Sandbox;

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Every command, as a reader or a writer would run it.
const COMMANDS: &[&[&str]] = &[
    &["init"],
    &["import"],
    &["build", "alpha"],
    &["export", "alpha"],
    &["verify", "alpha"],
    &["verify", "alpha", "--store-only"],
    &["cohorts"],
    &["query", "select 1"],
    &["backup", "copy.db"],
];

/// Replaces the store with `damage(store bytes)` and checks every command refuses it with exit
/// 2, a message containing `needle`, nothing on stdout, and the file unchanged.
fn every_command_refuses(damage: impl Fn(Vec<u8>) -> Vec<u8>, needle: &str) {
    let sandbox = Sandbox::baseline();
    let db = sandbox.db();
    std::fs::write(&db, damage(bytes(&db))).unwrap();
    let before = bytes(&db);
    for args in COMMANDS {
        let out = sandbox.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}\n{stderr}");
        assert!(stderr.contains(needle), "{args:?}: {needle}\n{stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}\n{stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed before refusing");
        assert_eq!(bytes(&db), before, "{args:?} changed the store");
        assert!(!sandbox.path("copy.db").exists(), "{args:?}");
    }
}

#[test]
fn a_zero_byte_store_is_refused_by_every_command() {
    every_command_refuses(|_| Vec::new(), "empty (0 bytes)");
}

#[test]
fn a_text_file_is_refused_by_every_command() {
    every_command_refuses(|_| b"id,name\n1,a\n".repeat(100), "not an SQLite database");
}

#[test]
fn a_truncated_store_is_refused_by_every_command() {
    every_command_refuses(|b| b[..b.len() / 2].to_vec(), "restore it from a backup");
}

#[test]
fn a_store_with_flipped_bytes_is_refused_by_every_command() {
    // The b-tree page headers of pages 2 to 4 (page size from the header).
    every_command_refuses(
        |mut b| {
            let page = usize::from(u16::from_be_bytes([b[16], b[17]]));
            for p in 1..4 {
                for byte in &mut b[p * page..p * page + 12] {
                    *byte ^= 0x5a;
                }
            }
            b
        },
        "restore it from a backup",
    );
}

#[test]
fn another_applications_sqlite_file_is_refused_by_every_command() {
    every_command_refuses(
        |_| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.db");
            rusqlite::Connection::open(&path)
                .unwrap()
                .execute_batch("create table notes(id integer primary key, text); insert into notes(text) values ('mine');")
                .unwrap();
            bytes(&path)
        },
        "not a cohortdb store",
    );
}

#[test]
fn a_store_from_a_newer_cohortdb_is_refused_by_every_command() {
    every_command_refuses(
        |b| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.db");
            std::fs::write(&path, b).unwrap();
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute(
                "insert into refinery_schema_history values (?1, 'future', '2030-01-01T00:00:00Z', '1')",
                [cohortdb::store::latest_version() + 1],
            )
            .unwrap();
            conn.pragma_update(None, "journal_mode", "delete").unwrap();
            drop(conn);
            bytes(&path)
        },
        "newer than this cohortdb knows",
    );
}

#[test]
fn a_store_of_the_previous_schema_is_migrated_only_by_writers() {
    let sandbox = Sandbox::new();
    let latest = cohortdb::store::latest_version();
    cohortdb::store::create_at_version(&sandbox.db(), latest - 1).unwrap();
    let before = bytes(&sandbox.db());
    for args in [
        &["cohorts"][..],
        &["query", "select 1"],
        &["verify", "alpha"],
    ] {
        let err = sandbox.fails(args);
        assert!(err.contains("run `cohortdb init`"), "{args:?}\n{err}");
        assert_eq!(bytes(&sandbox.db()), before, "{args:?} changed the store");
    }
    assert!(
        sandbox
            .ok(&["init"])
            .contains(&format!("schema version: {latest}"))
    );
    sandbox.ok(&["cohorts"]);
}

#[test]
fn db_is_a_path_not_a_uri() {
    for name in [
        "file:s.db",
        "file:x?mode=memory",
        ":memory:",
        "file:x?immutable=1#a%20b",
    ] {
        let sandbox = Sandbox::new();
        let out = sandbox
            .cmd()
            .args(["--db", name, "import"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(
            sandbox.path(name).is_file(),
            "{name} was not created literally"
        );
        assert!(
            !sandbox.path("s.db").exists() && !sandbox.path("x").exists(),
            "{name}"
        );
        let out = sandbox
            .cmd()
            .args(["--db", name, "query", "select count(*) from import_batches"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {out:?}");
        assert_ne!(
            String::from_utf8_lossy(&out.stdout),
            "count(*)\n0\n",
            "{name}"
        );
    }
}

#[test]
fn readers_change_nothing_and_keep_the_wal_files_for_other_users() {
    let sandbox = Sandbox::baseline();
    let db = sandbox.db();
    let before = bytes(&db);
    for args in [
        &["query", "select count(*) from cohorts"][..],
        &["cohorts"],
        &["verify", "alpha", "--store-only"],
    ] {
        sandbox.ok(args);
        // Kept (empty) for readers that may not create them (docs/storage.md).
        let wal = std::fs::metadata(with_suffix(&db, "-wal")).unwrap();
        assert_eq!(wal.len(), 0, "{args:?} left commits in -wal");
        assert!(with_suffix(&db, "-shm").is_file(), "{args:?} removed -shm");
        assert_eq!(bytes(&db), before, "{args:?}");
    }
}

#[test]
fn a_query_that_fails_prints_nothing_on_stdout() {
    let sandbox = Sandbox::baseline();
    for format in ["csv", "json", "jsonl", "table"] {
        let out = sandbox
            .cmd()
            .args([
                "query",
                "select abs(-9223372036854775807 - 1) as x",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(
            out.stdout.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.matches("integer overflow").count(), 1, "{stderr}");
        assert!(!stderr.contains("Error code"), "{stderr}");
    }
}

#[test]
fn query_timeout_stops_an_endless_statement() {
    let sandbox = Sandbox::baseline();
    let err = sandbox.fails(&[
        "query",
        "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n",
        "--timeout",
        "300ms",
    ]);
    assert!(err.contains("query stopped after --timeout 300ms"), "{err}");
    let err = sandbox.fails(&["query", "select 1", "--timeout", "soon"]);
    assert!(err.contains("soon"), "{err}");
}

/// Runs the binary and returns its peak resident memory in KiB (wait4's ru_maxrss).
#[cfg(unix)]
#[test]
fn a_table_of_a_million_rows_is_streamed_in_bounded_memory() {
    let sandbox = Sandbox::baseline();
    let peak = support::peak_kib(
        &sandbox,
        &[
            "query",
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000000) \
             select i, 'row number ' || i as label from n",
            "--format",
            "table",
        ],
    );
    assert!(peak < 50 * 1024, "peak {peak} KiB");
}

#[test]
fn import_without_any_catalog_is_an_error_and_creates_no_store() {
    let sandbox = Sandbox::empty();
    std::fs::create_dir(sandbox.path("empty")).unwrap();
    for root in ["missing", "empty"] {
        let err = sandbox.fails(&["import", "--data-root", root]);
        assert!(err.contains("nothing to import"), "{err}");
        assert!(err.contains(root), "{err}");
        assert!(!sandbox.db().exists(), "{root}: a store was created");
    }
    let err = sandbox.fails(&["import", "concepts", "nope.csv"]);
    assert!(err.contains("no such catalog file"), "{err}");
    assert!(!sandbox.db().exists());
}

#[test]
fn writers_fold_their_commits_into_the_store_file_even_while_a_reader_holds_it() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init"]);
    // Another process keeps the store open, so closing the writer is not the last close.
    let reader = rusqlite::Connection::open(sandbox.db()).unwrap();
    reader
        .query_row("select count(*) from cohort_records", [], |_| Ok(()))
        .unwrap();
    sandbox.ok(&["import"]);
    sandbox.ok(&["build", "alpha"]);
    // The file alone, as `cp cohorts.db` would copy it.
    let copy = sandbox.path("copied.db");
    std::fs::copy(sandbox.db(), &copy).unwrap();
    let out = sandbox
        .cmd()
        .args(["--db", copy.to_str().unwrap(), "cohorts"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("alpha"),
        "{out:?}"
    );
    drop(reader);
}

#[test]
fn backup_copies_a_live_store_into_one_file_and_never_overwrites() {
    let sandbox = Sandbox::baseline();
    let reader = rusqlite::Connection::open(sandbox.db()).unwrap();
    reader
        .query_row("select count(*) from cohort_records", [], |_| Ok(()))
        .unwrap();
    let out = sandbox.ok(&["backup", "b.db"]);
    assert!(out.contains("backup: b.db"), "{out}");
    assert!(out.contains("1 cohort"), "{out}");
    assert!(!sandbox.path("b.db-wal").exists());
    let copy = sandbox.path("b.db");
    let out = sandbox
        .cmd()
        .args([
            "--db",
            copy.to_str().unwrap(),
            "verify",
            "alpha",
            "--store-only",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let before = bytes(&copy);
    let err = sandbox.fails(&["backup", "b.db"]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(bytes(&copy), before);
    let err = Sandbox::empty().fails(&["backup", "b.db"]);
    assert!(err.contains("no store"), "{err}");
    drop(reader);
}

#[test]
fn backup_refuses_names_sqlite_takes_for_companion_files() {
    let sandbox = Sandbox::baseline();
    let before = sandbox.store_digest();
    // Names SQLite gives the companions of a database: of the store itself, of another
    // database (whoever opens `other.db` next replays or deletes the copy), in any case, and a
    // super-journal's.
    for (dest, role) in [
        ("store.db-journal", "rollback journal of a database"),
        ("store.db-wal", "write-ahead log of a database"),
        ("store.db-shm", "shared-memory index of a database"),
        ("other.db-wal", "write-ahead log of a database"),
        ("STORE.DB-WAL", "write-ahead log of a database"),
        ("store.db-mj3F2A1C9D0", "super-journal of a database"),
    ] {
        // The store's own -wal and -shm exist (its readers keep them); nothing else may appear.
        let existed = sandbox.path(dest).exists();
        let err = sandbox.fails(&["backup", dest]);
        assert!(
            err.starts_with(&format!("error: backup: {dest} is named like the {role}")),
            "{dest}: {err}"
        );
        assert!(
            err.contains("hint: name the backup so it does not end in"),
            "{err}"
        );
        assert_eq!(sandbox.path(dest).exists(), existed, "{dest}");
    }
    // A companion of DEST itself already there (a leftover, or planted): SQLite would apply it
    // to the copy, or delete it, when the copy is opened.
    for suffix in ["-wal", "-journal", "-shm"] {
        let companion = format!("b.db{suffix}");
        sandbox.write(&companion, "left over");
        let err = sandbox.fails(&["backup", "b.db"]);
        assert!(
            err.starts_with(&format!("error: backup: {companion} exists beside b.db")),
            "{err}"
        );
        assert!(!sandbox.path("b.db").exists());
        assert_eq!(sandbox.read(&companion), "left over");
        std::fs::remove_file(sandbox.path(&companion)).unwrap();
    }
    assert_eq!(sandbox.store_digest(), before);
    // A plain name works, and the store and the copy both open afterwards.
    sandbox.ok(&["backup", "b.db"]);
    assert!(sandbox.ok(&["cohorts"]).contains("alpha"));
    let copy = sandbox.path("b.db");
    let out = sandbox
        .cmd()
        .args(["--db", copy.to_str().unwrap(), "cohorts"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("alpha"));
}

/// A spec of `n` axes `a0…`, one level each but the first (2 levels) and the last (3), after
/// `head` (more axes, e.g. a cohort's); written to `wide/config.yaml`.
fn wide_spec(sandbox: &Sandbox, head: &str, n: usize) -> String {
    let mut text = format!("output:\n  field_order: []\naxes:\n{head}");
    for i in 0..n {
        let levels = match i {
            0 => "[x, y]".to_string(),
            _ if i == n - 1 => "[p, q, r]".to_string(),
            _ => format!("[v{i}]"),
        };
        text.push_str(&format!("  a{i}: {levels}\n"));
    }
    sandbox.write("wide/config.yaml", &text);
    sandbox.path("wide").to_str().unwrap().to_string()
}

#[test]
fn a_product_of_any_number_of_axes_compiles_builds_and_verifies() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import"]);
    for n in [64, 65, 100, 200] {
        let spec = wide_spec(&sandbox, "", n);
        let csv = sandbox.ok(&["compile", &spec]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 7, "{n} axes: {csv}");
        let header: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
        assert_eq!(lines[0], header.join(","));
        // Odometer order: the last axis fastest.
        let row = |first: &str, last: &str| {
            let mut cells = vec![first.to_string()];
            cells.extend((1..n - 1).map(|i| format!("v{i}")));
            cells.push(last.to_string());
            cells.join(",")
        };
        assert_eq!(lines[1], row("x", "p"), "{n}");
        assert_eq!(lines[3], row("x", "r"), "{n}");
        assert_eq!(lines[6], row("y", "r"), "{n}");
        // Seeded: the same rows in the seed's order, the same as with the axes SQLite joins
        // directly (the CLI's shuffle of 6 rows with seed 7 does not depend on the axes).
        let seeded = sandbox.ok(&["compile", &spec, "--seed", "7"]);
        let mut sorted: Vec<&str> = seeded.lines().skip(1).collect();
        assert_ne!(sorted, lines[1..], "seed 7 kept the order");
        sorted.sort();
        assert_eq!(sorted, lines[1..], "{n}");
        let firsts = |text: &str| -> Vec<String> {
            text.lines()
                .skip(1)
                .map(|l| {
                    let cells: Vec<&str> = l.split(',').collect();
                    format!("{}{}", cells[0], cells[cells.len() - 1])
                })
                .collect()
        };
        let narrow = wide_spec(&sandbox, "", 2);
        let expected = firsts(&sandbox.ok(&["compile", &narrow, "--seed", "7"]));
        let spec = wide_spec(&sandbox, "", n);
        assert_eq!(firsts(&seeded), expected, "{n}");
        // `sql` shows the group tables; `explain` plans it.
        let sql = sandbox.ok(&["sql", &spec, "--seed", "7"]);
        assert!(sql.contains("create temp table p0"), "{sql}");
        assert!(sql.contains("-- product: 6 rows"), "{sql}");
        assert!(sandbox.ok(&["explain", &spec]).contains('6'));
    }
    // A cohort of 200 axes besides its own builds and verifies.
    let cohort = "  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  \
                  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: \
                  [eval-1]\n  evaluation_llm: [judge]\n";
    let spec = wide_spec(&sandbox, cohort, 200);
    let out = sandbox.ok(&["build", "wide", "--spec", &spec]);
    assert!(out.contains("evaluations   1"), "{out}");
    sandbox.ok(&["verify", "wide", "--store-only"]);
}

#[test]
fn a_product_of_more_columns_than_sqlite_holds_is_refused_before_any_output() {
    let sandbox = Sandbox::new();
    let spec = wide_spec(&sandbox, "", 2000);
    for args in [
        vec!["compile", spec.as_str()],
        vec!["compile", spec.as_str(), "--seed", "7"],
        vec!["sql", spec.as_str()],
    ] {
        let out = sandbox.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed before refusing");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: the spec's product has 2000 output columns"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 2, "{stderr}");
        assert!(!sandbox.db().exists(), "{args:?} created a store");
    }
    let spec = wide_spec(&sandbox, "", 1999);
    assert_eq!(sandbox.ok(&["compile", &spec]).lines().count(), 7);
}

#[test]
fn explain_of_thousands_of_subset_rules_is_linear() {
    let sandbox = Sandbox::new();
    let mut text = String::from("output:\n  field_order: []\naxes:\n");
    for i in 0..60 {
        text.push_str(&format!("  a{i}: [x, y]\n"));
    }
    text.push_str("rules:\n  subsets:\n");
    for i in 0..60 {
        text.push_str(&format!("    a{i}: [y]\n"));
    }
    sandbox.write("many/config.yaml", &text);
    let out = sandbox.ok(&["explain", sandbox.path("many").to_str().unwrap()]);
    assert!(out.contains("60. subset of a59"), "{out}");
    // Each step names the axis it changed, not every axis: output is linear in the rules.
    assert!(out.contains("changes: a59(1)"), "{out}");
    assert!(out.lines().count() < 400, "{}", out.lines().count());
}

#[test]
fn invisible_characters_in_ids_are_refused_with_their_code_point() {
    for (id, code) in [
        ("gen\u{200b}a", "U+200B"),
        ("\u{feff}gen-z", "U+FEFF"),
        ("ge\u{202e}n", "U+202E"),
        ("g\u{2060}", "U+2060"),
    ] {
        let sandbox = Sandbox::new();
        let path = sandbox.path("data/1_raw/llm_models.csv");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("{id},vendor/x,vendor,X,general\n"));
        std::fs::write(&path, text).unwrap();
        let err = sandbox.fails(&["import"]);
        assert!(err.contains(code), "{id:?}: {err}");
        assert!(err.contains("llm_models.csv"), "{err}");
        assert!(!sandbox.db().exists());
    }
    let sandbox = Sandbox::new();
    sandbox.write(
        "s/config.yaml",
        "output:\n  field_order: []\naxes:\n  draft_llm: [gen-a, \"gen\\u200Ba\"]\n",
    );
    let err = sandbox.fails(&["compile", sandbox.path("s").to_str().unwrap()]);
    assert!(err.contains("U+200B at character 4"), "{err}");
    let err = sandbox.fails(&["export", "al\u{202e}pha"]);
    assert!(err.contains("U+202E at character 3"), "{err}");
}

#[test]
fn error_messages_are_bounded_and_say_each_cause_once() {
    let sandbox = Sandbox::new();
    let path = sandbox.path("data/1_raw/llm_models.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "{} ,vendor/x,vendor,X,general\n",
        "g".repeat(1 << 20)
    ));
    std::fs::write(&path, text).unwrap();
    let err = sandbox.fails(&["import"]);
    assert!(err.len() < 4096, "{} bytes on stderr", err.len());
    assert!(err.contains("bytes)"), "{err}");
    let sandbox = Sandbox::baseline();
    let err = sandbox.fails(&["query", "selec 1"]);
    assert_eq!(err.matches("syntax error").count(), 1, "{err}");
    assert!(!err.contains("Error code"), "{err}");
    std::fs::create_dir(sandbox.path("dir.db")).unwrap();
    let err = sandbox.fails(&["--db", "dir.db", "cohorts"]);
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Runs the binary at `bin` as an unprivileged user: directly when not root, through
/// `setpriv` as `nobody` when root (root may write any folder). `None` when that is impossible.
#[cfg(unix)]
fn run_unprivileged(bin: &Path, cwd: &Path, args: &[&str]) -> Option<std::process::Output> {
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(bin);
        cmd
    } else {
        std::process::Command::new(bin)
    };
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .env_remove("COHORTDB_DB")
        .env_remove("COHORTDB_DATA_ROOT")
        .output()
        .ok()?;
    Some(out)
}

#[cfg(unix)]
#[test]
fn a_store_in_a_read_only_folder_serves_every_reader() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::baseline();
    let base = sandbox.path("");
    let ro = sandbox.path("ro");
    let out = sandbox.path("out");
    std::fs::create_dir(&ro).unwrap();
    std::fs::create_dir(&out).unwrap();
    std::fs::rename(sandbox.db(), ro.join("s.db")).unwrap();
    let bin = sandbox.path("cohortdb");
    std::fs::copy(assert_cmd::cargo::cargo_bin("cohortdb"), &bin).unwrap();
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(&base, 0o755);
    mode(&out, 0o777);
    mode(&ro.join("s.db"), 0o444);
    mode(&ro, 0o555);
    let before = bytes(&ro.join("s.db"));
    let data = sandbox.path("data");
    let data = data.to_str().unwrap();
    let runs: &[&[&str]] = &[
        &["--db", "ro/s.db", "cohorts"],
        &[
            "--db",
            "ro/s.db",
            "query",
            "select count(*) as n from cohorts",
        ],
        &["--db", "ro/s.db", "verify", "alpha", "--store-only"],
        &["--db", "ro/s.db", "backup", "out/b.db"],
        &[
            "--db",
            "ro/s.db",
            "--data-root",
            data,
            "export",
            "alpha",
            "--out",
            "out/alpha",
            "--gens-root",
            "out/gens",
        ],
    ];
    for args in runs {
        let Some(result) = run_unprivileged(&bin, &base, args) else {
            eprintln!("skipped: cannot run without privileges here (no setpriv)");
            return;
        };
        assert!(
            result.status.success(),
            "{args:?}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
    let writer = run_unprivileged(
        &bin,
        &base,
        &["--db", "ro/s.db", "--data-root", data, "import"],
    )
    .unwrap();
    assert_eq!(writer.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&writer.stderr).contains("read-only"),
        "{writer:?}"
    );
    assert_eq!(bytes(&ro.join("s.db")), before);
    assert!(!ro.join("s.db-wal").exists() && !ro.join("s.db-shm").exists());
    mode(&ro, 0o755);
}

#[cfg(unix)]
#[test]
fn a_frozen_store_is_read_without_its_wal_files_and_never_written() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::baseline();
    let db = sandbox.db();
    for suffix in ["-wal", "-shm"] {
        std::fs::remove_file(with_suffix(&db, suffix)).unwrap();
    }
    // No write permission for anyone: nobody is meant to write it, root included.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = bytes(&db);
    assert_eq!(sandbox.query("select count(*) as n from cohorts"), "n\n1\n");
    let err = sandbox.fails(&["import"]);
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(bytes(&db), before);
    assert!(!with_suffix(&db, "-wal").exists());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    sandbox.ok(&["import"]);
}

/// A small tmpfs mounted on a folder for one test, unmounted when dropped (even on a failed
/// assertion). `None`, with one printed line, where this process may not mount one (tests run as
/// root in CI; elsewhere the test is skipped).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs(dir.to_path_buf())),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs here (root needed): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    /// Fills the file system with one file until a write fails for lack of space.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        let _ = file.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_said_as_such_and_the_store_still_opens_afterwards() {
    let sandbox = Sandbox::baseline();
    let Some(fs) = Tmpfs::mount(&sandbox.path("small"), "2m") else {
        return;
    };
    let db = sandbox.path("small/store.db");
    std::fs::copy(sandbox.db(), &db).unwrap();
    let filler = fs.fill();
    let before = bytes(&db);
    let db_arg = db.to_str().unwrap();
    for args in COMMANDS
        .iter()
        .chain([&["show", "alpha"][..], &["status"]].iter())
    {
        let out = sandbox
            .cmd()
            .args(["--db", db_arg])
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: store {db_arg}: no space left on the device holding the store"
            )),
            "{args:?}\n{stderr}"
        );
        assert!(
            !stderr.contains("damaged") && !stderr.contains("restore"),
            "{args:?}\n{stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(bytes(&db), before, "{args:?} changed the store");
    }
    // With space again, the same store opens and verifies: it was never damaged.
    std::fs::remove_file(filler).unwrap();
    let out = sandbox
        .cmd()
        .args(["--db", db_arg, "verify", "alpha", "--store-only"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = sandbox
        .cmd()
        .args(["--db", db_arg, "cohorts"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("alpha"));
    drop(fs);
}
