//! Design rows → plan entries → members, in SQL on the store's connection (temp schema).
//!
//! 1. The compiled product (semantics §2) fills `temp.design` with role-value ids: each role is
//!    `coalesce` of its candidate columns (§3.4), texts are interned in Rust as the axis tables
//!    are loaded, so the grouping works on small integers.
//! 2. Plan entries are inserted in design-row order into tables with a unique key, so the
//!    first appearance wins and ids keep that order (§3.4).
//! 3. Members get their signatures and gen_ids from the registered SQL functions (§3.9): all
//!    drafts, then essays (signed with their draft's gen_id), then evaluations (§3.10). A
//!    registered gen_id with another signature moves a member to the next collision index (D1);
//!    two plan entries with one gen_id are refused (D2).
//!
//! Nothing here writes to the store file; `record::write` copies the result.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::roles::{self, NONE_ESSAY_LLM, REPLICATE_CANDIDATES, TEXT_ROLES};
use crate::compile::shuffle::Seed;
use crate::compile::{self, Compiled, Selection, Source};
use crate::error::{DbContext, Error, Location, Result};
use crate::ids::{self, Stage};
use crate::record::canonical::{self, ContentHash, Encoder};
use crate::spec::{Plan, Spec, Value};
use crate::store::queries;
use crate::textfmt::PyJson;

/// What a build computes before anything is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    /// Members per stage (drafts, essays, evaluations).
    pub counts: [u64; 3],
    /// `manifest.json`, exactly as exported.
    pub manifest: String,
    /// Template modes: `(stage, template_id, mode)`.
    pub modes: Vec<(Stage, String, String)>,
    /// The effective shuffle seed.
    pub seed: Option<Seed>,
    /// The newest import batch the computation saw.
    pub last_batch: i64,
    /// The cohort's build number: registry entries of earlier cohorts were consulted.
    pub cohort_no: i64,
    /// Component digests and the content hash (D12).
    pub hashes: Hashes,
    /// What the registry records for each member, sorted by gen_id (empty unless asked for).
    pub registry: Vec<RegistryEntry>,
}

/// One member as the gen_id registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    gen_id: [u8; 24],
    len: u8,
    /// The collision index the gen_id was issued with.
    pub collision: u8,
    /// The member's ordinal in its cohort.
    pub ordinal: u32,
    /// The first 16 bytes of BLAKE3 over the signature.
    pub digest: [u8; 16],
}

impl RegistryEntry {
    fn new(gen_id: &str, collision: i64, ordinal: u32, signature: &str) -> Self {
        let mut buf = [0u8; 24];
        let len = gen_id.len().min(24);
        buf[..len].copy_from_slice(&gen_id.as_bytes()[..len]);
        RegistryEntry {
            gen_id: buf,
            len: len as u8,
            collision: collision as u8,
            ordinal,
            digest: crate::store::functions::signature_digest(signature),
        }
    }

    /// The gen_id.
    pub fn gen_id(&self) -> &str {
        // Only valid UTF-8 (an ASCII gen_id) is ever copied in.
        std::str::from_utf8(&self.gen_id[..self.len as usize]).expect("gen_ids are ASCII")
    }
}

/// The digests of a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hashes {
    /// The canonical spec.
    pub spec: ContentHash,
    /// The members in order.
    pub members: ContentHash,
    /// `manifest.json`.
    pub manifest: ContentHash,
    /// The referenced catalog rows.
    pub catalog: ContentHash,
    /// The content hash over all of them and the cohort id.
    pub content: ContentHash,
}

/// What a table column holds in a build.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RoleCell {
    /// The role-value id of the component's text (NULL when blank).
    Text(usize),
    /// The component parsed as a replicate index (NULL when blank; a sentinel when invalid).
    Replicate(String),
}

/// Interned role values with where each first appeared.
#[derive(Default)]
struct RoleDict {
    ids: HashMap<String, i64>,
    texts: Vec<String>,
    first_at: Vec<Location>,
}

impl RoleDict {
    fn intern(&mut self, text: &str, at: &Location) -> i64 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as i64;
        self.ids.insert(text.to_string(), id);
        self.texts.push(text.to_string());
        self.first_at.push(at.clone());
        id
    }
}

/// Invalid replicate values are stored as `SENTINEL + k` (k indexes the list of problems), far
/// below any real value, so `< 1` finds them together with zero and negative values.
const SENTINEL: i64 = i64::MIN / 2;

struct Loaded {
    dicts: Vec<RoleDict>,
    replicate_problems: Vec<(String, String, Location)>,
}

fn sources_for(
    plan: &Plan,
    names: &[&str],
    kind: impl Fn(&str) -> RoleCell,
) -> Vec<Source<RoleCell>> {
    names
        .iter()
        .filter_map(|name| {
            plan.columns
                .iter()
                .find(|c| c.name == *name)
                .map(|c| (name, c))
        })
        .map(|(name, c)| Source {
            axis: c.axis,
            path: c.path.clone(),
            kind: kind(name),
        })
        .collect()
}

/// The ten projected design columns, in `temp.design` order.
fn selections(plan: &Plan, cohort: &str) -> Result<Vec<Selection<RoleCell>>> {
    let mut missing = Vec::new();
    let mut text: Vec<Selection<RoleCell>> = Vec::new();
    for (r, role) in TEXT_ROLES.iter().enumerate() {
        let sources = sources_for(plan, role.candidates, |_| RoleCell::Text(r));
        if sources.is_empty() {
            missing.push(format!(
                "{} (a column named {})",
                role.name,
                role.candidates.join(" or ")
            ));
        }
        text.push(Selection {
            alias: role.name.to_string(),
            sources,
            default: None,
        });
    }
    if !missing.is_empty() {
        let columns: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
        return Err(Error::Refused {
            message: format!(
                "cohort {cohort:?}: the spec's rows lack {} field{} every cohort row needs: {}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
            detail: vec![
                format!("the compiled rows have the columns: {}", if columns.is_empty() { "(none)".into() } else { columns.join(", ") }),
                "hint: a cohort needs a combo, a draft template and LLM, an essay template and LLM, and an \
                 evaluation template and LLM in every row (semantics §3.4)"
                    .to_string(),
            ],
        });
    }
    let rep = |stage: Stage| {
        let names = REPLICATE_CANDIDATES
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, n)| *n)
            .unwrap_or(&[]);
        Selection {
            alias: format!("{stage}_rep"),
            sources: sources_for(plan, names, |name| RoleCell::Replicate(name.to_string())),
            default: Some(1),
        }
    };
    let mut t = text.into_iter();
    let mut next = || {
        t.next()
            .expect("one text selection per text role, seven in all")
    };
    Ok(vec![
        next(),
        next(),
        next(),
        rep(Stage::Draft),
        next(),
        next(),
        rep(Stage::Essay),
        next(),
        next(),
        rep(Stage::Evaluation),
    ])
}

fn load(conn: &Connection, plan: &Plan, compiled: &Compiled<RoleCell>) -> Result<Loaded> {
    let mut dicts: Vec<RoleDict> = (0..TEXT_ROLES.len()).map(|_| RoleDict::default()).collect();
    let mut problems: Vec<(String, String, Location)> = Vec::new();
    compile::load_tables(conn, plan, compiled, |kind, value, at| {
        Ok(match kind {
            RoleCell::Text(role) => {
                let text = value.py_str();
                let stripped = ids::py_strip(&text);
                if stripped.is_empty() {
                    SqlValue::Null
                } else {
                    SqlValue::Integer(dicts[*role].intern(stripped, at))
                }
            }
            RoleCell::Replicate(column) => match value {
                Value::Int(i) if *i >= 1 => SqlValue::Integer(*i),
                Value::Str(s) if ids::py_strip(s).is_empty() => SqlValue::Null,
                Value::Str(s) if ids::py_int(s).is_some_and(|i| i >= 1) => {
                    SqlValue::Integer(ids::py_int(s).expect("the match guard parsed it"))
                }
                other => {
                    // D22: say what the reference's int() made of non-ASCII digits.
                    let shown = match other {
                        Value::Str(s) => crate::spec::value::python_int_of_unicode_digits(s)
                            .map(|n| {
                                format!(
                                    "{other} (the reference's int() read this as {n}; write {n}, D22)"
                                )
                            }),
                        _ => None,
                    };
                    let shown = shown.unwrap_or_else(|| other.to_string());
                    problems.push((column.clone(), shown, at.clone()));
                    SqlValue::Integer(SENTINEL + problems.len() as i64 - 1)
                }
            },
        })
    })?;
    let mut insert = conn
        .prepare(queries::BUILD_ROLE_TEXT_INSERT)
        .db("build_role_text_insert")?;
    for (role, dict) in dicts.iter().enumerate() {
        for (vid, text) in dict.texts.iter().enumerate() {
            insert
                .execute(params![role as i64, vid as i64, text])
                .db("build_role_text_insert")?;
        }
    }
    Ok(Loaded {
        dicts,
        replicate_problems: problems,
    })
}

fn check_design(conn: &Connection, loaded: &Loaded, plan: &Plan, cohort: &str) -> Result<()> {
    let first_missing: Option<(i64, [bool; 7])> = conn
        .query_row(queries::BUILD_DESIGN_FIRST_MISSING, [], |r| {
            let mut flags = [false; 7];
            for (i, flag) in flags.iter_mut().enumerate() {
                *flag = r.get(i + 1)?;
            }
            Ok((r.get(0)?, flags))
        })
        .optional()
        .db("build_design_first_missing")?;
    if let Some((row, flags)) = first_missing {
        let role = TEXT_ROLES[flags.iter().position(|f| *f).expect("a flag is set")];
        let present: Vec<&str> = role
            .candidates
            .iter()
            .copied()
            .filter(|c| plan.columns.iter().any(|col| col.name == *c))
            .collect();
        return Err(Error::Refused {
            message: format!(
                "cohort {cohort:?}: design row {row} has no value for {} (its column{} {} {} empty there)",
                role.name,
                if present.len() == 1 { "" } else { "s" },
                present.join(", "),
                if present.len() == 1 { "is" } else { "are" }
            ),
            detail: vec![
                "hint: every row needs a non-empty value for each cohort field (semantics §3.4)"
                    .to_string(),
            ],
        });
    }
    let bad: Option<(i64, [i64; 3])> = conn
        .query_row(queries::BUILD_DESIGN_FIRST_BAD_REPLICATE, [], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?]))
        })
        .optional()
        .db("build_design_first_bad_replicate")?;
    if let Some((row, reps)) = bad {
        let value = reps
            .into_iter()
            .find(|v| *v < 1)
            .expect("the query selects a row with a replicate below 1");
        let (column, text, at) = if value < SENTINEL / 2 {
            loaded.replicate_problems[(value - SENTINEL) as usize].clone()
        } else {
            (
                "replicate".to_string(),
                value.to_string(),
                Location::default(),
            )
        };
        return Err(Error::Refused {
            message: format!(
                "cohort {cohort:?}: design row {row}: {column} {text} is not a replicate index (an integer of at least 1){}",
                if at.path.is_empty() {
                    String::new()
                } else {
                    format!(", at {at}")
                }
            ),
            detail: vec![],
        });
    }
    Ok(())
}

fn validate_catalogs(
    conn: &Connection,
    loaded: &Loaded,
    used: &BTreeMap<usize, BTreeSet<i64>>,
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
    let mut lines = Vec::new();
    let mut total = 0usize;
    for (role, vids) in used {
        let mut missing = Vec::new();
        for vid in vids {
            let text = &loaded.dicts[*role].texts[*vid as usize];
            let exists: bool = match *role {
                roles::COMBO => combo.query_row(params![text, last_batch], |r| r.get(0)),
                r if roles::template_stage(r).is_some() => {
                    let stage = roles::template_stage(r)
                        .expect("the match guard checked it is a template role")
                        .as_str();
                    template.query_row(params![stage, text, last_batch], |r| r.get(0))
                }
                roles::ESSAY_LLM if text == NONE_ESSAY_LLM => Ok(true),
                _ => llm.query_row(params![text, last_batch], |r| r.get(0)),
            }
            .db("catalog exists")?;
            if !exists {
                missing.push(format!(
                    "{text:?} ({})",
                    loaded.dicts[*role].first_at[*vid as usize]
                ));
            }
        }
        if !missing.is_empty() {
            total += missing.len();
            const SHOWN: usize = 10;
            let more = missing.len().saturating_sub(SHOWN);
            let mut shown = missing[..missing.len().min(SHOWN)].join(", ");
            if more > 0 {
                shown.push_str(&format!(", and {more} more"));
            }
            lines.push(format!(
                "{} ({}): {shown}",
                TEXT_ROLES[*role].label,
                missing.len()
            ));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let counts: (i64, i64, i64) = conn
        .query_row(queries::CATALOG_COUNT, [last_batch], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .db("catalog_count")?;
    for (n, what) in [
        (counts.0, "combo mappings"),
        (counts.1, "templates"),
        (counts.2, "LLM models"),
    ] {
        if n == 0 {
            lines.push(format!("note: no {what} have been imported"));
        }
    }
    lines.push(
        "hint: import the missing rows (`cohortdb import`) or fix the spec; nothing was stored"
            .to_string(),
    );
    Err(Error::Refused {
        message: format!(
            "cohort {cohort:?}: {total} id{} the spec uses {} not in the imported catalogs (D16)",
            if total == 1 { "" } else { "s" },
            if total == 1 { "is" } else { "are" }
        ),
        detail: lines,
    })
}

/// The member rowid → member fields, for messages.
fn member(conn: &Connection, rowid: i64) -> Result<[String; 7]> {
    conn.query_row(queries::BUILD_MEMBER_SELECT, [rowid], |r| {
        Ok([
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?.to_string(),
        ])
    })
    .db("build_member_select")
}

fn describe(m: &[String; 7]) -> String {
    let parent = if m[2].is_empty() {
        format!("combo {}", m[3])
    } else {
        format!("parent {}", m[2])
    };
    let llm_name = match m[0].as_str() {
        "essay" => "essay_llm",
        "evaluation" => "evaluation_llm",
        _ => "draft_llm",
    };
    format!(
        "{parent}, template {}, {llm_name} {}, replicate {}",
        m[4], m[5], m[6]
    )
}

/// D2: refuses plan entries that would share a gen_id. `entries` are sorted by gen_id, so
/// sharing entries are adjacent; the earliest stage with a shared id is reported.
fn check_duplicates(conn: &Connection, entries: &[RegistryEntry], cohort: &str) -> Result<()> {
    // (stage, gen_id, ordinals) of every shared id.
    let mut groups: Vec<(Stage, &str, Vec<u32>)> = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].gen_id() == entries[i].gen_id() {
            j += 1;
        }
        if j - i > 1 {
            let id = entries[i].gen_id();
            let stage = match id.as_bytes().first() {
                Some(b'd') => Stage::Draft,
                Some(b'e') => Stage::Essay,
                _ => Stage::Evaluation,
            };
            let mut ordinals: Vec<u32> = entries[i..j].iter().map(|e| e.ordinal).collect();
            ordinals.sort_unstable();
            groups.push((stage, id, ordinals));
        }
        i = j;
    }
    let Some(stage) = groups.iter().map(|g| g.0).min() else {
        return Ok(());
    };
    groups.retain(|g| g.0 == stage);
    groups.sort_by_key(|g| g.2[0]);
    let shared_ids = groups.len();
    let entries_count: usize = groups.iter().map(|g| g.2.len()).sum();
    let mut detail = Vec::new();
    let mut llm_differs = false;
    let mut case_differs = false;
    for (_, gen_id, ordinals) in groups.iter().take(3) {
        let first = member(conn, i64::from(ordinals[0]) + 1)?;
        detail.push(format!("{gen_id}: {}", describe(&first)));
        for other in ordinals.iter().skip(1).take(2) {
            let m = member(conn, i64::from(*other) + 1)?;
            if m[5] != first[5] && m[5].to_lowercase() != first[5].to_lowercase() {
                llm_differs = true;
            } else {
                case_differs = true;
            }
            detail.push(format!(
                "{:width$}  vs {}",
                "",
                describe(&m),
                width = gen_id.len()
            ));
        }
    }
    if stage == Stage::Essay && llm_differs {
        detail.push(
            "hint: the essay gen_id does not include essay_llm (semantics §3.9), so essays that differ only \
             in essay_llm would be one generation; the old tool silently kept the first (D2). Use one essay \
             LLM per draft and essay template, or tell them apart with an essay replicate axis"
                .to_string(),
        );
    }
    if case_differs {
        detail.push(
            "hint: gen_ids lowercase their components, so ids that differ only in letter case are the same \
             generation; use one spelling"
                .to_string(),
        );
    }
    Err(Error::Refused {
        message: format!(
            "cohort {cohort:?}: {entries_count} {stage} plan entries would share {shared_ids} gen_id{}; a build \
             never collapses them silently (D2)",
            if shared_ids == 1 { "" } else { "s" }
        ),
        detail,
    })
}

/// How the computed members (in the temp tables of [`compute`]) differ from stored cohort
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
            let stage: i64 = row.get(0).db("member diff")?;
            let count: i64 = row.get(1).db("member diff")?;
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

/// D1: a registered gen_id with another signature moves the member to the next collision index,
/// as the reference does against `gens/`.
fn resolve_collisions(
    conn: &Connection,
    stage: Stage,
    stage_no: i64,
    cohort_no: i64,
    cohort: &str,
) -> Result<()> {
    let mut stmt = conn
        .prepare(queries::BUILD_REGISTRY_CONFLICTS)
        .db("build_registry_conflicts")?;
    let conflicts: Vec<(i64, String, i64)> = stmt
        .query_map(params![stage_no, cohort_no], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
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
                .query_row(params![candidate, signature, cohort_no], |r| r.get(0))
                .optional()
                .db("build_registry_lookup")?;
            if held_by_other != Some(true) {
                chosen = Some(attempt);
                break;
            }
        }
        let Some(attempt) = chosen else {
            return Err(Error::refused(
                format!(
                    "cohort {cohort:?}: every gen_id candidate of the {stage} signature {signature:?} is taken \
                     by another signature (deterministic_id_collision)"
                ),
                vec![],
            ));
        };
        conn.execute(
            queries::BUILD_MEMBER_SET_COLLISION,
            params![rowid, attempt, ids::gen_id(stage, &signature, attempt)],
        )
        .db("build_member_set_collision")?;
    }
    Ok(())
}

/// The bases that pack each plan key into one integer: for drafts (combo, template, LLM,
/// replicate), then essays and evaluations on top of their parent's key. `None` when a packed
/// key could exceed 63 bits (then the plan tables are keyed by their columns), or when forced.
fn packing(conn: &Connection, loaded: &Loaded, force_columns: bool) -> Result<Option<[i64; 9]>> {
    if force_columns {
        return Ok(None);
    }
    let reps: (i64, i64, i64) = conn
        .query_row(queries::BUILD_DESIGN_REP_MAX, [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .db("build_design_rep_max")?;
    let size = |role: usize| loaded.dicts[role].texts.len().max(1) as i64;
    let bases = [
        size(roles::DRAFT_TEMPLATE),
        size(roles::DRAFT_LLM),
        reps.0.saturating_add(1),
        size(roles::ESSAY_TEMPLATE),
        size(roles::ESSAY_LLM),
        reps.1.saturating_add(1),
        size(roles::EVALUATION_TEMPLATE),
        size(roles::EVALUATION_LLM),
        reps.2.saturating_add(1),
    ];
    let mut space: u128 = size(roles::COMBO) as u128;
    for b in bases {
        space = space.saturating_mul(b as u128);
    }
    Ok((space <= i64::MAX as u128).then_some(bases))
}

/// Computes a cohort's members, manifest, modes and hashes in temp tables on `conn`.
/// `collect_registry` also returns the registry entries (a build needs them, verify does not);
/// `force_columns` disables packed plan keys (tests of the general path).
#[allow(clippy::too_many_arguments)]
pub fn compute(
    conn: &Connection,
    cohort: &str,
    spec: &Spec,
    plan: &Plan,
    seed: Option<&Seed>,
    last_batch: i64,
    cohort_no: i64,
    collect_registry: bool,
    force_columns: bool,
) -> Result<Computed> {
    conn.execute_batch(queries::BUILD_TEMP_CREATE)
        .db("build_temp_create")?;
    let selections = selections(plan, cohort)?;
    let compiled = Compiled::new(plan, &selections, seed.is_some());
    let loaded = load(conn, plan, &compiled)?;
    {
        let mut design = compile::prepare_product_into(
            conn,
            plan,
            &compiled,
            seed,
            queries::BUILD_DESIGN_INSERT,
        )?;
        design.raw_execute().db("fill temp.design")?;
    }
    check_design(conn, &loaded, plan, cohort)?;
    let packing = packing(conn, &loaded, force_columns)?;
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
    let plan_counts: (i64, i64, i64) = conn
        .query_row(queries::BUILD_PLAN_COUNTS, [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .db("build_plan_counts")?;
    if plan_counts.0 == 0 {
        return Err(Error::Refused {
            message: format!(
                "cohort {cohort:?}: the spec compiles to zero rows, so the cohort would be empty (D15)"
            ),
            detail: vec![
                "hint: `cohortdb explain SPEC` shows which axis or rule leaves no levels"
                    .to_string(),
            ],
        });
    }
    let mut used: BTreeMap<usize, BTreeSet<i64>> = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare(queries::BUILD_ROLE_VALUES_USED)
            .db("build_role_values_used")?;
        let mut rows = stmt.query([]).db("build_role_values_used")?;
        while let Some(row) = rows.next().db("build_role_values_used")? {
            used.entry(row.get::<_, i64>(0).db("role")? as usize)
                .or_default()
                .insert(row.get(1).db("vid")?);
        }
    }
    validate_catalogs(conn, &loaded, &used, last_batch, cohort)?;

    conn.execute(queries::BUILD_MEMBER_DRAFT_INSERT, [])
        .db("build_member_draft_insert")?;
    // Only earlier cohorts' gen_ids can collide; without any, the registry join (a probe per
    // member) is skipped.
    let any_earlier: bool = conn
        .query_row(queries::BUILD_REGISTRY_ANY_EARLIER, [cohort_no], |r| {
            r.get(0)
        })
        .db("build_registry_any_earlier")?;
    let resolve_collisions = |stage: Stage, stage_no: i64| {
        if any_earlier {
            resolve_collisions(conn, stage, stage_no, cohort_no, cohort)
        } else {
            Ok(())
        }
    };
    resolve_collisions(Stage::Draft, 0)?;
    let (essay_insert, eval_insert) = if packing.is_some() {
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
    conn.execute(essay_insert, [plan_counts.0])
        .db("build_member_essay_insert")?;
    resolve_collisions(Stage::Essay, 1)?;
    conn.execute(eval_insert, [plan_counts.0 + plan_counts.1, plan_counts.0])
        .db("build_member_eval_insert")?;
    resolve_collisions(Stage::Evaluation, 2)?;

    let counts = [
        plan_counts.0 as u64,
        plan_counts.1 as u64,
        plan_counts.2 as u64,
    ];
    let texts = |role: usize| -> Vec<String> {
        let mut v: Vec<String> = used
            .get(&role)
            .map(|vids| {
                vids.iter()
                    .map(|vid| loaded.dicts[role].texts[*vid as usize].clone())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v.dedup();
        v
    };
    let manifest = manifest(conn, &texts, last_batch, cohort)?;
    let modes = modes(conn, &texts, last_batch)?;
    let spec_hash = canonical::spec_hash(spec, seed);
    let (members_hash, mut registry) = digest_members(conn, counts, &loaded.dicts)?;
    check_duplicates(conn, &registry, cohort)?;
    if !collect_registry {
        registry = Vec::new();
    }
    let manifest_hash = canonical::manifest_hash(&manifest);
    let catalog_hash = catalog_hash(conn, &texts, last_batch)?;
    let content = canonical::content_hash(
        cohort,
        &spec_hash,
        &members_hash,
        &manifest_hash,
        &catalog_hash,
    );
    Ok(Computed {
        counts,
        manifest,
        modes,
        seed: seed.cloned(),
        last_batch,
        cohort_no,
        hashes: Hashes {
            spec: spec_hash,
            members: members_hash,
            manifest: manifest_hash,
            catalog: catalog_hash,
            content,
        },
        registry,
    })
}

/// `manifest.json` (semantics §3.14): sorted allowlists and the replication config (D10).
fn manifest(
    conn: &Connection,
    texts: &dyn Fn(usize) -> Vec<String>,
    last_batch: i64,
    cohort: &str,
) -> Result<String> {
    let list = |v: Vec<String>| PyJson::List(v.into_iter().map(PyJson::Str).collect());
    let mut replication: Vec<(String, PyJson)> = Vec::new();
    let mut stmt = conn
        .prepare(queries::CATALOG_REPLICATION_ROWS)
        .db("catalog_replication_rows")?;
    let rows: Vec<(String, String)> = stmt
        .query_map([last_batch], |r| Ok((r.get(0)?, r.get(1)?)))
        .db("catalog_replication_rows")?
        .collect::<rusqlite::Result<_>>()
        .db("catalog_replication_rows")?;
    for (stage, replicates) in &rows {
        let n = crate::catalog::import::parse_replicates(replicates).unwrap_or(1);
        replication.push((stage.clone(), PyJson::Int(n)));
    }
    if !rows.is_empty() {
        let missing: Vec<&str> = Stage::ALL
            .iter()
            .map(|s| s.as_str())
            .filter(|s| !rows.iter().any(|(st, _)| st == s))
            .collect();
        if !missing.is_empty() {
            return Err(Error::refused(
                format!(
                    "cohort {cohort:?}: the imported replication config has no row for stage {} (the manifest \
                     copies it for all three stages, D10)",
                    missing.join(", ")
                ),
                vec![
                    "hint: import a replication_config.csv with draft, essay and evaluation rows"
                        .to_string(),
                ],
            ));
        }
    }
    let value = PyJson::Object(vec![
        ("combos".into(), list(texts(roles::COMBO))),
        (
            "templates".into(),
            PyJson::Object(vec![
                ("draft".into(), list(texts(roles::DRAFT_TEMPLATE))),
                ("essay".into(), list(texts(roles::ESSAY_TEMPLATE))),
                ("evaluation".into(), list(texts(roles::EVALUATION_TEMPLATE))),
            ]),
        ),
        (
            "llms".into(),
            PyJson::Object(vec![
                ("generation".into(), list(texts(roles::DRAFT_LLM))),
                ("evaluation".into(), list(texts(roles::EVALUATION_LLM))),
            ]),
        ),
        ("replication".into(), PyJson::Object(replication)),
    ]);
    Ok(value.render())
}

/// The template modes metadata records (semantics §3.6; an empty generator means llm, D9).
fn modes(
    conn: &Connection,
    texts: &dyn Fn(usize) -> Vec<String>,
    last_batch: i64,
) -> Result<Vec<(Stage, String, String)>> {
    let mut stmt = conn
        .prepare(queries::CATALOG_TEMPLATE_ROW)
        .db("catalog_template_row")?;
    let mut out = Vec::new();
    for role in [
        roles::DRAFT_TEMPLATE,
        roles::ESSAY_TEMPLATE,
        roles::EVALUATION_TEMPLATE,
    ] {
        let stage = roles::template_stage(role).expect("a template role");
        for template in texts(role) {
            let generator: Option<String> = stmt
                .query_row(params![stage.as_str(), template, last_batch], |r| r.get(3))
                .optional()
                .db("catalog_template_row")?;
            let mode = generator
                .map(|g| ids::py_strip(&g).to_lowercase())
                .filter(|g| !g.is_empty())
                .unwrap_or_else(|| "llm".into());
            out.push((stage, template, mode));
        }
    }
    Ok(out)
}

/// One pass over the members in order: the members digest (D12) and the registry entries
/// (gen_id, signature digest), sorted by gen_id. Texts come from the role dictionaries;
/// parents' gen_ids are remembered as the pass goes (parents come first).
fn digest_members(
    conn: &Connection,
    counts: [u64; 3],
    dicts: &[RoleDict],
) -> Result<(ContentHash, Vec<RegistryEntry>)> {
    let mut e = Encoder::new("cohortdb-v1/members");
    let total = counts.iter().sum::<u64>();
    e.u64(total);
    // Normalised (trimmed, lowercased) texts, as signatures use them.
    let normalized: Vec<Vec<String>> = dicts
        .iter()
        .map(|d| {
            d.texts
                .iter()
                .map(|t| ids::py_lower(ids::py_strip(t)))
                .collect()
        })
        .collect();
    let parents = (counts[0] + counts[1]) as usize;
    let mut parent_ids: Vec<String> = Vec::with_capacity(parents);
    let mut registry = Vec::with_capacity(total as usize);
    let mut signature = String::with_capacity(96);
    let mut stmt = conn
        .prepare(queries::BUILD_MEMBERS_ORDERED)
        .db("build_members_ordered")?;
    let mut rows = stmt.query([]).db("build_members_ordered")?;
    let mut ordinal: u32 = 0;
    while let Some(r) = rows.next().db("build_members_ordered")? {
        use std::fmt::Write as _;
        let stage = r.get::<_, i64>(0).db("member stage")? as usize;
        let gen_id = match r.get_ref(1).db("member gen_id")? {
            rusqlite::types::ValueRef::Text(t) => {
                std::str::from_utf8(t).map_err(|_| Error::usage("a gen_id is not UTF-8"))?
            }
            _ => return Err(Error::usage("a member has no gen_id")),
        };
        let parent: Option<i64> = r.get(2).db("member parent")?;
        let vids = [
            r.get::<_, i64>(3).db("member combo")?,
            r.get::<_, i64>(4).db("member template")?,
            r.get::<_, i64>(5).db("member llm")?,
        ];
        let replicate: i64 = r.get(6).db("member replicate")?;
        let roles = [roles::COMBO, 2 * stage + 1, 2 * stage + 2];
        let parent_id = parent.map(|p| parent_ids[(p - 1) as usize].as_str());
        encode_member(
            &mut e,
            Stage::ALL[stage].as_str(),
            gen_id,
            parent_id,
            &dicts[roles[0]].texts[vids[0] as usize],
            &dicts[roles[1]].texts[vids[1] as usize],
            &dicts[roles[2]].texts[vids[2] as usize],
            replicate,
        );
        {
            signature.clear();
            let text = |k: usize| normalized[roles[k]][vids[k] as usize].as_str();
            let written = match Stage::ALL[stage] {
                Stage::Draft => {
                    write!(signature, "{}|{}|{}|{replicate}", text(0), text(1), text(2))
                }
                Stage::Essay => write!(
                    signature,
                    "{}|{}|{replicate}",
                    parent_id.unwrap_or_default(),
                    text(1)
                ),
                Stage::Evaluation => {
                    write!(
                        signature,
                        "{}|{}|{}|{replicate}",
                        parent_id.unwrap_or_default(),
                        text(1),
                        text(2)
                    )
                }
            };
            written.expect("write to String");
            let collision: i64 = r.get(7).db("member collision")?;
            registry.push(RegistryEntry::new(gen_id, collision, ordinal, &signature));
        }
        if (ordinal as usize) < parents {
            parent_ids.push(gen_id.to_string());
        }
        ordinal += 1;
    }
    registry.sort_unstable_by(|a, b| a.gen_id().cmp(b.gen_id()));
    Ok((e.finish(), registry))
}

/// Encodes one member: stage, gen_id, parent (optional), combo, template, LLM, replicate.
#[allow(clippy::too_many_arguments)]
pub fn encode_member(
    e: &mut Encoder,
    stage: &str,
    gen_id: &str,
    parent: Option<&str>,
    combo: &str,
    template: &str,
    llm: &str,
    replicate: i64,
) {
    e.str(stage);
    e.str(gen_id);
    e.opt_str(parent);
    e.str(combo);
    e.str(template);
    e.str(llm);
    e.i64(replicate);
}

/// The referenced catalog rows (D12): templates, LLMs, combos with their concept rows, the
/// concepts that exist, and the replication rows, each in a fixed order.
fn catalog_hash(
    conn: &Connection,
    texts: &dyn Fn(usize) -> Vec<String>,
    last_batch: i64,
) -> Result<ContentHash> {
    let mut e = Encoder::new("cohortdb-v1/catalog");
    let opt = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };

    e.str("templates");
    let mut template = conn
        .prepare(queries::CATALOG_TEMPLATE_ROW)
        .db("catalog_template_row")?;
    let mut templates: Vec<(Stage, String)> = Vec::new();
    for role in [
        roles::DRAFT_TEMPLATE,
        roles::ESSAY_TEMPLATE,
        roles::EVALUATION_TEMPLATE,
    ] {
        let stage = roles::template_stage(role).expect("a template role");
        templates.extend(texts(role).into_iter().map(|t| (stage, t)));
    }
    e.u64(templates.len() as u64);
    for (stage, id) in &templates {
        e.str(stage.as_str());
        e.str(id);
        template
            .query_row(params![stage.as_str(), id, last_batch], |r| {
                for i in 0..4 {
                    e.str(&r.get::<_, String>(i)?);
                }
                e.opt_str(opt(r, 4)?.as_deref());
                e.opt_str(opt(r, 5)?.as_deref());
                Ok(())
            })
            .db("catalog_template_row")?;
    }

    e.str("llm_models");
    let mut llm_ids: Vec<String> = [roles::DRAFT_LLM, roles::ESSAY_LLM, roles::EVALUATION_LLM]
        .iter()
        .flat_map(|r| texts(*r))
        .collect();
    llm_ids.sort();
    llm_ids.dedup();
    let mut llm = conn
        .prepare(queries::CATALOG_LLM_ROW)
        .db("catalog_llm_row")?;
    let mut llm_rows: Vec<(String, [String; 4], Option<String>)> = Vec::new();
    for id in &llm_ids {
        let row = llm
            .query_row(params![id, last_batch], |r| {
                Ok(([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?], opt(r, 4)?))
            })
            .optional()
            .db("catalog_llm_row")?;
        if let Some((cols, extra)) = row {
            llm_rows.push((id.clone(), cols, extra));
        }
    }
    e.u64(llm_rows.len() as u64);
    for (id, cols, extra) in &llm_rows {
        e.str(id);
        for c in cols {
            e.str(c);
        }
        e.opt_str(extra.as_deref());
    }

    e.str("combo_mappings");
    let mut combo = conn
        .prepare(queries::CATALOG_COMBO_ROWS)
        .db("catalog_combo_rows")?;
    let mut combo_rows: Vec<(String, [String; 5], Option<String>)> = Vec::new();
    for id in texts(roles::COMBO) {
        let rows = combo
            .query_map(params![id, last_batch], |r| {
                Ok((
                    [r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                    opt(r, 5)?,
                ))
            })
            .db("catalog_combo_rows")?;
        for row in rows {
            let (cols, extra) = row.db("catalog_combo_rows")?;
            combo_rows.push((id.clone(), cols, extra));
        }
    }
    e.u64(combo_rows.len() as u64);
    for (id, cols, extra) in &combo_rows {
        e.str(id);
        for c in cols {
            e.str(c);
        }
        e.opt_str(extra.as_deref());
    }

    e.str("concepts");
    let mut concept_ids: Vec<&String> = combo_rows.iter().map(|(_, cols, _)| &cols[0]).collect();
    concept_ids.sort();
    concept_ids.dedup();
    let mut concept = conn
        .prepare(queries::CATALOG_CONCEPT_ROW)
        .db("catalog_concept_row")?;
    type ConceptRow = (String, Option<String>, [Option<String>; 3]);
    let mut concepts: Vec<(&String, ConceptRow)> = Vec::new();
    for id in concept_ids {
        let row = concept
            .query_row(params![id, last_batch], |r| {
                Ok((r.get(0)?, opt(r, 1)?, [opt(r, 2)?, opt(r, 3)?, opt(r, 4)?]))
            })
            .optional()
            .db("catalog_concept_row")?;
        if let Some(row) = row {
            concepts.push((id, row));
        }
    }
    e.u64(concepts.len() as u64);
    for (id, (name, extra, descriptions)) in &concepts {
        e.str(id);
        e.str(name);
        e.opt_str(extra.as_deref());
        for d in descriptions {
            e.opt_str(d.as_deref());
        }
    }

    e.str("replication");
    let mut stmt = conn
        .prepare(queries::CATALOG_REPLICATION_ROWS)
        .db("catalog_replication_rows")?;
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map([last_batch], |r| Ok((r.get(0)?, r.get(1)?, opt(r, 2)?)))
        .db("catalog_replication_rows")?
        .collect::<rusqlite::Result<_>>()
        .db("catalog_replication_rows")?;
    e.u64(rows.len() as u64);
    for (stage, replicates, extra) in &rows {
        e.str(stage);
        e.str(replicates);
        e.opt_str(extra.as_deref());
    }
    Ok(e.finish())
}
