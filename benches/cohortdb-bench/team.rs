//! `--only team`: the team store (a PostgreSQL database, docs/postgres.md) measured side by side
//! with the SQLite store and with PostgreSQL's own `psql \copy`, in one run. Every PostgreSQL
//! measurement gets a fresh database (`psql` creates and drops it, untimed) and a fresh mirror
//! folder (`COHORTDB_MIRROR_DIR`), so the first sync is part of what is measured where a command
//! needs it — as on a client that joins the store for the first time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::generate::{self, Input, PER_COMBO};
use super::measure::{Row, Sample, Target, measure, measure_all, thousands};
use super::{Bench, fresh_file};

/// The server: a `postgres://USER@HOST:PORT` base URL (no database, no password; `psql` and
/// cohortdb read `PGPASSWORD` or `~/.pgpass` when one is needed).
pub struct Pg {
    base: String,
}

impl Pg {
    pub fn new(base: &str) -> Pg {
        Pg {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn psql(&self, db: &str, sql: &str) -> Command {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .arg(format!("{}/{db}", self.base))
            .arg("-c")
            .arg(sql);
        cmd
    }

    /// A fresh, empty database `name` (dropped first when it exists); its URL for cohortdb.
    fn fresh(&self, name: &str) -> Result<String> {
        measure(&mut self.psql(
            "postgres",
            &format!("drop database if exists {name} with (force)"),
        ))
        .context("psql (is the PostgreSQL server reachable? see --pg)")?;
        measure(&mut self.psql(
            "postgres",
            &format!("create database {name} template template0"),
        ))?;
        Ok(format!("{}/{name}?sslmode=disable", self.base))
    }

    fn drop(&self, name: &str) {
        let _ = measure(&mut self.psql(
            "postgres",
            &format!("drop database if exists {name} with (force)"),
        ));
    }
}

/// A data root and a store of either engine (a mirror folder for a team store).
struct Store {
    data: PathBuf,
    db: String,
    mirrors: PathBuf,
}

impl Store {
    fn command(&self, bench: &Bench<'_>) -> Command {
        let mut cmd = bench.cohortdb();
        cmd.arg("--db")
            .arg(&self.db)
            .arg("--data-root")
            .arg(&self.data)
            .arg("-q")
            .env("COHORTDB_MIRROR_DIR", &self.mirrors);
        cmd
    }
}

/// The team benchmarks' sizes.
pub struct Sizes {
    /// Rows of the imported combo-mapping catalog.
    pub import_rows: u64,
    /// Evaluations of the cohort built (and queried).
    pub build: u64,
    /// Evaluations of the cohort exported.
    pub export: u64,
    /// Evaluations of each of the concurrent builds, and how many run at once.
    pub concurrent: (u64, u64),
}

impl Bench<'_> {
    /// A store over `data`: SQLite (`pg` none) or a fresh PostgreSQL database `name`, with a
    /// fresh mirror folder; imported (untimed).
    fn store(&self, pg: Option<&Pg>, name: &str, data: &Path) -> Result<Store> {
        let dir = self.scratch(name)?;
        let db = match pg {
            Some(pg) => pg.fresh(name)?,
            None => fresh_file(&dir.join("cohorts.db"))?.display().to_string(),
        };
        let store = Store {
            data: data.to_path_buf(),
            db,
            mirrors: dir.join("mirrors"),
        };
        measure(store.command(self).arg("import"))?;
        Ok(store)
    }

    /// Every team benchmark, in one run.
    pub fn team(&self, pg: &Pg, sizes: &Sizes) -> Result<Vec<Row>> {
        let mut rows = self.team_import(pg, sizes.import_rows)?;
        let (build, built) = self.team_build(pg, sizes.build)?;
        rows.push(build);
        rows.push(self.team_query(&built, sizes.build)?);
        rows.push(self.team_export(pg, sizes.export)?);
        rows.push(self.team_concurrent(pg, sizes.concurrent.0, sizes.concurrent.1)?);
        for name in ["bench_team_import", "bench_team_build", "bench_team_export"] {
            pg.drop(name);
        }
        Ok(rows)
    }

    /// `import combo_mappings FILE` into a fresh team store, against `psql \copy` of the same
    /// file into a plain table of a fresh database (the target's baseline: the strict floor) and,
    /// side by side, into a table with the store's own key, `(combo_id, concept_id)` (the floor
    /// of any import that must refuse duplicates; docs/decisions.md D34). Two rows, one figure
    /// of ours.
    fn team_import(&self, pg: &Pg, rows: u64) -> Result<Vec<Row>> {
        let file = fs::canonicalize(self.data(Input::ComboCatalog(rows))?)?;
        let dir = self.scratch("team_import")?;
        let copy_into = |key: &str| {
            self.median(|| {
                pg.fresh("bench_team_import")?;
                measure(&mut pg.psql(
                    "bench_team_import",
                    &format!(
                        "create table combo_mappings (combo_id text, version text, \
                         concept_id text, description_level text, k_max text, created_at text{key})"
                    ),
                ))?;
                Ok(pg.psql(
                    "bench_team_import",
                    &format!(
                        "\\copy combo_mappings from '{}' with (format csv, header true)",
                        file.display()
                    ),
                ))
            })
        };
        let copy = copy_into("")?;
        let keyed = copy_into(", primary key (combo_id, concept_id)")?;
        let ours = self.median(|| {
            let url = pg.fresh("bench_team_import")?;
            generate::remove(&dir.join("mirrors"))?;
            let mut cmd = self.cohortdb();
            cmd.arg("--db")
                .arg(url)
                .args(["-q", "import", "combo_mappings"])
                .arg(&file)
                .env("COHORTDB_MIRROR_DIR", dir.join("mirrors"));
            Ok(cmd)
        })?;
        let work = format!(
            "team store: import combo_mappings, {} rows",
            thousands(rows)
        );
        Ok(vec![
            Row {
                work: work.clone(),
                ours,
                baseline: Some(("psql \\copy".to_owned(), copy)),
                target: Target::TimesBaseline(1.5),
                mem_limit_mib: 100.0,
            },
            Row {
                work: format!("{work} (beside a keyed table)"),
                ours,
                baseline: Some(("psql \\copy, primary key".to_owned(), keyed)),
                target: Target::MemoryOnly,
                mem_limit_mib: 100.0,
            },
        ])
    }

    /// `build bench` into a fresh team store (imported, untimed), against the same build into a
    /// fresh SQLite store. Returns the row and the built team store.
    fn team_build(&self, pg: &Pg, evaluations: u64) -> Result<(Row, Store)> {
        let data = fs::canonicalize(self.data(Input::Root(evaluations))?)?;
        let sqlite = self.median(|| {
            let store = self.store(None, "team_build_sqlite", &data)?;
            let mut cmd = store.command(self);
            cmd.args(["build", "bench"]);
            Ok(cmd)
        })?;
        let mut built = None;
        let ours = self.median(|| {
            let store = self.store(Some(pg), "bench_team_build", &data)?;
            let mut cmd = store.command(self);
            cmd.args(["build", "bench"]);
            built = Some(store);
            Ok(cmd)
        })?;
        let built = built.context("at least one run")?;
        let row = Row {
            work: format!("team store: build, {} evaluations", thousands(evaluations)),
            ours,
            baseline: Some(("the SQLite build".to_owned(), sqlite)),
            target: Target::TimesBaseline(2.0),
            mem_limit_mib: 300.0,
        };
        Ok((row, built))
    }

    /// `query 'select * from membership'` (every member of the built cohort, as CSV to a
    /// discarded stdout) on the server, against the same on an SQLite copy of the store: it
    /// must stream, in bounded memory.
    fn team_query(&self, built: &Store, evaluations: u64) -> Result<Row> {
        let sql = "select * from membership";
        let copy = self.scratch("team_query")?.join("copy.db");
        measure(built.command(self).arg("backup").arg(&copy))?;
        let sqlite = self.median(|| {
            let mut cmd = self.cohortdb();
            cmd.arg("--db").arg(&copy).args(["query", sql]);
            Ok(cmd)
        })?;
        let ours = self.median(|| {
            let mut cmd = built.command(self);
            cmd.args(["query", sql]);
            Ok(cmd)
        })?;
        Ok(Row {
            work: format!(
                "team store: query of {} membership rows to CSV",
                thousands(evaluations + evaluations / 5)
            ),
            ours,
            baseline: Some(("the same on SQLite".to_owned(), sqlite)),
            target: Target::MemoryOnly,
            mem_limit_mib: 100.0,
        })
    }

    /// `export bench` from a team store (built, its mirror synced, untimed) into an empty data
    /// root, against the same export from an SQLite store.
    fn team_export(&self, pg: &Pg, evaluations: u64) -> Result<Row> {
        let data = fs::canonicalize(self.data(Input::Root(evaluations))?)?;
        let measure_from = |engine: Option<&Pg>, name: &str| -> Result<Sample> {
            let store = self.store(engine, name, &data)?;
            measure(store.command(self).args(["build", "bench"]))?;
            let out = self.scratch(&format!("{name}_out"))?;
            self.median(|| {
                generate::remove(&out.join("gens"))?;
                generate::remove(&out.join("cohort"))?;
                let mut cmd = store.command(self);
                cmd.args(["export", "bench", "--out"])
                    .arg(out.join("cohort"))
                    .arg("--gens-root")
                    .arg(out.join("gens"));
                Ok(cmd)
            })
        };
        let sqlite = measure_from(None, "team_export_sqlite")?;
        let ours = measure_from(Some(pg), "bench_team_export")?;
        Ok(Row {
            work: format!(
                "team store: export, {} evaluations ({} files)",
                thousands(evaluations),
                thousands(evaluations + evaluations / 5)
            ),
            ours,
            baseline: Some(("the SQLite export".to_owned(), sqlite)),
            target: Target::TimesBaseline(1.2),
            mem_limit_mib: 300.0,
        })
    }

    /// `count` builds of distinct cohorts of `evaluations` evaluations each (disjoint combos of
    /// one data root) into one team store at the same time, against the same builds one after
    /// another into another fresh team store.
    fn team_concurrent(&self, pg: &Pg, evaluations: u64, count: u64) -> Result<Row> {
        let per = evaluations / PER_COMBO;
        let source = fs::canonicalize(self.data(Input::Root(evaluations * count))?)?;
        // The root's catalogs and one spec folder per cohort (a slice of its combos).
        let data = self.scratch("team_concurrent")?.join("data");
        let mut cp = Command::new("cp");
        cp.arg("-r").arg(&source).arg(&data);
        measure(&mut cp)?;
        let ids: Vec<String> = (0..count).map(|i| format!("part-{i}")).collect();
        for (i, id) in ids.iter().enumerate() {
            generate::write_spec_slice(
                &data.join("cohorts").join(id).join("spec"),
                i as u64 * per,
                per,
            )?;
        }
        let builds = |store: &Store| -> Vec<Command> {
            ids.iter()
                .map(|id| {
                    let mut cmd = store.command(self);
                    cmd.args(["build", id]);
                    cmd
                })
                .collect()
        };
        let mut sequential = Vec::new();
        for _ in 0..self.args.runs {
            let store = self.store(Some(pg), "bench_team_seq", &data)?;
            let mut total = Sample {
                secs: 0.0,
                peak_kib: 0,
            };
            for mut cmd in builds(&store) {
                let one = measure(&mut cmd)?;
                total.secs += one.secs;
                total.peak_kib = total.peak_kib.max(one.peak_kib);
            }
            sequential.push(total);
        }
        let mut concurrent = Vec::new();
        for _ in 0..self.args.runs {
            let store = self.store(Some(pg), "bench_team_conc", &data)?;
            concurrent.push(measure_all(&mut builds(&store))?);
        }
        pg.drop("bench_team_seq");
        pg.drop("bench_team_conc");
        let median = |mut v: Vec<Sample>| {
            v.sort_by(|a, b| a.secs.total_cmp(&b.secs));
            v[v.len() / 2]
        };
        Ok(Row {
            work: format!(
                "team store: {count} concurrent builds of distinct {}-evaluation cohorts",
                thousands(evaluations)
            ),
            ours: median(concurrent),
            baseline: Some(("the same one after another".to_owned(), median(sequential))),
            target: Target::TimesBaseline(0.6),
            mem_limit_mib: 300.0,
        })
    }
}
