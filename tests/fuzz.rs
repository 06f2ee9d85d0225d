//! Fuzzing (issue 7): a proptest-driven mutation fuzzer for the two parsers users feed
//! directly — the spec loader (with its includes, rule resolution and compilation) and catalog
//! CSV import. Inputs are seed files mutated byte-wise and token-wise (YAML indicators, anchors,
//! tags, includes, huge numbers, odd line ends and Unicode). The properties: nothing panics;
//! an accepted catalog imports again as a no-op; a refused one leaves the store empty.
//!
//! `cargo test` runs a short budget of each target. A long run:
//!
//! ```sh
//! COHORTDB_FUZZ_SECS=600 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! A failure is shrunk by proptest to a minimal input, written to
//! `tests/fuzz-corpus/<target>/crash-<hash>`, and reported. Every file under
//! `tests/fuzz-corpus/` is replayed by `the_corpus_replays_cleanly` in every run, so a fixed
//! crash stays fixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cohortdb::catalog::import::NoProgress;
use cohortdb::catalog::{CatalogKind, import_file};
use cohortdb::compile::{self, output::Format, output::RowWriter};
use cohortdb::spec::{Bundle, load_bundle, resolve};
use cohortdb::store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn corpus_dir(target: &str) -> PathBuf {
    root().join("tests/fuzz-corpus").join(target)
}

/// Tokens spliced into inputs: the characters and words the parsers branch on.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ": ",
    "- ",
    "\n",
    "  ",
    "\t",
    "'",
    "\"",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "@file:",
    "@file:../x.csv",
    "@file:/etc/hosts.txt",
    "@file:items",
    "# ",
    "~",
    "null",
    "true",
    "yes",
    "1e3",
    "0x1F",
    "012",
    "99999999999999999999999",
    "-1",
    "0",
    "1.5",
    ".inf",
    "é",
    "\u{2028}",
    "\u{0}",
    "\r",
    "\r\n",
    "\u{feff}",
    "? ",
    "|\n",
    ">\n",
    "<<: *a",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "axes:",
    "rules:",
    "output:",
    "subsets:",
    "ties:",
    "pairs:",
    "tuples:",
    "field_order:",
    "seed:",
    "balance: both",
    "left:",
    "right:",
    "allowed:",
    "items:",
    "axes: [",
    "expand: true",
    "replicates:",
    "combo_id",
    "draft_replicate",
    "\"\"",
    ",,",
    "\"a\"\"b\"",
    "\"open",
    "template_id",
    "active",
    "id",
    "concept_id",
    "combo-1",
];

/// One edit of an input.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, u8),
    Token(usize, usize),
    Delete(usize, usize),
    Replace(usize, u8),
    Duplicate(usize, usize),
    Splice(usize, usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(p, t)| Edit::Token(p, t)),
        (any::<usize>(), 1usize..16).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Replace(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Duplicate(p, n)),
        (any::<usize>(), any::<usize>(), any::<usize>(), 1usize..64)
            .prop_map(|(p, s, q, n)| Edit::Splice(p, s, q, n)),
    ]
}

/// Applies `edits` to `seed`; splices take bytes from `others`.
fn apply(seed: &[u8], edits: &[Edit], others: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for edit in edits {
        let at = |p: usize, data: &Vec<u8>| p % (data.len() + 1);
        match *edit {
            Edit::Insert(p, b) => {
                let i = at(p, &data);
                data.insert(i, b);
            }
            Edit::Token(p, t) => {
                let i = at(p, &data);
                data.splice(i..i, TOKENS[t].bytes());
            }
            Edit::Delete(p, n) => {
                let i = at(p, &data);
                let end = (i + n).min(data.len());
                data.drain(i..end);
            }
            Edit::Replace(p, b) => {
                if !data.is_empty() {
                    let i = p % data.len();
                    data[i] = b;
                }
            }
            Edit::Duplicate(p, n) => {
                let i = at(p, &data);
                let end = (i + n).min(data.len());
                let copy = data[i..end].to_vec();
                data.splice(end..end, copy);
            }
            Edit::Splice(p, s, q, n) => {
                if let Some(other) = others.get(s % others.len().max(1)) {
                    let from = q % (other.len() + 1);
                    let end = (from + n).min(other.len());
                    let i = at(p, &data);
                    data.splice(i..i, other[from..end].iter().copied());
                }
            }
        }
    }
    data
}

/// A spec bundle's files by path.
type Files = BTreeMap<String, Vec<u8>>;

/// A spec seed: the config's path in the bundle (`config.yaml` or `config.json`) and the files.
#[derive(Debug, Clone)]
struct Seed {
    config: String,
    files: Files,
}

fn read_tree(dir: &Path, prefix: &str, files: &mut Files) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = format!("{prefix}{}", path.file_name().unwrap().to_string_lossy());
        if path.is_dir() {
            read_tree(&path, &format!("{name}/"), files);
        } else {
            files.insert(name, std::fs::read(&path).unwrap());
        }
    }
}

/// The spec seeds: every golden compile case, the fixture cohorts, the migrated-spec snapshots.
fn spec_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("tests/compile"))
        .unwrap()
        .map(|e| e.unwrap().path().join("spec"))
        .collect();
    dirs.push(root().join("tests/fixtures/data/cohorts/alpha/spec"));
    dirs.push(root().join("examples/data/cohorts/pilot/spec"));
    dirs.sort();
    for dir in dirs {
        let mut files = Files::new();
        read_tree(&dir, "", &mut files);
        let config = if files.contains_key("config.json") {
            "config.json"
        } else {
            "config.yaml"
        };
        seeds.push(Seed {
            config: config.to_string(),
            files,
        });
    }
    for snapshot in std::fs::read_dir(root().join("tests/fixtures/legacy/expected")).unwrap() {
        let mut files = Files::new();
        files.insert(
            "config.yaml".into(),
            std::fs::read(snapshot.unwrap().path()).unwrap(),
        );
        seeds.push(Seed {
            config: "config.yaml".into(),
            files,
        });
    }
    seeds
}

/// The catalog seeds: every fixture and example catalog file, with its kind.
fn csv_seeds() -> Vec<(CatalogKind, Vec<u8>)> {
    let mut seeds = Vec::new();
    for data in [
        "tests/fixtures/data",
        "examples/data",
        "tests/fixtures/legacy/base",
    ] {
        for kind in CatalogKind::ALL {
            let path = kind.layout_path(&root().join(data));
            if let Ok(bytes) = std::fs::read(&path) {
                seeds.push((kind, bytes));
            }
        }
    }
    seeds
}

/// The spec target: load, resolve and (for small products) compile must not panic.
fn spec_target(seed: &Seed) {
    let bundle = Bundle {
        config: seed.config.clone(),
        files: seed.files.clone(),
    };
    let Ok(spec) = load_bundle(&bundle, "fuzz") else {
        return;
    };
    let Ok(plan) = resolve(&spec) else {
        return;
    };
    if plan.row_count() <= 5_000 {
        let mut writer = RowWriter::new(Vec::new(), Format::Csv, &plan, b"\r\n");
        if compile::write_design(&plan, spec.output_seed.as_ref(), &mut writer, None, "fuzz")
            .is_ok()
        {
            writer.finish().expect("an in-memory writer cannot fail");
        }
    }
}

fn count_rows(store: &Store) -> i64 {
    let tables = [
        "concepts",
        "templates",
        "llm_models",
        "combo_mappings",
        "replication_config",
    ];
    tables
        .iter()
        .map(|t| {
            store
                .conn()
                .query_row(&format!("select count(*) from {t}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .expect("a catalog view")
        })
        .sum()
}

/// The import target: never panics; an accepted file re-imports as a no-op; a refused one
/// leaves the store without rows.
fn csv_target(kind: CatalogKind, bytes: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("catalog.csv");
    std::fs::write(&path, bytes).expect("write");
    let mut store = Store::open_in_memory().expect("an in-memory store");
    match import_file(&mut store, kind, &path, &NoProgress) {
        Ok(first) => {
            let again = import_file(&mut store, kind, &path, &NoProgress)
                .map_err(|e| format!("an accepted file was refused the second time: {e}"))?;
            if again.added() != 0 {
                return Err(format!(
                    "re-import added {} rows (first added {})",
                    again.added(),
                    first.added()
                ));
            }
        }
        Err(_) => {
            let rows = count_rows(&store);
            if rows != 0 {
                return Err(format!("a refused import left {rows} rows"));
            }
        }
    }
    Ok(())
}

/// How long each target runs: `COHORTDB_FUZZ_SECS`, else a short budget for every `cargo test`.
fn budget() -> Duration {
    std::env::var("COHORTDB_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_millis(1500), Duration::from_secs)
}

/// Runs `strategy` against `test` in rounds of 256 cases with fresh seeds until the budget is
/// spent. A failure is saved to the corpus (via `save`) and panics.
fn fuzz<S: Strategy>(
    target: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
    save: impl Fn(&S::Value) -> Vec<u8>,
) where
    S::Value: std::fmt::Debug,
{
    let started = Instant::now();
    let mut cases = 0u64;
    let mut round = 0u64;
    while started.elapsed() < budget() {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&round.to_le_bytes());
        seed[8..16].copy_from_slice(
            &(std::process::id() as u64 ^ started.elapsed().as_nanos() as u64).to_le_bytes(),
        );
        let config = Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        match runner.run(&strategy, &test) {
            Ok(()) => {}
            Err(TestError::Fail(reason, value)) => {
                let bytes = save(&value);
                let name = format!("crash-{}", &blake3::hash(&bytes).to_hex()[..16]);
                let dir = corpus_dir(target);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(&name), &bytes).unwrap();
                panic!(
                    "{target}: {reason}; minimal input saved as tests/fuzz-corpus/{target}/{name}:\n{value:?}"
                );
            }
            Err(e) => panic!("{target}: {e}"),
        }
        cases += 256;
        round += 1;
    }
    eprintln!(
        "{target}: {cases} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A corpus file of the spec target is a config.yaml; of the import target, a kind name line
/// followed by the CSV bytes. Crashes are saved in that form; the corpus also keeps inputs
/// found by hand that once misbehaved or sit on a parser edge (deep nesting, alias bombs,
/// include escapes, lone CRs, a quote after text).
fn csv_crash_bytes(kind: CatalogKind, bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{}\n", kind.name()).into_bytes();
    out.extend_from_slice(bytes);
    out
}

fn catch(
    f: impl FnOnce() -> Result<(), String> + std::panic::UnwindSafe,
) -> Result<(), TestCaseError> {
    match std::panic::catch_unwind(f) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(TestCaseError::fail(message)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(TestCaseError::fail(format!("panicked: {message}")))
        }
    }
}

#[test]
fn fuzz_the_spec_loader() {
    let seeds = spec_seeds();
    let configs: Vec<Vec<u8>> = seeds.iter().map(|s| s.files[&s.config].clone()).collect();
    let strategy = (
        0..seeds.len(),
        prop::collection::vec(edit(), 1..8),
        any::<bool>(),
    );
    fuzz(
        "spec",
        strategy,
        |(index, edits, mutate_include)| {
            let mut seed = seeds[index].clone();
            let target = if mutate_include && seed.files.len() > 1 {
                seed.files.keys().find(|k| **k != seed.config).cloned()
            } else {
                None
            }
            .unwrap_or_else(|| seed.config.clone());
            let mutated = apply(&seed.files[&target], &edits, &configs);
            seed.files.insert(target, mutated);
            catch(move || {
                spec_target(&seed);
                Ok(())
            })
        },
        |(index, edits, _)| apply(&configs[*index], edits, &configs),
    );
}

#[test]
fn fuzz_catalog_import() {
    let seeds = csv_seeds();
    let all: Vec<Vec<u8>> = seeds.iter().map(|(_, b)| b.clone()).collect();
    let strategy = (0..seeds.len(), prop::collection::vec(edit(), 1..8));
    fuzz(
        "csv",
        strategy,
        |(index, edits)| {
            let (kind, seed) = &seeds[index];
            let bytes = apply(seed, &edits, &all);
            let kind = *kind;
            catch(move || csv_target(kind, &bytes))
        },
        |(index, edits)| {
            let (kind, seed) = &seeds[*index];
            csv_crash_bytes(*kind, &apply(seed, edits, &all))
        },
    );
}

#[test]
fn the_corpus_replays_cleanly() {
    for target in ["spec", "csv"] {
        let Ok(entries) = std::fs::read_dir(corpus_dir(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let started = Instant::now();
            let outcome = if target == "spec" {
                let mut files = Files::new();
                files.insert("config.yaml".into(), bytes);
                let seed = Seed {
                    config: "config.yaml".into(),
                    files,
                };
                catch(move || {
                    spec_target(&seed);
                    Ok(())
                })
            } else {
                let split = bytes
                    .iter()
                    .position(|b| *b == b'\n')
                    .unwrap_or(bytes.len());
                let kind = CatalogKind::parse(std::str::from_utf8(&bytes[..split]).unwrap())
                    .expect("a kind line");
                let csv = bytes[(split + 1).min(bytes.len())..].to_vec();
                catch(move || csv_target(kind, &csv))
            };
            if let Err(e) = outcome {
                panic!("{}: {e}", path.display());
            }
            // A regression guard, not a benchmark: some of these inputs once took the YAML
            // parser tens of seconds (quadratic flow nesting); now each is refused at once.
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{}: took {:?}",
                path.display(),
                started.elapsed()
            );
        }
    }
}
