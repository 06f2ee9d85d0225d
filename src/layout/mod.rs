//! Files on disk: the formats of the exported files ([`files`]: membership, manifest, metadata
//! and lock), reading and scanning `gens/<stage>/<gen_id>/metadata.json` ([`metadata`]), a
//! spec folder against a stored bundle ([`spec`]), the one path policy every read and write
//! below a root goes through ([`paths`]: no link followed), and the one atomic writer
//! ([`atomic`]) that export, migrate and `compile --out` use.
//!
//! Sits above `record` (it renders and checks a stored cohort) and below `cohort`, `export`,
//! `verify` and `migrate` (docs/architecture.md).

pub mod atomic;
pub mod data;
pub mod files;
pub mod metadata;
pub mod paths;
pub mod spec;

pub use crate::error::Access;
pub use crate::error::MetaError;
pub use atomic::{write_atomic, write_dir, write_new, write_with};
pub use data::DataLayout;
pub use files::{
    LOCK_FORMAT, LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, generated, lock_json, lock_json_for,
    membership_csv, metadata_json,
};
pub use metadata::{
    FieldCheck, GenMeta, compare_fields, metadata_path, metadata_rel, metadata_signature,
    read_metadata, read_signature,
};
pub use paths::{DirLock, Root, check_below, check_writable_root, create_below, create_one};
pub use spec::{SpecOnDisk, compare_spec};
