"""Scoring suggestions against the final annotations, with spaCy's ``PRFScore``.

An annotation is compared by its key, a tuple ending with the label (``(doc, start, end,
label)`` for a span); a proposal counts as right only when the whole key matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from annotator.model import Span
from annotator.suggest.entities import LabelMapper, spans_to_suggestions
from annotator.suggest.pipelines import load_pipeline
from annotator.suggest.results import Tally
from annotator.suggest.scores import Key, Scores, score_keys


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
