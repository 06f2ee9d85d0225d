//! Why a build refused a cohort (`Error::Build`): nothing was stored.

use std::fmt;

use crate::ids::Stage;

/// A refused build of cohort `cohort`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    /// The cohort id.
    pub cohort: String,
    /// What was refused.
    pub kind: BuildErrorKind,
}

/// One id a spec uses that the imported catalogs lack (docs/decisions.md D16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingId {
    /// The id.
    pub value: String,
    /// Where the spec first uses it.
    pub at: String,
    /// The catalog's nearest id, when one is near (a likely typo).
    pub near: Option<String>,
}

/// The missing ids of one role (combo, a stage's template, an LLM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingIds {
    /// The role's label (`combo_id`, `draft_template`, …).
    pub role: &'static str,
    /// Every missing id.
    pub ids: Vec<MissingId>,
}

/// Plan entries sharing one gen_id (D2): the first entry and up to two others, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedId {
    /// The shared gen_id.
    pub gen_id: String,
    /// The first entry.
    pub first: String,
    /// Others (at most two).
    pub others: Vec<String>,
}

/// A value a member and an earlier cohort's registry entry disagree on (D2 across cohorts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    /// The field (`parent_gen_id`, `combo_id`, `template_id`, `llm_model_id`, `replicate`).
    pub field: &'static str,
    /// The earlier cohort's value.
    pub theirs: String,
    /// This cohort's value.
    pub ours: String,
}

/// A member whose gen_id an earlier cohort issued with other values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The gen_id.
    pub gen_id: String,
    /// The earlier cohort.
    pub other_cohort: String,
    /// What differs.
    pub diffs: Vec<FieldDiff>,
}

/// How many missing ids of a role are listed before `, and N more`.
pub(crate) const SHOWN_IDS: usize = 10;

/// Each kind of refused build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildErrorKind {
    /// D15: the spec compiles to zero rows.
    #[error("the spec compiles to zero rows, so the cohort would be empty (D15)")]
    EmptyCohort,
    /// D16: ids not in the imported catalogs.
    #[error(
        "{} {} the spec uses {} not in the imported catalogs (D16)",
        total(groups),
        plural(total(groups), "id"),
        if total(groups) == 1 { "is" } else { "are" }
    )]
    MissingCatalogIds {
        /// The missing ids by role.
        groups: Vec<MissingIds>,
        /// Catalogs of which nothing has been imported (`combo mappings`, …).
        not_imported: Vec<&'static str>,
    },
    /// D2: plan entries of `stage` would share gen_ids.
    #[error(
        "{entries} {stage} plan entries would share {} {}; a build never collapses them \
         silently (D2)",
        shared_ids,
        plural(*shared_ids, "gen_id")
    )]
    CollidingEntries {
        /// The earliest stage with a shared id.
        stage: Stage,
        /// How many entries share ids.
        entries: usize,
        /// How many gen_ids are shared.
        shared_ids: usize,
        /// The first three shared ids, with their entries.
        shared: Vec<SharedId>,
        /// Some entries differ in their LLM (the essay id does not include it).
        llm_differs: bool,
        /// Some entries differ only in letter case.
        case_differs: bool,
    },
    /// D2 across cohorts: members reuse gen_ids earlier cohorts issued with other values.
    #[error(
        "{total} {} gen_ids that earlier cohorts issued with different values",
        if *total == 1 { "member reuses" } else { "members reuse" }
    )]
    RegistryDisagreement {
        /// How many members disagree.
        total: i64,
        /// The disagreements shown.
        members: Vec<Disagreement>,
    },
    /// D14: the id exists with other content.
    #[error("already exists with different content; nothing was written")]
    RecordChanged {
        /// What changed, one side-by-side line each.
        changes: Vec<String>,
    },
    /// Every collision index of a signature is taken.
    #[error(
        "every gen_id candidate of the {stage} signature {signature:?} is taken by another \
         signature (deterministic_id_collision)"
    )]
    IdCandidatesTaken {
        /// The member's stage.
        stage: Stage,
        /// Its signature.
        signature: String,
    },
    /// The compiled rows lack columns every cohort row needs (docs/reference.md §3.4).
    #[error(
        "the spec's rows lack {} {} every cohort row needs: {}",
        fields.len(),
        plural(fields.len(), "field"),
        fields.iter().map(|(name, candidates)| format!("{name} (a column named {})", candidates.join(" or "))).collect::<Vec<_>>().join(", ")
    )]
    MissingFields {
        /// Each missing field with the column names that would supply it.
        fields: Vec<(&'static str, &'static [&'static str])>,
        /// The compiled rows' columns.
        columns: Vec<String>,
    },
    /// A design row has no value for a field (its columns are empty there).
    #[error(
        "design row {row} has no value for {field} (its {} {} {} empty there)",
        plural(columns.len(), "column"),
        columns.join(", "),
        if columns.len() == 1 { "is" } else { "are" }
    )]
    EmptyField {
        /// The design row.
        row: i64,
        /// The field.
        field: &'static str,
        /// Its columns present in the rows.
        columns: Vec<&'static str>,
    },
    /// A design row's replicate is not an integer of at least 1.
    #[error(
        "design row {row}: {column} {value} is not a replicate index (an integer of at least 1){}",
        at.as_ref().map(|at| format!(", at {at}")).unwrap_or_default()
    )]
    BadReplicate {
        /// The design row.
        row: i64,
        /// The replicate column.
        column: String,
        /// The value as written.
        value: String,
        /// Where the spec writes it, when known.
        at: Option<crate::error::Location>,
    },
    /// D10: the replication config lacks a stage.
    #[error(
        "the imported replication config has no row for stage {} (the manifest copies it for \
         all three stages, D10)",
        stages.join(", ")
    )]
    NoReplicationRow {
        /// The stages without a row.
        stages: Vec<&'static str>,
    },
    /// The store holds rows for the record number this build would take, but no record row:
    /// they were written outside cohortdb, and the new record would take them over.
    #[error(
        "the store already holds rows for cohort number {cohort_no}, which has no record ({}): \
         they were written outside cohortdb, and this build would take them over; nothing was \
         stored",
        tables.join(", ")
    )]
    OrphanRows {
        /// The record number.
        cohort_no: i64,
        /// The tables holding such rows.
        tables: Vec<String>,
    },
}

/// `noun` for one, its plural for any other count (`crate::textfmt::plural`).
fn plural(n: usize, noun: &str) -> String {
    crate::textfmt::plural(n as u64, noun)
}

fn total(groups: &[MissingIds]) -> usize {
    groups.iter().map(|g| g.ids.len()).sum()
}

impl fmt::Display for MissingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({}", self.value, self.at)?;
        match &self.near {
            Some(near) => write!(f, "; did you mean {near:?}?)"),
            None => write!(f, ")"),
        }
    }
}

impl BuildError {
    /// The error of cohort `cohort`'s build refused for `kind` (nothing was stored).
    pub fn refused(cohort: &str, kind: BuildErrorKind) -> crate::error::Error {
        BuildError {
            cohort: cohort.to_string(),
            kind,
        }
        .into()
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = match self.kind {
            BuildErrorKind::RecordChanged { .. } => " ",
            _ => ": ",
        };
        write!(f, "cohort {:?}{sep}{}", self.cohort, self.kind)
    }
}

impl std::error::Error for BuildError {}

impl BuildError {
    /// Lines after the message: lists and side-by-side comparisons.
    pub fn detail(&self) -> Vec<String> {
        match &self.kind {
            BuildErrorKind::MissingCatalogIds {
                groups,
                not_imported,
            } => {
                let mut lines = Vec::new();
                for g in groups {
                    let shown: Vec<String> = g
                        .ids
                        .iter()
                        .take(SHOWN_IDS)
                        .map(|m| m.to_string())
                        .collect();
                    let mut shown = shown.join(", ");
                    let more = g.ids.len().saturating_sub(SHOWN_IDS);
                    if more > 0 {
                        shown.push_str(&format!(", and {more} more"));
                    }
                    lines.push(format!("{} ({}): {shown}", g.role, g.ids.len()));
                }
                for what in not_imported {
                    lines.push(format!("note: no {what} have been imported"));
                }
                lines
            }
            BuildErrorKind::CollidingEntries { shared, .. } => {
                let mut lines = Vec::new();
                for s in shared {
                    lines.push(format!("{}: {}", s.gen_id, s.first));
                    for other in &s.others {
                        lines.push(format!("{:width$}  vs {other}", "", width = s.gen_id.len()));
                    }
                }
                lines
            }
            BuildErrorKind::RegistryDisagreement { members, .. } => members
                .iter()
                .map(|d| {
                    let diffs: Vec<String> = d
                        .diffs
                        .iter()
                        .map(|x| {
                            format!(
                                "{} {} (cohort {}) vs {} here",
                                x.field, x.theirs, d.other_cohort, x.ours
                            )
                        })
                        .collect();
                    format!("{}: {}", d.gen_id, diffs.join("; "))
                })
                .collect(),
            BuildErrorKind::RecordChanged { changes } => changes.clone(),
            BuildErrorKind::MissingFields { columns, .. } => vec![format!(
                "the compiled rows have the columns: {}",
                if columns.is_empty() {
                    "(none)".to_string()
                } else {
                    columns.join(", ")
                }
            )],
            _ => Vec::new(),
        }
    }

    /// What to do about it.
    pub fn hints(&self) -> Vec<String> {
        match &self.kind {
            BuildErrorKind::EmptyCohort => {
                vec!["`cohortdb explain SPEC` shows which axis or rule leaves no levels".into()]
            }
            BuildErrorKind::MissingCatalogIds { .. } => vec![
                "import the missing rows (`cohortdb import`) or fix the spec; nothing was stored"
                    .into(),
            ],
            BuildErrorKind::CollidingEntries {
                stage,
                llm_differs,
                case_differs,
                ..
            } => {
                let mut hints = Vec::new();
                if *stage == Stage::Essay && *llm_differs {
                    hints.push(
                        "the essay gen_id does not include essay_llm (docs/reference.md §3.9), so essays that differ only \
                         in essay_llm would be one generation; the old tool silently kept the first (D2). Use one essay \
                         LLM per draft and essay template, or tell them apart with an essay replicate axis"
                            .into(),
                    );
                }
                if *case_differs {
                    hints.push(
                        "gen_ids lowercase their components, so ids that differ only in letter case are the same \
                         generation; use one spelling"
                            .into(),
                    );
                }
                hints
            }
            BuildErrorKind::RegistryDisagreement { .. } => vec![
                "the gen_id names one generation; reusing it would run it with the earlier cohort's values \
                 and silently ignore this cohort's (D2). The essay id does not include essay_llm, and ids ignore \
                 letter case"
                    .into(),
            ],
            BuildErrorKind::RecordChanged { .. } => vec![format!(
                "a cohort record never changes (D14); build the changed spec under a new cohort id, e.g. \
                 `cohortdb build {}-v2 --spec …`",
                self.cohort
            )],
            BuildErrorKind::MissingFields { .. } => vec![
                "a cohort needs a combo, a draft template and LLM, an essay template and LLM, and an \
                 evaluation template and LLM in every row (docs/reference.md §3.4)"
                    .into(),
            ],
            BuildErrorKind::EmptyField { .. } => vec![
                "every row needs a non-empty value for each cohort field (docs/reference.md §3.4)".into(),
            ],
            BuildErrorKind::NoReplicationRow { .. } => vec![
                "import a replication_config.csv with draft, essay and evaluation rows".into(),
            ],
            BuildErrorKind::OrphanRows { cohort_no, tables } => vec![format!(
                "see them with `cohortdb query \"select * from {} where cohort_no = {cohort_no}\"`; \
                 cohortdb never deletes rows: restore the store from a backup, or remove them \
                 with the sqlite3 shell (the tables are append-only: drop their triggers first)",
                tables.first().map_or("cohort_members", String::as_str)
            )],
            _ => Vec::new(),
        }
    }
}
