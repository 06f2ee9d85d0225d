//! A spec folder on disk against a stored spec bundle (`export`, `verify`, `status`): each
//! stored file is read from `<cohort folder>/spec/<path>` through the path policy
//! ([`super::paths::Root`]: no link below the cohort folder is read through), and only stored
//! paths that are plain and relative are joined to it (the bundle's paths are store content,
//! untrusted like the rest; a crafted one is reported with the stored rows).

use std::path::Path;

use crate::error::{Access, Result};
use crate::record::{Stored, is_plain_relative};
use crate::spec::Bundle;

use super::paths::Root;

/// How the spec files on disk compare with the stored bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecOnDisk {
    /// Stored files whose bytes differ on disk, in bundle order.
    pub differing: Vec<String>,
    /// Stored files absent on disk.
    pub missing: Vec<String>,
    /// Whether the files on disk (absent ones counting as the stored) have the stored bundle's
    /// canonical form (D12).
    pub same: bool,
}

/// Compares `cohort_dir/spec/<path>` with each stored spec file (plain relative paths only).
/// `access` words a refusal: `Access::Write` for export's checks before it writes.
pub fn compare_spec(cohort_dir: &Path, stored: &Stored, access: Access) -> Result<SpecOnDisk> {
    let mut out = SpecOnDisk::default();
    let root = Root::open(cohort_dir, access)?;
    let mut merged = stored.bundle.files.clone();
    for (path, bytes) in &stored.bundle.files {
        if !is_plain_relative(path) {
            continue; // a row check finding; no path is built from it
        }
        let found = match &root {
            Some(root) => root.read(&Path::new("spec").join(path))?,
            None => None,
        };
        match found {
            None => out.missing.push(path.clone()),
            Some(found) if found == *bytes => {}
            Some(found) => {
                out.differing.push(path.clone());
                merged.insert(path.clone(), found);
            }
        }
    }
    if out.differing.is_empty() {
        out.same = true;
        return Ok(out);
    }
    let bundle = Bundle {
        config: stored.bundle.config.clone(),
        files: merged,
    };
    let shown = cohort_dir.join("spec").display().to_string();
    out.same = match crate::spec::load_bundle(&bundle, &shown) {
        Ok(spec) => {
            crate::record::canonical::spec_hash(&spec, stored.record.seed.as_ref()).to_hex()
                == stored.record.spec_hash
        }
        Err(_) => false,
    };
    Ok(out)
}
