//! The library's modules import only downward (docs/architecture.md, "The layering rule"): a
//! module may name another of a lower layer, or of its own layer where the list orders them,
//! never one above it. Read from the source text, outside test modules and comments.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// How the modules of one layer may use each other.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Within {
    /// Small leaf helpers that may use each other.
    Peers,
    /// A module may use those listed before it.
    Ordered,
    /// None uses another.
    Siblings,
}

/// The layers, lowest first, as docs/architecture.md lists them.
const LAYERS: &[(Within, &[&str])] = &[
    (
        Within::Peers,
        &[
            "ids",
            "error",
            "textfmt",
            "csvread",
            "seed",
            "replicate",
            "fsutil",
        ],
    ),
    (Within::Ordered, &["store"]),
    (Within::Ordered, &["spec", "catalog", "compile", "query"]),
    (Within::Ordered, &["record"]),
    (Within::Ordered, &["layout"]),
    (Within::Ordered, &["cohort"]),
    (Within::Ordered, &["results"]),
    (Within::Siblings, &["export", "verify", "status", "show"]),
    (Within::Ordered, &["diff"]),
    (Within::Ordered, &["migrate", "team"]),
    (Within::Ordered, &["app"]),
];

/// A module's layer, its place in it, and how its layer's modules relate.
fn rank(module: &str) -> Option<(usize, usize, Within)> {
    LAYERS
        .iter()
        .enumerate()
        .find_map(|(layer, (within, names))| {
            names
                .iter()
                .position(|n| *n == module)
                .map(|i| (layer, i, *within))
        })
}

/// Whether a module ranked `own` may use one ranked `theirs`.
fn may_use(own: (usize, usize, Within), theirs: (usize, usize, Within)) -> bool {
    if theirs.0 != own.0 {
        return theirs.0 < own.0;
    }
    match own.2 {
        Within::Peers => true,
        Within::Ordered => theirs.1 < own.1,
        Within::Siblings => false,
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module an item re-exported at the crate root (src/lib.rs) comes from.
fn root_item_module(name: &str) -> Option<&'static str> {
    match name {
        "Store" => Some("store"),
        "Error" | "Result" | "ErrorKind" | "UsageError" | "Location" => Some("error"),
        _ => None,
    }
}

/// The `crate::<module>` names a file's code (not its tests or comments) uses.
fn used_modules(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut used = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            used.push(root_item_module(&name).unwrap_or(&name).to_string());
        }
    }
    used
}

#[test]
fn modules_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unlisted = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("below src/");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_string())
            .expect("a file name");
        if ["lib", "main", "cli"].contains(&top.as_str()) {
            continue;
        }
        let Some(own) = rank(&top) else {
            unlisted.push(top);
            continue;
        };
        let text = fs::read_to_string(file).expect("a source file is UTF-8");
        for used in used_modules(&text) {
            if used == top {
                continue;
            }
            match rank(&used) {
                Some(theirs) if may_use(own, theirs) => {}
                Some(_) => upward
                    .entry(rel.display().to_string())
                    .or_default()
                    .push(used),
                None => unlisted.push(used),
            }
        }
    }
    unlisted.sort();
    unlisted.dedup();
    assert!(
        unlisted.is_empty(),
        "modules missing from the layer list (docs/architecture.md): {unlisted:?}"
    );
    assert!(upward.is_empty(), "upward imports: {upward:#?}");
}

#[test]
fn an_upward_import_is_found() {
    let text = "use crate::ids::Stage;\n// crate::cli in a comment\nuse crate::export::x;\n\
                let s = crate::Store::open();\n#[cfg(test)]\nmod tests { use crate::verify; }\n";
    assert_eq!(used_modules(text), ["ids", "export", "store"]);
    let r = |m| rank(m).expect("listed");
    assert!(!may_use(r("record"), r("export")), "upward");
    assert!(may_use(r("export"), r("record")), "downward");
    assert!(may_use(r("error"), r("textfmt")), "leaf helpers are peers");
    assert!(may_use(r("catalog"), r("spec")) && !may_use(r("spec"), r("catalog")));
    assert!(!may_use(r("verify"), r("export")), "siblings");
    assert!(may_use(r("diff"), r("status")));
    assert_eq!(rank("cli"), None);
}
