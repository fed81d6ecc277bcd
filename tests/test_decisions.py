"""A person's decision wins, and a done document means "what is left is wrong": the core edits
(supersede, accept all, finish) and the service rules of suggestion runs and propagation."""

from __future__ import annotations

from pathlib import Path

import pytest
from suggest_helpers import add_texts, write_patterns
from typer.testing import CliRunner

from annotator import edits
from annotator.cli import app
from annotator.errors import ValidationError
from annotator.model import Relation, Span
from annotator.services.finishing import mark_done
from annotator.services.suggesting import SuggestOptions, propagate_from, run_suggestions
from annotator.store import Project


def _suggested(doc_id: int, start: int, end: int, label: str, origin: str = "model:m@1") -> Span:
    return Span(
        doc_id=doc_id,
        start=start,
        end=end,
        label=label,
        origin=origin,
        status="suggested",
        score=0.9,
    )


def _apply_as_person(project: Project, edit: edits.Edit) -> None:
    """What the window does with a person's gesture: the edit and what it supersedes."""
    doc_id = edit.doc_id
    project.apply(edits.with_superseded(edit, project.spans(doc_id), project.relations(doc_id)))


# -- supersede ----------------------------------------------------------------------------------


def test_relabelling_supersedes_the_other_labels_on_the_same_tokens(
    project: Project, doc_id: int
) -> None:
    misc = _suggested(doc_id, 21, 30, "MISC")
    org = _suggested(doc_id, 21, 30, "ORG", origin="propagation")
    longer = _suggested(doc_id, 21, 41, "LOC")  # overlapping, other tokens: untouched
    project.add_spans([misc, org, longer])
    relabelled = edits.relabel_span(misc, "PER").after.model_copy(update={"status": "accepted"})
    relabel = edits.UpdateSpan(before=misc, after=relabelled)  # a label key on a suggestion
    edit = edits.with_superseded(relabel, project.spans(doc_id), [])
    project.apply(edit)
    by_id = {s.id: s for s in project.spans(doc_id)}
    assert by_id[misc.id].label == "PER"
    assert by_id[org.id].status == "rejected"
    assert by_id[org.id].status_reason == "superseded: PER decided on the same tokens"
    assert by_id[longer.id].status == "suggested"
    project.apply(edit.inverse())  # one undo step brings the suggestion back
    assert {s.id: s for s in project.spans(doc_id)} == {s.id: s for s in (misc, org, longer)}


@pytest.mark.parametrize("gesture", ["accept", "add", "resize"])
def test_each_deciding_gesture_supersedes(project: Project, doc_id: int, gesture: str) -> None:
    misc, loc = _suggested(doc_id, 21, 30, "MISC"), _suggested(doc_id, 21, 30, "LOC")
    wide = Span(doc_id=doc_id, start=17, end=30, label="ORG")  # "for Microsoft"
    project.add_spans([misc, loc, wide])
    edit = {
        "accept": edits.accept_span(misc),
        "add": edits.add_span(Span(doc_id=doc_id, start=21, end=30, label="ORG")),
        "resize": edits.resize_span(wide, 21, 30),
    }[gesture]
    _apply_as_person(project, edit)
    left = {s.label for s in project.spans(doc_id, "suggested")}
    assert left == set()
    superseded = project.spans(doc_id, "rejected")
    assert {s.label for s in superseded} == ({"LOC"} if gesture == "accept" else {"MISC", "LOC"})
    assert all(s.status_reason.startswith("superseded: ") for s in superseded)


def test_rejecting_decides_nothing_else(project: Project, doc_id: int) -> None:
    misc, loc = _suggested(doc_id, 21, 30, "MISC"), _suggested(doc_id, 21, 30, "LOC")
    project.add_spans([misc, loc])
    _apply_as_person(project, edits.reject_span(misc))
    assert project.span(loc.id).status == "suggested"
    assert project.span(misc.id).status_reason is None


def test_a_superseded_suggestion_takes_its_pending_relations(project: Project, doc_id: int) -> None:
    person = Span(doc_id=doc_id, start=0, end=10, label="PER")
    misc = _suggested(doc_id, 21, 30, "ORG", origin="model:a@1")
    project.add_spans([person, misc])
    works = Relation(
        doc_id=doc_id, head=person.id, child=misc.id, label="works_for", status="suggested"
    )
    project.add_relations([works])
    winner = Span(doc_id=doc_id, start=21, end=30, label="LOC")
    _apply_as_person(project, edits.add_span(winner))
    assert project.relation(works.id).status == "rejected"


# -- accept all ---------------------------------------------------------------------------------


def test_accept_all_leaves_two_labels_on_the_same_tokens_pending(
    project: Project, doc_id: int
) -> None:
    misc, org = _suggested(doc_id, 21, 30, "MISC"), _suggested(doc_id, 21, 30, "ORG")
    person = _suggested(doc_id, 0, 10, "PER")
    project.add_spans([misc, org, person])
    spans = project.spans(doc_id)
    assert {s.id for s in edits.conflicting_suggestions(spans)} == {misc.id, org.id}
    project.apply(edits.accept_all(spans, []))
    statuses = {s.id: s.status for s in project.spans(doc_id)}
    assert statuses == {misc.id: "suggested", org.id: "suggested", person.id: "accepted"}


def test_accept_all_lets_an_accepted_span_supersede_what_shares_its_tokens(
    project: Project, doc_id: int
) -> None:
    decided = Span(doc_id=doc_id, start=21, end=30, label="ORG")
    misc = _suggested(doc_id, 21, 30, "MISC")  # from an older file: never superseded
    again = _suggested(doc_id, 21, 30, "ORG")
    project.add_spans([decided, misc, again])
    project.apply(edits.accept_all(project.spans(doc_id), []))
    accepted = project.spans(doc_id, "accepted")
    assert [s.id for s in accepted] == [decided.id]
    assert project.span(misc.id).status_reason == "superseded: ORG decided on the same tokens"
    assert project.span(again.id).status == "rejected"


def test_accept_all_supersedes_a_duplicate_of_what_it_accepts(
    project: Project, doc_id: int
) -> None:
    first, second = _suggested(doc_id, 21, 30, "ORG"), _suggested(doc_id, 21, 30, "ORG", "p")
    project.add_spans([first, second])
    project.apply(edits.accept_all(project.spans(doc_id), []))
    assert sorted(s.status for s in project.spans(doc_id)) == ["accepted", "rejected"]


# -- finishing ----------------------------------------------------------------------------------


@pytest.fixture
def pending_doc(project: Project, doc_id: int) -> tuple[Project, int]:
    person = _suggested(doc_id, 0, 10, "PER")
    company = _suggested(doc_id, 21, 30, "ORG")
    project.add_spans([person, company])
    works = Relation(
        doc_id=doc_id, head=person.id, child=company.id, label="works_for", status="suggested"
    )
    project.add_relations([works])
    return project, doc_id


def test_done_without_a_choice_is_refused_naming_the_document_and_count(pending_doc) -> None:
    project, doc_id = pending_doc
    with pytest.raises(ValidationError, match=f"document {doc_id} has 3 pending"):
        mark_done(project, [doc_id])
    assert project.document_status(doc_id) == "new"


@pytest.mark.parametrize("choice", ["accept", "reject"])
def test_done_decides_the_rest_in_one_step(pending_doc, choice: str) -> None:
    project, doc_id = pending_doc
    report = mark_done(project, [doc_id], choice)  # type: ignore[arg-type]
    expected = "accepted" if choice == "accept" else "rejected"
    assert [s.status for s in project.spans(doc_id)] == [expected, expected]
    assert [r.status for r in project.relations(doc_id)] == [expected]
    assert project.document_status(doc_id) == "done"
    assert report.marked == [doc_id]
    assert (report.accepted, report.rejected) == ((3, 0) if choice == "accept" else (0, 3))
    last = project.edit_log(doc_id)[-1]
    assert last["kind"] == "group" and last["actor"] == "user"  # a project with no annotator
    project.apply(edits.edit_from_json(last["payload"]).inverse())
    assert [s.status for s in project.spans(doc_id)] == ["suggested", "suggested"]
    assert project.document_status(doc_id) == "new"


def test_accepting_the_rest_is_refused_when_two_labels_share_tokens(
    project: Project, doc_id: int
) -> None:
    project.add_spans([_suggested(doc_id, 21, 30, "MISC"), _suggested(doc_id, 21, 30, "ORG")])
    with pytest.raises(ValidationError, match="2 pending suggestion.* two labels"):
        mark_done(project, [doc_id], "accept")
    assert project.document_status(doc_id) == "new"
    mark_done(project, [doc_id], "reject")
    assert project.document_status(doc_id) == "done"


def test_one_refused_document_changes_no_other(project: Project) -> None:
    clean, pending = add_texts(project, ["Rien.", "Le WSJ a dit."])
    project.add_spans([_suggested(pending, 3, 6, "ORG")])
    with pytest.raises(ValidationError, match=f"document {pending} has 1 pending"):
        mark_done(project, [clean, pending])
    assert project.document_status(clean) == "new"


# -- suggestion runs and propagation ------------------------------------------------------------

WSJ_TEXT = "Le WSJ a rapporté que le WSJ hésite."


@pytest.fixture
def wsj_patterns(tmp_path: Path) -> Path:
    return write_patterns(
        tmp_path / "entities.jsonl", ['{"label": "MISC", "pattern": [{"LOWER": "wsj"}]}']
    )


def test_a_run_stores_nothing_on_tokens_a_person_decided(
    project: Project, wsj_patterns: Path
) -> None:
    (doc,) = add_texts(project, [WSJ_TEXT])
    first, second = 3, WSJ_TEXT.index("WSJ", 4)
    project.apply(edits.add_span(Span(doc_id=doc, start=first, end=first + 3, label="ORG")))
    person_no = Span(doc_id=doc, start=second, end=second + 3, label="LOC", status="rejected")
    project.add_spans([person_no])
    options = SuggestOptions(model="blank", patterns=(wsj_patterns,), propagate=False)
    report = run_suggestions(project, options)
    assert [s for s in project.spans(doc) if s.label == "MISC"] == []
    assert report.tally["pattern:entities.jsonl"].superseded == 2
    assert report.spans_superseded == 2


def test_propagation_supersedes_pending_labels_and_skips_decided_tokens(
    project: Project,
) -> None:
    source, pending, decided = add_texts(
        project, ["Le WSJ a dit.", "Selon le WSJ, rien.", "Le WSJ encore."]
    )
    misc = _suggested(pending, 9, 12, "MISC")
    person_no = Span(doc_id=decided, start=3, end=6, label="MISC", status="rejected")
    project.add_spans([misc, person_no])
    wsj = Span(doc_id=source, start=3, end=6, label="ORG")
    project.apply(edits.add_span(wsj))
    assert propagate_from(project, wsj) == 1
    assert project.span(misc.id).status == "rejected"
    assert project.span(misc.id).status_reason.startswith("superseded: ORG propagated")
    assert [s.label for s in project.spans(pending, "suggested")] == ["ORG"]
    assert project.spans(decided, "suggested") == []
    logged = [e for e in project.edit_log() if e["kind"] == "propagate"][-1]
    assert misc.id in logged["payload"]


def test_the_suggest_report_counts_what_was_superseded(tmp_path: Path, wsj_patterns: Path) -> None:
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        (doc,) = add_texts(project, [WSJ_TEXT])
        project.apply(edits.add_span(Span(doc_id=doc, start=3, end=6, label="ORG")))
    args = ["suggest", str(path), "--model", "blank", "--patterns", str(wsj_patterns)]
    result = CliRunner().invoke(app, [*args, "--no-propagate"])
    assert result.exit_code == 0, result.output
    assert "superseded 1 suggestion (not added)" in result.output
