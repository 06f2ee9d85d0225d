//! `cohortdb new COHORT_ID [--from COHORT_ID]`: a new cohort's spec folder
//! (`<data-root>/cohorts/<id>/spec/`), as `cargo new` and `dbt init` start a project: a copy of
//! a stored cohort's spec, or a starter spec over the first ids of the imported catalogs. The
//! spec compiles as written; `build` then checks it against the catalogs.
//!
//! And the starter catalogs `init` writes into a new project (docs/cli.md `init`): the bundled
//! example's catalog files, so `init`, `new` and `build` work in an empty folder, as `cargo new`
//! writes a program that runs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Context, Workspace};
use crate::error::{DbContext, Result, UsageError};
use crate::ids::CohortId;
use crate::spec::Bundle;
use crate::store::queries;

/// What `new` starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The new cohort's id.
    pub cohort_id: String,
    /// A stored cohort whose spec files are copied; `None` writes a starter spec.
    pub from: Option<String>,
}

/// What `new` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReport {
    /// The new cohort's id.
    pub cohort_id: String,
    /// The spec folder.
    pub spec_dir: String,
    /// The stored cohort the spec was copied from, if any.
    pub from: Option<String>,
    /// The files written.
    pub files: Vec<String>,
}

/// The catalog roles a starter spec needs one id of, with the axis each one fills.
const STARTER_AXES: [(&str, &str); 7] = [
    ("combo_id", "combo_id"),
    ("draft_template", "draft_template"),
    ("draft_llm", "llm"),
    ("essay_template", "essay_template"),
    ("essay_llm", "llm"),
    ("evaluation_template", "evaluation_template"),
    ("evaluation_llm", "llm"),
];

/// The starter catalogs (paths relative to the data root, bytes): the catalog files of the
/// bundled example (`examples/data`), compiled in. Their ids (`combo_v1_learning_a`,
/// `link-brainstorm-v1`, `sonnet-4`, …) are ordinary catalog rows once imported.
const STARTER_CATALOGS: &[(&str, &[u8])] = &[
    (
        "1_raw/concepts_metadata.csv",
        include_bytes!("../../examples/data/1_raw/concepts_metadata.csv"),
    ),
    (
        "1_raw/concepts/descriptions-sentence/desirable-difficulty.txt",
        include_bytes!(
            "../../examples/data/1_raw/concepts/descriptions-sentence/desirable-difficulty.txt"
        ),
    ),
    (
        "1_raw/concepts/descriptions-sentence/interleaving.txt",
        include_bytes!("../../examples/data/1_raw/concepts/descriptions-sentence/interleaving.txt"),
    ),
    (
        "1_raw/concepts/descriptions-sentence/retrieval-practice.txt",
        include_bytes!(
            "../../examples/data/1_raw/concepts/descriptions-sentence/retrieval-practice.txt"
        ),
    ),
    (
        "1_raw/concepts/descriptions-sentence/spaced-repetition.txt",
        include_bytes!(
            "../../examples/data/1_raw/concepts/descriptions-sentence/spaced-repetition.txt"
        ),
    ),
    (
        "1_raw/concepts/descriptions-paragraph/retrieval-practice.txt",
        include_bytes!(
            "../../examples/data/1_raw/concepts/descriptions-paragraph/retrieval-practice.txt"
        ),
    ),
    (
        "1_raw/concepts/descriptions-paragraph/spaced-repetition.txt",
        include_bytes!(
            "../../examples/data/1_raw/concepts/descriptions-paragraph/spaced-repetition.txt"
        ),
    ),
    (
        "1_raw/draft_templates.csv",
        include_bytes!("../../examples/data/1_raw/draft_templates.csv"),
    ),
    (
        "1_raw/templates/draft/link-brainstorm-v1.txt",
        include_bytes!("../../examples/data/1_raw/templates/draft/link-brainstorm-v1.txt"),
    ),
    (
        "1_raw/templates/draft/link-structured-v2.txt",
        include_bytes!("../../examples/data/1_raw/templates/draft/link-structured-v2.txt"),
    ),
    (
        "1_raw/essay_templates.csv",
        include_bytes!("../../examples/data/1_raw/essay_templates.csv"),
    ),
    (
        "1_raw/templates/essay/essay-synthesis-v1.txt",
        include_bytes!("../../examples/data/1_raw/templates/essay/essay-synthesis-v1.txt"),
    ),
    (
        "1_raw/evaluation_templates.csv",
        include_bytes!("../../examples/data/1_raw/evaluation_templates.csv"),
    ),
    (
        "1_raw/templates/evaluation/coherence-v1.txt",
        include_bytes!("../../examples/data/1_raw/templates/evaluation/coherence-v1.txt"),
    ),
    (
        "1_raw/templates/evaluation/novelty-v1.txt",
        include_bytes!("../../examples/data/1_raw/templates/evaluation/novelty-v1.txt"),
    ),
    (
        "1_raw/llm_models.csv",
        include_bytes!("../../examples/data/1_raw/llm_models.csv"),
    ),
    (
        "1_raw/replication_config.csv",
        include_bytes!("../../examples/data/1_raw/replication_config.csv"),
    ),
    (
        "combo_mappings.csv",
        include_bytes!("../../examples/data/combo_mappings.csv"),
    ),
];

/// Whether `init` writes the starter catalogs into `data_root`: only for an SQLite store that
/// this `init` creates (`store_is_new`) and a data root holding no catalog file at all (a link
/// or a special file at a catalog's place counts as one), so nothing a user has is ever added
/// to or changed.
pub(super) fn wants_starter(data_root: &Path, store_is_new: bool) -> bool {
    store_is_new
        && crate::catalog::import::layout_files(data_root)
            .iter()
            .all(|(_, path)| std::fs::symlink_metadata(path).is_err())
}

/// Writes the starter catalogs under `data_root`, folder by folder without following links,
/// each file only where none exists; returns the files written, in order.
pub(super) fn write_starter_catalogs(data_root: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, bytes) in STARTER_CATALOGS {
        let rel = Path::new(rel);
        let dir = match rel.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => {
                crate::layout::create_below(data_root, parent)?
            }
            _ => data_root.to_path_buf(),
        };
        let Some(name) = rel.file_name() else {
            continue;
        };
        let path = dir.join(name);
        if crate::layout::write_new(&path, bytes)? {
            written.push(path);
        }
    }
    Ok(written)
}

impl Workspace {
    /// `cohortdb new`: writes the spec folder of a new cohort. Refuses, writing nothing, an id
    /// that is stored already or whose spec folder exists.
    pub fn new_spec(&self, request: &NewRequest, ctx: Context<'_>) -> Result<NewReport> {
        let id = CohortId::parse(&request.cohort_id)?;
        let dir = self.layout().spec_dir(id.as_str());
        if dir.exists() {
            return Err(UsageError::SpecFolderExists {
                path: dir.display().to_string(),
            }
            .into());
        }
        let store = self.reader(ctx)?;
        if crate::record::load(store.conn(), id.as_str())?.is_some() {
            return Err(UsageError::CohortExists { id: id.to_string() }.into());
        }
        let bundle = match &request.from {
            Some(from) => {
                let from = CohortId::parse(from)?;
                crate::show::stored_bundle(store.conn(), &from)?
            }
            None => starter(store.conn(), &id)?,
        };
        drop(store);
        crate::layout::create_below(self.data_root(), &relative_spec_dir(id.as_str()))?;
        let files = crate::show::write_spec_bundle(&bundle, &dir)?;
        Ok(NewReport {
            cohort_id: id.to_string(),
            spec_dir: dir.display().to_string(),
            from: request.from.clone(),
            files: files.iter().map(|f| f.display().to_string()).collect(),
        })
    }
}

/// `cohorts/<id>/spec`, below the data root.
fn relative_spec_dir(id: &str) -> PathBuf {
    crate::layout::DataLayout::new("").spec_dir(id)
}

/// A starter spec: one id of each role from the imported catalogs (the smallest), every axis
/// the three stages need, and the output columns in the usual order.
fn starter(conn: &rusqlite::Connection, id: &CohortId) -> Result<Bundle> {
    let first: Vec<Option<String>> = conn
        .query_row(queries::CATALOG_SELECT_FIRST_IDS, [], |r| {
            STARTER_AXES
                .iter()
                .map(|(_, column)| r.get::<_, Option<String>>(*column))
                .collect()
        })
        .db("catalog_select_first_ids")?;
    let missing: Vec<&str> = STARTER_AXES
        .iter()
        .zip(&first)
        .filter(|(_, id)| id.is_none())
        .map(|((axis, _), _)| *axis)
        .collect();
    if !missing.is_empty() {
        return Err(UsageError::NoCatalogIds {
            axes: missing.join(", "),
        }
        .into());
    }
    // Ids are written as JSON strings (JSON is YAML): any id reads back as it is.
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut text = format!(
        "# Cohort {id}: a starter spec from `cohortdb new` — one combo, template and LLM per\n\
         # stage, the first of each in the imported catalogs. Add levels to the axes and rules\n\
         # to shape it (docs/spec-dsl.md); `cohortdb explain` shows the plan, `cohortdb build\n\
         # {id}` stores it.\naxes:\n"
    );
    for ((axis, _), value) in STARTER_AXES.iter().zip(&first) {
        text.push_str(&format!(
            "  {axis}: [{}]\n",
            quote(value.as_deref().unwrap_or_default())
        ));
    }
    text.push_str("output:\n  field_order:\n");
    for (axis, _) in STARTER_AXES {
        text.push_str(&format!("    - {axis}\n"));
    }
    let config = crate::spec::load::CONFIG_NAME.to_string();
    Ok(Bundle {
        files: [(config.clone(), text.into_bytes())].into_iter().collect(),
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the bundled example except its cohort folders, relative to its data root.
    fn example_catalog_files() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("examples/data is readable") {
                let path = entry.expect("a readable folder entry").path();
                let rel = path
                    .strip_prefix(&root)
                    .expect("below the root")
                    .to_string_lossy()
                    .into_owned();
                if rel == "cohorts" {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(rel);
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_starter_catalogs_are_the_bundled_examples_catalog_files() {
        let mut listed: Vec<String> = STARTER_CATALOGS
            .iter()
            .map(|(rel, _)| rel.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, example_catalog_files());
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
        for (rel, bytes) in STARTER_CATALOGS {
            assert_eq!(
                &std::fs::read(root.join(rel)).expect("the example file"),
                bytes,
                "{rel}"
            );
        }
    }

    #[test]
    fn a_data_root_with_any_catalog_file_gets_no_starter() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        assert!(wants_starter(dir.path(), true));
        assert!(!wants_starter(dir.path(), false));
        std::fs::create_dir(dir.path().join("1_raw")).expect("mkdir");
        std::os::unix::fs::symlink("nowhere", dir.path().join("1_raw/llm_models.csv"))
            .expect("a link");
        assert!(!wants_starter(dir.path(), true));
    }
}
