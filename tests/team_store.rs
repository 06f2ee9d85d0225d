//! The team store's server side (docs/postgres.md): connecting, the schema and its checks,
//! append-only enforced by the server. Each test makes its own database (`support::pg`); with
//! no server reachable they are skipped with one line, unless `CI=true`.

#![cfg(feature = "postgres")]

mod support;

use cohortdb::error::TeamErrorKind;
use cohortdb::team::{PgUrl, TeamStore};
use support::pg::PgDb;

fn url(db: &PgDb) -> PgUrl {
    PgUrl::parse(&db.url).expect("the test URL parses")
}

fn team_kind(err: &cohortdb::Error) -> &TeamErrorKind {
    match err {
        cohortdb::Error::Team(e) => &e.kind,
        other => panic!("not a team-store error: {other}"),
    }
}

/// Every table a cohortdb store holds rows in.
const TABLES: &[&str] = &[
    "store_meta",
    "import_batches",
    "catalog_concepts",
    "catalog_templates",
    "catalog_llm_models",
    "catalog_combo_mappings",
    "catalog_replication",
    "cohort_records",
    "cohort_spec_files",
    "cohort_template_modes",
    "cohort_values",
    "cohort_members",
    "gen_ids",
    "cohort_reuse",
];

#[test]
fn a_new_database_gets_the_schema_once_with_a_store_uuid() {
    let Some(db) = PgDb::create("schema") else {
        return;
    };
    let first = TeamStore::open(&url(&db)).expect("a new store");
    assert_eq!(first.schema_version(), cohortdb::store::latest_version());
    assert_eq!(first.uuid().len(), 36, "{}", first.uuid());
    let again = TeamStore::open(&url(&db)).expect("the same store");
    assert_eq!(again.uuid(), first.uuid());
    let reader = TeamStore::open_existing(&url(&db)).expect("a reader");
    assert_eq!(reader.uuid(), first.uuid());
    let (ok, versions) = db.psql("select string_agg(version::text || ' ' || name, ',' order by version) from refinery_schema_history");
    assert!(ok, "{versions}");
    assert_eq!(
        versions.trim(),
        "1 create_catalogs,2 create_cohort_records,3 complete_records_reject_inserts,4 cohort_reuse,5 results_ledger,6 legacy_origins"
    );
    let (ok, views) = db.psql(
        "select string_agg(table_name, ',' order by table_name) from information_schema.views where table_schema = current_schema()",
    );
    assert!(ok, "{views}");
    assert_eq!(
        views.trim(),
        "cohort_progress,cohorts,combo_mappings,concept_descriptions,concepts,evaluation_scores,generations,llm_models,membership,replication_config,sqlite_master,sqlite_schema,templates"
    );
}

#[test]
fn writers_opening_a_new_database_at_once_migrate_it_once() {
    let Some(db) = PgDb::create("race") else {
        return;
    };
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let u = url(&db);
            std::thread::spawn(move || TeamStore::open(&u).map(|s| s.uuid().to_string()))
        })
        .collect();
    let uuids: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic").expect("each writer opens"))
        .collect();
    assert!(uuids.windows(2).all(|w| w[0] == w[1]), "{uuids:?}");
}

#[test]
fn a_foreign_database_is_refused_unchanged() {
    let Some(db) = PgDb::create("foreign") else {
        return;
    };
    assert!(
        db.psql("create table notes (x int); insert into notes values (1)")
            .0
    );
    for writer in [true, false] {
        let err = if writer {
            TeamStore::open(&url(&db)).unwrap_err()
        } else {
            TeamStore::open_existing(&url(&db)).unwrap_err()
        };
        assert!(matches!(team_kind(&err), TeamErrorKind::Foreign), "{err}");
        assert!(err.to_string().contains("not a cohortdb store"), "{err}");
    }
    let (_, tables) = db.psql(
        "select string_agg(tablename, ',') from pg_tables where schemaname = current_schema()",
    );
    assert_eq!(tables.trim(), "notes", "nothing was created");
}

#[test]
fn readers_never_create_or_migrate_and_newer_schemas_are_refused() {
    let Some(db) = PgDb::create("versions") else {
        return;
    };
    let err = TeamStore::open_existing(&url(&db)).unwrap_err();
    assert!(matches!(team_kind(&err), TeamErrorKind::Empty), "{err}");
    let (_, tables) = db.psql("select count(*) from pg_tables where schemaname = current_schema()");
    assert_eq!(tables.trim(), "0", "a reader created nothing");

    cohortdb::team::schema::create_at_version(&url(&db), 2).expect("an older schema");
    let err = TeamStore::open_existing(&url(&db)).unwrap_err();
    assert!(
        matches!(
            team_kind(&err),
            TeamErrorKind::Outdated {
                recorded: 2,
                latest: 6
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("cohortdb init"), "{err}");
    let (_, version) = db.psql("select max(version) from refinery_schema_history");
    assert_eq!(version.trim(), "2", "the reader did not migrate");
    let writer = TeamStore::open(&url(&db)).expect("a writer migrates");
    assert_eq!(writer.schema_version(), 6);
    drop(writer);

    assert!(
        db.psql(
            "insert into refinery_schema_history values (7, 'future', '2030-01-01T00:00:00Z', '1')"
        )
        .0
    );
    for result in [
        TeamStore::open(&url(&db)),
        TeamStore::open_existing(&url(&db)),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(
                team_kind(&err),
                TeamErrorKind::Newer {
                    version: 7,
                    latest: 6
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn the_server_refuses_update_delete_and_truncate_on_every_table() {
    let Some(db) = PgDb::create("append") else {
        return;
    };
    drop(TeamStore::open(&url(&db)).expect("a store"));
    // One row in every table, written as a build writes them (the record row last).
    let setup = "
        insert into import_batches values (1, 'llm_models', '/x.csv', 'h', '[]', 't', 1);
        insert into catalog_concepts values ('c', 'n', null, null, null, null, 1, 2);
        insert into catalog_templates values ('draft', 't', 'n', 'd', 'p', 'g', null, null, 1, 2);
        insert into catalog_llm_models values ('m', 'm', 'p', 'd', 's', null, 1, 2);
        insert into catalog_combo_mappings values ('k', 'c', 'v', 'l', '1', 't', null, 1, 2);
        insert into catalog_replication values ('draft', '1', null, 1, 2);
        insert into cohort_spec_files values (1, 'config.yaml', 'x', 'h');
        insert into cohort_template_modes values (1, 'draft', 't', 'llm');
        insert into cohort_values values (1, 0, 0, 'k');
        insert into cohort_members values (1, 0, 0, 'd_x', null, 0, 0, 0, 1);
        insert into gen_ids values ('d_x', 'x', 0, 1, 0);
        insert into cohort_reuse values (2, 1, 1);
        insert into cohort_records values (1, 'c1', 's', 'h', 'h', 'h', 'h', 'h', null, 1, 'c', '{}', 1, 0, 0, 't');
    ";
    let (ok, out) = db.psql(setup);
    assert!(ok, "{out}");
    for table in TABLES {
        for (statement, verb) in [
            (
                format!("update {table} set {} = {0}", first_column(&db, table)),
                "updated",
            ),
            (format!("delete from {table}"), "deleted"),
            (format!("truncate {table} cascade"), "truncated"),
        ] {
            let (ok, out) = db.psql(&statement);
            assert!(!ok, "{statement} succeeded");
            assert!(
                out.contains(&format!("{table} is append-only: rows cannot be {verb}")),
                "{statement}: {out}"
            );
        }
    }
    // A complete record takes no new rows (V3).
    for statement in [
        "insert into cohort_members values (1, 1, 0, 'd_y', null, 0, 0, 0, 2)",
        "insert into cohort_values values (1, 0, 1, 'k2')",
        "insert into cohort_template_modes values (1, 'essay', 't', 'llm')",
        "insert into cohort_spec_files values (1, 'other.csv', 'x', 'h')",
        "insert into gen_ids values ('d_y', 'x', 0, 1, 1)",
    ] {
        let (ok, out) = db.psql(statement);
        assert!(!ok, "{statement} succeeded");
        assert!(
            out.contains("the cohort's record is complete"),
            "{statement}: {out}"
        );
    }
    let (ok, out) = db.psql("insert into cohort_reuse values (1, 0, 3)");
    assert!(!ok && out.contains("record is complete"), "{out}");
}

fn first_column(db: &PgDb, table: &str) -> String {
    let (ok, out) = db.psql(&format!(
        "select column_name from information_schema.columns where table_name = '{table}' and ordinal_position = 1"
    ));
    assert!(ok, "{out}");
    out.trim().to_string()
}

#[test]
fn connection_errors_name_the_store_without_its_password() {
    let url = PgUrl::parse(
        "postgres://someone:hunter2@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2",
    )
    .expect("parses");
    let err = TeamStore::open(&url).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        err.to_string().starts_with(
            "team store postgres://someone:***@127.0.0.1:1/nowhere?sslmode=disable: cannot connect"
        ),
        "{err}"
    );
}

#[test]
fn tls_is_negotiated_as_sslmode_says() {
    let Some(db) = PgDb::create("tls") else {
        return;
    };
    // The test server may or may not offer TLS: `prefer` works either way, `disable` always.
    for mode in ["disable", "prefer"] {
        let text = db
            .url
            .replace("sslmode=disable", &format!("sslmode={mode}"));
        let u = PgUrl::parse(&text).expect("parses");
        TeamStore::open(&u).unwrap_or_else(|e| panic!("{mode}: {e}"));
    }
    let (_, ssl) = db.psql("show ssl");
    let text = db.url.replace("sslmode=disable", "sslmode=require");
    let result = TeamStore::open(&PgUrl::parse(&text).expect("parses"));
    if ssl.trim() == "on" {
        result.expect("require works against a TLS server");
    } else {
        let err = result.unwrap_err();
        assert!(err.to_string().contains("cannot connect"), "{err}");
    }
}

// ---- the mirror, sync and publishing (library level) ----

use cohortdb::catalog::import::NoProgress;
use cohortdb::cohort::BuildStatus;
use cohortdb::ids::CohortId;
use cohortdb::team::publish::Team;

/// A team store client with its own mirror under `dir`.
fn team(db: &PgDb, dir: &std::path::Path, name: &str) -> Team {
    let store = TeamStore::open(&url(db)).expect("the store opens");
    Team::with_mirror(store, &dir.join(format!("{name}.db"))).expect("the mirror syncs")
}

fn alpha(data: &std::path::Path) -> (cohortdb::spec::Spec, cohortdb::spec::Plan) {
    let spec =
        cohortdb::spec::load_path(&data.join("cohorts/alpha/spec/config.yaml")).expect("spec");
    let plan = cohortdb::spec::resolve(&spec).expect("plan");
    (spec, plan)
}

fn store_verify(store: &cohortdb::Store, id: &str) -> cohortdb::verify::VerifyReport {
    let options = cohortdb::verify::VerifyOptions {
        dir: "unused".into(),
        gens_root: "unused".into(),
        store_only: true,
        dir_named: false,
        gens_root_named: false,
    };
    cohortdb::verify::verify(store.conn(), &CohortId::parse(id).unwrap(), &options)
        .expect("verify runs")
}

#[test]
fn a_build_published_to_the_server_reaches_every_mirror_re_hashed_and_identical_to_sqlite() {
    let Some(db) = PgDb::create("publish") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = support::fixtures().join("data");
    let mut a = team(&db, dir.path(), "a");
    let imported = a.import_all(&data, &NoProgress).expect("imports");
    assert!(imported.added() > 0);
    let again = a.import_all(&data, &NoProgress).expect("re-imports");
    assert_eq!(again.added(), 0, "a repeated import adds nothing");
    let (spec, plan) = alpha(&data);
    let id = CohortId::parse("alpha").unwrap();
    let built = a.build(&id, &spec, &plan, None).expect("builds");
    assert_eq!(built.status, BuildStatus::Created);
    let same = a.build(&id, &spec, &plan, None).expect("rebuilds");
    assert!(
        matches!(same.status, BuildStatus::Unchanged { .. }),
        "{same:?}"
    );

    // The same inputs built into a plain SQLite store give the same bytes.
    let mut local = cohortdb::Store::open(dir.path().join("plain.db")).unwrap();
    cohortdb::catalog::import_all(&mut local, &data, &NoProgress).unwrap();
    let plain = cohortdb::cohort::build(&mut local, &id, &spec, &plan, None).unwrap();
    assert_eq!(plain.content_hash, built.content_hash);
    assert_eq!(plain.counts, built.counts);

    // Another client's mirror gets everything by sync, re-hashed; verify holds there.
    let b = team(&db, dir.path(), "b");
    let report = store_verify(b.mirror(), "alpha");
    assert!(report.matches(), "{report:?}");
    let membership = |s: &cohortdb::Store| -> Vec<(String, String)> {
        let mut stmt = s
            .conn()
            .prepare(
                "select stage, gen_id from membership where cohort_id = 'alpha' order by ordinal",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(membership(b.mirror()), membership(&local));
    assert_eq!(membership(a.mirror()), membership(&local));
    // The server's membership view gives the same rows.
    let mut client = db.client();
    let rows = client
        .query(
            "select stage, gen_id from membership where cohort_id = 'alpha' order by ordinal",
            &[],
        )
        .unwrap();
    let server: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(server, membership(&local));
}

#[test]
fn syncing_twice_is_a_no_op_and_concurrent_syncs_add_everything_once() {
    let Some(db) = PgDb::create("sync") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = support::fixtures().join("data");
    let mut a = team(&db, dir.path(), "a");
    a.import_all(&data, &NoProgress).unwrap();
    let (spec, plan) = alpha(&data);
    a.build(&CohortId::parse("alpha").unwrap(), &spec, &plan, None)
        .unwrap();
    let shared = dir.path().join("shared.db");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let u = url(&db);
            let path = shared.clone();
            std::thread::spawn(move || {
                let store = TeamStore::open(&u).expect("opens");
                Team::with_mirror(store, &path).map(|_| ())
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no panic").expect("each sync succeeds");
    }
    let mut b = team(&db, dir.path(), "shared");
    let before = std::fs::read(&shared).unwrap();
    let report = b.sync().expect("syncs");
    assert_eq!(report, Default::default(), "nothing left to bring");
    assert!(store_verify(b.mirror(), "alpha").matches());
    drop(b);
    assert_eq!(
        std::fs::read(&shared).unwrap(),
        before,
        "a no-op sync writes nothing"
    );
}

#[test]
fn a_row_changed_on_the_server_behind_cohortdb_s_back_is_refused_on_arrival() {
    let Some(db) = PgDb::create("tamper") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = support::fixtures().join("data");
    let mut a = team(&db, dir.path(), "a");
    a.import_all(&data, &NoProgress).unwrap();
    let (spec, plan) = alpha(&data);
    a.build(&CohortId::parse("alpha").unwrap(), &spec, &plan, None)
        .unwrap();
    // A superuser turns the triggers off and changes one member's gen_id.
    let (ok, out) = db.psql(
        "begin; set local session_replication_role = replica; \
         update cohort_members set replicate = 7 where ordinal = 0; commit;",
    );
    assert!(ok, "{out}");
    let store = TeamStore::open(&url(&db)).unwrap();
    let fresh = dir.path().join("fresh.db");
    let err = Team::with_mirror(store, &fresh).unwrap_err();
    assert!(
        matches!(team_kind(&err), TeamErrorKind::Tampered { cohort, .. } if cohort == "alpha"),
        "{err}"
    );
    assert!(err.to_string().contains("do not re-hash"), "{err}");
    let conn = rusqlite::Connection::open(&fresh).unwrap();
    let records: i64 = conn
        .query_row("select count(*) from cohort_records", [], |r| r.get(0))
        .unwrap();
    let batches: i64 = conn
        .query_row("select count(*) from import_batches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (records, batches),
        (0, 0),
        "nothing of the refused sync stayed"
    );
}

#[test]
fn a_mirror_of_another_store_is_refused() {
    let Some(one) = PgDb::create("mix1") else {
        return;
    };
    let Some(two) = PgDb::create("mix2") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    Team::with_mirror(TeamStore::open(&url(&one)).unwrap(), &path).expect("a mirror of one");
    let err = Team::with_mirror(TeamStore::open(&url(&two)).unwrap(), &path).unwrap_err();
    assert!(
        matches!(team_kind(&err), TeamErrorKind::MirrorOfAnotherStore { .. }),
        "{err}"
    );
}

// ---- query on the server, least-privilege roles ----

/// Roles made for one test, dropped after its database (declare before the `PgDb`).
struct Roles(Vec<String>);

impl Drop for Roles {
    fn drop(&mut self) {
        let base = support::pg::server_url().replacen("postgres://", "postgresql://", 1);
        if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
            for role in &self.0 {
                let _ = c.batch_execute(&format!("drop role if exists {role}"));
            }
        }
    }
}

struct Collect {
    names: Vec<String>,
    rows: Vec<Vec<rusqlite::types::Value>>,
}

impl cohortdb::team::query::RowSink for Collect {
    fn columns(&mut self, names: &[String]) -> cohortdb::Result<()> {
        self.names = names.to_vec();
        Ok(())
    }
    fn row(&mut self, values: &[rusqlite::types::Value]) -> cohortdb::Result<bool> {
        self.rows.push(values.to_vec());
        Ok(true)
    }
}

fn run_query(
    store: &mut TeamStore,
    sql: &str,
    params: &[(&str, &str)],
    timeout: Option<std::time::Duration>,
) -> cohortdb::Result<Collect> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut sink = Collect {
        names: Vec::new(),
        rows: Vec::new(),
    };
    cohortdb::team::query::query(store, sql, &params, timeout, &mut sink)?;
    Ok(sink)
}

#[test]
fn query_runs_read_only_on_the_server_with_parameters_and_a_timeout() {
    use rusqlite::types::Value;
    let Some(db) = PgDb::create("query") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = support::fixtures().join("data");
    let mut a = team(&db, dir.path(), "a");
    a.import_all(&data, &NoProgress).unwrap();
    let (spec, plan) = alpha(&data);
    a.build(&CohortId::parse("alpha").unwrap(), &spec, &plan, None)
        .unwrap();
    let mut store = TeamStore::open_existing(&url(&db)).unwrap();
    let got = run_query(
        &mut store,
        "select ordinal, stage, gen_id, replicate from membership where cohort_id = :c and stage = @s order by ordinal",
        &[("c", "alpha"), (":s", "draft")],
        None,
    )
    .unwrap();
    assert_eq!(got.names, ["ordinal", "stage", "gen_id", "replicate"]);
    assert_eq!(got.rows.len(), 4);
    assert_eq!(got.rows[0][0], Value::Integer(0));
    assert_eq!(got.rows[0][2], Value::Text("d_agoots5ys4g42xz".into()));
    // Positional parameters, as SQLite numbers them: `?N`, and a bare `?` one above the largest
    // number before it; given as `N` or `?N`.
    let positional = run_query(
        &mut store,
        "select ordinal, stage, gen_id, replicate from membership where cohort_id = ? and stage = ?2 and ordinal >= ? order by ordinal",
        &[("1", "alpha"), ("?2", "draft"), ("3", "0")],
        None,
    )
    .unwrap();
    assert_eq!(positional.rows, got.rows);
    let mixed = run_query(&mut store, "select :a, ?", &[("a", "1"), ("2", "2")], None)
        .err()
        .expect("mixed");
    assert!(mixed.to_string().contains("not both"), "{mixed}");
    let missing = run_query(&mut store, "select ?::int + ?::int", &[("1", "1")], None)
        .err()
        .expect("missing");
    assert!(missing.to_string().contains("?2"), "{missing}");
    // Every view of the stable surface answers.
    for view in [
        "cohorts",
        "templates",
        "llm_models",
        "concepts",
        "combo_mappings",
        "replication_config",
        "concept_descriptions",
        "membership",
    ] {
        run_query(&mut store, &format!("select * from {view}"), &[], None)
            .unwrap_or_else(|e| panic!("{view}: {e}"));
    }
    let kind = |r: cohortdb::Result<Collect>| r.err().map(|e| e.kind_name());
    assert_eq!(
        kind(run_query(
            &mut store,
            "delete from cohort_records",
            &[],
            None
        )),
        Some("read_only")
    );
    assert_eq!(
        kind(run_query(&mut store, "select 1; select 2", &[], None)),
        Some("read_only")
    );
    assert_eq!(
        kind(run_query(&mut store, "-- nothing", &[], None)),
        Some("read_only")
    );
    assert_eq!(
        kind(run_query(&mut store, "select :a", &[], None)),
        Some("usage")
    );
    assert_eq!(
        kind(run_query(&mut store, "select 1", &[("b", "1")], None)),
        Some("usage")
    );
    let stopped = run_query(
        &mut store,
        "select pg_sleep(5)::text",
        &[],
        Some(std::time::Duration::from_millis(100)),
    )
    .err()
    .expect("stopped");
    assert!(stopped.to_string().contains("--timeout"), "{stopped}");
    let bad = run_query(
        &mut store,
        "select * from membership where ordinal = :o",
        &[("o", "x")],
        None,
    )
    .err()
    .expect("not an integer");
    assert!(bad.to_string().contains("\"x\" is not a int8"), "{bad}");
    // The server still has its one cohort: nothing above wrote.
    let count = run_query(&mut store, "select count(*) as n from cohorts", &[], None).unwrap();
    assert_eq!(count.rows, [[Value::Integer(1)]]);
}

#[test]
fn the_reader_role_queries_and_the_writer_role_cannot_rewrite_history() {
    let tag = format!("{}_{}", std::process::id(), line!());
    let (writer, reader) = (format!("cohortdb_w_{tag}"), format!("cohortdb_r_{tag}"));
    let _roles = Roles(vec![writer.clone(), reader.clone()]);
    let Some(db) = PgDb::create("roles") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = support::fixtures().join("data");
    // The administrator's commands of docs/postgres.md: the owner creates the schema, then
    // grants the writer INSERT and SELECT and the reader SELECT only.
    drop(TeamStore::open(&url(&db)).unwrap());
    let (ok, out) = db.psql(&format!(
        "create role {writer} login; create role {reader} login;
         grant connect on database {name} to {writer}, {reader};
         grant usage on schema public to {writer}, {reader};
         grant select, insert on all tables in schema public to {writer};
         grant select on all tables in schema public to {reader};",
        name = db.name()
    ));
    assert!(ok, "{out}");
    let as_role = |role: &str| db.url.replacen("postgres@", &format!("{role}@"), 1);
    let writer_url = PgUrl::parse(&as_role(&writer)).unwrap();
    let reader_url = PgUrl::parse(&as_role(&reader)).unwrap();
    let mut w = Team::with_mirror(
        TeamStore::open(&writer_url).unwrap(),
        &dir.path().join("w.db"),
    )
    .unwrap();
    w.import_all(&data, &NoProgress)
        .expect("the writer imports");
    let (spec, plan) = alpha(&data);
    w.build(&CohortId::parse("alpha").unwrap(), &spec, &plan, None)
        .expect("the writer builds");

    let mut r = TeamStore::open_existing(&reader_url).expect("the reader connects");
    let rows = run_query(&mut r, "select count(*) as n from membership", &[], None)
        .expect("the reader queries");
    assert_eq!(rows.rows, [[rusqlite::types::Value::Integer(28)]]);
    let mut rt = Team::with_mirror(
        TeamStore::open_existing(&reader_url).unwrap(),
        &dir.path().join("r.db"),
    )
    .expect("the reader syncs a mirror");
    assert!(store_verify(rt.mirror(), "alpha").matches());
    let err = rt.import_file(
        cohortdb::catalog::CatalogKind::LlmModels,
        &{
            let f = dir.path().join("llm.csv");
            std::fs::write(
                &f,
                "id,model,provider,display_name,specialization\nnew,m,p,d,s\n",
            )
            .unwrap();
            f
        },
        &NoProgress,
    );
    let err = err.expect_err("the reader cannot write");
    assert!(err.to_string().contains("permission denied"), "{err}");

    let psql_as = |role: &str, sql: &str| {
        let out = std::process::Command::new("psql")
            .arg(as_role(role))
            .args(["-X", "-q", "-c", sql])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for sql in [
        "update cohort_records set content_hash = 'x'",
        "delete from gen_ids",
        "truncate catalog_llm_models",
        "drop table cohort_members",
        "alter table cohort_members disable trigger all",
    ] {
        let (ok, err) = psql_as(&writer, sql);
        assert!(!ok, "the writer ran {sql}");
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{sql}: {err}"
        );
        let (ok, _) = psql_as(&reader, sql);
        assert!(!ok, "the reader ran {sql}");
    }
    let (ok, err) = psql_as(
        &reader,
        "insert into catalog_llm_models values ('z', 'm', 'p', 'd', 's', null, 9, 1)",
    );
    assert!(!ok && err.contains("permission denied"), "{err}");
}
