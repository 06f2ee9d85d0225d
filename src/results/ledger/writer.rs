//! The ledger's writer for `import gens` (docs/storage.md, "The results ledger"): a folder's
//! new version, its files' observations and the generation's facts, appended inside the
//! import's transaction; the report's counts and warnings.

use super::*;

/// The writer's prepared statements and counters.
pub(super) struct Writer<'c> {
    pub(super) conn: &'c Connection,
    pub(super) import_id: i64,
    pub(super) started_ns: i64,
    pub(super) observations: u64,
    pub(super) report: ImportGensReport,
    /// Called after each chunk with the folders seen so far: progress, and a stop.
    pub(super) tick: &'c dyn Fn(u64) -> Result<()>,
}

impl Writer<'_> {
    pub(super) fn version(
        &mut self,
        stage: Stage,
        gen_id: &str,
        current: Option<&Current>,
        folder: &str,
        facts: &Facts,
        files: &[FileRecord],
    ) -> Result<()> {
        let version = current.map_or(1, |c| c.version + 1);
        let s = stage.as_str();
        if let Some(c) = current {
            self.conn
                .prepare_cached(queries::RESULTS_SUPERSEDED_INSERT)
                .db("results_superseded_insert")?
                .execute(params![s, gen_id, c.version, self.import_id])
                .db("results_superseded_insert")?;
        }
        let prefix = format!("{s}/{gen_id}");
        let refusal = facts.refusal.as_ref().map(|r| format!("{prefix}/{r}"));
        let refusal = match folder {
            "link" => Some(format!(
                "{prefix}: the folder is a symlink; cohortdb does not follow links below the gens root"
            )),
            _ => refusal,
        };
        let raw_refusal = facts
            .raw_meta_refusal
            .as_ref()
            .map(|r| format!("{prefix}/{r}"));
        let cell = |c: &generation::RawCell| (c.kind, c.text.clone(), c.float.clone());
        let (tk, tt, tf) = cell(&facts.eval_template);
        let (lk, lt, lf) = cell(&facts.eval_llm);
        let (ik, it, i_f) = cell(&facts.input_mode);
        let (ck, ct, cf) = cell(&facts.copied_from);
        self.conn
            .prepare_cached(queries::RESULTS_GENERATION_INSERT)
            .db("results_generation_insert")?
            .execute(rusqlite::params_from_iter([
                &s as &dyn rusqlite::ToSql,
                &gen_id,
                &version,
                &self.import_id,
                &folder,
                &facts.has_prompt,
                &facts.has_raw,
                &facts.has_parsed,
                &refusal,
                &raw_refusal,
                &facts.meta_nonempty,
                &facts.parent_gen_id,
                &facts.combo_id,
                &facts.draft_template,
                &facts.template,
                &facts.llm_model_id,
                &facts.origin_cohort_id,
                &tk,
                &tt,
                &tf,
                &lk,
                &lt,
                &lf,
                &ik,
                &it,
                &i_f,
                &ck,
                &ct,
                &cf,
                &facts.score,
                &facts.score_text,
                &facts.score_error,
            ]))
            .db("results_generation_insert")?;
        let mut stmt = self
            .conn
            .prepare_cached(queries::RESULTS_FILE_INSERT)
            .db("results_file_insert")?;
        for f in files {
            stmt.execute(params![
                s,
                gen_id,
                version,
                f.name,
                f.kind.as_str(),
                f.size,
                f.blake3.map(|b| b.to_vec())
            ])
            .db("results_file_insert")?;
        }
        Ok(())
    }

    /// Whether an observation of `stat` now vouches for the bytes (not racy).
    pub(super) fn clean(&self, stat: &Stat) -> bool {
        stat.mtime_ns < self.started_ns - RACY_NS && stat.ctime_ns < self.started_ns - RACY_NS
    }

    /// True when the last observation of `name` says `stat` and vouches for the bytes — or this
    /// one could not either (taken while racy): then nothing new is recorded.
    pub(super) fn known(&self, current: Option<&Current>, name: &str, stat: &Stat) -> bool {
        current
            .and_then(|c| c.observed(name))
            .is_some_and(|(s, clean)| s == stat && (*clean || !self.clean(stat)))
    }

    pub(super) fn observe(
        &mut self,
        stage: Stage,
        gen_id: &str,
        name: &str,
        stat: &Stat,
    ) -> Result<()> {
        let clean = self.clean(stat);
        self.conn
            .prepare_cached(queries::RESULTS_OBSERVATION_INSERT)
            .db("results_observation_insert")?
            .execute(params![
                stage.as_str(),
                gen_id,
                name,
                self.import_id,
                stat.size,
                stat.mtime_ns,
                stat.ctime_ns,
                stat.inode,
                stat.device,
                clean
            ])
            .db("results_observation_insert")?;
        self.observations += 1;
        Ok(())
    }

    /// Records what a chunk's reader found.
    pub(super) fn chunk(&mut self, done: Done, root: &Path) -> Result<()> {
        let stage = done.stage;
        let mut on_disk = std::collections::HashSet::with_capacity(done.names.len());
        for (name, found) in done.names.iter().zip(done.found) {
            on_disk.insert(name.as_str());
            let current = done.current.get(name);
            let found = match found {
                Ok(f) => f,
                // Removed between the listing and the read: as if never listed.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    on_disk.remove(name.as_str());
                    continue;
                }
                Err(e) => {
                    return Err(Error::io(root.join(stage.as_str()).join(name), e));
                }
            };
            *self
                .report
                .generations
                .entry(stage.as_str().to_string())
                .or_default() += 1;
            match found {
                Found::Unchanged => {}
                Found::Listed(folder) => {
                    if !self.known(current, FOLDER, &folder) {
                        self.observe(stage, name, FOLDER, &folder)?;
                    }
                }
                Found::NotFolder(folder) => {
                    self.report.warn(format!(
                        "{}: {}, not a folder; recorded as such and never read",
                        root.join(stage.as_str()).join(name).display(),
                        if folder == "link" {
                            "a symlink (not followed)"
                        } else {
                            "not a folder"
                        }
                    ));
                    if current.is_some_and(|c| c.folder == folder) {
                        continue;
                    }
                    self.count(current);
                    self.version(stage, name, current, folder, &Facts::default(), &[])?;
                }
                Found::Read(scanned, folder) => {
                    self.report.files_read += scanned.stats.len() as u64;
                    for f in &scanned.files {
                        if f.kind != Kind::File {
                            self.report.warn(format!(
                                "{}: {} (recorded, never read)",
                                root.join(stage.as_str()).join(name).join(&f.name).display(),
                                describe(f.kind)
                            ));
                        }
                    }
                    let same =
                        current.is_some_and(|c| c.folder == "dir" && c.files == scanned.files);
                    if !same {
                        self.count(current);
                        self.version(stage, name, current, "dir", &scanned.facts, &scanned.files)?;
                    }
                    // Record each stat (the folder's too) unless the last observation says the
                    // same — and vouches for the bytes, or this one could not either (a file
                    // read while racy is recorded again once it is clean, then trusted).
                    let current = current.filter(|_| same);
                    for (file, stat) in scanned
                        .stats
                        .iter()
                        .map(|(f, s)| (f.as_str(), s))
                        .chain([(FOLDER, &folder)])
                    {
                        if !self.known(current, file, stat) {
                            self.observe(stage, name, file, stat)?;
                        }
                    }
                }
            }
        }
        for (gen_id, current) in &done.current {
            if !on_disk.contains(gen_id.as_str()) && current.folder != "vanished" {
                self.report.vanished += 1;
                self.version(
                    stage,
                    gen_id,
                    Some(current),
                    "vanished",
                    &Facts::default(),
                    &[],
                )?;
            }
        }
        Ok(())
    }

    pub(super) fn count(&mut self, current: Option<&Current>) {
        match current {
            None => self.report.added += 1,
            Some(c) if c.folder == "vanished" => self.report.added += 1,
            Some(_) => self.report.changed += 1,
        }
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Link => "a symlink (not followed)",
        Kind::Dir => "a folder",
        Kind::Fifo => "a FIFO",
        Kind::Socket => "a socket",
        Kind::Device => "a device",
        _ => "not a regular file",
    }
}
