"""Every exception type is raised by a real call, with its fields checked; a refused call
leaves the store as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cohortdb
from cohortdb import errors


def test_every_error_is_a_cohortdb_error():
    for name in errors.__all__:
        assert issubclass(getattr(cohortdb, name), cohortdb.CohortdbError)


def test_spec_error_names_file_and_yaml_path(store, workdir):
    spec = workdir / "bad"
    spec.mkdir()
    (spec / "config.yaml").write_text("axes:\n  combo_id: [a]\nbogus: 1\n")
    store.import_catalogs()
    with pytest.raises(cohortdb.SpecError) as info:
        store.build("bad", spec=spec)
    e = info.value
    assert e.file == str(spec / "config.yaml")
    assert e.yaml_path == "bogus"
    assert e.kind == "spec"
    assert 'unknown top-level key "bogus"' in str(e)
    assert e.detail and e.detail[0].startswith("hint:")
    assert len(store.cohorts()) == 0


def test_spec_error_with_a_line(store, workdir):
    spec = workdir / "broken"
    spec.mkdir()
    (spec / "config.yaml").write_text("axes:\n  combo_id: [a\n")
    with pytest.raises(cohortdb.SpecError) as info:
        store.build("broken", spec=spec)
    assert info.value.file == str(spec / "config.yaml")
    assert isinstance(info.value.line, int) and info.value.line >= 2
    # The store did not exist before; a refused first call leaves none behind.
    assert not Path(store.path).exists()


def test_catalog_error_names_file_line_and_column(store, workdir):
    store.import_catalogs()
    llms = workdir / "data" / "1_raw" / "llm_models.csv"
    lines = llms.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    column = next(i for i, h in enumerate(header) if h not in ("id",))
    row[column] = row[column] + "-changed"
    lines[1] = ",".join(row) + "\n"
    llms.write_text("".join(lines))
    with pytest.raises(cohortdb.CatalogError) as info:
        store.import_catalogs()
    e = info.value
    assert e.file == str(llms)
    assert e.line == 2
    assert e.column == column + 1
    assert e.kind == "catalog"
    assert store.query("select count(*) as n from import_batches") == [{"n": 7}]


def test_usage_error_for_a_bad_cohort_id(store):
    with pytest.raises(cohortdb.UsageError) as info:
        store.build("../escape")
    assert 'invalid cohort id "../escape"' in str(info.value)
    assert (info.value.kind, info.value.value) == ("usage", "../escape")
    assert "(D11)" in info.value.detail[0]
    assert isinstance(info.value, ValueError)
    with pytest.raises(cohortdb.UsageError, match="unknown catalog kind"):
        store.import_catalogs("llms", "x.csv")


def test_refused_error_when_a_record_would_change(built, workdir):
    spec = workdir / "data" / "cohorts" / "pilot" / "spec" / "config.yaml"
    spec.write_text(spec.read_text().replace("evaluation_replicate: [1, 2]", "evaluation_replicate: [1]"))
    before = built.cohorts()
    with pytest.raises(cohortdb.RefusedError) as info:
        built.build("pilot")
    assert "pilot" in str(info.value)
    assert (info.value.kind, info.value.value) == ("build", "pilot")
    assert info.value.detail
    assert built.cohorts() == before


def test_store_error_for_a_file_that_is_not_a_store(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database " * 100)
    with pytest.raises(cohortdb.StoreError) as info:
        cohortdb.Store(bad).cohorts()
    assert info.value.file == str(bad)
    assert "not an SQLite database" in str(info.value)
    assert bad.read_bytes() == b"not a database " * 100


def test_no_store_error_and_nothing_created(tmp_path):
    missing = tmp_path / "missing.db"
    store = cohortdb.Store(missing, data_root=tmp_path)
    for call in [store.cohorts, lambda: store.verify("x"), lambda: store.query("select 1")]:
        with pytest.raises(cohortdb.NoStoreError) as info:
            call()
        assert info.value.file == str(missing)
        assert isinstance(info.value, cohortdb.StoreError)
    assert not missing.exists()


@pytest.mark.parametrize(
    "sql,params,message",
    [
        ("delete from cohort_records", None, "query is read-only"),
        ("select 1; select 2", None, "exactly one SQL statement"),
        ("selec 1", None, 'near "selec": syntax error'),
        ("select load_extension('x')", None, "not authorized"),
    ],
)
def test_query_error(built, sql, params, message):
    with pytest.raises(cohortdb.QueryError) as info:
        built.query(sql, params)
    assert message in str(info.value)
    assert info.value.kind in ("read_only", "db")


@pytest.mark.parametrize(
    "sql,params,message",
    [
        ("select ?", None, "no value for the statement's parameter ?1"),
        ("select ?", [1, 2], "the statement has 1 parameter, 2 values given"),
        ("select :a", {"b": 1}, "the statement has no parameter :b"),
        ("select 1", [1], "the statement has 0 parameters, 1 value given"),
        # A named parameter missing from the mapping is refused, as the CLI refuses it: it
        # never binds NULL.
        ("select :a, :b", {"a": 1}, "no value for the statement's parameter :b"),
    ],
)
def test_query_parameters_must_match(built, sql, params, message):
    with pytest.raises(cohortdb.UsageError) as info:
        built.query(sql, params)
    assert message in str(info.value)
    assert info.value.kind == "usage"


def test_export_below_a_regular_file_is_refused_before_writing(built, workdir):
    blocker = workdir / "a-file"
    blocker.write_text("x")
    with pytest.raises(cohortdb.RefusedError) as info:
        built.export("pilot", out=blocker / "sub")
    e = info.value
    assert e.kind == "export_refused"
    assert e.file == str(blocker)
    assert "is a regular file, not a folder; nothing was written" in str(e)
    assert blocker.read_text() == "x"


def test_io_error_names_the_file(store, workdir):
    models = workdir / "data" / "1_raw" / "llm_models.csv"
    models.unlink()
    os.mkfifo(models)  # a FIFO is refused at once, never read (as root too)
    with pytest.raises(cohortdb.CohortdbIOError) as info:
        store.import_catalogs()
    e = info.value
    assert e.file == str(models)
    assert "is a FIFO, not a regular file" in str(e)


def test_gen_id_error():
    with pytest.raises(cohortdb.GenIdError) as info:
        cohortdb.gen_id("drafts", "a|1")
    assert str(info.value) == 'unknown stage "drafts" (expected draft, essay or evaluation)'


def test_verify_mismatch_carries_the_report(built, workdir):
    built.export("pilot")
    manifest = workdir / "data" / "cohorts" / "pilot" / "manifest.json"
    manifest.write_text(manifest.read_text() + " ")
    assert not built.verify("pilot").matches  # without check=True: a report
    with pytest.raises(cohortdb.VerifyMismatch) as info:
        built.verify("pilot", check=True)
    e = info.value
    assert e.cohort_ids == ["pilot"]
    assert e.file == str(manifest)
    assert [d.kind for d in e.differences] == ["file_differs"]
    assert e.report.matches is False
    assert str(e).startswith("pilot does not verify: ")
    assert e.to_dict()["error"] == "VerifyMismatch"


def test_usage_error_for_a_data_root_without_catalogs(tmp_path):
    store = cohortdb.Store(tmp_path / "s.db", data_root=tmp_path / "nowhere")
    with pytest.raises(cohortdb.UsageError) as info:
        store.import_catalogs()
    assert "nothing to import: the data root" in str(info.value)
    assert info.value.detail[0].startswith("expected at least one of:")
    assert info.value.hints and info.value.detail[-1] == "hint: " + info.value.hints[-1]
    assert not (tmp_path / "s.db").exists()
    with pytest.raises(cohortdb.UsageError, match="no such catalog file"):
        store.import_catalogs("llm-models", tmp_path / "missing.csv")


def test_usage_errors_raised_before_the_library():
    store = cohortdb.Store("unused.db")
    with pytest.raises(cohortdb.UsageError, match="give both kind and file"):
        store.import_catalogs("llm-models")
    with pytest.raises(cohortdb.UsageError, match="seed must be an int or its text, found float") as info:
        store.build("pilot", seed=1.0)
    assert info.value.value == "1.0"
    with pytest.raises(cohortdb.UsageError, match="seed must be an int or its text, found bool"):
        store.build("pilot", seed=True)
    # Text is read as the CLI's --seed reads it: what Python's int() refuses is refused (D23).
    with pytest.raises(cohortdb.UsageError, match='seed: "1__0" is not an integer') as info:
        store.build("pilot", seed="1__0")
    assert info.value.value == "'1__0'"
    assert not os.path.exists("unused.db")
