"""``cohortdb.Store("postgres://…")``: a team store on PostgreSQL works like an SQLite store
(docs/postgres.md). Each test gets a database of its own on the server at $COHORTDB_TEST_PG
(default the local one), dropped afterwards; with no server the tests are skipped, unless
CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest

import cohortdb

SERVER = os.environ.get("COHORTDB_TEST_PG") or "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"


def _base() -> str:
    return SERVER.split("?", 1)[0].rsplit("/", 1)[0]


def _psql(sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", SERVER.split("?", 1)[0], "-c", sql],
        capture_output=True,
        text=True,
    )


@pytest.fixture
def team_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database's URL (the mirror in tmp_path)."""
    reason = None
    if shutil.which("psql") is None:
        reason = "no psql"
    else:
        probe = _psql("select 1")
        if probe.returncode != 0:
            reason = f"no PostgreSQL server at {_base()}: {probe.stderr.strip()}"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the team-store tests: {reason}")
        pytest.skip(reason)
    name = f"cohortdb_py_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    created = _psql(f"create database {name} template template0")
    assert created.returncode == 0, created.stderr
    monkeypatch.setenv("COHORTDB_MIRROR_DIR", str(tmp_path / "mirrors"))
    try:
        yield f"{_base()}/{name}?sslmode=disable"
    finally:
        _psql(f"drop database if exists {name} with (force)")


def test_a_team_store_gives_the_same_reports_and_rows_as_sqlite(team_url: str, workdir: Path) -> None:
    local = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data")
    team = cohortdb.Store(team_url, data_root=workdir / "data")
    assert team.path == team_url  # no password in it to hide
    for store in (local, team):
        assert store.init().schema_version >= 4
        store.import_catalogs()
    a = local.build("pilot")
    b = team.build("pilot")
    assert a.to_dict() == b.to_dict()
    assert b.status == "created"
    assert team.build("pilot").status == "unchanged"
    sql = "select stage, gen_id, parent_gen_id from membership where cohort_id = :c order by stage, gen_id"
    assert local.query(sql, {"c": "pilot"}) == team.query(sql, {"c": "pilot"})
    assert team.show("pilot").to_dict()["content_hash"] == local.show("pilot").to_dict()["content_hash"]
    assert [c.cohort_id for c in team.cohorts().cohorts] == ["pilot"]
    assert team.verify("pilot", store_only=True).matches


def test_a_password_is_never_shown_and_server_errors_are_store_errors(team_url: str, workdir: Path) -> None:
    with_password = team_url.replace("@", ":hunter2-pw@", 1)
    store = cohortdb.Store(with_password, data_root=workdir / "data")
    assert "hunter2" not in store.path and "hunter2" not in repr(store)
    with pytest.raises(cohortdb.errors.CohortdbError) as err:
        store.query("select 1")  # no store in the database yet: readers never create one
    assert "hunter2" not in str(err.value)
    store.init()
    with pytest.raises(cohortdb.errors.StoreError) as err:
        store.query("select nosuch from membership")
    assert "hunter2" not in str(err.value)


def test_push_and_pull_move_cohorts_between_sqlite_and_a_team_store(team_url: str, workdir: Path) -> None:
    laptop = cohortdb.Store(workdir / "laptop.db", data_root=workdir / "data")
    laptop.import_catalogs()
    built = laptop.build("pilot")
    pushed = laptop.push("pilot", to=team_url)
    assert isinstance(pushed, cohortdb.CopyReport)
    assert (pushed.source, pushed.target) == (laptop.path, team_url)
    assert pushed.copied == ["pilot"] and pushed.present == []
    assert pushed.catalog_rows > 0
    assert pushed.to_dict()["from"] == laptop.path
    # Repeating is a no-op.
    again = laptop.push(["pilot"], to=team_url)
    assert (again.copied, again.present, again.catalog_rows) == ([], ["pilot"], 0)
    team = cohortdb.Store(team_url, data_root=workdir / "data")
    assert team.show("pilot").to_dict()["content_hash"] == built.content_hash
    # Positional parameters on the server, as on SQLite.
    sql = "select count(*) as n from membership where cohort_id = ? and stage = ?2"
    assert team.query(sql, ["pilot", "draft"]) == laptop.query(sql, ["pilot", "draft"])
    # Into a fresh SQLite store, from the team store: the same record, verified.
    fresh = cohortdb.Store(workdir / "fresh.db", data_root=workdir / "data")
    pulled = fresh.pull("pilot", from_=team_url)
    assert pulled.copied == ["pilot"] and pulled.source == team_url
    assert fresh.show("pilot").to_dict()["content_hash"] == built.content_hash
    assert fresh.verify("pilot", store_only=True).matches
    # A cohort the source does not hold: refused, nothing copied.
    with pytest.raises(cohortdb.errors.CohortdbError) as err:
        fresh.pull("nosuch", from_=team_url)
    assert "nosuch" in str(err.value)
