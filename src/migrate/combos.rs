//! Stable combo ids and the legacy single-combo rule (docs/reference.md §3.16, §5.1 "Combos").

use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::flags::read_bytes;
use crate::csvread::{CsvReader, Dialect, RawRecord};
use crate::error::{CatalogErrorKind, Error, Location, Result};
use crate::layout::write_atomic;

/// The columns of `combo_mappings.csv`, in the reference's order.
pub const COMBO_COLUMNS: [&str; 6] = [
    "combo_id",
    "version",
    "concept_id",
    "description_level",
    "k_max",
    "created_at",
];

/// `generate_combo_id(concept_ids, level, k_max)`: the sorted concept ids joined with `|`, then
/// `|<level>|<k_max>`, SHA-256, the first 12 hex digits, prefixed `combo_v1_`.
pub fn combo_id(concepts: &[String], level: &str, k_max: i64) -> String {
    let mut sorted: Vec<&str> = concepts.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let text = format!("{}|{level}|{k_max}", sorted.join("|"));
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("combo_v1_{hex}")
}

/// What [`get_or_create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComboOutcome {
    /// The combo was already in the file with the same concepts, level and k_max.
    Existing,
    /// The combo's rows were appended to the file.
    Appended {
        /// Rows added (one per concept).
        rows: usize,
    },
}

/// A combo as the file describes it: the first row's level and k_max, and the concept set.
struct Found {
    level: String,
    k_max: String,
    concepts: BTreeSet<String>,
    line: u64,
}

/// `ComboIDManager.get_or_create_combo_id`: the combo id of `concepts`; when the file lacks
/// it, its rows (one per concept, sorted, version `v1`, `created_at` = `now`) are appended,
/// keeping every existing byte. A file that has the id for other concepts, level or k_max is
/// refused (`combo_collision`).
pub fn get_or_create(
    path: &Path,
    concepts: &[String],
    level: &str,
    k_max: i64,
    now: &str,
) -> Result<(String, ComboOutcome)> {
    let id = combo_id(concepts, level, k_max);
    let existing = if path.exists() {
        Some(read_bytes(path)?)
    } else {
        None
    };
    let header = match &existing {
        Some(bytes) => {
            let (header, found) = find(path, bytes, &id)?;
            if let Some(found) = found {
                let wanted: BTreeSet<String> = concepts.iter().cloned().collect();
                let same_k = found.k_max.trim().parse::<f64>().ok() == Some(k_max as f64);
                if found.concepts != wanted || found.level != level || !same_k {
                    return Err(Error::catalog(
                        Location::line(path, found.line),
                        CatalogErrorKind::ComboCollision {
                            id,
                            concepts: found.concepts,
                            level: found.level,
                            k_max: found.k_max,
                            wanted,
                            wanted_level: level.to_string(),
                            wanted_k_max: k_max,
                        },
                    ));
                }
                return Ok((id, ComboOutcome::Existing));
            }
            header
        }
        None => COMBO_COLUMNS.iter().map(|c| (*c).to_string()).collect(),
    };
    let mut bytes = existing.unwrap_or_default();
    let line_end: &[u8] = if bytes.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    if bytes.is_empty() {
        crate::textfmt::write_csv_record(&mut bytes, &header, line_end)
            .expect("writing to a Vec cannot fail");
    } else if !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r") {
        bytes.extend_from_slice(line_end);
    }
    let mut sorted: Vec<&String> = concepts.iter().collect();
    sorted.sort_unstable();
    let k_max_text = k_max.to_string();
    for concept in &sorted {
        let row: Vec<&str> = header
            .iter()
            .map(|column| match column.as_str() {
                "combo_id" => id.as_str(),
                "version" => "v1",
                "concept_id" => concept.as_str(),
                "description_level" => level,
                "k_max" => k_max_text.as_str(),
                "created_at" => now,
                _ => "",
            })
            .collect();
        crate::textfmt::write_csv_record(&mut bytes, &row, line_end)
            .expect("writing to a Vec cannot fail");
    }
    write_atomic(path, &bytes)?;
    Ok((id, ComboOutcome::Appended { rows: sorted.len() }))
}

/// Reads the header and the rows of combo `id`.
fn find(path: &Path, bytes: &[u8], id: &str) -> Result<(Vec<String>, Option<Found>)> {
    let mut reader = CsvReader::new(BufReader::new(bytes), Dialect::default());
    let mut rec = RawRecord::default();
    let open_quote = |line| {
        Error::catalog(
            Location::line(path, line),
            CatalogErrorKind::UnterminatedQuote { truncated: false },
        )
    };
    let read = |reader: &mut CsvReader<_>, rec: &mut RawRecord| {
        reader.read_record(rec).map_err(|e| match e {
            crate::csvread::CsvError::UnterminatedQuote { line } => open_quote(line),
            crate::csvread::CsvError::Io(e) => Error::io(path, e),
        })
    };
    if !read(&mut reader, &mut rec)? || rec.is_empty() {
        return Err(Error::catalog(
            Location::line(path, 1),
            CatalogErrorKind::NoHeader,
        ));
    }
    let header: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            Error::catalog(
                Location::line(path, 1),
                CatalogErrorKind::NoColumnOf {
                    column: name.to_string(),
                    expected: &COMBO_COLUMNS,
                },
            )
        })
    };
    let (id_col, concept_col) = (col("combo_id")?, col("concept_id")?);
    let level_col = header.iter().position(|h| h == "description_level");
    let k_col = header.iter().position(|h| h == "k_max");
    let mut found: Option<Found> = None;
    while read(&mut reader, &mut rec)? {
        if rec.is_empty() || rec.len() <= id_col.max(concept_col) {
            continue;
        }
        let text = |c: Option<usize>| {
            c.filter(|&c| c < rec.len())
                .map(|c| String::from_utf8_lossy(rec.field(c)).into_owned())
                .unwrap_or_default()
        };
        if text(Some(id_col)).trim() != id {
            continue;
        }
        let entry = found.get_or_insert_with(|| Found {
            level: text(level_col),
            k_max: text(k_col),
            concepts: BTreeSet::new(),
            line: rec.line,
        });
        entry.concepts.insert(text(Some(concept_col)));
    }
    Ok((header, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn combo_ids_follow_the_reference_vectors() {
        // docs/reference.md §3.16.
        assert_eq!(
            combo_id(
                &ids(&["default-mode-network", "dearth-ai-discoveries"]),
                "paragraph",
                2
            ),
            "combo_v1_6981e3734666"
        );
        assert_eq!(
            combo_id(&ids(&["a", "b", "c"]), "sentence", 3),
            "combo_v1_76db589d6081"
        );
    }

    #[test]
    fn a_new_combo_is_appended_and_an_existing_one_reused() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("combo_mappings.csv");
        std::fs::write(&path, "combo_id,version,concept_id,description_level,k_max,created_at\r\nold,v1,x,paragraph,1,").expect("write");
        let concepts = ids(&["b", "a"]);
        let (id, outcome) = get_or_create(&path, &concepts, "paragraph", 6, "2026-01-01T00:00:00")
            .expect("creates");
        assert_eq!(outcome, ComboOutcome::Appended { rows: 2 });
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            format!(
                "combo_id,version,concept_id,description_level,k_max,created_at\r\nold,v1,x,paragraph,1,\r\n\
                 {id},v1,a,paragraph,6,2026-01-01T00:00:00\r\n{id},v1,b,paragraph,6,2026-01-01T00:00:00\r\n"
            )
        );
        let again = get_or_create(&path, &concepts, "paragraph", 6, "later").expect("reuses");
        assert_eq!(again, (id.clone(), ComboOutcome::Existing));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
        let err = get_or_create(&path, &ids(&["a"]), "paragraph", 6, "x");
        assert!(err.is_ok(), "another concept set is another id");
    }

    #[test]
    fn a_colliding_combo_is_refused() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("combo_mappings.csv");
        let id = combo_id(&ids(&["a"]), "paragraph", 6);
        std::fs::write(
            &path,
            format!("combo_id,concept_id,description_level,k_max\n{id},z,paragraph,6\n"),
        )
        .expect("write");
        let err = get_or_create(&path, &ids(&["a"]), "paragraph", 6, "x").expect_err("collides");
        assert!(err.to_string().contains("combo_collision"), "{err}");
        assert!(err.to_string().contains(":2:"), "{err}");
    }

    #[test]
    fn a_missing_file_is_created_with_the_reference_header() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("combo_mappings.csv");
        let (id, _) = get_or_create(&path, &ids(&["a"]), "paragraph", 6, "t").expect("creates");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            format!(
                "combo_id,version,concept_id,description_level,k_max,created_at\n{id},v1,a,paragraph,6,t\n"
            )
        );
    }
}
