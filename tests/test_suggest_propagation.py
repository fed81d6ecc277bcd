"""Propagation: an accepted string is suggested at its other occurrences, on token boundaries."""

from __future__ import annotations

from suggest_helpers import add_texts, covered, described_spans

from annotator import edits
from annotator.model import Span, TokenBoundaries
from annotator.services.suggesting import (
    SuggestOptions,
    compute_propagation,
    propagate_from,
    run_suggestions,
    store_propagation,
)
from annotator.store import Project
from annotator.suggest.occurrences import find_occurrences

TEXTS = [
    "Le WSJ a rapporté que Microsoft hésite.",
    "Selon le WSJ, et encore le WSJ.",
    "Les WSJs et WSJ-like ne comptent pas, ni aWSJ.",
    "Rien ici.",
]


def _accept_wsj(project: Project, doc_id: int, label: str = "ORG") -> Span:
    start = TEXTS[0].index("WSJ")
    span = Span(doc_id=doc_id, start=start, end=start + 3, label=label)
    project.apply(edits.add_span(span))
    return span


def test_propagate_from_suggests_the_string_elsewhere(project: Project) -> None:
    first, second, third, fourth = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    assert propagate_from(project, span) == 3
    found = [(covered(project, s), s.label, s.origin, s.status) for s in project.spans(second)]
    assert found == [("WSJ", "ORG", "propagation", "suggested")] * 2
    assert {s.score for s in project.spans(second)} == {1.0}
    # "WSJs" and "aWSJ" are not token boundaries; "WSJ-like" is split by the tokenizer
    assert [covered(project, s) for s in project.spans(third)] == ["WSJ"]
    assert project.spans(fourth) == []
    # the accepted span itself is not duplicated, and a second call adds nothing
    assert len(project.spans(first)) == 1
    assert propagate_from(project, span) == 0


def test_propagate_from_skips_rejected_places_finished_documents_and_pending_spans(
    project: Project,
) -> None:
    first, second, third, _ = add_texts(project, TEXTS)
    start = TEXTS[1].index("WSJ")
    rejected = Span(
        doc_id=second,
        start=start,
        end=start + 3,
        label="ORG",
        origin="model:m@1",
        status="suggested",
    )
    project.add_spans([rejected])
    project.apply(edits.reject_span(rejected))
    project.set_document_status(third, "done")
    span = _accept_wsj(project, first)
    assert propagate_from(project, span) == 1
    spans = project.spans(second)
    assert [(s.start, s.status) for s in spans] == [
        (start, "rejected"),
        (TEXTS[1].rindex("WSJ"), "suggested"),
    ]
    # one acceptance, one rejection of that string as ORG
    assert spans[1].score == 0.5
    assert project.spans(third) == []
    assert propagate_from(project, span.model_copy(update={"status": "suggested"})) == 0


def test_a_document_changed_between_compute_and_store_keeps_its_state(project: Project) -> None:
    first, second, third, _ = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    planned = compute_propagation(project, span)
    assert [d.doc_id for d in planned] == [second, third]
    assert project.spans(second) == []  # computing writes nothing
    # the annotator marks the same place in the second document meanwhile
    start = TEXTS[1].index("WSJ")
    project.apply(edits.add_span(Span(doc_id=second, start=start, end=start + 3, label="ORG")))
    result = store_propagation(project, planned)
    assert (result.added, result.changed_meanwhile) == (1, 1)
    assert [(s.start, s.status) for s in project.spans(second)] == [(start, "accepted")]
    assert described_spans(project, third) == {("WSJ", "ORG", "propagation", "suggested")}


def test_propagation_after_an_undone_acceptance_proposes_nothing(project: Project) -> None:
    first, _, _, _ = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    project.apply(edits.remove_span(span, []))
    assert compute_propagation(project, span) == []


def test_an_acceptance_scores_its_propagation_as_a_suggest_run_does(project: Project) -> None:
    """Decisions in documents without an open occurrence count too (here: a finished one)."""
    first, second, third, _, finished = add_texts(project, [*TEXTS, "Le WSJ, puis le WSJ."])
    for start in (3, 16):
        project.add_spans(
            [Span(doc_id=finished, start=start, end=start + 3, label="ORG", status="rejected")]
        )
    project.set_document_status(finished, "done")
    span = _accept_wsj(project, first)
    planned = {s.doc_id: s.score for d in compute_propagation(project, span) for s in d.spans}
    run_suggestions(project, SuggestOptions(model="blank"))
    run = {s.doc_id: s.score for d in (second, third) for s in project.spans(d)}
    assert planned == run == {second: 0.3333, third: 0.3333}


def test_a_run_propagates_accepted_strings_and_respects_rejections(project: Project) -> None:
    first, second, third, _ = add_texts(project, TEXTS)
    _accept_wsj(project, first)
    start = TEXTS[1].index("WSJ")
    project.add_spans(
        [Span(doc_id=second, start=start, end=start + 3, label="ORG", status="rejected")]
    )
    report = run_suggestions(project, SuggestOptions(model="blank"))
    assert ("WSJ", "ORG", "propagation", "suggested") in described_spans(project, second)
    assert [s.status for s in project.spans(second)] == ["rejected", "suggested"]
    assert described_spans(project, third) == {("WSJ", "ORG", "propagation", "suggested")}
    assert report.tally["propagation"].skipped_rejected == 1
    assert [s.status for s in project.spans(first)] == ["accepted"]  # not proposed over itself
    # propagation off: its stale suggestions stay untouched, nothing new is added
    again = run_suggestions(project, SuggestOptions(model="blank", propagate=False))
    assert again.spans_added == again.spans_removed == 0


def test_find_occurrences_without_tokens_keeps_to_word_boundaries() -> None:
    text = "IA, l'IA et IAs, MIA."
    assert list(find_occurrences(text, "IA")) == [(0, 2), (6, 8)]
    tokens = ((0, 2), (2, 3), (4, 6), (6, 8), (9, 11), (12, 15), (15, 16), (17, 20), (20, 21))
    assert list(find_occurrences(text, "IA", TokenBoundaries(tokens))) == [(0, 2), (6, 8)]
    assert list(find_occurrences(text, "")) == []
