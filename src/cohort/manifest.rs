//! Build stage 4, the manifest: `manifest.json` (sorted allowlists and the replication config,
//! docs/reference.md §3.14, docs/decisions.md D10) and the template modes metadata records
//! (docs/reference.md §3.6, D9).

use rusqlite::{Connection, OptionalExtension, params};

use super::design::Design;
use super::members::Used;
use crate::error::{BuildError, BuildErrorKind, DbContext, Result};
use crate::ids::{self, Role, Stage};
use crate::store::queries;
use crate::textfmt::PyJson;

/// `manifest.json`, exactly as exported: the allowlists of the plan's role values and the
/// imported replication config as of `last_batch`, which must then cover all three stages.
pub fn manifest(
    conn: &Connection,
    design: &Design,
    used: &Used,
    last_batch: i64,
    cohort: &str,
) -> Result<String> {
    let list = |role: Role| {
        PyJson::List(
            used.texts(design, role)
                .into_iter()
                .map(PyJson::Str)
                .collect(),
        )
    };
    let mut replication: Vec<(String, PyJson)> = Vec::new();
    let mut stmt = conn
        .prepare(queries::CATALOG_REPLICATION_ROWS)
        .db("catalog_replication_rows")?;
    let rows: Vec<(String, String)> = stmt
        .query_map([last_batch], |r| {
            Ok((r.get("stage")?, r.get("replicates")?))
        })
        .db("catalog_replication_rows")?
        .collect::<rusqlite::Result<_>>()
        .db("catalog_replication_rows")?;
    for (stage, replicates) in &rows {
        let n = crate::catalog::import::parse_replicates(replicates).unwrap_or(1);
        replication.push((stage.clone(), PyJson::Int(n)));
    }
    if !rows.is_empty() {
        let missing: Vec<&'static str> = Stage::ALL
            .iter()
            .map(|s| s.as_str())
            .filter(|s| !rows.iter().any(|(st, _)| st == s))
            .collect();
        if !missing.is_empty() {
            return Err(BuildError {
                cohort: cohort.to_string(),
                kind: BuildErrorKind::NoReplicationRow { stages: missing },
            }
            .into());
        }
    }
    let value = PyJson::Object(vec![
        ("combos".into(), list(Role::Combo)),
        (
            "templates".into(),
            PyJson::Object(
                Stage::ALL
                    .into_iter()
                    .map(|stage| (stage.as_str().into(), list(Role::template(stage))))
                    .collect(),
            ),
        ),
        (
            "llms".into(),
            PyJson::Object(vec![
                ("generation".into(), list(Role::DraftLlm)),
                ("evaluation".into(), list(Role::EvaluationLlm)),
            ]),
        ),
        ("replication".into(), PyJson::Object(replication)),
    ]);
    Ok(value.render())
}

/// The template modes metadata records: `(stage, template_id, mode)` for every template the
/// plan uses (docs/reference.md §3.6; an empty generator means llm, D9).
pub fn modes(
    conn: &Connection,
    design: &Design,
    used: &Used,
    last_batch: i64,
) -> Result<Vec<(Stage, String, String)>> {
    let mut stmt = conn
        .prepare(queries::CATALOG_TEMPLATE_ROW)
        .db("catalog_template_row")?;
    let mut out = Vec::new();
    for stage in Stage::ALL {
        for template in used.texts(design, Role::template(stage)) {
            let generator: Option<String> = stmt
                .query_row(params![stage.as_str(), template, last_batch], |r| {
                    r.get("generator")
                })
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
