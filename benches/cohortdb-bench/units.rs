//! Unit tests of the bench's modules. The bench itself is a `harness = false` target, where
//! `#[test]` functions never run, so its modules are compiled a second time here, as a test.

#![allow(dead_code)] // Each module's items are used by the bench's main, not all by its tests.

#[path = "generate.rs"]
mod generate;
#[path = "measure.rs"]
mod measure;

mod generate_tests {
    use std::fs;
    use std::path::Path;

    use super::generate::*;

    fn read(path: &Path) -> String {
        fs::read_to_string(path).expect("generated file is readable")
    }

    #[test]
    fn spec_has_200_rows_per_combo_and_ten_balanced_pairs() {
        let yaml = config_yaml();
        assert!(yaml.starts_with("axes:\n  combo_id: '@file:items/combos.csv'\n"));
        assert!(
            yaml.contains("        - [eval-01, eval-llm-1]\n        - [eval-01, eval-llm-2]\n")
        );
        assert!(
            yaml.contains("        - [eval-05, eval-llm-5]\n        - [eval-05, eval-llm-1]\n")
        );
        assert_eq!(yaml.matches("        - [eval-").count(), 10);
        assert!(yaml.ends_with("    - evaluation_llm\n"));

        let dir = tempfile::tempdir().expect("temp dir");
        let path = Input::Spec(1000).generate(dir.path()).expect("writes");
        assert_eq!(path, dir.path().join("specs/rows_1000"));
        assert_eq!(
            read(&path.join("items/combos.csv")),
            "combo_id\ncombo-0000000\ncombo-0000001\ncombo-0000002\ncombo-0000003\ncombo-0000004\n"
        );
        assert!(Input::Spec(1001).generate(dir.path()).is_err());
    }

    #[test]
    fn root_holds_catalogs_and_the_bench_cohort_spec() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = Input::Root(400).generate(dir.path()).expect("writes");
        assert_eq!(
            read(&root.join("combo_mappings.csv")),
            "combo_id,version,concept_id,description_level,k_max,created_at\n\
             combo-0000000,v1,concept-a,paragraph,2,\ncombo-0000001,v1,concept-a,paragraph,2,\n"
        );
        assert_eq!(
            read(&root.join("1_raw/llm_models.csv")),
            "id\ngen-llm-a\ngen-llm-b\neval-llm-1\neval-llm-2\neval-llm-3\neval-llm-4\neval-llm-5\n"
        );
        assert_eq!(
            read(&root.join("1_raw/essay_templates.csv")),
            "template_id,generator\nessay-01,llm\nessay-02,copy\n"
        );
        assert_eq!(
            read(&root.join("cohorts/bench/spec/config.yaml")),
            config_yaml()
        );
        // Writing again replaces the root.
        fs::write(root.join("stale"), "x").expect("writable");
        Input::Root(400).generate(dir.path()).expect("rewrites");
        assert!(!root.join("stale").exists());
    }

    #[test]
    fn combo_catalog_rows_have_four_concepts_per_combo() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = Input::ComboCatalog(5).generate(dir.path()).expect("writes");
        let text = read(&path);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[1],
            "combo_v1_000000000000,v1,concept-000,sentence,4,2025-10-01T10:00:00"
        );
        assert_eq!(
            lines[4],
            "combo_v1_000000000000,v1,concept-039,sentence,4,2025-10-01T10:00:03"
        );
        assert_eq!(
            lines[5],
            "combo_v1_000000000001,v1,concept-007,paragraph,4,2025-10-01T10:01:00"
        );
    }
}

mod measure_tests {
    use std::process::Command;

    use super::measure::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn measure_reports_time_memory_and_failures() {
        let sample = measure(Command::new("true").arg("x")).expect("`true` runs");
        assert!(sample.secs >= 0.0);
        assert!(
            sample.peak_kib > 0,
            "ru_maxrss of a real process is positive"
        );
        let err = measure(Command::new("sh").args(["-c", "echo boom >&2; exit 3"]))
            .expect_err("a failing command is an error");
        assert!(format!("{err:#}").contains("boom"));
    }

    #[test]
    fn a_row_meets_its_target_only_within_time_and_memory() {
        let sample = |secs, mib: u64| Sample {
            secs,
            peak_kib: mib * 1024,
        };
        let row = |ours, target| Row {
            work: String::new(),
            ours,
            baseline: Some(("b".to_owned(), sample(1.0, 10))),
            target,
            mem_limit_mib: 100.0,
        };
        assert!(row(sample(2.4, 50), Target::TimesBaseline(2.5)).met());
        assert!(!row(sample(2.6, 50), Target::TimesBaseline(2.5)).met());
        assert!(!row(sample(0.1, 100), Target::Seconds(1.0)).met());
        assert!(row(sample(0.9, 99), Target::Seconds(1.0)).met());
        let rows = [row(sample(2.6, 50), Target::TimesBaseline(2.5))];
        assert!(report(&rows, 3, true).contains("| MISSED |"));
        assert!(report(&rows, 3, false).contains("| not judged (smoke run) |"));
    }
}
