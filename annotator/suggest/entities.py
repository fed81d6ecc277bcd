"""Entity suggestions from spaCy spans (``doc.ents``, a ruler's spans), mapped onto the schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spacy.tokens import Span as SpacySpan

from annotator.model import Span
from annotator.suggest.beam_scores import entity_score
from annotator.suggest.results import Tally


class LabelMapper:
    """A model's or pattern file's label -> a schema label, or ``None`` (dropped and counted).

    ``label_map`` comes from the project settings (``PERSON -> PER``); a label that is already
    a schema label maps onto itself when the map does not say otherwise.
    """

    def __init__(self, label_map: Mapping[str, str], schema_labels: Iterable[str]) -> None:
        self.label_map = dict(label_map)
        self.schema_labels = frozenset(schema_labels)

    def __call__(self, label: str) -> str | None:
        mapped = self.label_map.get(label, label)
        return mapped if mapped in self.schema_labels else None


def spans_to_suggestions(
    spans: Iterable[SpacySpan],
    doc_id: int,
    origin: str,
    mapper: LabelMapper,
    tally: Tally,
    scored: bool = False,
) -> list[Span]:
    """Schema spans with status ``suggested``; unmapped labels are counted in ``tally``.
    ``scored``: ``spans`` are the model's ``doc.ents``, each with the score ``beam_scores``
    gave it, if any (a score is kept by character offsets, so other spans must not ask)."""
    suggestions = []
    for found in spans:
        label = mapper(found.label_)
        if label is None:
            tally[origin].dropped_labels[found.label_] += 1
            continue
        score = entity_score(found) if scored else None
        suggestions.append(suggestion_from(found, doc_id, label, origin, score))
    return suggestions


def suggestion_from(
    found: SpacySpan, doc_id: int, label: str, origin: str, score: float | None = None
) -> Span:
    """A spaCy span as a pending suggestion of ours, over the same characters."""
    return Span(
        doc_id=doc_id,
        start=found.start_char,
        end=found.end_char,
        label=label,
        origin=origin,
        status="suggested",
        score=score,
    )
