//! A scratch in-memory store with a copy of the real store's catalogs: `diff` builds a spec in
//! it, `status` imports the catalog files into it to see what an import would add or refuse
//! (the real store is only read: attached read-only, copied, detached).

use std::path::Path;

use crate::error::{DbContext, Error, Result, UsageError};
use crate::store::{Store, queries};

/// `file:` URI of a path, opened read-only (percent-encoding what a URI reserves).
fn read_only_uri(path: &Path) -> Result<String> {
    let text = path.to_str().ok_or_else(|| UsageError::StorePathNotUtf8 {
        path: path.display().to_string(),
    })?;
    let mut uri = String::from("file:");
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(b as char)
            }
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?mode=ro");
    Ok(uri)
}

/// A scratch in-memory store holding a copy of the catalog rows (and import batches) of the
/// store at `db`, attached read-only for the copy and detached again.
pub fn with_catalogs_of(db: &Path) -> Result<Store> {
    let scratch = Store::open_in_memory()?;
    let conn = scratch.conn();
    let abs = std::path::absolute(db).map_err(|e| Error::io(db, e))?;
    conn.execute(queries::DIFF_ATTACH_SOURCE, [read_only_uri(&abs)?])
        .db("diff_attach_source")?;
    for (name, sql) in [
        (
            "diff_copy_import_batches",
            queries::DIFF_COPY_IMPORT_BATCHES,
        ),
        (
            "diff_copy_catalog_concepts",
            queries::DIFF_COPY_CATALOG_CONCEPTS,
        ),
        (
            "diff_copy_catalog_templates",
            queries::DIFF_COPY_CATALOG_TEMPLATES,
        ),
        (
            "diff_copy_catalog_llm_models",
            queries::DIFF_COPY_CATALOG_LLM_MODELS,
        ),
        (
            "diff_copy_catalog_combo_mappings",
            queries::DIFF_COPY_CATALOG_COMBO_MAPPINGS,
        ),
        (
            "diff_copy_catalog_replication",
            queries::DIFF_COPY_CATALOG_REPLICATION,
        ),
    ] {
        conn.execute(sql, []).db(name)?;
    }
    conn.execute(queries::DIFF_DETACH_SOURCE, [])
        .db("diff_detach_source")?;
    Ok(scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_paths_become_read_only_uris() {
        assert_eq!(
            read_only_uri(Path::new("/a b/c?d#e%.db")).expect("UTF-8"),
            "file:/a%20b/c%3Fd%23e%25.db?mode=ro"
        );
    }
}
