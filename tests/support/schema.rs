//! Validates a command's JSON output against its schema under docs/schema/.

use std::path::Path;

/// Parses `output` as one JSON document and validates it against `docs/schema/<name>`;
/// panics listing every violation. Returns the document.
pub fn validate(name: &str, output: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(name);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{}: not a valid schema: {e}", path.display()));
    let instance: serde_json::Value = serde_json::from_str(output)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{output}"));
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: output does not validate:\n{}\n{output}",
        errors.join("\n")
    );
    instance
}
