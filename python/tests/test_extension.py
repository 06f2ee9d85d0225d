"""The SQLite loadable extension (sqlite-ext/) on a store built from Python: the sqlite3 shell
and Python's own sqlite3 module browse the views with gen_id()."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

import cohortdb

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


def run_extension(store_path: str, extension: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sqlite3", store_path, "-cmd", f".load {extension.with_suffix('')}", sql],
        capture_output=True,
        text=True,
    )


THREE_HOMES = [
    # Two different invalid UTF-8 texts: refused, never one shared digest.
    ("select hex(gen_signature_digest(cast(x'61ff7c31' as text)))", "needs UTF-8 text"),
    ("select hex(gen_signature_digest(cast(x'61fe7c31' as text)))", "needs UTF-8 text"),
    # A 5 MB argument is echoed capped (with its length where the message has room for it).
    ("select gen_id(printf('%.*c', 5000000, 'x'), 'a|1')", "unknown stage \"xxxx"),
    ("select gen_signature('a', printf('%.*c', 5000000, '9') || 'x')", "replicate must be an integer"),
]


@pytest.mark.parametrize("sql,message", THREE_HOMES)
def test_the_sql_functions_agree_in_all_three_homes(built, extension, cli, sql, message):
    """The store's own connections (CLI and Python) and the extension give the same refusal,
    capped (docs/python.md, "The gen_id functions in Python")."""
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 shell (apt-get install -y sqlite3)")
    with pytest.raises(cohortdb.QueryError) as info:
        built.query(sql)
    assert message in str(info.value) and len(str(info.value)) < 1000
    out = cli(["--db", built.path, "query", sql], cwd=Path(built.path).parent, check=False)
    assert out.returncode == 2 and message in out.stderr and len(out.stderr) < 3000, out.stderr
    ext = run_extension(built.path, extension, sql)
    assert ext.returncode != 0 and message in ext.stderr and len(ext.stderr) < 1000, ext.stderr[:300]


def test_every_stage_recomputes_in_the_extension(built, extension):
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 shell (apt-get install -y sqlite3)")
    sql = (
        "select stage, count(*), sum(gen_id = gen_id(stage, case stage "
        "when 'draft' then gen_signature(combo_id, template_id, llm_model_id, replicate) "
        "when 'essay' then gen_signature(parent_gen_id, template_id, replicate) "
        "else gen_signature(parent_gen_id, template_id, llm_model_id, replicate) end)) "
        "from membership where cohort_id = 'pilot' group by stage order by min(ordinal)"
    )
    out = run_extension(built.path, extension, sql)
    assert out.stdout.split() == ["draft|8|8", "essay|8|8", "evaluation|32|32"], out.stderr
