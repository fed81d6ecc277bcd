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
    """A stored document with the annotations an export selected (tokens included)."""

    document: Document
    spans: list[Span]
    relations: list[Relation]


@dataclass
class ExportReport:
    """What an export wrote and what it had to leave out, each with a reason, for the user."""

    files: list[str] = field(default_factory=list)
    documents: int = 0
    spans: int = 0
    relations: int = 0
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
