"""A Store and Python's own sqlite3 on one store file in one process (docs/python.md, "Sharing a
store"; docs/decisions.md D26).

The package bundles its own SQLite; ``sqlite3`` uses the interpreter's. On Linux the bundled
copy locks with open file description locks, which the interpreter's POSIX locks exclude, so the
two copies wait for each other like two processes. Each scenario repeats
``COHORTDB_SHARED_RUNS`` times (default 2; the issue's "100 runs in a row" is
``COHORTDB_SHARED_RUNS=100``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import cohortdb

RUNS = int(os.environ.get("COHORTDB_SHARED_RUNS", "2"))

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="open file description locks are Linux's (docs/python.md, 'Sharing a store')",
)

# Both numbers read in one statement: equal unless the statement saw two states of the store.
TWO_COUNTS = (
    "select (select count(*) from membership), "
    "(select count(*) from cohort_members where stage = 0) "
    "+ (select count(*) from cohort_members where stage <> 0)"
)


def bigger_spec(workdir: Path, cohort_id: str, seed: int) -> Path:
    """The pilot spec with more replicates (thousands of members), under a new cohort id."""
    source = workdir / "data" / "cohorts" / "pilot" / "spec"
    target = workdir / "data" / "cohorts" / cohort_id / "spec"
    target.mkdir(parents=True)
    for item in source.rglob("*"):
        if item.is_file():
            dest = target / item.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(item.read_bytes())
    config = (target / "config.yaml").read_text()
    replicates = ", ".join(str(i) for i in range(1, 61))
    config, n = re.subn(r"evaluation_replicate: \[1, 2\]", f"evaluation_replicate: [{replicates}]", config)
    assert n == 1
    config = config.replace("output:\n", f"output:\n  seed: {seed}\n", 1)
    (target / "config.yaml").write_text(config)
    return target


def fresh(tmp_path_factory: Any, name: str) -> Tuple[Path, cohortdb.Store]:
    """A new scratch copy of the example data with catalogs imported and pilot built."""
    import shutil

    from conftest import EXAMPLE_DATA

    workdir = tmp_path_factory.mktemp(name)
    shutil.copytree(EXAMPLE_DATA, workdir / "data")
    store = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data")
    store.import_catalogs()
    store.build("pilot")
    return workdir, store


def user_connection(db: Path, timeout: float = 60.0) -> sqlite3.Connection:
    """The user's own connection, in autocommit mode (transactions are explicit)."""
    return sqlite3.connect(db, timeout=timeout, isolation_level=None, check_same_thread=False)


def check_whole(db: Path, cohorts: List[str]) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in conn.execute("select cohort_id from cohorts")}
        assert set(cohorts) <= stored, stored
        for cohort in cohorts:
            (n,) = conn.execute(
                "select count(*) from membership where cohort_id = ?", (cohort,)
            ).fetchone()
            assert n > 0, cohort
    finally:
        conn.close()


def test_a_build_waits_for_a_write_transaction_held_by_sqlite3(tmp_path_factory):
    for run in range(RUNS):
        workdir, store = fresh(tmp_path_factory, f"held{run}")
        db = workdir / "cohorts.db"
        bigger_spec(workdir, "second", seed=run + 1)
        user = user_connection(db)
        user.execute("create table notes(x)")
        user.execute("begin immediate")
        user.execute("insert into notes values ('held')")

        outcome: List[Any] = []

        def build() -> None:
            try:
                outcome.append(store.build("second"))
            except BaseException as e:  # reported by the main thread
                outcome.append(e)

        builder = threading.Thread(target=build)
        builder.start()
        time.sleep(0.5)
        assert builder.is_alive() and not outcome, f"run {run}: the build did not wait: {outcome}"
        user.execute("commit")
        builder.join(timeout=120)
        assert not builder.is_alive()
        assert isinstance(outcome[0], cohortdb.BuildReport), f"run {run}: {outcome[0]!r}"
        assert user.execute("select x from notes").fetchall() == [("held",)]
        user.close()
        check_whole(db, ["pilot", "second"])


def test_sqlite3_readers_and_writers_during_builds_never_see_a_damaged_or_torn_store(
    tmp_path_factory,
):
    for run in range(RUNS):
        workdir, store = fresh(tmp_path_factory, f"readers{run}")
        db = workdir / "cohorts.db"
        cohorts = ["second", "third"]
        for i, cohort in enumerate(cohorts):
            bigger_spec(workdir, cohort, seed=10 * run + i)
        setup = user_connection(db)
        setup.execute("create table notes(x)")
        (before,) = setup.execute("select count(*) from membership").fetchone()
        setup.close()

        done = threading.Event()
        errors: List[BaseException] = []

        def build() -> None:
            try:
                for cohort in cohorts:
                    store.build(cohort)
            except BaseException as e:
                errors.append(e)
            finally:
                done.set()

        def write() -> None:
            # A writer of the interpreter's SQLite: waits for the build, never interleaves.
            conn = user_connection(db)
            try:
                while not done.is_set():
                    conn.execute("begin immediate")
                    conn.execute("insert into notes values (1)")
                    conn.execute("commit")
                    time.sleep(0.005)
            except BaseException as e:
                errors.append(e)
            finally:
                conn.close()

        threads = [threading.Thread(target=build), threading.Thread(target=write)]
        for t in threads:
            t.start()
        seen: List[Tuple[int, int]] = []
        held = cohortdb.register_functions(user_connection(db))
        try:
            while True:
                finished = done.is_set()
                # A connection opened and closed per read (its close must not drop the
                # build's locks), and one held open.
                fresh_conn = cohortdb.register_functions(user_connection(db))
                for conn in (held, fresh_conn):
                    seen.append(conn.execute(TWO_COUNTS).fetchone())
                    (gid,) = conn.execute(
                        "select gen_id('draft', gen_signature('c', 't', 'm', 1))"
                    ).fetchone()
                    assert gid.startswith("d_")
                fresh_conn.close()
                if finished:
                    break
        finally:
            held.close()
            for t in threads:
                t.join(timeout=120)
        assert not errors, f"run {run}: {errors[0]!r}"
        member_counts = []
        conn = sqlite3.connect(db)
        for cohort in cohorts:
            (n,) = conn.execute(
                "select count(*) from membership where cohort_id = ?", (cohort,)
            ).fetchone()
            member_counts.append(n)
        conn.close()
        legal = {before, before + member_counts[0], before + sum(member_counts)}
        for total, parts in seen:
            assert total == parts, f"run {run}: one statement saw two states"
            assert total in legal, f"run {run}: a torn count {total} (legal: {legal})"
        totals = [s[0] for s in seen]
        assert totals == sorted(totals), f"run {run}: a read went back in time"
        check_whole(db, ["pilot", *cohorts])


def test_a_sqlite3_snapshot_survives_stores_opened_closed_and_written_around_it(tmp_path_factory):
    for run in range(RUNS):
        workdir, store = fresh(tmp_path_factory, f"snapshot{run}")
        db = workdir / "cohorts.db"
        bigger_spec(workdir, "second", seed=run + 1)
        reader = user_connection(db)
        reader.execute("begin")
        (before,) = reader.execute("select count(*) from membership").fetchone()
        for _ in range(3):
            store.status()
            store.cohorts()
        store.build("second")  # commits, and checkpoints when it closes the store
        assert reader.execute("select count(*) from membership").fetchone() == (before,)
        assert reader.execute("pragma quick_check").fetchall() == [("ok",)]
        reader.execute("commit")
        (after,) = reader.execute("select count(*) from membership").fetchone()
        assert after > before
        reader.close()
        check_whole(db, ["pilot", "second"])
