//! The `output` section: `field_order` and `seed` (docs/reference.md §2.2; D18, D23).

use std::collections::HashSet;

use super::super::AxisDecl;
use super::super::node::Node;
use super::{Loader, axis_name, child, index};
use crate::error::{Result, SpecErrorKind};
use crate::seed::{Seed, SeedError};

impl Loader<'_> {
    /// `output`: its field order (checked against `axes`) and its seed, if any. `seed_text` is
    /// the seed's text as written, when the parser read it as a float.
    pub(super) fn load_output(
        &self,
        node: Option<&Node>,
        axes: &[AxisDecl],
        seed_text: Option<String>,
    ) -> Result<(Vec<String>, Option<Seed>)> {
        let empty = Node::Map(Vec::new());
        let node = node.unwrap_or(&empty);
        let Node::Map(entries) = node else {
            return self.err(
                "output",
                SpecErrorKind::OutputNotAMapping {
                    found: node.display(),
                },
            );
        };
        self.check_output_keys(entries)?;
        let field_order = self.field_order(node.get("field_order"), axes)?;
        let seed = self.output_seed(node.get("seed"), seed_text)?;
        Ok((field_order, seed))
    }

    /// `output` takes `field_order` and `seed`; the removed expansion switches are named (D18).
    fn check_output_keys(&self, entries: &[(Node, Node)]) -> Result<()> {
        for (key, _) in entries {
            match key.as_str() {
                Some("field_order" | "seed") => {}
                Some(
                    k @ ("expand_ties" | "expand_pairs" | "keep_pair_axis" | "expand_tuples"
                    | "keep_tuple_axis"),
                ) => {
                    return self.err(
                        &child("output", k),
                        SpecErrorKind::OutputKeyRemoved { key: k.to_string() },
                    );
                }
                _ => {
                    return self.err(
                        &child("output", &key.key_text()),
                        SpecErrorKind::UnknownOutputKey { key: key.display() },
                    );
                }
            }
        }
        Ok(())
    }

    /// `output.field_order`: required, a list of names of known axes.
    fn field_order(&self, node: Option<&Node>, axes: &[AxisDecl]) -> Result<Vec<String>> {
        let field_order = match node {
            Some(Node::Seq(items)) => items
                .iter()
                .enumerate()
                .map(|(i, n)| match axis_name(n) {
                    Some(name) => Ok(name),
                    None => self.err(
                        &index("output.field_order", i),
                        SpecErrorKind::BadFieldOrderEntry { found: n.display() },
                    ),
                })
                .collect::<Result<Vec<_>>>()?,
            other => {
                return self.err(
                    "output.field_order",
                    SpecErrorKind::FieldOrderMissing {
                        found: other.map_or("nothing".to_string(), Node::display),
                    },
                );
            }
        };
        let known: HashSet<&str> = axes.iter().map(|a| a.name.as_str()).collect();
        let missing: Vec<&String> = field_order
            .iter()
            .filter(|f| !known.contains(f.as_str()))
            .collect();
        if !missing.is_empty() {
            return self.err(
                "output.field_order",
                SpecErrorKind::UndefinedFields {
                    fields: missing.into_iter().cloned().collect(),
                },
            );
        }
        Ok(field_order)
    }

    /// `output.seed` (D23): any integer; also a quoted one, the only exact way to write a seed
    /// beyond 64 bits in JSON (whose parser reads such a number as a float).
    fn output_seed(&self, node: Option<&Node>, seed_text: Option<String>) -> Result<Option<Seed>> {
        let (text, shown) = match (node, seed_text) {
            (None | Some(Node::Null), _) => return Ok(None),
            (Some(Node::Int(i)), _) => return Ok(Some(Seed::from(*i))),
            (Some(node @ (Node::BigInt(s) | Node::Str(s))), _) => (s.clone(), node.display()),
            (Some(Node::Float(_)), Some(raw)) => (raw.clone(), raw),
            (Some(other @ Node::Float(_)), None) => {
                return self.err(
                    "output.seed",
                    SpecErrorKind::FloatSeed {
                        found: other.display(),
                    },
                );
            }
            (Some(other), _) => {
                return self.err(
                    "output.seed",
                    SpecErrorKind::SeedNotAnInteger {
                        found: other.display(),
                    },
                );
            }
        };
        match text.parse::<Seed>() {
            Ok(seed) => Ok(Some(seed)),
            Err(SeedError::NotAnInteger { .. }) => self.err(
                "output.seed",
                SpecErrorKind::SeedNotAnInteger { found: shown },
            ),
            Err(source) => self.err("output.seed", SpecErrorKind::BadSeed { source }),
        }
    }
}
