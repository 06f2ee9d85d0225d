//! What `import gens`, `scores` and `results verify` refuse (`Error::Results`), each kind with
//! the data its message names (docs/reference.md "Results", docs/decisions.md D25).

use crate::textfmt::capped;

/// A refusal of the results commands; nothing was recorded or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResultsError {
    /// The reference would abort the whole cohort's aggregation here (D25).
    #[error(
        "cohort {cohort:?}: the reference's results layer would abort the whole cohort at {file}: {why}; nothing was written (D25)",
        cohort = capped(cohort),
        file = capped(file),
        why = capped(why)
    )]
    WouldAbort {
        /// The cohort.
        cohort: String,
        /// The file (or folder) at fault.
        file: String,
        /// What is wrong with it.
        why: String,
    },
    /// A gen_id (from the membership or a parent_gen_id in a metadata file) that is not one
    /// folder name: the reference would read outside `gens/<stage>/<id>/`.
    #[error(
        "cohort {cohort:?}: {what} {value} is not a folder name (it would read outside gens/{stage}/); nothing was written",
        cohort = capped(cohort),
        value = crate::textfmt::capped_debug(value)
    )]
    NotAFolderName {
        /// The cohort.
        cohort: String,
        /// Where the id comes from (`membership gen_id`, `parent_gen_id in …`).
        what: String,
        /// The stage folder it would be looked up in.
        stage: &'static str,
        /// The id.
        value: String,
    },
    /// A stage folder below the gens root is a link (never followed) or not a folder.
    #[error("{path}: {kind}; cohortdb reads gens/<stage>/ only from real folders below the gens root; nothing was recorded", path = capped(path))]
    StageFolder {
        /// The stage folder.
        path: String,
        /// What it is (`is a symlink`, `is a regular file`).
        kind: String,
    },
    /// The gens root does not exist while the ledger holds generations of another root.
    #[error("--gens-root {root}: no such folder; the ledger holds {} from {imported}; nothing was recorded", crate::textfmt::count(*generations, "generation folder"), root = capped(root), imported = capped(imported))]
    NoGensRoot {
        /// The root named.
        root: String,
        /// The latest imported root.
        imported: String,
        /// How many generation versions the ledger holds.
        generations: u64,
    },
    /// The gens root is not a folder.
    #[error("--gens-root {root}: not a folder", root = capped(root))]
    GensRootNotFolder {
        /// The root named.
        root: String,
    },
    /// `scores` or `results verify` before any `import gens`.
    #[error("the store holds no imported gens folder yet")]
    NothingImported,
    /// `scores` for a gens root other than the one imported last.
    #[error("the ledger was imported from {imported}, not {asked}")]
    OtherRoot {
        /// The latest imported root.
        imported: String,
        /// The root this command would read.
        asked: String,
    },
    /// A cohort neither stored nor on disk.
    #[error("no cohort {id:?}: not in the store, and no folder {dir}", id = capped(id), dir = capped(dir))]
    NoCohort {
        /// The cohort id.
        id: String,
        /// The folder looked for.
        dir: String,
    },
    /// A membership.csv that pandas could not read either.
    #[error("{path}: {problem}; the reference fails here too", path = capped(path))]
    Membership {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

impl ResultsError {
    /// What to do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            ResultsError::WouldAbort { .. } => vec![
                "fix or remove the file, run `cohortdb import gens`, then `cohortdb scores` again"
                    .into(),
            ],
            ResultsError::NothingImported | ResultsError::OtherRoot { .. } => {
                vec!["run `cohortdb import gens` (with the same --data-root or --gens-root) first".into()]
            }
            ResultsError::StageFolder { .. } => vec![
                "point --gens-root at the folder the link leads to, or replace the link with the folder"
                    .into(),
            ],
            ResultsError::NoCohort { .. } => {
                vec!["`cohortdb cohorts` lists the stored cohorts; check --data-root".into()]
            }
            _ => Vec::new(),
        }
    }

    /// The file or folder concerned, when there is one.
    pub fn file(&self) -> Option<&str> {
        match self {
            ResultsError::WouldAbort { file, .. } => Some(file),
            ResultsError::StageFolder { path, .. } | ResultsError::Membership { path, .. } => {
                Some(path)
            }
            ResultsError::NoGensRoot { root, .. } | ResultsError::GensRootNotFolder { root } => {
                Some(root)
            }
            _ => None,
        }
    }

    /// The offending value, when there is one.
    pub fn value(&self) -> Option<String> {
        match self {
            ResultsError::WouldAbort { cohort, .. } => Some(cohort.clone()),
            ResultsError::NotAFolderName { value, .. } => Some(value.clone()),
            ResultsError::NoCohort { id, .. } => Some(id.clone()),
            _ => None,
        }
    }
}
