//! A catalog file (or a legacy input `migrate` reads like one) that cannot be imported, or whose
//! rows would change stored ones (`Error::Catalog`): one [`CatalogErrorKind`] per failure; the
//! problems an import collects row by row are [`RowProblem`]s, each with its [`Location`].

use crate::error::Location;

/// The hint given with a row that changes a stored one.
pub const CHANGED_HINT: &str = "catalog rows are append-only (D9): give a changed row a new id, \
                                as the reference catalogs do with suffixes such as -v2";

/// A catalog problem at `loc`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {kind}")]
pub struct CatalogError {
    /// Where (for [`CatalogErrorKind::Rows`], the first problem's place).
    pub loc: Location,
    /// What.
    pub kind: CatalogErrorKind,
}

/// What is wrong with one row of a catalog being imported (docs/decisions.md D9, D21).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowProblem {
    /// A row with another number of fields than the header.
    #[error("row has {found} fields but the header has {expected}")]
    FieldCount {
        /// The row's fields.
        found: usize,
        /// The header's.
        expected: usize,
    },
    /// A field holding a NUL byte.
    #[error("column {column:?} contains a NUL byte")]
    NulByte {
        /// The column.
        column: String,
    },
    /// A field that is not UTF-8.
    #[error("column {column:?} is not valid UTF-8")]
    NotUtf8 {
        /// The column.
        column: String,
    },
    /// An empty key.
    #[error("{column} is empty")]
    EmptyKey {
        /// The key column.
        column: String,
    },
    /// A key with surrounding whitespace.
    #[error(
        "{column} {} has leading or trailing whitespace (the reference trimmed it silently; fix \
         the file)",
        crate::textfmt::capped_debug(value)
    )]
    KeyWhitespace {
        /// The key column.
        column: String,
        /// The value.
        value: String,
    },
    /// A key holding an invisible or control character (D20).
    #[error("{column} {}", crate::textfmt::invisible_message(value, (*position, *found)))]
    KeyInvisible {
        /// The key column.
        column: String,
        /// The value.
        value: String,
        /// 1-based character position.
        position: usize,
        /// The character.
        found: char,
    },
    /// A key naming a file that is not a plain file name.
    #[error(
        "{column} {} is not a plain file name (bodies and descriptions are found by id)",
        crate::textfmt::capped_debug(value)
    )]
    KeyNotAFileName {
        /// The key column.
        column: String,
        /// The value.
        value: String,
    },
    /// A replication stage that is not a stage (D21).
    #[error(
        "{column} {value:?} is not a stage (expected draft, essay or evaluation; the reference \
         silently dropped this row, D21)"
    )]
    NotAStage {
        /// The column.
        column: String,
        /// The value.
        value: String,
    },
    /// A replication count that is not at least 1 (D21).
    #[error(
        "{column} {value:?} is not a replicate count (expected an integer of at least 1; the \
         reference silently dropped this row, D21)"
    )]
    NotAReplicateCount {
        /// The column.
        column: String,
        /// The value.
        value: String,
    },
    /// An id twice in one file with different content.
    #[error(
        "{label} id {key:?} appears twice with different content (first at line {first_line}): \
         {what} is {old} there but {new} here"
    )]
    Duplicate {
        /// The catalog kind's label.
        label: &'static str,
        /// The key values, joined.
        key: String,
        /// The differing field.
        what: String,
        /// The first line.
        first_line: u64,
        /// The first value (quoted, shortened).
        old: String,
        /// This value.
        new: String,
    },
    /// A row changing a stored one (D9).
    #[error(
        "{label} row {key:?} changed: {what} is {old} in the store (imported from \
         {source_file}:{line}) but {new} here"
    )]
    Changed {
        /// The catalog kind's label.
        label: &'static str,
        /// The key values, joined.
        key: String,
        /// The differing field.
        what: String,
        /// The stored value (quoted, shortened).
        old: String,
        /// The stored row's file.
        source_file: String,
        /// The stored row's line.
        line: u64,
        /// This value.
        new: String,
    },
    /// A new concept for a combo an earlier batch stored (D9).
    #[error(
        "combo mappings: {} is new for combo {combo:?}, which already exists with another \
         concept set (e.g. {}, imported from {source_file}); a combo id names a fixed set of \
         concepts",
        concept_shown(concept),
        concept_shown(stored)
    )]
    ComboChanged {
        /// The combo.
        combo: String,
        /// The new concept.
        concept: String,
        /// A stored concept of the combo.
        stored: String,
        /// Where that was imported from.
        source_file: String,
    },
}

/// A combo's concept in a message: `concept "x"`, or the row of a file without `concept_id`
/// (whose concept reads as empty, docs/decisions.md D9).
fn concept_shown(concept: &str) -> String {
    if concept.is_empty() {
        "a row without a concept_id".to_string()
    } else {
        format!("concept {concept:?}")
    }
}

impl RowProblem {
    /// The hint this problem calls for.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            RowProblem::Changed { .. } | RowProblem::ComboChanged { .. } => Some(CHANGED_HINT),
            _ => None,
        }
    }

    /// The offending value, when the problem names one.
    pub fn value(&self) -> Option<String> {
        match self {
            RowProblem::KeyWhitespace { value, .. }
            | RowProblem::KeyInvisible { value, .. }
            | RowProblem::KeyNotAFileName { value, .. }
            | RowProblem::NotAStage { value, .. }
            | RowProblem::NotAReplicateCount { value, .. } => Some(value.clone()),
            RowProblem::Duplicate { key, .. } | RowProblem::Changed { key, .. } => {
                Some(key.clone())
            }
            RowProblem::ComboChanged { concept, .. } => Some(concept.clone()),
            _ => None,
        }
    }
}

/// Each catalog problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogErrorKind {
    /// Rows refused by an import: the first is the message, the others detail lines.
    #[error("{first}")]
    Rows {
        /// The first problem (at the error's `loc`).
        first: RowProblem,
        /// The problems after it, each where it is.
        more: Vec<(Location, RowProblem)>,
        /// The limit, when reading stopped at it.
        stopped_after: Option<usize>,
    },
    /// A directory given as a catalog.
    #[error("is a directory, not a CSV file")]
    IsDirectory,
    /// A quoted field never closed.
    #[error("a quoted field is never closed (unterminated quote){}", if *truncated { "; the file may be truncated" } else { "" })]
    UnterminatedQuote {
        /// Whether the text says the file may be truncated.
        truncated: bool,
    },
    /// A blank header line.
    #[error("the header line is blank")]
    BlankHeader,
    /// A header name that is not UTF-8.
    #[error("invalid UTF-8 in the header")]
    HeaderNotUtf8,
    /// A body or description file that is not UTF-8.
    #[error("invalid UTF-8 at byte {at_byte}")]
    NotUtf8At {
        /// The first invalid byte's offset.
        at_byte: usize,
    },
    /// A field that is not UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A CSV without a header line.
    #[error("no header line")]
    NoHeader,
    /// A header column without a name.
    #[error("column {column} has no name")]
    UnnamedColumn {
        /// 1-based.
        column: usize,
    },
    /// A header name with surrounding whitespace.
    #[error("column name {name:?} has surrounding whitespace")]
    ColumnWhitespace {
        /// The name.
        name: String,
    },
    /// A header name twice.
    #[error("column {name:?} appears twice in the header")]
    DuplicateColumn {
        /// The name.
        name: String,
    },
    /// A selection flag column (D9).
    #[error(
        "the catalog has the selection column {name:?}: selection flags are not catalog data \
         (D9); a cohort spec says which rows a cohort uses"
    )]
    SelectionColumn {
        /// The column.
        name: String,
        /// The data root to give `catalog strip-active`.
        root: String,
    },
    /// Key columns missing from the header.
    #[error(
        "missing required {} {} for {label} (found: {})",
        crate::textfmt::plural(missing.len() as u64, "column"),
        missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", "),
        header.join(", ")
    )]
    MissingColumns {
        /// The missing columns.
        missing: Vec<&'static str>,
        /// The catalog kind's label.
        label: &'static str,
        /// The header.
        header: Vec<String>,
    },
    /// A CSV `--catalog-csv` cannot read.
    #[error("unreadable CSV (invalid UTF-8 or an unterminated quote)")]
    Unreadable,
    /// A `--catalog-csv` column that is not in the file.
    #[error("no column {column:?} (columns: {})", header.join(", "))]
    NoSuchColumn {
        /// The column.
        column: String,
        /// The header.
        header: Vec<String>,
    },
    /// A combo id the migration would give to another concept set.
    #[error(
        "combo {id} already exists for concepts {concepts:?} ({level}, k_max {k_max}), not for \
         {wanted:?} ({wanted_level}, k_max {wanted_k_max}) (combo_collision)"
    )]
    ComboCollision {
        /// The combo id.
        id: String,
        /// Its concepts.
        concepts: std::collections::BTreeSet<String>,
        /// Its description level.
        level: String,
        /// Its k_max, as the file writes it.
        k_max: String,
        /// The concepts wanted.
        wanted: std::collections::BTreeSet<String>,
        /// The level wanted.
        wanted_level: String,
        /// The k_max wanted.
        wanted_k_max: i64,
    },
    /// A legacy combo file without a column.
    #[error("no {column:?} column (expected {})", expected.join(","))]
    NoColumnOf {
        /// The column.
        column: String,
        /// The columns the file has.
        expected: &'static [&'static str],
    },
    /// A flagged catalog without its id column.
    #[error("no {column:?} column, so the rows its flags select cannot be named")]
    NoIdColumn {
        /// The id column.
        column: String,
    },
    /// A legacy row with another number of fields than the header.
    #[error("row has {found} fields but the header has {expected}")]
    FieldCount {
        /// The row's fields.
        found: usize,
        /// The header's.
        expected: usize,
    },
    /// A selection flag that is not a boolean.
    #[error("{flag} is {value:?}; expected True or False (also true/TRUE, 1/0, or empty)")]
    BadFlag {
        /// The flag column.
        flag: String,
        /// The value.
        value: String,
    },
    /// A legacy catalog that does not exist.
    #[error("no such file; the legacy flow reads its {label} from it")]
    NoLegacyFile {
        /// The catalog kind's label.
        label: &'static str,
    },
    /// A legacy catalog without its selection column.
    #[error(
        "no {flag:?} column: `migrate legacy` reads which {label} were selected from it (was it \
         already stripped? then write the spec by hand, see docs/migration.md)"
    )]
    NoFlagColumn {
        /// The flag.
        flag: String,
        /// The catalog kind's label.
        label: &'static str,
    },
    /// No replication config.
    #[error("no such file; the legacy flow took its replicate counts from it")]
    NoReplicationFile,
    /// A replication config without its columns.
    #[error("expected the columns stage,replicates")]
    ReplicationColumns,
    /// A replication row's stage.
    #[error("{value:?} is not a stage (expected draft, essay or evaluation)")]
    NotAStage {
        /// The value.
        value: String,
    },
    /// A replication row's count.
    #[error("{value:?} is not a replicate count (at least 1)")]
    NotAReplicateCount {
        /// The value.
        value: String,
    },
    /// A stage missing from the replication config.
    #[error("no {stage} row; the legacy flow required all three stages")]
    NoStageRow {
        /// The stage.
        stage: &'static str,
    },
    /// No active concept for the single-combo rule.
    #[error(
        "no active concept, so the legacy single-combo rule selects no combo (and there is no \
         2_tasks/selected_combo_mappings.csv)"
    )]
    NoActiveConcept,
    /// No row selected by a flag the evaluations need.
    #[error(
        "no row has {flag} set, so the legacy flow would build no evaluations; a spec cannot \
         describe that cohort"
    )]
    NothingSelected {
        /// The flag.
        flag: String,
    },
}

impl CatalogErrorKind {
    /// Lines after the first: further row problems, then "nothing was imported".
    pub fn detail(&self) -> Vec<String> {
        match self {
            CatalogErrorKind::Rows {
                more,
                stopped_after,
                ..
            } => {
                let mut lines: Vec<String> =
                    more.iter().map(|(loc, p)| format!("{loc}: {p}")).collect();
                if let Some(n) = stopped_after {
                    lines.push(format!("(stopped after {n} problems)"));
                }
                lines.push("nothing was imported".to_string());
                lines
            }
            _ => Vec::new(),
        }
    }

    /// What the user can do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            CatalogErrorKind::Rows { first, more, .. } => {
                let mut hints: Vec<String> = Vec::new();
                for hint in std::iter::once(first)
                    .chain(more.iter().map(|(_, p)| p))
                    .filter_map(RowProblem::hint)
                {
                    if !hints.iter().any(|h| h == hint) {
                        hints.push(hint.to_string());
                    }
                }
                hints
            }
            CatalogErrorKind::SelectionColumn { root, .. } => vec![
                "`cohortdb migrate legacy COHORT_ID` writes a spec from these flags".to_string(),
                format!(
                    "`cohortdb catalog strip-active {root}` rewrites the catalogs without them \
                     (keeping *.legacy.csv copies)"
                ),
            ],
            _ => Vec::new(),
        }
    }

    /// The offending value, when the kind names one.
    pub fn value(&self) -> Option<String> {
        use CatalogErrorKind as K;
        match self {
            K::Rows { first, .. } => first.value(),
            K::ColumnWhitespace { name }
            | K::DuplicateColumn { name }
            | K::SelectionColumn { name, .. } => Some(name.clone()),
            K::NoSuchColumn { column, .. }
            | K::NoColumnOf { column, .. }
            | K::NoIdColumn { column } => Some(column.clone()),
            K::ComboCollision { id, .. } => Some(id.clone()),
            K::BadFlag { value, .. } | K::NotAStage { value } | K::NotAReplicateCount { value } => {
                Some(value.clone())
            }
            K::NoFlagColumn { flag, .. } | K::NothingSelected { flag } => Some(flag.clone()),
            _ => None,
        }
    }
}
