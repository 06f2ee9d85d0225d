//! Specs: what the user wrote, loaded and checked ([`load`]), and what it means once its rules
//! are applied ([`resolve()`] → [`Plan`]).
//!
//! Parse then resolve: [`Spec`] is the validated shape of the YAML/JSON (axes, rules in
//! application order, output); [`Plan`] is the final axis order with its levels and the output
//! columns, which is all the compiler ever sees. Every value keeps where it came from (file and
//! YAML path, or file and line for includes) so later errors can point at it.

pub mod include;
pub mod load;
pub mod node;
pub mod resolve;
pub mod source;
pub mod value;

use std::collections::BTreeMap;

use crate::error::Location;
use crate::seed::Seed;

pub use load::{load_bundle, load_path};
pub use resolve::{Column, Plan, PlanAxis, Step, resolve};
pub use value::Value;

/// A level value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub at: Location,
}

/// An axis as declared: explicitly under `axes:`, or derived from tuple rules (docs/reference.md §2.6).
#[derive(Debug, Clone, PartialEq)]
pub struct AxisDecl {
    /// The axis name.
    pub name: String,
    /// Its levels as written (duplicates included; the compiler de-duplicates).
    pub levels: Vec<Level>,
    /// For a derived axis, the tuple rule that first binds it.
    pub derived_from: Option<String>,
    /// Where it is declared.
    pub at: Location,
}

/// A `pairs` entry `[left, right]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PairEntry {
    /// The left value (a tuple when the left axis is a tuple or pair axis).
    pub left: Value,
    /// The right value.
    pub right: Value,
    /// Where the entry was written.
    pub at: Location,
}

/// A `tuples` item.
#[derive(Debug, Clone, PartialEq)]
pub struct TupleItem {
    /// One value per tuple axis.
    pub values: Vec<Value>,
    /// Where the item was written.
    pub at: Location,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Keep only some levels of an axis.
    Subset {
        /// The axis.
        axis: String,
        /// The levels to keep (their order is ignored, docs/reference.md §2.7.1).
        keep: Vec<Level>,
    },
    /// Tie axes to one canonical axis holding their common levels.
    Tie {
        /// The canonical name (the mapping key).
        to: String,
        /// The tied axes, in order.
        axes: Vec<String>,
    },
    /// Replace two axes by the allowed combinations of their levels.
    Pair {
        /// The pair's name (the mapping key).
        name: String,
        /// The left axis.
        left: String,
        /// The right axis.
        right: String,
        /// The allowed `[left, right]` entries.
        allowed: Vec<PairEntry>,
        /// `left`, `right`, `both`, or empty/absent for no check.
        balance: Option<String>,
    },
    /// Replace several axes by explicit items.
    Tuple {
        /// The tuple's name (the mapping key).
        name: String,
        /// The bound axes.
        axes: Vec<String>,
        /// The items.
        items: Vec<TupleItem>,
    },
}

/// One rule, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What it does.
    pub kind: RuleKind,
    /// `rules.<section>.<name>` in the config file.
    pub at: Location,
}

impl Rule {
    /// `tie shared_template`, `pair evaluation_bundle`, … for messages.
    pub fn label(&self) -> String {
        match &self.kind {
            RuleKind::Subset { axis, .. } => format!("subset of {axis}"),
            RuleKind::Tie { to, .. } => format!("tie {to}"),
            RuleKind::Pair { name, .. } => format!("pair {name}"),
            RuleKind::Tuple { name, .. } => format!("tuple {name}"),
        }
    }
}

/// The files a spec read: the config and every include, by path relative to the spec folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// The config file's path inside the bundle (`config.yaml`).
    pub config: String,
    /// Every file read, path → exact bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A loaded, validated spec: the shape the user wrote, with includes resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Explicit axes in document order, then derived axes in order of first mention.
    pub axes: Vec<AxisDecl>,
    /// Rules in application order: section order in the file, then entry order (D3).
    pub rules: Vec<Rule>,
    /// `output.field_order`.
    pub field_order: Vec<String>,
    /// `output.seed` (D8).
    pub output_seed: Option<Seed>,
    /// Every file the spec read.
    pub bundle: Bundle,
    /// The config file as named to the user.
    pub config_display: String,
}

impl Spec {
    /// The effective shuffle seed: `--seed` when given, else `output.seed` (D8). The one place
    /// this rule lives; `build`, `compile` and `sql` use it.
    pub fn effective_seed(&self, cli_seed: Option<Seed>) -> Option<Seed> {
        cli_seed.or_else(|| self.output_seed.clone())
    }
}
