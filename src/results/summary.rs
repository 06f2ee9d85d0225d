//! The reference's summary tables (docs/reference.md, "Results" §10): `final_results.csv`,
//! `perfect_score_paths.csv` and `evaluation_model_template_pivot.csv`, computed from
//! `aggregated_scores.csv` *as pandas reads it back* — typed per column, `""` missing, a raw
//! `\r` splitting a record — with pandas' statistics (Kahan-summed group means, Welford group
//! variances, numpy's `round`). Two streaming passes over the file: types, then groups — or one,
//! when the writer computed the types as it wrote the rows ([`Types`], docs/decisions.md D35) —
//! or none, when `scores` hands over the rows' cells as it writes them ([`Summariser`], D37).

use std::io::BufRead;

use super::frame::{self, Cell, Inference, Tokenizer};
use super::pytext::float_repr;

/// Hash maps keyed by text, hashed with foldhash (docs/decisions.md "Dependencies"): several
/// lookups per row. Their iteration order never reaches a file (groups are sorted by key).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The columns the summaries read.
const NEEDED: [&str; 11] = [
    "parent_gen_id",
    "evaluation_template",
    "evaluation_llm_model",
    "score",
    "error",
    "evaluation_response_path",
    "combo_id",
    "draft_template",
    "generation_template",
    "generation_model",
    "generation_response_path",
];

/// The summary files' bytes; `None`: the reference writes nothing (empty, or its asset fails).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summaries {
    /// `final_results.csv`.
    pub final_results: Option<Vec<u8>>,
    /// `perfect_score_paths.csv`.
    pub perfect_score_paths: Option<Vec<u8>>,
    /// `evaluation_model_template_pivot.csv`.
    pub evaluation_model_template_pivot: Option<Vec<u8>>,
}

/// numpy's `round(x, d)`: scale, round half to even, unscale.
fn np_round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round_ties_even() / f
}

fn fmt_float(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        float_repr(x)
    }
}

/// A running mean as pandas' `group_mean` keeps it: a count and a Kahan sum.
#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    count: u64,
    sum: f64,
    compensation: f64,
}

impl Mean {
    fn add(&mut self, v: f64) {
        self.count += 1;
        // An infinity makes the compensation NaN, reset to 0.
        let y = v - self.compensation;
        let t = self.sum + y;
        self.compensation = t - self.sum - y;
        if self.compensation.is_nan() {
            self.compensation = 0.0;
        }
        self.sum = t;
    }

    fn average(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// One group's running statistics, as pandas' cython group aggregations keep them.
#[derive(Debug, Clone, Default)]
struct Group {
    count: u64,
    sum: Mean,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    perfect: u64,
    high: u64,
    low: u64,
}

impl Group {
    fn add(&mut self, v: f64) {
        if self.count == 0 {
            self.min = v;
            self.max = v;
        }
        self.count += 1;
        // group_mean: Kahan summation.
        self.sum.add(v);
        // group_var: Welford.
        let old = self.mean;
        self.mean += (v - old) / self.count as f64;
        self.m2 += (v - self.mean) * (v - old);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.perfect += u64::from(v == 10.0);
        self.high += u64::from(v >= 8.0);
        self.low += u64::from(v <= 3.0);
    }

    fn average(&self) -> f64 {
        self.sum.average()
    }

    fn std(&self) -> f64 {
        if self.count <= 1 {
            f64::NAN
        } else {
            (self.m2 / (self.count - 1) as f64).sqrt()
        }
    }
}

/// numpy's pairwise summation of a float array (`np.add.reduce`).
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for v in a {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

fn idx(name: &str) -> usize {
    NEEDED.iter().position(|n| *n == name).unwrap_or(0)
}

/// The blocks of `final_results.csv`: name and key columns.
const BLOCKS: [(&str, &[&str]); 6] = [
    ("by_generation_template", &["generation_template"]),
    ("by_generation_model", &["generation_model"]),
    ("by_evaluation_model", &["evaluation_llm_model"]),
    ("by_combo_id", &["combo_id"]),
    (
        "by_template_and_generation_model",
        &["generation_template", "generation_model"],
    ),
    (
        "by_generation_vs_evaluation_model",
        &["generation_model", "evaluation_llm_model"],
    ),
];

const PIVOT_INDEX: [&str; 5] = [
    "combo_id",
    "draft_template",
    "generation_template",
    "generation_model",
    "parent_gen_id",
];

/// Groups keyed by their key cells' text, keeping the typed cells for sorting and printing.
/// The key is the texts as [`encode_key`] writes them.
type Groups = HashMap<Box<[u8]>, (Vec<Cell>, Group)>;

/// One pivot row: its typed key cells, and its cells (column number, running mean) sorted by
/// column.
type PivotRow = (Vec<Cell>, Vec<(usize, Mean)>);

/// Everything the three tables need, accumulated valid row by valid row (in table order).
/// Pivot rows and columns are numbered once; each pivot row keeps only its own cells (a
/// column number and a running mean, sorted by column), so the pivot costs a few words per
/// cell however many rows it has (one per essay: 100,000 rows of 10 cells at 1,000,000
/// evaluations), not a hash map entry holding a full `Group` per cell.
#[derive(Default)]
struct Acc {
    blocks: Vec<Groups>,
    scores: Vec<f64>,
    perfect: Vec<u8>,
    perfect_rows: u64,
    /// A pivot row's key texts (see [`encode_key`]) → its number.
    pivot_row_ids: HashMap<Box<[u8]>, usize>,
    /// The rows, by number.
    pivot_rows: Vec<PivotRow>,
    /// A pivot column's name → its number; the names by number.
    pivot_column_ids: HashMap<String, usize>,
    pivot_columns: Vec<String>,
    /// A reused buffer for the key of the row at hand ([`encode_key`]).
    key: Vec<u8>,
    /// A reused buffer for the pivot column name of the row at hand.
    name: String,
}

/// Appends the cell as `astype(str)` makes it ([`Cell::str_text`]), without a copy for text.
fn push_str_text(out: &mut String, cell: &Cell) {
    match cell {
        Cell::Str(text) => out.push_str(text),
        other => out.push_str(&other.str_text()),
    }
}

/// Writes the texts of the key cells `keys` into `out` (cleared first), each preceded by its
/// length, so two keys are equal exactly when their texts are; false when a key cell is
/// missing (groupby and pivot_table drop the row).
fn encode_key(cells: &[Cell], keys: &[usize], out: &mut Vec<u8>) -> bool {
    out.clear();
    if keys.iter().any(|k| cells[*k].is_na()) {
        return false;
    }
    for k in keys {
        match &cells[*k] {
            Cell::Str(text) => {
                out.extend_from_slice(&(text.len() as u64).to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
            other => {
                let text = other.csv_text();
                out.extend_from_slice(&(text.len() as u64).to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    true
}

/// The texts of a key [`encode_key`] wrote, in key order.
fn pivot_key_texts(key: &[u8]) -> Vec<String> {
    let mut texts = Vec::with_capacity(PIVOT_INDEX.len());
    let mut rest = key;
    while let Some((len, tail)) = rest.split_first_chunk::<8>() {
        let len = usize::try_from(u64::from_le_bytes(*len)).unwrap_or(usize::MAX);
        let (text, tail) = tail.split_at(len.min(tail.len()));
        texts.push(String::from_utf8_lossy(text).into_owned());
        rest = tail;
    }
    texts
}

/// The typed key cells (cloned only for a new group).
fn key_cells(cells: &[Cell], keys: &[usize]) -> Vec<Cell> {
    keys.iter().map(|k| cells[*k].clone()).collect()
}

/// The column positions of each block's keys and of the pivot's index, in `NEEDED`.
struct Positions {
    blocks: Vec<Vec<usize>>,
    pivot: Vec<usize>,
}

impl Positions {
    fn new() -> Positions {
        Positions {
            blocks: BLOCKS
                .iter()
                .map(|(_, keys)| keys.iter().map(|k| idx(k)).collect())
                .collect(),
            pivot: PIVOT_INDEX.iter().map(|k| idx(k)).collect(),
        }
    }
}

impl Acc {
    fn add(&mut self, at: &Positions, score: f64, cells: &[Cell]) {
        if self.blocks.is_empty() {
            self.blocks = vec![Groups::default(); BLOCKS.len()];
            frame::push_record(
                &mut self.perfect,
                &[
                    "combo_id",
                    "generation_template",
                    "generation_model",
                    "evaluation_llm_model",
                    "score",
                    "generation_response_path",
                    "evaluation_response_path",
                    "notes",
                ],
            );
        }
        for (keys, groups) in at.blocks.iter().zip(&mut self.blocks) {
            if encode_key(cells, keys, &mut self.key) {
                match groups.get_mut(self.key.as_slice()) {
                    Some(group) => group.1.add(score),
                    None => {
                        let mut group = Group::default();
                        group.add(score);
                        groups.insert(
                            self.key.clone().into_boxed_slice(),
                            (key_cells(cells, keys), group),
                        );
                    }
                }
            }
        }
        self.scores.push(score);
        if score == 10.0 {
            self.perfect_rows += 1;
            let c = |name: &str| cells[idx(name)].csv_text();
            let s = |name: &str| cells[idx(name)].str_text();
            frame::push_record(
                &mut self.perfect,
                &[
                    c("combo_id"),
                    c("generation_template"),
                    c("generation_model"),
                    c("evaluation_llm_model"),
                    c("score"),
                    c("generation_response_path"),
                    c("evaluation_response_path"),
                    format!(
                        "Perfect score from {} generation + {} evaluation",
                        s("generation_model"),
                        s("evaluation_llm_model")
                    ),
                ],
            );
        }
        if encode_key(cells, &at.pivot, &mut self.key) {
            let row = match self.pivot_row_ids.get(self.key.as_slice()) {
                Some(row) => *row,
                None => {
                    let row = self.pivot_rows.len();
                    self.pivot_rows
                        .push((key_cells(cells, &at.pivot), Vec::new()));
                    self.pivot_row_ids
                        .insert(self.key.clone().into_boxed_slice(), row);
                    row
                }
            };
            // The column's name, `<model>_<template>` as `astype(str)` prints them, into a
            // reused buffer (no allocation per row).
            let mut name = std::mem::take(&mut self.name);
            name.clear();
            push_str_text(&mut name, &cells[idx("evaluation_llm_model")]);
            name.push('_');
            push_str_text(&mut name, &cells[idx("evaluation_template")]);
            let column = match self.pivot_column_ids.get(name.as_str()) {
                Some(column) => *column,
                None => {
                    let column = self.pivot_columns.len();
                    self.pivot_columns.push(name.clone());
                    self.pivot_column_ids.insert(name.clone(), column);
                    column
                }
            };
            self.name = name;
            let row_cells = &mut self.pivot_rows[row].1;
            let at = match row_cells.binary_search_by_key(&column, |(c, _)| *c) {
                Ok(at) => at,
                Err(at) => {
                    row_cells.insert(at, (column, Mean::default()));
                    at
                }
            };
            row_cells[at].1.add(score);
        }
    }
}

/// The dtypes of the columns the summaries read, computed from the records of a CSV file
/// without reading it back ([`summarise_typed`]): the writer feeds each record's cells as it
/// writes them, in any order (a column's dtype does not depend on the order of its values).
/// They are what `read_csv` infers from the file only when every record reads back as the
/// cells written — true unless a cell holds a `\r`, which `to_csv` writes raw and
/// `read_csv` takes for the end of a record; a cell with one makes the types unusable
/// ([`Types::usable`]) and the file is read twice, as before.
#[derive(Debug, Clone)]
pub struct Types {
    header: Vec<String>,
    at: Vec<Option<usize>>,
    inference: Vec<Inference>,
    carriage_return: bool,
}

impl Types {
    /// Types for a file whose header record is `header`.
    pub fn new(header: &[&str]) -> Types {
        Types {
            header: header.iter().map(|h| h.to_string()).collect(),
            at: NEEDED
                .iter()
                .map(|n| header.iter().position(|h| h == n))
                .collect(),
            inference: vec![Inference::default(); NEEDED.len()],
            carriage_return: false,
        }
    }

    /// Takes one record's cells, as written.
    pub fn add(&mut self, cells: &[&str]) {
        if cells.iter().any(|c| c.contains('\r')) {
            self.carriage_return = true;
        }
        for (k, col) in self.at.iter().enumerate() {
            self.inference[k].add(col.and_then(|c| cells.get(c)).copied());
        }
    }

    /// False when a cell held a `\r` (the file reads back as other records).
    pub fn usable(&self) -> bool {
        !self.carriage_return
    }
}

/// Computes the summaries from `aggregated_scores.csv` (`open` opens it afresh for each pass).
pub fn summarise<R: BufRead>(
    open: impl FnMut() -> std::io::Result<R>,
) -> std::io::Result<Summaries> {
    summarise_typed(open, None)
}

/// [`summarise`], with the columns' dtypes computed as the file was written ([`Types`]) when
/// they are given, usable, and of the same header: then the file is read once, not twice.
pub fn summarise_typed<R: BufRead>(
    mut open: impl FnMut() -> std::io::Result<R>,
    types: Option<Types>,
) -> std::io::Result<Summaries> {
    let mut tok = Tokenizer::new(open()?);
    let Some(header) = tok.next_record()? else {
        return Ok(Summaries::default());
    };
    let at: Vec<Option<usize>> = NEEDED
        .iter()
        .map(|n| header.iter().position(|h| h == n))
        .collect();
    let mut record = Vec::new();
    let (inference, mut tok) = match types.filter(|t| t.usable() && t.header == header) {
        Some(types) => (types.inference, tok),
        None => {
            // Pass 1: each needed column's dtype.
            let mut inference = vec![Inference::default(); NEEDED.len()];
            while tok.next_record_into(&mut record)? {
                for (k, col) in at.iter().enumerate() {
                    inference[k].add(col.and_then(|c| record.get(c)).map(String::as_str));
                }
            }
            let mut tok = Tokenizer::new(open()?);
            tok.next_record_into(&mut record)?;
            (inference, tok)
        }
    };
    let mut summariser = Summariser::new(inference);
    if !summariser.numeric {
        return Ok(Summaries::default());
    }
    while tok.next_record_into(&mut record)? {
        summariser.add(|k| at[k].and_then(|c| record.get(c)).map(String::as_str));
    }
    Ok(summariser.finish())
}

/// The summaries' second pass, row by row in table order, once the columns' dtypes are known:
/// from the records of a file read back ([`summarise_typed`]), or from the cells of the rows
/// as they are written ([`Summariser::add_cells`]: what `read_csv` reads back from them when
/// [`Types::usable`], D35).
pub struct Summariser {
    inference: Vec<Inference>,
    /// The score column holds numbers (else the reference writes nothing).
    numeric: bool,
    acc: Acc,
    positions: Positions,
    cells: Vec<Cell>,
    /// The position of each needed column in a record of [`Types`]' header.
    at: Vec<Option<usize>>,
}

impl Summariser {
    fn new(inference: Vec<Inference>) -> Summariser {
        // The reference's mean of a text column fails, and no text equals 10.0: nothing
        // written.
        let numeric = matches!(
            inference[idx("score")].dtype(),
            frame::Dtype::Int | frame::Dtype::Float
        );
        Summariser {
            inference,
            numeric,
            acc: Acc::default(),
            positions: Positions::new(),
            cells: Vec::with_capacity(NEEDED.len()),
            at: Vec::new(),
        }
    }

    /// A summariser of rows whose cells are those `types` took, in the same columns; `None`
    /// when the types are not usable (a cell held a `\r`: the file must be read back).
    pub fn of_cells(types: Types) -> Option<Summariser> {
        if !types.usable() {
            return None;
        }
        let at = types.at;
        let mut summariser = Summariser::new(types.inference);
        summariser.at = at;
        Some(summariser)
    }

    /// Takes one row's cells, as written (in the columns of [`Summariser::of_cells`]' types).
    pub fn add_cells(&mut self, cells: &[&str]) {
        let at = std::mem::take(&mut self.at);
        self.add(|k| at[k].and_then(|c| cells.get(c)).copied());
        self.at = at;
    }

    /// Takes one row: `token(k)` is the text of the `k`-th needed column (`None`: absent).
    fn add<'t>(&mut self, token: impl Fn(usize) -> Option<&'t str>) {
        if !self.numeric || !token(idx("error")).is_none_or(frame::is_na) {
            return;
        }
        let score = self.inference[idx("score")].cell(token(idx("score")));
        let Some(value) = score.number().filter(|v| !v.is_nan()) else {
            return;
        };
        self.cells.clear();
        let inference = &self.inference;
        self.cells
            .extend((0..NEEDED.len()).map(|k| inference[k].cell(token(k))));
        self.acc.add(&self.positions, value, &self.cells);
    }

    /// The three tables.
    pub fn finish(mut self) -> Summaries {
        let acc = &mut self.acc;
        if !self.numeric || acc.scores.is_empty() {
            return Summaries::default();
        }
        let final_results = final_results(acc);
        let evaluation_model_template_pivot = pivot(acc);
        Summaries {
            final_results: Some(final_results),
            perfect_score_paths: (acc.perfect_rows > 0).then(|| std::mem::take(&mut acc.perfect)),
            evaluation_model_template_pivot,
        }
    }
}

/// Sorts groups by their key cells as pandas sorts group keys.
fn sorted(groups: &Groups) -> Vec<&(Vec<Cell>, Group)> {
    let mut out: Vec<&(Vec<Cell>, Group)> = groups.values().collect();
    out.sort_by(|a, b| cmp_cells(&a.0, &b.0));
    out
}

fn cmp_cells(a: &[Cell], b: &[Cell]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.sort_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

const FINAL_COLUMNS: [&str; 15] = [
    "analysis_type",
    "generation_template",
    "generation_model",
    "evaluation_llm_model",
    "combo_id",
    "count",
    "average",
    "std_dev",
    "min_score",
    "max_score",
    "perfect_scores",
    "perfect_score_pct",
    "high_scores_8plus",
    "high_score_pct",
    "low_scores_3minus",
];

fn final_results(acc: &Acc) -> Vec<u8> {
    let mut out = Vec::new();
    frame::push_record(&mut out, &FINAL_COLUMNS);
    for ((name, keys), groups) in BLOCKS.iter().zip(&acc.blocks) {
        for (cells, g) in sorted(groups) {
            // Key columns hold missing values in the other blocks: an int column prints as
            // floats after pandas' concat.
            let key = |col: &str| {
                keys.iter()
                    .position(|k| *k == col)
                    .map(|i| cells[i].upcast_text())
                    .unwrap_or_default()
            };
            let count = g.count as f64;
            frame::push_record(
                &mut out,
                &[
                    name.to_string(),
                    key("generation_template"),
                    key("generation_model"),
                    key("evaluation_llm_model"),
                    key("combo_id"),
                    g.count.to_string(),
                    fmt_float(np_round(g.average(), 2)),
                    fmt_float(np_round(g.std(), 2)),
                    fmt_float(np_round(g.min, 2)),
                    fmt_float(np_round(g.max, 2)),
                    g.perfect.to_string(),
                    fmt_float(np_round(g.perfect as f64 / count * 100.0, 1)),
                    g.high.to_string(),
                    fmt_float(np_round(g.high as f64 / count * 100.0, 1)),
                    g.low.to_string(),
                ],
            );
        }
    }
    // overall_statistics: Series.mean / std (numpy sums), percentages rounded to 2.
    let scores = &acc.scores;
    let n = scores.len() as f64;
    let mean = pairwise_sum(scores) / n;
    let std = if scores.len() > 1 {
        let sq: Vec<f64> = scores.iter().map(|v| (mean - v) * (mean - v)).collect();
        (pairwise_sum(&sq) / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let perfect = scores.iter().filter(|v| **v == 10.0).count();
    let high = scores.iter().filter(|v| **v >= 8.0).count();
    let low = scores.iter().filter(|v| **v <= 3.0).count();
    frame::push_record(
        &mut out,
        &[
            "overall_statistics".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            scores.len().to_string(),
            fmt_float(np_round(mean, 2)),
            fmt_float(np_round(std, 2)),
            fmt_float(np_round(min, 2)),
            fmt_float(np_round(max, 2)),
            perfect.to_string(),
            fmt_float(np_round(perfect as f64 / n * 100.0, 2)),
            high.to_string(),
            fmt_float(np_round(high as f64 / n * 100.0, 2)),
            low.to_string(),
        ],
    );
    out
}

fn pivot(acc: &mut Acc) -> Option<Vec<u8>> {
    // pivot_table drops NaN aggregates before unstacking, then all-NaN columns.
    let kept =
        |cells: &[(usize, Mean)]| -> bool { cells.iter().any(|(_, m)| !m.average().is_nan()) };
    let mut columns: Vec<usize> = acc
        .pivot_rows
        .iter()
        .flat_map(|(_, cells)| cells.iter())
        .filter(|(_, m)| !m.average().is_nan())
        .map(|(c, _)| *c)
        .collect();
    if columns.is_empty() {
        return None;
    }
    columns.sort_unstable();
    columns.dedup();
    columns.sort_by(|a, b| acc.pivot_columns[*a].cmp(&acc.pivot_columns[*b]));
    // The key texts by row number, taken out of the map (which is not needed any more).
    let mut texts: Vec<Vec<String>> = vec![Vec::new(); acc.pivot_rows.len()];
    for (key, row) in acc.pivot_row_ids.drain() {
        if let Some(t) = texts.get_mut(row) {
            *t = pivot_key_texts(&key);
        }
    }
    let mut rows: Vec<usize> = (0..acc.pivot_rows.len())
        .filter(|r| kept(&acc.pivot_rows[*r].1))
        .collect();
    // Sorted by the typed key cells, ties (equal cells, other texts) by the key texts.
    rows.sort_by(|a, b| {
        cmp_cells(&acc.pivot_rows[*a].0, &acc.pivot_rows[*b].0)
            .then_with(|| texts[*a].cmp(&texts[*b]))
    });
    let mut out = Vec::new();
    let mut header: Vec<String> = PIVOT_INDEX.iter().map(|s| s.to_string()).collect();
    header.extend(columns.iter().map(|c| acc.pivot_columns[*c].clone()));
    frame::push_record(&mut out, &header);
    for row in rows {
        let cells = &acc.pivot_rows[row].1;
        let mut record = std::mem::take(&mut texts[row]);
        for column in &columns {
            let mean = cells
                .binary_search_by_key(column, |(c, _)| *c)
                .ok()
                .map(|at| cells[at].1.average())
                .filter(|m| !m.is_nan());
            record.push(mean.map(|m| fmt_float(np_round(m, 2))).unwrap_or_default());
        }
        frame::push_record(&mut out, &record);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numpy_rounding_and_sums() {
        assert_eq!(np_round(8.125, 2), 8.12);
        assert_eq!(np_round(7.833333, 2), 7.83);
        assert_eq!(np_round(2.0 / 3.0 * 100.0, 1), 66.7);
        assert_eq!(np_round(100.0 / 7.0, 2), 14.29);
        assert_eq!(pairwise_sum(&[1.0; 300]), 300.0);
        let mut g = Group::default();
        for v in [6.0, 8.5, 9.0] {
            g.add(v);
        }
        assert_eq!(np_round(g.std(), 2), 1.61);
        let mut g = Group::default();
        for v in [f64::INFINITY, 1.0, f64::NEG_INFINITY] {
            g.add(v);
        }
        assert!(g.average().is_nan() && g.std().is_nan());
        let mut g = Group::default();
        for v in [f64::INFINITY, 1.0] {
            g.add(v);
        }
        assert_eq!(g.average(), f64::INFINITY);
    }

    #[test]
    fn keys_are_equal_exactly_when_their_texts_are() {
        let cells = [
            Cell::Str("a,b".into()),
            Cell::Int(3),
            Cell::Str(String::new()),
            Cell::Na,
        ];
        let mut key = Vec::new();
        assert!(encode_key(&cells, &[0, 1, 2], &mut key));
        assert_eq!(pivot_key_texts(&key), ["a,b", "3", ""]);
        let mut other = Vec::new();
        let split = [Cell::Str("a".into()), Cell::Str(",b3".into())];
        assert!(encode_key(&split, &[0, 1], &mut other));
        assert_ne!(key[..], other[..]);
        assert!(!encode_key(&cells, &[0, 3], &mut key));
    }

    /// A row of the scores table: scores, errors and keys drawn so that groups repeat and
    /// some cells need quoting (commas, quotes, newlines) or carry a `\r`; `text` lets the
    /// score be text (then the reference writes no summary).
    fn row(text: bool) -> impl Strategy<Value = Vec<String>> {
        let key = || {
            prop_oneof![
                30 => "[ab1, \"\n]{1,3}|[ab1]|1\\.0",
                2 => Just(String::new()),
                1 => Just("a\rb".to_string()),
            ]
        };
        let score = if text {
            "10(\\.0)?|[0-9](\\.[05])?||x|nan|1e3"
        } else {
            "10(\\.0)?|[0-9](\\.[05])?||nan|1e3|-?inf"
        };
        let error = "|||missing parsed.txt";
        (
            proptest::collection::vec(key(), 4),
            score,
            error,
            proptest::collection::vec(key(), 9),
        )
            .prop_map(|(head, score, error, tail)| {
                let mut row = head;
                row.push(score);
                row.push(error);
                row.extend(tail);
                row
            })
    }

    proptest! {
        /// The summaries of the rows' cells, as `scores` computes them while it writes, are
        /// those of the file read back as pandas reads it — or, when a cell holds a `\r`, the
        /// cells are refused and the file is read back (D35, D37).
        #[test]
        fn cells_summarise_as_their_file_reads_back(
            rows in proptest::bool::weighted(0.2)
                .prop_flat_map(|text| proptest::collection::vec(row(text), 0..40)),
        ) {
            let header = crate::results::COLUMNS;
            let mut bytes = Vec::new();
            frame::push_record(&mut bytes, &header);
            let mut types = Types::new(&header);
            for row in &rows {
                let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                frame::push_record(&mut bytes, &cells);
                types.add(&cells);
            }
            let read_back = summarise(|| Ok(std::io::Cursor::new(bytes.clone()))).unwrap();
            match Summariser::of_cells(types) {
                None => prop_assert!(rows.iter().flatten().any(|c| c.contains('\r'))),
                Some(mut summariser) => {
                    for row in &rows {
                        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                        summariser.add_cells(&cells);
                    }
                    prop_assert_eq!(summariser.finish(), read_back);
                }
            }
        }
    }
}
