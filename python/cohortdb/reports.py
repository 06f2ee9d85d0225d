"""The typed reports cohortdb's calls return: frozen dataclasses built from the library's
reports (the Rust structs that also render the CLI's text), each with ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

__all__ = [
    "CatalogFile",
    "ImportReport",
    "BuildReport",
    "ExportReport",
    "Finding",
    "VerifyReport",
    "CohortSummary",
    "StatusReport",
    "ShowReport",
]


class _Report:
    def to_dict(self) -> Dict[str, Any]:
        """The report as plain data (dicts, lists, str, int), ready for ``json.dumps``."""
        return _plain(dataclasses.asdict(self))  # type: ignore[call-overload]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CatalogFile(_Report):
    """One catalog file of an import."""

    kind: str
    """The catalog kind (``concepts``, ``draft-templates``, …)."""
    label: str
    """The kind as the CLI labels it (``draft templates``)."""
    path: str
    """The file."""
    present: bool
    """False when the file does not exist (every catalog file is optional)."""
    added: int
    """Rows added."""
    unchanged: int
    """Rows already stored with identical content."""
    batch_id: Optional[int]
    """The import batch recorded for the added rows, if any."""
    warnings: List[str]
    """Things worth knowing (orphan body files), one line each."""


@dataclass(frozen=True)
class ImportReport(_Report):
    """What ``Store.import_catalogs()`` did."""

    files: List[CatalogFile]
    """One entry per catalog file considered."""
    added: int
    """Total rows added."""

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ImportReport":
        """Builds the report from the native module's dict."""
        return cls(files=[CatalogFile(**f) for f in d["files"]], added=d["added"])


@dataclass(frozen=True)
class BuildReport(_Report):
    """What ``Store.build()`` did."""

    cohort_id: str
    """The cohort."""
    status: str
    """``created`` (a new record was written) or ``unchanged`` (same content hash)."""
    formatting_only: bool
    """For ``unchanged``: the spec files differ from the stored bundle only in formatting."""
    drafts: int
    """Draft members."""
    essays: int
    """Essay members."""
    evaluations: int
    """Evaluation members."""
    content_hash: str
    """The content hash (hex, scheme ``cohortdb-v1``)."""

    @property
    def created(self) -> bool:
        """True when a new record was written."""
        return self.status == "created"

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "BuildReport":
        """Builds the report from the native module's dict."""
        status = d["status"]
        drafts, essays, evaluations = d["counts"]
        return cls(
            cohort_id=d["cohort_id"],
            status=status["status"],
            formatting_only=bool(status.get("formatting_only", False)),
            drafts=drafts,
            essays=essays,
            evaluations=evaluations,
            content_hash=d["content_hash"],
        )


@dataclass(frozen=True)
class ExportReport(_Report):
    """What ``Store.export()`` did."""

    out: str
    """The cohort folder written."""
    gens_root: str
    """The generations root."""
    files: Dict[str, str]
    """``membership.csv``, ``manifest.json``, ``cohort.lock.json`` → ``written``,
    ``unchanged`` or ``replaced``."""
    spec_written: int
    """Spec files written."""
    spec_unchanged: int
    """Spec files left alone."""
    metadata_written: int
    """``metadata.json`` files written."""
    metadata_present: int
    """``metadata.json`` files already present with the member's signature."""
    notes: List[Dict[str, Any]]
    """Notes that did not stop the export (``{"kind": "formatting_only", "path": …}``)."""
    repaired: List[Dict[str, Any]]
    """``metadata.json`` files that were not valid JSON and ``repair=True`` rewrote from the
    record: ``{"path": …, "reason": …, "replaced": …}`` (what each held)."""

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ExportReport":
        """Builds the report from the native module's dict."""
        return cls(
            out=str(d["out"]),
            gens_root=str(d["gens_root"]),
            files={name: outcome for name, outcome in d["files"]},
            spec_written=d["spec_written"],
            spec_unchanged=d["spec_unchanged"],
            metadata_written=d["metadata_written"],
            metadata_present=d["metadata_present"],
            notes=list(d["notes"]),
            repaired=list(d.get("repaired", [])),
        )


@dataclass(frozen=True)
class Finding(_Report):
    """One line of a verify report."""

    kind: str
    """What was checked and how it came out (``store_reproduces``, ``file_differs``, …)."""
    severity: str
    """``ok``, ``note`` or ``difference``."""
    message: str
    """The line the CLI prints for it."""
    detail: List[str]
    """Further lines (an error's detail)."""
    data: Dict[str, Any] = field(default_factory=dict)
    """The finding's own fields (``file``, ``expected``, ``actual``, ``count``, …)."""

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("data", {})
        if name in data:
            return data[name]
        raise AttributeError(name)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Finding":
        """Builds the finding from the native module's dict."""
        d = dict(d)
        kind = d.pop("kind")
        severity = d.pop("severity")
        message = d.pop("message")
        detail = list(d.pop("detail", []))
        return cls(kind=kind, severity=severity, message=message, detail=detail, data=d)


@dataclass(frozen=True)
class VerifyReport(_Report):
    """What ``Store.verify()`` found."""

    cohort_id: str
    """The cohort."""
    matches: bool
    """True when nothing differs (the CLI's exit 0)."""
    findings: List[Finding]
    """Every check, in order."""

    @property
    def differences(self) -> List[Finding]:
        """The findings that differ."""
        return [f for f in self.findings if f.severity == "difference"]

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "VerifyReport":
        """Builds the report from the native module's dict."""
        return cls(
            cohort_id=d["cohort_id"],
            matches=bool(d["matches"]),
            findings=[Finding.from_dict(f) for f in d["findings"]],
        )


@dataclass(frozen=True)
class CohortSummary(_Report):
    """One stored cohort, as ``cohortdb cohorts`` lists it."""

    cohort_id: str
    """The cohort."""
    content_hash: str
    """The content hash."""
    drafts: int
    """Draft members."""
    essays: int
    """Essay members."""
    evaluations: int
    """Evaluation members."""
    created_at: str
    """When it was built (RFC 3339, UTC)."""


@dataclass(frozen=True)
class StatusReport(_Report):
    """What ``Store.status()`` found (``cohortdb status``)."""

    current: bool
    """True when every cohort and catalog checked is current (the CLI's exit 0)."""
    cohorts: List[Dict[str, Any]]
    """Per cohort: ``cohort_id``, ``current`` and ``stale`` (each with its ``kind`` and fields,
    as ``cohortdb status --format json`` prints them)."""
    catalogs: List[Dict[str, Any]]
    """The catalog files of the data layout (checked when no cohort id is given)."""


@dataclass(frozen=True)
class ShowReport(_Report):
    """A stored cohort's record and balance table (``cohortdb show``)."""

    cohort_id: str
    """The cohort."""
    hash_scheme: str
    """The hash scheme (``cohortdb-v1``)."""
    content_hash: str
    """The content hash."""
    spec_hash: str
    """The canonical spec's digest."""
    import_batch: int
    """The newest import batch the build saw."""
    seed: Optional[str]
    """The effective shuffle seed as decimal text (seeds have any size), if any."""
    created_at: str
    """When it was built."""
    counts: Dict[str, int]
    """Members per stage: ``draft``, ``essay``, ``evaluation``."""
    spec_files: List[str]
    """The stored spec bundle's files (the config first)."""
    balance: List[Dict[str, Any]]
    """Per stage with members: each axis's level counts."""
