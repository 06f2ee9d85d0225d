"""The typed reports cohortdb's calls return.

Each report is built from the document the library produces — the very document
``cohortdb <command> --format json`` prints, described by the JSON Schemas under
``docs/schema/`` — so ``report.to_dict()`` equals the CLI's JSON for the same call. Top-level
reports are frozen dataclasses whose fields are the document's keys; their parts are
dataclasses (:class:`Finding`, :class:`CatalogFile`, …) or ``TypedDict``\\ s (status entries,
diff rows, balance tables), so a misspelt field or key is a type error under
``mypy --strict``. Enumerations are ``Literal`` types.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Literal, Optional, Tuple, Union

from typing import TypedDict

__all__ = [
    "Stage",
    "Severity",
    "CatalogKind",
    "StageCounts",
    "InitReport",
    "CatalogFile",
    "ImportReport",
    "BuildReport",
    "ExportReport",
    "ExportNote",
    "Repair",
    "FindingKind",
    "Finding",
    "CohortVerification",
    "VerifyFailure",
    "VerifyReport",
    "CohortSummary",
    "CohortsReport",
    "SpecChange",
    "Stale",
    "CohortStatus",
    "CatalogStatus",
    "StatusReport",
    "LevelCount",
    "AxisBalance",
    "StageBalance",
    "ShowReport",
    "StageDiff",
    "DiffMember",
    "CatalogTableDiff",
    "FieldChange",
    "CatalogRowDiff",
    "DiffReport",
    "DeclaredAxis",
    "AxisLevels",
    "ExplainStep",
    "ProductAxis",
    "ExplainReport",
    "BackupReport",
    "CopyReport",
    "ProgressEvent",
    "ImportGensReport",
    "Imported",
    "ScoresReport",
    "StageProgress",
    "ProgressDoc",
    "ProgressReport",
    "FileChange",
    "ResultsVerifyReport",
]

Stage = Literal["draft", "essay", "evaluation"]
"""A generation stage."""

Severity = Literal["ok", "note", "difference"]
"""How a verify finding counts: ``difference`` makes the CLI exit 1."""

CatalogKind = Literal[
    "concepts",
    "draft-templates",
    "essay-templates",
    "evaluation-templates",
    "llm-models",
    "combo-mappings",
    "replication",
]
"""A catalog file of the data layout."""

CatalogTable = Literal["templates", "llm_models", "combo_mappings", "concepts", "replication"]
"""A catalog table of the store."""


class StageCounts(TypedDict):
    """Members per stage."""

    draft: int
    essay: int
    evaluation: int


class _Report:
    """What every report has: the document it was built from."""

    _doc: Dict[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        """The report as the document ``cohortdb … --format json`` prints (a deep copy)."""
        return copy.deepcopy(self._doc)


def _doc_field() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


# -- init, backup ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InitReport(_Report):
    """What ``Store.init()`` did (``cohortdb init``)."""

    store: str
    """The store file."""
    schema_version: int
    """Its schema version."""
    project: Optional[str]
    """The project file (``cohortdb.yaml``) in use or written; ``None`` from Python, which
    writes none."""
    created: List[str]
    """The data layout folders (and project file) ``init`` created."""
    starter_files: List[str]
    """The starter catalogs' files ``init(starter=True)`` wrote into a new project."""
    imported: Optional["ImportReport"]
    """The import of the starter catalogs ``init`` wrote, or ``None``."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "InitReport":
        """Builds the report from its document."""
        imported = d["imported"]
        return cls(
            store=d["store"],
            schema_version=d["schema_version"],
            project=d["project"],
            created=list(d["created"]),
            starter_files=list(d["starter_files"]),
            imported=None if imported is None else ImportReport.from_dict(imported),
            _doc=d,
        )


@dataclass(frozen=True)
class NewReport(_Report):
    """The spec folder ``Store.new()`` wrote (``cohortdb new``)."""

    cohort_id: str
    """The new cohort's id."""
    spec_dir: str
    """The spec folder written."""
    from_cohort: Optional[str]
    """The stored cohort whose spec was copied; ``None`` for a starter spec."""
    files: List[str]
    """The files written."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "NewReport":
        """Builds the report from its document."""
        return cls(
            cohort_id=d["cohort_id"],
            spec_dir=d["spec_dir"],
            from_cohort=d["from"],
            files=list(d["files"]),
            _doc=d,
        )


@dataclass(frozen=True)
class BackupReport(_Report):
    """What ``Store.backup()`` wrote (``cohortdb backup``)."""

    dest: str
    """The new file."""
    bytes: int
    """Its size."""
    schema_version: int
    """Its schema version."""
    cohorts: int
    """How many cohorts it holds."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "BackupReport":
        """Builds the report from its document."""
        return cls(
            dest=d["dest"],
            bytes=d["bytes"],
            schema_version=d["schema_version"],
            cohorts=d["cohorts"],
            _doc=d,
        )


@dataclass(frozen=True)
class CopyReport(_Report):
    """What ``Store.push()`` or ``Store.pull()`` did (``cohortdb push`` / ``pull``)."""

    source: str
    """The store copied from (a path, or a team store's URL without its password)."""
    target: str
    """The store copied to."""
    copied: List[str]
    """Cohorts written to the target, in order (those named, and the cohorts their gen_ids'
    lower collision indices depend on)."""
    present: List[str]
    """Cohorts the target already held with the same content hash (left alone)."""
    catalog_rows: int
    """Catalog rows carried."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "CopyReport":
        """Builds the report from its document (``from`` and ``to`` are ``source`` and
        ``target`` here: ``from`` is a Python keyword)."""
        return cls(
            source=d["from"],
            target=d["to"],
            copied=list(d["copied"]),
            present=list(d["present"]),
            catalog_rows=d["catalog_rows"],
            _doc=d,
        )


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogFile:
    """One catalog file of an import."""

    kind: CatalogKind
    """The catalog kind."""
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
    """What ``Store.import_catalogs()`` did (``cohortdb import``)."""

    added: int
    """Rows added over every file."""
    files: List[CatalogFile]
    """One entry per catalog file considered."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ImportReport":
        """Builds the report from its document."""
        return cls(added=d["added"], files=[CatalogFile(**f) for f in d["files"]], _doc=d)


# -- build ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildReport(_Report):
    """What ``Store.build()`` did (``cohortdb build``)."""

    cohort_id: str
    """The cohort."""
    status: Literal["created", "unchanged"]
    """``created`` (a new record was written) or ``unchanged`` (same content hash)."""
    formatting_only: bool
    """For ``unchanged``: the spec files differ from the stored bundle only in formatting."""
    counts: StageCounts
    """Members per stage."""
    hash_scheme: str
    """The hash scheme (``cohortdb-v1``)."""
    content_hash: str
    """The content hash (hex)."""
    _doc: Dict[str, Any] = _doc_field()

    @property
    def created(self) -> bool:
        """True when a new record was written."""
        return self.status == "created"

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "BuildReport":
        """Builds the report from its document."""
        return cls(
            cohort_id=d["cohort_id"],
            status=d["status"],
            formatting_only=d["formatting_only"],
            counts=d["counts"],
            hash_scheme=d["hash_scheme"],
            content_hash=d["content_hash"],
            _doc=d,
        )


# -- export ---------------------------------------------------------------------------------


class ExportNote(TypedDict):
    """Something worth knowing about an export that did not stop it."""

    kind: Literal["formatting_only"]
    path: str


class Repair(TypedDict):
    """A ``metadata.json`` that ``repair=True`` rewrote from the record."""

    path: str
    reason: str
    replaced: str


FileOutcome = Literal["written", "unchanged", "replaced"]


@dataclass(frozen=True)
class ExportReport(_Report):
    """What ``Store.export()`` did (``cohortdb export``)."""

    out: str
    """The cohort folder written."""
    gens_root: str
    """The generations root."""
    files: List[Tuple[str, FileOutcome]]
    """``membership.csv``, ``manifest.json``, ``cohort.lock.json`` and what happened to each."""
    spec_written: int
    """Spec files written."""
    spec_unchanged: int
    """Spec files left alone."""
    metadata_written: int
    """``metadata.json`` files written."""
    metadata_present: int
    """``metadata.json`` files already present with the member's signature."""
    notes: List[ExportNote]
    """Notes that did not stop the export."""
    repaired: List[Repair]
    """Unreadable ``metadata.json`` files that ``repair=True`` rewrote (what each held)."""
    _doc: Dict[str, Any] = _doc_field()

    @property
    def outcomes(self) -> Dict[str, FileOutcome]:
        """``files`` as a dict: file name → outcome."""
        return dict(self.files)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ExportReport":
        """Builds the report from its document."""
        return cls(
            out=d["out"],
            gens_root=d["gens_root"],
            files=[(name, outcome) for name, outcome in d["files"]],
            spec_written=d["spec_written"],
            spec_unchanged=d["spec_unchanged"],
            metadata_written=d["metadata_written"],
            metadata_present=d["metadata_present"],
            notes=list(d["notes"]),
            repaired=list(d["repaired"]),
            _doc=d,
        )


# -- verify ---------------------------------------------------------------------------------

FindingKind = Literal[
    "store_reproduces",
    "store_not_recomputable",
    "content_hash_differs",
    "spec_changed",
    "members_differ",
    "manifest_differs",
    "catalog_differs",
    "stored_rows_match",
    "stored_rows_differ",
    "not_exported",
    "file_matches",
    "file_missing",
    "lock_missing",
    "lock_differs",
    "file_differs",
    "membership_differs",
    "spec_identical",
    "spec_formatting_only",
    "spec_differs",
    "metadata_missing",
    "metadata_foreign",
    "metadata_differs",
    "metadata_matches",
]
"""What a verify finding is about (docs/export-verify.md lists each)."""

_FINDING_FIELDS = (
    "content_hash",
    "last_batch",
    "error",
    "detail",
    "expected",
    "actual",
    "changes",
    "members",
    "diff",
    "dir",
    "file",
    "change",
    "count",
    "sample",
    "other_origin",
    "legacy",
    "gens_root",
)


@dataclass(frozen=True)
class Finding:
    """One check of a verify and its outcome. ``kind`` says which fields are set; the others
    are ``None``."""

    kind: FindingKind
    """What was checked and how it came out."""
    severity: Severity
    """``ok``, ``note`` or ``difference``."""
    text: str
    """The finding as one sentence (the CLI's line)."""
    content_hash: Optional[str] = None
    """``store_reproduces``: the content hash."""
    last_batch: Optional[int] = None
    """``store_reproduces``: the import batch the catalogs were read as of."""
    error: Optional[str] = None
    """``store_not_recomputable``: why."""
    detail: Optional[List[str]] = None
    """``store_not_recomputable``: the error's further lines."""
    expected: Optional[str] = None
    """``content_hash_differs``, ``file_differs``: the record's value."""
    actual: Optional[str] = None
    """``content_hash_differs``, ``file_differs``: the value found."""
    changes: Optional[List[Dict[str, Any]]] = None
    """``members_differ``: per stage, members added and dropped."""
    members: Optional[int] = None
    """``stored_rows_match``: how many members were re-hashed."""
    diff: Optional[Dict[str, Any]] = None
    """``stored_rows_differ``: what differs."""
    dir: Optional[str] = None
    """``not_exported``: the export folder."""
    file: Optional[str] = None
    """The file a file finding is about."""
    change: Optional[Dict[str, Any]] = None
    """``membership_differs``: how."""
    count: Optional[int] = None
    """``metadata_*``: how many files."""
    sample: Optional[List[Any]] = None
    """``metadata_*``: the first few files (with what differs, for ``metadata_differs``)."""
    other_origin: Optional[int] = None
    """``metadata_matches``: files naming an earlier cohort as their origin."""
    legacy: Optional[int] = None
    """``metadata_matches``: files of legacy generations as recorded at migration (D24)."""
    gens_root: Optional[str] = None
    """``metadata_matches``: the generations root."""

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Finding":
        """Builds the finding from its document."""
        fields = {k: d[k] for k in _FINDING_FIELDS if k in d}
        return cls(kind=d["kind"], severity=d["severity"], text=d["text"], **fields)


@dataclass(frozen=True)
class CohortVerification:
    """One cohort's verification."""

    cohort_id: str
    """The cohort."""
    matches: bool
    """True when nothing differs."""
    findings: List[Finding]
    """Every check, in order."""

    @property
    def differences(self) -> List[Finding]:
        """The findings that differ."""
        return [f for f in self.findings if f.severity == "difference"]


@dataclass(frozen=True)
class VerifyFailure:
    """A cohort that could not be checked (``verify()`` of every cohort goes on past it)."""

    cohort_id: str
    """The cohort."""
    error: str
    """Why, as one line."""


@dataclass(frozen=True)
class VerifyReport(_Report):
    """What ``Store.verify()`` found (``cohortdb verify``): one cohort, or every one."""

    matches: bool
    """True when every cohort matches and none failed (the CLI's exit 0)."""
    cohorts: List[CohortVerification]
    """One entry per cohort checked."""
    errors: List[VerifyFailure]
    """Cohorts that could not be checked (only when every cohort is verified)."""
    _doc: Dict[str, Any] = _doc_field()

    @property
    def findings(self) -> List[Finding]:
        """Every finding of every cohort, in order."""
        return [f for c in self.cohorts for f in c.findings]

    @property
    def differences(self) -> List[Finding]:
        """The findings that differ, over every cohort."""
        return [f for f in self.findings if f.severity == "difference"]

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "VerifyReport":
        """Builds the report from its document."""
        return cls(
            matches=d["matches"],
            cohorts=[
                CohortVerification(
                    cohort_id=c["cohort_id"],
                    matches=c["matches"],
                    findings=[Finding.from_dict(f) for f in c["findings"]],
                )
                for c in d["cohorts"]
            ],
            errors=[VerifyFailure(**e) for e in d["errors"]],
            _doc=d,
        )


# -- cohorts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortSummary:
    """One stored cohort, as ``cohortdb cohorts`` lists it."""

    cohort_id: str
    """The cohort."""
    content_hash: str
    """The content hash."""
    counts: StageCounts
    """Members per stage."""
    created_at: str
    """When it was built (RFC 3339, UTC)."""


@dataclass(frozen=True)
class CohortsReport(_Report):
    """The stored cohorts (``cohortdb cohorts``)."""

    cohorts: List[CohortSummary]
    """By id."""
    _doc: Dict[str, Any] = _doc_field()

    def __iter__(self) -> Iterator[CohortSummary]:
        return iter(self.cohorts)

    def __len__(self) -> int:
        return len(self.cohorts)

    def __getitem__(self, index: int) -> CohortSummary:
        return self.cohorts[index]

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "CohortsReport":
        """Builds the report from its document."""
        return cls(cohorts=[CohortSummary(**c) for c in d["cohorts"]], _doc=d)


# -- status ---------------------------------------------------------------------------------


class _SpecChangeKind(TypedDict):
    change: Literal[
        "axis_added",
        "axis_removed",
        "level_order",
        "levels_added",
        "levels_removed",
        "rule_added",
        "rule_removed",
        "rule_changed",
        "field_order",
        "seed",
    ]


class SpecChange(_SpecChangeKind, total=False):
    """One way two specs differ (``status`` for an edited spec folder, ``diff``); ``change``
    says which other keys are present."""

    axis: str
    levels: List[str]
    rule: str
    old: Union[List[str], Optional[str]]
    new: Union[List[str], Optional[str]]


class _StaleKind(TypedDict):
    kind: Literal[
        "spec_changed", "not_exported", "export_missing", "export_differs", "rows_damaged", "shared_gen_ids"
    ]


class Stale(_StaleKind, total=False):
    """One way a cohort is not current; ``kind`` says which other keys are present, and
    ``fix`` (when there is one) the command that fixes it."""

    dir: str
    files: List[str]
    changes: List[SpecChange]
    error: Optional[str]
    file: str
    cohort_id: str
    shared: int
    row: str
    fix: str


class _CohortStatusBase(TypedDict):
    cohort_id: str
    current: bool
    stale: List[Stale]


class CohortStatus(_CohortStatusBase, total=False):
    """One cohort's status; ``progress`` (its outputs in the results ledger) once anything
    was imported with ``import_gens``."""

    progress: "ProgressDoc"


class _CatalogStatusBase(TypedDict):
    kind: CatalogKind
    path: str
    state: Literal["current", "new_rows", "refused"]


class CatalogStatus(_CatalogStatusBase, total=False):
    """One catalog file of the data layout against the store; ``state`` says which other keys
    are present."""

    rows: int
    error: str
    detail: List[str]
    fix: str


@dataclass(frozen=True)
class StatusReport(_Report):
    """What ``Store.status()`` found (``cohortdb status``)."""

    current: bool
    """True when every cohort and catalog checked is current (the CLI's exit 0)."""
    cohorts: List[CohortStatus]
    """Per cohort checked."""
    catalogs: List[CatalogStatus]
    """The catalog files of the data layout (checked when no cohort id is given)."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "StatusReport":
        """Builds the report from its document."""
        return cls(current=d["current"], cohorts=d["cohorts"], catalogs=d["catalogs"], _doc=d)


# -- show -----------------------------------------------------------------------------------


class LevelCount(TypedDict):
    """Members of one level of an axis."""

    level: str
    members: int


class AxisBalance(TypedDict):
    """An axis of a stage and its members per level."""

    axis: Literal["combo_id", "template_id", "llm_model_id", "replicate"]
    levels: List[LevelCount]
    min: int
    max: int
    ratio: float
    balanced: bool


class StageBalance(TypedDict):
    """The balance table of one stage."""

    stage: Stage
    members: int
    axes: List[AxisBalance]


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
    counts: StageCounts
    """Members per stage."""
    spec_files: List[str]
    """The stored spec bundle's files (the config first)."""
    balance: List[StageBalance]
    """Per stage with members: each axis's level counts."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ShowReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


# -- diff -----------------------------------------------------------------------------------


class StageDiff(TypedDict):
    """Members of one stage on each side."""

    stage: Stage
    a: int
    b: int
    added: int
    removed: int


class DiffMember(TypedDict):
    """A member only one side has."""

    stage: Stage
    gen_id: str
    parent_gen_id: Optional[str]
    combo_id: str
    template_id: str
    llm_model_id: str
    replicate: int


class CatalogTableDiff(TypedDict):
    """Referenced catalog rows of one table on each side."""

    table: CatalogTable
    a: int
    b: int
    added: int
    removed: int
    changed: int


class FieldChange(TypedDict):
    """A column both sides' row has, with other values."""

    field: str
    a: Optional[str]
    b: Optional[str]


class _CatalogRowBase(TypedDict):
    change: Literal["added", "removed", "changed"]
    table: CatalogTable
    key: Dict[str, str]


class CatalogRowDiff(_CatalogRowBase, total=False):
    """A referenced catalog row that differs: ``row`` for ``added``/``removed``, ``fields`` for
    ``changed``."""

    row: Dict[str, Optional[str]]
    fields: List[FieldChange]


@dataclass(frozen=True)
class DiffReport(_Report):
    """What differs between two cohorts (``cohortdb diff``)."""

    a: str
    """Side A as named."""
    b: str
    """Side B as named."""
    identical: bool
    """True when nothing differs (the CLI's exit 0)."""
    stages: List[StageDiff]
    """Members per stage."""
    spec_changes: List[SpecChange]
    """How the specs differ."""
    catalog_digest_differs: bool
    """The digests of the catalog rows each side references differ."""
    catalog_tables: List[CatalogTableDiff]
    """Referenced catalog rows per table."""
    catalog_rows: List[CatalogRowDiff]
    """The referenced rows that differ (empty with ``stat_only``)."""
    catalog_digest_mismatch: List[Literal["a", "b"]]
    """Sides whose referenced rows no longer hash to their record's digest."""
    added: List[DiffMember]
    """Members only B has (empty with ``stat_only``)."""
    removed: List[DiffMember]
    """Members only A has (empty with ``stat_only``)."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "DiffReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


# -- explain --------------------------------------------------------------------------------


class DeclaredAxis(TypedDict):
    """An axis as declared."""

    axis: str
    levels: int
    duplicates: int
    derived_from: Optional[str]
    at: Optional[str]


class AxisLevels(TypedDict):
    """An axis and its level count."""

    axis: str
    levels: int


class ExplainStep(TypedDict):
    """One rule's effect."""

    rule: str
    at: Optional[str]
    changed: List[AxisLevels]
    removed: List[str]
    axis_count: int
    rows: int


class ProductAxis(TypedDict):
    """An axis of the final product."""

    kind: Literal["axis", "tie", "pair", "tuple"]
    axis: str
    levels: int


@dataclass(frozen=True)
class ExplainReport(_Report):
    """A spec's plan step by step (``cohortdb explain``)."""

    spec: str
    """The spec's config file."""
    declared: List[DeclaredAxis]
    """The axes as declared."""
    rows_before_rules: int
    """The product of the declared axes."""
    steps: List[ExplainStep]
    """Each rule in application order."""
    product: List[ProductAxis]
    """The final axes, the last varying fastest."""
    rows: int
    """The rows the spec compiles to."""
    columns: List[str]
    """The output columns."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ExplainReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


# -- results ledger -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportGensReport(_Report):
    """What ``Store.import_gens()`` recorded (``cohortdb import gens``)."""

    gens_root: str
    """The resolved gens root that was scanned."""
    import_id: Optional[int]
    """The import's id (``None`` when nothing was recorded: the tree was unchanged)."""
    generations: Dict[str, int]
    """Generation folders seen, per stage."""
    files_read: int
    """Files whose bytes were read (unchanged files are not read again)."""
    added: int
    """New generation folders."""
    changed: int
    """Generation folders whose content changed (a new version each)."""
    vanished: int
    """Generation folders that vanished."""
    warnings: List[str]
    """Links, special files and odd names that were recorded but never read (the first 100)."""
    warnings_omitted: int
    """Warnings beyond the first 100."""
    _doc: Dict[str, Any] = _doc_field()

    @property
    def versions(self) -> int:
        """Generation versions added in all."""
        return self.added + self.changed + self.vanished

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ImportGensReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


class Imported(TypedDict):
    """A ledger import: its id, the gens root it scanned, and when."""

    import_id: int
    gens_root: str
    imported_at: str


@dataclass(frozen=True)
class ScoresReport(_Report):
    """What ``Store.scores()`` wrote (``cohortdb scores --format report``)."""

    cohort_id: str
    """The cohort."""
    membership: Literal["store", "membership_csv", "none"]
    """Where its members came from: the stored record, ``cohorts/<id>/membership.csv``, or no
    membership file (no rows, as in the reference)."""
    imported: Imported
    """The ledger import the rows reflect."""
    rows: int
    """Rows of the normalised table."""
    written: List[str]
    """Files written."""
    not_written: List[List[str]]
    """``[file, why]`` for each file the reference would not write."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ScoresReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


class _StageProgressBase(TypedDict):
    stage: Stage
    members: int
    with_prompt: int
    with_raw: int
    with_parsed: int


class StageProgress(_StageProgressBase, total=False):
    """One stage of a cohort's progress; ``missing`` (the gen_ids without ``parsed.txt``, in
    membership order) when asked for."""

    missing: List[str]


class ProgressDoc(TypedDict):
    """A cohort's progress as it appears inside a status entry."""

    cohort_id: str
    imported: Optional[Imported]
    stages: List[StageProgress]


@dataclass(frozen=True)
class ProgressReport(_Report):
    """How far a stored cohort is (``Store.progress()``, ``cohortdb results progress``)."""

    cohort_id: str
    """The cohort."""
    imported: Optional[Imported]
    """The ledger import the counts reflect (``None``: nothing imported yet)."""
    stages: List[StageProgress]
    """Draft, essay and evaluation, in that order."""
    _doc: Dict[str, Any] = _doc_field()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ProgressReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


class FileChange(TypedDict):
    """An imported file that is no longer what the ledger holds."""

    path: str
    change: str


@dataclass(frozen=True)
class ResultsVerifyReport(_Report):
    """What ``Store.results_verify()`` found (``cohortdb results verify``)."""

    gens_root: str
    """The gens root checked (the latest import's)."""
    checked: int
    """Files re-hashed."""
    changes: List[FileChange]
    """Files that changed or vanished since they were imported."""
    _doc: Dict[str, Any] = _doc_field()

    @property
    def matches(self) -> bool:
        """True when nothing changed (the CLI's exit 0)."""
        return not self.changes

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ResultsVerifyReport":
        """Builds the report from its document."""
        return cls(**{k: d[k] for k in _field_names(cls)}, _doc=d)


# -- progress -------------------------------------------------------------------------------


class _ProgressEventBase(TypedDict):
    event: Literal["start", "progress", "finish"]
    task: str


class ProgressEvent(_ProgressEventBase, total=False):
    """What a progress callback receives while a long call works: ``event`` (``start``,
    ``progress``, ``finish``), ``task`` (what is being done: ``building pilot``), and for
    ``start`` the ``total`` units when known and their ``unit`` (``bytes``, ``files``,
    ``steps``), for ``progress`` the units ``done`` so far and the ``total``."""

    total: Optional[int]
    unit: Literal["bytes", "files", "steps"]
    done: int


def _field_names(cls: Any) -> List[str]:
    """The document fields of a report dataclass (every field but the document itself)."""
    return [name for name in cls.__dataclass_fields__ if name != "_doc"]
