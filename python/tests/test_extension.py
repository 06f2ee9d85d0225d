"""The SQLite loadable extension (sqlite-ext/) on a store built from Python: the sqlite3 shell
and Python's own sqlite3 module browse the views with gen_id()."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

DRAFTS_RECOMPUTE = (
    "select count(*) from membership where stage = 'draft' and gen_id = "
    "gen_id('draft', gen_signature(combo_id, template_id, llm_model_id, replicate))"
)


@pytest.fixture
def extension() -> Path:
    """The built extension: $COHORTDB_SQLITE_EXT (tests/run.sh sets it), else target/release."""
    env = os.environ.get("COHORTDB_SQLITE_EXT")
    path = Path(env) if env else REPO / "target" / "release" / "libcohortdb_sqlite.so"
    if not path.is_file():
        if env:
            pytest.fail(f"COHORTDB_SQLITE_EXT={path} does not exist")
        pytest.skip(f"{path} not built (see docs/python.md)")
    return path


def test_the_sqlite3_shell_browses_the_views_with_gen_id(built, extension):
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 shell (apt-get install -y sqlite3)")
    out = subprocess.run(
        ["sqlite3", built.path, "-cmd", f".load {extension.with_suffix('')}", DRAFTS_RECOMPUTE],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out == "8\n"


def test_python_sqlite3_loads_the_extension(built, extension):
    conn = sqlite3.connect(built.path)
    if not hasattr(conn, "enable_load_extension"):
        pytest.skip("this Python's sqlite3 was built without extension loading")
    conn.enable_load_extension(True)
    conn.load_extension(str(extension))
    assert conn.execute(DRAFTS_RECOMPUTE).fetchone() == (8,)
