//! Build stage 2, the members: plan entries, gen_ids and collisions, in SQL on the store's
//! connection (temp schema).
//!
//! 1. Plan entries are inserted in design-row order into tables with a unique key, so the
//!    first appearance wins and ids keep that order (docs/reference.md §3.4). The key is one
//!    packed integer when it fits 63 bits, else the key columns themselves.
//! 2. Members get their signatures and gen_ids from the registered SQL functions
//!    (docs/reference.md §3.9): all drafts, then essays (signed with their draft's gen_id),
//!    then evaluations (§3.10). A registered gen_id with another signature moves a member to
//!    the next collision index (docs/decisions.md D1).
//! 3. One pass over the members in order gives the members digest and the registry entries.
//!
//! Nothing here writes to the store file; `record::write` copies the result.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::design::Design;
use crate::error::{BuildError, BuildErrorKind, DbContext, Error, Result};
use crate::ids::{self, Replicate, Role, SignatureWriter, Stage};
use crate::record::canonical::{ContentHash, MembersHasher};
use crate::record::{Member, RegistryEntry};
use crate::store::queries;

/// Plan entries per stage, and how the plan tables are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanCounts {
    /// Draft entries.
    pub drafts: u64,
    /// Essay entries.
    pub essays: u64,
    /// Evaluation entries.
    pub evaluations: u64,
    /// Keyed by one packed integer (else by the key columns).
    pub packed: bool,
}

impl PlanCounts {
    /// Members per stage (draft, essay, evaluation).
    pub fn per_stage(&self) -> [u64; 3] {
        [self.drafts, self.essays, self.evaluations]
    }
}

/// The bases that pack each plan key into one integer: for drafts (combo, template, LLM,
/// replicate), then essays and evaluations on top of their parent's key. `None` when a packed
/// key could exceed 63 bits (then the plan tables are keyed by their columns), or when forced.
fn packing(conn: &Connection, design: &Design, force_columns: bool) -> Result<Option<[i64; 9]>> {
    if force_columns {
        return Ok(None);
    }
    // A replicate beyond 64 bits is a BLOB, and SQLite's max() puts it above every integer:
    // such a design cannot be packed (docs/decisions.md D23).
    let reps: [Option<i64>; 3] = conn
        .query_row(queries::BUILD_DESIGN_REP_MAX, [], |r| {
            let rep = |name: &str| -> rusqlite::Result<Option<i64>> {
                Ok(match r.get_ref(name)? {
                    rusqlite::types::ValueRef::Integer(n) => Some(n),
                    _ => None,
                })
            };
            Ok([rep("draft_rep")?, rep("essay_rep")?, rep("evaluation_rep")?])
        })
        .db("build_design_rep_max")?;
    let Some(reps) = reps.into_iter().collect::<Option<Vec<i64>>>() else {
        return Ok(None);
    };
    let size = |role: Role| design.len(role).max(1) as i64;
    let mut bases = [0i64; 9];
    for (k, stage) in Stage::ALL.into_iter().enumerate() {
        bases[3 * k] = size(Role::template(stage));
        bases[3 * k + 1] = size(Role::llm(stage));
        bases[3 * k + 2] = reps[k].saturating_add(1);
    }
    let mut space: u128 = size(Role::Combo) as u128;
    for b in bases {
        space = space.saturating_mul(b as u128);
    }
    Ok((space <= i64::MAX as u128).then_some(bases))
}

/// Stage 2a: fills the plan tables from `temp.design` (first appearance wins) and counts the
/// entries. `force_columns` keys them by their columns even when a packed key would fit.
pub fn plan_entries(conn: &Connection, design: &Design, force_columns: bool) -> Result<PlanCounts> {
    let packing = packing(conn, design, force_columns)?;
    match &packing {
        Some(bases) => {
            conn.execute_batch(queries::BUILD_PLAN_TABLES_PACKED)
                .db("build_plan_tables_packed")?;
            conn.execute(
                queries::BUILD_PLAN_DRAFT_INSERT_PACKED,
                params_from_iter(&bases[..3]),
            )
            .db("build_plan_draft_insert_packed")?;
            conn.execute(
                queries::BUILD_PLAN_ESSAY_INSERT_PACKED,
                params_from_iter(&bases[..6]),
            )
            .db("build_plan_essay_insert_packed")?;
            conn.execute(
                queries::BUILD_PLAN_EVAL_INSERT_PACKED,
                params_from_iter(&bases[..]),
            )
            .db("build_plan_eval_insert_packed")?;
        }
        None => {
            conn.execute_batch(queries::BUILD_PLAN_TABLES_COLUMNS)
                .db("build_plan_tables_columns")?;
            for sql in [
                queries::BUILD_PLAN_DRAFT_INSERT,
                queries::BUILD_PLAN_ESSAY_INSERT,
                queries::BUILD_PLAN_EVAL_INSERT,
            ] {
                conn.execute(sql, []).db("build plan insert")?;
            }
        }
    }
    let count = |r: &rusqlite::Row<'_>, name: &str| -> rusqlite::Result<u64> {
        Ok(r.get::<_, i64>(name)?.max(0) as u64)
    };
    conn.query_row(queries::BUILD_PLAN_COUNTS, [], |r| {
        Ok(PlanCounts {
            drafts: count(r, "drafts")?,
            essays: count(r, "essays")?,
            evaluations: count(r, "evaluations")?,
            packed: packing.is_some(),
        })
    })
    .db("build_plan_counts")
}

/// The role-value ids the plan entries use, per role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Used {
    vids: [BTreeSet<i64>; 7],
}

impl Used {
    /// The ids of `role` that plan entries use.
    pub fn vids(&self, role: Role) -> &BTreeSet<i64> {
        &self.vids[role.index()]
    }

    /// The texts of `role` that plan entries use, sorted and distinct (the manifest's
    /// allowlists, docs/reference.md §3.14).
    pub fn texts(&self, design: &Design, role: Role) -> Vec<String> {
        let mut v: Vec<String> = self
            .vids(role)
            .iter()
            .map(|vid| design.text(role, *vid).to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Stage 2b: the role values the plan entries use.
pub fn used_values(conn: &Connection) -> Result<Used> {
    let mut used = Used::default();
    let mut stmt = conn
        .prepare(queries::BUILD_ROLE_VALUES_USED)
        .db("build_role_values_used")?;
    let mut rows = stmt.query([]).db("build_role_values_used")?;
    while let Some(row) = rows.next().db("build_role_values_used")? {
        let role: i64 = row.get("role").db("role")?;
        let role = usize::try_from(role)
            .ok()
            .and_then(Role::from_index)
            .ok_or_else(|| {
                Error::internal(
                    "build_role_values_used numbers the seven roles 0..=6",
                    format!("role {role}"),
                )
            })?;
        used.vids[role.index()].insert(row.get("vid").db("vid")?);
    }
    Ok(used)
}

/// Stage 2c: inserts the members with their gen_ids, drafts first, and moves a gen_id that an
/// earlier cohort (before `cohort_no`) registered for another signature to its next collision
/// index (D1).
pub fn issue_gen_ids(
    conn: &Connection,
    counts: &PlanCounts,
    cohort_no: i64,
    cohort: &str,
) -> Result<()> {
    conn.execute(queries::BUILD_MEMBER_DRAFT_INSERT, [])
        .db("build_member_draft_insert")?;
    // Only earlier cohorts' gen_ids can collide; without any, the registry join (a probe per
    // member) is skipped.
    let any_earlier: bool = conn
        .query_row(queries::BUILD_REGISTRY_ANY_EARLIER, [cohort_no], |r| {
            r.get("any_earlier")
        })
        .db("build_registry_any_earlier")?;
    let resolve = |stage: Stage| {
        if any_earlier {
            resolve_collisions(conn, stage, cohort_no, cohort)
        } else {
            Ok(())
        }
    };
    resolve(Stage::Draft)?;
    let (essay_insert, eval_insert) = if counts.packed {
        (
            queries::BUILD_MEMBER_ESSAY_INSERT_PACKED,
            queries::BUILD_MEMBER_EVAL_INSERT_PACKED,
        )
    } else {
        (
            queries::BUILD_MEMBER_ESSAY_INSERT,
            queries::BUILD_MEMBER_EVAL_INSERT,
        )
    };
    let (drafts, essays) = (counts.drafts as i64, counts.essays as i64);
    conn.execute(essay_insert, [drafts])
        .db("build_member_essay_insert")?;
    resolve(Stage::Essay)?;
    conn.execute(eval_insert, [drafts + essays, drafts])
        .db("build_member_eval_insert")?;
    resolve(Stage::Evaluation)
}

/// D1: a registered gen_id with another signature moves the member to the next collision index,
/// as the reference does against `gens/`.
fn resolve_collisions(conn: &Connection, stage: Stage, cohort_no: i64, cohort: &str) -> Result<()> {
    let mut stmt = conn
        .prepare(queries::BUILD_REGISTRY_CONFLICTS)
        .db("build_registry_conflicts")?;
    let conflicts: Vec<(i64, String, i64)> = stmt
        .query_map(params![stage as i64, cohort_no], |r| {
            Ok((r.get("seq")?, r.get("signature")?, r.get("collision")?))
        })
        .db("build_registry_conflicts")?
        .collect::<rusqlite::Result<_>>()
        .db("build_registry_conflicts")?;
    let mut lookup = conn
        .prepare(queries::BUILD_REGISTRY_LOOKUP)
        .db("build_registry_lookup")?;
    for (rowid, signature, collision) in conflicts {
        let mut chosen = None;
        for attempt in (collision as u32 + 1)..ids::MAX_COLLISION_ATTEMPTS {
            let candidate = ids::gen_id(stage, &signature, attempt);
            let held_by_other: Option<bool> = lookup
                .query_row(params![candidate, signature, cohort_no], |r| {
                    r.get("held_by_other")
                })
                .optional()
                .db("build_registry_lookup")?;
            if held_by_other != Some(true) {
                chosen = Some(attempt);
                break;
            }
        }
        let Some(attempt) = chosen else {
            return Err(BuildError {
                cohort: cohort.to_string(),
                kind: BuildErrorKind::IdCandidatesTaken {
                    stage,
                    signature: signature.to_string(),
                },
            }
            .into());
        };
        conn.execute(
            queries::BUILD_MEMBER_SET_COLLISION,
            params![rowid, attempt, ids::gen_id(stage, &signature, attempt)],
        )
        .db("build_member_set_collision")?;
    }
    Ok(())
}

/// Stage 2d: one pass over the members in order — the members digest (D12) and the registry
/// entries (gen_id, signature digest), sorted by gen_id. Texts come from the design's role
/// dictionaries; parents' gen_ids are remembered as the pass goes (parents come first).
pub fn digest(
    conn: &Connection,
    counts: &PlanCounts,
    design: &Design,
) -> Result<(ContentHash, Vec<RegistryEntry>)> {
    let total = counts.drafts + counts.essays + counts.evaluations;
    let mut hasher = MembersHasher::new(total);
    // Normalised (trimmed, lowercased) texts, as signatures use them.
    let normalized: Vec<Vec<String>> = Role::ALL
        .iter()
        .map(|role| {
            design
                .dict(*role)
                .texts
                .iter()
                .map(|t| ids::py_lower(ids::py_strip(t)))
                .collect()
        })
        .collect();
    let norm = |role: Role, vid: i64| -> &str {
        usize::try_from(vid)
            .ok()
            .and_then(|v| normalized[role.index()].get(v))
            .map_or("", String::as_str)
    };
    let parents = (counts.drafts + counts.essays) as usize;
    let mut parent_ids: Vec<String> = Vec::with_capacity(parents);
    let mut registry = Vec::with_capacity(total as usize);
    let mut signature = String::with_capacity(96);
    let mut stmt = conn
        .prepare(queries::BUILD_MEMBERS_ORDERED)
        .db("build_members_ordered")?;
    // Columns by name, resolved once: a name lookup per cell costs ~8% of a build.
    let column = |name: &str| stmt.column_index(name).db("build_members_ordered");
    let (c_stage, c_gen_id, c_parent, c_combo) = (
        column("stage")?,
        column("gen_id")?,
        column("parent")?,
        column("combo")?,
    );
    let (c_template, c_llm, c_rep, c_collision) = (
        column("template")?,
        column("llm")?,
        column("rep")?,
        column("collision")?,
    );
    let mut rows = stmt.query([]).db("build_members_ordered")?;
    let mut ordinal: u32 = 0;
    while let Some(r) = rows.next().db("build_members_ordered")? {
        let stage_no: i64 = r.get(c_stage).db("member stage")?;
        let stage = usize::try_from(stage_no)
            .ok()
            .and_then(|s| Stage::ALL.get(s).copied())
            .ok_or_else(|| {
                Error::internal(
                    "a stored member's stage is 0, 1 or 2",
                    format!("found {stage_no}"),
                )
            })?;
        let gen_id = match r.get_ref(c_gen_id).db("member gen_id")? {
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                .map_err(|e| Error::internal("a stored gen_id is UTF-8 text", e.to_string()))?,
            _ => {
                return Err(Error::internal(
                    "a stored member has a text gen_id",
                    "found another SQL type",
                ));
            }
        };
        let parent: Option<i64> = r.get(c_parent).db("member parent")?;
        let combo: i64 = r.get(c_combo).db("member combo")?;
        let template: i64 = r.get(c_template).db("member template")?;
        let llm: i64 = r.get(c_llm).db("member llm")?;
        let replicate: Replicate = r.get(c_rep).db("member replicate")?;
        let parent_id = parent
            .and_then(|p| usize::try_from(p - 1).ok())
            .and_then(|p| parent_ids.get(p))
            .map(String::as_str);
        let (template_role, llm_role) = (Role::template(stage), Role::llm(stage));
        hasher.member(&Member {
            stage,
            gen_id,
            parent_gen_id: parent_id,
            combo_id: design.text(Role::Combo, combo),
            template_id: design.text(template_role, template),
            llm_model_id: design.text(llm_role, llm),
            replicate: &replicate,
        });
        let mut writer = SignatureWriter::new(&mut signature);
        match stage {
            Stage::Draft => writer.normalized(norm(Role::Combo, combo)),
            Stage::Essay | Stage::Evaluation => writer.normalized(parent_id.unwrap_or_default()),
        }
        writer.normalized(norm(template_role, template));
        if stage != Stage::Essay {
            // The essay signature has no LLM (docs/reference.md §3.9, docs/decisions.md D2).
            writer.normalized(norm(llm_role, llm));
        }
        writer.finish(&replicate);
        let collision: i64 = r.get(c_collision).db("member collision")?;
        registry.push(RegistryEntry::new(gen_id, collision, ordinal, &signature));
        if (ordinal as usize) < parents {
            parent_ids.push(gen_id.to_string());
        }
        ordinal += 1;
    }
    registry.sort_unstable_by(|a, b| a.gen_id().cmp(b.gen_id()));
    Ok((hasher.finish(), registry))
}

/// How the computed members (in the temp tables of a build) differ from stored cohort
/// `cohort_no`'s, per stage (draft, essay, evaluation): gen_ids added and gen_ids dropped.
pub fn member_diff(conn: &Connection, cohort_no: i64) -> Result<[(u64, u64); 3]> {
    let mut diff = [(0, 0); 3];
    for (sql, added) in [
        (queries::BUILD_MEMBER_DIFF_ADDED, true),
        (queries::BUILD_MEMBER_DIFF_REMOVED, false),
    ] {
        let mut stmt = conn.prepare(sql).db("member diff")?;
        let mut rows = stmt.query([cohort_no]).db("member diff")?;
        while let Some(row) = rows.next().db("member diff")? {
            let stage: i64 = row.get("stage").db("member diff")?;
            let count: i64 = row.get("members").db("member diff")?;
            // The stage column is constrained to 0, 1, 2 in both tables.
            if let Some(slot) = diff.get_mut(stage as usize) {
                if added {
                    slot.0 = count as u64;
                } else {
                    slot.1 = count as u64;
                }
            }
        }
    }
    Ok(diff)
}
