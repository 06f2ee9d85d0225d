//! The bytes of every exported file: `membership.csv`, `manifest.json` and `metadata.json`
//! are the reference's formats byte for byte (docs/reference.md §3.12–§3.14, docs/decisions.md
//! D13); `cohort.lock.json` is cohortdb's own (docs/export-verify.md).

use crate::ids::Stage;
use crate::record::{Member, Members, Record, SCHEME, Stored};
use crate::spec::Bundle;
use crate::textfmt::PyJson;

/// The membership file.
pub const MEMBERSHIP_NAME: &str = "membership.csv";
/// The manifest file.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The lock file.
pub const LOCK_NAME: &str = "cohort.lock.json";
/// The lock file format version.
pub const LOCK_FORMAT: &str = "cohortdb-lock-1";

/// `membership.csv`: `stage,gen_id`, LF line ends, a trailing newline (docs/reference.md §3.13).
pub fn membership_csv(members: &Members) -> Vec<u8> {
    let mut out = Vec::with_capacity(members.len() * 32 + 16);
    out.extend_from_slice(b"stage,gen_id\n");
    for m in members.iter() {
        out.extend_from_slice(m.stage.as_str().as_bytes());
        out.push(b',');
        crate::textfmt::write_csv_field(&mut out, m.gen_id.as_bytes(), false)
            .expect("writing to a Vec cannot fail");
        out.push(b'\n');
    }
    out
}

/// `gens/<stage>/<gen_id>/metadata.json` of a member (docs/reference.md §3.12): keys in the
/// reference's order, optional ones only when non-empty, 2-space indent, no trailing newline.
pub fn metadata_json(cohort_id: &str, member: &Member<'_>, mode: &str) -> String {
    let mut fields: Vec<(String, PyJson)> = vec![
        ("stage".into(), PyJson::Str(member.stage.as_str().into())),
        ("gen_id".into(), PyJson::Str(member.gen_id.into())),
        ("origin_cohort_id".into(), PyJson::Str(cohort_id.into())),
        ("mode".into(), PyJson::Str(mode.into())),
    ];
    let mut optional = |key: &str, value: &str| {
        if !value.is_empty() {
            fields.push((key.into(), PyJson::Str(value.into())));
        }
    };
    optional("template_id", member.template_id);
    if member.stage == Stage::Draft {
        optional("combo_id", member.combo_id);
    }
    optional("parent_gen_id", member.parent_gen_id.unwrap_or_default());
    optional("llm_model_id", member.llm_model_id);
    fields.push(("replicate".into(), PyJson::from(member.replicate)));
    PyJson::Object(fields).render()
}

/// `cohort.lock.json`: a pure function of the record (no time, no paths of this machine): the
/// hash scheme, content hash, cohort id, members per stage, the canonical spec hash, and the
/// BLAKE3 of membership.csv, manifest.json and every stored spec file. Ends with a newline.
pub fn lock_json(record: &Record, membership: &[u8], bundle: &Bundle) -> String {
    lock_json_for(record, &blake3::hash(membership).to_hex(), bundle)
}

/// [`lock_json`] from the BLAKE3 (hex) of `membership.csv` instead of its bytes: `status`
/// hashes the expected membership while streaming it from the store.
pub fn lock_json_for(record: &Record, membership_blake3: &str, bundle: &Bundle) -> String {
    let hex = |b: &[u8]| blake3::hash(b).to_hex().to_string();
    let mut files: Vec<(String, PyJson)> = vec![
        (
            MANIFEST_NAME.into(),
            PyJson::Str(hex(record.manifest.as_bytes())),
        ),
        (
            MEMBERSHIP_NAME.into(),
            PyJson::Str(membership_blake3.to_string()),
        ),
    ];
    for (path, bytes) in &bundle.files {
        files.push((format!("spec/{path}"), PyJson::Str(hex(bytes))));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let counts = PyJson::Object(
        Stage::ALL
            .iter()
            .zip(record.counts)
            .map(|(s, n)| (s.as_str().to_string(), PyJson::Int(n as i64)))
            .collect(),
    );
    let mut text = PyJson::Object(vec![
        ("format".into(), PyJson::Str(LOCK_FORMAT.into())),
        ("hash_scheme".into(), PyJson::Str(SCHEME.into())),
        ("cohort_id".into(), PyJson::Str(record.cohort_id.clone())),
        (
            "content_hash".into(),
            PyJson::Str(record.content_hash.clone()),
        ),
        ("spec_hash".into(), PyJson::Str(record.spec_hash.clone())),
        ("counts".into(), counts),
        ("files".into(), PyJson::Object(files)),
    ])
    .render();
    text.push('\n');
    text
}

/// The generated files of a stored cohort: `membership.csv`, and the lock file over it, the
/// manifest and the stored spec files.
pub fn generated(stored: &Stored) -> (Vec<u8>, String) {
    let membership = membership_csv(&stored.members);
    let lock = lock_json(&stored.record, &membership, &stored.bundle);
    (membership, lock)
}
