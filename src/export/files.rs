//! The bytes of every exported file, and atomic writing.
//!
//! `membership.csv`, `manifest.json` and `metadata.json` are the reference's formats byte for
//! byte (semantics §3.12–§3.14, D13); `cohort.lock.json` is cohortdb's own (CLI.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ExportProgress, Stored};
use crate::error::{Error, IoContext, Result};
use crate::ids::{self, Stage};
use crate::record::Member;
use crate::record::{Members, Record, SCHEME};
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

/// `membership.csv`: `stage,gen_id`, LF line ends, a trailing newline (semantics §3.13).
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

/// `gens/<stage>/<gen_id>/metadata.json` of a member (semantics §3.12): keys in the reference's
/// order, optional ones only when non-empty, 2-space indent, no trailing newline.
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
    fields.push(("replicate".into(), PyJson::Int(member.replicate)));
    PyJson::Object(fields).render()
}

/// Where a member's metadata lives.
pub fn metadata_path(gens_root: &Path, stage: Stage, gen_id: &str) -> PathBuf {
    gens_root
        .join(stage.as_str())
        .join(gen_id)
        .join("metadata.json")
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        _ => None,
    }
}

/// The signature a metadata.json describes (`signature_from_metadata`, semantics §3.9), or
/// `None` when the file is not readable as metadata of that stage.
pub fn metadata_signature(stage: Stage, bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let obj = value.as_object()?;
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| obj.get(*n).filter(|v| !v.is_null()).and_then(json_text))
    };
    let replicate = match obj.get("replicate") {
        None | Some(serde_json::Value::Null) => 1,
        Some(serde_json::Value::String(s)) => {
            let t = ids::py_strip(s);
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse().ok()?
        }
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))?,
        Some(serde_json::Value::Bool(b)) => i64::from(*b),
        Some(_) => return None,
    };
    match stage {
        Stage::Draft => ids::draft_signature(
            &field(&["combo_id"])?,
            &field(&["template_id"])?,
            &field(&["llm_model_id"])?,
            replicate,
        ),
        Stage::Essay => ids::essay_signature(
            &field(&["parent_gen_id"])?,
            &field(&["template_id", "essay_template"])?,
            replicate,
        ),
        Stage::Evaluation => ids::evaluation_signature(
            &field(&["parent_gen_id"])?,
            &field(&["template_id", "evaluation_template"])?,
            &field(&["llm_model_id"])?,
            replicate,
        ),
    }
    .ok()
}

/// `cohort.lock.json`: a pure function of the record (no time, no paths of this machine): the
/// hash scheme, content hash, cohort id, members per stage, the canonical spec hash, and the
/// BLAKE3 of membership.csv, manifest.json and every stored spec file. Ends with a newline.
pub fn lock_json(record: &Record, membership: &[u8], bundle: &Bundle) -> String {
    let hex = |b: &[u8]| blake3::hash(b).to_hex().to_string();
    let mut files: Vec<(String, PyJson)> = vec![
        (
            MANIFEST_NAME.into(),
            PyJson::Str(hex(record.manifest.as_bytes())),
        ),
        (MEMBERSHIP_NAME.into(), PyJson::Str(hex(membership))),
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

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename
/// (creating the folder if needed). A crash leaves either the old file, the new one, or none,
/// never a partial one; the temporary file may be left behind and is overwritten next time.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).at(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp).at(&tmp)?;
    file.write_all(bytes).at(&tmp)?;
    drop(file);
    std::fs::rename(&tmp, path).at(path)
}

/// Writes the metadata.json of every member in `ordinals` (which have none yet), on two threads:
/// creating a million small files is bound by system calls, which run in parallel.
pub fn write_metadata(
    stored: &Stored,
    gens_root: &Path,
    ordinals: &[u32],
    progress: &dyn ExportProgress,
) -> Result<()> {
    if ordinals.is_empty() {
        return Ok(());
    }
    for stage in Stage::ALL {
        let dir = gens_root.join(stage.as_str());
        std::fs::create_dir_all(&dir).at(&dir)?;
    }
    let cohort_id = stored.record.cohort_id.as_str();
    let write_one = |ordinal: u32| -> Result<()> {
        let member = stored.members.get(ordinal as usize);
        let dir = gens_root.join(member.stage.as_str()).join(member.gen_id);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(&dir, e)),
        }
        let json = metadata_json(
            cohort_id,
            &member,
            stored.mode(member.stage, member.template_id),
        );
        let tmp = dir.join(".metadata.json.tmp");
        std::fs::write(&tmp, json.as_bytes()).at(&tmp)?;
        let target = dir.join("metadata.json");
        std::fs::rename(&tmp, &target).at(&target)
    };
    let half = ordinals.len().div_ceil(2);
    std::thread::scope(|scope| {
        let workers: Vec<_> = ordinals
            .chunks(half.max(1))
            .map(|chunk| {
                scope.spawn(|| -> Result<()> {
                    for (i, ordinal) in chunk.iter().enumerate() {
                        write_one(*ordinal)?;
                        if i % 1024 == 1023 {
                            progress.advance(1024);
                        }
                    }
                    progress.advance((chunk.len() % 1024) as u64);
                    Ok(())
                })
            })
            .collect();
        let mut result = Ok(());
        for worker in workers {
            let outcome = worker
                .join()
                .unwrap_or_else(|_| Err(Error::usage("a metadata writer thread panicked")));
            if result.is_ok() {
                result = outcome;
            }
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_signatures_follow_the_reference() {
        // semantics §6.10 D6, D7.
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
        let essay = br#"{"parent_gen_id": "d_x", "essay_template": "E", "replicate": null}"#;
        assert_eq!(
            metadata_signature(Stage::Essay, essay).as_deref(),
            Some("d_x|e|1")
        );
        assert_eq!(metadata_signature(Stage::Draft, b"not json"), None);
        assert_eq!(
            metadata_signature(Stage::Draft, br#"{"combo_id": "c"}"#),
            None
        );
        assert_eq!(
            metadata_signature(
                Stage::Draft,
                br#"{"combo_id": "c", "template_id": "t", "llm_model_id": "m", "replicate": "x"}"#
            ),
            None
        );
    }
}
