"""One key per decision, and a person's decision wins: the document view with real keys."""

from __future__ import annotations

import pytest
from editor_support import open_editor, suggested_span
from PySide6.QtCore import Qt

from annotator.model import Document
from annotator.store import Project

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_A])
def test_accepting_moves_to_the_next_pending_suggestion(
    qtbot, project: Project, doc_id: int, key: Qt.Key
) -> None:
    person, company, place = (
        suggested_span(doc_id, 0, 10, "PER"),
        suggested_span(doc_id, 21, 30, "ORG"),
        suggested_span(doc_id, 34, 41, "LOC"),
    )
    project.add_spans([person, company, place])
    editor = open_editor(qtbot, project, doc_id)
    editor.click_offset(2)  # Brad Smith
    editor.key(key)
    assert editor.view.selected().id == company.id  # no Tab needed
    editor.key(key)
    assert editor.view.selected().id == place.id
    editor.key(key)
    assert [s.status for s in editor.spans()] == ["accepted"] * 3
    assert editor.view.selected().id == place.id  # nothing left pending: it stays


def test_a_label_key_supersedes_the_other_labels_on_the_same_tokens(
    qtbot, project: Project, doc_id: int
) -> None:
    misc = suggested_span(doc_id, 21, 30, "MISC")
    loc = suggested_span(doc_id, 21, 30, "LOC")
    project.add_spans([misc, loc])
    editor = open_editor(qtbot, project, doc_id)
    editor.view.select(misc.id)
    editor.key("2")  # ORG: relabel and accept
    spans = {s.id: s for s in editor.spans()}
    assert (spans[misc.id].label, spans[misc.id].status) == ("ORG", "accepted")
    assert spans[loc.id].status == "rejected"
    assert spans[loc.id].status_reason == "superseded: ORG decided on the same tokens"
    assert loc.id not in editor.view.shown_item_ids()
    editor.session.undo_stack.undo()  # one step brings both back
    assert {s.id: s for s in editor.spans()} == {misc.id: misc, loc.id: loc}
    assert set(editor.view.shown_item_ids()) >= {misc.id, loc.id}


def test_shift_a_leaves_two_labels_on_the_same_tokens_pending_and_says_so(
    qtbot, project: Project, doc_id: int
) -> None:
    misc, org = suggested_span(doc_id, 21, 30, "MISC"), suggested_span(doc_id, 21, 30, "ORG")
    person = suggested_span(doc_id, 0, 10, "PER")
    project.add_spans([misc, org, person])
    editor = open_editor(qtbot, project, doc_id)
    with qtbot.waitSignal(editor.session.edit_failed) as said:
        editor.key(Qt.Key.Key_A, SHIFT)
    assert "2 suggestions left pending" in said.args[0]
    statuses = {s.id: s.status for s in editor.spans()}
    assert statuses == {misc.id: "suggested", org.id: "suggested", person.id: "accepted"}


@pytest.mark.parametrize("before", ["new", "suggested"])
def test_the_first_edit_starts_the_work_in_the_same_undo_step(
    qtbot, project: Project, doc_id: int, before: str
) -> None:
    project.set_document_status(doc_id, before)  # type: ignore[arg-type]
    project.add_spans([suggested_span(doc_id, 21, 30, "ORG")])
    editor = open_editor(qtbot, project, doc_id)
    editor.click_offset(23)
    with qtbot.waitSignal(editor.session.document_status_changed) as changed:
        editor.key(Qt.Key.Key_A)
    assert changed.args == [doc_id, "in_progress"]
    assert project.document_status(doc_id) == "in_progress"
    assert editor.session.undo_stack.count() == 1
    editor.session.undo_stack.undo()
    assert project.document_status(doc_id) == before
    assert [s.status for s in editor.spans()] == ["suggested"]
    editor.session.undo_stack.redo()
    assert project.document_status(doc_id) == "in_progress"


def test_later_edits_leave_the_status_alone(qtbot, project: Project, doc_id: int) -> None:
    project.set_document_status(doc_id, "done")
    project.add_spans([suggested_span(doc_id, 21, 30, "ORG")])
    editor = open_editor(qtbot, project, doc_id)
    editor.click_offset(23)
    editor.key(Qt.Key.Key_A)
    assert project.document_status(doc_id) == "done"


def test_relabelling_wsj_leaves_one_label_per_mention_for_accept_all(
    qtbot, project: Project
) -> None:
    """Seen: WSJ relabelled MISC -> ORG; propagation added ORG beside the model's MISC on the
    other mention, and Shift+A accepted both."""
    text = "Le WSJ a dit. Le WSJ encore."
    tokens = ((0, 2), (3, 6), (7, 8), (9, 12), (12, 13), (14, 16), (17, 20), (21, 27), (27, 28))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
    first, second = suggested_span(doc_id, 3, 6, "MISC"), suggested_span(doc_id, 17, 20, "MISC")
    project.add_spans([first, second])
    editor = open_editor(qtbot, project, doc_id)
    editor.view.select(first.id)
    with qtbot.waitSignal(editor.view.propagated, timeout=10_000):
        editor.key("2")  # ORG
    assert project.span(second.id).status == "rejected"  # superseded by the propagated ORG
    editor.key(Qt.Key.Key_A, SHIFT)
    accepted = [(s.start, s.label) for s in editor.spans("accepted")]
    assert accepted == [(3, "ORG"), (17, "ORG")]
