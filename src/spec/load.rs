//! YAML/JSON spec → [`Spec`] (docs/reference.md §2.2–§2.6), with cohortdb's strictness: unknown and
//! duplicate keys are errors (D18), levels are strings or integers (D5), includes stay inside
//! the spec folder (D6), a directory means its `config.yaml` (D19).
//!
//! The build order follows the reference, which fixes error precedence and axis order: axes in
//! document order, then rules (includes resolved), then tuple-derived axes, then `output`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::include::{FILE_PREFIX, IncludeContent, Included, check_extension, parse_include};
use super::node::{Node, parse_json, parse_yaml, yaml_output_seed_text};
use super::source::{BundleSource, FsSource, SpecSource, normalize_include};
use super::{AxisDecl, Bundle, Level, Spec, Value};
use crate::error::{Error, Location, Result, SpecErrorKind, UsageError};

mod output;
mod rules;

/// The config file name inside a spec folder.
pub const CONFIG_NAME: &str = "config.yaml";

/// Loads a spec from a file, or from a folder holding `config.yaml` (D19).
pub fn load_path(path: &Path) -> Result<Spec> {
    if crate::fsutil::is_stdio(path) {
        return Err(UsageError::SpecFromStdin.into());
    }
    let (dir, name) = if path.is_dir() {
        (path.to_path_buf(), CONFIG_NAME.to_string())
    } else {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| UsageError::NotASpecFile {
                path: path.display().to_string(),
            })?
            .to_string();
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (parent.to_path_buf(), name)
    };
    let config = dir.join(&name);
    if let Some(meta) = std::fs::metadata(&config)
        .ok()
        .filter(|m| !m.is_file() && !m.is_dir())
    {
        // A FIFO, socket or device: refused at once, never read.
        return Err(UsageError::SpecNotRegular {
            path: shown_path(&dir, &name),
            what: crate::fsutil::kind_name(meta.file_type()).to_string(),
        }
        .into());
    }
    if !config.is_file() {
        return Err(UsageError::SpecNotFound {
            path: shown_path(&dir, &name),
        }
        .into());
    }
    let source = FsSource::new(&dir)?;
    Loader::new(&source, &name).load()
}

/// Loads a spec from a stored bundle (path → bytes); `label` names the bundle in messages.
pub fn load_bundle(bundle: &Bundle, label: &str) -> Result<Spec> {
    let source = BundleSource::new(&bundle.files, label);
    Loader::new(&source, &bundle.config).load()
}

fn shown_path(dir: &Path, name: &str) -> String {
    if dir == Path::new(".") {
        name.to_string()
    } else {
        dir.join(name).display().to_string()
    }
}

/// A path inside the document, built as the walk descends.
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// D5: a level must be a string or a 64-bit integer.
fn scalar_value(node: &Node, at: &Location) -> Result<Value> {
    let refuse = |kind: SpecErrorKind| Err(Error::spec(at.clone(), kind));
    match node {
        Node::Str(s) => match crate::textfmt::first_format_char(s) {
            // Two levels that look alike must be alike (docs/decisions.md D20).
            Some((position, found)) => refuse(SpecErrorKind::InvisibleLevel {
                value: s.clone(),
                position,
                found,
            }),
            None => Ok(Value::Str(s.clone())),
        },
        Node::Int(i) => Ok(Value::Int(*i)),
        Node::Bool(b) => refuse(SpecErrorKind::BooleanLevel { value: *b }),
        Node::Null => refuse(SpecErrorKind::NullLevel),
        Node::Float(f) => refuse(SpecErrorKind::FloatLevel {
            value: format!("{f:?}"),
        }),
        Node::BigInt(s) => refuse(SpecErrorKind::IntegerOutOfRange { digits: s.clone() }),
        Node::Map(_) => refuse(SpecErrorKind::MappingLevel {
            found: node.display(),
        }),
        Node::Seq(_) => refuse(SpecErrorKind::ListLevel {
            found: node.display(),
        }),
    }
}

/// A pair side: a level, or a list of levels (a tuple, for a side that is a tuple axis).
fn side_value(node: &Node, at: &Location) -> Result<Value> {
    match node {
        Node::Seq(items) => {
            let values: Result<Vec<Value>> = items.iter().map(|n| scalar_value(n, at)).collect();
            Ok(Value::Tuple(values?))
        }
        other => scalar_value(other, at),
    }
}

/// An axis (or rule) name: a string, or an integer as its decimal text — the reference keeps
/// `axes: {1: [x]}` as the integer 1 and writes the column `1` (docs/decisions.md D23).
/// Booleans, floats, null and collections are not names.
fn axis_name(node: &Node) -> Option<String> {
    match node {
        Node::Str(s) => Some(s.clone()),
        Node::Int(i) => Some(i.to_string()),
        Node::BigInt(s) => Some(s.clone()),
        _ => None,
    }
}

fn string_list(node: &Node, at: &Location, what: &str) -> Result<Vec<String>> {
    let Node::Seq(items) = node else {
        return Err(Error::spec(
            at.clone(),
            SpecErrorKind::NotANameList {
                what: what.to_string(),
                found: node.display(),
            },
        ));
    };
    items
        .iter()
        .map(|n| match axis_name(n) {
            Some(name) => Ok(name),
            None => Err(Error::spec(
                at.clone(),
                SpecErrorKind::NotAName {
                    what: what.to_string(),
                    found: n.display(),
                },
            )),
        })
        .collect()
}

struct Loader<'a> {
    source: &'a dyn SpecSource,
    config_rel: String,
    config_shown: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl<'a> Loader<'a> {
    fn new(source: &'a dyn SpecSource, config_rel: &str) -> Self {
        Loader {
            source,
            config_rel: config_rel.to_string(),
            config_shown: source.display(config_rel),
            files: BTreeMap::new(),
        }
    }

    fn at(&self, path: &str) -> Location {
        Location::yaml(&self.config_shown, path)
    }

    fn err<T>(&self, path: &str, kind: SpecErrorKind) -> Result<T> {
        Err(Error::spec(self.at(path), kind))
    }

    fn read(&mut self, rel: &str, at: &Location) -> Result<Vec<u8>> {
        let bytes = self.source.read(rel, at)?;
        self.files.insert(rel.to_string(), bytes.clone());
        Ok(bytes)
    }

    fn load(mut self) -> Result<Spec> {
        let file_loc = Location::file(&self.config_shown);
        let bytes = self.read(&self.config_rel.clone(), &file_loc)?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            Error::spec(
                file_loc.clone(),
                SpecErrorKind::NotUtf8 {
                    what: "the spec",
                    at_byte: e.valid_up_to(),
                },
            )
        })?;
        let ext = self
            .config_rel
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let parsed = match ext.as_str() {
            "yaml" | "yml" => parse_yaml(text).map(|n| {
                if n == Node::Null {
                    Node::Map(Vec::new())
                } else {
                    n
                }
            }),
            "json" => parse_json(text),
            _ => {
                return Err(Error::spec(
                    file_loc,
                    SpecErrorKind::UnsupportedFormat { ext },
                ));
            }
        };
        let format = if ext == "json" { "JSON" } else { "YAML" };
        let root = parsed.map_err(|e| e.into_error(&self.config_shown, format))?;
        let Node::Map(entries) = &root else {
            return self.err("", SpecErrorKind::NotAMapping { found: root.kind() });
        };
        for (key, _) in entries {
            match key.as_str() {
                Some("axes" | "rules" | "output") => {}
                Some("replicates") => {
                    return self.err("replicates", SpecErrorKind::ReplicatesRemoved);
                }
                _ => {
                    return self.err(
                        &key.key_text(),
                        SpecErrorKind::UnknownTopLevelKey { key: key.display() },
                    );
                }
            }
        }

        let mut axes = self.load_axes(root.get("axes"))?;
        let rules = self.load_rules(root.get("rules"))?;
        self.derive_tuple_axes(&rules, &mut axes)?;
        // An integer seed beyond 128 bits parsed as a float; its own text is the seed (D23).
        let seed_text = match root.get("output").and_then(|o| o.get("seed")) {
            Some(Node::Float(_)) if ext != "json" => yaml_output_seed_text(text),
            _ => None,
        };
        let (field_order, output_seed) = self.load_output(root.get("output"), &axes, seed_text)?;
        Ok(Spec {
            axes,
            rules,
            field_order,
            output_seed,
            bundle: Bundle {
                config: self.config_rel.clone(),
                files: std::mem::take(&mut self.files),
            },
            config_display: self.config_shown.clone(),
        })
    }

    /// An inline list, or an `@file:` include that must produce a list.
    fn list_or_include(&mut self, node: &Node, path: &str, what: &str) -> Result<Vec<Included>> {
        match node {
            Node::Seq(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, n)| Included {
                    node: n.clone(),
                    at: self.at(&index(path, i)),
                })
                .collect()),
            Node::Str(s) if s.starts_with(FILE_PREFIX) => {
                let written = &s[FILE_PREFIX.len()..];
                let at = self.at(path);
                let rel = normalize_include(written, &at)?;
                check_extension(&rel, &at)?;
                let shown = self.source.display(&rel);
                let bytes = self.read(&rel, &at)?;
                match parse_include(&rel, &shown, &bytes, &at)? {
                    IncludeContent::List(items) => Ok(items),
                    IncludeContent::NotAList(other) => self.err(
                        path,
                        SpecErrorKind::IncludeNotAList {
                            what: what.to_string(),
                            written: written.to_string(),
                            found: other.kind(),
                        },
                    ),
                }
            }
            other => self.err(
                path,
                SpecErrorKind::NotAListOrInclude {
                    what: what.to_string(),
                    found: other.display(),
                },
            ),
        }
    }

    fn load_axes(&mut self, node: Option<&Node>) -> Result<Vec<AxisDecl>> {
        let entries = match node {
            None => return Ok(Vec::new()),
            Some(Node::Map(entries)) => entries,
            Some(other) => {
                return self.err(
                    "axes",
                    SpecErrorKind::AxesNotAMapping {
                        found: other.display(),
                    },
                );
            }
        };
        let mut axes = Vec::new();
        // Written name by column name: `1` and '1' are distinct YAML keys but one column.
        let mut seen: HashMap<String, &Node> = HashMap::new();
        for (key, payload) in entries {
            let Some(name) = axis_name(key) else {
                return self.err(
                    "axes",
                    SpecErrorKind::BadAxisName {
                        found: key.display(),
                    },
                );
            };
            let name = &name;
            let path = child("axes", name);
            if let Some(first) = seen.insert(name.clone(), key) {
                return self.err(
                    &path,
                    SpecErrorKind::SameColumn {
                        first: first.display(),
                        second: key.display(),
                        column: name.clone(),
                    },
                );
            }
            if matches!(payload, Node::Map(_))
                && (payload.get("levels").is_some() || payload.get("catalog_lookup").is_some())
            {
                return self.err(&path, SpecErrorKind::AxisFormRemoved);
            }
            let items = self.list_or_include(payload, &path, &format!("axis {name:?}"))?;
            let levels = items
                .iter()
                .map(|item| {
                    Ok(Level {
                        value: scalar_value(&item.node, &item.at)?,
                        at: item.at.clone(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            axes.push(AxisDecl {
                name: name.clone(),
                levels,
                derived_from: None,
                at: self.at(&path),
            });
        }
        Ok(axes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::RuleKind;

    fn load_text(name: &str, text: &str, extra: &[(&str, &str)]) -> Result<Spec> {
        let mut files = BTreeMap::new();
        files.insert(name.to_string(), text.as_bytes().to_vec());
        for (n, t) in extra {
            files.insert(n.to_string(), t.as_bytes().to_vec());
        }
        load_bundle(
            &Bundle {
                config: name.to_string(),
                files,
            },
            "spec",
        )
    }

    fn values(levels: &[Level]) -> Vec<Value> {
        levels.iter().map(|l| l.value.clone()).collect()
    }

    fn s(x: &str) -> Value {
        Value::Str(x.to_string())
    }

    // docs/decisions.md D23: an integer axis name is its decimal text wherever a name is read.
    #[test]
    fn integer_axis_names_are_their_decimal_text() {
        let spec = load_text(
            "config.yaml",
            "axes: {1: [x, y], -2: [p], 18446744073709551616: [q]}\nrules:\n  subsets: {1: [x]}\n  \
             ties: {7: [-2]}\n  tuples: {3: {axes: [4, 5], items: [[a, b]]}}\n  \
             pairs: {9: {left: 1, right: 18446744073709551616, allowed: [[x, q]]}}\n\
             output: {field_order: [4, 1]}\n",
            &[],
        )
        .unwrap();
        let names: Vec<&str> = spec.axes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["1", "-2", "18446744073709551616", "4", "5"]);
        assert_eq!(spec.field_order, ["4", "1"]);
        let kinds: Vec<String> = spec.rules.iter().map(|r| format!("{:?}", r.kind)).collect();
        assert!(kinds[0].contains("axis: \"1\""), "{kinds:?}");
        assert!(
            kinds[1].contains("to: \"7\"") && kinds[1].contains("[\"-2\"]"),
            "{kinds:?}"
        );
        assert!(kinds[2].contains("name: \"3\""), "{kinds:?}");
        assert!(
            kinds[3].contains("left: \"1\", right: \"18446744073709551616\""),
            "{kinds:?}"
        );
    }

    #[test]
    fn other_non_string_axis_names_are_refused_with_their_path() {
        for (text, path, found) in [
            ("axes: {true: [x]}\n", "axes", "true"),
            ("axes: {1.5: [x]}\n", "axes", "1.5"),
            ("axes: {null: [x]}\n", "axes", "null"),
            (
                "axes: {a: [x]}\nrules: {subsets: {false: [x]}}\n",
                "rules.subsets",
                "false",
            ),
            (
                "axes: {a: [x]}\nrules: {ties: {t: [a, 2.5]}}\n",
                "rules.ties.t",
                "2.5",
            ),
            (
                "axes: {a: [x]}\nrules: {pairs: {p: {left: a, right: true, allowed: [[x, x]]}}}\n",
                "rules.pairs.p.right",
                "true",
            ),
            (
                "axes: {a: [x]}\noutput: {field_order: [a, null]}\n",
                "output.field_order[1]",
                "null",
            ),
        ] {
            let text = if text.contains("output") {
                text.to_string()
            } else {
                format!("{text}output: {{field_order: []}}\n")
            };
            let err = load_text("config.yaml", &text, &[])
                .expect_err(&text)
                .to_string();
            assert!(
                err.contains(&format!("config.yaml: {path}: ")),
                "{text}: {err}"
            );
            assert!(err.contains(found), "{text}: {err}");
        }
        // `1` and '1' are distinct YAML keys but one column.
        let err = load_text(
            "config.yaml",
            "axes: {1: [x], '1': [y]}\noutput: {field_order: []}\n",
            &[],
        )
        .expect_err("one column")
        .to_string();
        assert!(
            err.contains("axes.1: axes 1 and \"1\" both name the column 1"),
            "{err}"
        );
    }

    // docs/decisions.md D23: output.seed is any integer, also beyond 64 and 128 bits, or quoted.
    #[test]
    fn output_seeds_of_any_size() {
        let big = "-123456789012345678901234567890123456789012345";
        for (name, text, want) in [
            (
                "config.yaml",
                "output: {field_order: [], seed: 42}".to_string(),
                "42",
            ),
            (
                "config.yaml",
                "output: {field_order: [], seed: 18446744073709551616}".to_string(),
                "18446744073709551616",
            ),
            (
                "config.yaml",
                format!("output: {{field_order: [], seed: {big}}}"),
                big,
            ),
            (
                "config.yaml",
                format!("output:\n  field_order: []\n  seed: '+00{}'\n", &big[1..]),
                &big[1..],
            ),
            (
                "spec.json",
                format!("{{\"output\": {{\"field_order\": [], \"seed\": \"{big}\"}}}}"),
                big,
            ),
            (
                "spec.json",
                "{\"output\": {\"field_order\": [], \"seed\": -7}}".to_string(),
                "-7",
            ),
        ] {
            let spec = load_text(name, &text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                spec.output_seed.map(|s| s.to_string()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for (name, text, wanted) in [
            (
                "config.yaml",
                "output: {field_order: [], seed: 1.5}",
                "output.seed must be an integer, found 1.5",
            ),
            (
                "config.yaml",
                "output: {field_order: [], seed: 1e400}",
                "output.seed must be an integer, found \"1e400\"",
            ),
            (
                "config.yaml",
                "output: {field_order: [], seed: '٣'}",
                "non-ASCII digits",
            ),
            (
                "config.yaml",
                "output: {field_order: [], seed: [1]}",
                "output.seed must be an integer, found [1]",
            ),
            (
                "spec.json",
                "{\"output\": {\"field_order\": [], \"seed\": 123456789012345678901234567890}}",
                "write the seed as a string",
            ),
        ] {
            let err = load_text(name, text, &[]).expect_err(text);
            let shown = format!("{err} {:?} {:?}", err.detail(), err.hints());
            assert!(shown.contains(": output.seed: "), "{text}: {shown}");
            assert!(shown.contains(wanted), "{text}: {shown}");
        }
    }

    // docs/reference.md §6.1 L1/L2: a JSON spec with CSV includes; the subset is not applied at load.
    #[test]
    fn l1_round_trip_file() {
        let spec = load_text(
            "spec.json",
            r#"{"axes": {"draft_template": "@file:draft_levels.csv", "essay_model": ["llm-1"]},
                "rules": {"subsets": {"draft_template": ["draft-A"]},
                          "pairs": {"bundle": {"left": "draft_template", "right": "essay_model",
                                               "allowed": "@file:allowed_pairs.csv"}}},
                "output": {"field_order": ["draft_template", "essay_model"]}}"#,
            &[
                ("draft_levels.csv", "draft_template\ndraft-A\ndraft-B\n"),
                (
                    "allowed_pairs.csv",
                    "draft_template,essay_model\ndraft-A,llm-1\n",
                ),
            ],
        )
        .unwrap();
        let names: Vec<&str> = spec.axes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["draft_template", "essay_model"]);
        assert_eq!(values(&spec.axes[0].levels), [s("draft-A"), s("draft-B")]);
        assert!(
            matches!(&spec.rules[0].kind, RuleKind::Subset { axis, keep } if axis == "draft_template" && values(keep) == [s("draft-A")])
        );
        match &spec.rules[1].kind {
            RuleKind::Pair {
                name,
                left,
                right,
                allowed,
                balance,
            } => {
                assert_eq!(
                    (name.as_str(), left.as_str(), right.as_str()),
                    ("bundle", "draft_template", "essay_model")
                );
                assert_eq!(
                    (allowed[0].left.clone(), allowed[0].right.clone()),
                    (s("draft-A"), s("llm-1"))
                );
                assert_eq!(*balance, None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(spec.field_order, ["draft_template", "essay_model"]);
        assert_eq!(spec.bundle.files.len(), 3);
    }

    // §6.1 L3, L6, L9, L10.
    #[test]
    fn loader_errors() {
        let cases = [
            (
                "axes: {draft_template: not-a-list}\noutput: {field_order: []}\n",
                "draft_template",
            ),
            ("axes: {a: [x]}\noutput: {}\n", "field_order is required"),
            (
                "rules: {}\noutput: {field_order: [draft_template]}\n",
                "\"draft_template\"",
            ),
            (
                "axes: {a: [x]}\nrules:\n  - subset: {axis: a, keep: [x]}\noutput: {field_order: []}\n",
                "not a list",
            ),
            (
                "axes: {flag: [true]}\noutput: {field_order: []}\n",
                "axes.flag[0]",
            ),
            ("axes: {a: [1.5]}\noutput: {field_order: []}\n", "float"),
            ("axes: {a: [~]}\noutput: {field_order: []}\n", "null"),
            (
                "axes: {a: [99999999999999999999]}\noutput: {field_order: []}\n",
                "range",
            ),
            (
                "axes: {a: [[x]]}\noutput: {field_order: []}\n",
                "list is not a level",
            ),
            (
                "replicates: {draft_template: 2}\noutput: {field_order: []}\n",
                "replicate axes",
            ),
            (
                "rule: {}\noutput: {field_order: []}\n",
                "unknown top-level key",
            ),
            (
                "axes: {a: [x]}\nrules: {zips: {z: [a]}}\noutput: {field_order: []}\n",
                "zips",
            ),
            (
                "axes: {a: [x]}\noutput: {field_order: [], expand_pairs: true}\n",
                "removed",
            ),
            (
                "axes: {a: [x]}\noutput: {field_order: [], seed: x}\n",
                "seed",
            ),
            (
                "axes: {a: [x]}\nrules: {tuples: {t: {axes: [b], items: [[1]], expand: true}}}\noutput: {field_order: []}\n",
                "expand",
            ),
            (
                "rules: {ties: {t: {axes: [a], to: b}}}\noutput: {field_order: []}\n",
                "omit 'to'",
            ),
            (
                "rules: {pairs: {p: {left: a, right: b, allowed: [[x, y]], extra: 1}}}\noutput: {field_order: []}\n",
                "unknown key",
            ),
            (
                "rules: {pairs: {p: {left: a, allowed: [[x, y]]}}}\noutput: {field_order: []}\n",
                "needs right",
            ),
            (
                "rules: {pairs: {p: {left: a, right: b, allowed: [[x]]}}}\noutput: {field_order: []}\n",
                "[left, right]",
            ),
            (
                "rules: {tuples: {t: {axes: [a, b], items: [[x]]}}}\noutput: {field_order: []}\n",
                "does not match",
            ),
            (
                "axes: {a: '@file:../x.csv'}\noutput: {field_order: []}\n",
                "outside the spec folder",
            ),
            (
                "axes: {a: '@file:missing.csv'}\noutput: {field_order: []}\n",
                "missing.csv",
            ),
            (
                "axes: {a: '@file:x.toml'}\noutput: {field_order: []}\n",
                "unsupported include",
            ),
            ("axes: [a]\n", "axes must be a mapping"),
            ("- a\n", "must be a mapping"),
            (
                "axes:\n  a: [x]\naxes:\n  b: [y]\noutput: {field_order: []}\n",
                "duplicate key",
            ),
            ("axes: {a: [x]\n", "invalid YAML"),
        ];
        for (text, needle) in cases {
            let err = load_text("config.yaml", text, &[]).expect_err(text);
            let shown = format!("{err} {:?} {:?}", err.detail(), err.hints());
            assert!(shown.contains(needle), "{text:?}: {shown}");
        }
    }

    // §6.1 L7, L8.
    #[test]
    fn tuple_derived_axes() {
        let spec = load_text(
            "config.yaml",
            "axes: {}\nrules:\n  tuples:\n    draft_bundle:\n      axes: [draft_template, draft_llm]\n      items: [[draft-A, llm-1], [draft-B, llm-2]]\noutput: {field_order: [draft_llm]}\n",
            &[],
        )
        .unwrap();
        assert_eq!(values(&spec.axes[0].levels), [s("draft-A"), s("draft-B")]);
        assert_eq!(values(&spec.axes[1].levels), [s("llm-1"), s("llm-2")]);
        assert_eq!(spec.axes[1].derived_from.as_deref(), Some("draft_bundle"));
        let err = load_text(
            "config.yaml",
            "axes: {draft_template: [draft-A]}\nrules:\n  tuples:\n    draft_bundle:\n      axes: [draft_template, draft_llm]\n      items: [[draft-A, llm-1]]\noutput: {field_order: []}\n",
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("draft_template"));
    }

    // §6.1 L11: an inline pair stays a pair of strings.
    #[test]
    fn pair_rule_shortcut() {
        let spec = load_text(
            "config.yaml",
            "axes: {left: [a], right: [b]}\nrules: {pairs: {bundle: {left: left, right: right, allowed: [[a, b]]}}}\noutput: {field_order: []}\n",
            &[],
        )
        .unwrap();
        assert!(
            matches!(&spec.rules[0].kind, RuleKind::Pair { allowed, .. } if allowed[0].left == s("a") && allowed[0].right == s("b"))
        );
    }

    #[test]
    fn yaml_anchors_as_the_old_migrator_wrote_them_are_accepted() {
        let spec = load_text(
            "config.yaml",
            "rules:\n  tuples:\n    rows:\n      axes: &id001\n      - a\n      - b\n      items: [[x, y]]\noutput:\n  field_order: *id001\n",
            &[],
        )
        .unwrap();
        assert_eq!(spec.field_order, ["a", "b"]);
    }

    #[test]
    fn empty_document_is_an_empty_spec_without_field_order() {
        let err = load_text("config.yaml", "", &[]).unwrap_err();
        assert!(err.to_string().contains("field_order"));
        let spec = load_text("config.yaml", "output: {field_order: []}", &[]).unwrap();
        assert!(spec.axes.is_empty() && spec.rules.is_empty());
    }
}
