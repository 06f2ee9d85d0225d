"""The exceptions cohortdb raises.

Every exception derives from :class:`CohortdbError`. Its ``str()`` is the text the CLI prints
after ``error:``, and every exception has the same attributes, ``None`` where they do not
apply (``detail`` and ``hints`` are then empty lists): ``kind`` (the library's name for the
kind of error: ``spec``, ``catalog``, ``usage``, ``build``, ``bad_store``, ``io``, …),
``file``, ``line``, ``column`` and ``yaml_path`` (where in the user's input the problem is),
``value`` (the offending value), ``errno`` (the operating system's error number, for I/O
errors), ``query`` (the failing statement's name, for store errors), ``detail`` (the further
lines the CLI prints: lists, comparisons, then ``hint: …`` lines) and ``hints`` (the hints
alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .reports import Finding, VerifyReport

__all__ = [
    "CohortdbError",
    "SpecError",
    "CatalogError",
    "DataError",
    "UsageError",
    "RefusedError",
    "StoreError",
    "NoStoreError",
    "QueryError",
    "CohortdbIOError",
    "GenIdError",
    "VerifyMismatch",
]


class CohortdbError(Exception):
    """Base class of every cohortdb error (see the module's documentation for the
    attributes)."""

    message: str
    detail: List[str]
    hints: List[str]
    kind: Optional[str]
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    yaml_path: Optional[str]
    value: Optional[str]
    errno: Optional[int]
    query: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        detail: Optional[List[str]] = None,
        hints: Optional[List[str]] = None,
        kind: Optional[str] = None,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        yaml_path: Optional[str] = None,
        value: Optional[str] = None,
        errno: Optional[int] = None,
        query: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = list(detail or [])
        self.hints = list(hints or [])
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.yaml_path = yaml_path
        self.value = value
        self.errno = errno
        self.query = query

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> Dict[str, Any]:
        """The error as a plain dict: its class name, message and fields."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "detail": list(self.detail),
            "hints": list(self.hints),
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "yaml_path": self.yaml_path,
            "value": self.value,
            "errno": self.errno,
            "query": self.query,
        }


class SpecError(CohortdbError, ValueError):
    """A spec (or a file it includes) is invalid: ``file``, ``line``/``column`` or
    ``yaml_path`` say where."""


class CatalogError(CohortdbError, ValueError):
    """A catalog file is invalid, or importing it would change stored rows: ``file``, ``line``
    and ``column`` say where."""


class DataError(CohortdbError, ValueError):
    """A data file other than a catalog or spec (a ``membership.csv``, a ``metadata.json``) is
    invalid: ``file`` and ``line`` say where."""


class UsageError(CohortdbError, ValueError):
    """An argument is invalid: a bad or unknown cohort id, an unknown catalog kind, a product
    larger than ``max_rows``, query parameters that do not match."""


class RefusedError(CohortdbError):
    """A build, export or results call was refused (a collision, a changed record, a foreign
    ``metadata.json``; a cohort whose outputs the reference could not read, D25; a gens root
    other than the imported one); nothing was written. ``detail`` lists what differs."""


class StoreError(CohortdbError):
    """The store could not be opened, migrated or read. ``query`` names the failing statement
    when one failed; ``file`` the store file when it is about the file."""


class NoStoreError(StoreError):
    """There is no store at ``file`` (run ``import_catalogs()`` first)."""


class QueryError(StoreError, ValueError):
    """A statement given to ``query`` is not one read-only statement or is not valid SQL."""


class CohortdbIOError(CohortdbError, OSError):
    """Reading or writing ``file`` failed; ``errno`` is the operating system's error number."""


class GenIdError(CohortdbError, ValueError):
    """``gen_id``, ``gen_signature`` or ``gen_signature_digest`` refused its arguments (an
    empty part, an unknown stage, a non-integer replicate, text that is not UTF-8)."""


class VerifyMismatch(CohortdbError):
    """``Store.verify(..., check=True)`` found differences.

    Attributes:
        report: the full :class:`cohortdb.VerifyReport`.
        differences: the findings that differ (``report.differences``).
        cohort_ids: the cohorts that differ or could not be checked.
    """

    report: "VerifyReport"
    differences: "List[Finding]"
    cohort_ids: List[str]

    def __init__(self, report: "VerifyReport") -> None:
        differences = report.differences
        lines = [f.text for f in differences] + [f"{e.cohort_id}: {e.error}" for e in report.errors]
        first = lines[0] if lines else "differences found"
        files = [f.file for f in differences if f.file]
        cohort_ids = [c.cohort_id for c in report.cohorts if not c.matches]
        cohort_ids += [e.cohort_id for e in report.errors]
        super().__init__(
            f"{', '.join(cohort_ids) or 'the store'} does not verify: {first}",
            detail=lines[1:],
            kind="verify_mismatch",
            file=files[0] if files else None,
        )
        self.report = report
        self.differences = differences
        self.cohort_ids = cohort_ids
