//! Parity with the reference where differential testing found differences: seeds of any size and
//! integer axis names are accepted as the reference accepts them (docs/decisions.md D23); the
//! refusals of D21 (replication rows) and D22 (non-ASCII digits) say what the reference did.

mod support;

use support::Sandbox;

/// One axis of twelve integer levels: row k of the output is the product index it came from.
const TWELVE: &str =
    "axes:\n  a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\noutput: {field_order: [a]}\n";

/// The product indexes of a compiled CSV, in output order.
fn order(csv: &str) -> Vec<u32> {
    csv.lines()
        .skip(1)
        .map(|l| l.trim_end_matches('\r').parse().unwrap())
        .collect()
}

// Each expected order is CPython 3.11's `r = random.Random(seed); l = list(range(12));
// r.shuffle(l)`.
const BEYOND_I64: &[(&str, [u32; 12])] = &[
    (
        "9223372036854775808",
        [11, 0, 7, 5, 4, 10, 2, 1, 9, 3, 6, 8],
    ),
    (
        "-9223372036854775809",
        [0, 4, 5, 6, 8, 3, 9, 1, 7, 10, 2, 11],
    ),
    (
        "18446744073709551616",
        [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11],
    ),
    (
        "-18446744073709551616",
        [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11],
    ),
    (
        "1234567890123456789012345678901234567890",
        [11, 9, 0, 7, 5, 2, 8, 10, 4, 3, 6, 1],
    ),
];

#[test]
fn compile_takes_seeds_of_any_size_and_shuffles_as_the_reference() {
    let s = Sandbox::empty();
    s.write("spec.yaml", TWELVE);
    for (seed, want) in BEYOND_I64 {
        let out = s.ok(&["compile", "spec.yaml", "--seed", seed]);
        assert_eq!(order(&out), want, "stdout, seed {seed}");
        s.ok(&["compile", "spec.yaml", "--seed", seed, "--out", "rows.csv"]);
        assert_eq!(order(&s.read("rows.csv")), want, "--out, seed {seed}");
    }
    // Zero and small negatives as before.
    let out = s.ok(&["compile", "spec.yaml", "--seed", "-0"]);
    assert_eq!(order(&out), [1, 9, 8, 5, 10, 2, 3, 7, 4, 0, 11, 6]);
    let out = s.ok(&["compile", "spec.yaml", "--seed", "-7"]);
    assert_eq!(order(&out), [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]);
    // sql names the seed it shows.
    let sql = s.ok(&["sql", "spec.yaml", "--seed", "-18446744073709551616"]);
    assert!(
        sql.contains("-- shuffled with seed -18446744073709551616:"),
        "{sql}"
    );
}

#[test]
fn output_seed_may_be_any_integer_in_yaml_or_a_quoted_one_in_json() {
    let s = Sandbox::empty();
    // Beyond 128 bits serde_yaml reads a float; the scalar's own text is the seed.
    s.write(
        "big.yaml",
        TWELVE.replace(
            "[a]}",
            "[a], seed: 1234567890123456789012345678901234567890}",
        ),
    );
    assert_eq!(
        order(&s.ok(&["compile", "big.yaml"])),
        [11, 9, 0, 7, 5, 2, 8, 10, 4, 3, 6, 1]
    );
    s.write(
        "big.json",
        r#"{"axes": {"a": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]},
            "output": {"field_order": ["a"], "seed": "18446744073709551616"}}"#,
    );
    assert_eq!(
        order(&s.ok(&["compile", "big.json"])),
        [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11]
    );
    // --seed still wins over output.seed.
    assert_eq!(
        order(&s.ok(&["compile", "big.json", "--seed", "-7"])),
        [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]
    );
    s.write(
        "float.json",
        r#"{"axes": {"a": [0]}, "output": {"field_order": ["a"], "seed": 123456789012345678901234567890}}"#,
    );
    let err = s.fails(&["compile", "float.json"]);
    assert!(
        err.contains("float.json: output.seed: output.seed must be an integer")
            && err.contains("write the seed as a string"),
        "{err}"
    );
    s.write("frac.yaml", TWELVE.replace("[a]}", "[a], seed: 2.5}"));
    let err = s.fails(&["compile", "frac.yaml"]);
    assert!(
        err.contains("frac.yaml: output.seed: output.seed must be an integer, found 2.5"),
        "{err}"
    );
}

#[test]
fn malformed_seeds_are_usage_errors() {
    let s = Sandbox::empty();
    s.write("spec.yaml", TWELVE);
    // What Python's int() refuses (CPython 3.11 raises ValueError for each).
    for (seed, wanted) in [
        ("1.5", "\"1.5\" is not an integer"),
        ("1__0", "\"1__0\" is not an integer"),
        ("_1", "\"_1\" is not an integer"),
        ("1_", "\"1_\" is not an integer"),
        ("+ 1", "\"+ 1\" is not an integer"),
        ("0x10", "\"0x10\" is not an integer"),
        ("٣", "has non-ASCII digits"),
    ] {
        for command in ["compile", "sql"] {
            let err = s.fails(&[command, "spec.yaml", "--seed", seed]);
            assert!(err.contains("--seed") && err.contains(wanted), "{err}");
        }
    }
    let long = "9".repeat(4301);
    let err = s.fails(&["compile", "spec.yaml", "--seed", &long]);
    assert!(err.contains("a seed of 4301 digits"), "{err}");
    let err = Sandbox::new().fails(&["build", "alpha", "--seed", "0x10"]);
    assert!(err.contains("\"0x10\" is not an integer"), "{err}");
}

#[test]
fn seeds_are_read_as_python_s_int_reads_them() {
    // Python's int() skips whitespace around the number and reads single underscores between
    // digits; each expected order is CPython 3.11's `random.Random(int(text)).shuffle` of 0..12.
    let s = Sandbox::empty();
    s.write("spec.yaml", TWELVE);
    for (spelled, want) in [
        ("7 ", [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
        ("\t+0_7\n", [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
        ("  -3  ", [1, 7, 10, 0, 6, 11, 4, 5, 2, 8, 9, 3]),
        ("1_000", [4, 2, 8, 7, 9, 3, 0, 5, 11, 1, 10, 6]),
    ] {
        assert_eq!(
            order(&s.ok(&["compile", "spec.yaml", "--seed", spelled])),
            want,
            "--seed {spelled:?}"
        );
        let sql = s.ok(&["sql", "spec.yaml", "--seed", spelled]);
        let canonical = spelled
            .trim()
            .replace(['_', '+'], "")
            .trim_start_matches('0')
            .to_string();
        assert!(
            sql.contains(&format!("-- shuffled with seed {canonical}:")),
            "{sql}"
        );
        // output.seed, quoted (an unquoted 1_000 is the text "1_000" to YAML 1.2 too).
        s.write(
            "seeded.yaml",
            TWELVE.replace("[a]}", &format!("[a], seed: {spelled:?}}}")),
        );
        assert_eq!(
            order(&s.ok(&["compile", "seeded.yaml"])),
            want,
            "output.seed {spelled:?}"
        );
    }
    s.write("plain.yaml", TWELVE.replace("[a]}", "[a], seed: 1_000}"));
    assert_eq!(
        order(&s.ok(&["compile", "plain.yaml"])),
        [4, 2, 8, 7, 9, 3, 0, 5, 11, 1, 10, 6]
    );
    s.write("bad.yaml", TWELVE.replace("[a]}", "[a], seed: '1__0'}"));
    let err = s.fails(&["compile", "bad.yaml"]);
    assert!(
        err.contains("bad.yaml: output.seed: output.seed must be an integer, found \"1__0\""),
        "{err}"
    );
    // The record keeps the canonical seed: another spelling of it is the same build.
    let s = Sandbox::new();
    s.ok(&["import"]);
    s.ok(&["build", "alpha", "--seed", " 1_000 "]);
    assert_eq!(
        s.query("select cast(seed as text) as seed from cohort_records"),
        "seed\n1000\n"
    );
    let out = s.ok(&["build", "alpha", "--seed", "1000"]);
    assert!(out.contains("unchanged"), "{out}");
}

#[test]
fn i64_seeds_keep_the_content_hashes_of_earlier_releases() {
    // Built with the release before seeds of any size (the fixture data root): a seed that fits
    // an i64 must hash to the same bytes (docs/hashing.md, `opt_seed`).
    let s = Sandbox::new();
    s.ok(&["import"]);
    s.ok(&["build", "alpha", "--seed", "7"]);
    s.ok(&[
        "build",
        "neg",
        "--spec",
        "data/cohorts/alpha/spec",
        "--seed",
        "-9223372036854775808",
    ]);
    s.ok(&["build", "plain", "--spec", "data/cohorts/alpha/spec"]);
    let hashes = s.query(
        "select cohort_id, spec_hash, content_hash, seed from cohort_records order by cohort_no",
    );
    assert_eq!(
        hashes,
        "cohort_id,spec_hash,content_hash,seed\n\
         alpha,33a7c9f63916ab2a2e33a74fc5884edf9fa5a8c520aa42c7743764ecfa20b34d,685e1bdf54936200a0d0261fc57ed35cce5367225aea2a63b1c1b4c8cb5abb3a,7\n\
         neg,11c5569624de125df4c64a07adfe94be3a9b794926c9d84eccf69d6dccbd2e91,dad9fa7db668ffb392f76b2542733801aa39b5fd714cadcdf0433820a10ccd37,-9223372036854775808\n\
         plain,d9347439898cf15dcc925a3d03c8f98aed55206cb3370b8bb646205e1baef46b,e0601c6f5423b2b0cbd90c40939710e62c1cc38e41a8bf1e5a61c7fbbba6f576,\n"
    );
    // The same seed written differently is the same seed.
    let out = s.ok(&["build", "alpha", "--seed", "+007"]);
    assert!(out.contains("unchanged"), "{out}");
}

#[test]
fn build_stores_verifies_and_exports_a_seed_beyond_64_bits() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let seed = "-340282366920938463463374607431768211457";
    s.ok(&["build", "alpha", "--seed", seed]);
    // Stored as its decimal text (a BLOB: SQLite would turn such text into a lossy REAL).
    assert_eq!(
        s.query("select typeof(seed) as t, cast(seed as text) as seed from cohort_records"),
        format!("t,seed\nblob,{seed}\n")
    );
    let shuffled =
        s.query("select gen_id from membership where cohort_id = 'alpha' order by ordinal");
    s.ok(&["build", "plain", "--spec", "data/cohorts/alpha/spec"]);
    let plain = s.query("select gen_id from membership where cohort_id = 'plain' order by ordinal");
    assert_ne!(shuffled, plain, "the seed shuffles the membership order");
    // Rebuilding with the same seed is a no-op; another seed is a different result.
    let out = s.ok(&["build", "alpha", "--seed", seed]);
    assert!(out.contains("unchanged"), "{out}");
    let err = s.fails(&[
        "build",
        "alpha",
        "--seed",
        "340282366920938463463374607431768211457",
    ]);
    assert!(
        err.contains(&format!(
            "seed: Some({seed}) stored, Some(340282366920938463463374607431768211457) now"
        )),
        "{err}"
    );
    let out = s.ok(&["verify", "alpha", "--store-only"]);
    assert!(out.contains("result: ok"), "{out}");
    s.ok(&["export", "alpha"]);
    let out = s.ok(&["verify", "alpha"]);
    assert!(out.contains("result: ok"), "{out}");
}

#[test]
fn integer_axis_names_are_columns_and_other_keys_are_refused() {
    let s = Sandbox::empty();
    // Rules and field_order name integer axes as integers or as their text.
    s.write(
        "spec.yaml",
        "axes:\n  1: [x, y]\n  2: [p, q]\nrules:\n  subsets: {1: [y]}\n  pairs:\n    9: {left: '1', right: 2, allowed: [[y, q]]}\noutput: {field_order: [2]}\n",
    );
    assert_eq!(s.ok(&["compile", "spec.yaml"]), "2,1\nq,y\n");
    s.ok(&["compile", "spec.yaml", "--out", "rows.jsonl"]);
    assert_eq!(s.read("rows.jsonl"), "{\"2\": \"q\", \"1\": \"y\"}\n");
    for (key, shown) in [("true", "true"), ("1.5", "1.5"), ("null", "null")] {
        s.write(
            "bad.yaml",
            format!("axes:\n  {key}: [x]\noutput: {{field_order: []}}\n"),
        );
        let err = s.fails(&["compile", "bad.yaml"]);
        assert!(
            err.contains(&format!(
                "bad.yaml: axes: axis names must be strings or integers, found {shown}"
            )),
            "{err}"
        );
    }
    s.write(
        "twice.yaml",
        "axes:\n  1: [x]\n  '1': [y]\noutput: {field_order: []}\n",
    );
    let err = s.fails(&["compile", "twice.yaml"]);
    assert!(
        err.contains("twice.yaml: axes.1: axes 1 and \"1\" both name the column 1"),
        "{err}"
    );
}

#[test]
fn a_replication_row_of_an_unknown_stage_says_the_reference_dropped_it() {
    let s = Sandbox::empty();
    s.write(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,2\nDraft,1\n",
    );
    let before = s.store_digest();
    let err = s.fails(&["import"]);
    assert!(
        err.contains("replication_config.csv:3:1: stage \"Draft\" is not a stage")
            && err.contains("the reference silently dropped this row, see docs/decisions.md#d21"),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
    s.write(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,2\nessay,0\n",
    );
    let err = s.fails(&["import"]);
    assert!(
        err.contains("replication_config.csv:3:2: replicates \"0\" is not a replicate count")
            && err.contains("the reference silently dropped this row, see docs/decisions.md#d21"),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
}

#[test]
fn a_replicate_in_other_digits_says_what_the_reference_read() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let spec = s
        .read("data/cohorts/alpha/spec/config.yaml")
        .replace("draft_replicate: ['1', '2']", "draft_replicate: ['1', '٣']");
    s.write("data/cohorts/digits/spec/config.yaml", spec);
    s.write(
        "data/cohorts/digits/spec/items/essays.csv",
        s.read("data/cohorts/alpha/spec/items/essays.csv"),
    );
    let before = s.store_digest();
    let err = s.fails(&["build", "digits"]);
    assert!(
        err.contains("draft_replicate \"٣\" (the reference's int() read this as 3; write 3, see docs/decisions.md#d22)")
            && err.contains("axes.draft_replicate[1]"),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
}

/// A cohort whose replicates are written as the reference's `int()` reads them, beyond 64 bits
/// included (docs/decisions.md D23).
const BIG_REPLICATES: &str = "axes:
  combo_id: [combo-1]
  draft_template: [draft-A]
  draft_llm: [gen-a]
  draft_replicate: ['99999999999999999999']
  essay_template: [essay-X]
  essay_llm: [gen-a]
  essay_replicate: [' 1_0 ', '18446744073709551616']
  evaluation_template: [eval-1]
  evaluation_llm: [judge]
  evaluation_replicate: ['9223372036854775808']
output: {field_order: []}
";

#[test]
fn replicates_beyond_64_bits_build_as_the_reference_builds_them() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    s.write("data/cohorts/big/spec/config.yaml", BIG_REPLICATES);
    // compile copies the levels as written, like the reference CLI.
    s.ok(&["compile", "data/cohorts/big/spec", "--out", "rows.csv"]);
    assert_eq!(
        s.read("rows.csv"),
        "combo_id,draft_template,draft_llm,draft_replicate,essay_template,essay_llm,essay_replicate,evaluation_template,evaluation_llm,evaluation_replicate\r\n\
         combo-1,draft-A,gen-a,99999999999999999999,essay-X,gen-a, 1_0 ,eval-1,judge,9223372036854775808\r\n\
         combo-1,draft-A,gen-a,99999999999999999999,essay-X,gen-a,18446744073709551616,eval-1,judge,9223372036854775808\r\n"
    );
    s.ok(&["compile", "data/cohorts/big/spec", "--out", "rows.jsonl"]);
    assert_eq!(
        s.read("rows.jsonl")
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
            + "\n",
        "{\"combo_id\": \"combo-1\", \"draft_template\": \"draft-A\", \"draft_llm\": \"gen-a\", \
         \"draft_replicate\": \"99999999999999999999\", \"essay_template\": \"essay-X\", \
         \"essay_llm\": \"gen-a\", \"essay_replicate\": \" 1_0 \", \"evaluation_template\": \"eval-1\", \
         \"evaluation_llm\": \"judge\", \"evaluation_replicate\": \"9223372036854775808\"}\n"
    );
    // The gen_ids are the reference's: BLAKE2b-80 of `combo-1|draft-a|gen-a|99999999999999999999`,
    // `<draft>|essay-x|10`, `<essay>|eval-1|judge|9223372036854775808`, … (docs/reference.md §3.9).
    s.ok(&["build", "big"]);
    s.ok(&["export", "big"]);
    assert_eq!(
        s.read("data/cohorts/big/membership.csv"),
        "stage,gen_id\n\
         draft,d_34qwm0jissrqzb88\n\
         essay,e_37v4qoejj0xjtj7o\n\
         essay,e_2zu28hdkuaamdx5a\n\
         evaluation,v_1tpz0ijw7c5o4lqi\n\
         evaluation,v_2ikqt039engpdcvi\n"
    );
    // metadata.json carries the number, as the reference's json.dumps writes an int.
    assert_eq!(
        s.read("data/gens/draft/d_34qwm0jissrqzb88/metadata.json"),
        "{\n  \"stage\": \"draft\",\n  \"gen_id\": \"d_34qwm0jissrqzb88\",\n  \
         \"origin_cohort_id\": \"big\",\n  \"mode\": \"llm\",\n  \"template_id\": \"draft-A\",\n  \
         \"combo_id\": \"combo-1\",\n  \"llm_model_id\": \"gen-a\",\n  \"replicate\": 99999999999999999999\n}"
    );
    for (path, replicate) in [
        ("essay/e_37v4qoejj0xjtj7o", "10"),
        ("essay/e_2zu28hdkuaamdx5a", "18446744073709551616"),
        ("evaluation/v_2ikqt039engpdcvi", "9223372036854775808"),
    ] {
        let meta = s.read(&format!("data/gens/{path}/metadata.json"));
        assert!(
            meta.ends_with(&format!("\"replicate\": {replicate}\n}}")),
            "{meta}"
        );
    }
    let out = s.ok(&["verify", "big"]);
    assert!(out.contains("result: ok"), "{out}");
    // In SQL a replicate beyond 64 bits is the BLOB of its digits; gen_signature reads it.
    assert_eq!(
        s.query(
            "select stage, typeof(replicate) as t, cast(replicate as text) as replicate, \
             gen_id(stage, case stage when 'draft' then gen_signature(combo_id, template_id, llm_model_id, replicate) \
             when 'essay' then gen_signature(parent_gen_id, template_id, replicate) \
             else gen_signature(parent_gen_id, template_id, llm_model_id, replicate) end) = gen_id as same \
             from membership where cohort_id = 'big' order by ordinal"
        ),
        "stage,t,replicate,same\n\
         draft,blob,99999999999999999999,1\n\
         essay,integer,10,1\n\
         essay,blob,18446744073709551616,1\n\
         evaluation,blob,9223372036854775808,1\n\
         evaluation,blob,9223372036854775808,1\n"
    );
    // Reports show the number.
    let show = s.ok(&["show", "big"]);
    assert!(
        show.contains(
            "essay       replicate          2        1        1   1.00  10=1 18446744073709551616=1"
        ),
        "{show}"
    );
    let (_, diff) = s.verdict(&["diff", "data/cohorts/alpha/spec", "big", "--format", "json"]);
    assert!(
        diff.contains("\"replicate\":99999999999999999999")
            || diff.contains("\"replicate\": 99999999999999999999"),
        "{diff}"
    );
    // migrate reads the numbers back from metadata.json and rebuilds the same members.
    let out = s.ok(&[
        "migrate",
        "membership",
        "big",
        "--out",
        "data/cohorts/big-migrated/spec",
        "--check",
    ]);
    assert!(out.ends_with("  result: ok\n"), "{out}");
    // Below 1 is still refused, whatever its size, and the message is true.
    s.write(
        "data/cohorts/neg/spec/config.yaml",
        BIG_REPLICATES.replace("['99999999999999999999']", "['-99999999999999999999']"),
    );
    let before = s.store_digest();
    let err = s.fails(&["build", "neg"]);
    assert!(
        err.contains(
            "draft_replicate \"-99999999999999999999\" is not a replicate index (an integer of at least 1)"
        ),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
}

/// `text` with a UTF-8 byte order mark in front and CRLF line ends, as a Windows editor saves it.
fn windows(text: &str) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(text.replace('\n', "\r\n").into_bytes());
    out
}

#[test]
fn a_leading_bom_is_read_as_the_reference_reads_it() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    let config = s.read("data/cohorts/alpha/spec/config.yaml");
    let essays = s.read("data/cohorts/alpha/spec/items/essays.csv");
    // YAML (the config and a YAML include) skips one leading BOM, LF or CRLF; a CSV include
    // keeps it in its first header name, which is only looked up (docs/decisions.md D20).
    s.write(
        "data/cohorts/plain/spec/config.yaml",
        windows(&config.replace(
            "evaluation_template: [eval-1, eval-2]",
            "evaluation_template: '@file:items/templates.yaml'",
        )),
    );
    s.write(
        "data/cohorts/plain/spec/items/templates.yaml",
        windows("- eval-1\n- eval-2\n"),
    );
    s.write("data/cohorts/plain/spec/items/essays.csv", windows(&essays));
    // The same with LF line ends.
    let lf = |text: &str| [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat();
    s.write(
        "data/cohorts/lf/spec/config.yaml",
        lf(&config.replace(
            "evaluation_template: [eval-1, eval-2]",
            "evaluation_template: '@file:items/templates.yaml'",
        )),
    );
    s.write(
        "data/cohorts/lf/spec/items/templates.yaml",
        lf("- eval-1\n- eval-2\n"),
    );
    s.write("data/cohorts/lf/spec/items/essays.csv", lf(&essays));
    for name in ["alpha", "plain", "lf"] {
        let spec = format!("data/cohorts/{name}/spec");
        s.ok(&["compile", &spec, "--out", &format!("{name}.csv")]);
        s.ok(&["explain", &spec]);
        s.ok(&["sql", &spec]);
    }
    assert_eq!(s.read("alpha.csv"), s.read("plain.csv"));
    assert_eq!(s.read("alpha.csv"), s.read("lf.csv"));
    // The canonical spec, and so every hash, is that of the spec without a BOM: the content
    // hash the earlier releases gave cohort `plain` built from alpha's spec (see
    // i64_seeds_keep_the_content_hashes_of_earlier_releases).
    s.ok(&["build", "plain"]);
    assert_eq!(
        s.query("select spec_hash, content_hash from cohort_records"),
        "spec_hash,content_hash\n\
         d9347439898cf15dcc925a3d03c8f98aed55206cb3370b8bb646205e1baef46b,\
         e0601c6f5423b2b0cbd90c40939710e62c1cc38e41a8bf1e5a61c7fbbba6f576\n"
    );
    // The stored bytes are provenance, BOM included; export writes them back and verify agrees.
    assert_eq!(
        s.query(
            "select path, hex(substr(content, 1, 3)) as head from cohort_spec_files order by path"
        ),
        "path,head\nconfig.yaml,EFBBBF\nitems/essays.csv,EFBBBF\nitems/templates.yaml,EFBBBF\n"
    );
    // The LF copy is the same spec.
    s.ok(&["build", "lf"]);
    assert_eq!(
        s.query("select spec_hash from cohort_records where cohort_id = 'lf'"),
        "spec_hash\nd9347439898cf15dcc925a3d03c8f98aed55206cb3370b8bb646205e1baef46b\n"
    );
    let (code, _) = s.verdict(&["diff", "plain", "data/cohorts/alpha/spec"]);
    assert_eq!(code, 0, "a BOM is no difference");
    s.ok(&["export", "plain"]);
    assert_eq!(
        std::fs::read(s.path("data/cohorts/plain/spec/config.yaml")).unwrap()[..3],
        *b"\xEF\xBB\xBF"
    );
    assert!(s.ok(&["verify", "plain"]).contains("result: ok"));
    let (code, _) = s.verdict(&["status", "plain"]);
    assert_eq!(code, 0);
    // JSON does not allow a BOM (the reference's json.loads refuses it): refused, by name.
    let before = s.store_digest();
    s.write(
        "spec.json",
        windows(r#"{"axes": {"a": ["x"]}, "output": {"field_order": ["a"]}}"#),
    );
    let err = s.fails(&["compile", "spec.json"]);
    assert!(
        err.contains("spec.json:1:1: the file starts with a byte order mark (U+FEFF), which JSON does not allow"),
        "{err}"
    );
    s.write("catalog.json", windows(r#"{"a": ["x"]}"#));
    s.write("a.yaml", "axes: {a: [x]}\noutput: {field_order: [a]}\n");
    let err = s.fails(&["compile", "a.yaml", "--catalog", "catalog.json"]);
    assert!(
        err.contains("catalog.json:1:1: the file starts with a byte order mark"),
        "{err}"
    );
    s.write(
        "data/cohorts/json/spec/config.yaml",
        config.replace("[eval-1, eval-2]", "'@file:t.json'"),
    );
    s.write("data/cohorts/json/spec/t.json", windows(r#"["eval-1"]"#));
    s.write("data/cohorts/json/spec/items/essays.csv", essays.clone());
    let err = s.fails(&["build", "json"]);
    assert!(
        err.contains("t.json:1:1: the file starts with a byte order mark"),
        "{err}"
    );
    // A TXT include: the reference keeps the BOM inside the first value, which D20 refuses.
    s.write(
        "data/cohorts/txt/spec/config.yaml",
        config.replace("[eval-1, eval-2]", "'@file:t.txt'"),
    );
    s.write("data/cohorts/txt/spec/t.txt", windows("eval-1\neval-2\n"));
    s.write("data/cohorts/txt/spec/items/essays.csv", essays);
    let err = s.fails(&["build", "txt"]);
    assert!(
        err.contains(
            "t.txt:1: the file starts with a byte order mark (U+FEFF): the reference kept it as \
             part of the first value, \"\\u{feff}eval-1\", which only looks like \"eval-1\""
        ),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
    // A second BOM is no longer at the start of the file.
    s.write(
        "two.yaml",
        [&windows("")[..], &windows("axes: {a: [x]}\n")[..]].concat(),
    );
    let err = s.fails(&["compile", "two.yaml"]);
    assert!(
        err.contains("two.yaml:1:1: a byte order mark (U+FEFF) starts this line"),
        "{err}"
    );
}

#[test]
fn a_combo_mappings_file_of_combo_ids_only_is_read_as_the_reference_reads_it() {
    // The reference's cohort build reads only the combo_id column of combo_mappings.csv (two
    // of its own tests import such a file): the combos a spec names must be listed, nothing
    // else is read (docs/decisions.md D9).
    let full = Sandbox::new();
    full.ok(&["import"]);
    full.ok(&["build", "alpha"]);
    full.ok(&["export", "alpha"]);
    let s = Sandbox::new();
    s.write(
        "data/combo_mappings.csv",
        "combo_id\ncombo-1\ncombo-2\ncombo-2\n",
    );
    let out = s.ok(&["import"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("combo mappings") && l.contains("2 added")),
        "{out}"
    );
    // Each combo is one row, its concept read as empty, as any column a file lacks (D9).
    assert_eq!(
        s.query("select combo_id, concept_id, version from combo_mappings order by combo_id"),
        "combo_id,concept_id,version\ncombo-1,,\ncombo-2,,\n"
    );
    s.ok(&["build", "alpha"]);
    // Its combo rows are hashed as docs/hashing.md writes any row, the empty concept as
    // str(""); this release's digest, pinned.
    assert_eq!(
        s.query("select catalog_hash from cohort_records"),
        "catalog_hash\n8e5d9353217fa32994bd2ba2d0369e4a22f2162cbbf1a6e05be4157e48917aa7\n"
    );
    s.ok(&["export", "alpha"]);
    for file in ["membership.csv", "manifest.json"] {
        assert_eq!(
            s.read(&format!("data/cohorts/alpha/{file}")),
            full.read(&format!("data/cohorts/alpha/{file}")),
            "{file}"
        );
    }
    assert!(s.ok(&["verify", "alpha"]).contains("result: ok"));
    // The spec side of diff and status imports the same catalogs into a scratch store.
    let (code, diff) = s.verdict(&["diff", "alpha", "data/cohorts/alpha/spec"]);
    assert_eq!(code, 0, "{diff}");
    let (code, status) = s.verdict(&["status", "alpha"]);
    assert_eq!(code, 0, "{status}");
    // A combo the file does not list is still missing (D16).
    s.write(
        "data/cohorts/three/spec/config.yaml",
        s.read("data/cohorts/alpha/spec/config.yaml")
            .replace("[combo-1, combo-2]", "[combo-1, combo-3]"),
    );
    s.write(
        "data/cohorts/three/spec/items/essays.csv",
        s.read("data/cohorts/alpha/spec/items/essays.csv"),
    );
    let err = s.fails(&["build", "three"]);
    assert!(err.contains("combo-3"), "{err}");
    // The concepts of a combo stored without them are a change (a combo names a fixed set).
    let before = s.store_digest();
    s.write(
        "data/combo_mappings.csv",
        full.read("data/combo_mappings.csv"),
    );
    let err = s.fails(&["import", "combo-mappings", "data/combo_mappings.csv"]);
    assert!(
        err.contains(
            "combo mappings: concept \"tides\" is new for combo \"combo-1\", which already \
             exists with another concept set (e.g. a row without a concept_id, imported from"
        ),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
    // What the reference cannot read is still refused: no combo_id, or a replication file
    // without its counts (the reference's replication_config_missing).
    s.write("data/combo_mappings.csv", "concept_id\ntides\n");
    let err = s.fails(&["import", "combo-mappings", "data/combo_mappings.csv"]);
    assert!(
        err.contains(
            "combo_mappings.csv:1: missing required column \"combo_id\" for combo mappings"
        ),
        "{err}"
    );
    s.write("data/1_raw/replication_config.csv", "stage\ndraft\n");
    let err = s.fails(&["import", "replication", "data/1_raw/replication_config.csv"]);
    assert!(
        err.contains(
            "replication_config.csv:1: missing required column \"replicates\" for replication"
        ),
        "{err}"
    );
    assert_eq!(s.store_digest(), before);
}
