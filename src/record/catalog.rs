//! The catalog rows a cohort references (D12) — templates, LLMs, combo rows, concepts and
//! replication rows as of its last import batch — gathered as typed data ([`referenced_rows`])
//! and encoded as the `cohortdb-v1/catalog` digest ([`ReferencedRows::digest`],
//! docs/hashing.md). `diff` compares the rows of two cohorts ([`ReferencedRows::rows`], by name).

use std::fmt;

use rusqlite::{Connection, OptionalExtension, params};

use super::canonical::{ContentHash, Encoder};
use crate::error::{DbContext, Result};
use crate::ids::{Role, Stage};
use crate::store::queries;

/// A catalog table whose rows a cohort references, named as the catalog digest names its
/// section (docs/hashing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogTable {
    /// `catalog_templates`: the templates the members use, by stage.
    Templates,
    /// `catalog_llm_models`: the LLMs the members use.
    LlmModels,
    /// `catalog_combo_mappings`: the concept rows of the combos the members use.
    ComboMappings,
    /// `catalog_concepts`: the concepts those combo rows name (those that exist).
    Concepts,
    /// `catalog_replication`: every replication row.
    Replication,
}

impl CatalogTable {
    /// All tables, in the order the catalog digest encodes them.
    pub const ALL: [CatalogTable; 5] = [
        CatalogTable::Templates,
        CatalogTable::LlmModels,
        CatalogTable::ComboMappings,
        CatalogTable::Concepts,
        CatalogTable::Replication,
    ];

    /// The name, which is also the section's tag in the catalog digest.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogTable::Templates => "templates",
            CatalogTable::LlmModels => "llm_models",
            CatalogTable::ComboMappings => "combo_mappings",
            CatalogTable::Concepts => "concepts",
            CatalogTable::Replication => "replication",
        }
    }
}

impl fmt::Display for CatalogTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A referenced `catalog_templates` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    /// The stage (key).
    pub stage: Stage,
    /// The template id (key).
    pub template_id: String,
    /// `template_name`.
    pub template_name: String,
    /// `description`.
    pub description: String,
    /// `parser`.
    pub parser: String,
    /// `generator`.
    pub generator: String,
    /// The other non-empty cells, as a JSON object.
    pub extra: Option<String>,
    /// The template body.
    pub body: Option<String>,
}

/// A referenced `catalog_llm_models` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmRow {
    /// The LLM id (key).
    pub id: String,
    /// `model`.
    pub model: String,
    /// `provider`.
    pub provider: String,
    /// `display_name`.
    pub display_name: String,
    /// `specialization`.
    pub specialization: String,
    /// The other non-empty cells, as a JSON object.
    pub extra: Option<String>,
}

/// A referenced `catalog_combo_mappings` row: one concept of a combo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComboRow {
    /// The combo id (key).
    pub combo_id: String,
    /// The concept id (key).
    pub concept_id: String,
    /// `version`.
    pub version: String,
    /// `description_level`.
    pub description_level: String,
    /// `k_max`.
    pub k_max: String,
    /// `created_at`.
    pub created_at: String,
    /// The other non-empty cells, as a JSON object.
    pub extra: Option<String>,
}

/// A referenced `catalog_concepts` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptRow {
    /// The concept id (key).
    pub concept_id: String,
    /// `name`.
    pub name: String,
    /// The other non-empty cells, as a JSON object.
    pub extra: Option<String>,
    /// The sentence-level description.
    pub description_sentence: Option<String>,
    /// The paragraph-level description.
    pub description_paragraph: Option<String>,
    /// The article-level description.
    pub description_article: Option<String>,
}

/// A `catalog_replication` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationRow {
    /// The stage (key).
    pub stage: String,
    /// `replicates`.
    pub replicates: String,
    /// The other non-empty cells, as a JSON object.
    pub extra: Option<String>,
}

/// One referenced row seen generically: its table, its key columns and its other columns, by
/// name, in table order (for comparing and showing rows; the digest encodes the typed rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow<'a> {
    /// The table.
    pub table: CatalogTable,
    /// The key columns and their values.
    pub key: Vec<(&'static str, &'a str)>,
    /// The other columns and their values (`None`: SQL null).
    pub fields: Vec<(&'static str, Option<&'a str>)>,
}

/// The catalog rows a cohort references (D12), as of its last import batch, each table in the
/// order the catalog digest encodes it (docs/hashing.md): templates by stage then id, LLMs by id, combo rows by
/// combo then concept, concepts by id, replication rows in import order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferencedRows {
    /// The templates the members use.
    pub templates: Vec<TemplateRow>,
    /// The LLMs the members use (an id the store lacks is left out).
    pub llm_models: Vec<LlmRow>,
    /// The concept rows of the combos the members use.
    pub combo_mappings: Vec<ComboRow>,
    /// The concepts those combo rows name that exist.
    pub concepts: Vec<ConceptRow>,
    /// Every replication row.
    pub replication: Vec<ReplicationRow>,
}

impl ReferencedRows {
    /// The catalog digest (`cohortdb-v1/catalog`, docs/hashing.md): each table's tag, its row
    /// count, then each row's key and columns in table order.
    pub fn digest(&self) -> ContentHash {
        let mut e = Encoder::new("cohortdb-v1/catalog");
        e.str(CatalogTable::Templates.as_str());
        e.u64(self.templates.len() as u64);
        for t in &self.templates {
            e.str(t.stage.as_str());
            e.str(&t.template_id);
            for column in [&t.template_name, &t.description, &t.parser, &t.generator] {
                e.str(column);
            }
            e.opt_str(t.extra.as_deref());
            e.opt_str(t.body.as_deref());
        }
        e.str(CatalogTable::LlmModels.as_str());
        e.u64(self.llm_models.len() as u64);
        for l in &self.llm_models {
            e.str(&l.id);
            for column in [&l.model, &l.provider, &l.display_name, &l.specialization] {
                e.str(column);
            }
            e.opt_str(l.extra.as_deref());
        }
        e.str(CatalogTable::ComboMappings.as_str());
        e.u64(self.combo_mappings.len() as u64);
        for c in &self.combo_mappings {
            e.str(&c.combo_id);
            for column in [
                &c.concept_id,
                &c.version,
                &c.description_level,
                &c.k_max,
                &c.created_at,
            ] {
                e.str(column);
            }
            e.opt_str(c.extra.as_deref());
        }
        e.str(CatalogTable::Concepts.as_str());
        e.u64(self.concepts.len() as u64);
        for c in &self.concepts {
            e.str(&c.concept_id);
            e.str(&c.name);
            e.opt_str(c.extra.as_deref());
            for d in [
                &c.description_sentence,
                &c.description_paragraph,
                &c.description_article,
            ] {
                e.opt_str(d.as_deref());
            }
        }
        e.str(CatalogTable::Replication.as_str());
        e.u64(self.replication.len() as u64);
        for r in &self.replication {
            e.str(&r.stage);
            e.str(&r.replicates);
            e.opt_str(r.extra.as_deref());
        }
        e.finish()
    }

    /// How many rows of `table`.
    pub fn count(&self, table: CatalogTable) -> usize {
        match table {
            CatalogTable::Templates => self.templates.len(),
            CatalogTable::LlmModels => self.llm_models.len(),
            CatalogTable::ComboMappings => self.combo_mappings.len(),
            CatalogTable::Concepts => self.concepts.len(),
            CatalogTable::Replication => self.replication.len(),
        }
    }

    /// Every row, generically, table by table in digest order.
    pub fn rows(&self) -> impl Iterator<Item = CatalogRow<'_>> {
        let templates = self.templates.iter().map(|t| CatalogRow {
            table: CatalogTable::Templates,
            key: vec![
                ("stage", t.stage.as_str()),
                ("template_id", t.template_id.as_str()),
            ],
            fields: vec![
                ("template_name", Some(t.template_name.as_str())),
                ("description", Some(t.description.as_str())),
                ("parser", Some(t.parser.as_str())),
                ("generator", Some(t.generator.as_str())),
                ("extra", t.extra.as_deref()),
                ("body", t.body.as_deref()),
            ],
        });
        let llms = self.llm_models.iter().map(|l| CatalogRow {
            table: CatalogTable::LlmModels,
            key: vec![("id", l.id.as_str())],
            fields: vec![
                ("model", Some(l.model.as_str())),
                ("provider", Some(l.provider.as_str())),
                ("display_name", Some(l.display_name.as_str())),
                ("specialization", Some(l.specialization.as_str())),
                ("extra", l.extra.as_deref()),
            ],
        });
        let combos = self.combo_mappings.iter().map(|c| CatalogRow {
            table: CatalogTable::ComboMappings,
            key: vec![
                ("combo_id", c.combo_id.as_str()),
                ("concept_id", c.concept_id.as_str()),
            ],
            fields: vec![
                ("version", Some(c.version.as_str())),
                ("description_level", Some(c.description_level.as_str())),
                ("k_max", Some(c.k_max.as_str())),
                ("created_at", Some(c.created_at.as_str())),
                ("extra", c.extra.as_deref()),
            ],
        });
        let concepts = self.concepts.iter().map(|c| CatalogRow {
            table: CatalogTable::Concepts,
            key: vec![("concept_id", c.concept_id.as_str())],
            fields: vec![
                ("name", Some(c.name.as_str())),
                ("extra", c.extra.as_deref()),
                ("description_sentence", c.description_sentence.as_deref()),
                ("description_paragraph", c.description_paragraph.as_deref()),
                ("description_article", c.description_article.as_deref()),
            ],
        });
        let replication = self.replication.iter().map(|r| CatalogRow {
            table: CatalogTable::Replication,
            key: vec![("stage", r.stage.as_str())],
            fields: vec![
                ("replicates", Some(r.replicates.as_str())),
                ("extra", r.extra.as_deref()),
            ],
        });
        templates
            .chain(llms)
            .chain(combos)
            .chain(concepts)
            .chain(replication)
    }
}

/// The referenced catalog rows (D12) as of `last_batch`: the templates of `texts(template
/// role)` by stage (each has a row: see `template_rows`), the LLMs of every LLM role (sorted, distinct; ids without a row left out),
/// the concept rows of the combos of `texts(Role::Combo)`, the concepts those rows name that
/// exist, and every replication row. `texts` gives a role's distinct values, sorted.
pub fn referenced_rows(
    conn: &Connection,
    texts: &dyn Fn(Role) -> Vec<String>,
    last_batch: i64,
) -> Result<ReferencedRows> {
    let templates = template_rows(conn, texts, last_batch)?;
    let llm_models = llm_rows(conn, texts, last_batch)?;
    let combo_mappings = combo_rows(conn, texts, last_batch)?;
    let mut concept_ids: Vec<&str> = combo_mappings
        .iter()
        .map(|c| c.concept_id.as_str())
        .collect();
    concept_ids.sort_unstable();
    concept_ids.dedup();
    let concepts = concept_rows(conn, &concept_ids, last_batch)?;
    let replication = replication_rows(conn, last_batch)?;
    Ok(ReferencedRows {
        templates,
        llm_models,
        combo_mappings,
        concepts,
        replication,
    })
}

/// The referenced catalog rows' digest (D12): [`referenced_rows`] encoded by
/// [`ReferencedRows::digest`].
pub fn catalog_hash(
    conn: &Connection,
    texts: &dyn Fn(Role) -> Vec<String>,
    last_batch: i64,
) -> Result<ContentHash> {
    Ok(referenced_rows(conn, texts, last_batch)?.digest())
}

/// An optional text column.
fn opt(r: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<Option<String>> {
    r.get(name)
}

/// The template rows of the templates the plan uses, by stage. A build refuses a template
/// without a row (D16) before hashing, and catalogs are append-only, so each one has a row; in a
/// store whose rows were deleted outside cohortdb, one without a row is left out (as an LLM or a
/// concept without one is), so `diff` can still read such a store and say its rows no longer
/// hash to the record.
fn template_rows(
    conn: &Connection,
    texts: &dyn Fn(Role) -> Vec<String>,
    last_batch: i64,
) -> Result<Vec<TemplateRow>> {
    let mut template = conn
        .prepare(queries::CATALOG_TEMPLATE_ROW)
        .db("catalog_template_row")?;
    let mut rows = Vec::new();
    for stage in Stage::ALL {
        for id in texts(Role::template(stage)) {
            let row = template
                .query_row(params![stage.as_str(), id, last_batch], |r| {
                    Ok(TemplateRow {
                        stage,
                        template_id: String::new(),
                        template_name: r.get("template_name")?,
                        description: r.get("description")?,
                        parser: r.get("parser")?,
                        generator: r.get("generator")?,
                        extra: opt(r, "extra")?,
                        body: opt(r, "body")?,
                    })
                })
                .optional()
                .db("catalog_template_row")?;
            if let Some(row) = row {
                rows.push(TemplateRow {
                    template_id: id,
                    ..row
                });
            }
        }
    }
    Ok(rows)
}

/// The LLM rows of every LLM the plan uses, by id.
fn llm_rows(
    conn: &Connection,
    texts: &dyn Fn(Role) -> Vec<String>,
    last_batch: i64,
) -> Result<Vec<LlmRow>> {
    let mut llm_ids: Vec<String> = Stage::ALL
        .into_iter()
        .flat_map(|stage| texts(Role::llm(stage)))
        .collect();
    llm_ids.sort();
    llm_ids.dedup();
    let mut llm = conn
        .prepare(queries::CATALOG_LLM_ROW)
        .db("catalog_llm_row")?;
    let mut rows = Vec::new();
    for id in llm_ids {
        let row = llm
            .query_row(params![id, last_batch], |r| {
                Ok(LlmRow {
                    id: String::new(),
                    model: r.get("model")?,
                    provider: r.get("provider")?,
                    display_name: r.get("display_name")?,
                    specialization: r.get("specialization")?,
                    extra: opt(r, "extra")?,
                })
            })
            .optional()
            .db("catalog_llm_row")?;
        if let Some(row) = row {
            rows.push(LlmRow { id, ..row });
        }
    }
    Ok(rows)
}

/// The concept rows of the combos the plan uses, by combo then concept.
fn combo_rows(
    conn: &Connection,
    texts: &dyn Fn(Role) -> Vec<String>,
    last_batch: i64,
) -> Result<Vec<ComboRow>> {
    let mut combo = conn
        .prepare(queries::CATALOG_COMBO_ROWS)
        .db("catalog_combo_rows")?;
    let mut rows = Vec::new();
    for id in texts(Role::Combo) {
        let found = combo
            .query_map(params![id, last_batch], |r| {
                Ok(ComboRow {
                    combo_id: id.clone(),
                    concept_id: r.get("concept_id")?,
                    version: r.get("version")?,
                    description_level: r.get("description_level")?,
                    k_max: r.get("k_max")?,
                    created_at: r.get("created_at")?,
                    extra: opt(r, "extra")?,
                })
            })
            .db("catalog_combo_rows")?;
        for row in found {
            rows.push(row.db("catalog_combo_rows")?);
        }
    }
    Ok(rows)
}

/// The concept rows that exist of `concept_ids` (sorted, distinct).
fn concept_rows(
    conn: &Connection,
    concept_ids: &[&str],
    last_batch: i64,
) -> Result<Vec<ConceptRow>> {
    let mut concept = conn
        .prepare(queries::CATALOG_CONCEPT_ROW)
        .db("catalog_concept_row")?;
    let mut rows = Vec::new();
    for &id in concept_ids {
        let row = concept
            .query_row(params![id, last_batch], |r| {
                Ok(ConceptRow {
                    concept_id: id.to_string(),
                    name: r.get("name")?,
                    extra: opt(r, "extra")?,
                    description_sentence: opt(r, "description_sentence")?,
                    description_paragraph: opt(r, "description_paragraph")?,
                    description_article: opt(r, "description_article")?,
                })
            })
            .optional()
            .db("catalog_concept_row")?;
        rows.extend(row);
    }
    Ok(rows)
}

/// The replication rows, in import order.
fn replication_rows(conn: &Connection, last_batch: i64) -> Result<Vec<ReplicationRow>> {
    let mut stmt = conn
        .prepare(queries::CATALOG_REPLICATION_ROWS)
        .db("catalog_replication_rows")?;
    let rows = stmt
        .query_map([last_batch], |r| {
            Ok(ReplicationRow {
                stage: r.get("stage")?,
                replicates: r.get("replicates")?,
                extra: opt(r, "extra")?,
            })
        })
        .db("catalog_replication_rows")?
        .collect::<rusqlite::Result<_>>()
        .db("catalog_replication_rows")?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_rows() -> ReferencedRows {
        ReferencedRows {
            templates: vec![TemplateRow {
                stage: Stage::Essay,
                template_id: "t".into(),
                template_name: "T".into(),
                description: "d".into(),
                parser: String::new(),
                generator: "llm".into(),
                extra: None,
                body: Some("body".into()),
            }],
            llm_models: vec![LlmRow {
                id: "m".into(),
                model: "v/m".into(),
                provider: "v".into(),
                display_name: "M".into(),
                specialization: "g".into(),
                extra: Some(r#"{"k":"x"}"#.into()),
            }],
            combo_mappings: vec![ComboRow {
                combo_id: "c".into(),
                concept_id: "k".into(),
                version: "v1".into(),
                description_level: "paragraph".into(),
                k_max: "2".into(),
                created_at: String::new(),
                extra: None,
            }],
            concepts: vec![ConceptRow {
                concept_id: "k".into(),
                name: "K".into(),
                extra: None,
                description_sentence: None,
                description_paragraph: Some("p".into()),
                description_article: None,
            }],
            replication: vec![ReplicationRow {
                stage: "draft".into(),
                replicates: "1".into(),
                extra: None,
            }],
        }
    }

    #[test]
    fn the_catalog_digest_encodes_the_rows_as_documented() {
        // The byte layout of docs/hashing.md "Catalog rows", written out by hand.
        let mut b = Vec::new();
        let s = |b: &mut Vec<u8>, t: &str| {
            b.extend((t.len() as u64).to_le_bytes());
            b.extend(t.as_bytes());
        };
        let some = |b: &mut Vec<u8>, t: &str| {
            b.push(1);
            s(b, t);
        };
        s(&mut b, "cohortdb-v1/catalog");
        s(&mut b, "templates");
        b.extend(1u64.to_le_bytes());
        for t in ["essay", "t", "T", "d", "", "llm"] {
            s(&mut b, t);
        }
        b.push(0);
        some(&mut b, "body");
        s(&mut b, "llm_models");
        b.extend(1u64.to_le_bytes());
        for t in ["m", "v/m", "v", "M", "g"] {
            s(&mut b, t);
        }
        some(&mut b, r#"{"k":"x"}"#);
        s(&mut b, "combo_mappings");
        b.extend(1u64.to_le_bytes());
        for t in ["c", "k", "v1", "paragraph", "2", ""] {
            s(&mut b, t);
        }
        b.push(0);
        s(&mut b, "concepts");
        b.extend(1u64.to_le_bytes());
        s(&mut b, "k");
        s(&mut b, "K");
        b.push(0);
        b.push(0);
        some(&mut b, "p");
        b.push(0);
        s(&mut b, "replication");
        b.extend(1u64.to_le_bytes());
        s(&mut b, "draft");
        s(&mut b, "1");
        b.push(0);
        assert_eq!(sample_rows().digest().0, *blake3::hash(&b).as_bytes());
    }

    #[test]
    fn generic_rows_name_every_column_of_the_typed_rows() {
        let rows = sample_rows();
        let generic: Vec<CatalogRow<'_>> = rows.rows().collect();
        let tables: Vec<CatalogTable> = generic.iter().map(|r| r.table).collect();
        assert_eq!(tables, CatalogTable::ALL);
        for table in CatalogTable::ALL {
            assert_eq!(rows.count(table), 1);
        }
        assert_eq!(generic[0].key, [("stage", "essay"), ("template_id", "t")]);
        assert_eq!(
            generic[0].fields,
            [
                ("template_name", Some("T")),
                ("description", Some("d")),
                ("parser", Some("")),
                ("generator", Some("llm")),
                ("extra", None),
                ("body", Some("body")),
            ]
        );
        assert_eq!(generic[3].key, [("concept_id", "k")]);
        assert_eq!(generic[3].fields[3], ("description_paragraph", Some("p")));
        assert_eq!(
            generic[4].fields,
            [("replicates", Some("1")), ("extra", None)]
        );
    }
}
