//! Cohort build (docs/cli.md `build`): a spec becomes an immutable, content-hashed record of its
//! draft / essay / evaluation members with the reference gen_ids (docs/reference.md §3,
//! docs/decisions.md D1, D2, D10–D16).
//!
//! The build runs in stages, each a function over the temp schema of the store's connection:
//! [`design`] (the design rows and their checks) → [`members`] (plan entries, gen_ids,
//! collisions) → [`checks`] (D15 empty, D16 catalogs, D2 shared gen_ids) → [`manifest`]
//! (`manifest.json` and template modes). [`compute`] runs them in that order and hashes the
//! result (`record::canonical`); the store is written only when the cohort is new, in the
//! command's one transaction ([`build`]).

pub mod checks;
pub mod design;
pub mod manifest;
pub mod members;
pub mod roles;

use std::time::SystemTime;

use rusqlite::Connection;

use crate::error::{BuildError, BuildErrorKind, DbContext, Error, Result};
use crate::record::canonical;
use crate::record::{self, Computed, Hashes, Record};
use crate::seed::Seed;
use crate::spec::{Plan, Spec};
use crate::store::Store;

pub use crate::ids::CohortId;

/// How to compute a cohort: the inputs a build or a verify fixes besides the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// The effective shuffle seed (`--seed`, else `output.seed`, D8; any integer, D23).
    pub seed: Option<Seed>,
    /// The newest import batch the catalogs are read as of.
    pub last_batch: i64,
    /// The cohort's build number: registry entries of earlier cohorts are consulted.
    pub cohort_no: i64,
    /// Also return the registry entries (a build stores them; verify does not need them).
    pub collect_registry: bool,
    /// Key the plan tables by their columns even when a packed key fits (tests of that path).
    pub force_columns: bool,
}

/// Computes a cohort's members, manifest, modes and hashes in temp tables on `conn`, stage by
/// stage; the first refusal stops it.
pub fn compute(
    conn: &Connection,
    cohort: &str,
    spec: &Spec,
    plan: &Plan,
    options: &BuildOptions,
) -> Result<Computed> {
    let design = design::design(conn, cohort, plan, options.seed.as_ref())?;
    let counts = members::plan_entries(conn, &design, options.force_columns)?;
    checks::check_not_empty(&counts, cohort)?;
    let used = members::used_values(conn)?;
    checks::validate_catalogs(conn, &design, &used, options.last_batch, cohort)?;
    members::issue_gen_ids(conn, &counts, options.cohort_no, cohort)?;
    let manifest = manifest::manifest(conn, &design, &used, options.last_batch, cohort)?;
    let modes = manifest::modes(conn, &design, &used, options.last_batch)?;
    let spec_hash = canonical::spec_hash(spec, options.seed.as_ref());
    let (members_hash, mut registry) = members::digest(conn, &counts, &design)?;
    checks::check_duplicates(conn, &registry, cohort)?;
    if !options.collect_registry {
        registry = Vec::new();
    }
    let manifest_hash = canonical::manifest_hash(&manifest);
    let texts = |role| used.texts(&design, role);
    let catalog_hash = canonical::catalog_hash(conn, &texts, options.last_batch)?;
    let content = canonical::content_hash(
        cohort,
        &spec_hash,
        &members_hash,
        &manifest_hash,
        &catalog_hash,
    );
    Ok(Computed {
        counts: counts.per_stage(),
        manifest,
        modes,
        seed: options.seed.clone(),
        last_batch: options.last_batch,
        cohort_no: options.cohort_no,
        hashes: Hashes {
            spec: spec_hash,
            members: members_hash,
            manifest: manifest_hash,
            catalog: catalog_hash,
            content,
        },
        registry,
        reuse: Vec::new(),
    })
}

/// What `build` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BuildStatus {
    /// A new record was written.
    Created,
    /// A record with the same content hash exists; nothing was written. `formatting_only` says
    /// the spec files differ from the stored bundle in bytes but not in canonical form.
    Unchanged {
        /// The spec files differ from the stored bundle only in formatting.
        formatting_only: bool,
    },
}

/// The result of `build`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildReport {
    /// The cohort.
    pub cohort_id: String,
    /// Created or unchanged.
    pub status: BuildStatus,
    /// Members per stage.
    pub counts: [u64; 3],
    /// The content hash.
    pub content_hash: String,
}

/// What [`prepare`] found: the cohort is stored already with the same content (nothing to
/// write), or a new record is computed and ready to be written.
#[derive(Debug)]
pub enum Prepared {
    /// A record with the same content hash exists.
    Unchanged(BuildReport),
    /// A new record: its members, manifest and hashes in the connection's scratch tables
    /// (`temp.m`, `temp.role_text`) and `computed`, numbered `computed.cohort_no` (the next
    /// number of the store `conn` reads), with its registry entries and reuse counts.
    New(Box<Computed>),
}

/// The first half of a build: computes cohort `id` on `conn` against its catalogs and registry
/// (in whatever transaction the caller holds) and decides between "unchanged", the D14
/// refusal, and a new record. Writes nothing outside the connection's temp schema, so it runs
/// in a read transaction; the second half writes the record to a destination — the same SQLite
/// store ([`build`]) or a team store (`team::publish`, docs/postgres.md).
pub fn prepare(
    conn: &Connection,
    id: &CohortId,
    spec: &Spec,
    plan: &Plan,
    seed: Option<&Seed>,
) -> Result<Prepared> {
    let last_batch = record::last_batch(conn)?;
    let existing = record::load(conn, id.as_str())?;
    // The registry as it was before this cohort: an existing record's own number, else the next.
    let cohort_no = match &existing {
        Some(record) => record.cohort_no,
        None => record::next_cohort_no(conn)?,
    };
    let options = BuildOptions {
        seed: seed.cloned(),
        last_batch,
        cohort_no,
        collect_registry: true,
        force_columns: false,
    };
    let mut computed = compute(conn, id.as_str(), spec, plan, &options)?;
    let content_hash = computed.hashes.content.to_hex();
    if let Some(existing) = existing {
        if existing.content_hash == content_hash {
            let stored = record::load_bundle(conn, &existing)?;
            let formatting_only = stored.files != spec.bundle.files;
            return Ok(Prepared::Unchanged(BuildReport {
                cohort_id: id.to_string(),
                status: BuildStatus::Unchanged { formatting_only },
                counts: computed.counts,
                content_hash,
            }));
        }
        return Err(changed(conn, &existing, &computed)?);
    }
    computed.reuse = checks::check_registry_agreement(conn, id, cohort_no)?;
    Ok(Prepared::New(Box::new(computed)))
}

impl Computed {
    /// The report of the build that stored this record.
    pub fn created(&self, id: &CohortId) -> BuildReport {
        BuildReport {
            cohort_id: id.to_string(),
            status: BuildStatus::Created,
            counts: self.counts,
            content_hash: self.hashes.content.to_hex(),
        }
    }
}

/// Builds cohort `id` from `spec` and its resolved `plan` (the effective `seed` is `--seed`,
/// else `output.seed`, D8: [`Spec::effective_seed`]). One transaction: either the whole record
/// is written, or nothing.
pub fn build(
    store: &mut Store,
    id: &CohortId,
    spec: &Spec,
    plan: &Plan,
    seed: Option<&Seed>,
) -> Result<BuildReport> {
    build_checked(store, id, spec, plan, seed, &|| Ok(()))
}

/// [`build`], calling `before_commit` right before the record is committed: an error from it
/// (a stop the caller asked for) rolls the whole record back, so a stopped build leaves nothing.
pub fn build_checked(
    store: &mut Store,
    id: &CohortId,
    spec: &Spec,
    plan: &Plan,
    seed: Option<&Seed>,
    before_commit: &dyn Fn() -> Result<()>,
) -> Result<BuildReport> {
    let tx = store.write_transaction()?;
    let computed = match prepare(&tx, id, spec, plan, seed)? {
        Prepared::Unchanged(report) => return Ok(report),
        Prepared::New(computed) => computed,
    };
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    record::write(&tx, id.as_str(), &computed, &spec.bundle, &now)?;
    before_commit()?;
    tx.commit().db("commit build")?;
    Ok(computed.created(id))
}

/// D14: a different result under an existing id is refused, saying what changed.
fn changed(conn: &Connection, existing: &Record, computed: &Computed) -> Result<Error> {
    let mut detail = vec![
        format!("stored content hash {}", existing.content_hash),
        format!("new content hash    {}", computed.hashes.content.to_hex()),
    ];
    let hashes = computed.hashes.compare(existing);
    let diff = members::member_diff(conn, existing.cohort_no)?;
    for (stage, (a, r)) in record::stage_names().iter().zip(diff) {
        if a > 0 || r > 0 {
            detail.push(format!("{stage} members: {a} added, {r} removed"));
        }
    }
    if hashes.members && diff.iter().all(|&(a, r)| a == 0 && r == 0) {
        detail.push("members: the same gen_ids, but their order or values differ".to_string());
    }
    if hashes.spec {
        detail.push("spec: its content changed (not only its formatting)".to_string());
    }
    if existing.seed != computed.seed {
        detail.push(format!(
            "seed: {:?} stored, {:?} now",
            existing.seed, computed.seed
        ));
    }
    if hashes.manifest {
        detail.push("manifest: changed".to_string());
    }
    if hashes.catalog {
        detail.push("catalog rows the cohort references: changed".to_string());
    }
    Ok(BuildError {
        cohort: existing.cohort_id.clone(),
        kind: BuildErrorKind::RecordChanged { changes: detail },
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::design::tests::plan_of;
    use super::*;
    use crate::ids::Role;

    struct Quiet;

    impl crate::catalog::Progress for Quiet {
        fn start(&self, _: &str, _: u64) {}
        fn advance(&self, _: u64) {}
        fn finish(&self) {}
    }

    /// An in-memory store with the catalogs of the integration-test data root.
    fn store() -> Store {
        let mut store = Store::open_in_memory().expect("an in-memory store");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data");
        crate::catalog::import_all(&mut store, &root, &Quiet).expect("the fixture catalogs import");
        store
    }

    const SPEC: &str = "axes:\n  combo_id: [combo-1, combo-2]\n  draft_template: [draft-A]\n  \
        draft_llm: [gen-a]\n  draft_replicate: [1, 2]\n  essay_template: [essay-X]\n  \
        essay_llm: [gen-a]\n  evaluation_template: [eval-1, eval-2]\n  evaluation_llm: [judge]\n";

    fn options(conn: &Connection, force_columns: bool) -> BuildOptions {
        BuildOptions {
            seed: None,
            last_batch: record::last_batch(conn).expect("a batch"),
            cohort_no: record::next_cohort_no(conn).expect("a cohort number"),
            collect_registry: true,
            force_columns,
        }
    }

    fn computed(store: &Store, text: &str, force_columns: bool) -> Result<Computed> {
        let (spec, plan) = plan_of(text);
        let conn = store.conn();
        compute(conn, "t", &spec, &plan, &options(conn, force_columns))
    }

    #[test]
    fn packed_and_column_keyed_plans_compute_the_same_cohort() {
        let store = store();
        let packed = computed(&store, SPEC, false).expect("the packed plan builds");
        let columns = computed(&store, SPEC, true).expect("the column-keyed plan builds");
        assert_eq!(packed.counts, [4, 4, 8]);
        assert_eq!(packed, columns);
    }

    #[test]
    fn members_stage_issues_reference_ids_in_order() {
        let store = store();
        let conn = store.conn();
        let (_, plan) = plan_of(SPEC);
        for force_columns in [false, true] {
            // Each design starts from fresh scratch tables.
            let design = design::design(conn, "t", &plan, None).expect("the design builds");
            let counts = members::plan_entries(conn, &design, force_columns).expect("plan");
            assert_eq!(counts.per_stage(), [4, 4, 8]);
            assert_eq!(counts.packed, !force_columns);
            let used = members::used_values(conn).expect("used values");
            assert_eq!(
                used.texts(&design, Role::EvaluationTemplate),
                ["eval-1", "eval-2"]
            );
            assert_eq!(used.vids(Role::EssayLlm).len(), 1);
            members::issue_gen_ids(conn, &counts, 1, "t").expect("gen_ids");
            let (_, registry) = members::digest(conn, &counts, &design).expect("digest");
            assert_eq!(registry.len(), 16);
            assert!(registry.windows(2).all(|w| w[0].gen_id() <= w[1].gen_id()));
            let first_draft = registry
                .iter()
                .find(|e| e.ordinal == 0)
                .expect("the first member");
            let signature = crate::ids::draft_signature("combo-1", "draft-A", "gen-a", &1.into())
                .expect("a valid signature");
            assert_eq!(
                first_draft.gen_id(),
                crate::ids::gen_id(crate::ids::Stage::Draft, &signature, 0)
            );
        }
    }

    #[test]
    fn an_empty_plan_is_refused() {
        let counts = members::PlanCounts {
            drafts: 0,
            essays: 0,
            evaluations: 0,
            packed: true,
        };
        let err = checks::check_not_empty(&counts, "t").expect_err("empty");
        assert!(err.to_string().contains("(D15)"), "{err}");
        let counts = members::PlanCounts {
            drafts: 1,
            ..counts
        };
        assert!(checks::check_not_empty(&counts, "t").is_ok());
    }

    #[test]
    fn ids_missing_from_the_catalogs_are_refused_together() {
        let store = store();
        let text = SPEC.replace("judge]", "judge, nobody]");
        let err = computed(&store, &text, false).expect_err("nobody is not an LLM");
        let detail = err.detail().join("\n");
        assert!(
            err.to_string().contains("1 id the spec uses is not in"),
            "{err}"
        );
        assert!(
            detail.contains("evaluation LLMs (1): \"nobody\""),
            "{detail}"
        );
    }

    #[test]
    fn essays_differing_only_in_their_llm_share_a_gen_id() {
        let store = store();
        let text = SPEC.replace("essay_llm: [gen-a]", "essay_llm: [gen-a, judge]");
        let err = computed(&store, &text, false).expect_err("D2");
        let text = err.to_string();
        assert!(
            text.contains("8 essay plan entries would share 4 gen_ids"),
            "{text}"
        );
        assert!(
            err.hints()
                .iter()
                .any(|l| l.contains("does not include essay_llm"))
        );
    }

    #[test]
    fn a_reused_gen_id_must_agree_with_the_registry() {
        let mut store = store();
        let (spec, plan) = plan_of(SPEC);
        let first = CohortId::parse("first").expect("a valid id");
        build(&mut store, &first, &spec, &plan, None).expect("the first cohort builds");
        let (spec, plan) = plan_of(&SPEC.replace("essay_llm: [gen-a]", "essay_llm: [judge]"));
        let second = CohortId::parse("second").expect("a valid id");
        let err = build(&mut store, &second, &spec, &plan, None).expect_err("D2 across cohorts");
        assert!(
            err.to_string()
                .contains("4 members reuse gen_ids that earlier cohorts issued"),
            "{err}"
        );
        assert!(
            err.detail()[0].contains("llm_model_id gen-a (cohort first) vs judge here"),
            "{:?}",
            err.detail()
        );
        let listed = record::list(store.conn()).expect("the records");
        assert_eq!(listed.len(), 1, "nothing of the second cohort was stored");
    }

    #[test]
    fn the_builder_s_connection_keeps_its_triggers_after_a_build() {
        // record::write turns the V3 triggers off for its own rows and back on before the
        // record row: the same connection must refuse a new member of the complete record, and
        // still refuse updates, afterwards.
        let mut store = store();
        let (spec, plan) = plan_of(SPEC);
        let id = CohortId::parse("first").expect("a valid id");
        build(&mut store, &id, &spec, &plan, None).expect("the cohort builds");
        let conn = store.conn();
        let insert = conn.execute(
            "insert into cohort_members select cohort_no, 1000, stage, 'd_x', parent, combo, \
             template, llm, replicate from cohort_members limit 1",
            [],
        );
        let err = insert.expect_err("a complete record takes no new member");
        assert!(err.to_string().contains("record is complete"), "{err}");
        let update = conn.execute("update gen_ids set collision = 1", []);
        assert!(update.is_err(), "gen_ids stays append-only");
    }

    #[test]
    fn a_record_number_that_is_taken_is_refused_before_any_row() {
        let mut store = store();
        let (spec, plan) = plan_of(SPEC);
        let id = CohortId::parse("first").expect("a valid id");
        build(&mut store, &id, &spec, &plan, None).expect("the cohort builds");
        let conn = store.conn();
        let mut computed = computed(&store, SPEC, false).expect("computes");
        computed.cohort_no = 1;
        let err = record::write(conn, "again", &computed, &spec.bundle, "now")
            .expect_err("cohort_no 1 is complete");
        assert_eq!(err.kind_name(), "internal", "{err}");
        let members: i64 = conn
            .query_row("select count(*) from cohort_members", [], |r| r.get(0))
            .expect("a count");
        assert_eq!(members, 16, "no row of the refused write went in");
        let triggers_on = || {
            conn.db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER)
                .expect("the setting")
        };
        assert!(triggers_on(), "the refusal leaves the triggers on");
        // A failure after the triggers went off (the members' scratch table is gone): dropping
        // the guard turns them back on.
        computed.cohort_no = 2;
        conn.execute("drop table temp.m", [])
            .expect("a scratch table");
        let err = record::write(conn, "again", &computed, &spec.bundle, "now")
            .expect_err("no members to copy");
        assert!(err.to_string().contains("cohort_members_insert"), "{err}");
        assert!(triggers_on(), "the failed write leaves the triggers on");
    }

    #[test]
    fn manifest_stage_lists_allowlists_and_modes() {
        let store = store();
        let computed = computed(&store, SPEC, false).expect("builds");
        assert!(
            computed
                .manifest
                .starts_with("{\n  \"combos\": [\n    \"combo-1\",\n    \"combo-2\"\n  ],"),
            "{}",
            computed.manifest
        );
        assert!(
            computed.manifest.contains("\"evaluation\": 2"),
            "{}",
            computed.manifest
        );
        let modes: Vec<(&str, &str)> = computed
            .modes
            .iter()
            .map(|(_, t, m)| (t.as_str(), m.as_str()))
            .collect();
        assert_eq!(
            modes,
            [
                ("draft-A", "llm"),
                ("essay-X", "llm"),
                ("eval-1", "llm"),
                ("eval-2", "llm")
            ]
        );
    }

    #[test]
    fn a_changed_result_under_an_existing_id_is_refused_with_what_changed() {
        let mut store = store();
        let (spec, plan) = plan_of(SPEC);
        let id = CohortId::parse("c").expect("a valid id");
        let report = build(&mut store, &id, &spec, &plan, None).expect("builds");
        assert_eq!(report.status, BuildStatus::Created);
        let again = build(&mut store, &id, &spec, &plan, None).expect("unchanged");
        assert_eq!(
            again.status,
            BuildStatus::Unchanged {
                formatting_only: false
            }
        );
        let err = build(&mut store, &id, &spec, &plan, Some(&Seed::from(7))).expect_err("D14");
        let detail = err.detail().join("\n");
        assert!(
            detail.contains("seed: None stored, Some(7) now"),
            "{detail}"
        );
        assert!(detail.contains("spec: its content changed"), "{detail}");
    }
}
