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


def test_the_printed_outputs_are_the_outputs(workdir, monkeypatch):
    """Every `print(...)` of the guide followed by `# expected` comment lines prints exactly
    that (an ellipsis `…` in the expected text matches anything)."""
    pytest.importorskip("pandas")
    text = (REPO / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    monkeypatch.chdir(workdir)
    namespace: dict = {}
    checked = 0
    for block in blocks:
        lines = block.splitlines()
        chunk: list = []
        i = 0
        while i < len(lines):
            line = lines[i]
            chunk.append(line)
            i += 1
            if line.startswith("print(") and i < len(lines) and lines[i].startswith("# "):
                expected = []
                while i < len(lines) and lines[i].startswith("# "):
                    expected.append(lines[i][2:])
                    i += 1
                import contextlib
                import io

                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile("\n".join(chunk), "docs/python.md", "exec"), namespace)  # noqa: S102
                chunk = []
                pattern = "\n".join(re.escape(e).replace("…", ".*") for e in expected)
                assert re.fullmatch(pattern, out.getvalue().rstrip("\n"), flags=re.S), (
                    expected,
                    out.getvalue(),
                )
                checked += 1
        if chunk:
            exec(compile("\n".join(chunk), "docs/python.md", "exec"), namespace)  # noqa: S102
    assert checked >= 8
