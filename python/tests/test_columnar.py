"""Columnar output (docs/decisions.md D31): ``Store.query_arrow`` gives a pyarrow Table, and the
Parquet file ``cohortdb query --format parquet --out FILE`` writes is read by pyarrow, DuckDB and
Polars — the same rows as ``Store.query``. pyarrow, duckdb and polars are optional: tests/run.sh
installs them when PyPI allows, and each test says which one it skipped for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import cohortdb

MEMBERS = (
    "select stage, gen_id, parent_gen_id, replicate from membership "
    "where cohort_id = 'pilot' order by ordinal"
)


def test_query_arrow_returns_a_typed_table_with_the_query_rows(built):
    pyarrow = pytest.importorskip("pyarrow")
    table = built.query_arrow(MEMBERS)
    assert isinstance(table, pyarrow.Table)
    assert [str(t) for t in table.schema.types] == ["string", "string", "string", "int64"]
    assert table.to_pylist() == built.query(MEMBERS)
    # A draft has no parent: a null.
    assert table.column("parent_gen_id")[0].as_py() is None

    # Parameters bind as in query(); an expression's type comes from its values.
    one = built.query_arrow("select :n + 1 as n, 0.5 as half, x'00ff' as b", {"n": 41})
    assert one.to_pylist() == [{"n": 42, "half": 0.5, "b": b"\x00\xff"}]
    assert [str(t) for t in one.schema.types] == ["int64", "double", "binary"]


def test_query_arrow_refuses_a_value_its_column_cannot_hold(built):
    pytest.importorskip("pyarrow")
    with pytest.raises(cohortdb.UsageError, match=r'column "replicate" holds text at row 49'):
        built.query_arrow(
            "select replicate from membership where cohort_id = 'pilot' union all select 'x'"
        )
    with pytest.raises(cohortdb.QueryError):
        built.query_arrow("delete from cohort_records")


def test_query_arrow_without_pyarrow_names_the_install(built, monkeypatch):
    # A None entry in sys.modules makes `import pyarrow` raise ImportError.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install pyarrow"):
        built.query_arrow(MEMBERS)


def test_duckdb_and_polars_read_the_cli_parquet_file(built, cli, workdir: Path):
    out = workdir / "membership.parquet"
    cli(["--db", str(built.path), "query", MEMBERS, "--format", "parquet", "--out", str(out)], workdir)
    expected = built.query(MEMBERS)
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(f"select * from '{out}'").fetchall()
    assert rows == [tuple(r.values()) for r in expected]
    counts = duckdb.sql(f"select stage, count(*) from '{out}' group by stage order by stage").fetchall()
    assert counts == [("draft", 8), ("essay", 8), ("evaluation", 32)]
    polars = pytest.importorskip("polars")
    frame = polars.read_parquet(out)
    assert frame.to_dicts() == expected
    assert frame.schema["replicate"] == polars.Int64
