"""cohortdb from Python: the same library as the ``cohortdb`` CLI, called in-process.

>>> import cohortdb
>>> store = cohortdb.Store("cohorts.db", data_root="data")
>>> store.import_catalogs()                    # doctest: +SKIP
>>> report = store.build("pilot")              # doctest: +SKIP
>>> df = store.membership_df("pilot")          # doctest: +SKIP
>>> store.verify("pilot", check=True)          # doctest: +SKIP
>>> cohortdb.gen_id("draft", cohortdb.gen_signature("combo-1", "draft-A", "gen-model", 1))
'd_21hnyjluy35totlo'

Every call runs the same request as the CLI command of the same name, through the library's one
front door, and returns the same document the CLI prints with ``--format json`` as a typed
report (:mod:`cohortdb.reports`). Errors raise typed exceptions (:mod:`cohortdb.errors`). Long
calls release the GIL, stop on Ctrl-C (``KeyboardInterrupt``) and report progress to
callbacks. See docs/python.md.
"""

from __future__ import annotations

import os
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from . import _native
from .errors import (
    CatalogError,
    CohortdbError,
    CohortdbIOError,
    DataError,
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
    BackupReport,
    NewReport,
    CopyReport,
    BuildReport,
    CatalogFile,
    CohortsReport,
    CohortSummary,
    CohortVerification,
    DiffReport,
    ExplainReport,
    ExportReport,
    Finding,
    ImportGensReport,
    ImportReport,
    InitReport,
    ProgressEvent,
    ProgressReport,
    ResultsVerifyReport,
    ScoresReport,
    ShowReport,
    StatusReport,
    VerifyFailure,
    VerifyReport,
)

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas
    # pyarrow ships no type information (and is optional): its names are Any here.
    import pyarrow  # type: ignore[import-untyped, import-not-found, unused-ignore]

__all__ = [
    "Store",
    "gen_id",
    "gen_signature",
    "gen_signature_digest",
    "register_functions",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_BATCH_BYTES",
    "Shape",
    "Params",
    "ProgressCallback",
    # reports
    "BackupReport",
    "NewReport",
    "CopyReport",
    "BuildReport",
    "CatalogFile",
    "CohortsReport",
    "CohortSummary",
    "CohortVerification",
    "DiffReport",
    "ExplainReport",
    "ExportReport",
    "Finding",
    "ImportGensReport",
    "ImportReport",
    "InitReport",
    "ProgressEvent",
    "ProgressReport",
    "ResultsVerifyReport",
    "ScoresReport",
    "ShowReport",
    "StatusReport",
    "VerifyFailure",
    "VerifyReport",
    # errors
    "CatalogError",
    "CohortdbError",
    "CohortdbIOError",
    "DataError",
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

#: Rows per batch when a query streams its result (``batch_size``; at most 1,000,000).
DEFAULT_BATCH_SIZE: int = _native.DEFAULT_BATCH_ROWS
#: A batch is handed over once its values hold this many bytes, whatever ``batch_size`` says.
DEFAULT_BATCH_BYTES: int = _native.DEFAULT_BATCH_BYTES

PathLike = Union[str, "os.PathLike[str]"]
#: Query parameters: positional (a sequence, for ``?`` and ``?N``) or named (a mapping, for
#: ``:name``, ``@name``, ``$name``).
Params = Optional[Union[Sequence[Any], Mapping[str, Any]]]
#: How a batch of rows is handed over: a list of dicts, a list of tuples, or one list per column.
Shape = Literal["dicts", "tuples", "columns"]
#: A progress callback: called with each :class:`ProgressEvent` of a long call.
ProgressCallback = Callable[[ProgressEvent], None]


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
    ``conn``. (Your connection and a :class:`Store` may use one store file at once:
    docs/python.md, "Sharing a store".)

    >>> import sqlite3
    >>> conn = register_functions(sqlite3.connect(":memory:"))
    >>> conn.execute("select gen_id('draft', gen_signature('combo', 'tpl', 'model', 1))").fetchone()
    ('d_5cucb6yezk5z03ri',)
    """
    conn.create_function("gen_signature", -1, _native.gen_signature, deterministic=True)
    conn.create_function("gen_id", -1, _native.gen_id, deterministic=True)
    conn.create_function("gen_signature_digest", 1, _native.gen_signature_digest, deterministic=True)
    return conn


def _ids(cohort_ids: Union[str, Sequence[str]]) -> List[str]:
    """One cohort id, or several."""
    return [cohort_ids] if isinstance(cohort_ids, str) else list(cohort_ids)


def _store_name(value: PathLike) -> str:
    """Another store: an SQLite path (as given, like the CLI's) or a ``postgres://`` URL."""
    return os.fspath(value)


def _path(value: Optional[PathLike]) -> Optional[str]:
    return None if value is None else os.fspath(value)


class Store:
    """A cohortdb store (the SQLite file the CLI calls ``--db``, or a team store's
    ``postgres://USER@HOST:PORT/DB?sslmode=…`` URL: docs/postgres.md) and its data root.

    Each call works like one CLI command: it opens the store, does its work in one transaction,
    and closes it, so a ``Store`` is cheap and may be shared between threads. ``init``,
    ``import_catalogs`` and ``build`` create the store file when it does not exist; the other
    calls raise :class:`NoStoreError` then. Both paths are made absolute when the ``Store`` is
    created, so a later ``os.chdir`` does not move them. ``with Store(...) as store:`` closes
    the store's running queries at the end; ``os.fspath(store)`` is the store file.

    Args:
        path: the store file (the CLI's ``--db``, default ``cohorts.db``), or a team store's
            ``postgres://`` URL: every call works on it the same way (reading calls on a synced
            local mirror, ``query`` on the server); its password is never shown.
        data_root: the data layout root (``1_raw/``, ``combo_mappings.csv``, ``cohorts/``,
            ``gens/``; the CLI's ``--data-root``, default ``data``).
        callbacks: functions called with each :class:`ProgressEvent` of a long call (build,
            export, verify, import); one that raises stops the call and its exception is
            raised.
    """

    def __init__(
        self,
        path: PathLike = "cohorts.db",
        data_root: PathLike = "data",
        *,
        callbacks: Optional[Sequence[ProgressCallback]] = None,
    ) -> None:
        self._native = _native.NativeStore(os.fspath(path), os.fspath(data_root), list(callbacks or []))
        self._queries: "weakref.WeakSet[_native.Batches]" = weakref.WeakSet()
        self._closed = False

    @property
    def path(self) -> str:
        """The store file (absolute), or a team store's URL without its password."""
        return str(self._native.db)

    @property
    def data_root(self) -> str:
        """The data root (absolute)."""
        return str(self._native.data_root)

    def __repr__(self) -> str:
        return f"cohortdb.Store({self.path!r}, data_root={self.data_root!r})"

    def __fspath__(self) -> str:
        return self.path

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops every query still streaming from this store; later calls raise
        :class:`CohortdbError`. (Nothing else stays open between calls.)"""
        self._closed = True
        for batches in list(self._queries):
            batches.close()

    def _store(self) -> "_native.NativeStore":
        if self._closed:
            raise CohortdbError(f"the store {self.path} is closed", kind="usage", file=self.path)
        return self._native

    # -- commands ---------------------------------------------------------------------------

    def init(self, starter: bool = False) -> InitReport:
        """Creates the store file, or migrates an older one, and the data layout's missing
        folders (``cohortdb init``). Not needed before ``import_catalogs``, which creates the
        store too. With ``starter=True``, when this call creates the store and the data root
        holds no catalog file, the bundled example's catalogs are written there and imported
        (``report.imported``), as ``cohortdb init`` does in an empty folder."""
        return InitReport.from_dict(self._store().init(starter))

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
        return ImportReport.from_dict(self._store().import_catalogs(kind, _path(file)))

    def build(
        self,
        cohort_id: str,
        spec: Optional[PathLike] = None,
        seed: Union[int, str, None] = None,
        max_rows: Optional[int] = None,
    ) -> BuildReport:
        """Builds cohort ``cohort_id`` (``cohortdb build``) from ``spec`` (a file or folder;
        default ``<data_root>/cohorts/<cohort_id>/spec/config.yaml``) and stores its immutable
        record. ``seed`` (an int of any size, or its text as ``--seed`` takes it: ``"1_000"``,
        ``" 7 "``; D23) overrides the spec's ``output.seed``;
        ``max_rows`` refuses larger products before any work. Ctrl-C rolls the build back
        (the ``KeyboardInterrupt`` says so when the record had already been committed).

        Raises :class:`SpecError` (``file``, ``line``, ``yaml_path``), :class:`RefusedError`
        (missing catalog rows, collisions, a changed record) or :class:`UsageError`.
        """
        return BuildReport.from_dict(self._store().build(cohort_id, _path(spec), seed, max_rows))

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
        differ. ``repair`` rewrites a ``metadata.json`` that is not valid JSON from the record;
        a valid file that disagrees is still refused.

        Raises :class:`RefusedError` when existing files belong to other generations.
        """
        raw = self._store().export(cohort_id, _path(out), _path(gens_root), force, repair)
        return ExportReport.from_dict(raw)

    def verify(
        self,
        cohort_id: Optional[str] = None,
        *,
        store_only: bool = False,
        dir: Optional[PathLike] = None,
        gens_root: Optional[PathLike] = None,
        check: bool = False,
    ) -> VerifyReport:
        """Proves a stored cohort (or, with no ``cohort_id``, every stored cohort) reproduces
        from its hash, and unless ``store_only`` that its exported files in ``dir`` (default
        ``<data_root>/cohorts/<cohort_id>``) are intact (``cohortdb verify``). Returns the
        report; with ``check=True`` a report that does not match raises
        :class:`VerifyMismatch` instead (the CLI's exit 1).
        """
        raw = self._store().verify(cohort_id, store_only, _path(dir), _path(gens_root))
        report = VerifyReport.from_dict(raw)
        if check and not report.matches:
            raise VerifyMismatch(report)
        return report

    def status(self, *cohort_ids: str, missing: bool = False) -> StatusReport:
        """Which stored cohorts are no longer current (``cohortdb status``): spec files changed
        on disk, exports missing or differing; with no id, every cohort and the catalog files.
        ``report.current`` is the CLI's exit 0. Once outputs were imported (:meth:`import_gens`)
        each cohort's entry holds its ``progress``; ``missing=True`` lists the members without
        ``parsed.txt`` (``status --missing``)."""
        return StatusReport.from_dict(self._store().status(list(cohort_ids), missing))

    def show(self, cohort_id: str) -> ShowReport:
        """A stored cohort's record and balance table (``cohortdb show``)."""
        return ShowReport.from_dict(self._store().show(cohort_id))

    def spec(self, cohort_id: str) -> Dict[str, Any]:
        """A stored cohort's spec as data: its config file (YAML or JSON) read into dicts and
        lists, ``@file:`` includes as written (``cohortdb show --spec``)."""
        value: Dict[str, Any] = self._store().spec(cohort_id)
        return value

    def spec_files(self, cohort_id: str) -> Dict[str, bytes]:
        """A stored cohort's spec bundle: each file's path in the bundle and its exact bytes,
        the config file first (``cohortdb show --spec-out``)."""
        files: Dict[str, bytes] = self._store().spec_files(cohort_id)
        return files

    def diff(self, a: str, b: str, stat_only: bool = False) -> DiffReport:
        """What differs between ``a`` and ``b`` (``cohortdb diff``): stored cohort ids or spec
        folders; ``stat_only`` gives counts without member and row lists."""
        return DiffReport.from_dict(self._store().diff(a, b, stat_only))

    def explain(self, spec: PathLike) -> ExplainReport:
        """A spec's plan step by step, without building a row (``cohortdb explain``)."""
        return ExplainReport.from_dict(self._store().explain(os.fspath(spec)))

    def cohorts(self) -> CohortsReport:
        """The stored cohorts (``cohortdb cohorts``), by id."""
        return CohortsReport.from_dict(self._store().cohorts())

    def new(self, cohort_id: str, from_cohort: Optional[str] = None) -> NewReport:
        """Writes a new cohort's spec folder ``<data-root>/cohorts/<id>/spec/`` (``cohortdb
        new``): a starter spec over the first id of each imported catalog, or with
        ``from_cohort`` the stored spec files of that cohort. Refused, writing nothing: a stored
        id, an existing spec folder, catalogs without an id for some axis."""
        return NewReport.from_dict(self._store().new_spec(cohort_id, from_cohort))

    def backup(self, dest: PathLike) -> BackupReport:
        """A consistent, self-contained copy of the store in the new file ``dest``
        (``cohortdb backup``), safe while others use the store."""
        return BackupReport.from_dict(self._store().backup(os.fspath(dest)))

    def push(self, cohort_ids: Union[str, Sequence[str]], *, to: PathLike) -> CopyReport:
        """Copies cohorts, with the catalog rows and registry entries they need, from this store
        to ``to`` (``cohortdb push``): an SQLite store file (created when missing) or a
        ``postgres://`` URL. Every record is re-hashed on arrival; a cohort the target holds
        with the same hash is left alone; the same id with another hash is refused."""
        return CopyReport.from_dict(self._store().push(_ids(cohort_ids), _store_name(to)))

    def pull(self, cohort_ids: Union[str, Sequence[str]], *, from_: PathLike) -> CopyReport:
        """Copies cohorts, with what they need, from ``from_`` (an SQLite store file or a
        ``postgres://`` URL) into this store (``cohortdb pull``), as ``push`` does."""
        return CopyReport.from_dict(self._store().pull(_ids(cohort_ids), _store_name(from_)))

    # -- results ------------------------------------------------------------------------------

    def import_gens(self, gens_root: Optional[PathLike] = None) -> ImportGensReport:
        """Records what every ``gens/<stage>/<gen_id>/`` folder under ``gens_root`` (default
        ``<data_root>/gens``) holds in the results ledger (``cohortdb import gens``):
        append-only, in one transaction; files whose size and stat are unchanged are not read
        again. Links are recorded, never followed; FIFOs and devices are never opened."""
        return ImportGensReport.from_dict(self._store().import_gens(_path(gens_root)))

    def scores(self, cohort_id: str, gens_root: Optional[PathLike] = None) -> ScoresReport:
        """Writes the reference's results files of a cohort under
        ``<data_root>/cohorts/<cohort_id>/reports/`` from the ledger (``cohortdb scores``).
        The cohort is a stored one, or one that exists only as ``membership.csv``.

        Raises :class:`RefusedError` naming the file where the reference would abort the
        cohort (a ``metadata.json`` that is not JSON, bytes that are not UTF-8); nothing is
        written then (D25).
        """
        return ScoresReport.from_dict(self._store().scores(cohort_id, _path(gens_root)))

    def scores_df(self, cohort_id: str, gens_root: Optional[PathLike] = None) -> "pandas.DataFrame":
        """A cohort's normalised evaluation scores as a pandas DataFrame: the rows and the 15
        columns of ``evaluation_scores.csv`` in membership order, without writing a file.
        Every column holds the CSV's text (``""`` for an empty cell) except ``score``, a float
        (NaN when empty). Refused like :meth:`scores`. Needs pandas."""
        try:
            import pandas
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("scores_df needs pandas: pip install pandas") from e
        columns = self._store().score_columns(cohort_id, _path(gens_root))
        frame = pandas.DataFrame({name: pandas.Series(values, dtype=object) for name, values in columns.items()})
        frame["score"] = pandas.Series(columns["score"], dtype="float64")
        return frame

    def progress(self, cohort_id: str, missing: bool = False) -> ProgressReport:
        """How far a stored cohort is (``cohortdb results progress``): per stage, its members
        and how many have ``prompt.txt``, ``raw.txt`` and ``parsed.txt`` in the ledger;
        ``missing=True`` lists the gen_ids without ``parsed.txt``."""
        return ProgressReport.from_dict(self._store().progress(cohort_id, missing))

    def results_verify(self) -> ResultsVerifyReport:
        """Re-hashes every output file the ledger holds (``cohortdb results verify``);
        ``report.matches`` is False when any changed or vanished since it was imported."""
        return ResultsVerifyReport.from_dict(self._store().results_verify())

    # -- SQL --------------------------------------------------------------------------------

    def _track(self, batches: "_native.Batches") -> "_native.Batches":
        self._queries.add(batches)
        return batches

    def iter_batches(
        self,
        sql: str,
        params: Params = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        shape: Shape = "dicts",
        max_bytes: int = DEFAULT_BATCH_BYTES,
    ) -> "_native.Batches":
        """Runs one read-only statement and returns an iterator of batches of at most
        ``batch_size`` rows (1 to 1,000,000) and about ``max_bytes`` bytes: lists of dicts
        (``shape="dicts"``), lists of tuples (``"tuples"``), or one list per column
        (``"columns"``). The statement runs on its own thread and connection, at most two
        batches ahead, so any result streams in bounded memory; ``.columns`` names the columns;
        ``.close()`` (or dropping the iterator, or closing the store) stops it at once; Ctrl-C
        while it waits raises ``KeyboardInterrupt``. An iterator cannot be used after
        ``fork()``.

        ``params`` are positional (a sequence, for ``?``/``?N``) or named (a mapping, for
        ``:name``); every parameter of the statement needs a value. The store's views
        (``membership``, ``cohorts``, ``templates``, …) and the gen_id functions are available.
        Raises :class:`QueryError` for a statement that would write or is not valid SQL,
        :class:`UsageError` when the parameters do not match.
        """
        return self._track(self._store().query_batches(sql, params, batch_size, shape, max_bytes))

    def iter_query(self, sql: str, params: Params = None, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Dict[str, Any]]:
        """Like :meth:`query`, but yields one dict per row as it streams (bounded memory)."""
        batches = self.iter_batches(sql, params, batch_size, "dicts")
        try:
            for batch in batches:
                yield from batch
        finally:
            batches.close()

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
        from streamed batches (no per-row Python objects). An empty result keeps its columns,
        typed ``object``. Needs pandas (``pip install pandas``); it is not a dependency of
        cohortdb.
        """
        return _frame(self.iter_batches(sql, params, batch_size, "columns"))

    def query_arrow(self, sql: str, params: Params = None) -> "pyarrow.Table":
        """Runs one read-only statement and returns a ``pyarrow.Table``: the result is written
        as Parquet in row groups as it is read (the format ``cohortdb query --format parquet``
        writes), then read by pyarrow. Columns are int64, double, string or binary, from the
        columns' declared types, else from the first rows' values; a value that fits neither
        raises :class:`UsageError` naming the column and row (docs/decisions.md D31). Needs
        pyarrow (``pip install pyarrow``); it is not a dependency of cohortdb.
        """
        try:
            import pyarrow  # type: ignore[import-untyped, import-not-found, unused-ignore]
            import pyarrow.parquet  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError as e:
            raise ImportError("query_arrow needs pyarrow: pip install pyarrow") from e
        data = self._store().query_parquet(sql, params)
        return pyarrow.parquet.read_table(pyarrow.BufferReader(data))

    def membership(self, cohort_id: str) -> List[Dict[str, Any]]:
        """A cohort's members in ``membership.csv`` order: dicts with ``stage``, ``gen_id``,
        ``parent_gen_id``, ``combo_id``, ``template_id``, ``llm_model_id``, ``replicate``.
        An unknown cohort id raises :class:`UsageError`."""
        rows = self._store().membership(cohort_id, "dicts")
        if rows is not None:
            return rows
        # A stored row that cannot be part of a canonical record: the view shows the rows as
        # stored (``verify`` names the damage).
        stored: List[Dict[str, Any]] = []
        for batch in self._track(self._store().membership_batches(cohort_id, DEFAULT_BATCH_SIZE, "dicts")):
            stored.extend(batch)
        return stored

    def membership_df(self, cohort_id: str) -> "pandas.DataFrame":
        """:meth:`membership` as a pandas DataFrame (needs pandas)."""
        built = self._store().membership(cohort_id, "columns")
        if built is not None:
            names, columns = built
            return _frame_of(names, columns)
        return _frame(self._track(self._store().membership_batches(cohort_id, DEFAULT_BATCH_SIZE, "columns")))


def _frame(batches: "_native.Batches") -> "pandas.DataFrame":
    """A DataFrame from ``shape="columns"`` batches."""
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("query_df and membership_df need pandas: pip install pandas") from e
    names = batches.columns
    columns: List[List[Any]] = [[] for _ in names]
    for batch in batches:
        for column, values in zip(columns, batch):
            column.extend(values)
    return _frame_of(names, columns)


def _frame_of(names: Sequence[str], columns: Sequence[List[Any]]) -> "pandas.DataFrame":
    """A DataFrame of whole columns; an empty result keeps its columns, typed ``object``."""
    import pandas

    series = [pandas.Series(values, dtype=object if not values else None) for values in columns]
    frame = pandas.concat(series, axis=1) if series else pandas.DataFrame()
    frame.columns = pandas.Index(names)
    return frame
