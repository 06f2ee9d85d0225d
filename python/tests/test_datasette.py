"""The Datasette plugin (python/cohortdb/datasette_plugin.py, docs/python.md "Datasette"),
through Datasette's own test client on a store built from the example data: the SQL functions,
the titles and descriptions, the hidden tables, the canned queries, and the member views opened
without a count."""

from __future__ import annotations

import asyncio
import html
import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, List

import pytest

import cohortdb

datasette_app = pytest.importorskip("datasette.app")

VIEWS_JSON = Path(cohortdb.__file__).parent / "browse" / "views.json"


def serve(db: Path) -> Any:
    ds = datasette_app.Datasette([str(db)])
    asyncio.run(ds.invoke_startup())
    return ds


def get(ds: Any, path: str) -> Any:
    async def fetch() -> Any:
        return await ds.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def rows(ds: Any, path: str) -> List[Dict[str, Any]]:
    sep = "&" if "?" in path else "?"
    return get(ds, f"{path}{sep}_shape=array").json()


def test_the_plugin_is_registered_through_its_entry_point(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    plugins = get(ds, "/-/plugins.json").json()
    mine = [p for p in plugins if p["name"] == "cohortdb"]
    assert mine, plugins
    assert {"prepare_connection", "get_metadata", "startup", "asgi_wrapper"} <= set(mine[0]["hooks"])


def test_the_sql_functions_answer_in_datasette(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    sql = "select gen_id('draft', gen_signature('combo-1', 'draft-A', 'gen-model', 1)) as g"
    assert rows(ds, f"/cohorts.json?sql={sql}") == [{"g": "d_21hnyjluy35totlo"}]
    # On the store's own rows: every draft's gen_id recomputes.
    sql = (
        "select count(*) as n from membership where stage = 'draft' and "
        "gen_id = gen_id('draft', gen_signature(combo_id, template_id, llm_model_id, replicate))"
    )
    assert rows(ds, f"/cohorts.json?sql={sql}") == [{"n": 12}]


def test_views_json_names_exactly_the_views_and_columns_of_a_store(two_cohorts: Path) -> None:
    docs = json.loads(VIEWS_JSON.read_text())
    conn = sqlite3.connect(two_cohorts)
    views = [r[0] for r in conn.execute("select name from sqlite_master where type = 'view'")]
    assert sorted(docs["views"]) == sorted(views)
    for view in views:
        columns = [r[1] for r in conn.execute(f"pragma table_info([{view}])")]
        assert list(docs["views"][view]["columns"]) == columns, view
        assert all(text.strip() for text in docs["views"][view]["columns"].values()), view
    # docs/storage.md's view table lists the same views.
    storage = (Path(__file__).resolve().parents[2] / "docs" / "storage.md").read_text()
    for view in views:
        assert f"`{view}`" in storage, view


def test_every_view_is_titled_and_described_and_every_table_hidden(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    docs = json.loads(VIEWS_JSON.read_text())
    db = get(ds, "/cohorts.json").json()
    tables = {t["name"]: t for t in db["tables"]}
    assert tables and all(t["hidden"] for t in tables.values()), [
        name for name, t in tables.items() if not t["hidden"]
    ]
    assert sorted(v["name"] for v in db["views"]) == sorted(docs["views"])
    for view, doc in docs["views"].items():
        page = html.unescape(get(ds, f"/cohorts/{view}").text)
        assert doc["title"] in page, view
        assert doc["description"] in page, view
    # Column descriptions reach the page (Datasette shows them on the column headers).
    page = html.unescape(get(ds, "/cohorts/membership").text)
    assert docs["views"]["membership"]["columns"]["parent_gen_id"].split(":")[0] in page
    index = get(ds, "/cohorts").text
    assert "hidden table" in index
    assert "cohort_members" not in index.split("hidden table")[0]


def test_membership_opens_without_count_or_suggestions_unless_asked(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    page = get(ds, "/cohorts/membership.json").json()
    assert page["filtered_table_rows_count"] is None
    assert page["suggested_facets"] == []
    assert len(page["rows"]) == 72
    asked = get(ds, "/cohorts/membership.json?_nocount=0&_nosuggest=0").json()
    assert asked["filtered_table_rows_count"] == 72
    assert asked["suggested_facets"]
    # A small view keeps its count.
    assert get(ds, "/cohorts/cohorts.json").json()["filtered_table_rows_count"] == 2
    # Filters and facets still work.
    drafts = get(ds, "/cohorts/membership.json?cohort_id=pilot1&stage=draft&_facet=template_id").json()
    assert len(drafts["rows"]) == 4
    assert [v["count"] for v in drafts["facet_results"]["template_id"]["results"]] == [2, 2]


def test_canned_query_cohort_hashes(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    got = rows(ds, "/cohorts/cohort_hashes.json")
    store = cohortdb.Store(two_cohorts)
    want = store.query(
        "select cohort_id, content_hash, drafts, essays, evaluations from cohorts order by cohort_id"
    )
    assert [(r["cohort_id"], r["content_hash"], r["drafts"], r["essays"], r["evaluations"]) for r in got] == [
        tuple(r.values()) for r in want
    ]
    assert [r["cohort_id"] for r in got] == ["pilot", "pilot1"]
    assert all(len(r[k]) == 64 for r in got for k in ("spec_hash", "members_hash", "catalog_hash"))


def test_canned_query_cohort_balance(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    got = rows(ds, "/cohorts/cohort_balance.json?cohort_id=pilot")
    store = cohortdb.Store(two_cohorts)
    for axis in ("combo_id", "template_id", "llm_model_id", "replicate"):
        want = store.query(
            f"select stage, cast({axis} as text), count(*) from membership where cohort_id = 'pilot' "
            f"group by 1, 2 order by min(ordinal), 3 desc, 2"
        )
        mine = [(r["stage"], r["level"], r["members"]) for r in got if r["axis"] == axis]
        assert sorted(mine) == sorted(tuple(r.values()) for r in want), axis
    # pilot is balanced: every level of an axis has the same count within a stage.
    combos = [r["members"] for r in got if r["axis"] == "combo_id" and r["stage"] == "evaluation"]
    assert combos == [16, 16]
    assert rows(ds, "/cohorts/cohort_balance.json?cohort_id=nope") == []


def test_canned_query_cohort_difference(two_cohorts: Path) -> None:
    ds = serve(two_cohorts)
    got = rows(ds, "/cohorts/cohort_difference.json?a=pilot&b=pilot1")
    assert [(r["stage"], r["in_both"], r["only_in_a"], r["only_in_b"]) for r in got] == [
        ("draft", 4, 4, 0),
        ("essay", 4, 4, 0),
        ("evaluation", 16, 16, 0),
    ]
    assert all(r["same_content_hash"] == 0 and r["same_spec_hash"] == 0 for r in got)
    same = rows(ds, "/cohorts/cohort_difference.json?a=pilot1&b=pilot1")
    assert [(r["only_in_a"], r["only_in_b"], r["same_content_hash"]) for r in same] == [(0, 0, 1)] * 3


def test_another_database_is_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table cohort_members (x)").connection.commit()
    ds = serve(other)
    db = get(ds, "/other.json").json()
    assert [t["hidden"] for t in db["tables"]] == [False]
    assert get(ds, "/-/metadata.json").json().get("databases", {}).get("other") is None
