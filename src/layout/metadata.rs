//! Reading `gens/<stage>/<gen_id>/metadata.json` files: the fields the reference reads from
//! them (docs/reference.md §3.9 `signature_from_metadata`, §5.1, §5.2), used by `migrate` (what
//! generation does a file describe?), and the one scan of a cohort's metadata files that
//! `export` and `verify` share ([`scan`]: is each existing file this member's?).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::paths::Root;
use crate::error::{Access, MetaError, Result};
use crate::ids::{self, Replicate, Stage};
use crate::record::Members;

/// Where a generation's metadata lives under a gens root.
pub fn metadata_path(gens_root: &Path, stage: Stage, gen_id: &str) -> PathBuf {
    gens_root
        .join(stage.as_str())
        .join(gen_id)
        .join("metadata.json")
}

/// The fields of one metadata.json, each trimmed (Python `str(value).strip()`), absent when
/// missing, null or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenMeta {
    /// `combo_id` (drafts).
    pub combo_id: Option<String>,
    /// `template_id`, falling back to `<stage>_template` (older files).
    pub template_id: Option<String>,
    /// `parent_gen_id` (essays and evaluations).
    pub parent_gen_id: Option<String>,
    /// `llm_model_id`.
    pub llm_model_id: Option<String>,
    /// `replicate`: missing or null is 1; text, a number or a bool is its integer value as
    /// Python's `int()` reads it, of any size (docs/reference.md §3.9).
    pub replicate: Replicate,
}

/// A JSON scalar as Python's `str()` shows it; `None` for null, arrays and objects.
fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        _ => None,
    }
}

/// The first of `names` with a non-empty value (Python `a or b`), trimmed; `None` when that is
/// empty after trimming.
fn field(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    let text = names
        .iter()
        .find_map(|n| obj.get(*n).and_then(json_text).filter(|t| !t.is_empty()))?;
    let trimmed = ids::py_strip(&text);
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// `replicate` as the reference's `int(value)` reads it (docs/reference.md §3.9): missing or
/// null is 1; a string is read as `int()` reads text; an integer is itself, of any size
/// (docs/decisions.md D23); a fraction is truncated; a boolean is 0 or 1. `bytes` is the whole
/// file: a JSON integer beyond 64 bits is read from its own text, which serde_json's float
/// would round.
fn replicate(obj: &Map<String, Value>, bytes: &[u8]) -> Result<Replicate, MetaError> {
    let bad = |v: &Value| MetaError::Replicate(v.to_string());
    match obj.get("replicate") {
        None | Some(Value::Null) => Ok(Replicate::from(1)),
        Some(v @ Value::String(s)) => Replicate::parse(s).map_err(|_| bad(v)),
        Some(v @ Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return Ok(Replicate::from(i));
            }
            if let Some(text) = n.as_u64().map(|u| u.to_string()).or_else(|| {
                raw_replicate(bytes).filter(|t| {
                    let digits = t.strip_prefix('-').unwrap_or(t);
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                })
            }) {
                return Replicate::parse(&text).map_err(|_| bad(v));
            }
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.0e18)
                .map(|f| Replicate::from(f.trunc() as i64))
                .ok_or_else(|| bad(v))
        }
        Some(Value::Bool(b)) => Ok(Replicate::from(i64::from(*b))),
        Some(v) => Err(bad(v)),
    }
}

/// The text of the top-level `replicate` value of a JSON object, as written.
fn raw_replicate(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        replicate: Option<&'a serde_json::value::RawValue>,
    }
    let raw: Raw<'_> = serde_json::from_slice(bytes).ok()?;
    raw.replicate.map(|r| r.get().to_string())
}

/// Whether a JSON number is one serde_json holds only as a float (a fraction, or an integer
/// beyond 64 bits): two such numbers are compared by their text.
fn inexact(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Number(n)) if !n.is_i64() && !n.is_u64())
}

impl GenMeta {
    /// Parses the bytes of a stage's metadata.json.
    pub fn parse(stage: Stage, bytes: &[u8]) -> Result<GenMeta, MetaError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| MetaError::json(bytes, &e))?;
        let obj = value.as_object().ok_or(MetaError::NotObject)?;
        let fallback = format!("{}_template", stage.as_str());
        Ok(GenMeta {
            combo_id: field(obj, &["combo_id"]),
            template_id: field(obj, &["template_id", &fallback]),
            parent_gen_id: field(obj, &["parent_gen_id"]),
            llm_model_id: field(obj, &["llm_model_id"]),
            replicate: replicate(obj, bytes)?,
        })
    }

    /// The fields the stage's signature needs that the file lacks (missing, null or empty).
    pub fn missing(&self, stage: Stage) -> Vec<&'static str> {
        let needed: [(&'static str, bool); 4] = [
            ("combo_id", stage == Stage::Draft),
            ("parent_gen_id", stage != Stage::Draft),
            ("template_id", true),
            ("llm_model_id", stage != Stage::Essay),
        ];
        needed
            .into_iter()
            .filter(|(name, needed)| {
                *needed
                    && match *name {
                        "combo_id" => self.combo_id.is_none(),
                        "parent_gen_id" => self.parent_gen_id.is_none(),
                        "template_id" => self.template_id.is_none(),
                        _ => self.llm_model_id.is_none(),
                    }
            })
            .map(|(name, _)| name)
            .collect()
    }

    /// The signature the file describes (`signature_from_metadata`), or `None` when a field
    /// the stage's signature needs is missing.
    pub fn signature(&self, stage: Stage) -> Option<String> {
        let rep = &self.replicate;
        match stage {
            Stage::Draft => ids::draft_signature(
                self.combo_id.as_deref()?,
                self.template_id.as_deref()?,
                self.llm_model_id.as_deref()?,
                rep,
            ),
            Stage::Essay => ids::essay_signature(
                self.parent_gen_id.as_deref()?,
                self.template_id.as_deref()?,
                rep,
            ),
            Stage::Evaluation => ids::evaluation_signature(
                self.parent_gen_id.as_deref()?,
                self.template_id.as_deref()?,
                self.llm_model_id.as_deref()?,
                rep,
            ),
        }
        .ok()
    }
}

/// The signature a metadata.json describes, or `None` when the file is not readable as
/// metadata of that stage.
pub fn metadata_signature(stage: Stage, bytes: &[u8]) -> Option<String> {
    read_signature(stage, bytes).ok()
}

/// The signature a metadata.json describes, or why it describes none (not JSON, not an
/// object, an unreadable replicate, fields the stage's signature needs missing).
pub fn read_signature(stage: Stage, bytes: &[u8]) -> Result<String, MetaError> {
    let meta = GenMeta::parse(stage, bytes)?;
    meta.signature(stage)
        .ok_or_else(|| MetaError::MissingFields(meta.missing(stage)))
}

/// A metadata.json that exists but does not describe its member's generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The member's ordinal.
    pub ordinal: u32,
    /// The file.
    pub path: PathBuf,
    /// The signature the file describes, or why it is not readable as metadata.
    pub found: Result<String, MetaError>,
    /// The member's signature.
    pub expected: Option<String>,
}

/// The state of a cohort's metadata.json files under a gens root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Ordinals of the members without a metadata.json.
    pub missing: Vec<u32>,
    /// How many exist with their member's signature.
    pub present: u64,
    /// Files that exist with another signature, or unreadable, in membership order.
    pub conflicts: Vec<Conflict>,
}

/// A member's metadata.json below the gens root: `<stage>/<gen_id>/metadata.json`.
pub fn metadata_rel(stage: Stage, gen_id: &str) -> PathBuf {
    Path::new(stage.as_str()).join(gen_id).join("metadata.json")
}

/// Reads `<stage>/<gen_id>/metadata.json` below the gens root `gens_root` through the path
/// policy ([`Root`]: no link below the gens root is followed; a gen_id that is not a plain
/// folder name is refused): `None` when it does not exist.
pub fn read_metadata(gens_root: &Path, stage: Stage, gen_id: &str) -> Result<Option<Vec<u8>>> {
    match Root::open(gens_root, Access::Read)? {
        Some(root) => root.read(&metadata_rel(stage, gen_id)),
        None => Ok(None),
    }
}

/// Reads every member's metadata.json under `gens_root` through the path policy
/// ([`Root`]: no link below the gens root is followed) and sorts them into missing, present
/// (the member's signature) and conflicting. A member reported missing has no link on the way
/// to its file either (the lookup stops at any link). An I/O error other than "not found", or
/// a link, stops it; `access` words that refusal. Members whose gen_id fails
/// [`crate::ids::GenId::parse`] are skipped: no path is built from them (export refuses such a
/// store before it scans).
pub fn scan(members: &Members, gens_root: &Path, access: Access) -> Result<Scan> {
    let mut out = Scan::default();
    let root = Root::open(gens_root, access)?;
    for (i, member) in members.iter().enumerate() {
        if !members.is_safe(i) {
            continue;
        }
        let ordinal = u32::try_from(i).unwrap_or(u32::MAX);
        let found = match &root {
            Some(root) => root.read(&metadata_rel(member.stage, member.gen_id))?,
            None => None,
        };
        let Some(bytes) = found else {
            out.missing.push(ordinal);
            continue;
        };
        let found = read_signature(member.stage, &bytes);
        let expected = member.signature();
        if found.is_ok() && found.as_ref().ok() == expected.as_ref() {
            out.present += 1;
        } else {
            out.conflicts.push(Conflict {
                ordinal,
                path: metadata_path(gens_root, member.stage, member.gen_id),
                found,
                expected,
            });
        }
    }
    Ok(out)
}

/// How an existing metadata.json compares, field by field, with the one the record gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldCheck {
    /// Every field the record determines has the record's value, and `origin_cohort_id` is
    /// the one given (the file may differ in formatting only).
    Same,
    /// Every field the record determines agrees, but `origin_cohort_id` names another cohort
    /// (it may, when that cohort holds the gen_id, docs/export-verify.md).
    OtherOrigin(String),
    /// Fields that are missing, extra or differ: `(field, found, expected)` as JSON text.
    Differs(Vec<(String, String, String)>),
    /// Not a JSON object.
    Unreadable(String),
}

/// Compares an existing metadata.json with the record's (`expected`, as [`super::metadata_json`]
/// renders it for the cohort being checked): every key but `origin_cohort_id` must have exactly
/// the record's value, and no key may be missing or extra.
pub fn compare_fields(found: &[u8], expected: &str) -> FieldCheck {
    if found == expected.as_bytes() {
        return FieldCheck::Same;
    }
    let (found_bytes, expected_bytes) = (found, expected.as_bytes());
    let parse = |bytes: &[u8]| -> Result<Map<String, Value>, String> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err("not a JSON object".to_string()),
            Err(e) => Err(MetaError::json(bytes, &e).to_string()),
        }
    };
    let found = match parse(found) {
        Ok(map) => map,
        Err(e) => return FieldCheck::Unreadable(e),
    };
    let Ok(expected) = parse(expected.as_bytes()) else {
        return FieldCheck::Unreadable("the record's metadata does not parse".to_string());
    };
    const ORIGIN: &str = "origin_cohort_id";
    let mut differs = Vec::new();
    let shown = |v: Option<&Value>| v.map_or("(missing)".to_string(), Value::to_string);
    for key in expected
        .keys()
        .chain(found.keys().filter(|k| !expected.contains_key(*k)))
    {
        if key == ORIGIN {
            continue;
        }
        let (f, e) = (found.get(key), expected.get(key));
        // Numbers serde_json rounds (a replicate beyond 64 bits) are compared as written.
        if key == "replicate" && (inexact(f) || inexact(e)) {
            let (f, e) = (raw_replicate(found_bytes), raw_replicate(expected_bytes));
            if f != e {
                let shown = |v: Option<String>| v.unwrap_or_else(|| "(missing)".to_string());
                differs.push((key.clone(), shown(f), shown(e)));
            }
        } else if f != e {
            differs.push((key.clone(), shown(f), shown(e)));
        }
    }
    match found.get(ORIGIN) {
        Some(Value::String(origin)) if differs.is_empty() => {
            if expected.get(ORIGIN) == found.get(ORIGIN) {
                FieldCheck::Same
            } else {
                FieldCheck::OtherOrigin(origin.clone())
            }
        }
        Some(Value::String(_)) => FieldCheck::Differs(differs),
        other => {
            differs.push((
                ORIGIN.to_string(),
                shown(other),
                shown(expected.get(ORIGIN)),
            ));
            FieldCheck::Differs(differs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_signatures_follow_the_reference() {
        let draft = br#"{"stage": "draft", "combo_id": " Combo-1 ", "template_id": "Draft-A", "llm_model_id": "m", "replicate": "2"}"#;
        assert_eq!(
            metadata_signature(Stage::Draft, draft).as_deref(),
            Some("combo-1|draft-a|m|2")
        );
        let eval = br#"{"parent_gen_id": "e_1", "evaluation_template": "t", "llm_model_id": "m"}"#;
        assert_eq!(
            metadata_signature(Stage::Evaluation, eval).as_deref(),
            Some("e_1|t|m|1")
        );
        let essay = br#"{"parent_gen_id": "d_1", "template_id": "", "essay_template": "x", "replicate": 2.0}"#;
        assert_eq!(
            metadata_signature(Stage::Essay, essay).as_deref(),
            Some("d_1|x|2")
        );
        assert_eq!(metadata_signature(Stage::Draft, b"not json"), None);
        assert_eq!(
            metadata_signature(Stage::Draft, br#"{"combo_id": "c"}"#),
            None
        );
        assert_eq!(
            read_signature(Stage::Draft, br#"{"combo_id": "c", "template_id": " "}"#),
            Err(MetaError::MissingFields(vec![
                "template_id",
                "llm_model_id"
            ]))
        );
        assert_eq!(
            read_signature(Stage::Essay, br#"{"template_id": "t"}"#),
            Err(MetaError::MissingFields(vec!["parent_gen_id"]))
        );
        assert!(matches!(
            read_signature(Stage::Draft, b"{"),
            Err(MetaError::Json(_))
        ));
        assert_eq!(
            metadata_signature(
                Stage::Draft,
                br#"{"combo_id": "c", "template_id": "t", "llm_model_id": "m", "replicate": "x"}"#
            ),
            None
        );
    }

    #[test]
    fn fields_are_compared_one_by_one() {
        let expected = "{\n  \"stage\": \"draft\",\n  \"origin_cohort_id\": \"a\",\n  \"mode\": \"llm\",\n  \"replicate\": 1\n}";
        assert_eq!(
            compare_fields(expected.as_bytes(), expected),
            FieldCheck::Same
        );
        let compact =
            br#"{"replicate": 1, "mode": "llm", "origin_cohort_id": "a", "stage": "draft"}"#;
        assert_eq!(compare_fields(compact, expected), FieldCheck::Same);
        let other =
            br#"{"replicate": 1, "mode": "llm", "origin_cohort_id": "b", "stage": "draft"}"#;
        assert_eq!(
            compare_fields(other, expected),
            FieldCheck::OtherOrigin("b".into())
        );
        let edited = br#"{"replicate": 1, "mode": "copy", "origin_cohort_id": "a", "stage": "draft", "x": 2}"#;
        assert_eq!(
            compare_fields(edited, expected),
            FieldCheck::Differs(vec![
                ("mode".into(), "\"copy\"".into(), "\"llm\"".into()),
                ("x".into(), "2".into(), "(missing)".into()),
            ])
        );
        let no_origin = br#"{"replicate": 1, "mode": "llm", "stage": "draft"}"#;
        assert!(
            matches!(compare_fields(no_origin, expected), FieldCheck::Differs(d) if d[0].0 == "origin_cohort_id")
        );
        assert!(matches!(
            compare_fields(b"{", expected),
            FieldCheck::Unreadable(_)
        ));
        assert!(matches!(
            compare_fields(b"[]", expected),
            FieldCheck::Unreadable(_)
        ));
    }

    #[test]
    fn reference_test_vectors_hold() {
        // docs/reference.md §6.10 D6, D7.
        let draft = br#"{"combo_id": "Combo-1", "template_id": "Draft-Alpha", "llm_model_id": "Model-X", "replicate": "3"}"#;
        assert_eq!(
            metadata_signature(Stage::Draft, draft).as_deref(),
            Some("combo-1|draft-alpha|model-x|3")
        );
        let eval = br#"{"parent_gen_id": "essay123", "template_id": "Eval-Temp", "llm_model_id": "Eval-Model", "replicate": 1}"#;
        assert_eq!(
            metadata_signature(Stage::Evaluation, eval).as_deref(),
            Some("essay123|eval-temp|eval-model|1")
        );
    }

    #[test]
    fn fields_are_trimmed_and_typed_like_python_str() {
        let meta = GenMeta::parse(
            Stage::Draft,
            br#"{"combo_id": 7, "template_id": "  ", "llm_model_id": true, "replicate": null}"#,
        )
        .expect("an object parses");
        assert_eq!(meta.combo_id.as_deref(), Some("7"));
        assert_eq!(meta.template_id, None, "whitespace only is empty");
        assert_eq!(meta.llm_model_id.as_deref(), Some("True"));
        assert_eq!(meta.replicate, 1.into());
        assert_eq!(
            GenMeta::parse(Stage::Draft, b"[1]"),
            Err(MetaError::NotObject)
        );
        assert_eq!(
            GenMeta::parse(Stage::Draft, br#"{"replicate": [1]}"#),
            Err(MetaError::Replicate("[1]".into()))
        );
        assert_eq!(
            GenMeta::parse(Stage::Draft, br#"{"replicate": " 3 "}"#).map(|m| m.replicate),
            Ok(3.into())
        );
    }

    // The reference reads a replicate with int(value): JSON integers of any size exactly,
    // strings as int() reads text, fractions truncated (docs/reference.md §3.9, D23).
    #[test]
    fn replicates_of_any_size_are_read_exactly() {
        let read = |json: &str| {
            GenMeta::parse(Stage::Draft, json.as_bytes()).map(|m| m.replicate.to_string())
        };
        for (json, want) in [
            (
                r#"{"replicate": 99999999999999999999}"#,
                "99999999999999999999",
            ),
            (
                r#"{"replicate": -99999999999999999999}"#,
                "-99999999999999999999",
            ),
            (
                r#"{"replicate": 18446744073709551615}"#,
                "18446744073709551615",
            ),
            (r#"{"replicate": "1_0"}"#, "10"),
            (
                r#"{"replicate": " +99_999_999_999_999_999_999 "}"#,
                "99999999999999999999",
            ),
            (r#"{"replicate": 2.7}"#, "2"),
        ] {
            assert_eq!(read(json).as_deref(), Ok(want), "{json}");
        }
        // JSON does not allow a BOM; the reference's json.load refused it too (D20).
        assert_eq!(
            GenMeta::parse(Stage::Draft, b"\xEF\xBB\xBF{\"replicate\": 1}"),
            Err(MetaError::ByteOrderMark)
        );
        // A float beyond 64 bits (Python would give its exact binary value) is not read.
        assert!(read(r#"{"replicate": 1e20}"#).is_err());
        let expected =
            "{\n  \"origin_cohort_id\": \"a\",\n  \"replicate\": 99999999999999999999\n}";
        let same = br#"{"replicate":99999999999999999999, "origin_cohort_id": "a"}"#;
        assert_eq!(compare_fields(same, expected), FieldCheck::Same);
        // serde_json reads both as the same float; their digits differ.
        let other = br#"{"replicate": 100000000000000000000, "origin_cohort_id": "a"}"#;
        assert_eq!(
            compare_fields(other, expected),
            FieldCheck::Differs(vec![(
                "replicate".into(),
                "100000000000000000000".into(),
                "99999999999999999999".into()
            )])
        );
    }
}
