"""What readers yield and writers take: plain records between files and the project store.

Readers never touch the store and writers never query it; ``annotator.services`` moves records
in and out of a ``Project``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, lt
from typing import Any, NamedTuple, overload

from annotator.model import Document, Relation, Span
from annotator.model.document import (
    DocumentStatus,
    StoredOffsets,
    TokenOffsets,
    decode_offsets,
)
from annotator.model.span import AnnotationStatus
from annotator.model.validation import offsets_within
from annotator.wording import counted


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

    def __reduce__(self) -> tuple[type[ImportedRelation], tuple[Any, ...]]:
        # pickled as a call of the class: the reading process sends 30,000 a corpus, and the
        # state a slots dataclass pickles is set back one field at a time in Python (three
        # times as long, both ways)
        return ImportedRelation, (
            self.head,
            self.child,
            self.label,
            self.status,
            self.score,
            self.origin,
        )


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


class SpanRecord(NamedTuple):
    """A stored span as an export reads it, without a model object per span (a corpus has
    hundreds of thousands): ``Span``'s fields in the store's column order, ``edited`` as 0/1,
    and ``aligned``, whether the span lies on the document's token boundaries."""

    id: str
    doc_id: int
    start: int
    end: int
    label: str
    origin: str
    status: AnnotationStatus
    score: float | None
    edited: int
    aligned: int
    status_reason: str | None


class SpanEssentials(NamedTuple):
    """A stored span as an export that writes no span details reads it (Label Studio):
    ``SpanRecord`` without ``origin``, ``edited``, ``aligned`` and ``status_reason``, which the
    store then does not read."""

    id: str
    doc_id: int
    start: int
    end: int
    label: str
    status: AnnotationStatus
    score: float | None


class SpanPlace(NamedTuple):
    """A stored span as an export that writes only places and labels reads it (doccano, brat,
    CoNLL): ``SpanRecord``'s id, document, offsets and label. Its status is one the export
    selected (the store reads no other, ``ExportDocument.statuses_selected``), so it is not
    read either."""

    id: str
    doc_id: int
    start: int
    end: int
    label: str


Columns = tuple[list[str], list[int], list[int], list[str]]
"""Spans' ids, starts, ends and labels, as four lists in the same order."""


class SpanColumns(Sequence[SpanPlace]):
    """A document's spans as an export that writes only places and labels reads them
    (``Project.export_rows``, ``"places"``): their ids, starts, ends and labels as SQLite joined
    them, four strings a document, where rows cost sqlite3 five objects a span (0.29 -> 0.13
    CPU s for the bench's 330,000 spans). Split on first need: ``columns`` in (start, end,
    label) order (``span_columns``), or as stored (``stored``); CoNLL parses the numbers of
    ``joined_values`` into arrays itself, in any order. Indexing and iterating give
    ``SpanPlace``s in (start, end, label) order, made on first need.

    Made for many documents at once (``group``), each also knows whether SQLite gave its
    spans in order (``ordered``) and whether one overlaps the next (``overlapping``), so that
    doccano can write the numbers as SQLite wrote them (``text_columns``). Their order is
    checked on numbers read for the whole group at once, on first need (``_JoinedNumbers``),
    not on ``int``s made one text at a time (0.33 -> 0.26 CPU s for the bench's 650,000
    starts and ends; with numpy, 0.23, but importing it costs the command 0.1 s). Those
    numbers serve ``stored`` and ``columns`` (brat) as well."""

    __slots__ = (
        "_columns",
        "_first",
        "_ids",
        "_numbers",
        "_ordered",
        "_overlapping",
        "_records",
        "_shared",
        "count",
        "doc_id",
        "joined_values",
    )

    def __init__(
        self, doc_id: int, count: int, ids: str, starts: str, ends: str, labels: str
    ) -> None:
        self.doc_id, self.count = doc_id, count
        self.joined_values = (ids, starts, ends, labels)
        self._columns: Columns | None = None
        self._records: list[SpanPlace] | None = None
        self._ids: list[str] | None = None
        self._shared: _JoinedNumbers | None = None  # made by ``group``, until read
        self._first = 0  # where this document's numbers begin in ``_shared``'s
        self._numbers: tuple[list[int], list[int]] | None = None  # starts, ends, read by it
        self._ordered = False
        self._overlapping: bool | None = None

    @classmethod
    def joined(cls, row: tuple[int, int, str, str, str, str]) -> SpanColumns | None:
        """From the store's row ``(doc_id, count, ids, starts, ends, labels)``: each column's
        values joined, ids and labels by a space, numbers by a comma, in any order. None when
        they do not split into ``count`` of each, or a number is not a plain integer (an id
        holding a space, a start stored as text, from a crafted file): the caller then reads
        that document's spans as rows. Checked here, by a few string calls, so that splitting
        later never fails."""
        _, count, ids, starts, ends, labels = row
        gaps = count - 1
        if (
            ids.count(" ") == labels.count(" ") == starts.count(",") == ends.count(",") == gaps
            and _integers(starts)
            and _integers(ends)
        ):
            return cls(*row)
        return None

    @classmethod
    def group(
        cls, rows: Sequence[tuple[int, int, str, str, str, str] | None]
    ) -> list[SpanColumns | None]:
        """``joined`` for the rows of many documents (an export's chunk; a document without
        spans, None, gives None), their numbers checked all at once by a few string calls
        on them joined (``_JoinedNumbers``). When one is not written as Python writes an
        ``int`` (a crafted file's text), each row is taken by ``joined``."""
        made = [None if row is None else cls._separated(row) for row in rows]
        present = [columns for columns in made if columns is not None]
        if present:
            shared = _JoinedNumbers.of(present)
            if shared is None:
                return [None if row is None else cls.joined(row) for row in rows]
            first = 0
            for columns in present:
                columns._shared, columns._first = shared, first
                first += columns.count
        return made

    def _take_numbers(self) -> None:
        """This document's starts and ends from its group's (read on first need), with
        their order and overlaps."""
        if self._shared is None:
            return
        starts, ends = self._shared.read()
        first, after = self._first, self._first + self.count
        document_starts, document_ends = starts[first:after], ends[first:after]
        self._numbers = document_starts, document_ends
        self._ordered = all(map(lt, document_starts, document_starts[1:]))
        if self._ordered:
            self._overlapping = any(map(lt, document_starts[1:], document_ends))
        self._shared = None

    @property
    def ordered(self) -> bool:
        """Whether SQLite gave the spans by start, no two at one start (known only for a
        ``group``): then they are in (start, end, label) order as they are."""
        self._take_numbers()
        return self._ordered

    @property
    def overlapping(self) -> bool | None:
        """When ``ordered``, whether a span starts before the one before it ends."""
        self._take_numbers()
        return self._overlapping

    @classmethod
    def _separated(cls, row: tuple[int, int, str, str, str, str]) -> SpanColumns | None:
        """From the store's row, when its ids and labels split into ``count`` of each and its
        numbers are text (``group`` checks them)."""
        _, count, ids, starts, ends, labels = row
        if (
            type(ids) is type(starts) is type(ends) is type(labels) is str
            and ids.count(" ") == labels.count(" ") == count - 1
        ):
            return cls(*row)
        return None

    def text_columns(self) -> tuple[list[str], list[str], list[str], list[str]] | None:
        """When ``ordered``, the four lists in (start, end, label) order with the starts and
        ends as the text SQLite wrote them, plain integers as ``group`` checked; else None."""
        if not self.ordered:
            return None
        _, starts, ends, labels = self.joined_values
        return self.ids(), starts.split(","), ends.split(","), labels.split(" ")

    def within(self, length: int) -> bool:
        """Whether each span ends after it starts, and within a text of ``length`` characters
        (its offsets are non-negative integers: ``joined`` and ``group`` checked them)."""
        self._take_numbers()
        if self._numbers is None:
            _, starts, ends, _ = self.stored()
        else:
            starts, ends = self._numbers
        return all(map(lt, starts, ends)) and max(ends, default=0) <= length

    def ids(self) -> list[str]:
        """The spans' ids, in the order SQLite gave them (split once: the export checks its
        relations' ends against them, then a writer takes them)."""
        if self._ids is None:
            self._ids = self.joined_values[0].split(" ")
        return self._ids

    def stored(self) -> Columns:
        """The four lists in the order SQLite gave them."""
        _, starts, ends, labels = self.joined_values
        self._take_numbers()
        if self._numbers is not None:
            return self.ids(), *self._numbers, labels.split(" ")
        return (
            self.ids(),
            list(map(int, starts.split(","))),
            list(map(int, ends.split(","))),
            labels.split(" "),
        )

    def stored_records(self) -> list[SpanPlace]:
        """``SpanPlace``s in the order SQLite gave them (``stored``)."""
        ids, starts, ends, labels = self.stored()
        return list(map(SpanPlace, ids, repeat(self.doc_id), starts, ends, labels))

    def columns(self) -> Columns:
        """The four lists in (start, end, label) order."""
        if self._columns is None:
            _, starts, ends, labels = columns = self.stored()
            if not (self.ordered or all(map(lt, starts, starts[1:]))):  # ties, or not by start
                order = sorted(range(self.count), key=lambda i: (starts[i], ends[i], labels[i]))
                columns = tuple([values[i] for i in order] for values in columns)  # type: ignore[assignment]
            self._columns = columns
        return self._columns

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> SpanPlace: ...

    @overload
    def __getitem__(self, index: slice) -> list[SpanPlace]: ...

    def __getitem__(self, index: int | slice) -> SpanPlace | list[SpanPlace]:
        return self.records()[index]

    def __iter__(self) -> Iterator[SpanPlace]:
        return iter(self.records())

    def records(self) -> list[SpanPlace]:
        if self._records is None:
            ids, starts, ends, labels = self.columns()
            self._records = list(map(SpanPlace, ids, repeat(self.doc_id), starts, ends, labels))
        return self._records


def _integers(joined: str) -> bool:
    """Whether ``joined`` is non-negative integers joined by commas, as SQLite writes them."""
    return (
        joined.isascii()
        and joined.replace(",", "").isdigit()
        and ",," not in joined
        and joined[0] != ","
        and joined[-1] != ","
    )


class _JoinedNumbers:
    """The starts and ends of a ``SpanColumns.group``, joined: checked when made, read into
    ``int``s by one ``json.loads`` each when a member first needs them (CoNLL reads the text
    itself, and never does). It knows no member: the export pauses the garbage collector,
    and members and their group referring to each other were kept until its end (600 MB
    for a CoNLL export of 100,000 documents)."""

    __slots__ = ("_joined", "_numbers")

    def __init__(self, starts: str, ends: str) -> None:
        self._joined: tuple[str, str] | None = (starts, ends)  # None once read
        self._numbers: tuple[list[int], list[int]] = ([], [])

    @classmethod
    def of(cls, members: list[SpanColumns]) -> _JoinedNumbers | None:
        """None unless every start and end is a non-negative integer written as Python
        writes it (no leading zero: a crafted file's text), ``count`` of each a document
        (``group_concat`` skips NULLs: only fewer numbers, never more, are possible)."""
        total = sum([columns.count for columns in members])
        starts = ",".join([columns.joined_values[1] for columns in members])
        ends = ",".join([columns.joined_values[2] for columns in members])
        if _plain_integers(starts, total) and _plain_integers(ends, total):
            return cls(starts, ends)
        return None

    def read(self) -> tuple[list[int], list[int]]:
        """Every member's starts, then every member's ends, in the members' order."""
        if self._joined is not None:
            starts, ends = self._joined
            self._numbers = json.loads(f"[{starts}]"), json.loads(f"[{ends}]")
            self._joined = None
        return self._numbers


_LEADING_ZERO = re.compile(r",0[0-9]")


def _plain_integers(joined: str, count: int) -> bool:
    """Whether ``joined`` is ``count`` non-negative integers joined by commas, each written
    as Python writes an ``int``."""
    return (
        _integers(joined)
        and joined.count(",") == count - 1
        and not (joined[0] == "0" and joined[1:2].isdigit())
        and _LEADING_ZERO.search(joined) is None
    )


def span_columns(spans: Sequence[Span | SpanRecord | SpanEssentials | SpanPlace]) -> Columns:
    """The ids, starts, ends and labels of ``spans``, in their order: ``SpanColumns``' own lists
    (not copies), else taken from each span."""
    if isinstance(spans, SpanColumns):
        return spans.columns()
    return (
        list(map(_ID, spans)),
        list(map(_START, spans)),
        list(map(_END, spans)),
        list(map(_LABEL, spans)),
    )


_ID, _START, _END, _LABEL = map(attrgetter, ("id", "start", "end", "label"))


def spans_within(
    spans: Sequence[Span | SpanRecord | SpanEssentials | SpanPlace] | SpanColumns, length: int
) -> bool:
    """``offsets_within`` for each of ``spans``: what every writer takes for granted. Checked
    by a few C loops a document; a crafted project file can hold any value (``unusable_span``)."""
    if isinstance(spans, SpanColumns):
        return spans.within(length)
    if not spans:
        return True
    starts, ends = list(map(_START, spans)), list(map(_END, spans))
    return (
        {*map(type, starts), *map(type, ends)} == _INT
        and min(starts) >= 0
        and max(ends) <= length
        and all(map(lt, starts, ends))
    )


def first_unusable(
    spans: Sequence[Span | SpanRecord | SpanEssentials | SpanPlace] | SpanColumns, length: int
) -> Span | SpanRecord | SpanEssentials | SpanPlace | None:
    """The first of ``spans`` that ``spans_within`` refuses, to name it."""
    for span in spans.stored_records() if isinstance(spans, SpanColumns) else spans:
        if not offsets_within(span.start, span.end, length):
            return span
    return None


_INT = {int}


class RelationRecord(NamedTuple):
    """A stored relation as an export reads it: ``Relation``'s fields, in the store's order."""

    id: str
    doc_id: int
    head: str
    child: str
    label: str
    origin: str
    status: AnnotationStatus
    score: float | None


class DocumentRecord:
    """A stored document as an export reads it: ``Document``'s fields, with the tokens kept as
    stored (``offsets``, ``StoredOffsets``) and decoded only when a writer asks for ``tokens``,
    and the ``meta`` JSON decoded only when a writer asks for it (CoNLL never does)."""

    __slots__ = ("_meta", "_stored_meta", "_tokens", "id", "offsets", "status", "text")

    def __init__(
        self, row: tuple[int, str, str | None, DocumentStatus], offsets: StoredOffsets | None
    ) -> None:
        self.id, self.text, self._stored_meta, self.status = row
        self._meta: dict[str, Any] | None = None
        self.offsets = offsets
        self._tokens: TokenOffsets | None = None

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            self._meta = json.loads(self._stored_meta) if self._stored_meta else {}
        return self._meta

    def meta_value(self, key: str) -> Any:
        """``meta.get(key)`` for a top-level key spelled in ASCII letters, without decoding the
        meta JSON when the key is not in it (a brat export asks each document for its
        ``source``): JSON can spell such a key only as it is, or with ``\\u`` escapes."""
        stored = self._stored_meta
        named = stored is None or f'"{key}"' in stored or "\\u" in stored
        if self._meta is None and not named:
            return None
        return self.meta.get(key)

    @property
    def tokens(self) -> TokenOffsets:
        if self._tokens is None:
            self._tokens = decode_offsets(self.offsets)
        return self._tokens


@dataclass(slots=True)
class ExportDocument:
    """A stored document with the annotations an export selected (tokens included): the
    export service gives records read straight from the store (``DocumentRecord``,
    ``SpanRecord``...), callers may give models; writers read only the fields both have.

    ``pending_spans`` / ``pending_relations`` are the suggestions nobody has judged that the
    selection left out: a training format must not write their tokens or pairs as negatives.
    ``decided`` ranks span ids by their latest human decision (higher is later), for
    resolving overlaps the way the person last chose. ``spans_sorted`` says the spans are
    already in (start, end, label) order, as the store reads them: writers then skip sorting.
    ``statuses_selected`` says the spans and relations are only those of the statuses the
    export selected, never a rejected one (the store read no other), and the spans may be
    ``SpanPlace``s, or ``SpanColumns``, without a status: writers then skip their own check.
    """

    document: Document | DocumentRecord
    spans: list[Span] | list[SpanRecord] | list[SpanEssentials] | list[SpanPlace] | SpanColumns
    relations: list[Relation] | list[RelationRecord]
    pending_spans: list[Span] | list[SpanRecord] | list[SpanEssentials] = field(
        default_factory=list
    )
    pending_relations: list[Relation] | list[RelationRecord] = field(default_factory=list)
    decided: dict[str, int] = field(default_factory=dict)
    spans_sorted: bool = False
    statuses_selected: bool = False

    def suggested_spans(self) -> list[Span] | list[SpanRecord]:
        """Every pending span suggestion, selected or not."""
        return [s for s in self.spans if s.status == "suggested"] + self.pending_spans

    def suggested_relations(self) -> list[Relation] | list[RelationRecord]:
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
    has_missing: bool = True  # the format can say "unknown" (spaCy); Prodigy cannot

    def add(self, other: FileSummary) -> None:
        self.documents += other.documents
        self.done += other.done
        self.missing_tokens += other.missing_tokens
        self.pending_left_out += other.pending_left_out
        self.note = self.note or other.note  # a part written by another process says it too

    def describe(self) -> str:
        missing = f"{counted(self.missing_tokens, 'token')} missing, " if self.has_missing else ""
        text = (
            f"{counted(self.documents, 'document')} ({self.done} done), {missing}"
            f"{counted(self.pending_left_out, 'pending suggestion')} left out"
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
    digests: dict[str, str] = field(default_factory=dict)  # SHA-256 by file, as in ``files``

    def write_file(self, path: str, data: bytes) -> None:
        """Write ``data`` as a new file at ``path`` and list it with its SHA-256, taken from the
        bytes in memory: one open and one write (a brat export writes 20,000 files), and the
        export's manifest needs not read the file back."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.files.append(path)
        self.digests[path] = hashlib.sha256(data).hexdigest()

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def rename_files(self, renamed: dict[str, str]) -> None:
        """Follow files moved after writing (``renamed``: old name -> new name)."""
        self.files = [renamed.get(file, file) for file in self.files]
        self.summaries = {renamed.get(k, k): v for k, v in self.summaries.items()}
        self.digests = {renamed.get(k, k): v for k, v in self.digests.items()}
