//! `cohortdb new COHORT_ID [--from COHORT_ID]`: a new cohort's spec folder
//! (`<data-root>/cohorts/<id>/spec/`), as `cargo new` and `dbt init` start a project: a copy of
//! a stored cohort's spec, or a starter spec over the first ids of the imported catalogs. The
//! spec compiles as written; `build` then checks it against the catalogs.

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
fn relative_spec_dir(id: &str) -> std::path::PathBuf {
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
