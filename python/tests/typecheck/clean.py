"""The same calls written correctly: `mypy --strict` reports nothing
(python/tests/test_types.py)."""

from typing import List

import cohortdb

store = cohortdb.Store("cohorts.db", data_root="data")
report = store.verify("pilot")
files: List[str] = [f.file for f in report.findings if f.file is not None]
differs = [f for f in report.findings if f.severity == "difference"]
batches = store.iter_batches("select 1", shape="columns")
built = store.build("pilot")
drafts: int = built.counts["draft"]
status = store.status()
stale = [s["kind"] for c in status.cohorts for s in c["stale"]]
shown = store.show("pilot")
balanced = all(a["balanced"] for s in shown.balance for a in s["axes"])
events: List[cohortdb.ProgressEvent] = []
with cohortdb.Store("cohorts.db", callbacks=[events.append]) as other:
    other.cohorts()
