//! Why `migrate` or `catalog strip-active` refused to write (`Error::Migration`); nothing was
//! written.

use crate::ids::Stage;

/// A member whose gen_id a rebuilt cohort cannot keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenamedId {
    /// The member's stage.
    pub stage: Stage,
    /// Its gen_id now.
    pub old: String,
    /// The gen_id a build derives from its values.
    pub new: String,
    /// Why it changes.
    pub reason: &'static str,
}

/// How many members a refusal lists before `… and N more`.
const SHOWN: usize = 10;

/// Each refusal of a migration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The output spec folder exists and `--force` was not given.
    #[error("spec directory already exists: {path}")]
    SpecDirExists {
        /// The folder.
        path: String,
    },
    /// Members would get new gen_ids and `--allow-new-ids` was not given.
    #[error(
        "{} cannot keep {} gen_id in a rebuilt cohort",
        crate::textfmt::count(renamed.len() as u64, "member"),
        if renamed.len() == 1 { "its" } else { "their" }
    )]
    RenamedIds {
        /// Every member that would be renamed.
        renamed: Vec<RenamedId>,
        /// The name of the map `--allow-new-ids` writes.
        map_name: &'static str,
    },
    /// Drafts or essays of a membership without an evaluation.
    #[error(
        "{} of the membership {} no evaluation, so a migrated spec would drop {}",
        crate::textfmt::count(members.len() as u64, "member"),
        if members.len() == 1 { "has" } else { "have" },
        if members.len() == 1 { "it" } else { "them" }
    )]
    Orphans {
        /// The members (`draft <gen_id>`, `essay <gen_id>`).
        members: Vec<String>,
    },
    /// `strip-active` would overwrite a backup that differs.
    #[error("{path} exists with other content; refusing to overwrite a backup")]
    BackupDiffers {
        /// The backup file.
        path: String,
    },
}

impl MigrateError {
    /// Lines after the message: the members concerned, and that nothing was written.
    pub fn detail(&self) -> Vec<String> {
        let mut lines = match self {
            MigrateError::RenamedIds { renamed, .. } => listed(renamed.iter().map(|r| {
                format!(
                    "{} {} would become {} ({})",
                    r.stage.as_str(),
                    r.old,
                    r.new,
                    r.reason
                )
            })),
            MigrateError::Orphans { members } => listed(members.iter().cloned()),
            _ => Vec::new(),
        };
        lines.push("nothing was written".to_string());
        lines
    }

    /// What to do about it.
    pub fn hints(&self) -> Vec<String> {
        vec![match self {
            MigrateError::SpecDirExists { .. } => {
                "--force replaces it; --out DIR writes elsewhere".to_string()
            }
            MigrateError::RenamedIds { map_name, .. } => format!(
                "a build derives every gen_id from its values (docs/reference.md §3.9); --allow-new-ids writes \
                 the spec anyway, with {map_name} mapping each old id to its new one"
            ),
            MigrateError::Orphans { .. } => {
                "each row of a migrated spec is one evaluation with its essay and draft; add their \
                 evaluations to membership.csv, or remove these lines if the cohort should not hold them"
                    .to_string()
            }
            MigrateError::BackupDiffers { .. } => {
                "move it aside, or pass --no-backup".to_string()
            }
        }]
    }

    /// The file concerned, when there is one.
    pub fn file(&self) -> Option<&str> {
        match self {
            MigrateError::SpecDirExists { path } | MigrateError::BackupDiffers { path } => {
                Some(path)
            }
            _ => None,
        }
    }
}

/// The first [`SHOWN`] lines, then `… and N more`.
fn listed(lines: impl ExactSizeIterator<Item = String>) -> Vec<String> {
    let total = lines.len();
    let mut out: Vec<String> = lines.take(SHOWN).collect();
    if total > SHOWN {
        out.push(format!("… and {} more", total - SHOWN));
    }
    out
}
