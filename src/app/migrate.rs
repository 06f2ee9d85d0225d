//! `migrate membership|legacy COHORT_ID`: a spec from what legacy users have (D17), and the
//! origins its generations already carry recorded in the store (D24).

use std::path::PathBuf;
use std::time::SystemTime;

use super::{Context, Workspace};
use crate::error::Result;
use crate::migrate::{self, CheckReport, LegacyOrigin, Migration, Options, legacy::LegacySettings};

/// What a migration reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateSource {
    /// `cohorts/<id>/membership.csv` and the members' `metadata.json`.
    Membership,
    /// Legacy catalogs with selection flags, `replication_config.csv` and `2_tasks/` lists.
    Legacy {
        /// How many active concepts the legacy single combo took.
        k_max: i64,
        /// The description level of the legacy single combo.
        description_level: String,
    },
}

/// `migrate membership|legacy COHORT_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateRequest {
    /// The cohort id (D11).
    pub cohort_id: String,
    /// What is migrated.
    pub source: MigrateSource,
    /// The spec folder to write; default `<data-root>/cohorts/<id>/spec`.
    pub out: Option<PathBuf>,
    /// Replace an existing spec folder.
    pub force: bool,
    /// Write the spec even though some members cannot keep their gen_id.
    pub allow_new_ids: bool,
}

impl Workspace {
    /// `migrate`: writes the spec folder. The legacy `metadata.json` files the members keep are
    /// recorded in the store first — created when there is none, and only when there are such
    /// files — so `verify` accepts them (D24); when that fails, nothing is written. A team store
    /// does not record them yet: such a migration is refused on one, naming the command.
    pub fn migrate(&self, request: &MigrateRequest, ctx: Context<'_>) -> Result<Migration> {
        let id = Workspace::cohort_id(&request.cohort_id)?;
        let options = Options {
            out: request
                .out
                .clone()
                .unwrap_or_else(|| self.layout().spec_dir(id.as_str())),
            force: request.force,
            allow_new_ids: request.allow_new_ids,
        };
        let mut record = |origins: &[LegacyOrigin]| {
            if origins.is_empty() {
                return Ok(());
            }
            if let Some(url) = self.team_url()? {
                // A team store does not record legacy metadata yet (docs/postgres.md).
                return Err(crate::team::team_error(
                    &url.to_string(),
                    crate::error::TeamErrorKind::NotOnTeamStore {
                        command: "migrate with legacy metadata to record",
                    },
                ));
            }
            self.writer(ctx, |store| migrate::record_origins(store, &id, origins))
        };
        let root = self.data_root();
        match &request.source {
            MigrateSource::Membership => {
                migrate::membership::migrate(root, &id, &options, &mut record)
            }
            MigrateSource::Legacy {
                k_max,
                description_level,
            } => {
                // The time a combo appended to combo_mappings.csv was created, in UTC.
                let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
                let settings = LegacySettings {
                    k_max: *k_max,
                    description_level: description_level.clone(),
                    now: now.trim_end_matches('Z').to_string(),
                };
                migrate::legacy::migrate(root, &id, &options, &settings, &mut record)
            }
        }
    }

    /// `migrate --check`: builds the written spec in a scratch store in memory from the data
    /// root's catalogs (nothing of the store or the files touched) and compares its members
    /// with the migration's source.
    pub fn migrate_check(&self, cohort_id: &str, migration: &Migration) -> Result<CheckReport> {
        let id = Workspace::cohort_id(cohort_id)?;
        migrate::check(self.data_root(), &migration.out, &id, &migration.expected)
    }
}
