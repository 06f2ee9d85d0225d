//! The commands that only read: `status`, `show`, `diff`, `explain`, `cohorts`, and the stored
//! spec of a cohort.

use std::path::PathBuf;

use super::reports::{
    AxisLevels, CohortsReport, DeclaredAxis, DiffReport, ExplainReport, ExplainStep, ProductAxis,
    ShowReport, StatusReport,
};
use super::work::load_plan;
use super::{Context, Workspace};
use crate::diff::{self, Side};
use crate::error::{CohortLookup, Error, Result, UsageError};
use crate::ids::CohortId;
use crate::record::Members;
use crate::spec::Bundle;
use crate::spec::resolve::AxisOrigin;
use crate::status::{self, StatusOptions};

/// `status [COHORT_ID…]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusRequest {
    /// The cohorts to check; empty: every stored cohort and the catalog files.
    pub cohort_ids: Vec<String>,
    /// List each cohort's members without `parsed.txt` in its progress (`--missing`).
    pub missing: bool,
}

/// `diff A B`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffRequest {
    /// A: a stored cohort id, or a spec (a file, or a folder holding `config.yaml`).
    pub a: String,
    /// B: likewise.
    pub b: String,
    /// Counts only: no member or catalog row lists.
    pub stat_only: bool,
}

/// `explain SPEC`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplainRequest {
    /// The spec: a `.yaml`/`.yml`/`.json` file, or a folder holding `config.yaml`.
    pub spec: PathBuf,
}

fn origin_name(origin: &AxisOrigin) -> &'static str {
    match origin {
        AxisOrigin::Declared => "axis",
        AxisOrigin::Tie => "tie",
        AxisOrigin::Pair => "pair",
        AxisOrigin::Tuple => "tuple",
    }
}

fn axis_levels(axes: &[(String, usize)]) -> Vec<AxisLevels> {
    axes.iter()
        .map(|(axis, levels)| AxisLevels {
            axis: axis.clone(),
            levels: *levels,
        })
        .collect()
}

/// `explain`: the plan of a spec step by step, without building a row. Needs no store.
pub fn explain(request: &ExplainRequest) -> Result<ExplainReport> {
    let (spec, plan) = load_plan(&request.spec, None)?;
    Ok(ExplainReport {
        spec: spec.config_display.clone(),
        declared: spec
            .axes
            .iter()
            .zip(&plan.declared)
            .map(|(axis, (_, distinct))| DeclaredAxis {
                axis: axis.name.clone(),
                levels: *distinct,
                duplicates: axis.levels.len().saturating_sub(*distinct),
                derived_from: axis.derived_from.clone(),
                at: axis.at.yaml_path.clone(),
            })
            .collect(),
        rows_before_rules: plan
            .declared
            .iter()
            .fold(1u128, |a, (_, c)| a.saturating_mul(*c as u128)),
        steps: plan
            .steps
            .iter()
            .map(|step| ExplainStep {
                rule: step.rule.clone(),
                at: step.at.yaml_path.clone(),
                changed: axis_levels(&step.changed),
                removed: step.removed.clone(),
                axis_count: step.axis_count,
                rows: step.rows,
            })
            .collect(),
        product: plan
            .axes
            .iter()
            .map(|a| ProductAxis {
                kind: origin_name(&a.origin),
                axis: a.name.clone(),
                levels: a.levels.len(),
            })
            .collect(),
        rows: plan.row_count(),
        columns: plan.columns.iter().map(|c| c.name.clone()).collect(),
    })
}

/// Converts a YAML value to JSON data: mapping keys become their scalar text (an integer axis
/// name `1` is the key `"1"`, D23), tagged values their inner value.
fn yaml_to_json(value: serde_yaml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    match value {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                J::from(i)
            } else if let Some(u) = n.as_u64() {
                J::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(J::Null, J::Number)
            }
        }
        Y::String(s) => J::String(s),
        Y::Sequence(items) => J::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => J::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        J::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

impl Workspace {
    /// `explain`: the plan of a spec (needs no store; here so every command has one door).
    pub fn explain(&self, request: &ExplainRequest) -> Result<ExplainReport> {
        explain(request)
    }

    /// `status`: what is stale (docs/cli.md `status`). A mistyped data root is refused, like
    /// `import` and `verify` do, instead of reporting every export as missing.
    pub fn status(&self, request: &StatusRequest, ctx: Context<'_>) -> Result<StatusReport> {
        let ids = request
            .cohort_ids
            .iter()
            .map(|id| CohortId::parse(id))
            .collect::<Result<Vec<_>>>()?;
        self.require_data_root("status")?;
        let store = self.reader(ctx)?;
        let options = StatusOptions {
            data_root: self.data_root().to_path_buf(),
            missing: request.missing,
        };
        status::status(store.conn(), store.path(), &ids, &options)
    }

    /// `show COHORT_ID`: the record and its balance table.
    pub fn show(&self, cohort_id: &str, ctx: Context<'_>) -> Result<ShowReport> {
        let id = CohortId::parse(cohort_id)?;
        let store = self.reader(ctx)?;
        crate::show::show(store.conn(), &id)
    }

    /// The stored spec bundle of a cohort (`show --spec`, `--spec-out`).
    pub fn spec_bundle(&self, cohort_id: &str, ctx: Context<'_>) -> Result<Bundle> {
        let id = CohortId::parse(cohort_id)?;
        let store = self.reader(ctx)?;
        crate::show::stored_bundle(store.conn(), &id)
    }

    /// The stored spec's config file of a cohort, as data (YAML or JSON read into JSON values;
    /// `@file:` includes stay as written).
    pub fn spec_document(&self, cohort_id: &str, ctx: Context<'_>) -> Result<serde_json::Value> {
        let bundle = self.spec_bundle(cohort_id, ctx)?;
        let bytes = bundle.files.get(&bundle.config).ok_or_else(|| {
            Error::internal(
                "a stored bundle holds its config file",
                format!("the stored bundle of {cohort_id} lacks {:?}", bundle.config),
            )
        })?;
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // The stored config loaded when the cohort was built; one that no longer parses was
        // changed behind cohortdb's back.
        let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
            Error::internal(
                "a stored spec parses",
                format!("stored spec of {cohort_id}: {}: {e}", bundle.config),
            )
        })?;
        Ok(yaml_to_json(value))
    }

    /// `diff A B`: members, spec changes and referenced catalog rows. A spec side is built in a
    /// scratch store over this store's catalogs.
    pub fn diff(&self, request: &DiffRequest, ctx: Context<'_>) -> Result<DiffReport> {
        let a = Side::parse(&request.a)?;
        let b = Side::parse(&request.b)?;
        let store = self.reader(ctx)?;
        diff::diff(store.conn(), store.path(), &a, &b, request.stat_only)
            .map_err(|e| ctx.cancel.explain(e))
    }

    /// `cohorts`: the stored cohorts.
    pub fn cohorts(&self, ctx: Context<'_>) -> Result<CohortsReport> {
        let store = self.reader(ctx)?;
        Ok(crate::record::list(store.conn())?.into())
    }

    /// A stored cohort's members in membership order, held compactly (`Store.membership()` in
    /// Python builds its objects from them: each value text once, no SQL row per member).
    /// `None` when a stored row cannot be part of a canonical record: the caller reads the
    /// `membership` view instead, which shows the rows as stored (`verify` names the damage).
    pub fn members(&self, cohort_id: &str, ctx: Context<'_>) -> Result<Option<Members>> {
        let id = CohortId::parse(cohort_id)?;
        let store = self.reader(ctx)?;
        let record = crate::record::load(store.conn(), id.as_str())?.ok_or_else(|| {
            UsageError::NoSuchCohort {
                id: id.to_string(),
                lookup: CohortLookup::Stored,
                did_you_mean: crate::record::nearest_id(store.conn(), id.as_str()),
            }
        })?;
        ctx.cancel.watch(store.conn());
        let members = crate::record::load_members(store.conn(), &record)
            .map_err(|e| ctx.cancel.explain(e))?;
        Ok((members.problems().1 == 0).then_some(members))
    }

    /// Checks that the stored cohort `cohort_id` exists (an unknown id is an error everywhere,
    /// never an empty result).
    pub fn require_cohort(&self, cohort_id: &str, ctx: Context<'_>) -> Result<CohortId> {
        let id = CohortId::parse(cohort_id)?;
        let store = self.reader(ctx)?;
        if crate::record::load(store.conn(), id.as_str())?.is_none() {
            return Err(UsageError::NoSuchCohort {
                id: id.to_string(),
                lookup: CohortLookup::Stored,
                did_you_mean: crate::record::nearest_id(store.conn(), id.as_str()),
            }
            .into());
        }
        Ok(id)
    }
}
