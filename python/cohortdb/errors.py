"""The exceptions cohortdb raises.

Every exception derives from :class:`CohortdbError`. Its ``str()`` is the text the CLI prints
after ``error:``, and its attributes carry the same facts as fields: ``file``, ``line``,
``column`` and ``yaml_path`` (where in the user's input the problem is), ``value`` (the
offending value, when the error names one), and ``detail`` (the further lines the CLI prints:
lists, side-by-side comparisons, then ``hint: …`` lines), ``hints`` (the hints alone) and
``kind`` (the library's name for the kind of error: ``spec``, ``catalog``, ``usage``, ``build``,
``bad_store``, …). Attributes that do not apply are ``None`` (``detail`` and ``hints`` are empty
lists).
"""

from __future__ import annotations

from typing import Any, List, Optional

__all__ = [
    "CohortdbError",
    "SpecError",
    "CatalogError",
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
    """Base class of every cohortdb error.

    Attributes:
        message: the error's text (also ``str(error)``).
        detail: further lines (lists, comparisons, then ``hint: …`` lines), as the CLI prints
            them.
        hints: the hints alone.
        kind: the library's name for the kind of error (``spec``, ``usage``, ``build``, …).
        file: the file the error is about, or ``None``.
        line: the 1-based line in ``file``, or ``None``.
        column: the 1-based column in ``file``, or ``None``.
        yaml_path: the path inside a YAML/JSON file (``axes.flag[0]``), or ``None``.
        value: the offending value, when the error names one, or ``None``.
    """

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
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail: List[str] = list(detail or [])
        self.hints: List[str] = list(hints or [])
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.yaml_path = yaml_path
        self.value = value
        for name, field in extra.items():
            setattr(self, name, field)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        """The error as a plain dict: its class name, message and fields."""
        out = {"error": type(self).__name__}
        out.update({k: v for k, v in vars(self).items() if not k.startswith("_")})
        return out


class SpecError(CohortdbError, ValueError):
    """A spec (or a file it includes) is invalid: ``file``, ``line``/``column`` or
    ``yaml_path`` say where."""


class CatalogError(CohortdbError, ValueError):
    """A catalog file is invalid, or importing it would change stored rows: ``file``, ``line``
    and ``column`` say where."""


class UsageError(CohortdbError, ValueError):
    """An argument is invalid: a bad cohort id, an unknown catalog kind, a product larger than
    ``max_rows``."""


class RefusedError(CohortdbError):
    """A build or export was refused (a collision, a changed record, a foreign
    ``metadata.json``); nothing was written. ``detail`` lists what differs."""


class StoreError(CohortdbError):
    """The store could not be opened, migrated or read. ``query`` names the failing statement
    when one failed; ``file`` the store file when it is about the file."""

    query: Optional[str] = None


class NoStoreError(StoreError):
    """There is no store at ``file`` (run ``import_catalogs()`` first)."""


class QueryError(StoreError, ValueError):
    """A statement given to ``query`` is not one read-only statement, is not valid SQL, or its
    parameters do not match."""


class CohortdbIOError(CohortdbError, OSError):
    """Reading or writing ``file`` failed; ``errno`` is the operating system's error number."""

    errno: Optional[int] = None  # type: ignore[assignment]


class GenIdError(CohortdbError, ValueError):
    """``gen_id``, ``gen_signature`` or ``gen_signature_digest`` refused its arguments (an
    empty part, an unknown stage, a non-integer replicate)."""


class VerifyMismatch(CohortdbError):
    """``Store.verify(..., check=True)`` found differences.

    Attributes:
        cohort_id: the cohort.
        report: the full :class:`cohortdb.VerifyReport`.
        differences: the findings that differ (``report.differences``).
        file: the first differing file, when a difference concerns a file.
    """

    def __init__(self, report: Any) -> None:
        differences = report.differences
        lines = [f.message for f in differences]
        first = lines[0] if lines else "differences found"
        files = [f.data.get("file") for f in differences if f.data.get("file")]
        super().__init__(
            f"cohort {report.cohort_id} does not verify: {first}",
            detail=lines[1:],
            file=str(files[0]) if files else None,
        )
        self.cohort_id: str = report.cohort_id
        self.report = report
        self.differences = differences
