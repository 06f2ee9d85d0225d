//! Deterministic generation ids, exactly as the reference derives them (docs/reference.md §3.9,
//! D1), and the Python string semantics they depend on (`str.strip`, `str.lower`, `int()`).
//!
//! Pure functions, no I/O.

use std::fmt::Write as _;

use blake2::Digest as _;
use blake2::digest::consts::U10;

/// A pipeline stage. The order of the variants is the order of membership.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Phase 1: a draft from a combo, a draft template and an LLM.
    Draft,
    /// Phase 2: an essay from a draft.
    Essay,
    /// Phase 3: an evaluation of an essay.
    Evaluation,
}

impl Stage {
    /// All stages in membership order.
    pub const ALL: [Stage; 3] = [Stage::Draft, Stage::Essay, Stage::Evaluation];

    /// The lowercase name used in files and ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Essay => "essay",
            Stage::Evaluation => "evaluation",
        }
    }

    /// The gen_id prefix (`d_`, `e_`, `v_`).
    pub fn prefix(self) -> &'static str {
        match self {
            Stage::Draft => "d_",
            Stage::Essay => "e_",
            Stage::Evaluation => "v_",
        }
    }

    /// Parses the exact lowercase stage name (`DRAFT` is not a stage, as in the reference).
    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "draft" => Some(Stage::Draft),
            "essay" => Some(Stage::Essay),
            "evaluation" => Some(Stage::Evaluation),
            _ => None,
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text field of a plan entry (docs/reference.md §3.4), named instead of numbered. The order of
/// the variants is the `temp.design` column order and the `role` number stored in the cohort
/// value tables ([`Role::index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The combo id.
    Combo,
    /// The draft template.
    DraftTemplate,
    /// The draft LLM.
    DraftLlm,
    /// The essay template.
    EssayTemplate,
    /// The essay LLM.
    EssayLlm,
    /// The evaluation template.
    EvaluationTemplate,
    /// The evaluation LLM.
    EvaluationLlm,
}

impl Role {
    /// All roles, in column order.
    pub const ALL: [Role; 7] = [
        Role::Combo,
        Role::DraftTemplate,
        Role::DraftLlm,
        Role::EssayTemplate,
        Role::EssayLlm,
        Role::EvaluationTemplate,
        Role::EvaluationLlm,
    ];

    /// The role's number in the store's value tables and in `temp.design`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The role with number `index`.
    pub fn from_index(index: usize) -> Option<Role> {
        Role::ALL.get(index).copied()
    }

    /// The template role of a stage.
    pub fn template(stage: Stage) -> Role {
        match stage {
            Stage::Draft => Role::DraftTemplate,
            Stage::Essay => Role::EssayTemplate,
            Stage::Evaluation => Role::EvaluationTemplate,
        }
    }

    /// The LLM role of a stage.
    pub fn llm(stage: Stage) -> Role {
        match stage {
            Stage::Draft => Role::DraftLlm,
            Stage::Essay => Role::EssayLlm,
            Stage::Evaluation => Role::EvaluationLlm,
        }
    }

    /// The stage of a template role (`None` for the combo and the LLMs).
    pub fn template_stage(self) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| Role::template(*s) == self)
    }
}

/// A cohort id (D11): 1–128 characters of `[A-Za-z0-9._-]`, starting with a letter or digit.
/// Checked before anything is read or written, so it is always a safe folder name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CohortId(String);

impl CohortId {
    /// Validates a cohort id.
    pub fn parse(text: &str) -> crate::error::Result<CohortId> {
        let bytes = text.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= 128
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            return Ok(CohortId(text.to_string()));
        }
        let shown: String = if text.chars().count() > 60 {
            format!(
                "{}… ({} characters)",
                text.chars().take(60).collect::<String>(),
                text.chars().count()
            )
        } else {
            text.to_string()
        };
        // Invisible format characters are named with their position and code point (D20).
        Err(crate::error::UsageError::BadCohortId {
            value: text.to_string(),
            shown,
            invisible: crate::textfmt::invisible_problem(text),
        }
        .into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CohortId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Python's `str.isspace()`: Rust's `char::is_whitespace` plus the information separators
/// U+001C–U+001F, which Python counts as whitespace and Rust does not (docs/reference.md §8 Q-UNI).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no arguments.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str.lower()` (full Unicode lowercase mapping, final sigma included).
pub fn py_lower(s: &str) -> String {
    s.to_lowercase()
}

/// Python's `int(text)` for a string: surrounding whitespace, an optional sign, ASCII digits
/// with single underscores between them. `"1.0"`, `""` and `"1_"` are rejected, as in Python.
/// (Python also accepts non-ASCII decimal digits; no catalog or spec uses them, and they are
/// rejected here.)
pub fn py_int(text: &str) -> Option<i64> {
    let s = py_strip(text);
    let (negative, digits) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    let mut value: i64 = 0;
    let mut previous_underscore = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                previous_underscore = false;
            }
            b'_' if !previous_underscore => previous_underscore = true,
            _ => return None,
        }
    }
    Some(if negative { -value } else { value })
}

/// Writes `value` in base 36 (`0-9a-z`) without padding (`"0"` for zero).
pub fn base36(value: u128) -> String {
    let mut out = String::with_capacity(26);
    push_base36(&mut out, value);
    out
}

const BASE36_DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// 36^12, the largest power of 36 below 2^64 whose digits fit a u64 chunk.
const CHUNK: u64 = 4_738_381_338_321_616_896;

fn push_base36(out: &mut String, value: u128) {
    // u128 division is slow; split once into u64 chunks of 12 digits.
    let mut chunks = [0u64; 3];
    let mut n = 0;
    let mut rest = value;
    loop {
        chunks[n] = (rest % u128::from(CHUNK)) as u64;
        rest /= u128::from(CHUNK);
        n += 1;
        if rest == 0 {
            break;
        }
    }
    let mut buf = [0u8; 36];
    let mut len = 0;
    for (k, chunk) in chunks[..n].iter().enumerate() {
        let mut c = *chunk;
        let last = k + 1 == n;
        let mut digits = 0;
        while c > 0 || (!last && digits < 12) || (last && digits == 0) {
            buf[len] = BASE36_DIGITS[(c % 36) as usize];
            len += 1;
            c /= 36;
            digits += 1;
        }
    }
    buf[..len].reverse();
    out.push_str(std::str::from_utf8(&buf[..len]).expect("base36 digits are ASCII"));
}

/// Why a signature component was refused (docs/reference.md §3.9 "Normalising a text component").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// A component is empty after trimming.
    Empty {
        /// The reference's field name (`combo_id`, `draft_template_id`, …).
        field: &'static str,
    },
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Empty { field } => write!(f, "{field} is empty"),
        }
    }
}

/// Normalises one text component: Python `str(value).strip()`, refused when empty, then
/// `str.lower()`.
pub fn normalize_component(field: &'static str, value: &str) -> Result<String, SignatureError> {
    let stripped = py_strip(value);
    if stripped.is_empty() {
        return Err(SignatureError::Empty { field });
    }
    Ok(py_lower(stripped))
}

/// The one formatter of the canonical signature string (docs/reference.md §3.9 step 2): components
/// joined with `|`, then the decimal replicate, e.g. `combo-1|draft-a|gen-model|1`. Used by
/// [`signature`], by the build (whose components are normalised already) and by the
/// `gen_signature` SQL function.
pub struct SignatureWriter<'a> {
    out: &'a mut String,
}

impl<'a> SignatureWriter<'a> {
    /// Starts a signature in `out` (cleared first).
    pub fn new(out: &'a mut String) -> Self {
        out.clear();
        SignatureWriter { out }
    }

    /// Appends a component that is normalised already (trimmed and lowercased).
    pub fn normalized(&mut self, part: &str) {
        self.out.push_str(part);
        self.out.push('|');
    }

    /// Appends a raw text component, normalised here (Python-trimmed, lowercased; an ASCII
    /// text is lowercased in place). Returns false, appending nothing, when it is empty.
    pub fn component(&mut self, value: &str) -> bool {
        let stripped = py_strip(value);
        if stripped.is_empty() {
            return false;
        }
        if stripped.is_ascii() {
            self.out
                .extend(stripped.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            self.out.push_str(&py_lower(stripped));
        }
        self.out.push('|');
        true
    }

    /// Appends an integer component in decimal.
    pub fn integer(&mut self, value: i64) {
        write!(self.out, "{value}|").expect("writing to a String cannot fail");
    }

    /// Ends the signature with the replicate.
    pub fn finish(self, replicate: i64) {
        write!(self.out, "{replicate}").expect("writing to a String cannot fail");
    }
}

/// The canonical signature string of a generation: normalised text components and the
/// replicate joined with `|` (docs/reference.md §3.9 step 2), e.g. `combo-1|draft-a|gen-model|1`.
///
/// `parts` are `(field name, value)` pairs in signature order.
pub fn signature(parts: &[(&'static str, &str)], replicate: i64) -> Result<String, SignatureError> {
    let mut out = String::with_capacity(64);
    let mut writer = SignatureWriter::new(&mut out);
    for (field, value) in parts {
        if !writer.component(value) {
            return Err(SignatureError::Empty { field });
        }
    }
    writer.finish(replicate);
    Ok(out)
}

/// The draft signature `(combo_id, draft_template_id, llm_model_id, replicate)`.
pub fn draft_signature(
    combo: &str,
    template: &str,
    llm: &str,
    replicate: i64,
) -> Result<String, SignatureError> {
    signature(
        &[
            ("combo_id", combo),
            ("draft_template_id", template),
            ("llm_model_id", llm),
        ],
        replicate,
    )
}

/// The essay signature `(draft_gen_id, essay_template_id, replicate)`; the essay LLM is not
/// part of it (docs/reference.md §8 Q-ESSAYLLM, D2).
pub fn essay_signature(
    draft_gen_id: &str,
    template: &str,
    replicate: i64,
) -> Result<String, SignatureError> {
    signature(
        &[
            ("draft_gen_id", draft_gen_id),
            ("essay_template_id", template),
        ],
        replicate,
    )
}

/// The evaluation signature `(essay_gen_id, evaluation_template_id, llm_model_id, replicate)`.
pub fn evaluation_signature(
    essay_gen_id: &str,
    template: &str,
    llm: &str,
    replicate: i64,
) -> Result<String, SignatureError> {
    signature(
        &[
            ("essay_gen_id", essay_gen_id),
            ("evaluation_template_id", template),
            ("llm_model_id", llm),
        ],
        replicate,
    )
}

/// `compute_deterministic_gen_id(stage, signature, collision_index)`: BLAKE2b with a 10-byte
/// digest over the canonical signature (plus `|collision:N`), read big-endian, in base 36,
/// prefixed by stage, suffixed `-N` for a collision index N > 0.
pub fn gen_id(stage: Stage, canonical_signature: &str, collision_index: u32) -> String {
    let mut hasher = blake2::Blake2b::<U10>::new();
    hasher.update(canonical_signature.as_bytes());
    if collision_index > 0 {
        hasher.update(format!("|collision:{collision_index}").as_bytes());
    }
    let digest = hasher.finalize();
    let mut value: u128 = 0;
    for byte in digest.iter() {
        value = (value << 8) | u128::from(*byte);
    }
    let mut id = String::with_capacity(24);
    id.push_str(stage.prefix());
    push_base36(&mut id, value);
    if collision_index > 0 {
        write!(id, "-{collision_index}").expect("write to String");
    }
    id
}

/// A gen_id checked against its grammar before any path is built from it: the stage's prefix
/// (`d_`, `e_`, `v_`), 1–26 base-36 digits (`[0-9a-z]`, docs/reference.md §3.9), and for a
/// collision index a `-` and 1–3 digits. It is therefore always one plain folder name: no `/`,
/// no `..`, no NUL, never absolute. Everything read back from a store (data, not code) goes
/// through [`GenId::parse`] before export or verify joins it to a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenId<'a>(&'a str);

impl<'a> GenId<'a> {
    /// Validates `text` as a gen_id of `stage`.
    pub fn parse(stage: Stage, text: &'a str) -> Option<GenId<'a>> {
        let rest = text.strip_prefix(stage.prefix())?;
        let (digits, collision) = match rest.split_once('-') {
            Some((d, c)) => (d, Some(c)),
            None => (rest, None),
        };
        let base36 = |s: &str| {
            (1..=26).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        };
        let index = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        (base36(digits) && collision.is_none_or(index)).then_some(GenId(text))
    }

    /// The id.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// How many collision indices the reference tries before giving up (attempts 0..=4).
pub const MAX_COLLISION_ATTEMPTS: u32 = 5;

/// True for ids of the legacy scheme (docs/reference.md §5.1): 16 base-36 characters, no stage
/// prefix.
pub fn is_legacy_gen_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {

    #[test]
    fn gen_ids_are_checked_against_their_grammar() {
        assert!(GenId::parse(Stage::Draft, "d_3rdru73r8ppaqlsz").is_some());
        assert!(GenId::parse(Stage::Essay, "e_tx3ey0d11lgtnog-2").is_some());
        assert!(
            GenId::parse(Stage::Evaluation, &gen_id(Stage::Evaluation, "a|b|c|1", 4)).is_some()
        );
        for bad in [
            "e_tx3ey0d11lgtnog",
            "d_",
            "d_../../x",
            "d_a/b",
            "/etc/passwd",
            "d_ABC",
            "d_a-",
            "d_a-1234",
            "d_a-1-2",
            "d_a\0",
            "..",
        ] {
            assert!(GenId::parse(Stage::Draft, bad).is_none(), "{bad:?}");
        }
        assert!(GenId::parse(Stage::Draft, &format!("d_{}", "a".repeat(27))).is_none());
    }

    #[test]
    fn cohort_ids_are_plain_names() {
        for ok in ["spec-cohort", "c1", "A.b_c-9", &"x".repeat(128)] {
            assert!(CohortId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../spec-cohort",
            "spec cohort",
            "a/b",
            ".hidden",
            "-x",
            "a\0b",
            &"x".repeat(129),
            &"y".repeat(1000),
            "é",
        ] {
            assert!(CohortId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles_are_numbered_in_column_order() {
        for (i, role) in Role::ALL.iter().enumerate() {
            assert_eq!(role.index(), i);
            assert_eq!(Role::from_index(i), Some(*role));
        }
        assert_eq!(Role::from_index(7), None);
        for stage in Stage::ALL {
            assert_eq!(Role::template(stage).template_stage(), Some(stage));
            assert_eq!(Role::llm(stage).template_stage(), None);
        }
        assert_eq!(Role::Combo.template_stage(), None);
    }

    #[test]
    fn the_signature_writer_joins_normalised_parts() {
        let mut out = String::from("stale");
        let mut w = SignatureWriter::new(&mut out);
        assert!(w.component(" Combo-1 "));
        w.normalized("draft-a");
        assert!(!w.component(" \u{1f} "), "empty after Python strip");
        w.integer(-3);
        assert!(w.component("ΣΑΣ"));
        w.finish(2);
        assert_eq!(out, "combo-1|draft-a|-3|σας|2");
    }
    use super::*;

    fn blake2b80_hex(s: &str) -> String {
        let mut hasher = blake2::Blake2b::<U10>::new();
        hasher.update(s.as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    // Every vector of docs/reference.md §3.9.
    #[test]
    fn reference_vectors_hold() {
        let cases = [
            (
                Stage::Draft,
                "combo-1|draft-a|gen-model|1",
                0,
                "5f91242d74261501ccdc",
                "d_21hnyjluy35totlo",
            ),
            (
                Stage::Draft,
                "combo-1|draft-a|gen-model|2",
                0,
                "18c7dbbde5784e4b10e9",
                "d_j20xxjx46jf04bt",
            ),
            (
                Stage::Essay,
                "d_21hnyjluy35totlo|essay-x|1",
                0,
                "7bc6671947224a30b07d",
                "e_2n6ko9fgp89xemwt",
            ),
            (
                Stage::Evaluation,
                "e_2n6ko9fgp89xemwt|eval-1|eval-model|1",
                0,
                "01f50cd7b103c256718d",
                "v_1i6m1c7p4o18cct",
            ),
            (
                Stage::Draft,
                "combo|tpl|model|1",
                0,
                "fac59982971a244c4a0e",
                "d_5cucb6yezk5z03ri",
            ),
            (
                Stage::Draft,
                "combo|tpl|model|1",
                1,
                "a893d6f77c15ff17ebc9",
                "d_3lmvqkgnqsit2o5l-1",
            ),
            (
                Stage::Draft,
                "comboa|draft-tpl|gen-model|2",
                0,
                "ebb16b6c5b11dcb042b3",
                "d_518wg2h1qoy8ycab",
            ),
            (
                Stage::Draft,
                "combo_v1_a|creative-synthesis-v10|gemini_25_pro|1",
                0,
                "edfec8716711bd3a0815",
                "d_530mv6a462mquuj9",
            ),
        ];
        for (stage, canonical, collision, hex, id) in cases {
            let hashed = if collision > 0 {
                format!("{canonical}|collision:{collision}")
            } else {
                canonical.to_string()
            };
            assert_eq!(blake2b80_hex(&hashed), hex, "{canonical}");
            assert_eq!(gen_id(stage, canonical, collision), id, "{canonical}");
        }
    }

    #[test]
    fn signatures_normalise_like_the_reference() {
        // docs/reference.md §6.10 D1.
        let sig = draft_signature("ComboA", "Draft-Tpl", "Gen-Model", 2).unwrap();
        assert_eq!(sig, "comboa|draft-tpl|gen-model|2");
        assert_eq!(gen_id(Stage::Draft, &sig, 0), "d_518wg2h1qoy8ycab");
        assert_eq!(
            draft_signature(" x ", "", "m", 1),
            Err(SignatureError::Empty {
                field: "draft_template_id"
            })
        );
    }

    // docs/reference.md §6.9 B1: one draft, essay and evaluation.
    #[test]
    fn builder_vector_b1() {
        let d = gen_id(
            Stage::Draft,
            &draft_signature("combo-1", "draft-tpl", "draft-llm", 1).unwrap(),
            0,
        );
        assert_eq!(d, "d_4mo9abpjkxfv8d9u");
        let e = gen_id(
            Stage::Essay,
            &essay_signature(&d, "essay-tpl", 1).unwrap(),
            0,
        );
        assert_eq!(e, "e_2rr554791t6lo4zc");
        let v = gen_id(
            Stage::Evaluation,
            &evaluation_signature(&e, "eval-tpl", "eval-llm", 1).unwrap(),
            0,
        );
        assert_eq!(v, "v_nvlzt6yvsseas4z");
    }

    // docs/reference.md §3.17, second vector
    // (test_cohort_membership_cartesian_multiple_replicates).
    #[test]
    fn multiple_replicates_vector() {
        let d1 = gen_id(
            Stage::Draft,
            &draft_signature("combo-1", "draft-A", "gen-model", 1).unwrap(),
            0,
        );
        let d2 = gen_id(
            Stage::Draft,
            &draft_signature("combo-1", "draft-A", "gen-model", 2).unwrap(),
            0,
        );
        assert_eq!(
            (d1.as_str(), d2.as_str()),
            ("d_21hnyjluy35totlo", "d_j20xxjx46jf04bt")
        );
        let essays: Vec<String> = [(&d1, 1), (&d1, 2), (&d2, 1), (&d2, 2)]
            .iter()
            .map(|(d, r)| gen_id(Stage::Essay, &essay_signature(d, "essay-X", *r).unwrap(), 0))
            .collect();
        assert_eq!(
            essays,
            [
                "e_2n6ko9fgp89xemwt",
                "e_10l8p4ulo59x27ee",
                "e_9043sjl0rrfodar",
                "e_5d2q14uybbpoeskv"
            ]
        );
        let evals: Vec<String> = essays
            .iter()
            .map(|e| {
                gen_id(
                    Stage::Evaluation,
                    &evaluation_signature(e, "eval-1", "eval-model", 1).unwrap(),
                    0,
                )
            })
            .collect();
        assert_eq!(
            evals,
            [
                "v_1i6m1c7p4o18cct",
                "v_jjl08urq4zf6s5z",
                "v_dzzkgeelqfrt2v",
                "v_2z74i2a7129f5j6i"
            ]
        );
    }

    #[test]
    fn python_strip_includes_information_separators() {
        assert_eq!(py_strip("\u{1c}\u{85} a b\u{3000}\t"), "a b");
        assert_eq!(py_strip("\u{200b}x"), "\u{200b}x");
    }

    #[test]
    fn python_int_accepts_what_python_accepts() {
        assert_eq!(py_int(" 3 "), Some(3));
        assert_eq!(py_int("+7"), Some(7));
        assert_eq!(py_int("-2"), Some(-2));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("007"), Some(7));
        for bad in [
            "",
            " ",
            "1.0",
            "1__0",
            "_1",
            "1_",
            "x",
            "+",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(py_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base36_has_no_padding() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(u128::from(CHUNK)), "1000000000000");
        assert_eq!(base36(u128::from(CHUNK) - 1), "zzzzzzzzzzzz");
        let big: u128 = (1 << 80) - 1;
        let mut naive = Vec::new();
        let mut v = big;
        while v > 0 {
            naive.push(BASE36_DIGITS[(v % 36) as usize]);
            v /= 36;
        }
        naive.reverse();
        assert_eq!(base36(big), String::from_utf8(naive).unwrap());
    }

    #[test]
    fn legacy_ids_are_recognised() {
        assert!(is_legacy_gen_id("43ftibqi56628az1"));
        assert!(!is_legacy_gen_id("d_21hnyjluy35totlo"));
        assert!(!is_legacy_gen_id("d_j20xxjx46jf04b"));
    }
}
