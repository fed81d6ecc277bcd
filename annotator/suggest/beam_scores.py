"""Scores for the model's entities: the probability a beam search of the same NER gives them.

A transition-based NER (spaCy's ``ner``) parses greedily: one parse, no score. Its
``beam_parse`` keeps the ``BEAM_WIDTH`` best parses instead, each with a probability (a softmax
over the parses' scores), and ``scored_ents`` sums, for each (start, end, label), the
probabilities of the parses that hold it: the probability that the span is an entity with
that label. No retraining: the beam uses the same trained weights. As Prodigy's ``ner.teach``
does, the beam runs on each sentence (``pieces``), not on the whole document.

The suggestions stay the greedy parse's entities; the beam only scores them. Two components
do it inside ``nlp.pipe``, so batches, worker processes and long texts cut in pieces behave as
without scores: ``annotator_beam_scores`` runs just before the NER, on what the NER sees (a
beam run after it would be held to the greedy entities as preset ones), and keeps the scores
aside; ``annotator_beam_scores_set`` runs just after the NER and writes each entity's score to
``span._.annotator_score`` (which ``Doc.from_docs`` keeps). An entity the beam never proposed
gets ``0.0``: its probability is below what the beam's parses resolve (the beam sums the
model's raw action scores, so the greedy parse can fall out of it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.util import minibatch

BEAM_WIDTH = 16
BEAM_DENSITY = 0.0001
"""Parses below this fraction of the best one's score leave the beam (Prodigy's value)."""
PIECE_TOKENS = 40
"""Without sentence boundaries, the beam runs on pieces of this many tokens."""
SCORE_DIGITS = 4
"""Scores are rounded so that any batching of the same documents stores the same numbers."""
SCORE_EXTENSION = "annotator_score"
_BEFORE = "annotator_beam_scores"
_AFTER = "annotator_beam_scores_set"
_KEPT = "annotator_beam_scores"  # doc.user_data key, from one component to the other

EntityScores = dict[tuple[int, int, str], float]
"""(start token, end token, label) -> probability."""

if not Span.has_extension(SCORE_EXTENSION):
    Span.set_extension(SCORE_EXTENSION, default=None)


def entity_recognizer(nlp: Language) -> str | None:
    """The name of the pipeline's transition-based NER (``ner``, ``beam_ner``), if any."""
    for name, component in nlp.pipeline:
        if isinstance(component, EntityRecognizer):
            return name
    return None


def add_beam_scores(nlp: Language) -> bool:
    """Add the two scoring components around the NER; False when there is no NER to score."""
    ner = entity_recognizer(nlp)
    if ner is None:
        return False
    if _BEFORE not in nlp.pipe_names:
        nlp.add_pipe(_BEFORE, before=ner, config={"ner": ner})
        nlp.add_pipe(_AFTER, after=ner)
    return True


def entity_score(span: Span) -> float | None:
    """The score ``add_beam_scores``'s components gave this entity (``None``: not scored)."""
    return span._.get(SCORE_EXTENSION)


class BeamScorer:
    """Before the NER: the beam's entity probabilities of each document, kept aside."""

    def __init__(self, nlp: Language, ner: str, beam_width: int, beam_density: float) -> None:
        self.nlp = nlp
        self.ner = ner
        self.beam_width = beam_width
        self.beam_density = beam_density

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        ner: EntityRecognizer = self.nlp.get_pipe(self.ner)  # type: ignore[assignment]
        for batch in minibatch(docs, size=batch_size):
            for doc, scores in zip(batch, self.scores(ner, batch), strict=True):
                doc.user_data[_KEPT] = scores
            yield from batch

    def scores(self, ner: EntityRecognizer, docs: list[Doc]) -> list[EntityScores]:
        """Each document's entity probabilities: one beam per sentence (see ``pieces``),
        all of the batch's sentences in one ``beam_parse``."""
        cuts = [pieces(doc) for doc in docs]
        sentences = [
            doc[start:end].as_doc()
            for doc, bounds in zip(docs, cuts, strict=True)
            for start, end in bounds
        ]
        beams = ner.beam_parse(
            sentences, beam_width=self.beam_width, beam_density=self.beam_density
        )
        found = iter(ner.scored_ents(beams))
        scores: list[EntityScores] = []
        for bounds in cuts:
            mine: EntityScores = {}
            for start, _ in bounds:
                for (first, end, label), probability in next(found).items():
                    mine[(start + first, start + end, label)] = probability
            scores.append(mine)
        return scores


def pieces(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) tokens of the pieces the beam runs on: the sentences when a component set
    them, else runs of ``PIECE_TOKENS``. Over a whole document the beam's probabilities are
    all but 0 or 1 (each parse's score sums hundreds of steps: one parse takes all the mass);
    over a sentence they spread, as Prodigy's ``ner.teach`` has them."""
    if doc.has_annotation("SENT_START"):
        return [(sentence.start, sentence.end) for sentence in doc.sents]
    return [
        (start, min(start + PIECE_TOKENS, len(doc))) for start in range(0, len(doc), PIECE_TOKENS)
    ]


def set_entity_scores(doc: Doc) -> Doc:
    """After the NER: each entity's probability from the kept scores, ``0.0`` if the beam
    never proposed it."""
    scores: EntityScores = doc.user_data.pop(_KEPT, {})
    for ent in doc.ents:
        probability = scores.get((ent.start, ent.end, ent.label_), 0.0)
        ent._.set(SCORE_EXTENSION, round(min(1.0, probability), SCORE_DIGITS))
    return doc


@Language.factory(
    _BEFORE,
    default_config={"ner": "ner", "beam_width": BEAM_WIDTH, "beam_density": BEAM_DENSITY},
)
def make_beam_scorer(
    nlp: Language, name: str, ner: str, beam_width: int, beam_density: float
) -> BeamScorer:
    return BeamScorer(nlp, ner, beam_width, beam_density)


@Language.component(_AFTER)
def _set_entity_scores(doc: Doc) -> Doc:
    return set_entity_scores(doc)


def describe(scored: bool, pipeline: str) -> str:
    """The run's note on scores."""
    if scored:
        return f"scores: probability under a beam search of {pipeline}'s NER (width {BEAM_WIDTH})"
    return f"--scores beam: {pipeline} has no transition-based NER to score; no scores"
