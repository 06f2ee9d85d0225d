"""The front door: Python and the CLI run the same requests and return the same documents, and
Python behaves as a pipeline expects (parameters, limits, Ctrl-C, close, fork, progress)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

import cohortdb

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DATA = REPO / "examples" / "data"
SCHEMAS = REPO / "docs" / "schema"

ENDLESS = "with recursive n(i) as (select 1 union all select i + 1 from n) select i from n"


def normalise(doc: Any, root: Path) -> Any:
    """A document with the work folder and build times replaced by placeholders."""
    text = json.dumps(doc).replace(str(root.resolve()), "<ROOT>").replace(str(root), "<ROOT>")
    value = json.loads(text)

    def scrub(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ("<TIME>" if k in ("created_at", "imported_at") else scrub(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [scrub(v) for v in node]
        return node

    return scrub(value)


def validate(doc: Dict[str, Any], schema: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(doc, json.loads((SCHEMAS / f"{schema}.schema.json").read_text()))


@pytest.fixture
def two_workdirs(tmp_path: Path):
    """Two scratch copies of the example data: one for the CLI, one for Python."""
    roots = []
    for name in ("cli", "py"):
        root = tmp_path / name
        shutil.copytree(EXAMPLE_DATA, root / "data")
        roots.append(root)
    return roots


def test_every_report_is_the_same_document_from_the_cli_and_python(cli, two_workdirs):
    cli_root, py_root = two_workdirs
    store = cohortdb.Store(py_root / "cohorts.db", data_root=py_root / "data")

    def run_cli(*args: str) -> Dict[str, Any]:
        out = cli(
            ["--db", str(cli_root / "cohorts.db"), "--data-root", str(cli_root / "data"), *args, "--format", "json"],
            cwd=cli_root,
            check=False,
        )
        assert out.returncode in (0, 1), out.stderr
        doc: Dict[str, Any] = json.loads(out.stdout)
        return doc

    spec = "data/cohorts/pilot/spec"
    steps = [
        ("init", ["init"], lambda: store.init()),
        ("import", ["import"], lambda: store.import_catalogs()),
        ("build", ["build", "pilot"], lambda: store.build("pilot")),
        ("export", ["export", "pilot"], lambda: store.export("pilot")),
        ("verify", ["verify", "pilot"], lambda: store.verify("pilot")),
        ("verify", ["verify", "--all"], lambda: store.verify()),
        ("status", ["status"], lambda: store.status()),
        ("import-gens", ["import", "gens"], lambda: store.import_gens()),
        ("progress", ["results", "progress", "pilot", "--missing"], lambda: store.progress("pilot", missing=True)),
        ("results-verify", ["results", "verify"], lambda: store.results_verify()),
        ("status", ["status", "pilot", "--missing"], lambda: store.status("pilot", missing=True)),
        ("show", ["show", "pilot"], lambda: store.show("pilot")),
        ("cohorts", ["cohorts"], lambda: store.cohorts()),
        ("diff", ["diff", "pilot", spec], None),
        ("explain", ["explain", spec], None),
        ("backup", ["backup", "backup.db"], None),
        ("new", ["new", "second"], lambda: store.new("second")),
        ("new", ["new", "third", "--from", "pilot"], lambda: store.new("third", from_cohort="pilot")),
    ]
    for schema, args, call in steps:
        if schema == "import-gens":
            # Each side's first evaluation has an output (the same gen_id on both sides).
            for root in (cli_root, py_root):
                first = sorted((root / "data" / "gens" / "evaluation").iterdir())[0]
                (first / "parsed.txt").write_text("reasoning\n7\n")
        theirs = run_cli(*args)
        if call is None:
            # Paths relative to each side's folder: the same text on both sides.
            cwd = os.getcwd()
            os.chdir(py_root)
            try:
                if schema == "diff":
                    mine = store.diff("pilot", spec).to_dict()
                elif schema == "explain":
                    mine = store.explain(spec).to_dict()
                else:
                    mine = store.backup("backup.db").to_dict()
            finally:
                os.chdir(cwd)
        else:
            mine = call().to_dict()
        validate(theirs, schema)
        validate(mine, schema)
        if schema == "init":
            # The one difference the requests make: the CLI writes the project file
            # (cohortdb.yaml, docs/cli.md "The project file"), Python takes explicit paths.
            assert theirs["project"] == "cohortdb.yaml" and mine["project"] is None
            assert theirs["created"][-1] == "cohortdb.yaml"
            theirs = {**theirs, "project": None, "created": theirs["created"][:-1]}
        assert normalise(mine, py_root) == normalise(theirs, cli_root), schema


def test_named_parameters_are_checked_like_the_cli(built):
    assert built.query("select :a as a", {"a": 1}) == [{"a": 1}]
    with pytest.raises(cohortdb.UsageError, match="no value for the statement's parameter :b"):
        built.query("select :a, :b", {"a": 1})


@pytest.mark.parametrize("value", [0, -1, 2**62, 10**9, 1_000_001])
def test_batch_size_is_validated(built, value):
    with pytest.raises(ValueError, match="batch_size must be between 1 and 1000000"):
        built.iter_batches("select 1", batch_size=value)


@pytest.mark.parametrize("value", [True, "10", 1.5])
def test_batch_size_must_be_an_int(built, value):
    with pytest.raises(TypeError, match="batch_size must be an int"):
        built.iter_batches("select 1", batch_size=value)


def interrupt_after(seconds: float) -> threading.Timer:
    """Sends this process SIGINT (as Ctrl-C does) after `seconds`."""
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_stops_a_query(built):
    started = time.monotonic()
    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        built.query(f"select count(*) from ({ENDLESS})")
    # Well below any timeout: the statement was interrupted, not waited for.
    assert time.monotonic() - started < 10


# The first row comes at once, the second only after 10**10 steps.
SLOW = (
    "with recursive n(i) as (select 1 union all select i + 1 from n) "
    "select i from n where i = 1 or i = 10000000000"
)


def test_ctrl_c_while_starting_or_iterating_stops_the_statement(built):
    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        # No row yet: the call waits for the first one.
        built.iter_batches(f"select count(*) from ({ENDLESS})")
    batches = built.iter_batches(SLOW, batch_size=2)
    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        next(batches)
    with pytest.raises(StopIteration):
        next(batches)


def big_spec(workdir: Path, replicates: int) -> Path:
    spec = workdir / "big"
    spec.mkdir()
    levels = ", ".join(str(i) for i in range(1, replicates + 1))
    pilot = (workdir / "data" / "cohorts" / "pilot" / "spec" / "config.yaml").read_text()
    (spec / "config.yaml").write_text(pilot.replace("evaluation_replicate: [1, 2]", f"evaluation_replicate: [{levels}]"))
    for extra in (workdir / "data" / "cohorts" / "pilot" / "spec").iterdir():
        if extra.name != "config.yaml":
            if extra.is_dir():
                shutil.copytree(extra, spec / extra.name)
            else:
                shutil.copy(extra, spec / extra.name)
    return spec


def test_ctrl_c_rolls_a_build_back(store, workdir):
    store.import_catalogs()
    spec = big_spec(workdir, 50_000)
    assert "evaluation_replicate: [1, 2, 3" in (spec / "config.yaml").read_text()
    interrupt_after(0.5)
    try:
        store.build("big", spec=spec)
    except KeyboardInterrupt as e:
        # Either the build was stopped (nothing stored) or it had committed and says so.
        stored = [c.cohort_id for c in store.cohorts()]
        if "committed" in str(e) or "completed" in str(e):
            assert stored == ["big"]
        else:
            assert stored == []
    else:  # pragma: no cover - a machine fast enough to finish in half a second
        pytest.skip("the build finished before the interrupt")
    # The store is whole and usable afterwards.
    assert store.query("pragma integrity_check") == [{"integrity_check": "ok"}]


def test_close_stops_a_running_query_at_once(built):
    batches = built.iter_batches(SLOW, batch_size=2)
    closer = threading.Timer(0.3, batches.close)
    closer.start()
    with pytest.raises(StopIteration):
        next(batches)
    closer.join()


def test_closing_the_store_stops_its_queries(built):
    with built as store:
        batches = store.iter_batches(ENDLESS, batch_size=10)
        assert len(next(batches)) == 10
    with pytest.raises(StopIteration):
        while True:
            next(batches)
    with pytest.raises(cohortdb.CohortdbError, match="is closed"):
        built.cohorts()


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_streaming_is_bounded_in_bytes(built):
    # 2,000 rows of 1 MB each: a batch of 10,000 rows would hold 2 GB.
    sql = (
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000) "
        "select i, zeroblob(1000000) as payload from n"
    )
    before = rss()
    peak = before
    rows = 0
    for batch in built.iter_batches(sql, shape="tuples"):
        rows += len(batch)
        peak = max(peak, rss())
    assert rows == 2000
    assert peak - before < 300 * 1024 * 1024, f"grew by {(peak - before) >> 20} MiB"


def test_an_iterator_is_refused_after_fork(built):
    batches = built.iter_batches(ENDLESS, batch_size=5)
    assert len(next(batches)) == 5
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            next(batches)
        except cohortdb.CohortdbError as e:
            os._exit(0 if "fork()" in str(e) else 3)
        except BaseException:
            os._exit(4)
        os._exit(5)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    batches.close()


def test_unknown_cohorts_raise_everywhere(built):
    for call in (
        lambda: built.membership("typo"),
        lambda: built.membership_df("typo"),
        lambda: built.show("typo"),
        lambda: built.verify("typo"),
        lambda: built.export("typo"),
        lambda: built.spec("typo"),
        lambda: built.status("typo"),
        lambda: built.diff("typo", "pilot"),
    ):
        with pytest.raises(cohortdb.UsageError, match='no cohort "typo"'):
            call()


def test_an_empty_result_keeps_object_columns(built):
    pytest.importorskip("pandas")
    df = built.query_df("select gen_id, replicate from membership where 0")
    assert list(df.columns) == ["gen_id", "replicate"] and len(df) == 0
    assert [str(t) for t in df.dtypes] == ["object", "object"]


def test_spec_errors_carry_their_location(store, workdir):
    cases = {
        "axes:\n  combo_id: [a\n": ("line", None),
        "axes:\n  combo_id: [true]\n": ("yaml_path", "axes.combo_id[0]"),
        "axes: {combo_id: [a]}\nrules:\n  pairs:\n    p: {left: nope, right: combo_id, allowed: [[a, a]]}\n": (
            "yaml_path",
            None,
        ),
    }
    for i, (text, (field, expected)) in enumerate(cases.items()):
        spec = workdir / f"s{i}"
        spec.mkdir()
        (spec / "config.yaml").write_text(text)
        with pytest.raises(cohortdb.SpecError) as info:
            store.build(f"s{i}", spec=spec)
        e = info.value
        assert e.file and e.file.endswith("config.yaml"), (text, e.to_dict())
        assert getattr(e, field) is not None, (text, e.to_dict())
        if expected is not None:
            assert getattr(e, field) == expected
        assert e.kind == "spec"


def test_every_exception_has_every_field(store, tmp_path):
    errors: List[cohortdb.CohortdbError] = []
    for call in (
        lambda: store.build("../x"),
        lambda: cohortdb.Store(tmp_path / "none.db").cohorts(),
        lambda: store.import_catalogs("llm-models", tmp_path / "missing.csv"),
    ):
        with pytest.raises(cohortdb.CohortdbError) as info:
            call()
        errors.append(info.value)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(cohortdb.CohortdbIOError) as info:
        store.import_catalogs("llm-models", fifo)
    errors.append(info.value)
    assert info.value.errno is None or isinstance(info.value.errno, int)
    for e in errors:
        d = e.to_dict()
        for name in ("kind", "file", "line", "column", "yaml_path", "value", "errno", "query", "detail", "hints"):
            assert name in d, (name, d)
        assert e.kind, d


def test_a_store_is_a_path_and_a_context_manager(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = cohortdb.Store("rel.db", data_root="data")
    assert os.fspath(store) == str(tmp_path / "rel.db")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    store.init()
    assert (tmp_path / "rel.db").exists() and not (tmp_path / "elsewhere" / "rel.db").exists()
    with cohortdb.Store(tmp_path / "rel.db") as again:
        assert again.path == store.path


def test_diff_explain_and_the_stored_spec(built, workdir):
    spec_dir = workdir / "data" / "cohorts" / "pilot" / "spec"
    assert built.diff("pilot", str(spec_dir)).identical
    explained = built.explain(spec_dir)
    assert explained.rows == 48 or explained.rows > 0
    spec = built.spec("pilot")
    assert isinstance(spec, dict) and "axes" in spec
    files = built.spec_files("pilot")
    assert next(iter(files)) == "config.yaml"
    assert files["config.yaml"] == (spec_dir / "config.yaml").read_bytes()


def test_progress_callbacks_see_long_work(workdir):
    events: List[cohortdb.ProgressEvent] = []
    store = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data", callbacks=[events.append])
    store.import_catalogs()
    store.build("pilot")
    store.export("pilot")
    store.verify("pilot")
    started = [e["task"] for e in events if e["event"] == "start"]
    assert "building pilot" in started and "verifying pilot" in started
    assert any(t.startswith("exporting pilot") for t in started)
    assert any(t.startswith("importing ") for t in started)
    finished = [e["task"] for e in events if e["event"] == "finish"]
    assert "building pilot" in finished


def test_a_raising_callback_stops_the_call(workdir):
    def stop(event: cohortdb.ProgressEvent) -> None:
        if event["event"] == "start" and event["task"].startswith("building"):
            raise RuntimeError("stop here")

    store = cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data", callbacks=[stop])
    store.import_catalogs()
    with pytest.raises(RuntimeError, match="stop here"):
        store.build("pilot")
    assert len(store.cohorts()) == 0


def test_scores_are_the_same_document_and_rows_from_the_cli_and_python(cli, two_workdirs):
    cli_root, py_root = two_workdirs
    store = cohortdb.Store(py_root / "cohorts.db", data_root=py_root / "data")
    common = ["--db", str(cli_root / "cohorts.db"), "--data-root", str(cli_root / "data")]
    for root in (cli_root, py_root):
        (root / "data" / "cohorts" / "solo").mkdir(parents=True)
        (root / "data" / "cohorts" / "solo" / "membership.csv").write_text("stage,gen_id\nevaluation,v_a\nevaluation,v_b\n")
        (root / "data" / "gens" / "evaluation" / "v_a").mkdir(parents=True)
        (root / "data" / "gens" / "evaluation" / "v_a" / "parsed.txt").write_text("9\n")
        (root / "data" / "gens" / "evaluation" / "v_a" / "metadata.json").write_text('{"template_id": "t", "llm_model_id": "m"}')
    cli(common + ["import", "gens"], cwd=cli_root)
    store.import_gens()
    theirs = json.loads(cli(common + ["scores", "solo", "--format", "report"], cwd=cli_root).stdout)
    mine = store.scores("solo").to_dict()
    validate(theirs, "scores")
    validate(mine, "scores")
    assert normalise(mine, py_root) == normalise(theirs, cli_root)
    assert mine["membership"] == "membership_csv" and mine["rows"] == 2
    written = py_root / "data" / "cohorts" / "solo" / "reports" / "summary" / "evaluation_scores.csv"
    assert written.read_text() == (cli_root / "data" / "cohorts" / "solo" / "reports" / "summary" / "evaluation_scores.csv").read_text().replace(str(cli_root.resolve()), str(py_root.resolve()))
    rows = json.loads(cli(common + ["scores", "solo", "--format", "json"], cwd=cli_root).stdout)
    validate(rows, "scores-rows")
    pandas = pytest.importorskip("pandas")
    df = store.scores_df("solo")
    assert list(df.columns) == list(rows[0].keys())
    assert df["gen_id"].tolist() == ["v_a", "v_b"]
    assert df["score"].tolist()[0] == 9.0 and pandas.isna(df["score"].tolist()[1])
    assert df["error"].tolist() == ["", "missing parsed.txt"]
    assert df["evaluation_llm_model"].tolist() == ["m", ""]


def test_scores_refuse_what_the_reference_aborts_on(store, workdir):
    cohort = workdir / "data" / "cohorts" / "bad"
    cohort.mkdir(parents=True)
    (cohort / "membership.csv").write_text("stage,gen_id\nevaluation,v_x\n")
    gen = workdir / "data" / "gens" / "evaluation" / "v_x"
    gen.mkdir(parents=True)
    (gen / "metadata.json").write_text("{not json")
    store.import_gens()
    with pytest.raises(cohortdb.RefusedError, match="metadata.json"):
        store.scores("bad")
    with pytest.raises(cohortdb.RefusedError, match="metadata.json"):
        store.scores_df("bad")
    assert not (cohort / "reports").exists()
    with pytest.raises(cohortdb.UsageError):
        store.progress("bad")
