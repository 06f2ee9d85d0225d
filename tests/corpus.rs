//! The bad-input corpus (issue 7, D9): every input here must be refused with exit 2 and one
//! `error: …` line naming the problem, without a panic, and leave the store exactly as it was
//! (a hash of every table's rows before and after). Each input is its own test. The store is a
//! copy of one with the fixture catalogs imported and cohort `alpha` built.
//!
//! The inputs a user may expect to work (BOM, line ends, empty files, a symlink inside the spec
//! folder, a 10 MB value) are at the end, as the tests `accepted_*`.

mod support;

use support::Sandbox;

/// Writes `files` into a copy of the baseline sandbox, runs `args`, and checks the refusal.
fn refused(files: &[(&str, &[u8])], args: &[&str], expect: &str) -> Sandbox {
    let sandbox = Sandbox::baseline();
    let before = sandbox.store_digest();
    for (path, content) in files {
        sandbox.write(path, content);
    }
    let err = sandbox.fails(args);
    assert!(
        err.contains(expect),
        "expected {expect:?} in the error of {args:?}:\n{err}"
    );
    assert_eq!(sandbox.store_digest(), before, "{args:?} changed the store");
    sandbox
}

/// One corpus case: `name`, the files to write (path, bytes), the command, and a part of the
/// expected error.
macro_rules! refused {
    ($name:ident, [$(($path:expr, $content:expr)),* $(,)?], [$($arg:expr),+ $(,)?], $expect:expr) => {
        #[test]
        fn $name() {
            refused(&[$(($path, $content.as_ref())),*], &[$($arg),+], $expect);
        }
    };
}

const DRAFTS: &str = "data/1_raw/draft_templates.csv";
const HEADER: &str = "template_id,template_name,description,parser,generator\n";
const SPEC: &str = "data/cohorts/bad/spec/config.yaml";

fn drafts(rows: &str) -> Vec<u8> {
    format!("{HEADER}draft-A,Draft A,First draft template,,llm\n{rows}").into_bytes()
}

/// A complete cohort spec over the fixture catalogs, with `extra` appended (more axes, rules,
/// an output section; `output: {field_order: []}` unless `extra` has one).
fn cohort_spec(extra: &str) -> String {
    let output = if extra.contains("output:") {
        ""
    } else {
        "output: {field_order: []}\n"
    };
    format!(
        "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  \
         essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  \
         evaluation_llm: [judge]\n{extra}{output}"
    )
}

// ---- Catalog files -------------------------------------------------------------------------

refused!(
    catalog_ragged_row_short,
    [(DRAFTS, drafts("draft-C,C,desc\n"))],
    ["import"],
    "draft_templates.csv:3: row has 3 fields but the header has 5"
);
refused!(
    catalog_ragged_row_long,
    [(DRAFTS, drafts("draft-C,C,d,p,llm,extra\n"))],
    ["import"],
    "draft_templates.csv:3: row has 6 fields but the header has 5"
);
refused!(
    catalog_unterminated_quote,
    [(DRAFTS, drafts("draft-C,C,\"open,p,llm\n"))],
    ["import"],
    "draft_templates.csv:3: a quoted field is never closed"
);
refused!(
    catalog_invalid_utf8_value,
    [(
        DRAFTS,
        [drafts(""), b"draft-C,C,\xff\xfe,,llm\n".to_vec()].concat()
    )],
    ["import"],
    "draft_templates.csv:3:3: column \"description\" is not valid UTF-8"
);
refused!(
    catalog_invalid_utf8_header,
    [(DRAFTS, b"template_id,na\xffme\ndraft-A,x\n")],
    ["import"],
    "draft_templates.csv:1:2: invalid UTF-8 in the header"
);
refused!(
    catalog_nul_byte,
    [(DRAFTS, drafts("draft-C,C\0,d,,llm\n"))],
    ["import"],
    "column \"template_name\" contains a NUL byte"
);
refused!(
    catalog_duplicate_header,
    [(DRAFTS, "template_id,description,description\na,b,c\n")],
    ["import"],
    "column \"description\" appears twice in the header"
);
refused!(
    catalog_empty_header_name,
    [(DRAFTS, "template_id,,generator\na,b,llm\n")],
    ["import"],
    "draft_templates.csv:1:2: column 2 has no name"
);
refused!(
    catalog_header_whitespace,
    [(DRAFTS, "template_id, generator\na,llm\n")],
    ["import"],
    "column name \" generator\" has surrounding whitespace"
);
refused!(
    catalog_blank_header_line,
    [(DRAFTS, "\ndraft-A,A,,,llm\n")],
    ["import"],
    "the header line is blank"
);
refused!(
    catalog_missing_key_column,
    [(DRAFTS, "template_name,generator\nA,llm\n")],
    ["import"],
    "missing required column \"template_id\""
);
refused!(
    catalog_missing_llm_id_column,
    [("data/1_raw/llm_models.csv", "model,provider\nm,p\n")],
    ["import"],
    "missing required column \"id\""
);
refused!(
    catalog_id_leading_space,
    [(DRAFTS, drafts(" draft-C,C,d,,llm\n"))],
    ["import"],
    "draft_templates.csv:3:1: template_id \" draft-C\" has leading or trailing whitespace"
);
refused!(
    catalog_id_trailing_tab,
    [(DRAFTS, drafts("draft-C\t,C,d,,llm\n"))],
    ["import"],
    "has leading or trailing whitespace"
);
refused!(
    catalog_id_control_character,
    [(DRAFTS, drafts("draft\u{7}C,C,d,,llm\n"))],
    ["import"],
    "contains a control character"
);
refused!(
    catalog_id_empty,
    [(DRAFTS, drafts(",C,d,,llm\n"))],
    ["import"],
    "draft_templates.csv:3:1: template_id is empty"
);
refused!(
    catalog_id_with_a_slash,
    [(DRAFTS, drafts("../etc,C,d,,llm\n"))],
    ["import"],
    "is not a plain file name"
);
refused!(
    catalog_same_key_twice_with_other_content,
    [(DRAFTS, drafts("draft-C,C,one,,llm\ndraft-C,C,two,,llm\n"))],
    ["import"],
    "appears twice with different content (first at line 3)"
);
refused!(
    catalog_changed_row,
    [(DRAFTS, format!("{HEADER}draft-A,Draft A,Edited,,llm\n"))],
    ["import"],
    "draft_templates.csv:2:3: draft templates row \"draft-A\" changed: column \"description\" is \"First draft template\" in the store"
);
refused!(
    catalog_changed_body,
    [("data/1_raw/templates/draft/draft-A.txt", "an edited body")],
    ["import"],
    "draft templates row \"draft-A\" changed: body is"
);
refused!(
    catalog_added_column,
    [(
        DRAFTS,
        format!(
            "template_id,template_name,description,parser,generator,note\ndraft-A,Draft A,First draft template,,llm,new\n"
        )
    )],
    ["import"],
    "column \"note\" is \"\" in the store"
);
refused!(
    catalog_active_column,
    [(DRAFTS, "template_id,generator,active\ndraft-A,llm,True\n")],
    ["import"],
    "the catalog has the selection column \"active\": selection flags are not catalog data (see docs/decisions.md#d9)"
);
refused!(
    catalog_for_evaluation_column,
    [(
        "data/1_raw/llm_models.csv",
        "id,for_evaluation\njudge,True\n"
    )],
    ["import"],
    "the catalog has the selection column \"for_evaluation\""
);
refused!(
    catalog_replication_bad_stage,
    [(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndrafts,1\n"
    )],
    ["import"],
    "\"drafts\" is not a stage"
);
refused!(
    catalog_replication_zero,
    [(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,0\n"
    )],
    ["import"],
    "\"0\" is not a replicate count"
);
refused!(
    catalog_combo_gains_a_concept,
    [(
        "data/combo_mappings.csv",
        "combo_id,version,concept_id,description_level,k_max,created_at\ncombo-1,v1,tides,paragraph,2,\ncombo-1,v1,markets,paragraph,2,\ncombo-1,v1,waves,paragraph,2,\ncombo-2,v1,markets,sentence,1,\n"
    )],
    ["import"],
    "combo_mappings.csv:4:3: combo mappings: concept \"waves\" is new for combo \"combo-1\""
);
refused!(
    catalog_body_invalid_utf8,
    [("data/1_raw/templates/draft/draft-B.txt", b"\xff\xfe body")],
    ["import"],
    "draft-B.txt: invalid UTF-8"
);
refused!(
    catalog_description_invalid_utf8,
    [(
        "data/1_raw/concepts/descriptions-sentence/tides.txt",
        b"ti\xffdes"
    )],
    ["import"],
    "tides.txt: invalid UTF-8"
);
refused!(
    catalog_unknown_kind,
    [],
    ["import", "templates", "data/1_raw/draft_templates.csv"],
    "unknown catalog kind \"templates\""
);
refused!(
    catalog_missing_file,
    [],
    ["import", "draft-templates", "nope.csv"],
    "nope.csv: no such catalog file"
);

#[test]
fn catalog_file_is_a_directory() {
    let sandbox = Sandbox::baseline();
    let before = sandbox.store_digest();
    std::fs::remove_file(sandbox.path("data/1_raw/llm_models.csv")).unwrap();
    sandbox.write("data/1_raw/llm_models.csv/inside.txt", "x");
    let err = sandbox.fails(&["import"]);
    assert!(
        err.contains("llm_models.csv: is a directory, not a CSV file"),
        "{err}"
    );
    assert_eq!(sandbox.store_digest(), before);
}

// ---- Specs ---------------------------------------------------------------------------------

refused!(
    spec_invalid_yaml,
    [(SPEC, "axes: [\n")],
    ["build", "bad"],
    "invalid YAML"
);
refused!(
    spec_not_a_mapping,
    [(SPEC, "- axes\n")],
    ["build", "bad"],
    "the spec must be a mapping with axes, rules and output, found a list"
);
refused!(
    spec_unknown_top_level_key,
    [(SPEC, cohort_spec("rule: {}\n"))],
    ["build", "bad"],
    "rule: unknown top-level key \"rule\" (see docs/decisions.md#d18)"
);
refused!(
    spec_legacy_replicates_block,
    [(SPEC, cohort_spec("replicates: {draft_template: 2}\n"))],
    ["build", "bad"],
    "replicate axes"
);
refused!(
    spec_duplicate_top_level_key,
    [(SPEC, cohort_spec("output: {}\noutput: {}\n"))],
    ["build", "bad"],
    "duplicate key \"output\""
);
refused!(
    spec_duplicate_axis,
    [(
        SPEC,
        cohort_spec("").replace(
            "  draft_llm: [gen-a]\n",
            "  draft_llm: [gen-a]\n  draft_llm: [gen-b]\n"
        )
    )],
    ["build", "bad"],
    "duplicate key \"draft_llm\""
);
refused!(
    spec_rules_as_a_list,
    [(SPEC, cohort_spec("rules: [{tuple: {}}]\n"))],
    ["build", "bad"],
    "rules: rules must be a mapping of sections"
);
refused!(
    spec_unsupported_rule_section,
    [(SPEC, cohort_spec("rules: {zips: {}}\n"))],
    ["build", "bad"],
    "unsupported rule section \"zips\""
);
refused!(
    spec_subset_of_a_missing_axis,
    [(SPEC, cohort_spec("rules: {subsets: {ghost: [x]}}\n"))],
    ["build", "bad"],
    "rules.subsets.ghost: subset of ghost: axis \"ghost\" does not exist at this point"
);
refused!(
    spec_subset_keeps_nothing,
    [(
        SPEC,
        cohort_spec("rules: {subsets: {draft_llm: [gen-z]}}\n")
    )],
    ["build", "bad"],
    "keeps none of the levels of \"draft_llm\""
);
refused!(
    spec_tie_of_a_missing_axis,
    [(
        SPEC,
        cohort_spec("rules: {ties: {t: [draft_llm, ghost]}}\n")
    )],
    ["build", "bad"],
    "rules.ties.t: tie t: axis \"ghost\" does not exist at this point"
);
refused!(
    spec_tie_without_common_level,
    [(
        SPEC,
        cohort_spec("rules: {ties: {draft_llm: [draft_llm, evaluation_llm]}}\n")
    )],
    ["build", "bad"],
    "no level in common"
);
refused!(
    spec_pair_with_itself,
    [(
        SPEC,
        cohort_spec(
            "rules: {pairs: {p: {left: draft_llm, right: draft_llm, allowed: [[gen-a, gen-a]]}}}\n"
        )
    )],
    ["build", "bad"],
    "pair p: left and right are both \"draft_llm\"; they must differ"
);
refused!(
    spec_pair_value_outside_domain,
    [(
        SPEC,
        cohort_spec(
            "rules: {pairs: {p: {left: evaluation_template, right: evaluation_llm, allowed: [[eval-1, nobody]]}}}\n"
        )
    )],
    ["build", "bad"],
    "right value \"nobody\" is not a level of \"evaluation_llm\""
);
refused!(spec_pair_imbalance, [(SPEC, cohort_spec("  extra: [x, y]\nrules: {pairs: {p: {left: extra, right: evaluation_llm, allowed: [[x, judge]], balance: both}}}\n").replace("evaluation_llm: [judge]", "evaluation_llm: [judge, gen-a]").replace("allowed: [[x, judge]]", "allowed: [[x, judge], [x, gen-a], [y, judge]]"))], ["build", "bad"],
    "rules.pairs.p: pair p: pair imbalance on left: \"x\" ×2, \"y\" ×1");
refused!(
    spec_pair_entry_of_three,
    [(
        SPEC,
        cohort_spec(
            "rules: {pairs: {p: {left: evaluation_template, right: evaluation_llm, allowed: [[eval-1, judge, x]]}}}\n"
        )
    )],
    ["build", "bad"],
    "rules.pairs.p.allowed[0]: pair \"p\": an allowed entry must be a [left, right] pair"
);
refused!(
    spec_tuple_arity,
    [(
        SPEC,
        "axes: {combo_id: [combo-1]}\nrules: {tuples: {t: {axes: [a, b], items: [[x]]}}}\n"
    )],
    ["build", "bad"],
    "rules.tuples.t.items[0]: tuple \"t\": item [\"x\"] does not match its 2 axes [a, b]"
);
refused!(
    spec_tuple_over_a_declared_axis,
    [(
        SPEC,
        cohort_spec("rules: {tuples: {t: {axes: [draft_llm], items: [[gen-a]]}}}\n")
    )],
    ["build", "bad"],
    "tuple \"t\" binds axis \"draft_llm\", which is also declared under axes"
);
refused!(
    spec_tuple_expand,
    [(
        SPEC,
        "axes: {}\nrules: {tuples: {t: {axes: [a], items: [[x]], expand: true}}}\n"
    )],
    ["build", "bad"],
    "rules.tuples.t.expand: tuple \"t\": expand was removed"
);
refused!(
    spec_tuple_without_items,
    [(
        SPEC,
        "axes: {}\nrules: {tuples: {t: {axes: [a], items: []}}}\n"
    )],
    ["build", "bad"],
    "rules.tuples.t.items: tuple \"t\": items is empty"
);
refused!(
    spec_include_missing,
    [(
        SPEC,
        cohort_spec("").replace("[combo-1]", "'@file:missing.txt'")
    )],
    ["build", "bad"],
    "missing.txt does not exist"
);
refused!(
    spec_include_is_a_directory,
    [
        (
            SPEC,
            cohort_spec("").replace("[combo-1]", "'@file:combos.txt'")
        ),
        ("data/cohorts/bad/spec/combos.txt/x.txt", "combo-1\n")
    ],
    ["build", "bad"],
    "combos.txt"
);
refused!(
    spec_include_outside_the_folder,
    [(
        SPEC,
        cohort_spec("").replace("[combo-1]", "'@file:../../alpha/spec/items/essays.csv'")
    )],
    ["build", "bad"],
    "outside the spec folder"
);
refused!(
    spec_include_absolute_path,
    [(
        SPEC,
        cohort_spec("").replace("[combo-1]", "'@file:/etc/hostname.txt'")
    )],
    ["build", "bad"],
    "axes.combo_id: @file:/etc/hostname.txt: absolute paths are not allowed"
);
refused!(
    spec_include_unsupported_extension,
    [
        (
            SPEC,
            cohort_spec("").replace("[combo-1]", "'@file:combos.xlsx'")
        ),
        ("data/cohorts/bad/spec/combos.xlsx", "combo-1")
    ],
    ["build", "bad"],
    "@file:combos.xlsx: unsupported include extension \".xlsx\""
);
refused!(
    spec_include_empty_csv,
    [
        (
            SPEC,
            cohort_spec("").replace("[combo-1]", "'@file:combos.csv'")
        ),
        ("data/cohorts/bad/spec/combos.csv", "")
    ],
    ["build", "bad"],
    "combos.csv:1: an @file CSV needs a header line"
);
refused!(
    spec_include_csv_row_missing_value,
    [
        (
            SPEC,
            "axes: {combo_id: [combo-1]}\nrules: {tuples: {t: {axes: [a, b], items: '@file:t.csv'}}}\n"
        ),
        ("data/cohorts/bad/spec/t.csv", "a,b\nx,\n")
    ],
    ["build", "bad"],
    "t.csv:2:2: the @file CSV row has no value in column \"b\""
);
refused!(
    spec_alias_bomb,
    [(SPEC, alias_bomb())],
    ["build", "bad"],
    "repetition limit exceeded"
);
refused!(
    spec_flow_nesting_thousands_deep,
    [(
        SPEC,
        format!("axes:\n  x: {}{}\n", "[".repeat(50_000), "]".repeat(50_000))
    )],
    ["build", "bad"],
    "nested more than 1000 levels deep"
);
refused!(
    spec_block_nesting_thousands_deep,
    [(SPEC, block_nesting(5000))],
    ["build", "bad"],
    "recursion limit exceeded"
);
refused!(
    spec_integer_beyond_64_bits,
    [(
        SPEC,
        cohort_spec("  draft_replicate: [123456789012345678901234567890]\n")
    )],
    ["build", "bad"],
    "outside the signed 64-bit range"
);
refused!(
    spec_boolean_level,
    [(SPEC, cohort_spec("  flag: [true]\n"))],
    ["build", "bad"],
    "is a boolean"
);
refused!(
    spec_yaml_tag,
    [(SPEC, cohort_spec("  tagged: [!custom x]\n"))],
    ["build", "bad"],
    "YAML tags"
);
refused!(
    spec_product_of_10_to_the_15_rows,
    [(SPEC, huge_product())],
    ["build", "bad"],
    "more than --max-rows 50000000"
);
refused!(
    spec_unknown_output_key,
    [(SPEC, cohort_spec("output: {order: []}\n"))],
    ["build", "bad"],
    "output.order: unknown key \"order\" in output (see docs/decisions.md#d18)"
);
refused!(
    spec_seed_not_an_integer,
    [(SPEC, cohort_spec("output: {field_order: [], seed: soon}\n"))],
    ["build", "bad"],
    "output.seed: output.seed must be an integer, found \"soon\""
);
refused!(
    spec_field_order_names_no_column,
    [(SPEC, cohort_spec("output: {field_order: [ghost_axis]}\n"))],
    ["build", "bad"],
    "output.field_order names undefined field \"ghost_axis\""
);
refused!(
    spec_missing,
    [],
    ["build", "nothing-here"],
    "nothing-here/spec/config.yaml: spec file not found"
);

// ---- Cohort ids (D11) ----------------------------------------------------------------------

refused!(
    cohort_id_with_a_slash,
    [],
    ["build", "a/b"],
    "invalid cohort id \"a/b\""
);
refused!(
    cohort_id_dot_dot,
    [],
    ["build", ".."],
    "invalid cohort id \"..\""
);
refused!(
    cohort_id_with_a_space,
    [],
    ["build", "my cohort"],
    "invalid cohort id \"my cohort\""
);
refused!(
    cohort_id_of_1000_characters,
    [],
    ["build", &"c".repeat(1000)],
    "invalid cohort id \"ccc"
);
refused!(
    cohort_id_empty,
    [],
    ["export", ""],
    "invalid cohort id \"\""
);

// ---- Build ---------------------------------------------------------------------------------

refused!(
    build_ids_missing_from_the_catalogs,
    [(
        SPEC,
        cohort_spec("").replace("[gen-a]\n  essay_template", "[ghost-llm]\n  essay_template")
    )],
    ["build", "bad"],
    "cohort \"bad\": 1 id the spec uses is not in the imported catalogs (see docs/decisions.md#d16)"
);
refused!(
    build_row_without_a_draft_llm,
    [(SPEC, cohort_spec("").replace("  draft_llm: [gen-a]\n", ""))],
    ["build", "bad"],
    "the spec's rows lack 1 field every cohort row needs: draft_llm"
);
refused!(
    build_fractional_replicate,
    [(SPEC, cohort_spec("  draft_replicate: ['1.0']\n"))],
    ["build", "bad"],
    "design row 1: draft_replicate \"1.0\" is not a replicate index"
);
refused!(
    build_changed_cohort_under_its_id,
    [(SPEC, cohort_spec(""))],
    ["build", "alpha", "--spec", SPEC],
    "cohort \"alpha\" already exists with different content; nothing was written"
);
refused!(
    build_essays_differing_only_in_essay_llm,
    [(
        SPEC,
        cohort_spec("").replace("essay_llm: [gen-a]", "essay_llm: [gen-a, gen-b]")
    )],
    ["build", "bad"],
    "2 essay plan entries would share 1 gen_id; a build never collapses them silently (see docs/decisions.md#d2)"
);

// ---- Export, verify, query, migrate ---------------------------------------------------------

refused!(
    export_unknown_cohort,
    [],
    ["export", "ghost"],
    "no cohort \"ghost\" in the store"
);
refused!(
    verify_unknown_cohort,
    [],
    ["verify", "ghost"],
    "no cohort \"ghost\" in the store"
);
refused!(
    query_create,
    [],
    ["query", "create table t (x)"],
    "query is read-only: not authorized: create table t"
);
refused!(
    query_insert,
    [],
    ["query", "insert into cohort_records default values"],
    "query is read-only: not authorized: insert into"
);
refused!(
    query_attach_a_new_file,
    [],
    ["query", "attach database 'new.db' as x"],
    "query is read-only: not authorized: attach database"
);
refused!(
    query_vacuum_into,
    [],
    ["query", "vacuum into 'copy.db'"],
    "query is read-only; this statement would write: vacuum into"
);
refused!(
    query_pragma_write,
    [],
    ["query", "pragma user_version = 7"],
    "query is read-only: not authorized: pragma user_version"
);
refused!(
    query_load_extension,
    [],
    ["query", "select load_extension('/tmp/x.so')"],
    "query is read-only: not authorized to use function: load_extension: select load_extension"
);
refused!(
    query_two_statements,
    [],
    ["query", "select 1; select 2"],
    "query runs exactly one SQL statement"
);
refused!(
    migrate_membership_without_membership,
    [],
    ["migrate", "membership", "alpha", "--out", "out"],
    "membership.csv: no such file"
);

fn alias_bomb() -> String {
    let mut text = String::from("axes:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    text
}

fn block_nesting(depth: usize) -> String {
    let mut text = String::from("axes:\n  x:\n");
    for i in 0..depth {
        text.push_str(&"  ".repeat(i + 2));
        text.push_str("-\n");
    }
    text
}

/// Five axes of 1,000 levels: 10^15 rows.
fn huge_product() -> String {
    let levels = (0..1000)
        .map(|i| format!("v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = String::from("axes:\n");
    for axis in ["a", "b", "c", "d", "e"] {
        text.push_str(&format!("  {axis}: [{levels}]\n"));
    }
    text.push_str("output: {field_order: []}\n");
    text
}

// ---- Also refused: a symlinked include that leaves the spec folder (D6) ----------------------

#[cfg(unix)]
#[test]
fn spec_include_symlink_pointing_out() {
    let sandbox = Sandbox::baseline();
    let before = sandbox.store_digest();
    sandbox.write("outside/combos.txt", "combo-1\n");
    sandbox.write(
        SPEC,
        cohort_spec("").replace("[combo-1]", "'@file:combos.txt'"),
    );
    std::os::unix::fs::symlink(
        sandbox.path("outside/combos.txt"),
        sandbox.path("data/cohorts/bad/spec/combos.txt"),
    )
    .unwrap();
    let err = sandbox.fails(&["build", "bad"]);
    assert!(err.contains("outside the spec folder"), "{err}");
    assert_eq!(sandbox.store_digest(), before);
}

#[test]
fn a_nul_in_a_cohort_id_is_refused_by_the_library() {
    // argv cannot carry a NUL, so this is checked where ids are parsed.
    let err = cohortdb::cohort::CohortId::parse("a\0b").expect_err("NUL");
    assert!(err.to_string().contains("cohort id"), "{err}");
}

// ---- Accepted (D9) ---------------------------------------------------------------------------

/// Imports `content` as the draft catalog into a fresh store; returns the stored rows.
fn accepted(content: &[u8]) -> String {
    let sandbox = Sandbox::empty();
    sandbox.write(DRAFTS, content);
    sandbox.ok(&["import"]);
    sandbox.query("select template_id, description from templates order by template_id")
}

#[test]
fn accepted_bom_is_stripped() {
    let rows = accepted(b"\xEF\xBB\xBFtemplate_id,description\nd,x\n");
    assert_eq!(rows, "template_id,description\nd,x\n");
}

#[test]
fn accepted_crlf_lf_and_mixed_line_ends() {
    let expected = "template_id,description\na,x\nb,y\n";
    assert_eq!(
        accepted(b"template_id,description\r\na,x\r\nb,y\r\n"),
        expected
    );
    assert_eq!(accepted(b"template_id,description\na,x\nb,y\n"), expected);
    assert_eq!(
        accepted(b"template_id,description\r\na,x\nb,y\r\n"),
        expected
    );
    assert_eq!(accepted(b"template_id,description\ra,x\rb,y"), expected);
}

#[test]
fn accepted_header_only_and_empty_files() {
    assert_eq!(
        accepted(b"template_id,description\n"),
        "template_id,description\n"
    );
    assert_eq!(accepted(b""), "template_id,description\n");
}

#[cfg(unix)]
#[test]
fn accepted_symlinked_include_inside_the_spec_folder() {
    let sandbox = Sandbox::baseline();
    sandbox.write("data/cohorts/ok/spec/lists/combos.txt", "combo-1\n");
    sandbox.write(
        "data/cohorts/ok/spec/config.yaml",
        cohort_spec("").replace("[combo-1]", "'@file:combos.txt'"),
    );
    std::os::unix::fs::symlink(
        "lists/combos.txt",
        sandbox.path("data/cohorts/ok/spec/combos.txt"),
    )
    .unwrap();
    sandbox.ok(&["build", "ok"]);
}

/// Runs the binary and returns its peak resident memory in KiB (wait4's ru_maxrss).
#[cfg(unix)]
#[test]
fn accepted_a_10_mb_single_line_value_with_bounded_memory() {
    let sandbox = Sandbox::empty();
    let value = "x".repeat(10 << 20);
    sandbox.write(DRAFTS, format!("template_id,description\nbig,{value}\n"));
    let peak = support::peak_kib(&sandbox, &["import"]);
    // The value is held a few times (record, row, statement), never unboundedly.
    assert!(peak < 200 * 1024, "peak {peak} KiB");
    let length = sandbox.query("select length(description) from templates");
    assert_eq!(length, format!("length(description)\n{}\n", 10 << 20));
}
