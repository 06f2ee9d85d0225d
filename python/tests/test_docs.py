"""The examples of docs/python.md run, in order, on a copy of examples/data."""

from __future__ import annotations

import os
import re

import pytest

from conftest import REPO


def test_every_python_block_of_the_guide_runs(workdir, monkeypatch):
    pytest.importorskip("pandas")
    text = (REPO / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(workdir)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/python.md", "exec"), namespace)  # noqa: S102
    assert os.path.exists(workdir / "data" / "cohorts" / "pilot" / "cohort.lock.json")
    assert namespace["conn"].execute("select gen_id('draft', 'combo|tpl|model|1', 1)").fetchone() == (
        "d_3lmvqkgnqsit2o5l-1",
    )
