"""cohortdb from Python: the same library as the ``cohortdb`` CLI, called in-process.

>>> import cohortdb
>>> store = cohortdb.Store("cohorts.db", data_root="data")
>>> store.import_catalogs()                    # doctest: +SKIP
>>> report = store.build("pilot")              # doctest: +SKIP
>>> df = store.membership_df("pilot")          # doctest: +SKIP
>>> store.verify("pilot", check=True)          # doctest: +SKIP
>>> cohortdb.gen_id("draft", cohortdb.gen_signature("combo-1", "draft-A", "gen-model", 1))
'd_21hnyjluy35totlo'

Calls return typed reports (:mod:`cohortdb.reports`), errors raise typed exceptions
(:mod:`cohortdb.errors`), long work releases the GIL. See docs/python.md.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from . import _native
from .errors import (
    CatalogError,
    CohortdbError,
    CohortdbIOError,
    GenIdError,
    NoStoreError,
    QueryError,
    RefusedError,
    SpecError,
    StoreError,
    UsageError,
    VerifyMismatch,
)
from .reports import (
    BuildReport,
    CatalogFile,
    CohortSummary,
    ExportReport,
    Finding,
    ImportReport,
    ShowReport,
    StatusReport,
    VerifyReport,
)

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas

__all__ = [
    "Store",
    "gen_id",
    "gen_signature",
    "gen_signature_digest",
    "register_functions",
    "DEFAULT_BATCH_SIZE",
    # reports
    "BuildReport",
    "CatalogFile",
    "CohortSummary",
    "ExportReport",
    "Finding",
    "ImportReport",
    "ShowReport",
    "StatusReport",
    "VerifyReport",
    # errors
    "CatalogError",
    "CohortdbError",
    "CohortdbIOError",
    "GenIdError",
    "NoStoreError",
    "QueryError",
    "RefusedError",
    "SpecError",
    "StoreError",
    "UsageError",
    "VerifyMismatch",
]

__version__ = "0.1.0"

#: Rows per batch when a query streams its result.
DEFAULT_BATCH_SIZE = 10_000

PathLike = Union[str, "os.PathLike[str]"]
Params = Optional[Union[Sequence[Any], Mapping[str, Any]]]


def gen_signature(*parts: Union[str, int]) -> str:
    """The canonical signature of a generation (docs/reference.md §3.9): each text part
    trimmed (Python whitespace) and lowercased, an integer part in decimal, joined with ``|``,
    then the replicate (the last argument: an int, or text ``int()`` reads).

    >>> gen_signature(" Combo-1", "draft-A", "gen-model", 1)
    'combo-1|draft-a|gen-model|1'

    Raises :class:`GenIdError` for an empty part, ``None``, or a non-integer replicate.
    """
    return _native.gen_signature(*parts)


def gen_id(stage: str, signature: str, collision_index: int = 0) -> str:
    """The reference gen_id of a canonical signature: BLAKE2b-80 in base 36 with the stage
    prefix (``d_``, ``e_``, ``v_``), and ``-N`` for a collision index N > 0.

    >>> gen_id("draft", "combo|tpl|model|1", 1)
    'd_3lmvqkgnqsit2o5l-1'

    Raises :class:`GenIdError` for an unknown stage or a negative collision index.
    """
    return _native.gen_id(stage, signature, collision_index)


def gen_signature_digest(signature: str) -> bytes:
    """The 16-byte BLAKE3 digest of a signature that cohortdb's gen_id registry keeps."""
    return _native.gen_signature_digest(signature)


def register_functions(conn: "sqlite3.Connection") -> "sqlite3.Connection":
    """Adds ``gen_signature``, ``gen_id`` and ``gen_signature_digest`` to a ``sqlite3``
    connection (``create_function``, deterministic), so your own connection to the store —
    pandas' ``read_sql``, Datasette-style code — can call them as cohortdb's does. Returns
    ``conn``.

    >>> import sqlite3
    >>> conn = register_functions(sqlite3.connect(":memory:"))
    >>> conn.execute("select gen_id('draft', gen_signature('combo', 'tpl', 'model', 1))").fetchone()
    ('d_5cucb6yezk5z03ri',)
    """
    conn.create_function("gen_signature", -1, _native.gen_signature, deterministic=True)
    conn.create_function("gen_id", -1, _native.gen_id, deterministic=True)
    conn.create_function("gen_signature_digest", 1, _native.gen_signature_digest, deterministic=True)
    return conn


class Store:
    """A cohortdb store (the SQLite file the CLI calls ``--db``) and its data root.

    Each call works like one CLI command: it opens the store, does its work in one
    transaction, and closes it, so a ``Store`` is cheap and may be shared between threads.
    ``import_catalogs`` and ``build`` create the store file when it does not exist; the other
    calls raise :class:`NoStoreError` then.

    Args:
        path: the store file (the CLI's ``--db``, default ``cohorts.db``).
        data_root: the data layout root (``1_raw/``, ``combo_mappings.csv``, ``cohorts/``,
            ``gens/``; the CLI's ``--data-root``, default ``data``).
    """

    def __init__(self, path: PathLike = "cohorts.db", data_root: PathLike = "data") -> None:
        self._native = _native.NativeStore(os.fspath(path), os.fspath(data_root))

    @property
    def path(self) -> str:
        """The store file."""
        return str(self._native.db)

    @property
    def data_root(self) -> str:
        """The data root."""
        return str(self._native.data_root)

    def __repr__(self) -> str:
        return f"cohortdb.Store({self.path!r}, data_root={self.data_root!r})"

    # -- commands ---------------------------------------------------------------------------

    def init(self) -> int:
        """Creates the store file, or migrates an older one (``cohortdb init``); returns its
        schema version. Not needed before ``import_catalogs``, which creates the store too."""
        return self._native.init()

    def import_catalogs(self, kind: Optional[str] = None, file: Optional[PathLike] = None) -> ImportReport:
        """Imports catalogs append-only (``cohortdb import``): every file of the data layout,
        or one ``kind`` (``concepts``, ``draft-templates``, …, ``replication``) from ``file``.

        Raises :class:`CatalogError` (with ``file``, ``line``, ``column``) for an invalid file
        or a changed row; the store is unchanged then.
        """
        if (kind is None) != (file is None):
            raise UsageError(
                "import_catalogs: give both kind and file, or neither (every catalog of the layout)",
                kind="usage",
            )
        raw = self._native.import_catalogs(kind, None if file is None else os.fspath(file))
        return ImportReport.from_dict(raw)

    def build(
        self,
        cohort_id: str,
        spec: Optional[PathLike] = None,
        seed: Optional[int] = None,
        max_rows: Optional[int] = None,
    ) -> BuildReport:
        """Builds cohort ``cohort_id`` (``cohortdb build``) from ``spec`` (a file or folder;
        default ``<data_root>/cohorts/<cohort_id>/spec/config.yaml``) and stores its immutable
        record. ``seed`` (an int of any size, D23) overrides the spec's ``output.seed``;
        ``max_rows`` refuses larger products before any work.

        Raises :class:`SpecError` (``file``, ``line``, ``yaml_path``), :class:`RefusedError`
        (missing catalog rows, collisions, a changed record) or :class:`UsageError`.
        """
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise UsageError(f"seed must be an int, found {type(seed).__name__}", kind="usage", value=repr(seed))
        raw = self._native.build(cohort_id, None if spec is None else os.fspath(spec), seed, max_rows)
        return BuildReport.from_dict(raw)

    def export(
        self,
        cohort_id: str,
        out: Optional[PathLike] = None,
        gens_root: Optional[PathLike] = None,
        force: bool = False,
        repair: bool = False,
    ) -> ExportReport:
        """Writes a stored cohort's files (``cohortdb export``): ``membership.csv``,
        ``manifest.json``, ``spec/``, ``cohort.lock.json`` under ``out`` (default
        ``<data_root>/cohorts/<cohort_id>``) and each member's ``metadata.json`` under
        ``gens_root`` (default ``<data_root>/gens``). ``force`` replaces generated files that
        differ. ``repair`` rewrites a ``metadata.json`` that is not valid JSON from the record
        (the report's ``repaired`` lists what each held); a valid file that disagrees is still
        refused.

        Raises :class:`RefusedError` when existing files belong to other generations.
        """
        raw = self._native.export(
            cohort_id,
            None if out is None else os.fspath(out),
            None if gens_root is None else os.fspath(gens_root),
            force,
            repair,
        )
        return ExportReport.from_dict(raw)

    def verify(
        self,
        cohort_id: str,
        store_only: bool = False,
        dir: Optional[PathLike] = None,
        gens_root: Optional[PathLike] = None,
        check: bool = False,
    ) -> VerifyReport:
        """Proves a stored cohort reproduces from its hash, and (unless ``store_only``) that
        its exported files in ``dir`` (default ``<data_root>/cohorts/<cohort_id>``) are intact
        (``cohortdb verify``). Returns the report; with ``check=True`` a report that does not
        match raises :class:`VerifyMismatch` instead (the CLI's exit 1).
        """
        raw = self._native.verify(
            cohort_id,
            store_only,
            None if dir is None else os.fspath(dir),
            None if gens_root is None else os.fspath(gens_root),
        )
        report = VerifyReport.from_dict(raw)
        if check and not report.matches:
            raise VerifyMismatch(report)
        return report

    def status(self, *cohort_ids: str) -> StatusReport:
        """Which stored cohorts are no longer current (``cohortdb status``): spec files changed
        on disk, catalogs changed since the build, exports missing or differing; with no id,
        every cohort and the catalog files. ``report.current`` is the CLI's exit 0."""
        return StatusReport(**self._native.status(list(cohort_ids)))

    def show(self, cohort_id: str) -> ShowReport:
        """A stored cohort's record and balance table (``cohortdb show``)."""
        return ShowReport(**self._native.show(cohort_id))

    def cohorts(self) -> List[CohortSummary]:
        """The stored cohorts (``cohortdb cohorts``), by id."""
        return [CohortSummary(**c) for c in self._native.cohorts()]

    # -- SQL --------------------------------------------------------------------------------

    def iter_batches(
        self,
        sql: str,
        params: Params = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        shape: str = "dicts",
    ) -> "_native.Batches":
        """Runs one read-only statement and returns an iterator of batches of at most
        ``batch_size`` rows: lists of dicts (``shape="dicts"``), lists of tuples
        (``"tuples"``), or one list per column (``"columns"``). The statement runs on its own
        thread and connection, at most two batches ahead, so any result streams in bounded
        memory; ``.columns`` names the columns; closing or dropping the iterator stops it.

        ``params`` are positional (a sequence, for ``?``/``?N``) or named (a mapping, for
        ``:name``). The store's views (``membership``, ``cohorts``, ``templates``, …) and the
        gen_id functions are available. Raises :class:`QueryError` for a statement that would
        write, is not valid SQL, or whose parameters do not match.
        """
        return self._native.query_batches(sql, params, batch_size, shape)

    def iter_query(self, sql: str, params: Params = None, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Dict[str, Any]]:
        """Like :meth:`query`, but yields one dict per row as it streams (bounded memory)."""
        for batch in self.iter_batches(sql, params, batch_size, "dicts"):
            yield from batch

    def query(self, sql: str, params: Params = None) -> List[Dict[str, Any]]:
        """Runs one read-only statement (``cohortdb query``) and returns its rows as a list of
        dicts keyed by column name. For large results use :meth:`iter_query` or
        :meth:`query_df`.
        """
        rows: List[Dict[str, Any]] = []
        for batch in self.iter_batches(sql, params, DEFAULT_BATCH_SIZE, "dicts"):
            rows.extend(batch)
        return rows

    def query_df(self, sql: str, params: Params = None, batch_size: int = DEFAULT_BATCH_SIZE) -> "pandas.DataFrame":
        """Runs one read-only statement and returns a pandas DataFrame, filled column by column
        from streamed batches (no per-row Python objects). Needs pandas (``pip install
        pandas``); it is not a dependency of cohortdb.
        """
        try:
            import pandas
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("query_df needs pandas: pip install pandas") from e
        batches = self.iter_batches(sql, params, batch_size, "columns")
        columns: List[List[Any]] = [[] for _ in batches.columns]
        for batch in batches:
            for column, values in zip(columns, batch):
                column.extend(values)
        names = batches.columns
        if len(set(names)) == len(names):
            return pandas.DataFrame(dict(zip(names, columns)), columns=names)
        frame = pandas.DataFrame({i: c for i, c in enumerate(columns)})
        frame.columns = names
        return frame

    def membership(self, cohort_id: str) -> List[Dict[str, Any]]:
        """A cohort's members in ``membership.csv`` order: dicts with ``stage``, ``gen_id``,
        ``parent_gen_id``, ``combo_id``, ``template_id``, ``llm_model_id``, ``replicate``."""
        return self.query(_native.NativeStore.membership_sql, [cohort_id])

    def membership_df(self, cohort_id: str) -> "pandas.DataFrame":
        """:meth:`membership` as a pandas DataFrame (needs pandas)."""
        return self.query_df(_native.NativeStore.membership_sql, [cohort_id])
