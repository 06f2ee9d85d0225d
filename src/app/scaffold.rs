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
use crate::error::{DbContext, IoContext, Result, UsageError};
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

/// Whether `init` writes the starter catalogs into `data_root` (for a store it creates): when
/// none of their paths exists, as anything (a file, a link, a FIFO), and every folder on the
/// way is a real folder or missing — an empty project. A layout with any catalog file, template
/// body or description of its own gets none, so nothing a user has is ever imported as a
/// starter row, added to or changed.
pub(super) fn wants_starter(data_root: &Path) -> bool {
    STARTER_CATALOGS.iter().all(|(rel, _)| {
        let mut at = data_root.to_path_buf();
        for part in Path::new(rel).components() {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Err(_) => return true,
                Ok(meta) if meta.is_dir() => continue,
                Ok(_) => return false,
            }
        }
        // The file's own path is a real folder.
        false
    })
}

/// Files and folders `init` created, to remove again when it fails: files first, then the
/// folders that are empty, newest first.
#[derive(Debug, Default)]
pub(super) struct Undo {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Undo {
    /// A file this command created.
    pub(super) fn file(&mut self, path: &Path) {
        self.files.push(path.to_path_buf());
    }

    /// Creates `root` and its missing ancestors, one at a time; returns the folders created.
    pub(super) fn create_root(&mut self, root: &Path) -> Result<Vec<PathBuf>> {
        let mut missing = Vec::new();
        let mut at = root.to_path_buf();
        while !at.as_os_str().is_empty() && std::fs::symlink_metadata(&at).is_err() {
            missing.push(at.clone());
            if !at.pop() {
                break;
            }
        }
        let mut created = Vec::new();
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    self.dirs.push(dir.clone());
                    created.push(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).at(&dir),
            }
        }
        Ok(created)
    }

    /// Creates the folder `dir` below `root` unless it is a folder already (a link or a file
    /// there is refused, never followed); returns it when this call created it.
    pub(super) fn create_dir(&mut self, root: &Path, dir: &Path) -> Result<Option<PathBuf>> {
        let existed = std::fs::symlink_metadata(dir).is_ok();
        crate::layout::create_one(root, dir)?;
        if existed {
            return Ok(None);
        }
        self.dirs.push(dir.to_path_buf());
        Ok(Some(dir.to_path_buf()))
    }

    /// Removes what was created (best effort: a folder someone else wrote into stays).
    pub(super) fn run(self) {
        for file in self.files.iter().rev() {
            let _ = std::fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Writes the starter catalogs under `data_root`, folder by folder without following links,
/// each file only where none exists, checking for a stop between files; returns the files
/// written, in order. Everything created is recorded in `undo`.
pub(super) fn write_starter_catalogs(
    data_root: &Path,
    cancel: &super::Cancel,
    undo: &mut Undo,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, bytes) in STARTER_CATALOGS {
        cancel.check()?;
        let rel = Path::new(rel);
        let mut dir = data_root.to_path_buf();
        if let Some(parent) = rel.parent() {
            for part in parent.components() {
                dir.push(part);
                undo.create_dir(data_root, &dir)?;
            }
        }
        let Some(name) = rel.file_name() else {
            continue;
        };
        let path = dir.join(name);
        if crate::layout::write_new(&path, bytes)? {
            undo.file(&path);
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
    fn only_an_empty_layout_gets_the_starter_catalogs() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        assert!(wants_starter(&dir.path().join("missing")));
        assert!(wants_starter(dir.path()));
        std::fs::create_dir_all(dir.path().join("1_raw/templates/draft")).expect("mkdir");
        assert!(
            wants_starter(dir.path()),
            "empty folders are an empty project"
        );
        let link = dir.path().join("1_raw/llm_models.csv");
        std::os::unix::fs::symlink("nowhere", &link).expect("a link");
        assert!(
            !wants_starter(dir.path()),
            "a dangling link at a catalog's place"
        );
        std::fs::remove_file(&link).expect("rm");
        let body = dir
            .path()
            .join("1_raw/templates/draft/link-brainstorm-v1.txt");
        std::fs::write(&body, "mine").expect("write");
        assert!(!wants_starter(dir.path()), "a template body of the user's");
        std::fs::remove_file(&body).expect("rm");
        std::os::unix::fs::symlink(
            dir.path().join("elsewhere"),
            dir.path().join("1_raw/concepts"),
        )
        .expect("a link");
        assert!(!wants_starter(dir.path()), "a link on the way");
    }

    #[test]
    fn undo_removes_what_it_created_and_nothing_else() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().join("a/b");
        std::fs::create_dir(dir.path().join("kept")).expect("mkdir");
        let mut undo = Undo::default();
        let created = undo.create_root(&root).expect("root");
        assert_eq!(created, vec![dir.path().join("a"), root.clone()]);
        assert_eq!(
            undo.create_dir(dir.path(), &dir.path().join("kept"))
                .expect("kept"),
            None
        );
        let cancel = crate::app::Cancel::default();
        let written = write_starter_catalogs(&root, &cancel, &mut undo).expect("written");
        assert_eq!(written.len(), STARTER_CATALOGS.len());
        std::fs::write(dir.path().join("kept/mine"), "x").expect("write");
        undo.run();
        assert!(!dir.path().join("a").exists());
        assert!(dir.path().join("kept/mine").exists());
    }

    #[test]
    fn a_stop_ends_the_starter_catalogs_before_the_next_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cancel = crate::app::Cancel::default();
        cancel.cancel();
        let mut undo = Undo::default();
        let err = write_starter_catalogs(dir.path(), &cancel, &mut undo).expect_err("stopped");
        assert!(matches!(err, crate::error::Error::Interrupted), "{err:?}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("read").count(), 0);
    }
}
