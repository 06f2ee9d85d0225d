//! `push` and `pull` between an SQLite store and a team store (docs/postgres.md, "Moving
//! cohorts between stores"), on the real binary: round trips give byte-identical exports and
//! `verify` ok on every side, repeating is a no-op, and what would break an append-only or
//! content-addressed store is refused with nothing copied.

#![cfg(feature = "postgres")]

mod support;

use std::collections::BTreeMap;

use support::Sandbox;
use support::pg::PgDb;

fn with_db(s: &Sandbox, db: &str, args: &[&str]) -> std::process::Output {
    s.cmd()
        .env("COHORTDB_DB", db)
        .env("COHORTDB_MIRROR_DIR", s.path("mirrors"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(s: &Sandbox, db: &str, args: &[&str]) -> String {
    let out = with_db(s, db, args);
    assert!(
        out.status.success(),
        "{args:?} on {db}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(s: &Sandbox, db: &str, args: &[&str]) -> String {
    let out = with_db(s, db, args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn export_tree(s: &Sandbox, db: &str, name: &str) -> BTreeMap<String, Vec<u8>> {
    let out = s.path(&format!("exports/{name}/cohort"));
    let gens = s.path(&format!("exports/{name}/gens"));
    ok(
        s,
        db,
        &[
            "export",
            "alpha",
            "--out",
            out.to_str().unwrap(),
            "--gens-root",
            gens.to_str().unwrap(),
        ],
    );
    let verified = ok(
        s,
        db,
        &[
            "verify",
            "alpha",
            "--dir",
            out.to_str().unwrap(),
            "--gens-root",
            gens.to_str().unwrap(),
        ],
    );
    assert!(verified.contains("result: ok"), "{verified}");
    support::tree(&s.path(&format!("exports/{name}")))
}

#[test]
fn sqlite_to_postgres_to_a_fresh_sqlite_round_trips_byte_for_byte() {
    let Some(pg) = PgDb::create("roundtrip") else {
        return;
    };
    let s = Sandbox::new();
    let local = s.db().display().to_string();
    ok(&s, &local, &["import"]);
    ok(&s, &local, &["build", "alpha"]);
    let pushed = ok(&s, &local, &["push", "alpha", "--to", &pg.url]);
    assert!(pushed.contains("1 cohort copied"), "{pushed}");
    let fresh = s.path("fresh.db").display().to_string();
    let pulled = ok(&s, &fresh, &["pull", "alpha", "--from", &pg.url]);
    assert!(pulled.contains("1 cohort copied"), "{pulled}");

    let from_sqlite = export_tree(&s, &local, "sqlite");
    let from_pg = export_tree(&s, &pg.url, "pg");
    let from_fresh = export_tree(&s, &fresh, "fresh");
    assert!(from_sqlite.len() > 10, "{:?}", from_sqlite.keys());
    assert_eq!(
        from_sqlite, from_pg,
        "an export from PostgreSQL is the same bytes"
    );
    assert_eq!(
        from_sqlite, from_fresh,
        "and so is one from the fresh store"
    );

    // Repeating is a no-op, both ways.
    let again = ok(&s, &local, &["push", "alpha", "--to", &pg.url]);
    assert!(
        again.contains("0 cohorts copied, 1 already there"),
        "{again}"
    );
    let before = std::fs::read(&fresh).unwrap();
    let again = ok(&s, &fresh, &["pull", "alpha", "--from", &pg.url]);
    assert!(
        again.contains("0 cohorts copied, 1 already there"),
        "{again}"
    );
    assert_eq!(
        std::fs::read(&fresh).unwrap(),
        before,
        "a repeated pull writes nothing"
    );
    let counts = ok(
        &s,
        &pg.url,
        &[
            "query",
            "select count(*) as n from cohort_records",
            "--format",
            "csv",
        ],
    );
    assert_eq!(counts, "n\n1\n");
}

#[test]
fn the_same_id_with_another_hash_and_a_changed_catalog_row_are_refused() {
    let Some(pg) = PgDb::create("refusals") else {
        return;
    };
    let s = Sandbox::new();
    let local = s.db().display().to_string();
    ok(&s, &local, &["import"]);
    ok(&s, &local, &["build", "alpha"]);
    ok(&s, &local, &["push", "alpha", "--to", &pg.url]);

    // Another store: alpha under another seed (another content hash).
    let other = s.path("other.db").display().to_string();
    ok(&s, &other, &["import"]);
    ok(&s, &other, &["build", "alpha", "--seed", "7"]);
    let err = refused(&s, &other, &["push", "alpha", "--to", &pg.url]);
    assert!(
        err.contains("cohort \"alpha\" exists here with content hash"),
        "{err}"
    );
    assert!(err.contains("nothing was copied"), "{err}");

    // A third store whose LLM row gen-a says something else.
    let third = Sandbox::new();
    third.write(
        "data/1_raw/llm_models.csv",
        third
            .read("data/1_raw/llm_models.csv")
            .replace("Gen A", "Gen A (renamed)"),
    );
    let third_db = third.db().display().to_string();
    ok(&third, &third_db, &["import"]);
    ok(
        &third,
        &third_db,
        &["build", "beta", "--spec", "data/cohorts/alpha/spec"],
    );
    let err = refused(&third, &third_db, &["push", "beta", "--to", &pg.url]);
    assert!(
        err.contains("catalog_llm_models row gen-a differs"),
        "{err}"
    );
    let counts = ok(
        &s,
        &pg.url,
        &[
            "query",
            "select count(*) as n from cohort_records",
            "--format",
            "csv",
        ],
    );
    assert_eq!(counts, "n\n1\n", "nothing of the refused pushes arrived");
}

#[test]
fn gen_ids_registered_for_other_values_or_without_their_lower_collision_indices_are_refused() {
    let Some(pg) = PgDb::create("registry") else {
        return;
    };
    let s = Sandbox::new();
    let local = s.db().display().to_string();
    ok(&s, &local, &["import"]);
    ok(&s, &pg.url, &["import"]);
    // On the server, alpha's essays exist with another essay LLM (same gen_ids, D2).
    let clash = "specs/clash";
    s.write(
        &format!("{clash}/config.yaml"),
        s.read("data/cohorts/alpha/spec/config.yaml"),
    );
    s.write(
        &format!("{clash}/items/essays.csv"),
        "essay_template,essay_llm\nessay-X,gen-b\nessay-Y,None\n",
    );
    ok(&s, &pg.url, &["build", "clash", "--spec", clash]);
    ok(&s, &local, &["build", "alpha"]);
    let err = refused(&s, &local, &["push", "alpha", "--to", &pg.url]);
    assert!(
        err.contains("is registered here for another signature"),
        "{err}"
    );

    // A store whose first draft took collision index 1 (index 0 is registered for another
    // signature): pushed where index 0 is free, it would get other gen_ids — refused.
    let bumped = Sandbox::new();
    let bumped_db = bumped.db().display().to_string();
    ok(&bumped, &bumped_db, &["init"]);
    let conn = rusqlite::Connection::open(bumped.db()).unwrap();
    conn.execute(
        "insert into gen_ids (gen_id, signature_digest, collision_index, cohort_no, ordinal) values ('d_agoots5ys4g42xz', x'00', 0, 0, 0)",
        [],
    )
    .unwrap();
    drop(conn);
    ok(&bumped, &bumped_db, &["import"]);
    ok(&bumped, &bumped_db, &["build", "alpha"]);
    let Some(empty) = PgDb::create("registry2") else {
        return;
    };
    let err = refused(&bumped, &bumped_db, &["push", "alpha", "--to", &empty.url]);
    assert!(
        err.contains("d_") && err.contains("another signature"),
        "{err}"
    );
    let counts = ok(
        &bumped,
        &empty.url,
        &[
            "query",
            "select count(*) as n from gen_ids",
            "--format",
            "csv",
        ],
    );
    assert_eq!(counts, "n\n0\n", "nothing of the refused push arrived");
}
