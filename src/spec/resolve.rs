//! [`Spec`] → [`Plan`]: apply the rules in order, exactly as the reference compiler does
//! (docs/reference.md §2.7, D3, D4), and fix the output columns.
//!
//! Every design row of a spec has the same keys in the same order: expansion (§2.8) depends on
//! which axes exist, never on their values. So the expansion is run once on a symbolic row whose
//! values are "component `path` of final axis `i`", giving the output [`Column`]s; the compiler
//! then only selects those components from the product.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Level, Rule, RuleKind, Spec, Value};
use crate::error::{Error, Location, Result, SpecErrorKind};

/// What made a final axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisOrigin {
    /// Declared under `axes:` or derived from a tuple.
    Declared,
    /// The canonical axis of a tie.
    Tie,
    /// A pair (its levels are `(left, right)` tuples).
    Pair,
    /// A tuple (its levels are the items).
    Tuple,
}

/// One axis of the final product, in product order (the last varies fastest).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanAxis {
    /// The axis name (a declared axis, a tie name, a pair name or a tuple name).
    pub name: String,
    /// Its de-duplicated levels, in order.
    pub levels: Vec<Level>,
    /// What made it.
    pub origin: AxisOrigin,
}

/// One output column: component `path` of the levels of final axis `axis`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column name (a row key).
    pub name: String,
    /// Index into [`Plan::axes`].
    pub axis: usize,
    /// Path inside the level value (empty for a plain axis, `[1]` for a pair's right side…).
    pub path: Vec<usize>,
    /// True when the values are tuples (written as Python reprs in CSV, arrays in JSONL).
    pub composite: bool,
}

/// The state after one rule, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// `pair evaluation_bundle`, …
    pub rule: String,
    /// Where the rule is written.
    pub at: Location,
    /// The axes the rule created or changed, in product order, with their level counts after
    /// it. Only these, not every axis, so a plan of many rules stays linear in size.
    pub changed: Vec<(String, usize)>,
    /// The axes the rule consumed (tied, paired or bundled into another), in rule order.
    pub removed: Vec<String>,
    /// How many axes the product has after the rule.
    pub axis_count: usize,
    /// The product's row count.
    pub rows: u128,
}

/// A resolved spec: what the compiler needs, and what `explain` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The final axes, in product order.
    pub axes: Vec<PlanAxis>,
    /// The output columns, in output order.
    pub columns: Vec<Column>,
    /// `output.field_order` as written.
    pub field_order: Vec<String>,
    /// The declared axes with their de-duplicated level counts, before any rule.
    pub declared: Vec<(String, usize)>,
    /// The state after each rule, in application order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// The number of design rows: the product of the level counts (saturating).
    pub fn row_count(&self) -> u128 {
        product(self.axes.iter().map(|a| a.levels.len()))
    }

    /// The distinct values of a column, in level order (what `--catalog` checks).
    pub fn column_values(&self, column: &Column) -> Vec<Value> {
        let mut seen = HashSet::new();
        self.axes[column.axis]
            .levels
            .iter()
            .filter_map(|l| l.value.at(&column.path))
            .filter(|v| seen.insert((*v).clone()))
            .cloned()
            .collect()
    }
}

fn product(counts: impl Iterator<Item = usize>) -> u128 {
    counts.fold(1u128, |acc, n| acc.saturating_mul(n as u128))
}

/// The level counts of the current axes as a multiset (count → how many axes have it), so the
/// row count after each rule costs the number of distinct counts, not the number of axes:
/// recomputing it from every axis after every rule was quadratic (4,000 subsets of 4,000 axes).
#[derive(Debug, Default)]
struct LevelCounts(std::collections::BTreeMap<usize, u32>);

impl LevelCounts {
    /// One axis's count changes from `before` to `after` (`None`: absent).
    fn replace(&mut self, before: Option<usize>, after: Option<usize>) {
        if let Some(b) = before
            && let Some(m) = self.0.get_mut(&b)
        {
            *m -= 1;
            if *m == 0 {
                self.0.remove(&b);
            }
        }
        if let Some(a) = after {
            *self.0.entry(a).or_insert(0) += 1;
        }
    }

    /// The product of all counts (saturating).
    fn product(&self) -> u128 {
        self.0.iter().fold(1u128, |acc, (&n, &times)| {
            acc.saturating_mul((n as u128).saturating_pow(times))
        })
    }
}

/// An insertion-ordered map with Python dict semantics for the few operations used here.
#[derive(Debug, Clone)]
struct OrderedMap<V> {
    entries: Vec<(String, V)>,
}

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap {
            entries: Vec::new(),
        }
    }
}

impl<V: Clone> OrderedMap<V> {
    fn get(&self, key: &str) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `d[key] = value`: replaces in place, or appends.
    fn set(&mut self, key: &str, value: V) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// `d.setdefault(key, value)`.
    fn set_default(&mut self, key: &str, value: V) {
        if self.get(key).is_none() {
            self.entries.push((key.to_string(), value));
        }
    }
}

struct State<'a> {
    axis_order: Vec<String>,
    levels: HashMap<String, Vec<Level>>,
    origin: HashMap<String, AxisOrigin>,
    tie_back: OrderedMap<String>,
    pair_meta: OrderedMap<(String, String)>,
    tuple_meta: OrderedMap<Vec<String>>,
    /// Which rule removed an axis, to explain "axis missing" errors.
    consumed_by: HashMap<String, String>,
    /// The axes the current rule created, changed or removed, each with its level count
    /// before the change (`None`: it did not exist), for its [`Step`].
    touched: Vec<(String, Option<usize>)>,
    spec: &'a Spec,
}

fn dedupe(levels: &[Level]) -> Vec<Level> {
    let mut seen: HashSet<&Value> = HashSet::new();
    levels
        .iter()
        .filter(|l| seen.insert(&l.value))
        .cloned()
        .collect()
}

/// The levels' values as text, for a message.
fn texts(levels: &[Level]) -> Vec<String> {
    levels.iter().map(|l| l.value.to_string()).collect()
}

/// Resolves a spec's rules into a plan (docs/reference.md §2.7–§2.8).
pub fn resolve(spec: &Spec) -> Result<Plan> {
    let mut state = State {
        axis_order: spec.axes.iter().map(|a| a.name.clone()).collect(),
        levels: spec
            .axes
            .iter()
            .map(|a| (a.name.clone(), dedupe(&a.levels)))
            .collect(),
        origin: spec
            .axes
            .iter()
            .map(|a| (a.name.clone(), AxisOrigin::Declared))
            .collect(),
        tie_back: OrderedMap::default(),
        pair_meta: OrderedMap::default(),
        tuple_meta: OrderedMap::default(),
        consumed_by: HashMap::new(),
        touched: Vec::new(),
        spec,
    };
    let declared = state.snapshot();
    let mut counts = LevelCounts::default();
    for (_, n) in &declared {
        counts.replace(None, Some(*n));
    }
    let mut steps = Vec::with_capacity(spec.rules.len());
    for rule in &spec.rules {
        match &rule.kind {
            RuleKind::Subset { axis, keep } => state.subset(rule, axis, keep)?,
            RuleKind::Tie { to, axes } => state.tie(rule, to, axes)?,
            RuleKind::Pair {
                name,
                left,
                right,
                allowed,
                balance,
            } => state.pair(rule, name, left, right, allowed, balance.as_deref())?,
            RuleKind::Tuple { name, axes, items } => state.tuple(rule, name, axes, items)?,
        }
        let touched = std::mem::take(&mut state.touched);
        let mut seen = HashSet::new();
        let mut changed = Vec::new();
        let mut removed = Vec::new();
        for (name, before) in touched {
            if !seen.insert(name.clone()) {
                continue;
            }
            let after = state.levels.get(&name).map(Vec::len);
            counts.replace(before, after);
            match after {
                Some(n) => changed.push((name, n)),
                None => removed.push(name),
            }
        }
        if changed.len() > 1 {
            let position: HashMap<&str, usize> = state
                .axis_order
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i))
                .collect();
            changed.sort_by_key(|(n, _)| position.get(n.as_str()).copied());
        }
        steps.push(Step {
            rule: rule.label(),
            at: rule.at.clone(),
            changed,
            removed,
            axis_count: state.axis_order.len(),
            rows: counts.product(),
        });
    }
    let axes: Vec<PlanAxis> = state
        .axis_order
        .iter()
        .map(|name| PlanAxis {
            name: name.clone(),
            levels: state.levels[name].clone(),
            origin: state
                .origin
                .get(name)
                .copied()
                .unwrap_or(AxisOrigin::Declared),
        })
        .collect();
    let columns = expand_columns(&axes, &state, &spec.field_order)?;
    Ok(Plan {
        axes,
        columns,
        field_order: spec.field_order.clone(),
        declared,
        steps,
    })
}

impl State<'_> {
    fn snapshot(&self) -> Vec<(String, usize)> {
        self.axis_order
            .iter()
            .map(|n| (n.clone(), self.levels.get(n).map_or(0, Vec::len)))
            .collect()
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.axis_order.iter().position(|n| n == name)
    }

    /// Records that the current rule is about to change (or create, or remove) axis `name`.
    fn touch(&mut self, name: &str) {
        let before = self.levels.get(name).map(Vec::len);
        self.touched.push((name.to_string(), before));
    }

    fn remove_axis(&mut self, name: &str, by: &Rule) {
        self.touch(name);
        self.levels.remove(name);
        self.axis_order.retain(|n| n != name);
        self.consumed_by.insert(name.to_string(), by.label());
    }

    fn missing(&self, rule: &Rule, axis: &str) -> Error {
        let consumed_by = self.consumed_by.get(axis).cloned();
        let axes_now = (consumed_by.is_none() && self.spec.axes.iter().all(|a| a.name != axis))
            .then(|| self.axis_order.clone());
        Error::spec(
            rule.at.clone(),
            SpecErrorKind::AxisMissing {
                rule: rule.label(),
                axis: axis.to_string(),
                consumed_by,
                axes_now,
            },
        )
    }

    /// The reference crashes or silently corrupts rows when a rule's new axis name collides
    /// with an axis that survives it; refuse instead.
    fn check_new_name(&self, rule: &Rule, name: &str, consumed: &[&str]) -> Result<()> {
        if self.levels.contains_key(name) && !consumed.contains(&name) {
            return Err(Error::spec(
                rule.at.clone(),
                SpecErrorKind::NameTaken {
                    rule: rule.label(),
                    name: name.to_string(),
                },
            ));
        }
        if consumed.contains(&name) {
            return Err(Error::spec(
                rule.at.clone(),
                SpecErrorKind::NameReplaced {
                    rule: rule.label(),
                    name: name.to_string(),
                },
            ));
        }
        Ok(())
    }

    // docs/reference.md §2.7.1
    fn subset(&mut self, rule: &Rule, axis: &str, keep: &[Level]) -> Result<()> {
        let Some(current) = self.levels.get(axis) else {
            return Err(self.missing(rule, axis));
        };
        let keep_set: HashSet<&Value> = keep.iter().map(|l| &l.value).collect();
        let filtered: Vec<Level> = current
            .iter()
            .filter(|l| keep_set.contains(&l.value))
            .cloned()
            .collect();
        if filtered.is_empty() {
            return Err(Error::spec(
                rule.at.clone(),
                SpecErrorKind::SubsetEmpty {
                    rule: rule.label(),
                    axis: axis.to_string(),
                    levels: texts(current),
                    keep: texts(keep),
                },
            ));
        }
        self.touch(axis);
        self.levels.insert(axis.to_string(), filtered);
        Ok(())
    }

    // docs/reference.md §2.7.2
    fn tie(&mut self, rule: &Rule, to: &str, names: &[String]) -> Result<()> {
        for name in names {
            if !self.levels.contains_key(name) {
                return Err(self.missing(rule, name));
            }
        }
        let base = &self.levels[&names[0]];
        let others: Vec<HashSet<&Value>> = names[1..]
            .iter()
            .map(|n| self.levels[n].iter().map(|l| &l.value).collect())
            .collect();
        let intersection: Vec<Level> = base
            .iter()
            .filter(|l| others.iter().all(|s| s.contains(&l.value)))
            .cloned()
            .collect();
        if intersection.is_empty() {
            return Err(Error::spec(
                rule.at.clone(),
                SpecErrorKind::TieDisjoint {
                    rule: rule.label(),
                    axes: names
                        .iter()
                        .map(|n| (n.clone(), texts(&self.levels[n])))
                        .collect(),
                },
            ));
        }
        let first_index = names
            .iter()
            .filter_map(|n| self.index_of(n))
            .min()
            .unwrap_or(0);
        let is_new = !self.axis_order.iter().any(|n| n == to);
        self.touch(to);
        self.levels.insert(to.to_string(), intersection);
        if is_new {
            self.axis_order.insert(first_index, to.to_string());
            self.origin.insert(to.to_string(), AxisOrigin::Tie);
        }
        self.tie_back.set_default(to, to.to_string());
        for name in names {
            self.tie_back.set(name, to.to_string());
            if name != to {
                self.remove_axis(name, rule);
            }
        }
        Ok(())
    }

    fn resolved(&self, name: &str) -> String {
        self.tie_back
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    // docs/reference.md §2.7.3
    #[allow(clippy::too_many_arguments)]
    fn pair(
        &mut self,
        rule: &Rule,
        name: &str,
        left: &str,
        right: &str,
        allowed: &[super::PairEntry],
        balance: Option<&str>,
    ) -> Result<()> {
        if left == right {
            return Err(Error::spec(
                rule.at.clone(),
                SpecErrorKind::PairSameSides {
                    rule: rule.label(),
                    axis: left.to_string(),
                },
            ));
        }
        let (left_resolved, right_resolved) = (self.resolved(left), self.resolved(right));
        for axis in [&left_resolved, &right_resolved] {
            if !self.levels.contains_key(axis.as_str()) {
                return Err(self.missing(rule, axis));
            }
        }
        let left_domain: HashSet<&Value> = self.levels[&left_resolved]
            .iter()
            .map(|l| &l.value)
            .collect();
        let right_domain: HashSet<&Value> = self.levels[&right_resolved]
            .iter()
            .map(|l| &l.value)
            .collect();
        let mut pairs: Vec<Level> = Vec::new();
        let mut seen: HashSet<(&Value, &Value)> = HashSet::new();
        for entry in allowed {
            for (side, value, domain, axis) in [
                ("left", &entry.left, &left_domain, &left_resolved),
                ("right", &entry.right, &right_domain, &right_resolved),
            ] {
                if !domain.contains(value) {
                    return Err(Error::spec(
                        entry.at.clone(),
                        SpecErrorKind::PairOutsideDomain {
                            rule: rule.label(),
                            left: entry.left.to_string(),
                            right: entry.right.to_string(),
                            side,
                            value: value.to_string(),
                            axis: axis.to_string(),
                            levels: texts(&self.levels[axis.as_str()]),
                        },
                    ));
                }
            }
            if seen.insert((&entry.left, &entry.right)) {
                pairs.push(Level {
                    value: Value::Tuple(vec![entry.left.clone(), entry.right.clone()]),
                    at: entry.at.clone(),
                });
            }
        }
        check_balance(rule, balance, &pairs)?;
        self.check_new_name(
            rule,
            name,
            &[left_resolved.as_str(), right_resolved.as_str()],
        )?;
        let position = |axis: &str| {
            self.index_of(axis).ok_or_else(|| {
                Error::internal(
                    "a resolved pair axis is in the axis order",
                    format!("axis {axis:?} is not"),
                )
            })
        };
        let left_index = position(&left_resolved)?;
        let right_index = position(&right_resolved)?;
        let insert_at = left_index.min(right_index);
        self.remove_axis(&left_resolved, rule);
        if right_resolved != left_resolved {
            self.remove_axis(&right_resolved, rule);
        }
        self.touch(name);
        self.levels.insert(name.to_string(), pairs);
        self.origin.insert(name.to_string(), AxisOrigin::Pair);
        self.pair_meta
            .set(name, (left.to_string(), right.to_string()));
        let at = insert_at.min(self.axis_order.len());
        self.axis_order.insert(at, name.to_string());
        Ok(())
    }

    // docs/reference.md §2.7.4
    fn tuple(
        &mut self,
        rule: &Rule,
        name: &str,
        axes: &[String],
        items: &[super::TupleItem],
    ) -> Result<()> {
        let resolved: Vec<String> = axes.iter().map(|a| self.resolved(a)).collect();
        for (raw, res) in axes.iter().zip(&resolved) {
            if !self.levels.contains_key(res.as_str()) {
                return Err(self.missing(rule, raw));
            }
        }
        let domains: Vec<HashSet<&Value>> = resolved
            .iter()
            .map(|r| self.levels[r].iter().map(|l| &l.value).collect())
            .collect();
        let mut canonical: Vec<Level> = Vec::new();
        let mut seen: HashSet<&[Value]> = HashSet::new();
        for item in items {
            for (i, value) in item.values.iter().enumerate() {
                if !domains[i].contains(value) {
                    return Err(Error::spec(
                        item.at.clone(),
                        SpecErrorKind::TupleOutsideDomain {
                            rule: rule.label(),
                            value: value.to_string(),
                            item: item.values.iter().map(ToString::to_string).collect(),
                            axis: axes[i].clone(),
                            levels: texts(&self.levels[&resolved[i]]),
                        },
                    ));
                }
            }
            if seen.insert(&item.values) {
                canonical.push(Level {
                    value: Value::Tuple(item.values.clone()),
                    at: item.at.clone(),
                });
            }
        }
        let consumed: Vec<&str> = resolved.iter().map(String::as_str).collect();
        self.check_new_name(rule, name, &consumed)?;
        let insert_at = resolved
            .iter()
            .filter_map(|r| self.index_of(r))
            .min()
            .unwrap_or(0);
        self.touch(name);
        self.levels.insert(name.to_string(), canonical);
        self.origin.insert(name.to_string(), AxisOrigin::Tuple);
        self.axis_order.insert(insert_at, name.to_string());
        self.tuple_meta.set(name, axes.to_vec());
        let unique: Vec<String> = {
            let mut seen = HashSet::new();
            resolved
                .into_iter()
                .filter(|r| seen.insert(r.clone()))
                .collect()
        };
        for res in unique {
            self.remove_axis(&res, rule);
        }
        Ok(())
    }
}

/// A pair's `balance` (docs/reference.md §2.7.3): every value of the balanced side(s) that appears in
/// `allowed` appears equally often.
fn check_balance(rule: &Rule, balance: Option<&str>, pairs: &[Level]) -> Result<()> {
    if let Some(balance) = balance.filter(|b| !b.is_empty()) {
        let sides: &[usize] = match balance {
            "left" => &[0],
            "right" => &[1],
            "both" => &[0, 1],
            other => {
                return Err(Error::spec(
                    rule.at.clone(),
                    SpecErrorKind::BadBalanceValue {
                        rule: rule.label(),
                        found: other.to_string(),
                    },
                ));
            }
        };
        for &side in sides {
            // Sorted by value, for the message.
            let mut counts: BTreeMap<&Value, usize> = BTreeMap::new();
            for pair in pairs {
                let Value::Tuple(parts) = &pair.value else {
                    unreachable!("pair levels are tuples")
                };
                *counts.entry(&parts[side]).or_default() += 1;
            }
            let distinct: HashSet<usize> = counts.values().copied().collect();
            if distinct.len() > 1 {
                let side_name = if side == 0 { "left" } else { "right" };
                return Err(Error::spec(
                    rule.at.clone(),
                    SpecErrorKind::PairImbalance {
                        rule: rule.label(),
                        side: side_name,
                        balance: balance.to_string(),
                        counts: counts.iter().map(|(v, n)| (v.to_string(), *n)).collect(),
                    },
                ));
            }
        }
    }
    Ok(())
}

/// A symbolic row value: component `path` of final axis `axis`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sym {
    axis: usize,
    path: Vec<usize>,
}

fn arity(axes: &[PlanAxis], sym: &Sym) -> Option<usize> {
    match axes[sym.axis].levels.first()?.value.at(&sym.path)? {
        Value::Tuple(items) => Some(items.len()),
        _ => None,
    }
}

/// docs/reference.md §2.8, on a symbolic row: pairs expand, then tuples, then ties; then
/// `field_order` columns come first.
fn expand_columns(
    axes: &[PlanAxis],
    state: &State<'_>,
    field_order: &[String],
) -> Result<Vec<Column>> {
    let mut row: OrderedMap<Sym> = OrderedMap::default();
    for (i, axis) in axes.iter().enumerate() {
        row.set(
            &axis.name,
            Sym {
                axis: i,
                path: Vec::new(),
            },
        );
    }
    let internal = |what: &str| {
        Error::spec(
            Location::file(&state.spec.config_display),
            SpecErrorKind::NestingUnsupported {
                what: what.to_string(),
            },
        )
    };
    let mut to_delete: Vec<String> = Vec::new();
    for (name, (left, right)) in &state.pair_meta.entries {
        let Some(sym) = row.get(name).cloned() else {
            continue;
        };
        if arity(axes, &sym).is_some_and(|n| n != 2) {
            return Err(internal(&format!("pair {name}")));
        }
        let mut l = sym.clone();
        l.path.push(0);
        let mut r = sym;
        r.path.push(1);
        row.set(left, l);
        row.set(right, r);
        to_delete.push(name.clone());
    }
    row.entries.retain(|(k, _)| !to_delete.contains(k));
    to_delete.clear();
    for (name, parts) in &state.tuple_meta.entries {
        let Some(sym) = row.get(name).cloned() else {
            continue;
        };
        if arity(axes, &sym).is_some_and(|n| n != parts.len()) {
            return Err(internal(&format!("tuple {name}")));
        }
        for (i, part) in parts.iter().enumerate() {
            let mut s = sym.clone();
            s.path.push(i);
            row.set(part, s);
        }
        to_delete.push(name.clone());
    }
    row.entries.retain(|(k, _)| !to_delete.contains(k));
    for (original, canonical) in &state.tie_back.entries {
        if original == canonical {
            continue;
        }
        if let (Some(sym), None) = (row.get(canonical).cloned(), row.get(original)) {
            row.set(original, sym);
        }
    }
    let mut ordered: Vec<(String, Sym)> = Vec::with_capacity(row.entries.len());
    for field in field_order {
        if ordered.iter().any(|(k, _)| k == field) {
            continue;
        }
        if let Some(sym) = row.get(field) {
            ordered.push((field.clone(), sym.clone()));
        }
    }
    for (key, sym) in row.entries {
        if !ordered.iter().any(|(k, _)| *k == key) {
            ordered.push((key, sym));
        }
    }
    Ok(ordered
        .into_iter()
        .map(|(name, sym)| {
            let composite = arity(axes, &sym).is_some();
            Column {
                name,
                axis: sym.axis,
                path: sym.path,
                composite,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::spec::{Bundle, load_bundle};

    fn plan(text: &str) -> Result<Plan> {
        plan_with(text, &[])
    }

    fn plan_with(text: &str, extra: &[(&str, &str)]) -> Result<Plan> {
        let mut files = BTreeMap::new();
        files.insert("config.yaml".to_string(), text.as_bytes().to_vec());
        for (name, content) in extra {
            files.insert(name.to_string(), content.as_bytes().to_vec());
        }
        resolve(&load_bundle(
            &Bundle {
                config: "config.yaml".into(),
                files,
            },
            "spec",
        )?)
    }

    /// The rows a plan describes, computed naively (odometer order), as `key=value` strings.
    fn rows(plan: &Plan) -> Vec<String> {
        let mut out = Vec::new();
        let counts: Vec<usize> = plan.axes.iter().map(|a| a.levels.len()).collect();
        if counts.contains(&0) {
            return out;
        }
        let mut idx = vec![0usize; counts.len()];
        loop {
            let cells: Vec<String> = plan
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "{}={}",
                        c.name,
                        plan.axes[c.axis].levels[idx[c.axis]]
                            .value
                            .at(&c.path)
                            .unwrap()
                            .py_str()
                    )
                })
                .collect();
            out.push(cells.join(" "));
            let mut k = counts.len();
            loop {
                if k == 0 {
                    return out;
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < counts[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
    }

    // docs/reference.md §6.2 C1
    #[test]
    fn c1_cartesian_dedupes_levels() {
        let p = plan("axes: {draft_template: [draft-A, draft-A], essay_model: [llm-1, llm-2]}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "draft_template=draft-A essay_model=llm-1",
                "draft_template=draft-A essay_model=llm-2"
            ]
        );
    }

    // C2, C4, C5 and the subset keeping axis order.
    #[test]
    fn subsets() {
        let p = plan("axes: {draft_template: [draft-A]}\nrules: {subsets: {draft_template: [draft-A]}}\noutput: {field_order: []}").unwrap();
        assert_eq!(rows(&p), ["draft_template=draft-A"]);
        let err = plan("axes: {draft_template: [draft-A, draft-B]}\nrules: {subsets: {draft_template: [missing]}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("draft_template"));
        let p =
            plan("axes: {a: [x, y, z]}\nrules: {subsets: {a: [z, x]}}\noutput: {field_order: []}")
                .unwrap();
        assert_eq!(rows(&p), ["a=x", "a=z"]);
        let err =
            plan("axes: {a: [x]}\nrules: {subsets: {missing: [x]}}\noutput: {field_order: []}")
                .unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }

    // C6, C7, C8, C9 and the worked example of §2.7.2.
    #[test]
    fn ties() {
        let p = plan("axes: {dt: [draft-A, draft-B, draft-C], et: [draft-B, draft-C, draft-D]}\nrules: {ties: {dt: [dt, et]}}\noutput: {field_order: []}").unwrap();
        assert_eq!(rows(&p), ["dt=draft-B et=draft-B", "dt=draft-C et=draft-C"]);
        let p = plan("axes: {draft_template: [d1, d2], essay_template: [d1, d3]}\nrules: {ties: {paired_templates: [draft_template, essay_template]}}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            ["paired_templates=d1 draft_template=d1 essay_template=d1"]
        );
        let err = plan("axes: {draft_template: [d1]}\nrules: {ties: {t: [draft_template, missing]}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("\"missing\""));
        let err = plan("axes: {a: [d1, d2], b: [d3, d4]}\nrules: {ties: {t: [a, b]}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("no level in common"));
        let p = plan("axes: {p: [1], a: [x], q: [2], b: [x]}\nrules: {ties: {t: [b, a]}}\noutput: {field_order: []}").unwrap();
        let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["p", "t", "q", "b", "a"]);
        // A tie named after one of its axes keeps that axis in place (§2.7 ad-hoc example).
        let p = plan("axes: {draft_template: [d1, d2], essay_template: [d2, d1, d3]}\nrules: {ties: {essay_template: [draft_template, essay_template]}}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "essay_template=d1 draft_template=d1",
                "essay_template=d2 draft_template=d2"
            ]
        );
        let p = plan("axes: {draft_template: [d1, d2], essay_template: [d2, d1, d3]}\nrules: {ties: {dt: {axes: [draft_template, essay_template]}}}\noutput: {field_order: [draft_template, essay_template]}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "draft_template=d1 essay_template=d1 dt=d1",
                "draft_template=d2 essay_template=d2 dt=d2"
            ]
        );
    }

    // C10, C11, C12, C13 and the pair placement example of §2.11.
    #[test]
    fn pairs() {
        let p = plan("axes: {dt: [d1, d2], et: [e1, e2]}\nrules: {pairs: {p: {left: dt, right: et, allowed: [[d1, e1], [d2, e2], [d1, e1]]}}}\noutput: {field_order: []}").unwrap();
        assert_eq!(rows(&p), ["dt=d1 et=e1", "dt=d2 et=e2"]);
        let err = plan("axes: {dt: [d1, d2], et: [e1, e2]}\nrules: {pairs: {p: {left: dt, right: et, allowed: [[d1, e1], [d2, e2], [d2, e1]], balance: left}}}\noutput: {field_order: []}").unwrap_err();
        assert!(
            err.to_string()
                .contains("imbalance on left: \"d1\" ×1, \"d2\" ×2"),
            "{err}"
        );
        let p = plan("axes: {draft_template: [d1, d2], essay_template: [d1, d2], eval_template: [e1, e2]}\nrules:\n  ties: {paired: [draft_template, essay_template]}\n  pairs: {p: {left: draft_template, right: eval_template, allowed: [[d1, e1], [d2, e2]]}}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "draft_template=d1 eval_template=e1",
                "draft_template=d2 eval_template=e2"
            ]
        );
        let err = plan("axes: {dt: [d1], et: [e1]}\nrules: {pairs: {p: {left: dt, right: et, allowed: [[d1, missing]]}}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("\"missing\""));
        let p = plan("axes: {a: [a1, a2], m: [m1, m2], b: [b1, b2]}\nrules: {pairs: {p: {left: b, right: a, allowed: [[b2, a1], [b1, a2]]}}}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "m=m1 b=b2 a=a1",
                "m=m2 b=b2 a=a1",
                "m=m1 b=b1 a=a2",
                "m=m2 b=b1 a=a2"
            ]
        );
        let err = plan("axes: {a: [x], b: [y]}\nrules: {pairs: {p: {left: a, right: b, allowed: [[x, y]], balance: sideways}}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("balance"));
        // An empty balance disables the check (docs/reference.md §8 Q-BALANCE).
        assert!(plan("axes: {dt: [d1, d2], et: [e1, e2]}\nrules: {pairs: {p: {left: dt, right: et, allowed: [[d1, e1], [d2, e2], [d2, e1]], balance: ''}}}\noutput: {field_order: []}").is_ok());
    }

    // C14, C15 and a pair over a tuple axis.
    #[test]
    fn tuples() {
        let p = plan("rules: {tuples: {t: {axes: [essay_template, essay_llm], items: [[e1, mA], [e2, mB], [e1, mA]]}}}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "essay_template=e1 essay_llm=mA",
                "essay_template=e2 essay_llm=mB"
            ]
        );
        let p = plan("axes: {draft_template: [d1, d2]}\nrules:\n  tuples: {bundle: {axes: [essay_template, essay_llm], items: [[x, m1], [y, m2]]}}\n  pairs: {p: {left: draft_template, right: bundle, allowed: [[d1, [x, m1]], [d2, [y, m2]]]}}\noutput: {field_order: []}").unwrap();
        assert_eq!(
            rows(&p),
            [
                "draft_template=d1 essay_template=x essay_llm=m1",
                "draft_template=d2 essay_template=y essay_llm=m2"
            ]
        );
        // Pairs before the tuple they reference: the tuple axis does not exist yet (Q-ORDER).
        let err = plan("axes: {draft_template: [d1]}\nrules:\n  pairs: {p: {left: draft_template, right: bundle, allowed: [[d1, [x, m1]]]}}\n  tuples: {bundle: {axes: [essay_template, essay_llm], items: [[x, m1]]}}\noutput: {field_order: []}").unwrap_err();
        assert!(
            err.to_string().contains("\"bundle\" does not exist"),
            "{err}"
        );
        // Two tuples sharing an axis: the second finds it consumed.
        let err = plan("rules: {tuples: {t1: {axes: [a, b], items: [[x, y]]}, t2: {axes: [a, c], items: [[x, z]]}}}\noutput: {field_order: []}").unwrap_err();
        assert!(
            err.hints()
                .iter()
                .any(|d| d.contains("consumed by tuple t1")),
            "{err:?}"
        );
    }

    // docs/reference.md §6.2 C3a, C3b, C15 (the reachable forms of the compiler's own checks).
    #[test]
    fn subset_and_tuple_errors() {
        let err = plan("axes: {draft_template: [draft-A]}\nrules: {subsets: {draft_template: not-list}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("must be a list"), "{err}");
        let err = plan("axes: {draft_template: [draft-A]}\nrules: {subsets: {true: [draft-A]}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("must be an axis name"), "{err}");
        // A subset on a tuple-bound axis before the tuple: the tuple finds a value outside it.
        let err = plan("rules:\n  subsets: {essay_llm: [mA]}\n  tuples: {t: {axes: [essay_template, essay_llm], items: [[e1, mA], [e2, wrong]]}}\noutput: {field_order: []}").unwrap_err();
        assert!(
            err.to_string().contains(
                "value \"wrong\" of item [\"e2\", \"wrong\"] is not a level of \"essay_llm\""
            ),
            "{err}"
        );
    }

    // docs/reference.md §6.4: the reference's fixture shapes, written anew here, give its row counts.
    #[test]
    fn reference_fixture_shapes() {
        let baseline = plan_with(
            "axes:\n  draft_template: '@file:d.csv'\n  essay_template: [copy-v1]\n  evaluation_template: [e1, e2]\n  evaluation_llm: [m1, m2]\nrules:\n  pairs:\n    evaluation_bundle: {left: evaluation_template, right: evaluation_llm, allowed: '@file:p.csv'}\noutput: {field_order: [draft_template, essay_template]}",
            &[("d.csv", "draft_template\nd1\nd2\nd3\n"), ("p.csv", "evaluation_template,evaluation_llm\ne1,m1\ne1,m2\ne2,m1\ne2,m2\n")],
        )
        .unwrap();
        assert_eq!(baseline.row_count(), 12);
        let dual = plan_with(
            "axes:\n  draft_template: [creative, applied]\n  draft_llm: [g]\n  draft_template_replicate: ['1', '2']\n  evaluation_template: [v]\n  evaluation_llm: [s]\nrules:\n  tuples:\n    essay_bundle: {axes: [essay_template, essay_llm], items: '@file:b.csv'}\n  pairs:\n    draft_essay_pair:\n      left: draft_template\n      right: essay_bundle\n      allowed: [[creative, [essay-llm, s]], [applied, [essay-copy, s]]]\noutput: {field_order: [draft_template, draft_llm, draft_template_replicate, essay_template, essay_llm, evaluation_template, evaluation_llm]}",
            &[("b.csv", "essay_template,essay_llm\nessay-llm,s\nessay-copy,s\n")],
        )
        .unwrap();
        assert_eq!(dual.row_count(), 4);
        let rep = dual
            .columns
            .iter()
            .find(|c| c.name == "draft_template_replicate")
            .unwrap();
        assert_eq!(
            dual.column_values(rep),
            [Value::Str("1".into()), Value::Str("2".into())]
        );
        let curated = plan_with(
            "axes: {}\nrules:\n  tuples:\n    curated_bundle: {axes: [draft_template, essay_template, evaluation_template, evaluation_llm], items: '@file:c.csv'}\noutput: {field_order: []}",
            &[("c.csv", "draft_template,essay_template,evaluation_template,evaluation_llm\nd1,e1,verify-v1,m\nd2,e2,verify-v1,m\n")],
        )
        .unwrap();
        assert_eq!(curated.row_count(), 2);
        let eval = curated
            .columns
            .iter()
            .find(|c| c.name == "evaluation_template")
            .unwrap();
        assert_eq!(
            curated.column_values(eval),
            [Value::Str("verify-v1".into())]
        );
        let evals: Vec<String> = (1..=11).map(|i| format!("eval-{i}")).collect();
        let alignment = plan(&format!(
            "axes:\n  combo_id: [c1, c2, c3]\n  evaluation_template: [{}]\n  evaluation_llm: [g]\n  evaluation_replicate: ['1', '2']\n  draft_replicate: ['1', '2']\nrules:\n  tuples:\n    draft_essay_alignment: {{axes: [draft_template, essay_template], items: [[cs-v10, cs-v10], [cs-v7, copy-v1]]}}\n    generation_alignment: {{axes: [draft_llm, essay_llm], items: [[g, g], [d, d]]}}\noutput: {{field_order: [combo_id]}}",
            evals.join(", ")
        ))
        .unwrap();
        assert_eq!(alignment.row_count(), 528);
        assert_eq!(
            alignment.axes.last().unwrap().name,
            "generation_alignment",
            "tuples of derived axes sit last"
        );
    }

    #[test]
    fn no_axes_is_one_empty_row_and_an_empty_axis_is_zero_rows() {
        let p = plan("output: {field_order: []}").unwrap();
        assert_eq!(p.row_count(), 1);
        assert!(p.columns.is_empty());
        let p = plan("axes: {a: [x], b: []}\noutput: {field_order: []}").unwrap();
        assert_eq!(p.row_count(), 0);
    }

    #[test]
    fn colliding_rule_names_are_refused() {
        let err = plan("axes: {a: [x], b: [y], c: [z]}\nrules: {pairs: {c: {left: a, right: b, allowed: [[x, y]]}}}\noutput: {field_order: []}").unwrap_err();
        assert!(err.to_string().contains("already an axis"), "{err}");
    }

    #[test]
    fn level_counts_multiply_like_the_axes() {
        let mut counts = LevelCounts::default();
        for n in [3, 3, 2, 3] {
            counts.replace(None, Some(n));
        }
        assert_eq!(counts.product(), 54);
        counts.replace(Some(3), Some(1));
        assert_eq!(counts.product(), 18);
        counts.replace(Some(2), None);
        assert_eq!(counts.product(), 9);
        counts.replace(None, Some(0));
        assert_eq!(counts.product(), 0);
        let mut big = LevelCounts::default();
        for _ in 0..200 {
            big.replace(None, Some(1 << 20));
        }
        assert_eq!(big.product(), u128::MAX);
    }

    #[test]
    fn steps_name_what_each_rule_changed_and_the_rows_after_it() {
        let p = plan(
            "axes: {a: [x, y, z], b: [u, v], c: [p, q]}\nrules:\n  subsets: {a: [x, y]}\n  pairs: {ab: {left: a, right: b, allowed: [[x, u], [y, v]]}}\noutput: {field_order: []}",
        )
        .unwrap();
        assert_eq!(p.steps[0].changed, vec![("a".to_string(), 2)]);
        assert_eq!(p.steps[0].rows, 8);
        assert_eq!(p.steps[0].axis_count, 3);
        assert_eq!(p.steps[1].changed, vec![("ab".to_string(), 2)]);
        assert_eq!(p.steps[1].removed, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(p.steps[1].rows, 4);
        assert_eq!(p.steps[1].rows, p.row_count());
    }
}
