//! Build stage 3, the checks that refuse a cohort before anything is stored: an empty cohort
//! (docs/decisions.md D15), ids not in the imported catalogs (D16), and plan entries that
//! would share a gen_id, within the cohort or with an earlier cohort's registry entry (D2).

use rusqlite::{Connection, params};

use super::design::Design;
use super::members::{PlanCounts, Used};
use super::roles::{NONE_ESSAY_LLM, text_role};
use crate::error::SHOWN_IDS;
use crate::error::{
    BuildError, BuildErrorKind, DbContext, FieldDiff, MissingId, MissingIds, Result, SharedId,
};
use crate::ids::{CohortId, Replicate, Role, Stage};
use crate::record::{RegistryEntry, Reuse};
use crate::store::queries;

/// D15: a spec that compiles to no rows would be an empty cohort.
pub fn check_not_empty(counts: &PlanCounts, cohort: &str) -> Result<()> {
    if counts.drafts > 0 {
        return Ok(());
    }
    Err(BuildError::refused(cohort, BuildErrorKind::EmptyCohort))
}

/// D16: every id the plan entries use must exist in the imported catalogs as of `last_batch`
/// (the literal essay LLM `None` of copy-mode essays always does).
pub fn validate_catalogs(
    conn: &Connection,
    design: &Design,
    used: &Used,
    last_batch: i64,
    cohort: &str,
) -> Result<()> {
    let mut combo = conn
        .prepare(queries::CATALOG_COMBO_EXISTS)
        .db("catalog_combo_exists")?;
    let mut template = conn
        .prepare(queries::CATALOG_TEMPLATE_EXISTS)
        .db("catalog_template_exists")?;
    let mut llm = conn
        .prepare(queries::CATALOG_LLM_EXISTS)
        .db("catalog_llm_exists")?;
    let mut groups = Vec::new();
    for role in Role::ALL {
        let mut missing = Vec::new();
        for vid in used.vids(role) {
            let text = design.text(role, *vid);
            let exists: bool = match (role, role.template_stage()) {
                (Role::Combo, _) => {
                    combo.query_row(params![text, last_batch], |r| r.get("present"))
                }
                (_, Some(stage)) => template
                    .query_row(params![stage.as_str(), text, last_batch], |r| {
                        r.get("present")
                    }),
                (Role::EssayLlm, _) if text == NONE_ESSAY_LLM => Ok(true),
                _ => llm.query_row(params![text, last_batch], |r| r.get("present")),
            }
            .db("catalog exists")?;
            if !exists {
                let at = usize::try_from(*vid)
                    .ok()
                    .and_then(|v| design.dict(role).first_at.get(v))
                    .map(ToString::to_string)
                    .unwrap_or_default();
                missing.push(MissingId {
                    value: text.to_string(),
                    at,
                    near: None,
                });
            }
        }
        if !missing.is_empty() {
            let catalog = match (role, role.template_stage()) {
                (Role::Combo, _) => "combo",
                (_, Some(stage)) => stage.as_str(),
                _ => "llm",
            };
            let known = catalog_ids(conn, catalog, last_batch)?;
            for id in missing.iter_mut().take(SHOWN_IDS) {
                id.near = crate::textfmt::nearest(&id.value, known.iter().cloned());
            }
        }
        if !missing.is_empty() {
            groups.push(MissingIds {
                role: text_role(role).label,
                ids: missing,
            });
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let counts: [i64; 3] = conn
        .query_row(queries::CATALOG_COUNT, [last_batch], |r| {
            Ok([
                r.get("combo_mappings")?,
                r.get("templates")?,
                r.get("llm_models")?,
            ])
        })
        .db("catalog_count")?;
    let not_imported = counts
        .into_iter()
        .zip(["combo mappings", "templates", "LLM models"])
        .filter(|(n, _)| *n == 0)
        .map(|(_, what)| what)
        .collect();
    Err(BuildError::refused(
        cohort,
        BuildErrorKind::MissingCatalogIds {
            groups,
            not_imported,
        },
    ))
}

/// One computed member with its texts, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlanMember {
    stage: String,
    parent_gen_id: Option<String>,
    combo_id: String,
    template_id: String,
    llm_model_id: String,
    replicate: Replicate,
}

impl PlanMember {
    /// The member with rowid `seq` in the build's temp tables.
    fn load(conn: &Connection, seq: i64) -> Result<PlanMember> {
        conn.query_row(queries::BUILD_MEMBER_SELECT, [seq], |r| {
            Ok(PlanMember {
                stage: r.get("stage")?,
                parent_gen_id: r.get("parent_gen_id")?,
                combo_id: r.get("combo_id")?,
                template_id: r.get("template_id")?,
                llm_model_id: r.get("llm_model_id")?,
                replicate: r.get("replicate")?,
            })
        })
        .db("build_member_select")
    }

    fn describe(&self) -> String {
        let parent = match self.parent_gen_id.as_deref() {
            Some(p) if !p.is_empty() => format!("parent {p}"),
            _ => format!("combo {}", self.combo_id),
        };
        let llm_name = match self.stage.as_str() {
            "essay" => "essay_llm",
            "evaluation" => "evaluation_llm",
            _ => "draft_llm",
        };
        format!(
            "{parent}, template {}, {llm_name} {}, replicate {}",
            self.template_id, self.llm_model_id, self.replicate
        )
    }
}

/// D2: refuses plan entries that would share a gen_id. `entries` are sorted by gen_id, so
/// sharing entries are adjacent; the earliest stage with a shared id is reported.
pub fn check_duplicates(conn: &Connection, entries: &[RegistryEntry], cohort: &str) -> Result<()> {
    // (stage, gen_id, ordinals) of every shared id.
    let mut groups: Vec<(Stage, &str, Vec<u32>)> = Vec::new();
    for group in entries.chunk_by(|a, b| a.gen_id() == b.gen_id()) {
        if group.len() > 1 {
            let id = group[0].gen_id();
            let stage = match id.as_bytes().first() {
                Some(b'd') => Stage::Draft,
                Some(b'e') => Stage::Essay,
                _ => Stage::Evaluation,
            };
            let mut ordinals: Vec<u32> = group.iter().map(|e| e.ordinal).collect();
            ordinals.sort_unstable();
            groups.push((stage, id, ordinals));
        }
    }
    let Some(stage) = groups.iter().map(|g| g.0).min() else {
        return Ok(());
    };
    groups.retain(|g| g.0 == stage);
    groups.sort_by_key(|g| g.2[0]);
    let shared_ids = groups.len();
    let entries_count: usize = groups.iter().map(|g| g.2.len()).sum();
    let mut shared = Vec::new();
    let mut llm_differs = false;
    let mut case_differs = false;
    for (_, gen_id, ordinals) in groups.iter().take(3) {
        let first = PlanMember::load(conn, i64::from(ordinals[0]) + 1)?;
        let mut others = Vec::new();
        for other in ordinals.iter().skip(1).take(2) {
            let m = PlanMember::load(conn, i64::from(*other) + 1)?;
            if m.llm_model_id != first.llm_model_id
                && m.llm_model_id.to_lowercase() != first.llm_model_id.to_lowercase()
            {
                llm_differs = true;
            } else {
                case_differs = true;
            }
            others.push(m.describe());
        }
        shared.push(SharedId {
            gen_id: gen_id.to_string(),
            first: first.describe(),
            others,
        });
    }
    Err(BuildError::refused(
        cohort,
        BuildErrorKind::CollidingEntries {
            stage,
            entries: entries_count,
            shared_ids,
            shared,
            llm_differs,
            case_differs,
        },
    ))
}

/// One member that reuses an earlier cohort's gen_id with other values.
struct Disagreement {
    gen_id: String,
    other_cohort: String,
    /// Parent, combo, template, LLM: the earlier cohort's, then this one's.
    theirs: [Option<String>; 4],
    ours: [Option<String>; 4],
    their_replicate: Replicate,
    our_replicate: Replicate,
    total: i64,
}

/// D2 across cohorts: a member whose gen_id an earlier cohort registered must agree with it on
/// everything the registry holds (stage, parent, combo, template, LLM, replicate).
///
/// Returns how many members reuse gen_ids of each earlier cohort (the record's `cohort_reuse`
/// rows): the probes behind the check are made once, into `temp.hits`.
pub fn check_registry_agreement(
    conn: &Connection,
    id: &CohortId,
    cohort_no: i64,
) -> Result<Vec<Reuse>> {
    conn.execute(queries::BUILD_REGISTRY_HITS, [cohort_no])
        .db("build_registry_hits")?;
    let mut stmt = conn
        .prepare(queries::BUILD_REGISTRY_DISAGREEMENTS)
        .db("build_registry_disagreements")?;
    let rows: Vec<Disagreement> = stmt
        .query_map([], |r| {
            Ok(Disagreement {
                gen_id: r.get("gen_id")?,
                other_cohort: r.get("other_cohort")?,
                theirs: [
                    r.get("their_parent")?,
                    r.get("their_combo")?,
                    r.get("their_template")?,
                    r.get("their_llm")?,
                ],
                ours: [
                    r.get("parent_gen_id")?,
                    r.get("combo_id")?,
                    r.get("template_id")?,
                    r.get("llm_model_id")?,
                ],
                their_replicate: r.get("their_replicate")?,
                our_replicate: r.get("replicate")?,
                total: r.get("total")?,
            })
        })
        .db("build_registry_disagreements")?
        .collect::<rusqlite::Result<_>>()
        .db("build_registry_disagreements")?;
    let Some(first) = rows.first() else {
        return crate::record::hits_reuse(conn);
    };
    let names = ["parent_gen_id", "combo_id", "template_id", "llm_model_id"];
    let members = rows
        .iter()
        .map(|d| {
            let shown = |v: &Option<String>| v.as_deref().unwrap_or("none").to_string();
            let mut diffs: Vec<FieldDiff> = (0..4)
                .filter(|i| d.theirs[*i] != d.ours[*i])
                .map(|i| FieldDiff {
                    field: names[i],
                    theirs: shown(&d.theirs[i]),
                    ours: shown(&d.ours[i]),
                })
                .collect();
            if d.their_replicate != d.our_replicate {
                diffs.push(FieldDiff {
                    field: "replicate",
                    theirs: d.their_replicate.to_string(),
                    ours: d.our_replicate.to_string(),
                });
            }
            crate::error::Disagreement {
                gen_id: d.gen_id.clone(),
                other_cohort: d.other_cohort.clone(),
                diffs,
            }
        })
        .collect();
    Err(BuildError::refused(
        id.as_str(),
        BuildErrorKind::RegistryDisagreement {
            total: first.total,
            members,
        },
    ))
}

/// The ids of one catalog (`combo`, `llm` or a template stage) as of `last_batch`, for the
/// "did you mean" of a refused build (read only when a build is refused for missing ids).
fn catalog_ids(conn: &Connection, catalog: &str, last_batch: i64) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare(queries::CATALOG_IDS_NEAR)
        .db("catalog_ids_near")?;
    let rows = stmt
        .query_map(params![catalog, last_batch], |r| r.get("id"))
        .db("catalog_ids_near")?;
    rows.collect::<rusqlite::Result<Vec<String>>>()
        .db("catalog_ids_near")
}
