"""cohortdb's Datasette plugin (``pip install cohortdb[datasette]``; registered through the
``datasette`` entry point in pyproject.toml, so ``datasette serve cohorts.db`` loads it).

For every database that is a cohortdb store (it has ``cohort_records`` and ``cohort_members``):

- the gen_id SQL functions on each of Datasette's connections (:func:`cohortdb.register_functions`);
- a title, a description and column descriptions for every view, and the internal tables hidden
  (the views are the store's stable SQL surface, docs/storage.md); the texts live in one place,
  ``browse/views.json`` beside this file;
- canned queries (``browse/<name>.sql``): the cohorts with their hashes, a cohort's balance per
  axis (through ``cohortdb_balance``, a function over the store file that runs ``show``'s
  one-pass count), what two cohorts differ by;
- views of one row per member (``"count": false`` in views.json: ``membership``, ...) open
  without Datasette's row count and facet suggestions. Counting ``membership`` of a 1.2M-member
  store takes over 2 s, past Datasette's 1 s limit; Datasette 0.65 gives up on the count
  quietly but its facet suggestions count again, without that care, and the page failed with
  "SQL Interrupted". A request that asks for them (``_nocount=0``, ``_nosuggest=0``) still gets
  them.

Written for Datasette 0.65 (what ``pip install datasette`` gives; 1.0 is an alpha and moves
metadata into a configuration file: not supported yet). See docs/python.md, "Datasette".
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Set, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlencode

from datasette import hookimpl as _hookimpl

from . import Store, UsageError, register_functions

_F = TypeVar("_F", bound=Callable[..., Any])


def hookimpl(fn: _F) -> _F:
    """Datasette's hook marker, typed (Datasette ships no type information)."""
    return cast(_F, _hookimpl(fn))


_HERE = Path(__file__).resolve().parent / "browse"
_DOCS: Dict[str, Any] = json.loads((_HERE / "views.json").read_text(encoding="utf-8"))

# The tables that make a database a cohortdb store.
_STORE_TABLES = {"cohort_records", "cohort_members"}

# Per Datasette instance: the names of its databases that are cohortdb stores, with their
# tables (to hide). Filled at startup.
_STORES: "weakref.WeakKeyDictionary[Any, Dict[str, List[str]]]" = weakref.WeakKeyDictionary()


def _query_sql(name: str) -> str:
    return (_HERE / f"{name}.sql").read_text(encoding="utf-8")


def store_metadata(tables: List[str]) -> Dict[str, Any]:
    """The Datasette metadata of one store whose tables are ``tables``: every view titled and
    described, every table hidden, the canned queries."""
    meta: Dict[str, Any] = {}
    for view, doc in _DOCS["views"].items():
        meta[view] = {
            "title": doc["title"],
            "description": doc["description"],
            "columns": dict(doc["columns"]),
        }
    for table in tables:
        meta[table] = {"hidden": True}
    queries = {
        name: {"title": doc["title"], "description": doc["description"], "sql": _query_sql(name)}
        for name, doc in _DOCS["queries"].items()
    }
    return {
        "title": "cohortdb store",
        "description": "Cohorts, their members and the catalogs they were built from. The internal tables are hidden; the views below are the store's SQL surface (docs/storage.md).",
        "tables": meta,
        "queries": queries,
    }


def balance_function(path: str) -> Callable[[Any], str]:
    """``cohortdb_balance(cohort_id)`` over the store file ``path``: the balance table of
    ``cohortdb show`` as a JSON array of ``[stage, axis, level, members]``, in the order
    ``show`` prints it; ``[]`` for an id that is not a stored cohort.

    The canned query ``cohort_balance`` reads it with ``json_each``. Counting the levels in
    SQL sorts every member (SQLite has no hash aggregation): 1.3–2.0 s for 1.2M members, past
    Datasette's 1 s limit; the library's one pass (``Store.show``, the same code as the CLI)
    takes a fraction of that, on its own read-only connection to the same file."""

    def cohortdb_balance(cohort_id: Any) -> str:
        if not isinstance(cohort_id, str):
            return "[]"
        try:
            report = Store(path).show(cohort_id)
        except UsageError:
            return "[]"
        rows = [
            [stage["stage"], axis["axis"], level["level"], level["members"]]
            for stage in report.balance
            for axis in stage["axes"]
            for level in axis["levels"]
        ]
        return json.dumps(rows, ensure_ascii=False)

    return cohortdb_balance


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    # Every connection gets the functions (a canned query or a user's SQL may call them).
    register_functions(conn)
    db = datasette.databases.get(database)
    path = getattr(db, "path", None)
    if path and not getattr(db, "is_memory", False):
        conn.create_function("cohortdb_balance", 1, balance_function(str(path)))


@hookimpl
def startup(datasette: Any) -> Callable[[], Awaitable[None]]:
    async def inner() -> None:
        stores: Dict[str, List[str]] = {}
        for name, db in datasette.databases.items():
            if name == "_internal":
                continue
            tables = await db.table_names()
            if _STORE_TABLES <= set(tables):
                stores[name] = sorted(tables)
        _STORES[datasette] = stores

    return inner


@hookimpl
def get_metadata(datasette: Any) -> Dict[str, Any]:
    stores = _STORES.get(datasette, {})
    return {"databases": {name: store_metadata(tables) for name, tables in stores.items()}}


def _uncounted(datasette: Any) -> Set[str]:
    """Paths of the views Datasette should not count: /<store>/<view>, with and without .json."""
    views = [view for view, doc in _DOCS["views"].items() if doc.get("count") is False]
    paths = set()
    for name in _STORES.get(datasette, {}):
        for view in views:
            base = unquote(datasette.urls.table(name, view))
            paths.update({base, base + ".json", base + ".csv"})
    return paths


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Any:
        async def view_without_count(scope: Dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and unquote(scope.get("path", "")) in _uncounted(datasette):
                args = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                given = {key for key, _ in args}
                for key in ("_nocount", "_nosuggest"):
                    if key not in given:
                        args.append((key, "1"))
                args = [(k, v) for k, v in args if not (k in ("_nocount", "_nosuggest") and v == "0")]
                scope = dict(scope, query_string=urlencode(args).encode("latin-1"))
            await app(scope, receive, send)

        return view_without_count

    return wrap
