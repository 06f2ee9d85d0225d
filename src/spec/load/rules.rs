//! The `rules` section: subsets, ties, pairs and tuples (docs/reference.md §2.4–§2.6), and the
//! axes tuples derive.

use std::collections::HashSet;

use super::super::node::Node;
use super::super::{AxisDecl, Level, PairEntry, Rule, RuleKind, TupleItem, Value};
use crate::error::{Error, Result, SpecErrorKind};

use super::{Loader, axis_name, child, scalar_value, side_value, string_list};

/// A named rule's name, YAML path and mapping entries ([`Loader::named_mapping`]).
type NamedMapping<'n> = (String, String, &'n [(Node, Node)]);
impl Loader<'_> {
    pub(super) fn load_rules(&mut self, node: Option<&Node>) -> Result<Vec<Rule>> {
        let entries = match node {
            None | Some(Node::Null) => return Ok(Vec::new()),
            Some(Node::Map(entries)) => entries,
            Some(Node::Seq(_)) => {
                return self.err("rules", SpecErrorKind::RulesAreAList);
            }
            Some(other) => {
                return self.err(
                    "rules",
                    SpecErrorKind::RulesNotAMapping {
                        found: other.display(),
                    },
                );
            }
        };
        let mut rules = Vec::new();
        for (key, payload) in entries {
            let section = key.key_text();
            let path = child("rules", &section);
            match key.as_str() {
                Some("subsets") => self.load_subsets(payload, &path, &mut rules)?,
                Some("ties") => self.load_ties(payload, &path, &mut rules)?,
                Some("pairs") => self.load_pairs(payload, &path, &mut rules)?,
                Some("tuples") => self.load_tuples(payload, &path, &mut rules)?,
                _ => {
                    return self.err(
                        &path,
                        SpecErrorKind::UnknownRuleSection { key: key.display() },
                    );
                }
            }
        }
        Ok(rules)
    }

    pub(super) fn section_entries<'n>(
        &self,
        payload: &'n Node,
        path: &str,
    ) -> Result<&'n [(Node, Node)]> {
        match payload {
            Node::Map(entries) => Ok(entries),
            Node::Null => Ok(&[]),
            other => self.err(
                path,
                SpecErrorKind::SectionNotAMapping {
                    section: path.to_string(),
                    found: other.display(),
                },
            ),
        }
    }

    pub(super) fn rule_name(&self, key: &Node, path: &str, what: &'static str) -> Result<String> {
        match axis_name(key) {
            Some(name) if !name.is_empty() => Ok(name),
            _ => self.err(
                path,
                SpecErrorKind::BadRuleName {
                    what,
                    found: key.display(),
                },
            ),
        }
    }

    /// A named rule of a `pairs` or `tuples` section: its name, its YAML path and its
    /// mapping's entries; `not_a_mapping(name, found)` is the error when it is no mapping.
    fn named_mapping<'n>(
        &self,
        key: &Node,
        spec: &'n Node,
        path: &str,
        what: &'static str,
        not_a_mapping: impl FnOnce(String, String) -> SpecErrorKind,
    ) -> Result<NamedMapping<'n>> {
        let name = self.rule_name(key, path, what)?;
        let rule_path = child(path, &name);
        match spec {
            Node::Map(entries) => Ok((name, rule_path, entries)),
            other => self.err(&rule_path, not_a_mapping(name, other.display())),
        }
    }

    pub(super) fn check_keys(
        &self,
        payload: &[(Node, Node)],
        path: &str,
        allowed: &'static [&'static str],
        what: &'static str,
    ) -> Result<()> {
        for (key, _) in payload {
            if !key.as_str().is_some_and(|k| allowed.contains(&k)) {
                return self.err(
                    &child(path, &key.key_text()),
                    SpecErrorKind::UnknownRuleKey {
                        key: key.display(),
                        what,
                        allowed,
                    },
                );
            }
        }
        Ok(())
    }

    pub(super) fn load_subsets(
        &mut self,
        payload: &Node,
        path: &str,
        rules: &mut Vec<Rule>,
    ) -> Result<()> {
        for (key, keep) in self.section_entries(payload, path)?.to_vec() {
            let Some(axis) = axis_name(&key) else {
                return self.err(
                    path,
                    SpecErrorKind::BadSubsetKey {
                        found: key.display(),
                    },
                );
            };
            let axis = &axis;
            let rule_path = child(path, axis);
            let items = self.list_or_include(&keep, &rule_path, &format!("subset of {axis:?}"))?;
            let keep = items
                .iter()
                .map(|item| {
                    let value = match &item.node {
                        // A multi-column CSV include yields tuples, which can match a pair or
                        // tuple axis; an inline YAML list cannot (it was unhashable).
                        Node::Seq(parts) if item.at.yaml_path.is_none() => Value::Tuple(
                            parts
                                .iter()
                                .map(|p| scalar_value(p, &item.at))
                                .collect::<Result<Vec<_>>>()?,
                        ),
                        other => scalar_value(other, &item.at)?,
                    };
                    Ok(Level {
                        value,
                        at: item.at.clone(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            rules.push(Rule {
                kind: RuleKind::Subset {
                    axis: axis.clone(),
                    keep,
                },
                at: self.at(&rule_path),
            });
        }
        Ok(())
    }

    pub(super) fn load_ties(
        &mut self,
        payload: &Node,
        path: &str,
        rules: &mut Vec<Rule>,
    ) -> Result<()> {
        for (key, spec) in self.section_entries(payload, path)?.to_vec() {
            let to = self.rule_name(&key, path, "a tie")?;
            let rule_path = child(path, &to);
            let axes_node = match &spec {
                Node::Seq(_) => spec.clone(),
                Node::Map(entries) => {
                    if spec.get("to").is_some() {
                        return self.err(&child(&rule_path, "to"), SpecErrorKind::TieHasTo);
                    }
                    self.check_keys(entries, &rule_path, &["axes"], "a tie")?;
                    spec.get("axes").cloned().unwrap_or(Node::Seq(Vec::new()))
                }
                other => {
                    return self.err(
                        &rule_path,
                        SpecErrorKind::BadTie {
                            found: other.display(),
                        },
                    );
                }
            };
            let axes = string_list(&axes_node, &self.at(&rule_path), "a tie's axes")?;
            if axes.is_empty() {
                return self.err(&rule_path, SpecErrorKind::TieWithoutAxes);
            }
            rules.push(Rule {
                kind: RuleKind::Tie { to, axes },
                at: self.at(&rule_path),
            });
        }
        Ok(())
    }

    pub(super) fn load_pairs(
        &mut self,
        payload: &Node,
        path: &str,
        rules: &mut Vec<Rule>,
    ) -> Result<()> {
        for (key, spec) in self.section_entries(payload, path)?.to_vec() {
            let (name, rule_path, entries) =
                self.named_mapping(&key, &spec, path, "a pair", |name, found| {
                    SpecErrorKind::PairNotAMapping { name, found }
                })?;
            self.check_keys(
                entries,
                &rule_path,
                &["left", "right", "allowed", "balance"],
                "a pair",
            )?;
            let side = |field: &'static str| -> Result<String> {
                match spec.get(field).and_then(axis_name) {
                    Some(name) => Ok(name),
                    None => self.err(
                        &child(&rule_path, field),
                        SpecErrorKind::PairSideMissing {
                            name: name.clone(),
                            side: field,
                            found: spec.get(field).map_or("nothing".to_string(), Node::display),
                        },
                    ),
                }
            };
            let (left, right) = (side("left")?, side("right")?);
            let allowed_path = child(&rule_path, "allowed");
            let allowed_node = spec.get("allowed").cloned().unwrap_or(Node::Null);
            let items = self.list_or_include(
                &allowed_node,
                &allowed_path,
                &format!("pair {name:?} allowed"),
            )?;
            if items.is_empty() {
                return self.err(&allowed_path, SpecErrorKind::AllowedEmpty { name });
            }
            let mut allowed = Vec::with_capacity(items.len());
            for item in &items {
                match &item.node {
                    Node::Seq(parts) if parts.len() == 2 => allowed.push(PairEntry {
                        left: side_value(&parts[0], &item.at)?,
                        right: side_value(&parts[1], &item.at)?,
                        at: item.at.clone(),
                    }),
                    other => {
                        return Err(Error::spec(
                            item.at.clone(),
                            SpecErrorKind::NotAPairEntry {
                                name,
                                found: other.display(),
                            },
                        ));
                    }
                }
            }
            let balance = match spec.get("balance") {
                None | Some(Node::Null) => None,
                Some(Node::Str(s)) => Some(s.clone()),
                Some(other) => {
                    return self.err(
                        &child(&rule_path, "balance"),
                        SpecErrorKind::BadBalance {
                            name,
                            found: other.display(),
                        },
                    );
                }
            };
            rules.push(Rule {
                kind: RuleKind::Pair {
                    name,
                    left,
                    right,
                    allowed,
                    balance,
                },
                at: self.at(&rule_path),
            });
        }
        Ok(())
    }

    pub(super) fn load_tuples(
        &mut self,
        payload: &Node,
        path: &str,
        rules: &mut Vec<Rule>,
    ) -> Result<()> {
        for (key, spec) in self.section_entries(payload, path)?.to_vec() {
            let (name, rule_path, entries) =
                self.named_mapping(&key, &spec, path, "a tuple", |name, found| {
                    SpecErrorKind::TupleNotAMapping { name, found }
                })?;
            if spec.get("expand").is_some() {
                return self.err(
                    &child(&rule_path, "expand"),
                    SpecErrorKind::TupleExpandRemoved { name },
                );
            }
            self.check_keys(entries, &rule_path, &["axes", "items"], "a tuple")?;
            let axes_path = child(&rule_path, "axes");
            let axes = string_list(
                spec.get("axes").unwrap_or(&Node::Null),
                &self.at(&axes_path),
                &format!("tuple {name:?} axes"),
            )?;
            if axes.is_empty() {
                return self.err(&axes_path, SpecErrorKind::TupleWithoutAxes { name });
            }
            let items_path = child(&rule_path, "items");
            let items_node = spec.get("items").cloned().unwrap_or(Node::Null);
            let raw =
                self.list_or_include(&items_node, &items_path, &format!("tuple {name:?} items"))?;
            if raw.is_empty() {
                return self.err(&items_path, SpecErrorKind::TupleItemsEmpty { name });
            }
            let mut items = Vec::with_capacity(raw.len());
            for item in &raw {
                match &item.node {
                    Node::Seq(parts) if parts.len() == axes.len() => items.push(TupleItem {
                        values: parts
                            .iter()
                            .map(|p| scalar_value(p, &item.at))
                            .collect::<Result<Vec<_>>>()?,
                        at: item.at.clone(),
                    }),
                    other => {
                        return Err(Error::spec(
                            item.at.clone(),
                            SpecErrorKind::TupleItemLength {
                                name,
                                item: other.display(),
                                axes,
                            },
                        ));
                    }
                }
            }
            rules.push(Rule {
                kind: RuleKind::Tuple { name, axes, items },
                at: self.at(&rule_path),
            });
        }
        Ok(())
    }

    /// docs/reference.md §2.6: axes bound by tuples get their levels from the items, in first-seen
    /// order across all tuples, and come after the explicit axes in order of first mention.
    pub(super) fn derive_tuple_axes(&self, rules: &[Rule], axes: &mut Vec<AxisDecl>) -> Result<()> {
        let explicit: HashSet<String> = axes.iter().map(|a| a.name.clone()).collect();
        for rule in rules {
            let RuleKind::Tuple {
                name,
                axes: bound,
                items,
            } = &rule.kind
            else {
                continue;
            };
            for axis in bound {
                if explicit.contains(axis) {
                    let declared = axes
                        .iter()
                        .find(|a| &a.name == axis)
                        .map(|a| a.at.clone())
                        .unwrap_or_default();
                    return Err(Error::spec(
                        rule.at.clone(),
                        SpecErrorKind::TupleBindsDeclaredAxis {
                            name: name.clone(),
                            axis: axis.clone(),
                            declared,
                        },
                    ));
                }
                if !axes.iter().any(|a| &a.name == axis) {
                    axes.push(AxisDecl {
                        name: axis.clone(),
                        levels: Vec::new(),
                        derived_from: Some(name.clone()),
                        at: rule.at.clone(),
                    });
                }
            }
            // Each bound axis's position and the levels it has so far (a set: an items file
            // can hold millions of rows).
            let positions: Vec<usize> = bound
                .iter()
                .map(|axis| {
                    axes.iter()
                        .position(|a| &a.name == axis)
                        .expect("derived axis was just added")
                })
                .collect();
            let mut seen: Vec<HashSet<Value>> = positions
                .iter()
                .map(|&p| axes[p].levels.iter().map(|l| l.value.clone()).collect())
                .collect();
            for item in items {
                for ((&position, seen), value) in positions.iter().zip(&mut seen).zip(&item.values)
                {
                    if !seen.contains(value) {
                        seen.insert(value.clone());
                        axes[position].levels.push(Level {
                            value: value.clone(),
                            at: item.at.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}
