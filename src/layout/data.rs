//! Where things are under a data root (docs/user-guide.md, "The data layout"): the one place
//! that knows `cohorts/<id>/`, `cohorts/<id>/spec/config.yaml` and `gens/`. Catalog files are
//! named by `catalog::CatalogKind::layout_path`.

use std::path::{Path, PathBuf};

/// The folder of every cohort's files, under the data root.
pub const COHORTS_DIR: &str = "cohorts";
/// The generations root, under the data root.
pub const GENS_DIR: &str = "gens";
/// A cohort's spec folder, under its cohort folder.
pub const SPEC_DIR: &str = "spec";

/// A data root and the default paths under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLayout {
    root: PathBuf,
}

impl DataLayout {
    /// The layout under `root`.
    pub fn new(root: impl Into<PathBuf>) -> DataLayout {
        DataLayout { root: root.into() }
    }

    /// The data root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/cohorts`.
    pub fn cohorts(&self) -> PathBuf {
        self.root.join(COHORTS_DIR)
    }

    /// `<root>/cohorts/<id>`: where a cohort is exported (and `verify`, `status` look).
    pub fn cohort(&self, id: &str) -> PathBuf {
        self.cohorts().join(id)
    }

    /// `<root>/cohorts/<id>/spec`: the cohort's spec folder.
    pub fn spec_dir(&self, id: &str) -> PathBuf {
        self.cohort(id).join(SPEC_DIR)
    }

    /// `<root>/cohorts/<id>/spec/config.yaml`: the spec `build` reads by default (D11).
    pub fn spec_config(&self, id: &str) -> PathBuf {
        self.spec_dir(id).join(crate::spec::load::CONFIG_NAME)
    }

    /// `<root>/cohorts/<id>/membership.csv`: an exported (or legacy) cohort's member list.
    pub fn membership_csv(&self, id: &str) -> PathBuf {
        self.cohort(id).join(crate::layout::files::MEMBERSHIP_NAME)
    }

    /// `<root>/gens`: where each member's `metadata.json` goes.
    pub fn gens(&self) -> PathBuf {
        self.root.join(GENS_DIR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_follow_the_data_layout() {
        let layout = DataLayout::new("data");
        assert_eq!(layout.cohort("c1"), Path::new("data/cohorts/c1"));
        assert_eq!(
            layout.spec_config("c1"),
            Path::new("data/cohorts/c1/spec/config.yaml")
        );
        assert_eq!(layout.gens(), Path::new("data/gens"));
    }
}
