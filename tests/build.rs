//! `cohortdb build` and `cohortdb cohorts` on the fixture data root: members and gen_ids,
//! validation (D15, D16), refusals (D2, D11, D14), and the membership / cohorts views.

mod support;

use support::Sandbox;

fn built() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["import"]);
    s
}

#[test]
fn builds_members_in_reference_order_with_reference_gen_ids() {
    let s = built();
    let out = s.ok(&["build", "alpha"]);
    assert!(
        out.contains("cohort alpha: built")
            && out.contains("drafts        4")
            && out.contains("evaluations   16"),
        "{out}"
    );
    let members = s.query("select stage, count(*) as n from membership where cohort_id = 'alpha' group by stage order by min(ordinal)");
    assert_eq!(members, "stage,n\ndraft,4\nessay,8\nevaluation,16\n");
    // Every gen_id is the reference's function of its signature (docs/reference.md §3.9).
    let check = s.query(
        "select count(*) from membership where cohort_id = 'alpha' and gen_id <> gen_id(stage, case stage
           when 'draft' then gen_signature(combo_id, template_id, llm_model_id, replicate)
           when 'essay' then gen_signature(parent_gen_id, template_id, replicate)
           else gen_signature(parent_gen_id, template_id, llm_model_id, replicate) end)",
    );
    assert_eq!(check, "count(*)\n0\n");
    // Drafts first, parents before children, essays carry their draft's combo.
    let first = s.query("select ordinal, stage, parent_gen_id is null, combo_id, replicate from membership where cohort_id = 'alpha' and ordinal in (0, 3, 4, 12) order by ordinal");
    assert_eq!(
        first,
        "ordinal,stage,parent_gen_id is null,combo_id,replicate\n0,draft,1,combo-1,1\n3,draft,1,combo-2,2\n4,essay,0,combo-1,1\n12,evaluation,0,combo-1,1\n"
    );
    let listing = s.ok(&["cohorts"]);
    assert!(
        listing.contains("alpha") && listing.contains("16"),
        "{listing}"
    );
    assert_eq!(
        s.query("select cohort_id, drafts, essays, evaluations from cohorts"),
        "cohort_id,drafts,essays,evaluations\nalpha,4,8,16\n"
    );
}

#[test]
fn the_reference_cohort_cartesian_vector_holds() {
    // docs/reference.md §3.17: the cohort_cartesian fixture as cohort spec-cohort, written out here.
    let s = Sandbox::empty();
    s.write(
        "data/1_raw/draft_templates.csv",
        "template_id,generator\ndraft-A,llm\n",
    );
    s.write(
        "data/1_raw/essay_templates.csv",
        "template_id,generator\nessay-X,llm\nessay-Y,copy\n",
    );
    s.write(
        "data/1_raw/evaluation_templates.csv",
        "template_id,generator\neval-1,llm\n",
    );
    s.write(
        "data/1_raw/llm_models.csv",
        "id\ndraft-llm\nessay-llm\neval-llm\n",
    );
    s.write(
        "data/combo_mappings.csv",
        "combo_id,concept_id\ncombo-1,c\n",
    );
    s.write(
        "data/cohorts/spec-cohort/spec/config.yaml",
        "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [draft-llm]\n  draft_template_replicate: ['1', '2']\n  essay_template_replicate: ['1', '2']\n  evaluation_template: [eval-1]\n  evaluation_llm: [eval-llm]\nrules:\n  tuples:\n    essay_bundle:\n      axes: [essay_template, essay_llm]\n      items: [[essay-X, essay-llm], [essay-Y, essay-llm]]\n  pairs:\n    evaluation_bundle: {left: evaluation_template, right: evaluation_llm, allowed: [[eval-1, eval-llm]]}\noutput:\n  field_order: [combo_id, draft_template, draft_llm, draft_template_replicate, essay_template, essay_llm, essay_template_replicate, evaluation_template, evaluation_llm]\n",
    );
    s.ok(&["import"]);
    s.ok(&["build", "spec-cohort"]);
    let ids = s.query("select gen_id from membership order by ordinal");
    let expected = [
        "d_3rdru73r8ppaqlsz",
        "d_1ft3vdc1tduj8b2a",
        "e_3p5jidm7056q95x9",
        "e_tx3ey0d11lgtnog",
        "e_1jro6qiuaxj6vgjy",
        "e_wbr370x8ge0usq6",
        "e_3h7t9i3a7d7cg20u",
        "e_bjuccmhdoachnq3",
        "e_1cuamg8hi59vw8wv",
        "e_br7o7m5ko1wxq0z",
        "v_d6witcypvut8jo2",
        "v_4hpsgdmji3faed1e",
        "v_562pcl197k6lcom9",
        "v_3a5j5hbjba7cfzbv",
        "v_30ij3m93yfbvcd28",
        "v_5gspo8nonoo2c13t",
        "v_1kc0loacs1d09mqh",
        "v_19wp3qfo498imvqd",
    ];
    assert_eq!(ids, format!("gen_id\n{}\n", expected.join("\n")));
    s.ok(&["export", "spec-cohort"]);
    assert!(
        s.read("data/gens/essay/e_tx3ey0d11lgtnog/metadata.json")
            .contains("\"mode\": \"copy\"")
    );
    assert_eq!(
        s.read("data/gens/draft/d_3rdru73r8ppaqlsz/metadata.json"),
        "{\n  \"stage\": \"draft\",\n  \"gen_id\": \"d_3rdru73r8ppaqlsz\",\n  \"origin_cohort_id\": \"spec-cohort\",\n  \"mode\": \"llm\",\n  \"template_id\": \"draft-A\",\n  \"combo_id\": \"combo-1\",\n  \"llm_model_id\": \"draft-llm\",\n  \"replicate\": 1\n}"
    );
    assert_eq!(
        s.read("data/cohorts/spec-cohort/manifest.json"),
        "{\n  \"combos\": [\n    \"combo-1\"\n  ],\n  \"templates\": {\n    \"draft\": [\n      \"draft-A\"\n    ],\n    \"essay\": [\n      \"essay-X\",\n      \"essay-Y\"\n    ],\n    \"evaluation\": [\n      \"eval-1\"\n    ]\n  },\n  \"llms\": {\n    \"generation\": [\n      \"draft-llm\"\n    ],\n    \"evaluation\": [\n      \"eval-llm\"\n    ]\n  },\n  \"replication\": {}\n}",
        "no replication config imported: an empty object (D10)"
    );
}

#[test]
fn rebuilding_the_same_content_is_unchanged_even_with_other_formatting() {
    let s = built();
    s.ok(&["build", "alpha"]);
    let digest = s.store_digest();
    let spec = s.read("data/cohorts/alpha/spec/config.yaml");
    // Comments, quoting and key order where order means nothing do not change the content (D12).
    let reformatted = format!("# reformatted\n{}", spec.replace("[eval-1, judge]", "['eval-1', \"judge\"]").replace("  pairs:\n    evaluation:\n      left: evaluation_template\n      right: evaluation_llm\n", "  pairs:\n    evaluation:\n      right: evaluation_llm\n      left: evaluation_template\n"));
    assert_ne!(reformatted, spec);
    s.write("data/cohorts/alpha/spec/config.yaml", &reformatted);
    let out = s.ok(&["build", "alpha"]);
    assert!(
        out.contains("unchanged") && out.contains("only in formatting"),
        "{out}"
    );
    assert_eq!(s.store_digest(), digest);
}

#[test]
fn a_different_result_under_an_existing_id_is_refused_with_what_changed() {
    let s = built();
    s.ok(&["build", "alpha"]);
    let digest = s.store_digest();
    let spec = s.read("data/cohorts/alpha/spec/config.yaml");
    s.write(
        "data/cohorts/alpha/spec/config.yaml",
        spec.replace(
            "draft_replicate: ['1', '2']",
            "draft_replicate: ['1', '2', '3']",
        ),
    );
    let err = s.fails(&["build", "alpha"]);
    assert!(
        err.contains("cohort \"alpha\" already exists with different content"),
        "{err}"
    );
    assert!(err.contains("draft members: 2 added, 0 removed"), "{err}");
    assert!(err.contains("spec: its content changed"), "{err}");
    assert!(err.contains("alpha-v2"), "{err}");
    assert_eq!(s.store_digest(), digest);
    // The same spec under a new id is fine and shares the gen_ids it has in common.
    s.ok(&["build", "alpha-v2", "--spec", "data/cohorts/alpha/spec"]);
    let shared = s.query("select count(*) from membership a join membership b on a.gen_id = b.gen_id where a.cohort_id = 'alpha' and b.cohort_id = 'alpha-v2'");
    assert_eq!(shared, "count(*)\n28\n");
}

#[test]
fn every_missing_id_of_every_kind_is_reported_and_nothing_is_stored() {
    let s = built();
    s.write(
        "data/cohorts/bad/spec/config.yaml",
        "axes:\n  combo_id: [combo-1, ghost-combo]\n  draft_template: [draft-A, ghost-draft]\n  draft_llm: [ghost-llm]\n  essay_template: [essay-X]\n  essay_llm: [None]\n  evaluation_template: [eval-9]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n",
    );
    let digest = s.store_digest();
    let err = s.fails(&["build", "bad"]);
    for needle in [
        "4 ids the spec uses are not in the imported catalogs",
        "combos (1): \"ghost-combo\" (",
        "cohorts/bad/spec/config.yaml: axes.combo_id[1])",
        "draft templates (1): \"ghost-draft\"",
        "draft LLMs (1): \"ghost-llm\"",
        "evaluation templates (1): \"eval-9\"",
    ] {
        assert!(err.contains(needle), "{needle}\n{err}");
    }
    assert!(
        !err.contains("essay LLMs"),
        "None is accepted as an essay LLM (D16): {err}"
    );
    assert_eq!(s.store_digest(), digest);
}

#[test]
fn a_mistyped_catalog_id_gets_the_nearest_id_of_its_own_catalog() {
    let s = built();
    s.write(
        "data/cohorts/typo/spec/config.yaml",
        "axes:\n  combo_id: [combo-l]\n  draft_template: [draft-a]\n  draft_llm: [gen-a]\n  essay_template: [draft-A]\n  essay_llm: [None]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judg, zzzzzzzz]\noutput: {field_order: []}\n",
    );
    let digest = s.store_digest();
    let err = s.fails(&["build", "typo"]);
    for needle in [
        "typo/spec/config.yaml: axes.combo_id[0]; did you mean \"combo-1\"?)",
        "typo/spec/config.yaml: axes.draft_template[0]; did you mean \"draft-A\"?)",
        "typo/spec/config.yaml: axes.evaluation_llm[0]; did you mean \"judge\"?)",
    ] {
        assert!(err.contains(needle), "{needle}\n{err}");
    }
    // An id of another stage's catalog is not offered, and nothing is offered for what is not near.
    assert!(err.contains("essay templates (1): \"draft-A\" ("), "{err}");
    assert!(
        !err.contains("axes.essay_template[0]; did you mean"),
        "{err}"
    );
    assert!(
        !err.contains("axes.evaluation_llm[1]; did you mean"),
        "{err}"
    );
    assert_eq!(s.store_digest(), digest);
}

#[test]
fn essays_that_differ_only_in_essay_llm_are_refused_d2() {
    let s = built();
    s.write(
        "data/cohorts/collapse/spec/config.yaml",
        "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  essay_template: [essay-X]\n  essay_llm: [gen-a, gen-b]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n",
    );
    let err = s.fails(&["build", "collapse"]);
    assert!(
        err.contains("2 essay plan entries would share 1 gen_id"),
        "{err}"
    );
    assert!(
        err.contains("essay_llm gen-a") && err.contains("essay_llm gen-b"),
        "{err}"
    );
    assert!(err.contains("does not include essay_llm"), "{err}");
    assert_eq!(s.query("select count(*) from cohorts"), "count(*)\n0\n");
}

#[test]
fn entries_that_differ_only_in_letter_case_are_refused_d2() {
    let s = built();
    s.write("data/1_raw/draft_templates.csv", "template_id,template_name,description,parser,generator\ndraft-A,Draft A,First draft template,,llm\ndraft-B,Draft B,\"Second, with a comma\",essay_block_lenient,llm\nDRAFT-a,Upper,Shouting,,llm\n");
    s.write("data/1_raw/templates/draft/DRAFT-a.txt", "x");
    s.ok(&["import"]);
    s.write(
        "data/cohorts/case/spec/config.yaml",
        "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A, DRAFT-a]\n  draft_llm: [gen-a]\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n",
    );
    let err = s.fails(&["build", "case"]);
    assert!(
        err.contains("2 draft plan entries would share 1 gen_id"),
        "{err}"
    );
    assert!(err.contains("letter case"), "{err}");
}

#[test]
fn a_gen_id_an_earlier_cohort_issued_with_other_values_is_refused_d2() {
    let s = built();
    let cohort = |llm: &str| {
        format!(
            "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  essay_template: [essay-X]\n  essay_llm: [{llm}]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {{field_order: []}}\n"
        )
    };
    s.write("data/cohorts/first/spec/config.yaml", cohort("gen-a"));
    s.write("data/cohorts/second/spec/config.yaml", cohort("gen-b"));
    s.ok(&["build", "first"]);
    let err = s.fails(&["build", "second"]);
    assert!(
        err.contains("1 member reuses gen_ids that earlier cohorts issued with different values"),
        "{err}"
    );
    assert!(
        err.contains("llm_model_id gen-a (cohort first) vs gen-b here"),
        "{err}"
    );
    // The same values reuse the ids.
    s.write("data/cohorts/third/spec/config.yaml", cohort("gen-a"));
    s.ok(&["build", "third"]);
    assert_eq!(
        s.query("select count(*) from membership a join membership b using (gen_id) where a.cohort_id = 'first' and b.cohort_id = 'third'"),
        "count(*)\n3\n"
    );
}

#[test]
fn an_empty_cohort_is_refused_d15() {
    let s = built();
    s.write(
        "data/cohorts/empty/spec/config.yaml",
        "axes:\n  combo_id: []\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n",
    );
    let err = s.fails(&["build", "empty"]);
    assert!(
        err.contains("zero rows") && err.contains("(see docs/decisions.md#d15)"),
        "{err}"
    );
}

#[test]
fn missing_fields_and_bad_replicates_are_refused() {
    let s = built();
    s.write("data/cohorts/nollm/spec/config.yaml", "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n");
    let err = s.fails(&["build", "nollm"]);
    assert!(
        err.contains("draft_llm (a column named draft_llm or draft_model or generation_llm)"),
        "{err}"
    );
    s.write("data/cohorts/blank/spec/config.yaml", "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: ['  ']\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n");
    let err = s.fails(&["build", "blank"]);
    assert!(
        err.contains("design row 1 has no value for draft_llm"),
        "{err}"
    );
    s.write("data/cohorts/badrep/spec/config.yaml", "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  draft_replicate: ['1.0']\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n");
    let err = s.fails(&["build", "badrep"]);
    assert!(
        err.contains("draft_replicate \"1.0\" is not a replicate index"),
        "{err}"
    );
    s.write("data/cohorts/zerorep/spec/config.yaml", "axes:\n  combo_id: [combo-1]\n  draft_template: [draft-A]\n  draft_llm: [gen-a]\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  essay_rep: [0]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\noutput: {field_order: []}\n");
    let err = s.fails(&["build", "zerorep"]);
    assert!(
        err.contains("essay_rep 0 is not a replicate index"),
        "{err}"
    );
}

#[test]
fn aliases_and_fallback_replicate_columns_are_read_like_the_reference() {
    let s = built();
    s.write("data/cohorts/alias/spec/config.yaml", "axes:\n  combo: [combo-1]\n  draft_template: [draft-A]\n  generation_llm: [gen-b]\n  draft_rep: [' 2 ']\n  essay_template: [essay-X]\n  essay_llm: [gen-a]\n  evaluation_template: [eval-1]\n  evaluation_llm: [judge]\n  evaluation_llm_replicate: [3]\noutput: {field_order: []}\n");
    s.ok(&["build", "alias"]);
    assert_eq!(
        s.query("select stage, combo_id, llm_model_id, replicate from membership where cohort_id = 'alias' order by ordinal"),
        "stage,combo_id,llm_model_id,replicate\ndraft,combo-1,gen-b,2\nessay,combo-1,gen-a,1\nevaluation,combo-1,judge,3\n"
    );
}

#[test]
fn bad_cohort_ids_are_refused_before_anything_is_read() {
    let s = built();
    for id in [
        "../alpha",
        "spec cohort",
        "a/b",
        ".hidden",
        &"x".repeat(1000),
    ] {
        let err = s.fails(&["build", id, "--spec", "data/cohorts/alpha/spec"]);
        assert!(err.contains("invalid cohort id"), "{id}: {err}");
    }
    assert_eq!(s.query("select count(*) from cohorts"), "count(*)\n0\n");
    let err = s.fails(&["build", "nonexistent"]);
    assert!(
        err.contains("data/cohorts/nonexistent/spec/config.yaml: spec file not found"),
        "{err}"
    );
}

#[test]
fn the_effective_seed_is_part_of_the_record() {
    let s = built();
    s.ok(&["build", "alpha", "--seed", "7"]);
    let order_seeded =
        s.query("select gen_id from membership where cohort_id = 'alpha' order by ordinal");
    s.ok(&["build", "alpha-plain", "--spec", "data/cohorts/alpha/spec"]);
    let order_plain =
        s.query("select gen_id from membership where cohort_id = 'alpha-plain' order by ordinal");
    assert_ne!(
        order_seeded, order_plain,
        "the shuffle changes the member order"
    );
    let sorted = |t: &str| {
        let mut v: Vec<&str> = t.lines().collect();
        v.sort();
        v.join("\n")
    };
    assert_eq!(
        sorted(&order_seeded),
        sorted(&order_plain),
        "but never the gen_ids"
    );
    let err = s.fails(&["build", "alpha", "--seed", "8"]);
    assert!(err.contains("seed: Some(7) stored, Some(8) now"), "{err}");
    let out = s.ok(&["build", "alpha", "--seed", "7"]);
    assert!(out.contains("unchanged"));
}

#[test]
fn a_refused_first_build_leaves_no_store_behind() {
    let s = Sandbox::new();
    s.write(
        "data/cohorts/bad/spec/config.yaml",
        "axes: {a: [x]}\noutput: {field_order: []}\n",
    );
    s.fails(&["build", "bad"]);
    assert!(!s.db().exists());
}

#[test]
fn a_registered_gen_id_with_another_signature_takes_the_next_collision_index_d1() {
    let s = built();
    // Seed the registry with a foreign signature on the id alpha's first draft would get.
    let first_draft = "d_agoots5ys4g42xz";
    s.ok(&["init"]);
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute(
        "insert into gen_ids (gen_id, signature_digest, collision_index, cohort_no, ordinal) values (?1, x'00', 0, 0, 0)",
        [first_draft],
    )
    .unwrap();
    drop(conn);
    s.ok(&["build", "alpha"]);
    let drafts = s.query("select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' order by ordinal");
    let bumped =
        s.query("select gen_id('draft', gen_signature('combo-1', 'draft-A', 'gen-a', 1), 1)");
    let bumped = bumped.lines().nth(1).unwrap();
    assert!(bumped.ends_with("-1"));
    assert_eq!(drafts.lines().nth(1), Some(bumped), "{drafts}");
    // Its essays are signed with the bumped id.
    let parents = s.query(&format!(
        "select count(*) from membership where cohort_id = 'alpha' and parent_gen_id = '{bumped}'"
    ));
    assert_eq!(parents, "count(*)\n2\n");
    assert_eq!(
        s.query(&format!(
            "select collision_index from gen_ids where gen_id = '{bumped}'"
        )),
        "collision_index\n1\n"
    );
    // verify recomputes with the registry as it was before the build.
    let out = s.ok(&["verify", "alpha", "--store-only"]);
    assert!(out.contains("result: ok"), "{out}");
}

fn content_hash(s: &Sandbox, id: &str) -> String {
    s.query(&format!(
        "select content_hash from cohorts where cohort_id = '{id}'"
    ))
}

#[test]
fn the_content_hash_covers_the_id_the_members_and_the_referenced_catalog_rows() {
    let s = built();
    s.ok(&["build", "alpha"]);
    s.ok(&["build", "alpha2", "--spec", "data/cohorts/alpha/spec"]);
    assert_ne!(
        content_hash(&s, "alpha"),
        content_hash(&s, "alpha2"),
        "the cohort id is part of the hash"
    );
    let reference = content_hash(&s, "alpha");

    // The same cohort against catalogs whose unreferenced rows differ: the same hash.
    let other = Sandbox::new();
    other.write(
        "data/1_raw/llm_models.csv",
        format!(
            "{}unused,x,y,z,w\n",
            other.read("data/1_raw/llm_models.csv")
        ),
    );
    other.ok(&["import"]);
    other.ok(&["build", "alpha"]);
    assert_eq!(content_hash(&other, "alpha"), reference);

    // A referenced row with other content (a template body): another hash, same members.
    let changed = Sandbox::new();
    changed.write("data/1_raw/templates/draft/draft-A.txt", "another body");
    changed.ok(&["import"]);
    changed.ok(&["build", "alpha"]);
    assert_ne!(content_hash(&changed, "alpha"), reference);
    assert_eq!(
        changed.query("select gen_id from membership order by ordinal"),
        s.query("select gen_id from membership where cohort_id = 'alpha' order by ordinal")
    );

    // Another member set: another hash.
    let fewer = Sandbox::new();
    fewer.ok(&["import"]);
    let spec = fewer.read("data/cohorts/alpha/spec/config.yaml");
    fewer.write(
        "data/cohorts/alpha/spec/config.yaml",
        spec.replace("[combo-1, combo-2]", "[combo-1]"),
    );
    fewer.ok(&["build", "alpha"]);
    assert_ne!(content_hash(&fewer, "alpha"), reference);
}
