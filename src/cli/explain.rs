//! `cohortdb explain SPEC`: the plan step by step (axes with their level counts, each rule with
//! the axes and the row count after it, the final product and columns), computed without
//! building a single row, so a user sees where the Cartesian growth comes from.

use super::ExitCode;
use std::path::PathBuf;

use crate::app::reports::AxisLevels;
use crate::app::{ExplainReport, ExplainRequest};
use crate::textfmt::count;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The spec: a .yaml/.yml/.json file, or a folder holding config.yaml.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    #[command(flatten)]
    format: FormatArgs,
}

fn axes_line(axes: &[AxisLevels]) -> String {
    if axes.is_empty() {
        return "(none)".to_string();
    }
    axes.iter()
        .map(|a| format!("{}({})", a.axis, a.levels))
        .collect::<Vec<_>>()
        .join(" × ")
}

fn print(out: &mut TextOut, r: &ExplainReport) -> std::io::Result<()> {
    say!(out, "spec: {}", r.spec)?;
    say!(out)?;
    say!(out, "axes as declared ({}):", r.declared.len())?;
    let width = r.declared.iter().map(|a| a.axis.len()).max().unwrap_or(0);
    for axis in &r.declared {
        let origin = match &axis.derived_from {
            Some(tuple) => format!("bound by tuple {tuple}"),
            None => axis.at.clone().unwrap_or_default(),
        };
        let dupes = if axis.duplicates > 0 {
            format!(" ({} dropped)", count(axis.duplicates as u64, "duplicate"))
        } else {
            String::new()
        };
        say!(
            out,
            "  {:<width$}  {:>6} {}{dupes}   {origin}",
            axis.axis,
            axis.levels,
            crate::textfmt::plural(axis.levels as u64, "level")
        )?;
    }
    say!(
        out,
        "  product before rules: {}",
        count(r.rows_before_rules, "row")
    )?;
    say!(out)?;
    if r.steps.is_empty() {
        say!(out, "rules: none")?;
    } else {
        say!(
            out,
            "rules, in the order their sections are written ({}):",
            crate::textfmt::decision(3)
        )?;
        for (i, step) in r.steps.iter().enumerate() {
            say!(
                out,
                "  {}. {}   ({})",
                i + 1,
                step.rule,
                step.at.as_deref().unwrap_or("")
            )?;
            say!(out, "     changes: {}", axes_line(&step.changed))?;
            if !step.removed.is_empty() {
                say!(out, "     consumes: {}", step.removed.join(", "))?;
            }
            say!(out, "     axes: {}", step.axis_count)?;
            say!(out, "     rows: {}", step.rows)?;
        }
    }
    say!(out)?;
    say!(out, "product (the last axis varies fastest):")?;
    for axis in &r.product {
        say!(
            out,
            "  {:<5} {} ({})",
            axis.kind,
            axis.axis,
            count(axis.levels as u64, "level")
        )?;
    }
    say!(out, "  rows: {}", r.rows)?;
    say!(out)?;
    say!(
        out,
        "columns ({}): {}",
        r.columns.len(),
        r.columns.join(", ")
    )
}

pub fn run(s: &Session, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let report = s.workspace().explain(&ExplainRequest { spec: args.spec })?;
    args.format.emit(&report, print)?;
    Ok(ExitCode::SUCCESS)
}
