"""Store from Python: the same library as the CLI, compared with the CLI on the example data."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import cohortdb


def cli_hash(cli, workdir: Path) -> str:
    cli(["import"], cwd=workdir)
    out = cli(["build", "pilot"], cwd=workdir).stdout
    match = re.search(r"content hash\s+cohortdb-v1:([0-9a-f]{64})", out)
    assert match, out
    return match.group(1)


def test_build_gives_the_cli_content_hash_and_files(cli, workdir, tmp_path_factory):
    other = tmp_path_factory.mktemp("cli")
    shutil.copytree(workdir / "data", other / "data")
    expected = cli_hash(cli, other)
    cli(["export", "pilot"], cwd=other)

    store = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data")
    store.import_catalogs()
    report = store.build("pilot")
    assert report.content_hash == expected
    store.export("pilot")
    for name in ["membership.csv", "manifest.json", "cohort.lock.json"]:
        mine = (workdir / "data" / "cohorts" / "pilot" / name).read_bytes()
        theirs = (other / "data" / "cohorts" / "pilot" / name).read_bytes()
        if name == "cohort.lock.json":  # records when it was built
            mine, theirs = (json.loads(x) for x in (mine, theirs))
            mine.pop("created_at", None), theirs.pop("created_at", None)
        assert mine == theirs, name


def test_reports_are_typed_and_serialisable(store):
    imported = store.import_catalogs()
    assert isinstance(imported, cohortdb.ImportReport)
    assert imported.added == 20
    assert [f.kind for f in imported.files][:2] == ["concepts", "draft-templates"]
    assert all(f.present and f.batch_id for f in imported.files)
    assert store.import_catalogs().added == 0

    built = store.build("pilot")
    assert isinstance(built, cohortdb.BuildReport)
    assert (built.status, built.created) == ("created", True)
    assert built.counts == {"draft": 8, "essay": 8, "evaluation": 32}
    again = store.build("pilot")
    assert (again.status, again.formatting_only) == ("unchanged", False)
    assert again.content_hash == built.content_hash
    json.dumps(built.to_dict())

    exported = store.export("pilot")
    assert exported.outcomes == {
        "membership.csv": "written",
        "manifest.json": "written",
        "cohort.lock.json": "written",
    }
    assert (exported.metadata_written, exported.metadata_present) == (48, 0)
    assert store.export("pilot").outcomes["membership.csv"] == "unchanged"

    verified = store.verify("pilot")
    assert isinstance(verified, cohortdb.VerifyReport)
    assert verified.matches and not verified.differences
    first = verified.findings[0]
    assert (first.kind, first.severity) == ("store_reproduces", "ok")
    assert first.content_hash == built.content_hash
    assert first.text.startswith(f"store: content hash {built.content_hash} reproduces")
    assert json.loads(json.dumps(verified.to_dict()))["cohorts"][0]["findings"][0]["kind"] == "store_reproduces"
    assert store.verify("pilot", store_only=True).matches

    [summary] = store.cohorts()
    assert summary.cohort_id == "pilot"
    assert summary.counts == {"draft": 8, "essay": 8, "evaluation": 32}
    assert summary.content_hash == built.content_hash


def test_verify_reports_a_changed_export(built):
    built.export("pilot")
    membership = Path(built.data_root) / "cohorts" / "pilot" / "membership.csv"
    lines = membership.read_text().splitlines(keepends=True)
    membership.write_text("".join([lines[0], *lines[2:]]))
    report = built.verify("pilot")
    assert not report.matches
    [difference] = report.differences
    assert difference.kind == "membership_differs"
    assert difference.file == str(membership)
    assert difference.change["kind"] == "rows" and difference.change["removed"] == 1


def test_query_membership_and_parameters(built, workdir):
    rows = built.query(
        "select stage, count(*) as n from membership where cohort_id = ? group by stage "
        "order by min(ordinal)",
        ["pilot"],
    )
    assert rows == [
        {"stage": "draft", "n": 8},
        {"stage": "essay", "n": 8},
        {"stage": "evaluation", "n": 32},
    ]
    named = built.query("select :a + :b as s, @c as c, $d as d", {"a": 1, "b": 2, "@c": None, "$d": b"x"})
    assert named == [{"s": 3, "c": None, "d": b"x"}]
    assert built.query("select 1.5 as f, 'é' as t") == [{"f": 1.5, "t": "é"}]

    members = built.membership("pilot")
    assert len(members) == 48
    assert list(members[0]) == [
        "stage", "gen_id", "parent_gen_id", "combo_id", "template_id", "llm_model_id", "replicate"
    ]
    built.export("pilot")
    with open(workdir / "data" / "cohorts" / "pilot" / "membership.csv", newline="") as f:
        exported = [row["gen_id"] for row in csv.DictReader(f)]
    assert [m["gen_id"] for m in members] == exported
    with pytest.raises(cohortdb.UsageError, match="no cohort \"no-such-cohort\""):
        built.membership("no-such-cohort")
    with pytest.raises(cohortdb.UsageError):
        built.membership_df("no-such-cohort")

    batches = built.iter_batches("select gen_id from membership order by ordinal", batch_size=20, shape="tuples")
    assert batches.columns == ["gen_id"]
    sizes = [len(b) for b in batches]
    assert sizes == [20, 20, 8]
    columns = list(built.iter_batches("select ordinal, stage from membership", shape="columns"))
    assert len(columns) == 1 and len(columns[0]) == 2 and len(columns[0][0]) == 48


def test_query_df_and_membership_df(built):
    pandas = pytest.importorskip("pandas")
    df = built.membership_df("pilot")
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == [
        "stage", "gen_id", "parent_gen_id", "combo_id", "template_id", "llm_model_id", "replicate"
    ]
    assert df["gen_id"].tolist() == [m["gen_id"] for m in built.membership("pilot")]
    assert df.groupby("stage").size().to_dict() == {"draft": 8, "essay": 8, "evaluation": 32}
    # The same as pandas over the view with a plain sqlite3 connection.
    conn = sqlite3.connect(built.path)
    theirs = pandas.read_sql(
        "select stage, gen_id, parent_gen_id, combo_id, template_id, llm_model_id, replicate "
        "from membership where cohort_id = 'pilot' order by ordinal",
        conn,
    )
    pandas.testing.assert_frame_equal(df, theirs)
    dup = built.query_df("select 1 as a, 2 as a")
    assert list(dup.columns) == ["a", "a"] and dup.iloc[0].tolist() == [1, 2]


# sqlite3 reports the exception a registered function raised to sys.unraisablehook as well as
# turning it into OperationalError (the last assertion): that report is expected here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_register_functions_on_a_plain_sqlite3_connection(built):
    conn = sqlite3.connect(built.path)
    with pytest.raises(sqlite3.OperationalError, match="no such function: gen_id"):
        conn.execute("select gen_id('draft', 'a|1')")
    assert cohortdb.register_functions(conn) is conn
    # Every draft's gen_id recomputes from its row in the membership view.
    (n,) = conn.execute(
        "select count(*) from membership where stage = 'draft' and gen_id = "
        "gen_id('draft', gen_signature(combo_id, template_id, llm_model_id, replicate))"
    ).fetchone()
    assert n == 8
    (sig,) = conn.execute("select gen_signature(' A', 7, '2')").fetchone()
    assert sig == "a|7|2"
    (digest,) = conn.execute("select gen_signature_digest('a|1')").fetchone()
    assert digest == cohortdb.gen_signature_digest("a|1")
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("select gen_id('drafts', 'a|1')").fetchone()


def test_a_store_is_shared_between_threads(built):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: len(built.membership("pilot")), range(8)))
    assert results == [48] * 8


def test_a_seed_of_any_size_gives_the_cli_hash(cli, workdir, tmp_path_factory):
    seed = 123456789012345678901234567890  # beyond 64 bits (D23)
    other = tmp_path_factory.mktemp("cli")
    shutil.copytree(workdir / "data", other / "data")
    cli(["import"], cwd=other)
    out = cli(["build", "pilot", "--seed", str(seed)], cwd=other).stdout
    expected = re.search(r"cohortdb-v1:([0-9a-f]{64})", out).group(1)
    store = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data")
    store.import_catalogs()
    assert store.build("pilot", seed=seed).content_hash == expected


def test_a_seed_in_any_int_spelling_gives_the_cli_hash(cli, workdir, tmp_path_factory):
    """seed= reads text as the CLI's --seed does (Python's int(): whitespace around,
    underscores between digits; D23), and the record keeps the number."""
    other = tmp_path_factory.mktemp("cli")
    shutil.copytree(workdir / "data", other / "data")
    cli(["import"], cwd=other)
    out = cli(["build", "pilot", "--seed", "  -1_000  "], cwd=other).stdout
    expected = re.search(r"cohortdb-v1:([0-9a-f]{64})", out).group(1)
    store = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data")
    store.import_catalogs()
    report = store.build("pilot", seed="  -1_000  ")
    assert (report.status, report.content_hash) == ("created", expected)
    assert store.show("pilot").seed == "-1000"
    assert store.build("pilot", seed=-1000).status == "unchanged"
    assert store.build("pilot", seed="\t-0_1000\n").status == "unchanged"


def test_init_creates_the_store(tmp_path):
    store = cohortdb.Store(tmp_path / "new.db", data_root=tmp_path)
    version = store.init().schema_version
    assert version >= 1 and store.init().schema_version == version
    assert len(store.cohorts()) == 0
    assert store.init().imported is None


def test_init_with_starter_catalogs_builds_in_an_empty_folder(tmp_path):
    """``init(starter=True)`` is ``cohortdb init`` in an empty folder: the bundled example's
    catalogs written and imported, once, so a starter spec builds."""
    store = cohortdb.Store(tmp_path / "cohorts.db", data_root=tmp_path / "data")
    report = store.init(starter=True)
    assert len(report.starter_files) == 18
    assert report.imported is not None and report.imported.added == 20
    assert (tmp_path / "data" / "combo_mappings.csv").is_file()
    assert store.new("first").cohort_id == "first"
    assert store.build("first").status == "created"
    again = store.init(starter=True)
    assert again.starter_files == [] and again.imported is None


def test_build_releases_the_gil_while_it_works(store):
    """A build waiting for the store's write lock (held here by a plain sqlite3 connection)
    lets this thread run and release the lock: it could not if the build held the GIL while
    it waited (it would give up after the store's busy timeout, and this test would fail)."""
    import threading
    import time

    store.import_catalogs()
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("begin immediate")
    outcome = {}

    def build() -> None:
        try:
            outcome["report"] = store.build("pilot")
        except cohortdb.CohortdbError as e:  # pragma: no cover - the failure being tested
            outcome["error"] = e

    worker = threading.Thread(target=build)
    worker.start()
    time.sleep(0.5)  # let the build reach the lock; not a timing assertion
    blocker.execute("rollback")
    worker.join()
    blocker.close()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].created


def test_status_and_show(built, workdir):
    shown = built.show("pilot")
    assert isinstance(shown, cohortdb.ShowReport)
    assert shown.counts == {"draft": 8, "essay": 8, "evaluation": 32}
    assert shown.content_hash == built.cohorts()[0].content_hash
    assert shown.spec_files[0].endswith("config.yaml")
    built.export("pilot")
    status = built.status("pilot")
    assert isinstance(status, cohortdb.StatusReport)
    assert status.current and status.cohorts[0]["cohort_id"] == "pilot"
    membership = workdir / "data" / "cohorts" / "pilot" / "membership.csv"
    membership.write_text(membership.read_text() + "x\n")
    changed = built.status("pilot")
    assert not changed.current and changed.cohorts[0]["stale"]
    assert built.status().cohorts[0]["cohort_id"] == "pilot"
    json.dumps(changed.to_dict())
    with pytest.raises(cohortdb.UsageError):
        built.show("bad id")


def test_membership_from_stored_rows_equals_the_view(built):
    view = built.query(
        "select stage, gen_id, parent_gen_id, combo_id, template_id, llm_model_id, replicate "
        "from membership where cohort_id = ? order by ordinal",
        ["pilot"],
    )
    assert built.membership("pilot") == view
    # Each distinct value text is one shared object.
    rows = built.membership("pilot")
    evaluations = [r for r in rows if r["stage"] == "evaluation"]
    same = [r for r in evaluations if r["template_id"] == evaluations[0]["template_id"]]
    assert len(same) > 1 and all(r["template_id"] is same[0]["template_id"] for r in same)


def test_membership_of_damaged_rows_reads_the_view(built):
    """A member whose value id names no stored text cannot be part of a canonical record:
    membership() then shows what the view shows (verify names the damage)."""
    conn = sqlite3.connect(built.path)
    conn.execute("drop trigger cohort_members_no_update")
    conn.execute("update cohort_members set combo = 999 where ordinal = 0")
    conn.commit()
    conn.close()
    view = built.query(
        "select stage, gen_id, parent_gen_id, combo_id, template_id, llm_model_id, replicate "
        "from membership where cohort_id = ? order by ordinal",
        ["pilot"],
    )
    assert len(view) == 47
    assert built.membership("pilot") == view
    assert built.membership_df("pilot")["gen_id"].tolist() == [r["gen_id"] for r in view]


def test_the_wheel_has_no_crash_hook(workdir):
    """COHORTDB_CRASH_AT_WRITE=N is a test-only hook (the cargo feature crash-hook, which no
    release artefact enables): the wheel ignores it and writes as usual."""
    script = (
        "import sys, cohortdb\n"
        "store = cohortdb.Store(sys.argv[1], data_root=sys.argv[2])\n"
        "store.import_catalogs()\n"
        "print(store.build('pilot').created)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(workdir / "cohorts.db"), str(workdir / "data")],
        env={**os.environ, "COHORTDB_CRASH_AT_WRITE": "1"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
