//! Reads and writes through crafted paths (issue 21, item 2): every command that reads or writes
//! files below a root — an export folder, a gens root, a `show --spec-out` folder, the data
//! root's cohort folders — goes through the one path policy (`src/layout/paths.rs`): a link
//! below the root is never followed, whether reading or writing, and a stored path that is not
//! plain and relative is never joined to a root (docs/reliability.md, "Export stays inside its
//! roots").

#![cfg(unix)]

mod support;

use std::os::unix::fs::symlink;
use std::path::Path;

use support::{Sandbox, copy_tree};

/// A store with cohort `alpha` built and exported to the default folders.
fn exported() -> Sandbox {
    let s = Sandbox::baseline();
    s.ok(&["export", "alpha"]);
    s
}

/// Runs SQL on the store file directly, as a raw `sqlite3` session would.
fn sql(s: &Sandbox, statements: &str) {
    rusqlite::Connection::open(s.db())
        .unwrap()
        .execute_batch(statements)
        .unwrap();
}

/// Exit status, stdout and stderr of a command (never a panic).
fn run(s: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let out = s.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

/// Every entry below `dir` (links not followed), relative, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(list) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in list {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        out.push(name.clone());
        if entry.file_type().unwrap().is_dir() {
            out.extend(
                entries(&entry.path())
                    .into_iter()
                    .map(|f| format!("{name}/{f}")),
            );
        }
    }
    out.sort();
    out
}

/// The first draft member's gen_id.
fn first_draft(s: &Sandbox) -> String {
    let rows = s.query(
        "select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' limit 1",
    );
    rows.lines().nth(1).unwrap().to_string()
}

/// Replaces `rel` (a file or folder of the sandbox) by a symlink to a copy of it outside the
/// data root: a reader that followed the link would find exactly what it expects there.
fn swap_for_link_to_a_copy(s: &Sandbox, rel: &str) {
    let path = s.path(rel);
    let copy = s.path("elsewhere").join(rel.replace('/', "_"));
    std::fs::create_dir_all(s.path("elsewhere")).unwrap();
    if path.is_dir() {
        copy_tree(&path, &copy);
        std::fs::remove_dir_all(&path).unwrap();
    } else {
        std::fs::copy(&path, &copy).unwrap();
        std::fs::remove_file(&path).unwrap();
    }
    symlink(&copy, &path).unwrap();
}

#[test]
fn show_spec_out_writes_only_plain_paths_inside_its_folder() {
    // A crafted store: spec paths that leave the folder, relative or absolute.
    for (case, path) in [
        ("dot-dot", "../escape.yaml".to_string()),
        ("deeper dot-dot", "items/../../escape.yaml".to_string()),
        ("absolute", String::new()),
    ] {
        let s = Sandbox::baseline();
        let path = if path.is_empty() {
            s.path("absolute-escape.yaml").display().to_string()
        } else {
            path
        };
        sql(
            &s,
            &format!(
                "drop trigger cohort_spec_files_no_update;
                 update cohort_spec_files set path = '{path}' where path = 'items/essays.csv'"
            ),
        );
        let (code, out, err) = run(&s, &["show", "alpha", "--spec-out", "out/spec"]);
        assert_eq!(code, 2, "{case}: {out}{err}");
        assert!(
            err.starts_with("error: ") && err.contains("not a plain relative path below out/spec"),
            "{case}: {err}"
        );
        assert!(out.is_empty(), "{case}: {out}");
        assert!(
            !s.path("out/escape.yaml").exists()
                && !s.path("escape.yaml").exists()
                && !s.path("absolute-escape.yaml").exists(),
            "{case}: written outside"
        );
        assert!(
            entries(&s.path("out")).is_empty(),
            "{case}: nothing written"
        );
    }

    // A symlinked subfolder planted in the folder: never written through.
    let s = Sandbox::baseline();
    std::fs::create_dir_all(s.path("out")).unwrap();
    std::fs::create_dir_all(s.path("outside")).unwrap();
    symlink(s.path("outside"), s.path("out/items")).unwrap();
    let err = s.fails(&["show", "alpha", "--spec-out", "out"]);
    assert!(
        err.contains("out/items is a symlink; cohortdb never writes through it")
            && err.contains("nothing was written"),
        "{err}"
    );
    assert!(entries(&s.path("outside")).is_empty(), "written outside");
    assert_eq!(entries(&s.path("out")), ["items"], "nothing written");
    // A symlinked file of the bundle's name: not replaced, not written through.
    std::fs::remove_file(s.path("out/items")).unwrap();
    std::fs::write(s.path("outside/target.yaml"), "mine").unwrap();
    symlink(s.path("outside/target.yaml"), s.path("out/config.yaml")).unwrap();
    let err = s.fails(&["show", "alpha", "--spec-out", "out"]);
    assert!(err.contains("out/config.yaml is a symlink"), "{err}");
    assert_eq!(s.read("outside/target.yaml"), "mine");

    // The folder itself may be a link (the user's choice), and a plain bundle is written.
    std::fs::remove_file(s.path("out/config.yaml")).unwrap();
    symlink(s.path("out"), s.path("out-link")).unwrap();
    let out = s.ok(&["show", "alpha", "--spec-out", "out-link"]);
    assert!(out.contains("out-link/items/essays.csv"), "{out}");
    assert_eq!(
        s.read("out/config.yaml"),
        s.read("data/cohorts/alpha/spec/config.yaml")
    );
}

#[test]
fn no_reader_follows_a_link_below_its_root() {
    // (what becomes a link to a faithful copy; the commands that read it)
    let cases = [
        (
            "data/gens/draft/GEN/metadata.json",
            &["verify", "export"][..],
        ),
        ("data/gens/draft/GEN", &["verify", "export"]),
        ("data/gens/draft", &["verify", "export"]),
        (
            "data/cohorts/alpha/membership.csv",
            &["verify", "export", "status"],
        ),
        (
            "data/cohorts/alpha/manifest.json",
            &["verify", "export", "status"],
        ),
        (
            "data/cohorts/alpha/cohort.lock.json",
            &["verify", "export", "status"],
        ),
        ("data/cohorts/alpha/spec", &["verify", "export", "status"]),
        (
            "data/cohorts/alpha/spec/items/essays.csv",
            &["verify", "export", "status"],
        ),
    ];
    for (case, commands) in cases {
        let s = exported();
        let rel = case.replace("GEN", &first_draft(&s));
        swap_for_link_to_a_copy(&s, &rel);
        for command in commands {
            let (code, out, err) = run(&s, &[command, "alpha"]);
            assert_eq!(code, 2, "{case}: {command}\n{out}{err}");
            assert!(
                err.starts_with(&format!(
                    "error: {} is a symlink; cohortdb never",
                    s.path(&rel).display()
                )),
                "{case}: {command}\n{err}"
            );
            assert!(!out.contains("result: ok"), "{case}: {command}\n{out}");
        }
    }
}

#[test]
fn export_repair_never_reads_or_shows_a_file_through_a_link() {
    let s = exported();
    let draft = first_draft(&s);
    let metadata = s.path(&format!("data/gens/draft/{draft}/metadata.json"));
    s.write("secret", "root:$6$not-for-your-eyes:19000:0:99999:7:::\n");
    std::fs::remove_file(&metadata).unwrap();
    symlink(s.path("secret"), &metadata).unwrap();
    let (code, out, err) = run(&s, &["export", "alpha", "--repair"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("{} is a symlink", metadata.display())),
        "{err}"
    );
    assert!(!out.contains("not-for-your-eyes") && !err.contains("not-for-your-eyes"));
    assert_eq!(
        s.read("secret"),
        "root:$6$not-for-your-eyes:19000:0:99999:7:::\n"
    );
    assert!(std::fs::symlink_metadata(&metadata).unwrap().is_symlink());
    // The same file in place of the link: not JSON, so --repair rewrites it (showing it).
    std::fs::remove_file(&metadata).unwrap();
    std::fs::copy(s.path("secret"), &metadata).unwrap();
    let out = s.ok(&["export", "alpha", "--repair"]);
    assert!(out.contains("repaired"), "{out}");
}

#[test]
fn migration_reads_no_generation_through_a_link() {
    let s = exported();
    let draft = first_draft(&s);
    swap_for_link_to_a_copy(&s, &format!("data/gens/draft/{draft}/metadata.json"));
    let err = s.fails(&["migrate", "membership", "alpha", "--out", "migrated"]);
    assert!(
        err.contains(&format!(
            "{draft}/metadata.json is a symlink; cohortdb never reads"
        )),
        "{err}"
    );
    assert!(!s.path("migrated").exists());
}
