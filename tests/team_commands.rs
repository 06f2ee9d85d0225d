//! Every command on both engines (docs/postgres.md): the same command lines, run through the
//! real binary on an SQLite store and on a team store (a PostgreSQL database of its own), give
//! the same reports, the same query rows and the same exported bytes. Only what names the store
//! itself (its path or URL, the build time) differs.

mod support;

use support::Sandbox;
use support::pg::PgDb;

/// One engine: a sandbox with the fixture data root, and the `--db` it runs with.
struct Engine {
    s: Sandbox,
    db: String,
}

impl Engine {
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.s
            .cmd()
            .env("COHORTDB_DB", &self.db)
            .env("COHORTDB_MIRROR_DIR", self.s.path("mirrors"))
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs, asserts the exit code, returns stdout with the sandbox's folder and the store
    /// replaced by placeholders.
    fn code(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?} on {}:\n{}{}",
            self.db,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let dir = self.s.path("").display().to_string();
        text.replace(&self.db, "<db>")
            .replace(dir.trim_end_matches('/'), "<sandbox>")
    }

    fn ok(&self, args: &[&str]) -> String {
        self.code(0, args)
    }

    /// `--json` output with the fields that name times dropped.
    fn json(&self, code: i32, args: &[&str]) -> serde_json::Value {
        let text = self.code(code, args);
        let mut value: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{text}"));
        drop_times(&mut value);
        value
    }

    fn file(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.s.path(rel)).unwrap()
    }
}

fn drop_times(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !k.ends_with("_at"));
            map.values_mut().for_each(drop_times);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_times),
        _ => {}
    }
}

/// The two engines: SQLite and a fresh PostgreSQL database (`None` when no server, outside CI).
fn engines(tag: &str) -> Option<(Engine, Engine, PgDb)> {
    let db = PgDb::create(tag)?;
    let sqlite = Sandbox::new();
    let sqlite = Engine {
        db: sqlite.db().display().to_string(),
        s: sqlite,
    };
    let team = Engine {
        s: Sandbox::new(),
        db: db.url.clone(),
    };
    Some((sqlite, team, db))
}

/// Runs `args` on both engines with `--json`; asserts the same documents; returns one.
fn same_json(a: &Engine, b: &Engine, code: i32, args: &[&str]) -> serde_json::Value {
    let mut args = args.to_vec();
    args.push("--json");
    let left = a.json(code, &args);
    let right = b.json(code, &args);
    assert_eq!(left, right, "{args:?} differs between the engines");
    left
}

#[test]
fn every_command_gives_the_same_reports_and_bytes_on_both_engines() {
    let Some((sq, pg, _db)) = engines("commands") else {
        return;
    };
    // init: the same schema version; the team store is shown by its URL.
    let init_sq = sq.json(0, &["init", "--json"]);
    let init_pg = pg.json(0, &["init", "--json"]);
    assert_eq!(init_sq["schema_version"], init_pg["schema_version"]);
    assert_eq!(init_pg["store"], "<db>");

    let import = same_json(&sq, &pg, 0, &["import"]);
    assert!(import["added"].as_u64().unwrap() > 0, "{import}");
    same_json(
        &sq,
        &pg,
        0,
        &["import", "llm-models", "data/1_raw/llm_models.csv"],
    );

    // compile with catalogs reads no store: the same rows whatever --db names.
    let compile = [
        "compile",
        "data/cohorts/alpha/spec",
        "--catalog-csv",
        "draft_llm=@llm_models_csv",
    ];
    assert_eq!(sq.ok(&compile), pg.ok(&compile));

    let built = same_json(&sq, &pg, 0, &["build", "alpha"]);
    assert_eq!(built["status"], "created");
    let again = same_json(&sq, &pg, 0, &["build", "alpha"]);
    assert_eq!(again["status"], "unchanged");

    same_json(&sq, &pg, 0, &["export", "alpha"]);
    let cohort = |e: &Engine| support::tree(&e.s.path("data/cohorts/alpha"));
    let gens = |e: &Engine| support::tree(&e.s.path("data/gens"));
    assert_eq!(cohort(&sq), cohort(&pg), "exported cohort folders differ");
    assert_eq!(gens(&sq), gens(&pg), "exported gens differ");
    assert_eq!(
        sq.file("data/cohorts/alpha/membership.csv"),
        pg.file("data/cohorts/alpha/membership.csv")
    );

    let verified = same_json(&sq, &pg, 0, &["verify", "alpha"]);
    assert_eq!(verified["matches"], true);
    same_json(&sq, &pg, 0, &["verify", "--all"]);
    same_json(&sq, &pg, 0, &["status"]);
    same_json(&sq, &pg, 0, &["status", "alpha"]);
    same_json(&sq, &pg, 0, &["show", "alpha"]);
    same_json(&sq, &pg, 0, &["cohorts"]);
    same_json(&sq, &pg, 0, &["explain", "data/cohorts/alpha/spec"]);
    let diff = same_json(&sq, &pg, 0, &["diff", "alpha", "data/cohorts/alpha/spec"]);
    assert_eq!(diff["identical"], true, "{diff}");

    // Text reports too, but for the build time they print.
    let untimed = |text: String| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("built "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        untimed(sq.ok(&["show", "alpha"])),
        untimed(pg.ok(&["show", "alpha"]))
    );

    // query: the same rows in every format (the statement runs on the server for a team store).
    let sql = "select cohort_id, stage, gen_id, parent_gen_id, combo_id from membership \
               where cohort_id = :c order by stage, gen_id";
    for format in ["csv", "tsv", "json", "jsonl", "markdown", "table"] {
        let args = ["query", sql, "--param", "c=alpha", "--format", format];
        assert_eq!(sq.ok(&args), pg.ok(&args), "query --format {format}");
    }
    // Positional parameters (`?`, `?N`, given as `N=` or `?N=`) on both engines alike.
    let positional = [
        "query",
        "select gen_id from membership where cohort_id = ? and stage = ?2 and replicate >= ? \
         order by gen_id",
        "--param",
        "1=alpha",
        "--param",
        "?2=essay",
        "--param",
        "3=1",
        "--format",
        "csv",
    ];
    let rows = sq.ok(&positional);
    assert_eq!(rows.lines().count(), 9, "{rows}");
    assert_eq!(rows, pg.ok(&positional));
    let count = ["query", "select count(*) as n from membership"];
    assert_eq!(sq.ok(&count), "n\n28\n");
    assert_eq!(pg.ok(&count), "n\n28\n");

    // backup: a self-contained SQLite store either way, verified as one.
    // (The team store's copy is of its mirror, which also names the store it mirrors: its size
    // differs.)
    let mut backups = [&sq, &pg].map(|e| e.json(0, &["backup", "copy.db", "--json"]));
    for b in &mut backups {
        b.as_object_mut().unwrap().remove("bytes");
    }
    assert_eq!(backups[0], backups[1]);
    for e in [&sq, &pg] {
        let copy = e.s.path("copy.db").display().to_string();
        let out =
            e.s.cmd()
                .env("COHORTDB_DB", &copy)
                .args(["verify", "alpha", "--store-only"])
                .output()
                .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    // migrate --check builds in a scratch store from the data root's catalogs: both engines.
    let migrate = [
        "migrate",
        "membership",
        "alpha",
        "--out",
        "data/cohorts/alpha-migrated/spec",
        "--check",
    ];
    assert_eq!(sq.ok(&migrate), pg.ok(&migrate));
    assert_eq!(
        support::tree(&sq.s.path("data/cohorts/alpha-migrated/spec")),
        support::tree(&pg.s.path("data/cohorts/alpha-migrated/spec"))
    );
    same_json(&sq, &pg, 0, &["build", "alpha-migrated"]);
}

#[test]
fn errors_are_the_same_on_both_engines_and_leave_the_store_unchanged() {
    let Some((sq, pg, _db)) = engines("errors") else {
        return;
    };
    for e in [&sq, &pg] {
        e.ok(&["import", "-q"]);
        e.ok(&["build", "alpha", "-q"]);
    }
    let stderr = |e: &Engine, args: &[&str]| {
        let out = e.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    for args in [
        &["show", "nosuch"][..],
        &["export", "nosuch"],
        &["build", "bad id!"],
        &["query", "delete from cohort_records"],
        &["query", "select * from membership where cohort_id = :c"],
    ] {
        let a = stderr(&sq, args);
        let b = stderr(&pg, args);
        assert!(
            a.starts_with("error: ") && b.starts_with("error: "),
            "{a}{b}"
        );
        if args[0] != "query" {
            assert_eq!(a, b, "{args:?}");
        }
    }
    // Another result under a stored id: D14 on both, nothing stored.
    let a = stderr(&sq, &["build", "alpha", "--seed", "7"]);
    let b = stderr(&pg, &["build", "alpha", "--seed", "7"]);
    assert_eq!(a, b);
    assert!(a.contains("(see docs/decisions.md#d14)"), "{a}");
    let count = ["query", "select count(*) as n from cohort_records"];
    assert_eq!(sq.ok(&count), "n\n1\n");
    assert_eq!(pg.ok(&count), "n\n1\n");
}

/// The import's refusals and reports are the mirror importer's on both engines
/// (docs/decisions.md D34: the team import streams what that importer stores, so the rules have
/// one implementation): a row changed against the store, a combo gaining a concept in a later
/// batch, a key twice with other content, a bad field; identical repeats are counted unchanged.
#[test]
fn import_refusals_and_reports_are_the_same_on_both_engines() {
    let Some((sq, pg, _db)) = engines("import_errors") else {
        return;
    };
    let files: [(&str, &[u8]); 4] = [
        (
            "changed.csv",
            b"id,model,provider,display_name,specialization\n\
             gen-a,vendor/gen-a2,vendor,Gen A,general\n",
        ),
        (
            "gains.csv",
            b"combo_id,version,concept_id,description_level,k_max,created_at\n\
             combo-2,v1,tides,sentence,1,\n\
             combo-9,v1,tides,sentence,1,\n",
        ),
        (
            "twice.csv",
            b"combo_id,version,concept_id,description_level,k_max,created_at\n\
             combo-7,v1,tides,sentence,1,\n\
             combo-7,v1,tides,article,1,\n\
             combo-8,v1,tides,sentence,\xff,\n",
        ),
        (
            "repeats.csv",
            b"combo_id,version,concept_id,description_level,k_max,created_at\n\
             combo-1,v1,tides,paragraph,2,\n\
             combo-5,v1,tides,sentence,1,\n\
             combo-5,v1,tides,sentence,1,\n\
             combo-5,v1,markets,sentence,1,\n",
        ),
    ];
    for e in [&sq, &pg] {
        e.ok(&["import", "-q"]);
        for (name, text) in files {
            e.s.write(name, text);
        }
    }
    let refused = |e: &Engine, args: &[&str]| {
        let out = e.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let dir = e.s.path("").display().to_string();
        String::from_utf8(out.stderr)
            .unwrap()
            .replace(dir.trim_end_matches('/'), "<sandbox>")
    };
    for args in [
        &["import", "llm-models", "changed.csv"][..],
        &["import", "combo-mappings", "gains.csv"],
        &["import", "combo-mappings", "twice.csv"],
    ] {
        let a = refused(&sq, args);
        assert_eq!(a, refused(&pg, args), "{args:?}");
        assert!(a.starts_with("error: "), "{a}");
    }
    let report = same_json(&sq, &pg, 0, &["import", "combo-mappings", "repeats.csv"]);
    assert_eq!(report["added"], 2, "{report}");
    let count = ["query", "select count(*) as n from combo_mappings"];
    assert_eq!(sq.ok(&count), pg.ok(&count));
}

#[test]
fn a_password_in_the_url_is_never_printed() {
    let Some(db) = PgDb::create("password") else {
        return;
    };
    let s = Sandbox::new();
    // The test server trusts its users: a wrong password still connects, so every report and
    // error of a working store is checked for it.
    let url = db
        .url
        .replacen("postgres://postgres@", "postgres://postgres:s3cr3t-pw@", 1)
        .replacen("postgres://root@", "postgres://root:s3cr3t-pw@", 1);
    let run = |args: &[&str]| {
        let out = s
            .cmd()
            .env("COHORTDB_DB", &url)
            .env("COHORTDB_MIRROR_DIR", s.path("mirrors"))
            .args(args)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("s3cr3t-pw"),
            "{args:?} printed the password:\n{all}"
        );
        all
    };
    run(&["init"]);
    run(&["init", "--json"]);
    run(&["import"]);
    run(&["build", "alpha", "--json"]);
    run(&["show", "nosuch"]);
    run(&["query", "select nosuch"]);
    run(&["push", "alpha", "--to", "other.db", "--json"]);
    run(&["--help"]);
    let help = s
        .cmd()
        .env("COHORTDB_DB", &url)
        .arg("--help")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains("s3cr3t"));
}

#[test]
fn migrate_with_legacy_metadata_to_record_is_refused_on_a_team_store() {
    let Some(db) = PgDb::create("migrate") else {
        return;
    };
    let legacy = |mode: Option<&str>| {
        let s = Sandbox::empty();
        support::copy_tree(&support::fixtures().join("legacy/base"), &s.path("data"));
        if let Some(mode) = mode {
            support::copy_tree(
                &support::fixtures().join("legacy").join(mode),
                &s.path("data"),
            );
        }
        s
    };
    let run = |s: &Sandbox, args: &[&str]| {
        s.cmd()
            .env("COHORTDB_DB", &db.url)
            .env("COHORTDB_MIRROR_DIR", s.path("mirrors"))
            .args(args)
            .output()
            .unwrap()
    };
    // Curated drafts keep legacy metadata.json files, which a team store does not record yet
    // (D24, docs/postgres.md): refused, nothing written.
    let s = legacy(Some("curated-drafts"));
    let out = run(&s, &["migrate", "legacy", "pilot"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("migrate with legacy metadata to record does not run on a team store"),
        "{err}"
    );
    assert!(!s.path("data/cohorts/pilot").exists());
    assert!(!s.path("postgres:").exists(), "no file named like the URL");
    // Nothing to record (Cartesian mode): the spec is written as on any store.
    let s = legacy(None);
    let out = run(&s, &["migrate", "legacy", "pilot"]);
    assert!(out.status.success(), "{out:?}");
    assert!(s.path("data/cohorts/pilot/spec/config.yaml").exists());
}
