//! `cohortdb explain SPEC`: the plan step by step (axes with their level counts, each rule with
//! the axes and the row count after it, the final product and columns), computed without
//! building a single row, so a user sees where the Cartesian growth comes from.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use cohortdb::spec::resolve::AxisOrigin;

use cohortdb::textfmt::count;

use super::Global;
use super::render::{FormatArgs, print_json};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The spec: a .yaml/.yml/.json file, or a folder holding config.yaml.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    #[command(flatten)]
    format: FormatArgs,
}

/// An axis with its level count, in `explain --format json`.
#[derive(serde::Serialize)]
struct AxisJson<'a> {
    axis: &'a str,
    levels: usize,
}

#[derive(serde::Serialize)]
struct DeclaredJson<'a> {
    axis: &'a str,
    levels: usize,
    duplicates: usize,
    /// The tuple rule that binds a derived axis.
    derived_from: Option<&'a str>,
    /// Where it is declared (YAML path).
    at: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct StepJson<'a> {
    rule: &'a str,
    at: Option<&'a str>,
    /// The axes the rule created or changed, with their level counts after it.
    changed: Vec<AxisJson<'a>>,
    /// The axes the rule consumed.
    removed: &'a [String],
    axis_count: usize,
    rows: u128,
}

#[derive(serde::Serialize)]
struct ProductAxisJson<'a> {
    kind: &'static str,
    axis: &'a str,
    levels: usize,
}

/// `explain --format json` (docs/schema/explain.schema.json).
#[derive(serde::Serialize)]
struct ExplainJson<'a> {
    spec: &'a str,
    declared: Vec<DeclaredJson<'a>>,
    rows_before_rules: u128,
    steps: Vec<StepJson<'a>>,
    product: Vec<ProductAxisJson<'a>>,
    rows: u128,
    columns: Vec<&'a str>,
}

fn origin_name(origin: &AxisOrigin) -> &'static str {
    match origin {
        AxisOrigin::Declared => "axis",
        AxisOrigin::Tie => "tie",
        AxisOrigin::Pair => "pair",
        AxisOrigin::Tuple => "tuple",
    }
}

fn axes_json(axes: &[(String, usize)]) -> Vec<AxisJson<'_>> {
    axes.iter()
        .map(|(axis, levels)| AxisJson {
            axis,
            levels: *levels,
        })
        .collect()
}

fn print_json_plan(spec: &cohortdb::spec::Spec, plan: &cohortdb::spec::Plan) -> anyhow::Result<()> {
    print_json(&ExplainJson {
        spec: &spec.config_display,
        declared: spec
            .axes
            .iter()
            .zip(&plan.declared)
            .map(|(axis, (_, distinct))| DeclaredJson {
                axis: &axis.name,
                levels: *distinct,
                duplicates: axis.levels.len().saturating_sub(*distinct),
                derived_from: axis.derived_from.as_deref(),
                at: axis.at.yaml_path.as_deref(),
            })
            .collect(),
        rows_before_rules: plan
            .declared
            .iter()
            .fold(1u128, |a, (_, c)| a.saturating_mul(*c as u128)),
        steps: plan
            .steps
            .iter()
            .map(|step| StepJson {
                rule: &step.rule,
                at: step.at.yaml_path.as_deref(),
                changed: axes_json(&step.changed),
                removed: &step.removed,
                axis_count: step.axis_count,
                rows: step.rows,
            })
            .collect(),
        product: plan
            .axes
            .iter()
            .map(|a| ProductAxisJson {
                kind: origin_name(&a.origin),
                axis: &a.name,
                levels: a.levels.len(),
            })
            .collect(),
        rows: plan.row_count(),
        columns: plan.columns.iter().map(|c| c.name.as_str()).collect(),
    })
}

fn axes_line(axes: &[(String, usize)]) -> String {
    if axes.is_empty() {
        return "(none)".to_string();
    }
    axes.iter()
        .map(|(n, c)| format!("{n}({c})"))
        .collect::<Vec<_>>()
        .join(" × ")
}

pub fn run(_global: &Global, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let (spec, plan) = super::load_plan(&args.spec)?;
    if args.format.is_json() {
        print_json_plan(&spec, &plan)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = super::out::stdout();
    writeln!(out, "spec: {}", spec.config_display)?;
    writeln!(out)?;
    writeln!(out, "axes as declared ({}):", spec.axes.len())?;
    let width = spec.axes.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for (axis, (_, distinct)) in spec.axes.iter().zip(&plan.declared) {
        let origin = match &axis.derived_from {
            Some(tuple) => format!("bound by tuple {tuple}"),
            None => axis.at.yaml_path.clone().unwrap_or_default(),
        };
        let dupes = axis.levels.len() - distinct;
        let dupes = if dupes > 0 {
            format!(
                " ({dupes} duplicate{} dropped)",
                if dupes == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:<width$}  {distinct:>6} level{}{dupes}   {origin}",
            axis.name,
            if *distinct == 1 { "" } else { "s" }
        )?;
    }
    writeln!(
        out,
        "  product before rules: {} rows",
        plan.declared
            .iter()
            .fold(1u128, |a, (_, c)| a.saturating_mul(*c as u128))
    )?;
    writeln!(out)?;
    if plan.steps.is_empty() {
        writeln!(out, "rules: none")?;
    } else {
        writeln!(out, "rules, in the order their sections are written (D3):")?;
        for (i, step) in plan.steps.iter().enumerate() {
            writeln!(
                out,
                "  {}. {}   ({})",
                i + 1,
                step.rule,
                step.at.yaml_path.as_deref().unwrap_or("")
            )?;
            writeln!(out, "     changes: {}", axes_line(&step.changed))?;
            if !step.removed.is_empty() {
                writeln!(out, "     consumes: {}", step.removed.join(", "))?;
            }
            writeln!(out, "     axes: {}", step.axis_count)?;
            writeln!(out, "     rows: {}", step.rows)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "product (the last axis varies fastest):")?;
    for axis in &plan.axes {
        let kind = origin_name(&axis.origin);
        writeln!(
            out,
            "  {:<5} {} ({})",
            kind,
            axis.name,
            count(axis.levels.len() as u64, "level")
        )?;
    }
    writeln!(out, "  rows: {}", plan.row_count())?;
    writeln!(out)?;
    let columns: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
    writeln!(out, "columns ({}): {}", columns.len(), columns.join(", "))?;
    Ok(ExitCode::SUCCESS)
}
