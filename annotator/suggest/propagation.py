"""Propagation inside a suggestion run: accepted strings found by spaCy's ``PhraseMatcher``.

Matching on the pipeline's own tokens keeps every proposal on token boundaries; the corpus-wide
``AcceptedStrings`` are gathered by the caller before the run.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from annotator.model import Span
from annotator.suggest.entities import suggestion_from
from annotator.suggest.occurrences import (
    PROPAGATION,
    AcceptedStrings,
    free_places,
    part_of_a_longer_name,
)


class PropagationMatcher:
    """Proposes the strings that propagate (``AcceptedStrings.propagates``) where they fit."""

    def __init__(self, nlp: Language, memory: AcceptedStrings) -> None:
        self.memory = memory
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        by_label: dict[str, list[Doc]] = {}
        for text, label in memory.accepted():
            by_label.setdefault(label, []).append(nlp.make_doc(text))
        for label, docs in by_label.items():
            self.matcher.add(label, docs)
        self.empty = not by_label

    def __call__(self, doc: Doc, doc_id: int, there: Iterable[Span]) -> list[Span]:
        """Suggestions for ``doc`` that do not clash with the spans ``there`` (``free_places``)."""
        if self.empty:
            return []
        strings = doc.vocab.strings
        candidates = []
        for match_id, start, end in self.matcher(doc):
            label = strings[match_id]
            found = doc[start:end]
            if part_of_a_longer_name(
                doc.text, found.start_char, found.end_char
            ) or not self.memory.fits(doc.text, found.start_char, label):
                continue
            score = self.memory.score(found.text, label)
            candidates.append(suggestion_from(found, doc_id, label, PROPAGATION, score))
        return free_places(candidates, there)
