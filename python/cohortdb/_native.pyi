"""Type stub of the compiled module ``cohortdb._native`` (python/src/lib.rs).

Use the ``cohortdb`` package instead: it wraps these in typed reports and documented calls.
Every method returns the document the CLI prints with ``--format json``.
"""

from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

DEFAULT_MAX_ROWS: int
DEFAULT_BATCH_ROWS: int
DEFAULT_BATCH_BYTES: int
MAX_BATCH_ROWS: int

class NativeError(Exception):
    """Raised only when ``cohortdb.errors`` cannot be imported to build a typed exception."""

def gen_signature(*args: Union[str, int, None]) -> str: ...
def gen_id(*args: Union[str, int, None]) -> str: ...
def gen_signature_digest(*args: Union[str, int, bytes, None]) -> bytes: ...

class Batches(Iterator[List[Any]]):
    """Batches of a streamed query result; at most two wait in memory."""

    @property
    def columns(self) -> List[str]: ...
    def __iter__(self) -> "Batches": ...
    def __next__(self) -> List[Any]: ...
    def close(self) -> None: ...

class NativeStore:
    """A store file and a data root (made absolute); each call opens the store for its work."""

    membership_sql: str

    def __init__(self, db: str, data_root: str, callbacks: List[Callable[[Any], None]] = ...) -> None: ...
    @property
    def db(self) -> str: ...
    @property
    def data_root(self) -> str: ...
    def init(self) -> Dict[str, Any]: ...
    def import_catalogs(self, kind: Optional[str] = None, file: Optional[str] = None) -> Dict[str, Any]: ...
    def build(
        self,
        cohort_id: str,
        spec: Optional[str] = None,
        seed: Union[int, str, None] = None,
        max_rows: Optional[int] = None,
    ) -> Dict[str, Any]: ...
    def export(
        self,
        cohort_id: str,
        out: Optional[str] = None,
        gens_root: Optional[str] = None,
        force: bool = False,
        repair: bool = False,
    ) -> Dict[str, Any]: ...
    def verify(
        self,
        cohort_id: Optional[str] = None,
        store_only: bool = False,
        dir: Optional[str] = None,
        gens_root: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def status(self, cohort_ids: List[str] = ...) -> Dict[str, Any]: ...
    def show(self, cohort_id: str) -> Dict[str, Any]: ...
    def spec(self, cohort_id: str) -> Any: ...
    def spec_files(self, cohort_id: str) -> Dict[str, bytes]: ...
    def diff(self, a: str, b: str, stat_only: bool = False) -> Dict[str, Any]: ...
    def explain(self, spec: str) -> Dict[str, Any]: ...
    def cohorts(self) -> Dict[str, Any]: ...
    def backup(self, dest: str) -> Dict[str, Any]: ...
    def query_batches(
        self,
        sql: str,
        params: Optional[Union[Sequence[Any], Mapping[str, Any]]] = None,
        batch_size: Optional[int] = None,
        shape: str = "dicts",
        max_bytes: Optional[int] = None,
    ) -> Batches: ...
    def membership_batches(
        self,
        cohort_id: str,
        batch_size: Optional[int] = None,
        shape: str = "dicts",
        max_bytes: Optional[int] = None,
    ) -> Batches: ...
