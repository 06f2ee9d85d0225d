//! The tables a copy between two stores carries — catalog batches and their rows, cohort records
//! and theirs, results imports and theirs — described once: their columns in order and the kind of value each holds. Every
//! statement that moves rows (`sql/team_<table>_{select,insert}.sql` for SQLite,
//! `sql/postgres/<table>_{select,copy}.sql` for PostgreSQL) lists the columns in this order;
//! unit tests prepare each one and compare.
//!
//! Rows travel as `rusqlite::types::Value`s. What a source holds is untrusted: a value of the
//! wrong kind (SQLite is dynamically typed) is refused naming the table and column, never cast.

use rusqlite::types::Value;

use crate::error::{Error, Result, TeamError, TeamErrorKind};
use crate::seed::Seed;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A 64-bit integer.
    Int,
    /// An integer or null.
    OptInt,
    /// UTF-8 text.
    Text,
    /// Text or null.
    OptText,
    /// Bytes.
    Bytes,
    /// Bytes or null.
    OptBytes,
    /// A 64-bit float or null.
    OptReal,
    /// A shuffle seed (any integer, D23) or null: decimal text in transit, INTEGER or BLOB on
    /// SQLite, numeric on PostgreSQL.
    Seed,
}

/// How a table's rows are grouped for a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// By `batch_id`.
    Batch,
    /// By `cohort_no`.
    Cohort,
    /// By results `import_id` (a `results_files` row by the import of its version): the
    /// results ledger, which a mirror syncs and `import gens` publishes, but `push`/`pull` do
    /// not carry (its rows describe one gens root's files, not a cohort).
    Results,
}

macro_rules! tables {
    ($($variant:ident => $name:literal, $group:ident, [$(($col:literal, $kind:ident)),* $(,)?];)*) => {
        /// A table a copy carries.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Table { $($variant,)* }

        impl Table {
            /// Every table: a batch's rows before the batch row (as the importer writes
            /// them), a record's rows before the record row (it completes the record, V3).
            pub(crate) const ALL: &'static [Table] = &[$(Table::$variant,)*];

            /// The table's name.
            pub(crate) fn name(self) -> &'static str {
                match self { $(Table::$variant => $name,)* }
            }

            /// The columns, in the order every copy statement lists them.
            pub(crate) fn columns(self) -> &'static [(&'static str, Kind)] {
                match self { $(Table::$variant => &[$(($col, Kind::$kind)),*],)* }
            }

            /// How the rows are grouped.
            pub(crate) fn group(self) -> Group {
                match self { $(Table::$variant => Group::$group,)* }
            }

            /// `sql/team_<table>_select.sql`: one batch's or record's rows from an SQLite store.
            pub(crate) fn sqlite_select(self) -> &'static str {
                match self { $(Table::$variant => include_str!(concat!("../../sql/team_", $name, "_select.sql")),)* }
            }

            /// `sql/team_<table>_insert.sql`: one row into an SQLite store.
            pub(crate) fn sqlite_insert(self) -> &'static str {
                match self { $(Table::$variant => include_str!(concat!("../../sql/team_", $name, "_insert.sql")),)* }
            }

            /// `sql/postgres/<table>_select.sql`: the rows of several batches or records.
            pub(crate) fn pg_select(self) -> &'static str {
                match self { $(Table::$variant => include_str!(concat!("../../sql/postgres/", $name, "_select.sql")),)* }
            }
        }
    };
}

tables! {
    CatalogConcepts => "catalog_concepts", Batch, [
        ("concept_id", Text), ("name", Text), ("extra", OptText), ("description_sentence", OptText),
        ("description_paragraph", OptText), ("description_article", OptText), ("batch_id", Int),
        ("line", Int),
    ];
    CatalogTemplates => "catalog_templates", Batch, [
        ("stage", Text), ("template_id", Text), ("template_name", Text), ("description", Text),
        ("parser", Text), ("generator", Text), ("extra", OptText), ("body", OptText),
        ("batch_id", Int), ("line", Int),
    ];
    CatalogLlmModels => "catalog_llm_models", Batch, [
        ("id", Text), ("model", Text), ("provider", Text), ("display_name", Text),
        ("specialization", Text), ("extra", OptText), ("batch_id", Int), ("line", Int),
    ];
    CatalogComboMappings => "catalog_combo_mappings", Batch, [
        ("combo_id", Text), ("concept_id", Text), ("version", Text), ("description_level", Text),
        ("k_max", Text), ("created_at", Text), ("extra", OptText), ("batch_id", Int), ("line", Int),
    ];
    CatalogReplication => "catalog_replication", Batch, [
        ("stage", Text), ("replicates", Text), ("extra", OptText), ("batch_id", Int), ("line", Int),
    ];
    ImportBatches => "import_batches", Batch, [
        ("batch_id", Int), ("catalog", Text), ("source_path", Text), ("source_blake3", Text),
        ("header", Text), ("imported_at", Text), ("rows_added", Int),
    ];
    CohortSpecFiles => "cohort_spec_files", Cohort, [
        ("cohort_no", Int), ("path", Text), ("content", Bytes), ("blake3", Text),
    ];
    CohortTemplateModes => "cohort_template_modes", Cohort, [
        ("cohort_no", Int), ("stage", Text), ("template_id", Text), ("mode", Text),
    ];
    CohortValues => "cohort_values", Cohort, [
        ("cohort_no", Int), ("role", Int), ("vid", Int), ("text", Text),
    ];
    CohortMembers => "cohort_members", Cohort, [
        ("cohort_no", Int), ("ordinal", Int), ("stage", Int), ("gen_id", Text), ("parent", OptInt),
        ("combo", Int), ("template", Int), ("llm", Int), ("replicate", Int),
    ];
    GenIds => "gen_ids", Cohort, [
        ("gen_id", Text), ("signature_digest", Bytes), ("collision_index", Int),
        ("cohort_no", Int), ("ordinal", Int),
    ];
    CohortReuse => "cohort_reuse", Cohort, [
        ("cohort_no", Int), ("earlier_no", Int), ("shared", Int),
    ];
    CohortRecords => "cohort_records", Cohort, [
        ("cohort_no", Int), ("cohort_id", Text), ("hash_scheme", Text), ("content_hash", Text),
        ("spec_hash", Text), ("members_hash", Text), ("manifest_hash", Text),
        ("catalog_hash", Text), ("seed", Seed), ("last_batch_id", Int), ("spec_config", Text),
        ("manifest", Text), ("drafts", Int), ("essays", Int), ("evaluations", Int),
        ("created_at", Text),
    ];
    ResultsGenerations => "results_generations", Results, [
        ("stage", Text), ("gen_id", Text), ("version", Int), ("import_id", Int), ("folder", Text),
        ("has_prompt", Int), ("has_raw", Int), ("has_parsed", Int), ("refusal", OptText),
        ("raw_meta_refusal", OptText), ("meta_nonempty", Int), ("parent_gen_id", OptText),
        ("combo_id", OptText), ("draft_template", OptText), ("template", OptText),
        ("llm_model_id", OptText), ("origin_cohort_id", OptText),
        ("eval_template_kind", OptText), ("eval_template", OptText),
        ("eval_template_f", OptText), ("eval_llm_kind", OptText), ("eval_llm", OptText),
        ("eval_llm_f", OptText), ("input_mode_kind", OptText), ("input_mode", OptText),
        ("input_mode_f", OptText), ("copied_from_kind", OptText), ("copied_from", OptText),
        ("copied_from_f", OptText), ("score", OptReal), ("score_text", OptText),
        ("score_error", OptText),
    ];
    ResultsFiles => "results_files", Results, [
        ("stage", Text), ("gen_id", Text), ("version", Int), ("name", Text), ("kind", Text),
        ("size", OptInt), ("blake3", OptBytes),
    ];
    ResultsSuperseded => "results_superseded", Results, [
        ("stage", Text), ("gen_id", Text), ("version", Int), ("import_id", Int),
    ];
    ResultsObservations => "results_observations", Results, [
        ("stage", Text), ("gen_id", Text), ("name", Text), ("import_id", Int), ("size", Int),
        ("mtime_ns", Int), ("ctime_ns", Int), ("inode", Int), ("device", Int), ("clean", Int),
    ];
    ResultsImports => "results_imports", Results, [
        ("import_id", Int), ("gens_root", Text), ("imported_at", Text), ("generations", Int),
        ("files_read", Int), ("versions", Int),
    ];
}

impl Table {
    /// The catalog tables and the batch table, in the order a batch is written.
    pub(crate) fn batch_tables() -> impl Iterator<Item = Table> {
        Table::ALL
            .iter()
            .copied()
            .filter(|t| t.group() == Group::Batch)
    }

    /// A record's tables, the record row last.
    pub(crate) fn record_tables() -> impl Iterator<Item = Table> {
        Table::ALL
            .iter()
            .copied()
            .filter(|t| t.group() == Group::Cohort)
    }

    /// A results import's tables, the import row last (it is written after its rows).
    pub(crate) fn results_tables() -> impl Iterator<Item = Table> {
        Table::ALL
            .iter()
            .copied()
            .filter(|t| t.group() == Group::Results)
    }

    /// The position of column `name` (a constant of this module's tables).
    pub(crate) fn position(self, name: &str) -> usize {
        self.columns()
            .iter()
            .position(|(c, _)| *c == name)
            .unwrap_or_else(|| panic!("{} has a column {name}", self.name()))
    }
}

/// A value of the wrong kind in `table.column`: the source store holds something cohortdb never
/// writes.
pub(crate) fn wrong_kind(store: &str, table: Table, column: &str, value: &Value) -> Error {
    let found = match value {
        Value::Null => "null".to_string(),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Real(r) => format!("the real {r}"),
        Value::Text(t) => format!("the text {:?}", crate::textfmt::capped(t)),
        Value::Blob(b) => format!("a blob of {} bytes", b.len()),
    };
    TeamError {
        store: store.to_string(),
        kind: TeamErrorKind::bad_value(
            table.name(),
            &format!("column {column} holds {found}, which cohortdb never writes there"),
        ),
    }
    .into()
}

/// Checks that `value` is of `kind` (text for a seed: its decimal form), converting what
/// SQLite may hand back for it (a seed's BLOB text).
pub(crate) fn check(
    store: &str,
    table: Table,
    column: &str,
    kind: Kind,
    value: Value,
) -> Result<Value> {
    let ok = match (&value, kind) {
        (Value::Integer(_), Kind::Int | Kind::OptInt) => true,
        (Value::Null, Kind::OptInt | Kind::OptText | Kind::Seed) => true,
        (Value::Text(_), Kind::Text | Kind::OptText) => true,
        (Value::Blob(_), Kind::Bytes | Kind::OptBytes) => true,
        (Value::Null, Kind::OptBytes | Kind::OptReal) => true,
        (Value::Real(_), Kind::OptReal) => true,
        (Value::Text(t), Kind::Seed) => t.parse::<Seed>().is_ok(),
        _ => false,
    };
    if ok {
        return Ok(value);
    }
    if let (Table::CohortMembers, "replicate", Value::Text(t)) = (table, column, &value) {
        // D23 lets a replicate exceed 64 bits; the server's column is a bigint.
        return Err(TeamError {
            store: store.to_string(),
            kind: TeamErrorKind::bad_value(
                table.name(),
                &format!(
                    "the replicate {} is beyond 64 bits (see docs/decisions.md#d23), which a team store does not hold yet; keep this cohort in an SQLite store",
                    crate::textfmt::capped(t)
                ),
            ),
        }
        .into());
    }
    Err(wrong_kind(store, table, column, &value))
}

/// The SQLite parameter for a value of `kind`: a seed goes in as `Seed`'s `ToSql` stores it,
/// an INTEGER when it fits 64 bits, else its decimal text as a BLOB (D23).
pub(crate) fn sqlite_param(kind: Kind, value: &Value) -> Value {
    match (kind, value) {
        (Kind::Seed, Value::Text(t)) => match t.parse::<Seed>() {
            Ok(seed) => match seed.as_i64() {
                Some(n) => Value::Integer(n),
                None => Value::Blob(seed.as_str().as_bytes().to_vec()),
            },
            Err(_) => value.clone(),
        },
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every SQLite statement of a table lists its columns in the described order.
    #[test]
    fn sqlite_statements_follow_the_column_list() {
        let store = crate::store::Store::open_in_memory().expect("a store");
        let conn = store.conn();
        for &table in Table::ALL {
            let names: Vec<&str> = table.columns().iter().map(|(n, _)| *n).collect();
            let select = conn
                .prepare(table.sqlite_select())
                .unwrap_or_else(|e| panic!("{}: {e}", table.name()));
            assert_eq!(
                select.column_names().collect::<Vec<_>>(),
                names,
                "{}",
                table.name()
            );
            let insert = conn
                .prepare(table.sqlite_insert())
                .unwrap_or_else(|e| panic!("{}: {e}", table.name()));
            assert_eq!(insert.parameter_count(), names.len(), "{}", table.name());
            let compact: String = table
                .sqlite_insert()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert!(
                compact.contains(&format!("({})", names.join(","))),
                "{}",
                table.name()
            );
        }
        // Batches after their rows, records after theirs.
        assert_eq!(Table::batch_tables().last(), Some(Table::ImportBatches));
        assert_eq!(Table::record_tables().last(), Some(Table::CohortRecords));
        assert_eq!(Table::results_tables().last(), Some(Table::ResultsImports));
    }

    #[test]
    fn values_of_the_wrong_kind_are_refused() {
        let t = Table::CohortMembers;
        assert!(check("s", t, "ordinal", Kind::Int, Value::Integer(3)).is_ok());
        let err = check("s", t, "ordinal", Kind::Int, Value::Text("3".into())).unwrap_err();
        assert!(
            err.to_string()
                .contains("column ordinal holds the text \"3\""),
            "{err}"
        );
        assert!(check("s", t, "seed", Kind::Seed, Value::Text("12".into())).is_ok());
        assert!(check("s", t, "seed", Kind::Seed, Value::Text("x".into())).is_err());
        let big = "123456789012345678901234567890";
        assert!(matches!(
            sqlite_param(Kind::Seed, &Value::Text(big.into())),
            Value::Blob(_)
        ));
        assert_eq!(
            sqlite_param(Kind::Seed, &Value::Text("7".into())),
            Value::Integer(7)
        );
    }
}
