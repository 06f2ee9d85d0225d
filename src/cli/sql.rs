//! `cohortdb sql SPEC`: the statements the store runs for a spec, one clause a line, values as
//! `?N` placeholders, then the row count of every table.

use super::ExitCode;
use std::io::Write;
use std::path::PathBuf;

use crate::compile::{self, Compiled};
use crate::seed::Seed;
use clap::Args;

use crate::textfmt::{count, visible};

use super::Session;

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The spec: a .yaml/.yml/.json file, or a folder holding config.yaml.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Show the seeded (shuffled) form of the product query.
    #[arg(long, allow_negative_numbers = true, value_name = "INTEGER")]
    seed: Option<Seed>,
}

pub fn run(_s: &Session, args: SqlArgs) -> anyhow::Result<ExitCode> {
    let (spec, plan) = crate::app::load_plan(&args.spec, None)?;
    let seed = spec.effective_seed(args.seed);
    let compiled = Compiled::new(&plan, &compile::output_selections(&plan), seed.is_some());
    compile::check_width(&compiled)?;
    // Axis names and spec paths are untrusted: escaped like every text report.
    let mut out = super::render::TextOut::stdout();
    writeln!(out, "-- cohortdb: the SQL for {}", spec.config_display)?;
    writeln!(
        out,
        "-- Values are bound as ?N parameters when the tables are loaded; they never appear here."
    )?;
    for (i, create) in compiled.create_statements().iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "-- {} ({})",
            visible(&plan.axes[i].name),
            count(plan.axes[i].levels.len() as u64, "level")
        )?;
        writeln!(out, "{create};")?;
        writeln!(out, "{};", compiled.insert_statement(i))?;
    }
    for (j, (create, insert)) in compiled.group_statements().iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "-- p{j}: the product of {} (more axes than one join holds)",
            compiled.groups[j]
                .members
                .iter()
                .map(|m| m.table())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(out, "{create};")?;
        writeln!(out, "{insert};")?;
    }
    writeln!(out)?;
    if let Some(seed) = &seed {
        writeln!(
            out,
            "-- shuffled with seed {seed}: ?1 = row count, ?2k+2 / ?2k+3 = stride / row count of the k-th table joined"
        )?;
    }
    writeln!(out, "{};", one_line_names(&compiled.select_statement()))?;
    writeln!(out)?;
    writeln!(out, "-- rows per table:")?;
    let width = plan
        .axes
        .iter()
        .map(|a| visible(&a.name).chars().count())
        .max()
        .unwrap_or(0);
    for (i, (name, count)) in compile::table_counts(&plan).iter().enumerate() {
        let name = visible(name);
        writeln!(out, "--   t{i:<3} {name:<width$}  {count}")?;
    }
    for j in 0..compiled.groups.len() {
        let rows = compiled.item_count(&plan, compile::Item::Group(j));
        writeln!(out, "--   p{j:<3} {:<width$}  {rows}", "")?;
    }
    writeln!(out, "-- product: {}", count(plan.row_count(), "row"))?;
    Ok(ExitCode::SUCCESS)
}

/// A statement with every line break inside a quoted name (`"…"`, an axis name) written as
/// `\n`, so a name cannot start a line of its own; the statement's own line breaks stay.
fn one_line_names(statement: &str) -> String {
    let mut quoted = false;
    let mut out = String::with_capacity(statement.len());
    for c in statement.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            '\n' if quoted => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_breaks_in_quoted_names_are_escaped() {
        assert_eq!(
            super::one_line_names("select\n  t0.c0 as \"a\nb\"\"c\",\n  t1.c0 as \"d\"\nfrom t0"),
            "select\n  t0.c0 as \"a\\nb\"\"c\",\n  t1.c0 as \"d\"\nfrom t0"
        );
    }
}
