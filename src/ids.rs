//! Deterministic generation ids, exactly as the reference derives them (docs/reference.md §3.9,
//! D1), and the Python string semantics they depend on (`str.strip`, `str.lower`, `int()`).
//! The derivation itself ([`Stage`], [`SignatureWriter`], [`gen_id`], the Python string
//! functions) lives in the `cohortdb-genid` crate, shared with the Python package and the SQLite
//! extension, and is re-exported here; this module adds roles, cohort ids and the per-stage
//! signatures.
//!
//! Pure functions, no I/O.

pub use cohortdb_genid::{
    SignatureWriter, Stage, base36, gen_id, is_py_space, py_int, py_lower, py_strip,
};

pub use crate::replicate::Replicate;

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

/// The canonical signature string of a generation: normalised text components and the
/// replicate joined with `|` (docs/reference.md §3.9 step 2), e.g. `combo-1|draft-a|gen-model|1`.
///
/// `parts` are `(field name, value)` pairs in signature order.
pub fn signature(
    parts: &[(&'static str, &str)],
    replicate: &Replicate,
) -> Result<String, SignatureError> {
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
    replicate: &Replicate,
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
    replicate: &Replicate,
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
    replicate: &Replicate,
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

    /// SQL cannot call `Role::template`: the `membership` view (`migrations/V2`), the build's
    /// `temp.member_rows` view and the D2 registry check compute a member's template and LLM
    /// roles as `2 * stage + 1` and `2 * stage + 2` (docs/storage.md, "Cohort tables"). A
    /// lookup table joined per row cost the `membership` view 30% on 1.2M members, so the
    /// layout stays arithmetic; this pins the enum to it.
    #[test]
    fn roles_follow_the_layout_the_sql_computes() {
        assert_eq!(super::Role::Combo.index(), 0);
        for stage in Stage::ALL {
            let s = stage as usize;
            assert_eq!(super::Role::template(stage).index(), 2 * s + 1, "{stage:?}");
            assert_eq!(super::Role::llm(stage).index(), 2 * s + 2, "{stage:?}");
        }
    }

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

    use super::*;

    fn r(n: i64) -> Replicate {
        Replicate::from(n)
    }

    #[test]
    fn signatures_normalise_like_the_reference() {
        // docs/reference.md §6.10 D1.
        let sig = draft_signature("ComboA", "Draft-Tpl", "Gen-Model", &r(2)).unwrap();
        assert_eq!(sig, "comboa|draft-tpl|gen-model|2");
        assert_eq!(gen_id(Stage::Draft, &sig, 0), "d_518wg2h1qoy8ycab");
        assert_eq!(
            draft_signature(" x ", "", "m", &r(1)),
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
            &draft_signature("combo-1", "draft-tpl", "draft-llm", &r(1)).unwrap(),
            0,
        );
        assert_eq!(d, "d_4mo9abpjkxfv8d9u");
        let e = gen_id(
            Stage::Essay,
            &essay_signature(&d, "essay-tpl", &r(1)).unwrap(),
            0,
        );
        assert_eq!(e, "e_2rr554791t6lo4zc");
        let v = gen_id(
            Stage::Evaluation,
            &evaluation_signature(&e, "eval-tpl", "eval-llm", &r(1)).unwrap(),
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
            &draft_signature("combo-1", "draft-A", "gen-model", &r(1)).unwrap(),
            0,
        );
        let d2 = gen_id(
            Stage::Draft,
            &draft_signature("combo-1", "draft-A", "gen-model", &r(2)).unwrap(),
            0,
        );
        assert_eq!(
            (d1.as_str(), d2.as_str()),
            ("d_21hnyjluy35totlo", "d_j20xxjx46jf04bt")
        );
        let essays: Vec<String> = [(&d1, 1), (&d1, 2), (&d2, 1), (&d2, 2)]
            .iter()
            .map(|(d, n)| {
                gen_id(
                    Stage::Essay,
                    &essay_signature(d, "essay-X", &r(*n)).unwrap(),
                    0,
                )
            })
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
                    &evaluation_signature(e, "eval-1", "eval-model", &r(1)).unwrap(),
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
    fn legacy_ids_are_recognised() {
        assert!(is_legacy_gen_id("43ftibqi56628az1"));
        assert!(!is_legacy_gen_id("d_21hnyjluy35totlo"));
        assert!(!is_legacy_gen_id("d_j20xxjx46jf04b"));
    }
}
