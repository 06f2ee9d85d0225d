//! How two specs differ, in the user's terms: axes and levels added or removed, rules added,
//! removed or changed, output order and seed (docs/spec-dsl.md). Where a value was written is
//! ignored: moving a level to another line, or into an `@file:` include, changes nothing.
//! `status` uses it for a spec folder edited after the build, `diff` for two cohorts.

use std::collections::BTreeSet;

use crate::seed::Seed;
use crate::spec::{RuleKind, Spec, Value};

/// One difference between an old and a new spec.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SpecChange {
    /// An axis only the new spec declares.
    AxisAdded {
        /// The axis.
        axis: String,
    },
    /// An axis only the old spec declares.
    AxisRemoved {
        /// The axis.
        axis: String,
    },
    /// Levels only the new spec lists for an axis both declare.
    LevelsAdded {
        /// The axis.
        axis: String,
        /// The levels, as a spec writes them.
        levels: Vec<String>,
    },
    /// Levels only the old spec lists for an axis both declare.
    LevelsRemoved {
        /// The axis.
        axis: String,
        /// The levels, as a spec writes them.
        levels: Vec<String>,
    },
    /// The same levels in another order (the product's order follows it).
    LevelOrder {
        /// The axis.
        axis: String,
    },
    /// A rule only the new spec has (`tie shared`, `pair evaluation`, …).
    RuleAdded {
        /// The rule's label.
        rule: String,
    },
    /// A rule only the old spec has.
    RuleRemoved {
        /// The rule's label.
        rule: String,
    },
    /// A rule both have, with other content or at another position in the rule order.
    RuleChanged {
        /// The rule's label.
        rule: String,
    },
    /// `output.field_order` differs.
    FieldOrder {
        /// The old order.
        old: Vec<String>,
        /// The new order.
        new: Vec<String>,
    },
    /// The effective shuffle seed differs (D8); seeds of any size, as decimal text.
    Seed {
        /// The old seed.
        old: Option<String>,
        /// The new seed.
        new: Option<String>,
    },
}

impl std::fmt::Display for SpecChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpecChange::AxisAdded { axis } => write!(f, "axis {axis} added"),
            SpecChange::AxisRemoved { axis } => write!(f, "axis {axis} removed"),
            SpecChange::LevelsAdded { axis, levels } => {
                write!(f, "axis {axis}: levels added {}", levels.join(", "))
            }
            SpecChange::LevelsRemoved { axis, levels } => {
                write!(f, "axis {axis}: levels removed {}", levels.join(", "))
            }
            SpecChange::LevelOrder { axis } => write!(f, "axis {axis}: levels reordered"),
            SpecChange::RuleAdded { rule } => write!(f, "rule {rule} added"),
            SpecChange::RuleRemoved { rule } => write!(f, "rule {rule} removed"),
            SpecChange::RuleChanged { rule } => write!(f, "rule {rule} changed"),
            SpecChange::FieldOrder { old, new } => write!(
                f,
                "output.field_order [{}] -> [{}]",
                old.join(", "),
                new.join(", ")
            ),
            SpecChange::Seed { old, new } => {
                let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".to_string());
                write!(f, "seed {} -> {}", show(old), show(new))
            }
        }
    }
}

/// The distinct levels of an axis in first-written order (the compiler de-duplicates the same
/// way, docs/reference.md §2.4).
fn distinct_levels(spec: &Spec, axis: &str) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    spec.axes
        .iter()
        .filter(|a| a.name == axis)
        .flat_map(|a| a.levels.iter())
        .filter(|l| seen.insert(l.value.clone()))
        .map(|l| l.value.clone())
        .collect()
}

/// A rule's content without the places it was written, comparable across files.
fn rule_shape(kind: &RuleKind) -> String {
    let values = |vs: &mut dyn Iterator<Item = &Value>| -> String {
        vs.map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
    };
    match kind {
        RuleKind::Subset { axis, keep } => {
            format!(
                "subset {axis} [{}]",
                values(&mut keep.iter().map(|l| &l.value))
            )
        }
        RuleKind::Tie { to, axes } => format!("tie {to} [{}]", axes.join(", ")),
        RuleKind::Pair {
            name,
            left,
            right,
            allowed,
            balance,
        } => format!(
            "pair {name} {left} {right} {balance:?} [{}]",
            allowed
                .iter()
                .map(|e| format!("[{}, {}]", e.left, e.right))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        RuleKind::Tuple { name, axes, items } => format!(
            "tuple {name} [{}] [{}]",
            axes.join(", "),
            items
                .iter()
                .map(|i| format!("[{}]", values(&mut i.values.iter())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What changed from spec `old` (effective seed `old_seed`) to spec `new` (`new_seed`); empty
/// when they mean the same. Axes in the order the specs declare them, then rules, output, seed.
pub fn spec_changes(
    old: &Spec,
    old_seed: Option<&Seed>,
    new: &Spec,
    new_seed: Option<&Seed>,
) -> Vec<SpecChange> {
    let mut changes = Vec::new();
    let names = |s: &Spec| -> Vec<String> {
        let mut seen = BTreeSet::new();
        s.axes
            .iter()
            .filter(|a| seen.insert(a.name.clone()))
            .map(|a| a.name.clone())
            .collect()
    };
    let (old_names, new_names) = (names(old), names(new));
    for axis in &old_names {
        if !new_names.contains(axis) {
            changes.push(SpecChange::AxisRemoved { axis: axis.clone() });
            continue;
        }
        let (a, b) = (distinct_levels(old, axis), distinct_levels(new, axis));
        let added: Vec<String> = b
            .iter()
            .filter(|v| !a.contains(v))
            .map(|v| v.to_string())
            .collect();
        let removed: Vec<String> = a
            .iter()
            .filter(|v| !b.contains(v))
            .map(|v| v.to_string())
            .collect();
        let reordered = added.is_empty() && removed.is_empty() && a != b;
        if !added.is_empty() {
            changes.push(SpecChange::LevelsAdded {
                axis: axis.clone(),
                levels: added,
            });
        }
        if !removed.is_empty() {
            changes.push(SpecChange::LevelsRemoved {
                axis: axis.clone(),
                levels: removed,
            });
        }
        if reordered {
            changes.push(SpecChange::LevelOrder { axis: axis.clone() });
        }
    }
    for axis in &new_names {
        if !old_names.contains(axis) {
            changes.push(SpecChange::AxisAdded { axis: axis.clone() });
        }
    }
    let rules = |s: &Spec| -> Vec<(String, String)> {
        s.rules
            .iter()
            .map(|r| (r.label(), rule_shape(&r.kind)))
            .collect()
    };
    let (old_rules, new_rules) = (rules(old), rules(new));
    for (i, (label, shape)) in old_rules.iter().enumerate() {
        match new_rules.iter().position(|(l, _)| l == label) {
            None => changes.push(SpecChange::RuleRemoved {
                rule: label.clone(),
            }),
            Some(j) if new_rules[j].1 != *shape || i != j => {
                changes.push(SpecChange::RuleChanged {
                    rule: label.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for (label, _) in &new_rules {
        if !old_rules.iter().any(|(l, _)| l == label) {
            changes.push(SpecChange::RuleAdded {
                rule: label.clone(),
            });
        }
    }
    if old.field_order != new.field_order {
        changes.push(SpecChange::FieldOrder {
            old: old.field_order.clone(),
            new: new.field_order.clone(),
        });
    }
    if old_seed != new_seed {
        changes.push(SpecChange::Seed {
            old: old_seed.map(|s| s.as_str().to_string()),
            new: new_seed.map(|s| s.as_str().to_string()),
        });
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Bundle, load_bundle};

    fn spec(yaml: &str) -> Spec {
        let yaml = format!("{yaml}output: {{field_order: []}}\n");
        let bundle = Bundle {
            config: "config.yaml".into(),
            files: [("config.yaml".to_string(), yaml.into_bytes())].into(),
        };
        load_bundle(&bundle, "test").expect("the test spec is valid")
    }

    const BASE: &str = "axes:\n  a: [x, y]\n  b: [1, 2]\nrules:\n  subsets:\n    a: [x]\n";

    #[test]
    fn the_same_spec_written_differently_has_no_changes() {
        let other =
            "# a comment\naxes:\n  a: ['x', \"y\"]\n  b: [1, 2]\nrules:\n  subsets:\n    a: [x]\n";
        assert_eq!(spec_changes(&spec(BASE), None, &spec(other), None), vec![]);
    }

    #[test]
    fn levels_axes_rules_and_seed_are_named() {
        let new = "axes:\n  a: [x, y, z]\n  c: [q]\nrules:\n  subsets:\n    a: [y]\n";
        let seven: Seed = "7".parse().expect("a valid seed");
        let changes = spec_changes(&spec(BASE), None, &spec(new), Some(&seven));
        let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "axis a: levels added \"z\"",
                "axis b removed",
                "axis c added",
                "rule subset of a changed",
                "seed none -> 7",
            ]
        );
    }

    #[test]
    fn removed_levels_and_reordering_are_told_apart() {
        let fewer = "axes:\n  a: [x, y]\n  b: [1]\nrules:\n  subsets:\n    a: [x]\n";
        let swapped = "axes:\n  a: [y, x]\n  b: [1, 2]\nrules:\n  subsets:\n    a: [x]\n";
        assert_eq!(
            spec_changes(&spec(BASE), None, &spec(fewer), None),
            vec![SpecChange::LevelsRemoved {
                axis: "b".into(),
                levels: vec!["2".into()]
            }]
        );
        assert_eq!(
            spec_changes(&spec(BASE), None, &spec(swapped), None),
            vec![SpecChange::LevelOrder { axis: "a".into() }]
        );
    }
}
