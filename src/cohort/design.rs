//! Build stage 1, the design: the compiled product (docs/reference.md §2) fills `temp.design`
//! with role-value ids, and the design checks run on it.
//!
//! Each role is `coalesce` of its candidate columns (docs/reference.md §3.4); texts are
//! interned in Rust as the axis tables are loaded, so the later stages group small integers.
//! Every design row must have a non-empty value for each role and replicate indices of at
//! least 1.

use std::collections::HashMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};

use super::roles::{REPLICATE_CANDIDATES, TEXT_ROLES, text_role};
use crate::compile::{self, Compiled, Selection, Source};
use crate::error::{BuildError, BuildErrorKind, DbContext, Error, Location, Result};
use crate::ids::{self, Replicate, Role, Stage};
use crate::seed::Seed;
use crate::spec::{Plan, Value};
use crate::store::queries;

/// What a table column holds in a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoleCell {
    /// The role-value id of the component's text (NULL when blank).
    Text(Role),
    /// The component parsed as a replicate index (NULL when blank; a sentinel when invalid).
    Replicate(String),
}

/// Interned role values with where each first appeared.
#[derive(Debug, Default)]
pub(crate) struct RoleDict {
    ids: HashMap<String, i64>,
    /// The texts, by role-value id.
    pub(crate) texts: Vec<String>,
    /// Where each text first appeared.
    pub(crate) first_at: Vec<Location>,
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

/// The result of the design stage: the role dictionaries (the rows are in `temp.design`).
#[derive(Debug)]
pub struct Design {
    dicts: Vec<RoleDict>,
    replicate_problems: Vec<(String, String, Location)>,
}

impl Design {
    /// The dictionary of a role.
    pub(crate) fn dict(&self, role: Role) -> &RoleDict {
        &self.dicts[role.index()]
    }

    /// The text of role-value `vid` of `role` (empty for an id the design never issued).
    pub fn text(&self, role: Role, vid: i64) -> &str {
        usize::try_from(vid)
            .ok()
            .and_then(|v| self.dict(role).texts.get(v))
            .map_or("", String::as_str)
    }

    /// How many distinct values a role has.
    pub fn len(&self, role: Role) -> usize {
        self.dict(role).texts.len()
    }
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
    for role in Role::ALL {
        let described = text_role(role);
        let sources = sources_for(plan, described.candidates, |_| RoleCell::Text(role));
        if sources.is_empty() {
            missing.push((described.name, described.candidates));
        }
        text.push(Selection {
            alias: described.name.to_string(),
            sources,
            default: None,
        });
    }
    if !missing.is_empty() {
        return Err(BuildError::refused(
            cohort,
            BuildErrorKind::MissingFields {
                fields: missing,
                columns: plan.columns.iter().map(|c| c.name.clone()).collect(),
            },
        ));
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
    // Per stage: its template and LLM text columns, then its replicate (the combo first).
    let mut text = text.into_iter();
    let mut columns = Vec::with_capacity(10);
    columns.extend(text.next());
    for stage in Stage::ALL {
        columns.extend(text.by_ref().take(2));
        columns.push(rep(stage));
    }
    Ok(columns)
}

fn load(conn: &Connection, plan: &Plan, compiled: &Compiled<RoleCell>) -> Result<Design> {
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
                    SqlValue::Integer(dicts[role.index()].intern(stripped, at))
                }
            }
            RoleCell::Replicate(column) => match value {
                Value::Int(i) if *i >= 1 => SqlValue::Integer(*i),
                Value::Str(s) if ids::py_strip(s).is_empty() => SqlValue::Null,
                // Python's int(), of any size (D23): an INTEGER, or beyond 64 bits the BLOB of
                // its digits (docs/storage.md).
                Value::Str(s) if Replicate::parse(s).is_ok_and(|r| r.is_index()) => {
                    SqlValue::from(Replicate::parse(s).expect("the match guard parsed it"))
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
    for (role, dict) in Role::ALL.iter().zip(&dicts) {
        for (vid, text) in dict.texts.iter().enumerate() {
            insert
                .execute(params![role.index() as i64, vid as i64, text])
                .db("build_role_text_insert")?;
        }
    }
    Ok(Design {
        dicts,
        replicate_problems: problems,
    })
}

fn check_design(conn: &Connection, design: &Design, plan: &Plan, cohort: &str) -> Result<()> {
    let first_missing: Option<(i64, Option<Role>)> = conn
        .query_row(queries::BUILD_DESIGN_FIRST_MISSING, [], |r| {
            let mut missing = None;
            for role in Role::ALL {
                let flag: bool = r.get(format!("{}_missing", text_role(role).column).as_str())?;
                if flag && missing.is_none() {
                    missing = Some(role);
                }
            }
            Ok((r.get::<_, i64>("design_row")?, missing))
        })
        .optional()
        .db("build_design_first_missing")?;
    if let Some((row, role)) = first_missing {
        let role = role.ok_or_else(|| {
            Error::internal(
                "build_design_first_missing selects a row with a missing field",
                format!("design row {row} has none"),
            )
        })?;
        let role = text_role(role);
        let present: Vec<&str> = role
            .candidates
            .iter()
            .copied()
            .filter(|c| plan.columns.iter().any(|col| col.name == *c))
            .collect();
        return Err(BuildError::refused(
            cohort,
            BuildErrorKind::EmptyField {
                row,
                field: role.name,
                columns: present,
            },
        ));
    }
    // The other replicates of the row may be BLOBs (beyond 64 bits); the bad one is an
    // integer below 1.
    let bad: Option<(i64, Option<i64>)> = conn
        .query_row(queries::BUILD_DESIGN_FIRST_BAD_REPLICATE, [], |r| {
            let mut below_one = None;
            for column in ["draft_rep", "essay_rep", "evaluation_rep"] {
                if let rusqlite::types::ValueRef::Integer(v) = r.get_ref(column)?
                    && v < 1
                    && below_one.is_none()
                {
                    below_one = Some(v);
                }
            }
            Ok((r.get("design_row")?, below_one))
        })
        .optional()
        .db("build_design_first_bad_replicate")?;
    if let Some((row, value)) = bad {
        let value = value.ok_or_else(|| {
            Error::internal(
                "build_design_first_bad_replicate selects a row with a replicate below 1",
                format!("design row {row} has none"),
            )
        })?;
        let problem = usize::try_from(value - SENTINEL)
            .ok()
            .and_then(|k| design.replicate_problems.get(k));
        let (column, value, at) = match problem {
            Some(p) if value < SENTINEL / 2 => p.clone(),
            _ => (
                "replicate".to_string(),
                value.to_string(),
                Location::default(),
            ),
        };
        return Err(BuildError::refused(
            cohort,
            BuildErrorKind::BadReplicate {
                row,
                column,
                value,
                at: Some(at).filter(|at| !at.path.is_empty()),
            },
        ));
    }
    Ok(())
}

/// Stage 1: creates the build's scratch tables on `conn`, fills `temp.design` with the plan's
/// rows as role-value ids (shuffled by `seed`, docs/decisions.md D8) and checks that every row
/// has all fields and valid replicates.
pub fn design(conn: &Connection, cohort: &str, plan: &Plan, seed: Option<&Seed>) -> Result<Design> {
    conn.execute_batch(queries::BUILD_TEMP_CREATE)
        .db("build_temp_create")?;
    let selections = selections(plan, cohort)?;
    let compiled = Compiled::new(plan, &selections, seed.is_some());
    let design = load(conn, plan, &compiled)?;
    {
        let mut rows = compile::prepare_product_into(
            conn,
            plan,
            &compiled,
            seed,
            queries::BUILD_DESIGN_INSERT,
        )?;
        rows.raw_execute().db("fill temp.design")?;
    }
    check_design(conn, &design, plan, cohort)?;
    Ok(design)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::Store;

    /// A spec whose rows have every cohort field; `extra` is appended to its axes.
    pub(crate) fn spec_text(extra: &str) -> String {
        format!(
            "axes:\n  combo_id: [c1, c2]\n  draft_template: [dt]\n  draft_llm: [m1, M1]\n  \
             essay_template: [et]\n  essay_llm: [m1]\n  evaluation_template: [vt]\n  \
             evaluation_llm: [m1, m2]\n{extra}"
        )
    }

    pub(crate) fn plan_of(text: &str) -> (crate::spec::Spec, Plan) {
        let text = format!("{text}output:\n  field_order: []\n");
        let bundle = crate::spec::Bundle {
            config: "config.yaml".to_string(),
            files: [("config.yaml".to_string(), text.into_bytes())].into(),
        };
        let spec = crate::spec::load_bundle(&bundle, "test spec").expect("the test spec loads");
        let plan = crate::spec::resolve(&spec).expect("the test spec resolves");
        (spec, plan)
    }

    #[test]
    fn design_interns_trimmed_role_values() {
        let store = Store::open_in_memory().expect("an in-memory store");
        let (_, plan) = plan_of(&spec_text(""));
        let design = design(store.conn(), "t", &plan, None).expect("the design builds");
        assert_eq!(design.len(Role::Combo), 2);
        assert_eq!(design.len(Role::DraftLlm), 2, "case is kept in role values");
        assert_eq!(design.text(Role::EvaluationLlm, 1), "m2");
        assert_eq!(design.text(Role::EvaluationLlm, 9), "");
        let rows: i64 = store
            .conn()
            .query_row("select count(*) from temp.design", [], |r| r.get(0))
            .expect("the design table exists");
        assert_eq!(rows, 8);
    }

    #[test]
    fn a_missing_field_is_refused_by_name() {
        let store = Store::open_in_memory().expect("an in-memory store");
        let (_, plan) = plan_of("axes:\n  combo_id: [c1]\n");
        let err = design(store.conn(), "t", &plan, None).expect_err("fields are missing");
        let text = err.to_string();
        assert!(
            text.contains("lack 6 fields") && text.contains("draft_template"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_replicate_is_refused_with_its_value() {
        let store = Store::open_in_memory().expect("an in-memory store");
        let (_, plan) = plan_of(&spec_text("  draft_replicate: [1, x]\n"));
        let err = design(store.conn(), "t", &plan, None).expect_err("x is no replicate");
        let text = err.to_string();
        assert!(
            text.contains("design row 2: draft_replicate \"x\" is not a replicate index"),
            "{text}"
        );
    }

    #[test]
    fn a_blank_field_is_refused_with_its_row() {
        let store = Store::open_in_memory().expect("an in-memory store");
        let (_, plan) = plan_of(&spec_text("").replace("essay_llm: [m1]", "essay_llm: [' ']"));
        let err = design(store.conn(), "t", &plan, None).expect_err("essay_llm is blank");
        let text = err.to_string();
        assert!(
            text.contains("design row 1 has no value for essay_llm"),
            "{text}"
        );
    }
}
