"""Type stub of the compiled module ``cohortdb._native`` (python/src/lib.rs).

Use the ``cohortdb`` package instead: it wraps these in typed reports and documented calls.
"""

from typing import Any, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Union

DEFAULT_MAX_ROWS: int

class NativeError(Exception):
    """Raised only when ``cohortdb.errors`` cannot be imported to build a typed exception."""

def gen_signature(*args: Union[str, int, None]) -> str:
    """``gen_signature(part, …, replicate)``, exactly as the SQL function."""

def gen_id(*args: Union[str, int, None]) -> str:
    """``gen_id(stage, signature[, collision_index])``, exactly as the SQL function."""

def gen_signature_digest(*args: Union[str, int, None]) -> bytes:
    """``gen_signature_digest(signature)``, exactly as the SQL function."""

class Batches(Iterator[List[Any]]):
    """Batches of a streamed query result; at most two wait in memory."""

    @property
    def columns(self) -> List[str]:
        """The result's column names."""
    def __iter__(self) -> "Batches": ...
    def __next__(self) -> List[Any]: ...
    def close(self) -> None:
        """Stops the query."""

class NativeStore:
    """A store file and a data root; each call opens the store for its own work."""

    membership_sql: str

    def __init__(self, db: str, data_root: str) -> None: ...
    @property
    def db(self) -> str:
        """The store file."""
    @property
    def data_root(self) -> str:
        """The data root."""
    def init(self) -> int:
        """Creates or migrates the store; returns its schema version."""
    def import_catalogs(self, kind: Optional[str] = None, file: Optional[str] = None) -> Dict[str, Any]:
        """Imports every catalog of the data layout, or one kind from a file."""
    def build(
        self,
        cohort_id: str,
        spec: Optional[str] = None,
        seed: Optional[int] = None,
        max_rows: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Builds a cohort and stores its record."""
    def export(
        self,
        cohort_id: str,
        out: Optional[str] = None,
        gens_root: Optional[str] = None,
        force: bool = False,
        repair: bool = False,
    ) -> Dict[str, Any]:
        """Exports a stored cohort's files; `repair` rewrites unreadable metadata.json files."""
    def verify(
        self,
        cohort_id: str,
        store_only: bool = False,
        dir: Optional[str] = None,
        gens_root: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Verifies a stored cohort."""
    def status(self, cohort_ids: List[str] = ...) -> Dict[str, Any]:
        """Which cohorts (and catalog files) are no longer current."""
    def show(self, cohort_id: str) -> Dict[str, Any]:
        """A stored cohort's record and balance table."""
    def cohorts(self) -> List[Dict[str, Any]]:
        """The stored cohorts."""
    def query_batches(
        self,
        sql: str,
        params: Optional[Union[Sequence[Any], Mapping[str, Any]]] = None,
        batch_size: int = 10000,
        shape: Literal["dicts", "tuples", "columns"] = "dicts",
    ) -> Batches:
        """Runs one read-only statement on its own thread; returns its batches."""
