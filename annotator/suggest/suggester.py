"""All suggesters of one run behind one call: documents in, suggestions out, no store needed.

Entities come, in this order of precedence, from the model's NER, the pattern files and
propagation of accepted strings; the same (offsets, label) is proposed once, under the first
origin that found it. Relation rules then run over the document's candidate spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc

from annotator.model import LabelSchema, Relation, Span
from annotator.model.learned import LEARNED_ORIGIN_PREFIX
from annotator.suggest.beam_scores import add_beam_scores
from annotator.suggest.beam_scores import describe as describe_scores
from annotator.suggest.entities import LabelMapper, spans_to_suggestions
from annotator.suggest.learning import Learning
from annotator.suggest.long_texts import pipe_long_texts
from annotator.suggest.occurrences import PROPAGATION, AcceptedStrings
from annotator.suggest.patterns import PatternFile, add_pattern_rulers
from annotator.suggest.pipelines import LoadedPipeline
from annotator.suggest.propagation import PropagationMatcher
from annotator.suggest.relations import RelationRule, RelationSuggester
from annotator.suggest.results import (
    DocumentInput,
    DocumentSuggestions,
    OriginSet,
    SpanKey,
    SuggesterSummary,
    Tally,
    span_key,
)
from annotator.wording import counted


@dataclass
class Suggester:
    """Build once per run (it adds pattern rulers to ``pipeline``), then call ``suggest``."""

    pipeline: LoadedPipeline
    schema: LabelSchema
    label_map: Mapping[str, str]
    pattern_files: Sequence[PatternFile] = ()
    rules: Sequence[RelationRule] = ()
    accepted: AcceptedStrings | None = None
    learning: Learning | None = None
    """Learned relation patterns; ``None`` when the pipeline has no parser to run them."""
    scores: str = "none"
    """``beam``: the model's entities get their probability (``beam_scores``)."""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.mapper = LabelMapper(self.label_map, self.schema.entity_names)
        if self.scores == "beam":
            scored = self.pipeline.origin is not None and add_beam_scores(self.pipeline.nlp)
            self.notes.append(describe_scores(scored, self.pipeline.name))
        self.ruler_keys = add_pattern_rulers(self.pipeline, list(self.pattern_files))
        for pattern_file in self.pattern_files:
            for reason, count in pattern_file.skipped.items():
                self.notes.append(
                    f"{pattern_file.path.name}: {counted(count, 'pattern')} left out: {reason}"
                )
        rules = [*self.rules, *(self.learning.rules() if self.learning is not None else ())]
        self.relations = RelationSuggester(self.pipeline.nlp.vocab, rules, self.schema)
        by_reason: dict[str, list[str]] = {}
        for rule_id, reason in self.relations.skipped.items():
            by_reason.setdefault(reason, []).append(rule_id)
        for reason, rule_ids in by_reason.items():  # a note per missing label, not per rule
            rules = "rule" if len(rule_ids) == 1 else f"{len(rule_ids)} rules"
            self.notes.append(f"{rules} {', '.join(rule_ids)} left out: {reason}")
        self.propagation = (
            PropagationMatcher(self.pipeline.nlp, self.accepted)
            if self.accepted is not None
            else None
        )

    @property
    def owned(self) -> OriginSet:
        """The origins this run replaces: its model (any version), files, rules, propagation,
        learned patterns (any, when it runs them)."""
        exact = {origin for origin, _ in self.ruler_keys} | set(self.relations.origins)
        if self.propagation is not None:
            exact.add(PROPAGATION)
        prefixes = [self.pipeline.owned_prefix] if self.pipeline.owned_prefix else []
        if self.learning is not None:
            prefixes.append(LEARNED_ORIGIN_PREFIX)  # a dropped pattern's suggestions go too
        return OriginSet(exact=frozenset(exact), prefixes=tuple(prefixes))

    def summary(self) -> SuggesterSummary:
        """What the run reports and keeps of this suggester, as plain data a worker can send."""
        learning = self.learning
        return SuggesterSummary(
            name=self.pipeline.name,
            learned=tuple(learning.new) if learning is not None else (),
            learning=learning.describe() if learning is not None else "",
            notes=tuple(self.notes),
        )

    def suggest(
        self, inputs: Iterable[DocumentInput], batch_size: int = 64
    ) -> Iterator[DocumentSuggestions]:
        """Suggestions per document, in input order, through one batched ``nlp.pipe`` in this
        process (a text over ``nlp.max_length`` in pieces, see ``long_texts``); in parallel,
        one suggester per process (``local_pool``, ``ray_engine``)."""
        in_flight: dict[int, DocumentInput] = {}

        def texts() -> Iterator[tuple[str, int]]:
            for number, document in enumerate(inputs):
                in_flight[number] = document
                yield document.text, number

        owned = self.owned
        docs = pipe_long_texts(self.pipeline.nlp, texts(), batch_size=batch_size)
        for doc, number in docs:
            yield self.suggest_doc(doc, in_flight.pop(number), owned)  # type: ignore[arg-type]
        if self.relations.dependency_rules_unused:
            note = f"dependency rules not used: {self.pipeline.name} has no parser"
            if note not in self.notes:
                self.notes.append(note)

    def suggest_doc(
        self, doc: Doc, document: DocumentInput, owned: OriginSet | None = None
    ) -> DocumentSuggestions:
        doc_id = document.doc_id
        tally = Tally()
        rejected: set[SpanKey] = set()
        current: dict[SpanKey, Span] = {}
        for span in document.spans:
            if span.status == "rejected":
                rejected.add(span_key(span))
            elif span.status == "accepted" or span_key(span) not in current:
                current[span_key(span)] = span

        found: list[Span] = []
        if self.pipeline.origin is not None:
            found += spans_to_suggestions(
                doc.ents, doc_id, self.pipeline.origin, self.mapper, tally, scored=True
            )
        for origin, key in self.ruler_keys:
            if key is None:
                continue
            found += spans_to_suggestions(doc.spans[key], doc_id, origin, self.mapper, tally)
        if self.propagation is not None:
            replaced = owned if owned is not None else self.owned
            there = [
                span
                for span in document.spans
                if span.status != "suggested" or span.edited or span.origin not in replaced
            ]
            found += self.propagation(doc, doc_id, [*there, *found])

        suggestions: list[Span] = []
        proposed: set[SpanKey] = set()
        on_rejected: list[tuple[int, int, str, str]] = []
        for span in found:
            key = span_key(span)
            if key in rejected:
                tally[span.origin].skipped_rejected += 1
                on_rejected.append((*key, span.origin))
            elif key not in proposed:
                proposed.add(key)
                suggestions.append(span)

        candidates = dict(current)
        for span in suggestions:
            candidates.setdefault(span_key(span), span)
        relations = self.relations(doc, doc_id, list(candidates.values()))
        relations = _without_rejected_relations(relations, document, candidates, tally)
        return DocumentSuggestions(
            doc_id=doc_id,
            spans=suggestions,
            relations=relations,
            owned=owned if owned is not None else self.owned,
            tally=tally,
            revision=document.revision,
            on_rejected=on_rejected,
        )


def _without_rejected_relations(
    relations: list[Relation],
    document: DocumentInput,
    candidates: dict[SpanKey, Span],
    tally: Tally,
) -> list[Relation]:
    """Drop relations a person already rejected between spans of the same offsets and labels."""
    if not document.relations:
        return relations
    key_of = {span.id: span_key(span) for span in document.spans}
    key_of.update({span.id: key for key, span in candidates.items()})
    rejected = {
        (key_of.get(r.head), key_of.get(r.child), r.label)
        for r in document.relations
        if r.status == "rejected"
    }
    kept = []
    for relation in relations:
        if (key_of[relation.head], key_of[relation.child], relation.label) in rejected:
            tally[relation.origin].skipped_rejected += 1
        else:
            kept.append(relation)
    return kept
