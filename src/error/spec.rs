//! A spec, a file it includes, or a `--catalog` JSON file that cannot be used (`Error::Spec`):
//! one [`SpecErrorKind`] per failure, carrying what was found; the text is rendered from it.
//! `found` fields hold the offending YAML/JSON value as the spec wrote it (`Node::display`).

use crate::error::Location;
use crate::seed::SeedError;

/// A spec problem at `loc` (a file, a line and column, or a YAML path inside the spec).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {kind}")]
pub struct SpecError {
    /// Where.
    pub loc: Location,
    /// What.
    pub kind: SpecErrorKind,
}

/// `[a, b]`, the way rule messages list levels.
pub(super) fn listed(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

/// Each spec problem. Texts cite `docs/decisions.md` numbers (`D5`, `D6`, `D18`, …) where a
/// rule of that decision is what refuses the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecErrorKind {
    // --- reading and parsing ---
    /// The spec or an included file is not UTF-8.
    #[error("{what} is not valid UTF-8 (at byte {at_byte})")]
    NotUtf8 {
        /// "the spec" or "the file".
        what: &'static str,
        /// The first invalid byte's offset.
        at_byte: usize,
    },
    /// A field of an @file CSV is not UTF-8.
    #[error("invalid UTF-8")]
    CsvFieldNotUtf8,
    /// A spec file that is not .yaml, .yml or .json.
    #[error(
        "unsupported spec format {:?}: a spec is a .yaml, .yml or .json file (TOML never worked)",
        dotted(ext)
    )]
    UnsupportedFormat {
        /// The extension, without the dot (empty when there is none).
        ext: String,
    },
    /// YAML or JSON that does not parse.
    #[error("invalid {format}: {message}")]
    Syntax {
        /// "YAML" or "JSON".
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// JSON (a spec, an include, a `--catalog` file) that starts with a byte order mark
    /// (docs/decisions.md D20).
    #[error(
        "the file starts with a byte order mark (U+FEFF), which JSON does not allow (the \
         reference's JSON reader refused it too); save it as UTF-8 without a BOM (D20)"
    )]
    JsonByteOrderMark,
    /// YAML with a byte order mark at the start of a line after the first (docs/decisions.md
    /// D20).
    #[error(
        "a byte order mark (U+FEFF) starts this line; only one, at the very start of the file, \
         is skipped (were two files joined?) (D20)"
    )]
    StrayByteOrderMark,
    /// A TXT include that starts with a byte order mark (docs/decisions.md D20).
    #[error(
        "the file starts with a byte order mark (U+FEFF): the reference kept it as part of the \
         first value, {}, which only looks like {} (D20); save the file as UTF-8 without a BOM",
        crate::textfmt::capped_debug(kept),
        crate::textfmt::capped_debug(crate::ids::py_strip(crate::textfmt::strip_bom(kept)))
    )]
    TxtByteOrderMark {
        /// The first value as the reference read it, the BOM included.
        kept: String,
    },
    /// The document is not a mapping.
    #[error("the spec must be a mapping with axes, rules and output, found {found}")]
    NotAMapping {
        /// The kind of node found.
        found: &'static str,
    },
    /// The removed `replicates:` block (D18).
    #[error(
        "unknown top-level key \"replicates\": the replicates block was removed and silently did \
         nothing in the old tool (D18)"
    )]
    ReplicatesRemoved,
    /// Any other unknown top-level key (D18).
    #[error("unknown top-level key {key} (D18)")]
    UnknownTopLevelKey {
        /// The key as written.
        key: String,
    },

    // --- levels and names ---
    /// A level holding an invisible or control character (D20).
    #[error("level {}", crate::textfmt::invisible_message(value, (*position, *found)))]
    InvisibleLevel {
        /// The level.
        value: String,
        /// 1-based character position.
        position: usize,
        /// The character.
        found: char,
    },
    /// A boolean where a level belongs (D5).
    #[error(
        "{value} is a boolean, not a level (levels are strings or integers, D5); write '{value}' \
         in quotes if you mean the text"
    )]
    BooleanLevel {
        /// The boolean.
        value: bool,
    },
    /// A null where a level belongs (D5).
    #[error(
        "null is not a level (an empty YAML value is null, D5); write '' in quotes or remove the \
         entry"
    )]
    NullLevel,
    /// A float where a level belongs (D5).
    #[error(
        "{value} is a float, not a level (levels are strings or integers, D5); write '{value}' in \
         quotes"
    )]
    FloatLevel {
        /// The float as Rust's `{:?}` writes it.
        value: String,
    },
    /// An integer beyond 64 bits (D5).
    #[error("integer {digits} is outside the signed 64-bit range (D5); write '{digits}' in quotes")]
    IntegerOutOfRange {
        /// The integer's text.
        digits: String,
    },
    /// A mapping where a level belongs.
    #[error("a mapping is not a level: {found}")]
    MappingLevel {
        /// The mapping.
        found: String,
    },
    /// A list where a level belongs.
    #[error("a list is not a level here: {found}")]
    ListLevel {
        /// The list.
        found: String,
    },
    /// Axis names expected as a list.
    #[error("{what} must be a list of axis names, found {found}")]
    NotANameList {
        /// What holds them ("a tie's axes", "tuple \"t\" axes").
        what: String,
        /// The value.
        found: String,
    },
    /// An entry of an axis-name list that is not a name.
    #[error("{what} must hold axis names (strings or integers), found {found}")]
    NotAName {
        /// What holds it.
        what: String,
        /// The entry.
        found: String,
    },
    /// Levels neither a list nor an include.
    #[error("{what} must be a list or an '@file:' string, found {found}")]
    NotAListOrInclude {
        /// What ("axis \"a\"", "subset of \"a\"", …).
        what: String,
        /// The value.
        found: String,
    },
    /// An include that holds no list.
    #[error("{what}: @file:{written} must hold a list, found {found}")]
    IncludeNotAList {
        /// What it was for.
        what: String,
        /// The include path as written.
        written: String,
        /// The kind of node found.
        found: &'static str,
    },

    // --- axes ---
    /// `axes` is not a mapping.
    #[error("axes must be a mapping of axis name to levels, found {found}")]
    AxesNotAMapping {
        /// The value.
        found: String,
    },
    /// An axis name that is not a string or integer (D23).
    #[error("axis names must be strings or integers, found {found}")]
    BadAxisName {
        /// The key.
        found: String,
    },
    /// Two keys naming one column (D23).
    #[error(
        "axes {first} and {second} both name the column {column} (an integer axis name is its \
         decimal text, D23)"
    )]
    SameColumn {
        /// The first key as written.
        first: String,
        /// The second key as written.
        second: String,
        /// The column.
        column: String,
    },
    /// The removed `{levels, catalog_lookup}` axis form.
    #[error("the {{levels: …, catalog_lookup: …}} axis form was removed")]
    AxisFormRemoved,

    // --- rules ---
    /// The removed list form of rules.
    #[error("rules must be a mapping of sections (subsets, ties, pairs, tuples), not a list")]
    RulesAreAList,
    /// `rules` is not a mapping.
    #[error("rules must be a mapping of sections, found {found}")]
    RulesNotAMapping {
        /// The value.
        found: String,
    },
    /// A rule section other than subsets, ties, pairs and tuples.
    #[error("unsupported rule section {key}")]
    UnknownRuleSection {
        /// The key as written.
        key: String,
    },
    /// A section that is not a mapping.
    #[error("{section} must be a mapping, found {found}")]
    SectionNotAMapping {
        /// The section's path (`rules.pairs`).
        section: String,
        /// The value.
        found: String,
    },
    /// A rule name that is not a non-empty string or an integer.
    #[error("{what} name must be a non-empty string or an integer, found {found}")]
    BadRuleName {
        /// "a tie", "a pair", "a tuple".
        what: &'static str,
        /// The key.
        found: String,
    },
    /// An unknown key in a rule (D18).
    #[error("unknown key {key} in {what} (D18)")]
    UnknownRuleKey {
        /// The key as written.
        key: String,
        /// "a tie", "a pair", "a tuple".
        what: &'static str,
        /// The keys the rule takes.
        allowed: &'static [&'static str],
    },
    /// A subset key that is not an axis name.
    #[error("a subset's key must be an axis name (a string or an integer), found {found}")]
    BadSubsetKey {
        /// The key.
        found: String,
    },
    /// A tie payload with `to`.
    #[error("a tie payload must omit 'to'")]
    TieHasTo,
    /// A tie that is neither a list nor `{axes: […]}`.
    #[error("a tie must be a list of axis names or {{axes: [...]}}, found {found}")]
    BadTie {
        /// The value.
        found: String,
    },
    /// A tie without axes.
    #[error("a tie needs at least one axis")]
    TieWithoutAxes,
    /// A pair that is not a mapping.
    #[error("pair {name:?} must be a mapping with left, right and allowed, found {found}")]
    PairNotAMapping {
        /// The pair.
        name: String,
        /// The value.
        found: String,
    },
    /// A pair without `left` or `right`.
    #[error("pair {name:?} needs {side}: an axis name, found {found}")]
    PairSideMissing {
        /// The pair.
        name: String,
        /// "left" or "right".
        side: &'static str,
        /// The value ("nothing" when absent).
        found: String,
    },
    /// A pair with no allowed entries.
    #[error("pair {name:?}: allowed is empty")]
    AllowedEmpty {
        /// The pair.
        name: String,
    },
    /// An allowed entry that is not `[left, right]`.
    #[error("pair {name:?}: an allowed entry must be a [left, right] pair, found {found}")]
    NotAPairEntry {
        /// The pair.
        name: String,
        /// The entry.
        found: String,
    },
    /// A `balance` other than left, right or both.
    #[error("pair {name:?}: balance must be left, right or both, found {found}")]
    BadBalance {
        /// The pair.
        name: String,
        /// The value.
        found: String,
    },
    /// A tuple that is not a mapping.
    #[error("tuple {name:?} must be a mapping with axes and items, found {found}")]
    TupleNotAMapping {
        /// The tuple.
        name: String,
        /// The value.
        found: String,
    },
    /// The removed `expand` key of a tuple.
    #[error("tuple {name:?}: expand was removed (deprecated in the old tool)")]
    TupleExpandRemoved {
        /// The tuple.
        name: String,
    },
    /// A tuple without axes.
    #[error("tuple {name:?} needs at least one axis")]
    TupleWithoutAxes {
        /// The tuple.
        name: String,
    },
    /// A tuple without items.
    #[error("tuple {name:?}: items is empty")]
    TupleItemsEmpty {
        /// The tuple.
        name: String,
    },
    /// A tuple item whose length differs from the axes'.
    #[error(
        "tuple {name:?}: item {item} does not match its {} axes [{}]",
        axes.len(),
        axes.join(", ")
    )]
    TupleItemLength {
        /// The tuple.
        name: String,
        /// The item as written.
        item: String,
        /// The tuple's axes.
        axes: Vec<String>,
    },
    /// A tuple binding an axis also declared under `axes`.
    #[error(
        "tuple {name:?} binds axis {axis:?}, which is also declared under axes ({declared}); a \
         tuple provides the levels of the axes it binds"
    )]
    TupleBindsDeclaredAxis {
        /// The tuple.
        name: String,
        /// The axis.
        axis: String,
        /// Where it is declared.
        declared: Location,
    },

    // --- output ---
    /// `output` is not a mapping.
    #[error("output must be a mapping with field_order, found {found}")]
    OutputNotAMapping {
        /// The value.
        found: String,
    },
    /// A removed output key (D18).
    #[error("output.{key} was removed (D18)")]
    OutputKeyRemoved {
        /// The key.
        key: String,
    },
    /// An unknown output key (D18).
    #[error("unknown key {key} in output (D18)")]
    UnknownOutputKey {
        /// The key as written.
        key: String,
    },
    /// A field_order entry that is not a column name.
    #[error("field_order names columns (strings or integers), found {found}")]
    BadFieldOrderEntry {
        /// The entry.
        found: String,
    },
    /// No `output.field_order` list.
    #[error(
        "output.field_order is required: a list of column names (it may be empty), found {found}"
    )]
    FieldOrderMissing {
        /// The value ("nothing" when absent).
        found: String,
    },
    /// field_order names columns no axis provides.
    #[error(
        "output.field_order names undefined {} {}",
        crate::textfmt::plural(fields.len() as u64, "field"),
        fields.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ")
    )]
    UndefinedFields {
        /// The names.
        fields: Vec<String>,
    },
    /// A float seed, as a JSON number beyond 64 bits is read.
    #[error("output.seed must be an integer, found {found} (a float)")]
    FloatSeed {
        /// The value.
        found: String,
    },
    /// A seed that is not an integer.
    #[error("output.seed must be an integer, found {found}")]
    SeedNotAnInteger {
        /// The value.
        found: String,
    },
    /// A seed the seed rules refuse (D23).
    #[error("output.seed: {source}")]
    BadSeed {
        /// Why.
        source: SeedError,
    },

    // --- includes (D6) ---
    /// An include with an extension other than .csv, .txt, .yaml, .yml, .json.
    #[error(
        "@file:{rel}: unsupported include extension {:?} (expected .csv, .txt, .yaml, .yml or \
         .json)",
        dotted(ext)
    )]
    UnsupportedInclude {
        /// The include path.
        rel: String,
        /// Its extension, without the dot.
        ext: String,
    },
    /// An include path that leaves the spec folder (D6).
    #[error("@file:{written}: {why}")]
    IncludeOutside {
        /// The path as written.
        written: String,
        /// Why it leaves.
        why: &'static str,
    },
    /// An include that does not exist.
    #[error("included file {file} does not exist")]
    IncludeMissing {
        /// The file.
        file: String,
    },
    /// An include that is a symlink leaving the spec folder (D6).
    #[error("included file {file} is a symlink pointing outside the spec folder (to {target})")]
    IncludeSymlinkOutside {
        /// The file.
        file: String,
        /// Where it points.
        target: String,
    },
    /// An include that is a directory.
    #[error("included path {file} is a directory, not a file")]
    IncludeIsDirectory {
        /// The path.
        file: String,
    },
    /// An include that is not a regular file (a FIFO, device, …).
    #[error("{file} {why}")]
    IncludeNotRegular {
        /// The file.
        file: String,
        /// The refusal.
        why: String,
    },
    /// A spec file with several hard links (D6).
    #[error(
        "{file} has {links} hard links; a spec file must have exactly one, since another name for \
         it may be outside the spec folder"
    )]
    HardLinks {
        /// The file.
        file: String,
        /// Its link count.
        links: u64,
    },
    /// An include a stored bundle lacks.
    #[error("included file {file} is not in the bundle")]
    NotInBundle {
        /// The file.
        file: String,
    },
    /// An @file CSV quoted field never closed.
    #[error("a quoted field is never closed (unterminated quote)")]
    CsvUnterminatedQuote,
    /// An @file CSV whose first line is empty.
    #[error("an @file CSV needs a header line naming its column(s); the first line is empty")]
    CsvNoHeader,
    /// An @file CSV header without names.
    #[error("the @file CSV header has no column names")]
    CsvNoColumnNames,
    /// An @file CSV row with an empty cell.
    #[error("the @file CSV row has no value in column {column:?}")]
    CsvMissingValue {
        /// The column.
        column: String,
    },
    /// An @file CSV with only a header.
    #[error("the @file CSV has a header ({}) but no data rows", columns.join(", "))]
    CsvNoDataRows {
        /// The header's names.
        columns: Vec<String>,
    },

    // --- resolution (docs/reference.md §2.7) ---
    /// A rule naming an axis that does not exist when it applies.
    #[error("{rule}: axis {axis:?} does not exist at this point")]
    AxisMissing {
        /// The rule's label.
        rule: String,
        /// The axis.
        axis: String,
        /// The earlier rule that consumed it, if one did.
        consumed_by: Option<String>,
        /// The axes at this point, when the axis was never declared.
        axes_now: Option<Vec<String>>,
    },
    /// A rule's new name that is already an axis.
    #[error("{rule}: the name {name:?} is already an axis; choose another name")]
    NameTaken {
        /// The rule's label.
        rule: String,
        /// The name.
        name: String,
    },
    /// A rule's new name that is one of the axes it replaces.
    #[error("{rule}: the name {name:?} is one of the axes it replaces; choose another name")]
    NameReplaced {
        /// The rule's label.
        rule: String,
        /// The name.
        name: String,
    },
    /// A subset keeping nothing.
    #[error(
        "{rule}: the subset keeps none of the levels of {axis:?} (levels {}, keep {})",
        listed(levels),
        listed(keep)
    )]
    SubsetEmpty {
        /// The rule's label.
        rule: String,
        /// The axis.
        axis: String,
        /// Its levels.
        levels: Vec<String>,
        /// The subset's levels.
        keep: Vec<String>,
    },
    /// Tied axes without a common level.
    #[error(
        "{rule}: the tied axes have no level in common: {}",
        axes.iter().map(|(n, l)| format!("{n} {}", listed(l))).collect::<Vec<_>>().join(" vs ")
    )]
    TieDisjoint {
        /// The rule's label.
        rule: String,
        /// Each axis with its levels.
        axes: Vec<(String, Vec<String>)>,
    },
    /// A pair with the same axis on both sides.
    #[error("{rule}: left and right are both {axis:?}; they must differ")]
    PairSameSides {
        /// The rule's label.
        rule: String,
        /// The axis.
        axis: String,
    },
    /// An allowed pair outside the sides' levels.
    #[error(
        "{rule}: [{left}, {right}] is outside the domain: {side} value {value} is not a level of \
         {axis:?}"
    )]
    PairOutsideDomain {
        /// The rule's label.
        rule: String,
        /// The entry's left value.
        left: String,
        /// The entry's right value.
        right: String,
        /// "left" or "right".
        side: &'static str,
        /// The value that is not a level.
        value: String,
        /// The side's axis.
        axis: String,
        /// The axis's levels.
        levels: Vec<String>,
    },
    /// A tuple item's value outside its axis.
    #[error(
        "{rule}: value {value} of item {} is not a level of {axis:?}",
        listed(item)
    )]
    TupleOutsideDomain {
        /// The rule's label.
        rule: String,
        /// The value.
        value: String,
        /// The item.
        item: Vec<String>,
        /// The axis.
        axis: String,
        /// The axis's levels at this point.
        levels: Vec<String>,
    },
    /// A resolved balance other than left, right or both.
    #[error("{rule}: balance must be left, right or both, found {found:?}")]
    BadBalanceValue {
        /// The rule's label.
        rule: String,
        /// The value.
        found: String,
    },
    /// A balanced pair whose values appear unequally often.
    #[error(
        "{rule}: pair imbalance on {side}: {}",
        counts.iter().map(|(v, n)| format!("{v} ×{n}")).collect::<Vec<_>>().join(", ")
    )]
    PairImbalance {
        /// The rule's label.
        rule: String,
        /// "left" or "right".
        side: &'static str,
        /// The balance setting.
        balance: String,
        /// Each value with its count, sorted by value.
        counts: Vec<(String, usize)>,
    },
    /// Pairs and tuples nested in a way the expansion cannot follow.
    #[error("{what}: the rules nest pairs and tuples in a way cohortdb cannot expand")]
    NestingUnsupported {
        /// The pair or tuple.
        what: String,
    },
    /// A tuple-bound level without the component a column needs.
    #[error("level {level} has no component {path:?}")]
    NoComponent {
        /// The level.
        level: String,
        /// The component path.
        path: Vec<usize>,
    },

    // --- `--catalog` JSON files ---
    /// A catalog JSON that is not an object.
    #[error("a catalog file must hold a JSON object {{axis: [values]}}")]
    CatalogNotAnObject,
    /// Catalog entries neither a list nor a mapping.
    #[error("catalog entries must be a list or a mapping, found {found}")]
    CatalogEntries {
        /// The value.
        found: String,
    },
    /// A catalog value that is not a string or number.
    #[error("catalog values must be strings or numbers, found {found}")]
    CatalogValue {
        /// The value.
        found: String,
    },
}

/// `.ext`, or nothing for an empty extension.
pub(super) fn dotted(ext: &str) -> String {
    if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    }
}
