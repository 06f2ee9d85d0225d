//! `compile --catalog` and `--catalog-csv`: the reference parsed these and ignored them; here
//! every value of the named column in the compiled rows must be in the catalog (D8).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::catalog::CatalogKind;
use crate::csvread::{CsvReader, Dialect, RawRecord};
use crate::error::{CatalogErrorKind, Error, Location, Result, SpecErrorKind, UsageError};
use crate::spec::Plan;
use crate::spec::node::{Node, parse_json};

/// Allowed values per column name, with where they came from.
#[derive(Debug, Default, Clone)]
pub struct Catalogs {
    by_axis: BTreeMap<String, (BTreeSet<String>, Vec<String>)>,
}

impl Catalogs {
    /// Adds values for `axis` (catalogs for the same axis are merged).
    pub fn add(&mut self, axis: &str, values: impl IntoIterator<Item = String>, source: &str) {
        let entry = self.by_axis.entry(axis.to_string()).or_default();
        entry.0.extend(values);
        entry.1.push(source.to_string());
    }

    /// True when no catalog was given.
    pub fn is_empty(&self) -> bool {
        self.by_axis.is_empty()
    }

    /// Loads `--catalog FILE.json`: `{axis: [values…]}` or `{axis: {value: …}}` (keys used);
    /// `-` reads it from stdin.
    pub fn add_json_file(&mut self, path: &Path) -> Result<()> {
        let shown = path.display().to_string();
        let bytes = if crate::fsutil::is_stdio(path) {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                .map_err(|e| Error::io(path, e))?;
            bytes
        } else {
            crate::fsutil::read_regular(path).map_err(|e| Error::io(path, e))?
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| UsageError::CatalogNotUtf8 {
            path: shown.clone(),
        })?;
        let node = parse_json(text).map_err(|e| e.into_error(&shown, "JSON"))?;
        let Node::Map(entries) = node else {
            return Err(Error::spec(
                Location::file(path),
                SpecErrorKind::CatalogNotAnObject,
            ));
        };
        for (key, value) in entries {
            let axis = key.key_text();
            let values: Vec<String> = match &value {
                Node::Seq(items) => items
                    .iter()
                    .map(|n| py_str(n, &shown, &axis))
                    .collect::<Result<_>>()?,
                Node::Map(map) => map
                    .iter()
                    .map(|(k, _)| py_str(k, &shown, &axis))
                    .collect::<Result<_>>()?,
                other => {
                    return Err(Error::spec(
                        Location::yaml(path, axis.as_str()),
                        SpecErrorKind::CatalogEntries {
                            found: other.display(),
                        },
                    ));
                }
            };
            self.add(&axis, values, &shown);
        }
        Ok(())
    }

    /// Loads `--catalog-csv AXIS=PATH[:COLUMN]`. A path starting with `@` names a catalog of the
    /// data layout (`@llm_models_csv`, `@draft_templates_csv`, …) under `data_root`.
    pub fn add_csv_arg(&mut self, arg: &str, data_root: &Path) -> Result<()> {
        let (axis, path, column) = parse_csv_arg(arg, data_root)?;
        let values = read_csv_column(&path, &column)?;
        self.add(&axis, values, &path.display().to_string());
        Ok(())
    }

    /// Checks every column named by a catalog: all its values in the compiled rows must be in
    /// the catalog. Reports every missing value of every axis at once.
    pub fn check(&self, plan: &Plan) -> Result<()> {
        if plan.row_count() == 0 {
            return Ok(());
        }
        let mut problems = Vec::new();
        for (axis, (allowed, sources)) in &self.by_axis {
            let Some(column) = plan.columns.iter().find(|c| &c.name == axis) else {
                return Err(UsageError::NoSuchColumn {
                    axis: axis.clone(),
                    columns: plan.columns.iter().map(|c| c.name.clone()).collect(),
                }
                .into());
            };
            let missing: Vec<String> = plan
                .column_values(column)
                .iter()
                .map(|v| v.py_str())
                .filter(|v| !allowed.contains(v))
                .collect();
            if !missing.is_empty() {
                problems.push((axis.clone(), missing, sources.clone()));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(UsageError::NotInCatalogs { columns: problems }.into())
    }
}

fn py_str(node: &Node, shown: &str, axis: &str) -> Result<String> {
    match node {
        Node::Str(s) => Ok(s.clone()),
        Node::Int(i) => Ok(i.to_string()),
        Node::BigInt(s) => Ok(s.clone()),
        Node::Bool(b) => Ok(if *b { "True" } else { "False" }.to_string()),
        Node::Null => Ok("None".to_string()),
        Node::Float(f) => Ok(format!("{f:?}")),
        other => Err(Error::spec(
            Location::yaml(shown, axis),
            SpecErrorKind::CatalogValue {
                found: other.display(),
            },
        )),
    }
}

/// The layout shortcuts `--catalog-csv` accepts.
pub fn shortcut(name: &str, data_root: &Path) -> Option<PathBuf> {
    let kind = match name {
        "llm_models_csv" => CatalogKind::LlmModels,
        "concepts_csv" => CatalogKind::Concepts,
        "combo_mappings_csv" => CatalogKind::ComboMappings,
        "draft_templates_csv" => CatalogKind::DraftTemplates,
        "essay_templates_csv" => CatalogKind::EssayTemplates,
        "evaluation_templates_csv" => CatalogKind::EvaluationTemplates,
        _ => return None,
    };
    Some(kind.layout_path(data_root))
}

fn parse_csv_arg(arg: &str, data_root: &Path) -> Result<(String, PathBuf, String)> {
    let Some((axis, rest)) = arg.split_once('=') else {
        return Err(UsageError::CatalogCsvSyntax {
            arg: arg.to_string(),
        }
        .into());
    };
    if axis.is_empty() {
        return Err(UsageError::CatalogCsvNoAxis {
            arg: arg.to_string(),
        }
        .into());
    }
    let (path_part, column) = match rest.split_once(':') {
        Some((p, c)) => (p, c.to_string()),
        None => (rest, "id".to_string()),
    };
    let path = match path_part.strip_prefix('@') {
        Some(name) => shortcut(name, data_root).ok_or_else(|| UsageError::CatalogCsvShortcut {
            arg: arg.to_string(),
            name: name.to_string(),
        })?,
        None => PathBuf::from(path_part),
    };
    Ok((axis.to_string(), path, column))
}

fn read_csv_column(path: &Path, column: &str) -> Result<Vec<String>> {
    let file: Box<dyn std::io::Read> = if crate::fsutil::is_stdio(path) {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(crate::fsutil::open_regular(path).map_err(|e| Error::io(path, e))?)
    };
    let mut reader = CsvReader::new(std::io::BufReader::new(file), Dialect::default());
    let mut rec = RawRecord::default();
    let bad = |line: u64| Error::catalog(Location::line(path, line), CatalogErrorKind::Unreadable);
    let has_header = reader.read_record(&mut rec).map_err(|_| bad(1))?;
    let header: Vec<String> = if has_header {
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    } else {
        Vec::new()
    };
    let Some(index) = header.iter().position(|h| h == column) else {
        return Err(Error::catalog(
            Location::line(path, 1),
            CatalogErrorKind::NoSuchColumn {
                column: column.to_string(),
                header,
            },
        ));
    };
    let mut values = Vec::new();
    while reader.read_record(&mut rec).map_err(|_| bad(rec.line))? {
        if index < rec.len() && !rec.field(index).is_empty() {
            let value = std::str::from_utf8(rec.field(index)).map_err(|_| bad(rec.line))?;
            values.push(value.to_string());
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_arguments() {
        let root = Path::new("data");
        let (axis, path, column) = parse_csv_arg("draft_llm=@llm_models_csv", root).unwrap();
        assert_eq!(
            (axis.as_str(), path, column.as_str()),
            ("draft_llm", root.join("1_raw/llm_models.csv"), "id")
        );
        let (_, path, column) = parse_csv_arg("t=x/y.csv:template_id", root).unwrap();
        assert_eq!(
            (path, column.as_str()),
            (PathBuf::from("x/y.csv"), "template_id")
        );
        assert!(parse_csv_arg("no-equals", root).is_err());
        assert!(parse_csv_arg("=x.csv", root).is_err());
        assert!(parse_csv_arg("a=@nope", root).is_err());
    }
}
