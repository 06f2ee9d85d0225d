//! The generated spec's text and items files.

use super::super::{AXIS_ORDER, Chains, items_csv, yaml_flow, yaml_str};

use super::Mode;
use super::inputs::Inputs;

/// An inline tuple's items: the product of `lists`, one flow sequence per line.
pub(super) fn inline_items(out: &mut String, lists: &[Vec<String>]) {
    let mut rows: Vec<Vec<String>> = vec![Vec::new()];
    for list in lists {
        rows = rows
            .into_iter()
            .flat_map(|row| {
                list.iter().map(move |v| {
                    let mut row = row.clone();
                    row.push(v.clone());
                    row
                })
            })
            .collect();
    }
    out.push_str("      items:\n");
    for row in rows {
        out.push_str(&format!("        - {}\n", yaml_flow(row)));
    }
}

pub(super) fn quoted(values: &[String]) -> Vec<String> {
    values.iter().map(|v| yaml_str(v)).collect()
}

pub(super) fn reps(n: i64) -> Vec<String> {
    (1..=n).map(|r| r.to_string()).collect()
}

/// The spec's text and items files for a mode.
pub(super) fn spec_files(
    mode: Mode,
    inputs: &Inputs,
    combos: &[String],
    chains: &Chains,
    header: &str,
) -> Vec<(String, Vec<u8>)> {
    let mut out = String::from(header);
    let mut files = Vec::new();
    match mode {
        Mode::Cartesian => cartesian(&mut out, inputs, combos),
        Mode::CuratedDrafts => files.push(curated_drafts(&mut out, inputs, chains)),
        Mode::CuratedEssays => files.push(curated_essays(&mut out, chains)),
    }
    if mode != Mode::Cartesian {
        out.push_str("    # Active evaluation templates × for_evaluation LLMs × replicates.\n");
        evaluation_plan(&mut out, inputs);
    }
    out.push_str(&format!(
        "output:\n  field_order: {}\n",
        yaml_flow(AXIS_ORDER.map(str::to_string))
    ));
    files.insert(0, ("config.yaml".to_string(), out.into_bytes()));
    files
}

/// The evaluation plan tuple: active evaluation templates × evaluation LLMs × replicates.
fn evaluation_plan(out: &mut String, inputs: &Inputs) {
    out.push_str(&format!(
        "    evaluations:\n      axes: {}\n",
        yaml_flow(AXIS_ORDER[7..].iter().map(|s| s.to_string()))
    ));
    inline_items(
        out,
        &[
            quoted(&inputs.evaluation_templates),
            quoted(&inputs.evaluation_llms),
            reps(inputs.replicates[2]),
        ],
    );
}

/// Cartesian mode: explicit axes from the active lists, `essay_llm` tied to `draft_llm`.
fn cartesian(out: &mut String, inputs: &Inputs, combos: &[String]) {
    let [rd, re, rv] = inputs.replicates;
    out.push_str("axes:\n");
    let mut axis = |name: &str, values: Vec<String>| {
        out.push_str(&format!("  {name}: {}\n", yaml_flow(values)));
    };
    axis("combo_id", quoted(combos));
    axis("draft_template", quoted(&inputs.draft_templates));
    axis("draft_llm", quoted(&inputs.generation_llms));
    axis("draft_replicate", reps(rd));
    axis("essay_template", quoted(&inputs.essay_templates));
    axis("essay_llm", quoted(&inputs.generation_llms));
    axis("essay_replicate", reps(re));
    axis("evaluation_template", quoted(&inputs.evaluation_templates));
    axis("evaluation_llm", quoted(&inputs.evaluation_llms));
    axis("evaluation_replicate", reps(rv));
    out.push_str("rules:\n  ties:\n");
    out.push_str("    # The legacy flow wrote each essay with its draft's LLM.\n");
    out.push_str("    draft_llm: [draft_llm, essay_llm]\n");
}

/// Curated drafts mode: a tuple over the drafts' metadata, then the essay plan; returns the
/// items file.
fn curated_drafts(out: &mut String, inputs: &Inputs, chains: &Chains) -> (String, Vec<u8>) {
    let axes = [
        "combo_id",
        "draft_template",
        "draft_llm",
        "draft_replicate",
        "essay_llm",
    ];
    let rows: Vec<Vec<String>> = chains
        .drafts
        .iter()
        .map(|d| {
            vec![
                d.combo.clone(),
                d.template.clone(),
                d.llm.clone(),
                d.rep.to_string(),
                d.llm.clone(),
            ]
        })
        .collect();
    out.push_str("rules:\n  tuples:\n");
    out.push_str("    # The curated drafts, from their metadata; each essay is written with its draft's LLM.\n");
    out.push_str(&format!(
        "    drafts:\n      axes: {}\n      items: \"@file:items/drafts.csv\"\n",
        yaml_flow(axes.iter().map(|s| s.to_string()))
    ));
    out.push_str("    # Active essay templates × replicates.\n");
    out.push_str("    essays:\n      axes: [essay_template, essay_replicate]\n");
    inline_items(
        out,
        &[quoted(&inputs.essay_templates), reps(inputs.replicates[1])],
    );
    ("items/drafts.csv".to_string(), items_csv(&axes, &rows))
}

/// Curated essays mode: a tuple over the essays and their drafts' metadata; returns the items
/// file.
fn curated_essays(out: &mut String, chains: &Chains) -> (String, Vec<u8>) {
    let axes = &AXIS_ORDER[..7];
    let rows: Vec<Vec<String>> = chains.essays.iter().map(|e| chains.essay_row(e)).collect();
    out.push_str("rules:\n  tuples:\n");
    out.push_str("    # The curated essays with their drafts, from their metadata.\n");
    out.push_str(&format!(
        "    essays:\n      axes: {}\n      items: \"@file:items/essays.csv\"\n",
        yaml_flow(axes.iter().map(|s| s.to_string()))
    ));
    ("items/essays.csv".to_string(), items_csv(axes, &rows))
}
