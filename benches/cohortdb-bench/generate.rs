//! The bench's synthetic inputs, written by the bench itself (no Python, nothing outside the
//! repository): compile specs, data roots with a cohort spec, and large combo-mapping catalogs.
//!
//! Each spec yields exactly `200 × C` design rows, `C` the number of combos:
//!
//! | axis | levels |
//! | --- | --- |
//! | `combo_id` | `C`, from `@file:items/combos.csv` |
//! | `draft_template` | 5 (inline) |
//! | `draft_replicate` | 2 (`'1'`, `'2'`) |
//! | tuple `gen_bundle` of `draft_llm`, `essay_template`, `essay_llm` | 2 items (derived axes) |
//! | pair `evaluation_bundle` of `evaluation_template` (5) × `evaluation_llm` (5) | 10 allowed pairs, `balance: both` |
//!
//! `200 = 5 × 2 × 2 × 10`. A data root of `N` rows holds a cohort `bench` of `N / 10` drafts,
//! `N / 10` essays and `N` evaluations. Layout under the data folder:
//!
//! ```text
//! specs/rows_<N>/config.yaml, items/combos.csv    compile input
//! roots/rows_<N>/1_raw/*.csv, combo_mappings.csv,
//!                cohorts/bench/spec/…              import / build / export / verify input
//! catalogs/combo_mappings_<N>.csv                  import input (N rows)
//! ```

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

/// Design rows per combo.
pub const PER_COMBO: u64 = 200;

const DRAFT_TEMPLATES: [&str; 5] = ["draft-01", "draft-02", "draft-03", "draft-04", "draft-05"];
const EVAL_TEMPLATES: [&str; 5] = ["eval-01", "eval-02", "eval-03", "eval-04", "eval-05"];
const EVAL_LLMS: [&str; 5] = [
    "eval-llm-1",
    "eval-llm-2",
    "eval-llm-3",
    "eval-llm-4",
    "eval-llm-5",
];
const GEN_BUNDLE: [[&str; 3]; 2] = [
    ["gen-llm-a", "essay-01", "gen-llm-a"],
    ["gen-llm-b", "essay-02", "gen-llm-b"],
];

/// One input of the bench, generated on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A compile spec of this many design rows.
    Spec(u64),
    /// A data root whose `bench` cohort has this many evaluations.
    Root(u64),
    /// A combo-mapping catalog of this many rows.
    ComboCatalog(u64),
}

impl Input {
    /// Where the input lives under the data folder.
    pub fn relative(self) -> PathBuf {
        match self {
            Input::Spec(n) => PathBuf::from(format!("specs/rows_{n}")),
            Input::Root(n) => PathBuf::from(format!("roots/rows_{n}")),
            Input::ComboCatalog(n) => PathBuf::from(format!("catalogs/combo_mappings_{n}.csv")),
        }
    }

    /// Writes the input at `dest`, replacing whatever is there.
    pub fn write(self, dest: &Path) -> Result<()> {
        match self {
            Input::Spec(n) => write_spec(dest, n),
            Input::Root(n) => write_root(dest, n),
            Input::ComboCatalog(n) => write_combo_catalog(dest, n),
        }
    }

    /// Writes the input under the data folder `data`, replacing an earlier one; returns its
    /// path. It is written under a `.partial` name first, so an interrupted run never leaves a
    /// truncated input that a later run would take as complete.
    pub fn generate(self, data: &Path) -> Result<PathBuf> {
        let dest = data.join(self.relative());
        let mut partial = dest.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        remove(&partial)?;
        self.write(&partial)?;
        remove(&dest)?;
        fs::rename(&partial, &dest).with_context(|| {
            format!("{}: cannot rename to {}", partial.display(), dest.display())
        })?;
        Ok(dest)
    }
}

/// Removes a file or folder, if there is one.
pub fn remove(path: &Path) -> Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match result {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("{}: cannot remove", path.display()))
        }
        _ => Ok(()),
    }
}

/// The spec's `config.yaml` (the same for every size; the combos file sets the size).
pub fn config_yaml() -> String {
    let mut pairs = String::new();
    for (i, template) in EVAL_TEMPLATES.iter().enumerate() {
        for k in [0, 1] {
            pairs.push_str(&format!(
                "        - [{template}, {}]\n",
                EVAL_LLMS[(i + k) % 5]
            ));
        }
    }
    let gen_items: String = GEN_BUNDLE
        .iter()
        .map(|item| format!("        - [{}]\n", item.join(", ")))
        .collect();
    format!(
        "axes:\n  combo_id: '@file:items/combos.csv'\n  draft_template: [{}]\n  \
         draft_replicate: ['1', '2']\n  evaluation_template: [{}]\n  evaluation_llm: [{}]\n\
         rules:\n  tuples:\n    gen_bundle:\n      axes: [draft_llm, essay_template, essay_llm]\n      \
         items:\n{gen_items}  pairs:\n    evaluation_bundle:\n      left: evaluation_template\n      \
         right: evaluation_llm\n      balance: both\n      allowed:\n{pairs}output:\n  field_order:\n\
         {}",
        DRAFT_TEMPLATES.join(", "),
        EVAL_TEMPLATES.join(", "),
        EVAL_LLMS.join(", "),
        [
            "combo_id",
            "draft_template",
            "draft_llm",
            "draft_replicate",
            "essay_template",
            "essay_llm",
            "evaluation_template",
            "evaluation_llm",
        ]
        .iter()
        .map(|f| format!("    - {f}\n"))
        .collect::<String>()
    )
}

/// The number of combos of a spec of `rows` design rows.
fn combos(rows: u64) -> Result<u64> {
    ensure!(
        rows.is_multiple_of(PER_COMBO),
        "rows must be a multiple of {PER_COMBO}, not {rows}"
    );
    Ok(rows / PER_COMBO)
}

fn combo_id(i: u64) -> String {
    format!("combo-{i:07}")
}

/// A fresh, empty folder.
fn fresh_dir(dest: &Path) -> Result<()> {
    remove(dest)?;
    fs::create_dir_all(dest).with_context(|| format!("{}: cannot create", dest.display()))
}

/// Writes a file line by line through a buffer.
fn write_lines(path: &Path, lines: impl Iterator<Item = String>) -> Result<()> {
    let file =
        fs::File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    let mut out = BufWriter::new(file);
    for line in lines {
        out.write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("{}: cannot write", path.display()))
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

/// A spec folder of `rows` design rows: `config.yaml` and `items/combos.csv`.
pub fn write_spec(dest: &Path, rows: u64) -> Result<()> {
    let combos = combos(rows)?;
    remove(dest)?;
    fresh_dir(&dest.join("items"))?;
    write_text(&dest.join("config.yaml"), &config_yaml())?;
    write_lines(
        &dest.join("items/combos.csv"),
        std::iter::once("combo_id".to_owned()).chain((0..combos).map(combo_id)),
    )
}

/// A spec folder like [`write_spec`]'s over the combos `start .. start + count` (distinct
/// cohorts of one data root: the concurrent-build benchmark).
pub fn write_spec_slice(dest: &Path, start: u64, count: u64) -> Result<()> {
    remove(dest)?;
    fresh_dir(&dest.join("items"))?;
    write_text(&dest.join("config.yaml"), &config_yaml())?;
    write_lines(
        &dest.join("items/combos.csv"),
        std::iter::once("combo_id".to_owned()).chain((start..start + count).map(combo_id)),
    )
}

/// A data root whose cohort `bench` (spec under `cohorts/bench/spec`) has `rows` evaluations.
pub fn write_root(dest: &Path, rows: u64) -> Result<()> {
    let combos = combos(rows)?;
    fresh_dir(dest)?;
    let raw = dest.join("1_raw");
    fs::create_dir_all(&raw).with_context(|| format!("{}: cannot create", raw.display()))?;
    write_text(
        &raw.join("replication_config.csv"),
        "stage,replicates\ndraft,2\nessay,1\nevaluation,1\n",
    )?;
    let templates = |ids: &[&str]| -> String {
        let rows: String = ids.iter().map(|t| format!("{t},llm\n")).collect();
        format!("template_id,generator\n{rows}")
    };
    write_text(
        &raw.join("draft_templates.csv"),
        &templates(&DRAFT_TEMPLATES),
    )?;
    write_text(
        &raw.join("essay_templates.csv"),
        "template_id,generator\nessay-01,llm\nessay-02,copy\n",
    )?;
    write_text(
        &raw.join("evaluation_templates.csv"),
        &templates(&EVAL_TEMPLATES),
    )?;
    let models: String = EVAL_LLMS.iter().map(|m| format!("{m}\n")).collect();
    write_text(
        &raw.join("llm_models.csv"),
        &format!("id\ngen-llm-a\ngen-llm-b\n{models}"),
    )?;
    write_lines(
        &dest.join("combo_mappings.csv"),
        std::iter::once(
            "combo_id,version,concept_id,description_level,k_max,created_at".to_owned(),
        )
        .chain((0..combos).map(|i| format!("{},v1,concept-a,paragraph,2,", combo_id(i)))),
    )?;
    write_spec(&dest.join("cohorts/bench/spec"), rows)
}

/// A `combo_mappings.csv` of `rows` rows: combos of 4 concepts each, `created_at` filled.
pub fn write_combo_catalog(dest: &Path, rows: u64) -> Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    const LEVELS: [&str; 3] = ["sentence", "paragraph", "article"];
    write_lines(
        dest,
        std::iter::once(
            "combo_id,version,concept_id,description_level,k_max,created_at".to_owned(),
        )
        .chain((0..rows).map(|i| {
            let (combo, k) = (i / 4, i % 4);
            format!(
                "combo_v1_{combo:012x},v1,concept-{:03},{},4,2025-10-01T10:{:02}:{k:02}",
                (combo * 7 + k * 13) % 997,
                LEVELS[(combo % 3) as usize],
                combo % 60
            )
        })),
    )
}

/// Writes a `parsed.txt` into every generation folder under `gens` that lacks one: a score on
/// the last line for evaluations (1 to 10, by position), a line of text for drafts and essays.
pub fn add_parsed_outputs(gens: &Path) -> Result<()> {
    for stage in ["draft", "essay", "evaluation"] {
        let dir = gens.join(stage);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for (i, entry) in entries.enumerate() {
            let path = entry?.path().join("parsed.txt");
            if path.exists() {
                continue;
            }
            let text = if stage == "evaluation" {
                format!("The essay is coherent.\nSCORE\n{}\n", i % 10 + 1)
            } else {
                format!("{stage} output {i}\n")
            };
            fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    Ok(())
}
