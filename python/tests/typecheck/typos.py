"""Typos a pipeline makes. `mypy --strict` must report every line marked `# error:`
(python/tests/test_types.py checks that it does, and that nothing else is reported)."""

import cohortdb

store = cohortdb.Store("cohorts.db", data_root="data")
report = store.verify("pilot")
finding = report.findings[0]
print(finding.fiel)  # error: attr-defined
print(finding.severity == "diference")  # error: comparison-overlap
batches = store.iter_batches("select 1", shape="colums")  # error: arg-type
built = store.build("pilot")
print(built.counts["drafts"])  # error: typeddict-item
print(built.statsu)  # error: attr-defined
status = store.status()
print(status.cohorts[0]["stael"])  # error: typeddict-item
shown = store.show("pilot")
print(shown.balance[0]["axes"][0]["balnced"])  # error: typeddict-item
imported = store.import_catalogs()
print(imported.files[0].kind == "concept")  # error: comparison-overlap
