//! `cohortdb import` and `cohortdb query` on the repository's own fixture catalogs.

mod support;

use support::Sandbox;

#[test]
fn imports_every_catalog_of_the_layout_then_nothing_the_second_time() {
    let s = Sandbox::new();
    let first = s.ok(&["import"]);
    assert!(first.contains("imported 17 rows in 7 batches"), "{first}");
    assert!(first.contains("combo mappings"));
    let digest = s.store_digest();
    let bytes = std::fs::read(s.db()).unwrap();
    let second = s.ok(&["import"]);
    assert!(second.contains("nothing new"), "{second}");
    assert!(
        second.contains("llm models                   0 added        3 unchanged"),
        "{second}"
    );
    assert_eq!(s.store_digest(), digest);
    assert_eq!(
        std::fs::read(s.db()).unwrap(),
        bytes,
        "a no-op import leaves the store byte-identical"
    );
}

#[test]
fn keeps_text_exactly_bodies_descriptions_and_extra_columns() {
    let s = Sandbox::new();
    s.write(
        "data/1_raw/llm_models.csv",
        "id,model,notes\n01,route/01,None\nNA,route/na,\n",
    );
    s.ok(&["import"]);
    assert_eq!(
        s.query("select id, model from llm_models order by id"),
        "id,model\n01,route/01\nNA,route/na\n"
    );
    assert_eq!(
        s.query("select extra from catalog_llm_models where id = '01'"),
        "extra\n\"{\"\"notes\"\":\"\"None\"\"}\"\n"
    );
    assert_eq!(
        s.query("select body from templates where template_id = 'draft-A'"),
        "body\n\"Draft A body: {{ concepts }}\n\"\n"
    );
    assert_eq!(
        s.query("select count(*) from templates where body is null"),
        "count(*)\n4\n"
    );
    let descriptions = s.query("select concept_id, level from concept_descriptions");
    assert_eq!(descriptions, "concept_id,level\ntides,paragraph\n");
    assert_eq!(
        s.query(
            "select template_id, generator from templates where stage = 'evaluation' order by 1"
        ),
        "template_id,generator\neval-1,llm\neval-2,\n"
    );
}

#[test]
fn import_kind_file_reads_bodies_next_to_the_file() {
    let s = Sandbox::empty();
    s.write("elsewhere/drafts.csv", "template_id,generator\nt1,llm\n");
    s.write("elsewhere/templates/draft/t1.txt", "body of t1");
    s.write("elsewhere/templates/draft/orphan.txt", "no row");
    let out = s.run(&["import", "draft-templates", "elsewhere/drafts.csv"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("orphan.txt") && stderr.contains("skipped"),
        "{stderr}"
    );
    assert_eq!(
        s.query("select template_id, body from templates"),
        "template_id,body\nt1,body of t1\n"
    );
    let quiet = s
        .cmd()
        .args(["-q", "import", "draft-templates", "elsewhere/drafts.csv"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty(), "--quiet hides warnings");
}

#[test]
fn unknown_kind_and_missing_file_are_usage_errors() {
    let s = Sandbox::new();
    let err = s.fails(&["import", "templates", "data/1_raw/draft_templates.csv"]);
    assert!(err.contains("unknown catalog kind \"templates\""), "{err}");
    let err = s.fails(&["import", "llm-models", "nope.csv"]);
    assert!(err.contains("nope.csv"), "{err}");
}

#[test]
fn a_changed_row_is_refused_with_file_line_column_old_and_new_and_nothing_is_written() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let digest = s.store_digest();
    s.write("data/1_raw/llm_models.csv", "id,model,provider,display_name,specialization\ngen-a,vendor/gen-a,vendor,Gen A,general\ngen-b,vendor/CHANGED,vendor,Gen B,general\njudge,vendor/judge,vendor,Judge,evaluation\nnew,vendor/new,vendor,New,general\n");
    let err = s.fails(&["import"]);
    assert!(err.contains("llm_models.csv:3:2"), "{err}");
    assert!(
        err.contains("\"gen-b\" changed: column \"model\" is \"vendor/gen-b\""),
        "{err}"
    );
    assert!(err.contains("\"vendor/CHANGED\" here"), "{err}");
    // Like every error's hints, the append-only hint is the last line, once.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[lines.len() - 2], "  nothing was imported", "{err}");
    assert!(
        lines[lines.len() - 1]
            .starts_with("  hint: catalog rows are append-only (see docs/decisions.md#d9)"),
        "{err}"
    );
    assert_eq!(err.matches("append-only").count(), 1, "{err}");
    assert_eq!(s.store_digest(), digest);
    assert_eq!(
        s.query("select count(*) from llm_models where id = 'new'"),
        "count(*)\n0\n"
    );
}

#[test]
fn a_changed_body_or_added_column_is_a_change() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    s.write("data/1_raw/templates/draft/draft-A.txt", "a new body");
    let err = s.fails(&["import"]);
    assert!(
        err.contains("body is \"Draft A body: {{ concepts }}\\n\""),
        "{err}"
    );
    s.write(
        "data/1_raw/templates/draft/draft-A.txt",
        "Draft A body: {{ concepts }}\n",
    );
    s.write("data/1_raw/llm_models.csv", "id,model,provider,display_name,specialization,owner\ngen-a,vendor/gen-a,vendor,Gen A,general,me\n");
    let err = s.fails(&["import"]);
    assert!(err.contains("column \"owner\" is \"\""), "{err}");
    // An added column that is empty for existing rows changes nothing.
    s.write("data/1_raw/llm_models.csv", "id,model,provider,display_name,specialization,owner\ngen-a,vendor/gen-a,vendor,Gen A,general,\nx,m,p,d,s,me\n");
    let out = s.ok(&["import"]);
    assert!(
        out.contains("llm models                   1 added        1 unchanged"),
        "{out}"
    );
}

#[test]
fn a_combo_names_a_fixed_concept_set() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let digest = s.store_digest();
    s.write(
        "data/combo_mappings.csv",
        "combo_id,version,concept_id,description_level,k_max,created_at\ncombo-1,v1,tides,paragraph,2,\ncombo-1,v1,markets,paragraph,2,\ncombo-1,v1,volcanoes,paragraph,2,\n",
    );
    let err = s.fails(&["import"]);
    assert!(
        err.contains("combo_mappings.csv:4:3")
            && err.contains("\"volcanoes\" is new for combo \"combo-1\""),
        "{err}"
    );
    assert_eq!(s.store_digest(), digest);
    // A combo new to the store may have any concepts, even ones not in the concepts catalog.
    s.write(
        "data/combo_mappings.csv",
        "combo_id,version,concept_id,description_level,k_max,created_at\ncombo-3,v1,volcanoes,paragraph,2,\ncombo-3,v1,ghost-concept,paragraph,2,\n",
    );
    s.ok(&["import"]);
    assert_eq!(
        s.query("select count(*) from combo_mappings where combo_id = 'combo-3'"),
        "count(*)\n2\n"
    );
}

#[test]
fn legacy_selection_columns_are_refused_with_the_way_out() {
    for column in ["active", "for_generation"] {
        let s = Sandbox::new();
        let file = if column == "active" {
            "data/1_raw/draft_templates.csv"
        } else {
            "data/1_raw/llm_models.csv"
        };
        s.write(file, format!("template_id,id,{column}\nt,t,True\n"));
        let err = s.fails(&["import"]);
        assert!(
            err.contains(&format!("selection column \"{column}\"")),
            "{err}"
        );
        assert!(
            err.contains("cohortdb migrate legacy") && err.contains("strip-active"),
            "{err}"
        );
        assert_eq!(
            s.store_digest(),
            "no store",
            "nothing is created by a refused first import"
        );
    }
}

#[test]
fn bad_files_are_refused_with_their_line() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "ragged row",
            b"id,model\na,m\nb,m,extra\n",
            "llm_models.csv:3: row has 3 fields but the header has 2",
        ),
        (
            "missing key column",
            b"model\nm\n",
            "missing required column \"id\"",
        ),
        (
            "empty id",
            b"id,model\n,m\n",
            "llm_models.csv:2:1: id is empty",
        ),
        (
            "duplicate id",
            b"id,model\na,m1\na,m2\n",
            "appears twice with different content (first at line 2)",
        ),
        (
            "invalid utf-8",
            b"id,model\na,\xff\xfe\n",
            "llm_models.csv:2:2: column \"model\" is not valid UTF-8",
        ),
        (
            "unterminated quote",
            b"id,model\na,\"open\nb,m\n",
            "llm_models.csv:2: a quoted field is never closed",
        ),
        ("nul byte", b"id,model\na,m\0x\n", "contains a NUL byte"),
        (
            "leading whitespace id",
            b"id,model\n a,m\n",
            "leading or trailing whitespace",
        ),
        (
            "control character id",
            b"id,model\na\x01b,m\n",
            "control character",
        ),
        (
            "duplicate header",
            b"id,id\na,b\n",
            "column \"id\" appears twice",
        ),
        (
            "empty header name",
            b"id,,x\na,b,c\n",
            "column 2 has no name",
        ),
    ];
    for (what, content, needle) in cases {
        let s = Sandbox::empty();
        s.write("data/1_raw/llm_models.csv", content);
        let err = s.fails(&["import"]);
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[test]
fn accepted_variants_bom_line_ends_identical_repeats_and_empty_files() {
    let s = Sandbox::empty();
    s.write(
        "data/1_raw/llm_models.csv",
        b"\xEF\xBB\xBFid,model\r\na,m\nb,\"x\r\ny\"\rb,\"x\r\ny\"\n",
    );
    s.write("data/1_raw/draft_templates.csv", b"template_id,generator\n");
    s.write("data/1_raw/essay_templates.csv", b"");
    let out = s.ok(&["import"]);
    assert!(
        out.contains("llm models                   2 added        1 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("draft templates              0 added"),
        "{out}"
    );
    assert_eq!(
        s.query("select id from llm_models order by id"),
        "id\na\nb\n"
    );
    assert!(
        out.contains("skipped: "),
        "missing files are said to be skipped: {out}"
    );
}

#[test]
fn replication_rows_are_validated() {
    let s = Sandbox::empty();
    s.write(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,2\nessays,1\n",
    );
    let err = s.fails(&["import"]);
    assert!(
        err.contains("replication_config.csv:3:1: stage \"essays\" is not a stage"),
        "{err}"
    );
    s.write(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,0\n",
    );
    let err = s.fails(&["import"]);
    assert!(err.contains("\"0\" is not a replicate count"), "{err}");
}

#[test]
fn errors_are_collected_in_one_pass() {
    let s = Sandbox::empty();
    s.write("data/1_raw/llm_models.csv", "id,model\n,m\n b,m\nc,m,x\n");
    let err = s.fails(&["import"]);
    assert!(err.contains(":2:1: id is empty"), "{err}");
    assert!(err.contains(":3:1: id \" b\""), "{err}");
    assert!(err.contains(":4: row has 3 fields"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
}

#[test]
fn query_is_read_only_and_formats() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let digest = s.store_digest();
    let attach = format!("attach database '{}' as x", s.path("new.db").display());
    let vacuum = format!("vacuum into '{}'", s.path("copy.db").display());
    for sql in [
        "create table scratch(x)",
        "insert into catalog_llm_models (id, model, provider, display_name, specialization, batch_id, line) values ('x','','','','',1,1)",
        "delete from catalog_llm_models",
        "update catalog_llm_models set model = 'x'",
        "drop view templates",
        "pragma user_version = 3",
        "pragma journal_mode = delete",
        "select load_extension('/tmp/x')",
        "select 1; select 2",
        attach.as_str(),
        vacuum.as_str(),
        "",
    ] {
        let err = s.fails(&["query", sql]);
        assert!(
            err.contains("read-only")
                || err.contains("one SQL statement")
                || err.contains("empty")
                || err.contains("not authorized"),
            "{sql}: {err}"
        );
    }
    assert_eq!(s.store_digest(), digest);
    assert!(!s.path("new.db").exists() && !s.path("copy.db").exists());
    let json = s.ok(&[
        "query",
        "select id, 1 as n, null as z from llm_models order by id limit 2",
        "--format",
        "json",
    ]);
    assert_eq!(
        json,
        "[\n  {\"id\": \"gen-a\", \"n\": 1, \"z\": null},\n  {\"id\": \"gen-b\", \"n\": 1, \"z\": null}\n]\n"
    );
    let jsonl = s.ok(&[
        "query",
        "select name from concepts where concept_id = 'tides'",
        "--format",
        "jsonl",
    ]);
    assert_eq!(jsonl, "{\"name\": \"Tidal Forces\"}\n");
    let table = s.ok(&[
        "query",
        "select id from llm_models order by id",
        "--format",
        "table",
    ]);
    assert!(table.starts_with("id\n-----\ngen-a\n"), "{table}");
    let csv = s.ok(&[
        "query",
        "select description from templates where template_id = 'draft-B'",
    ]);
    assert_eq!(
        csv, "description\n\"Second, with a comma\"\n",
        "csv is the default off a terminal"
    );
}

#[test]
fn query_needs_a_store() {
    let s = Sandbox::new();
    let err = s.fails(&["query", "select 1"]);
    assert!(err.contains("no store at"), "{err}");
    assert!(!s.db().exists());
}

#[test]
fn triggers_make_catalogs_append_only_even_for_raw_sqlite() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    for sql in [
        "delete from catalog_llm_models",
        "update catalog_templates set body = 'x'",
        "delete from import_batches",
        "update catalog_concepts set name = 'x'",
        "delete from catalog_combo_mappings",
        "update catalog_replication set replicates = '9'",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn init_prints_the_store_and_schema_version() {
    let s = Sandbox::empty();
    let out = s.ok(&["init"]);
    assert!(
        out.contains("store.db") && out.contains("schema version: 6"),
        "{out}"
    );
    // Again: the same store and version, nothing created.
    let again = s.ok(&["init"]);
    assert!(!again.contains("created "), "{again}");
    assert_eq!(
        again
            .lines()
            .filter(|l| l.starts_with("store") || l.starts_with("schema"))
            .count(),
        2,
        "{again}"
    );
}
