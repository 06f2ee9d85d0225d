//! `cohortdb diff A B`: members added and removed per stage (with the values that explain
//! them), spec differences, and the referenced catalog rows that differ (per table counts, then
//! each row, and for a row both reference each differing column with A's and B's value). A and
//! B are stored cohort ids or spec folders (built in a scratch in-memory store). Exit 0 when
//! identical, 1 when they differ, 2 on error.

use super::ExitCode;

use crate::app::DiffRequest;
use crate::diff::{CatalogRowDiff, Columns, DiffMember, DiffReport};
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say, verdict};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A: a stored cohort id, or a spec (a file, or a folder holding config.yaml).
    #[arg(value_name = "A")]
    a: String,
    /// B: a stored cohort id, or a spec.
    #[arg(value_name = "B")]
    b: String,
    /// Counts only: no member or catalog row lists.
    #[arg(long)]
    stat: bool,
    #[command(flatten)]
    format: FormatArgs,
}

fn member_line(sign: char, m: &DiffMember) -> String {
    let mut line = format!(
        "{sign} {:<10} {}  combo_id={} template_id={} llm_model_id={} replicate={}",
        m.stage, m.gen_id, m.combo_id, m.template_id, m.llm_model_id, m.replicate
    );
    if let Some(parent) = &m.parent_gen_id {
        line.push_str(&format!(" parent_gen_id={parent}"));
    }
    line
}

/// How many characters of a column value the text shows (the JSON has it in full).
const VALUE_CHARS: usize = 60;

/// A key value as typed when it is a plain word, else quoted with escapes visible (an id with a
/// space, `=`, a control character or an invisible format character stays one unambiguous
/// token: `ti\u{200b}des` must not print like `tides`, docs/decisions.md D20).
fn key_value(value: &str) -> String {
    let plain = !value.is_empty()
        && crate::textfmt::first_invisible(value).is_none()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && c != '=' && c != '"');
    if plain {
        value.to_string()
    } else {
        format!("{value:?}")
    }
}

/// A column value on one line: `null`, or quoted with escapes visible (newlines included), cut
/// after [`VALUE_CHARS`] characters with the whole length in bytes.
fn field_value(value: Option<&str>) -> String {
    match value {
        None => "null".to_string(),
        Some(v) => match v.char_indices().nth(VALUE_CHARS) {
            None => format!("{v:?}"),
            Some((end, _)) => format!("{:?}… ({} bytes)", &v[..end], v.len()),
        },
    }
}

fn row_line(sign: char, d: &CatalogRowDiff) -> String {
    let Columns(key) = d.key();
    let mut line = format!("  {sign} {}", d.table());
    for (name, value) in key {
        line.push_str(&format!(" {name}={}", key_value(value)));
    }
    line
}

fn print_catalog(out: &mut TextOut, r: &DiffReport) -> std::io::Result<()> {
    say!(out, "catalog rows referenced:")?;
    for t in &r.catalog_tables {
        say!(
            out,
            "  {:<14} {:>5} -> {:<9}  +{} -{} ~{}",
            t.table,
            t.a,
            t.b,
            t.added,
            t.removed,
            t.changed
        )?;
    }
    for d in &r.catalog_rows {
        match d {
            CatalogRowDiff::Removed { .. } => {
                say!(out, "{}  (no longer referenced)", row_line('-', d))?
            }
            CatalogRowDiff::Added { .. } => say!(out, "{}  (newly referenced)", row_line('+', d))?,
            CatalogRowDiff::Changed { fields, .. } => {
                say!(out, "{}  (other content)", row_line('~', d))?;
                for f in fields {
                    say!(
                        out,
                        "      {}: {} -> {}",
                        f.field,
                        field_value(f.a.as_deref()),
                        field_value(f.b.as_deref())
                    )?;
                }
            }
        }
    }
    if r.catalog_digest_differs && r.catalog_tables.iter().all(|t| !t.differs()) {
        say!(
            out,
            "  the catalog digests differ, but the rows as the store holds them now do not"
        )?;
    }
    Ok(())
}

fn print_mismatch(out: &mut TextOut, r: &DiffReport) -> std::io::Result<()> {
    for slot in &r.catalog_digest_mismatch {
        let (side, label) = if slot == "a" {
            ("A", &r.a)
        } else {
            ("B", &r.b)
        };
        say!(
            out,
            "note: the catalog rows {side} ({label}) references no longer hash to its record's \
             catalog digest: they were changed outside cohortdb (see `cohortdb verify {label}`)"
        )?;
    }
    Ok(())
}

fn print(out: &mut TextOut, r: &DiffReport) -> std::io::Result<()> {
    say!(out, "--- {}", r.a)?;
    say!(out, "+++ {}", r.b)?;
    if r.identical {
        say!(out, "identical")?;
        return print_mismatch(out, r);
    }
    if !r.spec_changes.is_empty() {
        say!(out, "spec:")?;
        for change in &r.spec_changes {
            say!(out, "  {change}")?;
        }
    }
    say!(out, "members:")?;
    for s in &r.stages {
        say!(
            out,
            "  {:<10} {:>9} -> {:<9}  +{} -{}",
            s.stage,
            s.a,
            s.b,
            s.added,
            s.removed
        )?;
    }
    if r.catalog_digest_differs || r.catalog_tables.iter().any(|t| t.differs()) {
        print_catalog(out, r)?;
    }
    print_mismatch(out, r)?;
    for m in &r.removed {
        say!(out, "{}", member_line('-', m))?;
    }
    for m in &r.added {
        say!(out, "{}", member_line('+', m))?;
    }
    Ok(())
}

pub fn run(s: &Session, args: DiffArgs) -> anyhow::Result<ExitCode> {
    let request = DiffRequest {
        a: args.a,
        b: args.b,
        stat_only: args.stat,
    };
    let report = s.workspace().diff(&request, s.ctx())?;
    args.format.emit(&report, print)?;
    Ok(verdict(report.identical))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{CatalogTable, CatalogTableDiff, FieldChange};

    #[test]
    fn values_stay_on_one_line_and_are_capped() {
        assert_eq!(field_value(None), "null");
        assert_eq!(field_value(Some("a\nb")), r#""a\nb""#);
        let long = format!("{}\n{}", "x".repeat(59), "é".repeat(100));
        assert_eq!(
            field_value(Some(&long)),
            format!("\"{}\\n\"… (260 bytes)", "x".repeat(59))
        );
        assert_eq!(key_value("draft-A"), "draft-A");
        assert_eq!(key_value("a b"), r#""a b""#);
        assert_eq!(key_value("k=v"), r#""k=v""#);
        assert_eq!(key_value(""), r#""""#);
        // D20: invisible format characters are escaped like control characters.
        assert_eq!(key_value("ti\u{200b}des"), r#""ti\u{200b}des""#);
        assert_eq!(key_value("x\u{202e}abc"), r#""x\u{202e}abc""#);
        assert_eq!(key_value("a\u{7}b"), r#""a\u{7}b""#);
        assert_eq!(key_value("gén-a"), "gén-a");
    }

    #[test]
    fn a_changed_row_lists_each_differing_column() {
        let body = "Write an essay.\n".repeat(10);
        let report = DiffReport {
            a: "alpha".into(),
            b: "beta".into(),
            identical: false,
            stages: Vec::new(),
            spec_changes: Vec::new(),
            catalog_digest_differs: true,
            catalog_tables: vec![CatalogTableDiff {
                table: CatalogTable::Templates,
                a: 1,
                b: 1,
                added: 0,
                removed: 0,
                changed: 1,
            }],
            catalog_rows: vec![CatalogRowDiff::Changed {
                table: CatalogTable::Templates,
                key: Columns(vec![
                    ("stage", "essay".into()),
                    ("template_id", "essay-X".into()),
                ]),
                fields: vec![
                    FieldChange {
                        field: "extra",
                        a: None,
                        b: Some(r#"{"note":"x"}"#.into()),
                    },
                    FieldChange {
                        field: "body",
                        a: Some(body.clone()),
                        b: Some("Short.".into()),
                    },
                ],
            }],
            catalog_digest_mismatch: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
        };
        let (mut out, buffer) = TextOut::capture();
        print(&mut out, &report).expect("writes to a Vec");
        let text = String::from_utf8(buffer.take()).expect("UTF-8");
        assert_eq!(
            text,
            format!(
                "--- alpha
+++ beta
members:
catalog rows referenced:
  templates          1 -> 1          +0 -0 ~1
  ~ templates stage=essay template_id=essay-X  (other content)
      extra: null -> \"{{\\\"note\\\":\\\"x\\\"}}\"
      body: {:?}… (160 bytes) -> \"Short.\"
",
                &body[..60]
            )
        );
    }
}
