"""What readers yield and writers take: plain records between files and the project store.

Readers never touch the store and writers never query it; ``annotator.services`` moves records
in and out of a ``Project``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotator.model import Document, Relation, Span
from annotator.model.document import DocumentStatus, TokenOffsets
from annotator.model.span import AnnotationStatus


@dataclass(slots=True)
class ImportedSpan:
    """A span as read from a file. ``key`` is the file's own id, used by its relations."""

    start: int
    end: int
    label: str
    status: AnnotationStatus = "accepted"
    score: float | None = None
    origin: str | None = None  # None: "import:<format>"
    key: str | None = None
    edited: bool = False  # a suggestion a person changed before accepting (our own JSONL)


@dataclass(slots=True)
class ImportedRelation:
    """A relation between two ``ImportedSpan.key``s of the same record."""

    head: str
    child: str
    label: str
    status: AnnotationStatus = "accepted"
    score: float | None = None
    origin: str | None = None


@dataclass(slots=True)
class ImportRecord:
    """One document read from a file.

    ``where`` names the place in the file (line number or document name) for error messages.
    ``tokens`` is None when the file has none; the project's tokenizer then makes them.
    ``status`` is None to let the importer choose ("new", or "in_progress" when it has spans).
    ``notes`` are things the reader left out or changed that the user should hear of; the
    importer reports each note once, with how many records gave it and where.
    """

    text: str
    where: str | int
    meta: dict[str, Any] = field(default_factory=dict)
    tokens: TokenOffsets | None = None
    spans: list[ImportedSpan] = field(default_factory=list)
    relations: list[ImportedRelation] = field(default_factory=list)
    status: DocumentStatus | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ExportDocument:
    """A stored document with the annotations an export selected (tokens included).

    ``pending_spans`` / ``pending_relations`` are the suggestions nobody has judged that the
    selection left out: a training format must not write their tokens or pairs as negatives.
    ``decided`` ranks span ids by their latest human decision (higher is later), for
    resolving overlaps the way the person last chose.
    """

    document: Document
    spans: list[Span]
    relations: list[Relation]
    pending_spans: list[Span] = field(default_factory=list)
    pending_relations: list[Relation] = field(default_factory=list)
    decided: dict[str, int] = field(default_factory=dict)

    def suggested_spans(self) -> list[Span]:
        """Every pending span suggestion, selected or not."""
        return [s for s in self.spans if s.status == "suggested"] + self.pending_spans

    def suggested_relations(self) -> list[Relation]:
        """Every pending relation suggestion, selected or not."""
        return [r for r in self.relations if r.status == "suggested"] + self.pending_relations


@dataclass
class FileSummary:
    """What one written file holds, for the report: how complete its training data is."""

    documents: int = 0
    done: int = 0
    missing_tokens: int = 0  # tokens written as "unknown", neither an entity nor O
    pending_left_out: int = 0  # span and relation suggestions nobody judged, not written
    note: str = ""  # why this file exists, when that is not obvious

    def add(self, other: FileSummary) -> None:
        self.documents += other.documents
        self.done += other.done
        self.missing_tokens += other.missing_tokens
        self.pending_left_out += other.pending_left_out

    def describe(self) -> str:
        text = (
            f"{self.documents} documents ({self.done} done), {self.missing_tokens} tokens "
            f"missing, {self.pending_left_out} pending suggestions left out"
        )
        return f"{text}; {self.note}" if self.note else text


@dataclass
class ExportReport:
    """What an export wrote and what it had to leave out, each with a reason, for the user."""

    files: list[str] = field(default_factory=list)
    documents: int = 0
    spans: int = 0
    relations: int = 0
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    summaries: dict[str, FileSummary] = field(default_factory=dict)  # by file, as in ``files``

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def rename_files(self, renamed: dict[str, str]) -> None:
        """Follow files moved after writing (``renamed``: old name -> new name)."""
        self.files = [renamed.get(file, file) for file in self.files]
        self.summaries = {renamed.get(k, k): v for k, v in self.summaries.items()}
