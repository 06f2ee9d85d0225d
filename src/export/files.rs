//! The bytes of every exported file, and atomic writing.
//!
//! `membership.csv`, `manifest.json` and `metadata.json` are the reference's formats byte for
//! byte (semantics §3.12–§3.14, D13); `cohort.lock.json` is cohortdb's own (CLI.md).

use std::io::Write;
use std::path::Path;

use super::{ExportProgress, Stored};
use crate::error::{Error, IoContext, Result};
use crate::ids::Stage;
use crate::record::Member;
use crate::record::{Members, Record, SCHEME};
use crate::spec::Bundle;
use crate::textfmt::PyJson;

pub use crate::gens::{metadata_path, metadata_signature};

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
