"""Scoring suggestions against the final annotations, with spaCy's ``PRFScore``.

An annotation is compared by its key, a tuple ending with the label (``(doc, start, end,
label)`` for a span); a proposal counts as right only when the whole key matches.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spacy.scorer import PRFScore

from annotator.model import Span
from annotator.suggest.entities import LabelMapper, spans_to_suggestions
from annotator.suggest.pipelines import load_pipeline
from annotator.suggest.results import Tally

Key = tuple[Hashable, ...]
"""An annotation's identity; its last item is the label."""


@dataclass
class Scores:
    """Micro-averaged P/R/F over every label, and per label."""

    total: PRFScore = field(default_factory=PRFScore)
    per_label: dict[str, PRFScore] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            **_figures(self.total),
            "per_label": {label: _figures(s) for label, s in sorted(self.per_label.items())},
        }


def _figures(score: PRFScore) -> dict[str, Any]:
    return {
        "p": round(score.precision, 4),
        "r": round(score.recall, 4),
        "f": round(score.fscore, 4),
        "tp": score.tp,
        "fp": score.fp,
        "fn": score.fn,
    }


def score_keys(
    proposed: Iterable[Key], gold: Iterable[Key], wrong: Mapping[str, int] | None = None
) -> Scores:
    """Score ``proposed`` against ``gold``; ``wrong`` adds proposals known to be wrong by label
    (a suggestion a person had to correct: its first form is no longer stored)."""
    candidates, truth = set(proposed), set(gold)
    scores = Scores()
    labels = {str(key[-1]) for key in candidates | truth} | set(wrong or ())
    for label in labels:
        score = PRFScore()
        score.score_set(
            {k for k in candidates if k[-1] == label}, {k for k in truth if k[-1] == label}
        )
        score.fp += (wrong or {}).get(label, 0)
        scores.per_label[label] = score
        scores.total += score
    return scores


def predict_entities(
    model: str,
    lang: str,
    label_map: Mapping[str, str],
    schema_labels: Iterable[str],
    documents: Iterable[tuple[int, str]],
) -> tuple[str, list[Span]]:
    """The entities ``model`` finds in each (doc id, text), mapped onto the schema as a
    suggest run maps them; with the origin they would be stored under."""
    pipeline = load_pipeline(model, lang)
    if pipeline.origin is None:
        return pipeline.name, []
    mapper = LabelMapper(label_map, schema_labels)
    found: list[Span] = []
    dropped = Tally()
    for doc, doc_id in pipeline.nlp.pipe(
        ((text, doc_id) for doc_id, text in documents), as_tuples=True
    ):
        found += spans_to_suggestions(doc.ents, doc_id, pipeline.origin, mapper, dropped)
    return pipeline.origin, found


__all__ = ["Key", "Scores", "predict_entities", "score_keys"]
