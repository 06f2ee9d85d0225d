//! What a spec error adds after its first line: the detail (levels a value was checked
//! against) and the hints, computed from the [`SpecErrorKind`]'s data.

use super::spec::{SpecErrorKind, dotted, listed};

impl SpecErrorKind {
    /// Lines after the first: the levels a value was checked against.
    pub fn detail(&self) -> Vec<String> {
        match self {
            SpecErrorKind::PairOutsideDomain { axis, levels, .. } => {
                vec![format!("{axis} levels: {}", listed(levels))]
            }
            SpecErrorKind::TupleOutsideDomain { axis, levels, .. } => {
                vec![format!("{axis} levels at this point: {}", listed(levels))]
            }
            _ => Vec::new(),
        }
    }

    /// What the user can do about it.
    pub fn hints(&self) -> Vec<String> {
        let hint: String = match self {
            SpecErrorKind::ReplicatesRemoved => {
                "declare replicate axes instead, e.g. `draft_replicate: [1, 2]` under axes".into()
            }
            SpecErrorKind::UnknownTopLevelKey { .. } => {
                "a spec has only the keys axes, rules and output".into()
            }
            SpecErrorKind::AxisFormRemoved => {
                "write the levels as a list, e.g. `draft_template: [draft-A, draft-B]`".into()
            }
            SpecErrorKind::RulesAreAList => "the list form of rules was replaced on 2025-10-03; \
                                             write e.g. `rules: {subsets: {draft_template: [draft-A]}}`"
                .into(),
            SpecErrorKind::UnknownRuleSection { .. } => "rule sections are subsets, ties, pairs \
                                                         and tuples; they apply in the order \
                                                         written (D3)"
                .into(),
            SpecErrorKind::UnknownRuleKey { what, allowed, .. } => {
                format!("{what} takes {}", allowed.join(", "))
            }
            SpecErrorKind::TieHasTo => {
                "the mapping key is the tie's name (its canonical column)".into()
            }
            SpecErrorKind::TupleExpandRemoved { .. } => {
                "tuples always expand into their axes; delete the expand key".into()
            }
            SpecErrorKind::TupleBindsDeclaredAxis { axis, .. } => {
                format!("remove {axis:?} from axes")
            }
            SpecErrorKind::OutputKeyRemoved { .. } => {
                "pairs, tuples and ties always expand into their axes".into()
            }
            SpecErrorKind::UnknownOutputKey { .. } => "output takes field_order and seed".into(),
            SpecErrorKind::FieldOrderMissing { .. } => {
                "write `output: {field_order: []}` to keep the columns in axis order".into()
            }
            SpecErrorKind::UndefinedFields { .. } => "field_order may name declared axes and \
                                                      tuple-bound axes (not pair, tuple or new tie \
                                                      names)"
                .into(),
            SpecErrorKind::FloatSeed { .. } => "a JSON number beyond 64 bits is read as a float: \
                                                write the seed as a string, e.g. \"seed\": \
                                                \"18446744073709551616\""
                .into(),
            SpecErrorKind::IncludeOutside { .. } => "keep every included file inside the spec \
                                                     folder, so the stored bundle can reproduce \
                                                     the cohort (D6)"
                .into(),
            SpecErrorKind::IncludeSymlinkOutside { .. } => {
                "copy the file into the spec folder (D6)".into()
            }
            SpecErrorKind::HardLinks { .. } => "replace the link with a copy of the file (`cp \
                                                FILE FILE.copy && mv FILE.copy FILE`), so the \
                                                spec folder holds every file the spec reads (D6)"
                .into(),
            SpecErrorKind::CsvNoDataRows { .. } => "the first line of an @file CSV is always its \
                                                    header; a one-line file of values needs a \
                                                    header line above them"
                .into(),
            SpecErrorKind::AxisMissing {
                axis,
                consumed_by,
                axes_now,
                ..
            } => match (consumed_by, axes_now) {
                (Some(by), _) => format!(
                    "{axis:?} was consumed by {by}, which applies earlier: rules apply in the \
                     order their sections are written (D3)"
                ),
                (None, Some(axes)) => format!("axes at this point: {}", axes.join(", ")),
                (None, None) => return Vec::new(),
            },
            SpecErrorKind::PairImbalance { side, balance, .. } => format!(
                "balance: {balance} requires every {side} value that appears in allowed to \
                 appear equally often"
            ),
            _ => return Vec::new(),
        };
        vec![hint]
    }

    /// The offending value, when the kind names one.
    pub fn value(&self) -> Option<String> {
        use SpecErrorKind as K;
        match self {
            K::InvisibleLevel { value, .. } => Some(value.clone()),
            K::BooleanLevel { value } => Some(value.to_string()),
            K::FloatLevel { value } => Some(value.clone()),
            K::IntegerOutOfRange { digits } => Some(digits.clone()),
            K::UnknownTopLevelKey { key }
            | K::UnknownRuleSection { key }
            | K::UnknownRuleKey { key, .. }
            | K::OutputKeyRemoved { key }
            | K::UnknownOutputKey { key } => Some(key.clone()),
            K::MappingLevel { found }
            | K::ListLevel { found }
            | K::NotANameList { found, .. }
            | K::NotAName { found, .. }
            | K::NotAListOrInclude { found, .. }
            | K::AxesNotAMapping { found }
            | K::BadAxisName { found }
            | K::RulesNotAMapping { found }
            | K::SectionNotAMapping { found, .. }
            | K::BadRuleName { found, .. }
            | K::BadSubsetKey { found }
            | K::BadTie { found }
            | K::PairNotAMapping { found, .. }
            | K::NotAPairEntry { found, .. }
            | K::BadBalance { found, .. }
            | K::TupleNotAMapping { found, .. }
            | K::OutputNotAMapping { found }
            | K::BadFieldOrderEntry { found }
            | K::FloatSeed { found }
            | K::SeedNotAnInteger { found }
            | K::BadBalanceValue { found, .. }
            | K::CatalogEntries { found }
            | K::CatalogValue { found } => Some(found.clone()),
            K::SameColumn { second, .. } => Some(second.clone()),
            K::UnsupportedFormat { ext } => Some(dotted(ext)),
            K::UnsupportedInclude { rel, .. } => Some(rel.clone()),
            K::IncludeOutside { written, .. } => Some(written.clone()),
            K::IncludeMissing { file }
            | K::IncludeSymlinkOutside { file, .. }
            | K::IncludeIsDirectory { file }
            | K::IncludeNotRegular { file, .. }
            | K::HardLinks { file, .. }
            | K::NotInBundle { file } => Some(file.clone()),
            K::CsvMissingValue { column } => Some(column.clone()),
            K::AxisMissing { axis, .. } | K::SubsetEmpty { axis, .. } => Some(axis.clone()),
            K::NameTaken { name, .. } | K::NameReplaced { name, .. } => Some(name.clone()),
            K::PairOutsideDomain { value, .. } | K::TupleOutsideDomain { value, .. } => {
                Some(value.clone())
            }
            K::PairSameSides { axis, .. } => Some(axis.clone()),
            K::UndefinedFields { fields } => Some(fields.join(", ")),
            _ => None,
        }
    }
}
