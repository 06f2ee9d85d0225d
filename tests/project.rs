//! The project file (`cohortdb.yaml`): `init` writes it, commands find the store and data root
//! from any subfolder, flags win; `new` scaffolds a cohort's spec folder.

mod support;

use std::path::Path;
use std::process::Output;

use support::schema::validate;
use support::{Sandbox, copy_tree, fixtures};

/// Runs cohortdb in `dir` without the sandbox's `COHORTDB_*` variables (so the project file
/// decides), with `env` added.
fn run_in(s: &Sandbox, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = s.std_cmd();
    cmd.current_dir(dir)
        .env_remove("COHORTDB_DB")
        .env_remove("COHORTDB_DATA_ROOT")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok_in(s: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let out = run_in(s, dir, args, &[]);
    assert!(
        out.status.success(),
        "{args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails_in(s: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let out = run_in(s, dir, args, &[]);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

/// A fresh folder made a project by `init`, with the fixture catalogs copied in and imported.
fn project() -> Sandbox {
    let s = Sandbox::empty();
    let top = s.path("");
    let out = ok_in(&s, &top, &["init", "--bare"]);
    assert!(out.contains("created cohortdb.yaml"), "{out}");
    copy_tree(&fixtures().join("data"), &s.path("data"));
    ok_in(&s, &top, &["import", "-q"]);
    s
}

#[test]
fn init_writes_the_project_file_and_the_data_layout_once() {
    let s = Sandbox::empty();
    let top = s.path("");
    let first = ok_in(&s, &top, &["init"]);
    for line in [
        "created data\n",
        "created data/1_raw\n",
        "created data/cohorts\n",
        "created data/gens\n",
        "created cohortdb.yaml\n",
        "store: cohorts.db\n",
        "project: cohortdb.yaml\n",
    ] {
        assert!(first.contains(line), "{line:?} in {first}");
    }
    let text = std::fs::read_to_string(s.path("cohortdb.yaml")).unwrap();
    assert!(
        text.contains("db: \"cohorts.db\"\ndata_root: \"data\"\n"),
        "{text}"
    );
    // Again: nothing is created, the project file is found and kept.
    let again = ok_in(&s, &top, &["init", "--format", "json"]);
    let json = validate("init.schema.json", &again);
    assert_eq!(json["created"], serde_json::json!([]));
    assert_eq!(
        json["project"],
        s.path("cohortdb.yaml").display().to_string()
    );
    assert_eq!(
        std::fs::read_to_string(s.path("cohortdb.yaml")).unwrap(),
        text
    );
}

#[test]
fn every_command_finds_the_project_from_a_subfolder() {
    let s = project();
    let sub = s.path("data/cohorts");
    let out = ok_in(&s, &sub, &["build", "alpha", "-q"]);
    assert!(out.contains("cohort alpha: built"), "{out}");
    ok_in(&s, &sub, &["export", "alpha", "-q"]);
    assert!(s.path("data/cohorts/alpha/membership.csv").is_file());
    assert!(ok_in(&s, &sub, &["verify", "alpha"]).contains("alpha"));
    assert!(ok_in(&s, &sub, &["cohorts"]).contains("alpha"));
    let deep = s.path("data/cohorts/alpha/spec");
    let n = ok_in(
        &s,
        &deep,
        &["query", "select count(*) from cohorts", "--format", "csv"],
    );
    assert!(n.ends_with("1\n"), "{n}");
    let status = run_in(&s, &deep, &["status"], &[]);
    assert_eq!(status.status.code(), Some(0), "{status:?}");
    // No store was created below the project.
    assert!(!sub.join("cohorts.db").exists() && !deep.join("cohorts.db").exists());
}

#[test]
fn flags_and_variables_win_over_the_project_file_setting_by_setting() {
    let s = project();
    let sub = s.path("data");
    let other = s.path("other.db");
    let out = ok_in(&s, &sub, &["--db", other.to_str().unwrap(), "init"]);
    assert!(
        out.contains(&format!("store: {}", other.display())),
        "{out}"
    );
    // The data root still comes from the project file: the other store has no catalogs.
    let out = run_in(
        &s,
        &sub,
        &["build", "alpha"],
        &[("COHORTDB_DB", other.to_str().unwrap())],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not in the imported catalogs"), "{err}");
    assert!(!s.path("data/cohorts.db").exists());
}

#[test]
fn a_broken_project_file_is_refused_by_name() {
    let s = Sandbox::empty();
    let top = s.path("");
    std::fs::create_dir_all(s.path("a/b")).unwrap();
    for (text, expected) in [
        ("db: x.db\nstore: y\n", "unknown field `store`"),
        ("db: ''\n", "db is empty"),
        ("db: \"\x1b[31mred\"\nbad: [\n", "cohortdb.yaml"),
    ] {
        std::fs::write(s.path("cohortdb.yaml"), text).unwrap();
        let err = fails_in(&s, &s.path("a/b"), &["cohorts"]);
        assert!(
            err.contains("cohortdb.yaml") && err.contains(expected),
            "{err}"
        );
        assert!(!err.contains('\x1b'), "escaped: {err:?}");
        assert!(err.contains("hint: a project file holds"), "{err}");
    }
    // A folder named cohortdb.yaml is not a project file either.
    std::fs::remove_file(s.path("cohortdb.yaml")).unwrap();
    std::fs::create_dir(s.path("cohortdb.yaml")).unwrap();
    let err = fails_in(&s, &top, &["cohorts"]);
    assert!(err.contains("cohortdb.yaml"), "{err}");
    // `completions` and `man` need no project.
    ok_in(&s, &top, &["completions", "bash"]);
}

#[test]
fn new_writes_a_starter_spec_that_builds() {
    let s = project();
    let sub = s.path("data/cohorts");
    let out = ok_in(&s, &sub, &["new", "fresh"]);
    assert!(
        out.contains("wrote ../../data/cohorts/fresh/spec/config.yaml"),
        "{out}"
    );
    let built = ok_in(&s, &sub, &["build", "fresh"]);
    assert!(built.contains("drafts        1"), "{built}");
    let spec = std::fs::read_to_string(s.path("data/cohorts/fresh/spec/config.yaml")).unwrap();
    assert!(spec.contains("axes:\n  combo_id: [\""), "{spec}");
    // A second `new` of the same id, or of a stored id, writes nothing.
    let err = fails_in(&s, &sub, &["new", "fresh"]);
    assert!(err.contains("exists already"), "{err}");
    std::fs::remove_dir_all(s.path("data/cohorts/fresh")).unwrap();
    let err = fails_in(&s, &sub, &["new", "fresh"]);
    assert!(err.contains("is stored already"), "{err}");
    assert!(!s.path("data/cohorts/fresh").exists());
    let err = fails_in(&s, &sub, &["new", "../x"]);
    assert!(err.contains("../x"), "{err}");
}

#[test]
fn new_from_a_stored_cohort_copies_its_spec_files() {
    let s = project();
    let top = s.path("");
    ok_in(&s, &top, &["build", "alpha", "-q"]);
    let json = validate(
        "new.schema.json",
        &ok_in(
            &s,
            &top,
            &["new", "alpha2", "--from", "alpha", "--format", "json"],
        ),
    );
    assert_eq!(json["from"], "alpha");
    let a = std::fs::read(s.path("data/cohorts/alpha/spec/config.yaml")).unwrap();
    let b = std::fs::read(s.path("data/cohorts/alpha2/spec/config.yaml")).unwrap();
    assert_eq!(a, b);
    let built = ok_in(&s, &top, &["build", "alpha2"]);
    assert!(built.contains("cohort alpha2: built"), "{built}");
    let err = fails_in(&s, &top, &["new", "beta2", "--from", "nope"]);
    assert!(err.contains("nope"), "{err}");
    assert!(!s.path("data/cohorts/beta2").exists());
}

#[test]
fn new_without_catalogs_says_to_import_them() {
    let s = Sandbox::empty();
    let top = s.path("");
    ok_in(&s, &top, &["init", "--bare"]);
    let err = fails_in(&s, &top, &["new", "first"]);
    assert!(
        err.contains("no ids for combo_id") && err.contains("cohortdb import"),
        "{err}"
    );
    assert!(!s.path("data/cohorts/first").exists());
}

#[test]
fn init_new_and_build_work_in_an_empty_folder_from_any_subfolder() {
    let s = Sandbox::empty();
    let top = s.path("");
    let out = ok_in(&s, &top, &["init"]);
    for line in [
        "created cohortdb.yaml\n",
        "starter catalogs: 18 files under data (the bundled example; `init --bare` leaves them out)\n",
        "imported 20 rows in 7 batches\n",
        "next: `cohortdb new COHORT_ID`, then `cohortdb build COHORT_ID`\n",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    // The files are the bundled example's catalogs, byte for byte (no cohort folder of it).
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    for rel in support::files_under(&s.path("data")) {
        assert_eq!(
            std::fs::read(s.path("data").join(&rel)).unwrap(),
            std::fs::read(example.join(&rel)).unwrap(),
            "{rel}"
        );
    }
    assert!(!s.path("data/cohorts/pilot").exists());
    let sub = s.path("data/cohorts");
    ok_in(&s, &sub, &["new", "first"]);
    let built = ok_in(&s, &sub, &["build", "first"]);
    assert!(built.contains("cohort first: built"), "{built}");
    ok_in(&s, &sub, &["export", "first"]);
    ok_in(&s, &sub, &["verify", "first"]);
    // Again: nothing new is written or imported.
    let again = validate(
        "init.schema.json",
        &ok_in(&s, &top, &["init", "--format", "json"]),
    );
    assert_eq!(again["starter_files"], serde_json::json!([]));
    assert_eq!(again["imported"], serde_json::Value::Null);
}

#[test]
fn init_writes_starter_catalogs_only_into_a_new_project_without_catalogs() {
    // JSON: the files written and the import, as `import --format json` prints it.
    let s = Sandbox::empty();
    let json = validate(
        "init.schema.json",
        &ok_in(&s, &s.path(""), &["init", "--format", "json"]),
    );
    assert_eq!(json["starter_files"].as_array().unwrap().len(), 18);
    let imported = serde_json::to_string(&json["imported"]).unwrap();
    let imported = validate("import.schema.json", &imported);
    assert_eq!(imported["added"], 20);

    // --bare: folders and the project file only.
    let s = Sandbox::empty();
    let json = validate(
        "init.schema.json",
        &ok_in(&s, &s.path(""), &["init", "--bare", "--format", "json"]),
    );
    assert_eq!(json["starter_files"], serde_json::json!([]));
    assert_eq!(json["imported"], serde_json::Value::Null);
    assert!(!s.path("data/combo_mappings.csv").exists());

    // A data root holding any catalog file (even one, even a dangling link): nothing is added
    // beside it, nothing imported.
    for plant in ["file", "link"] {
        let s = Sandbox::empty();
        std::fs::create_dir_all(s.path("data")).unwrap();
        let at = s.path("data/combo_mappings.csv");
        if plant == "file" {
            std::fs::write(&at, "combo_id,concept_id\n").unwrap();
        } else {
            std::os::unix::fs::symlink(s.path("nowhere.csv"), &at).unwrap();
        }
        let json = validate(
            "init.schema.json",
            &ok_in(&s, &s.path(""), &["init", "--format", "json"]),
        );
        assert_eq!(json["starter_files"], serde_json::json!([]), "{plant}");
        assert!(!s.path("data/1_raw/llm_models.csv").exists(), "{plant}");
    }

    // A store that exists already (here made by `init --bare`) gets no starter catalogs.
    let s = Sandbox::empty();
    ok_in(&s, &s.path(""), &["init", "--bare"]);
    let json = validate(
        "init.schema.json",
        &ok_in(&s, &s.path(""), &["init", "--format", "json"]),
    );
    assert_eq!(json["starter_files"], serde_json::json!([]));
    assert!(!s.path("data/1_raw/llm_models.csv").exists());
}

/// What a refused or partial-layout `init` leaves: found by an attack on the starter catalogs.
#[test]
fn init_leaves_a_users_layout_alone_and_a_refused_init_leaves_nothing() {
    // A template body of the user's at a starter path: no starter catalogs, the body is not
    // imported as the example's row.
    let s = Sandbox::empty();
    s.write(
        "data/1_raw/templates/draft/link-brainstorm-v1.txt",
        "my own prompt\n",
    );
    let json = validate(
        "init.schema.json",
        &ok_in(&s, &s.path(""), &["init", "--format", "json"]),
    );
    assert_eq!(json["starter_files"], serde_json::json!([]));
    assert_eq!(
        std::fs::read_to_string(s.path("data/1_raw/templates/draft/link-brainstorm-v1.txt"))
            .unwrap(),
        "my own prompt\n"
    );

    // A link on the way (1_raw/templates pointing out of the project): no starter catalogs,
    // nothing written through it.
    let s = Sandbox::empty();
    std::fs::create_dir_all(s.path("data/1_raw")).unwrap();
    std::fs::create_dir_all(s.path("outside")).unwrap();
    std::os::unix::fs::symlink("../../outside", s.path("data/1_raw/templates")).unwrap();
    let out = ok_in(&s, &s.path(""), &["init"]);
    assert!(!out.contains("starter catalogs"), "{out}");
    assert_eq!(std::fs::read_dir(s.path("outside")).unwrap().count(), 0);

    // An orphan file beside the starter catalogs: imported as `import` would, and its warning
    // printed on stderr in text.
    let s = Sandbox::empty();
    s.write("data/1_raw/templates/draft/mine.txt", "x\n");
    let out = run_in(&s, &s.path(""), &["init"], &[]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("mine.txt"), "{stderr}");

    // A dangling link at the store's path: refused by name, the link kept, nothing written.
    let s = Sandbox::empty();
    std::os::unix::fs::symlink("elsewhere/real.db", s.path("cohorts.db")).unwrap();
    let err = fails_in(&s, &s.path(""), &["init"]);
    assert!(err.contains("a symbolic link to a missing file"), "{err}");
    assert!(std::fs::symlink_metadata(s.path("cohorts.db")).is_ok());
    assert!(!s.path("cohortdb.yaml").exists() && !s.path("data").exists());

    // A store in a folder that does not exist: refused before anything is written.
    let s = Sandbox::empty();
    let err = fails_in(&s, &s.path(""), &["--db", "nodir/deeper/x.db", "init"]);
    assert!(err.contains("its folder does not exist"), "{err}");
    assert!(!err.contains("creating-"), "no temporary name: {err}");
    assert!(!s.path("cohortdb.yaml").exists() && !s.path("data").exists());

    // A data root that is a file: named as such, nothing written.
    let s = Sandbox::empty();
    s.write("data", "not a folder\n");
    let err = fails_in(&s, &s.path(""), &["init"]);
    assert!(err.contains("is a regular file, not a folder"), "{err}");
    assert!(!s.path("cohortdb.yaml").exists() && !s.path("cohorts.db").exists());
}

#[test]
fn a_path_the_project_file_cannot_hold_is_refused_before_anything_is_written() {
    use std::os::unix::ffi::OsStrExt;
    let s = Sandbox::empty();
    let root = std::ffi::OsStr::from_bytes(b"d\xff");
    let out = s
        .std_cmd()
        .current_dir(s.path(""))
        .env_remove("COHORTDB_DB")
        .env_remove("COHORTDB_DATA_ROOT")
        .arg("--data-root")
        .arg(root)
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(!s.path("cohortdb.yaml").exists() && !s.path("cohorts.db").exists());
    assert!(std::fs::symlink_metadata(s.path("").join(root)).is_err());
}
