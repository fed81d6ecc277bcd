"""Accepting and rejecting suggestions in the document view, one by one or all at once."""

from __future__ import annotations

import pytest
from editor_support import OFFSCREEN_POPUP_WARNINGS, Editor, open_editor, suggested_span
from PySide6.QtCore import Qt

from annotator.model import Relation
from annotator.store import Project

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def editor(qtbot, project: Project, doc_id: int) -> Editor:
    spans = [
        suggested_span(doc_id, 0, 10, "PER"),
        suggested_span(doc_id, 21, 30, "ORG"),
        suggested_span(doc_id, 34, 41, "LOC"),
    ]
    project.add_spans(spans)
    project.add_relations(
        [
            Relation(
                doc_id=doc_id,
                head=spans[0].id,
                child=spans[1].id,
                label="works_for",
                status="suggested",
                origin="rule:works_for",
            )
        ]
    )
    return open_editor(qtbot, project, doc_id)


def _statuses(editor: Editor) -> list[str]:
    return [s.status for s in editor.spans()]


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_A])
def test_enter_or_a_accepts_the_selected_suggestion(editor: Editor, key: Qt.Key) -> None:
    editor.click_offset(23)  # Microsoft
    editor.key(key)
    assert _statuses(editor) == ["suggested", "accepted", "suggested"]
    assert editor.view.selected().label == "LOC"  # the next pending suggestion
    editor.session.undo_stack.undo()
    assert _statuses(editor) == ["suggested"] * 3


@pytest.mark.parametrize("key", [Qt.Key.Key_Backspace, Qt.Key.Key_X])
def test_backspace_or_x_rejects_and_hides_the_suggestion(editor: Editor, key: Qt.Key) -> None:
    editor.click_offset(36)  # Redmond
    editor.key(key)
    assert _statuses(editor) == ["suggested", "suggested", "rejected"]
    rejected = editor.spans("rejected")[0]
    assert rejected.id not in editor.view.shown_item_ids()  # hidden
    editor.click_offset(36)
    assert editor.view.selected() is None  # no longer clickable
    editor.session.undo_stack.undo()
    assert _statuses(editor) == ["suggested"] * 3


def test_rejecting_a_span_rejects_its_pending_relations(editor: Editor) -> None:
    editor.click_offset(2)  # Brad Smith, head of the suggested relation
    editor.key(Qt.Key.Key_X)
    assert [r.status for r in editor.relations()] == ["rejected"]
    assert editor.view.selected().id == editor.spans()[1].id  # the next span is selected


def test_a_label_key_on_a_suggestion_relabels_and_accepts_it(editor: Editor) -> None:
    editor.click_offset(36)
    editor.key("4")
    span = editor.spans()[2]
    assert (span.label, span.status, span.edited) == ("MISC", "accepted", True)
    # the Undo menu and the edit log name the relabel, not "accept suggestion"
    assert editor.session.undo_stack.undoText() == "relabel span as MISC"
    assert editor.project.edit_log(editor.doc_id)[-1]["description"] == "relabel span as MISC"


def test_shift_a_accepts_every_suggestion_as_one_undo_step(editor: Editor) -> None:
    editor.key(Qt.Key.Key_A, SHIFT)
    assert _statuses(editor) == ["accepted"] * 3
    assert [r.status for r in editor.relations()] == ["accepted"]
    assert editor.session.undo_stack.count() == 1
    editor.session.undo_stack.undo()
    assert _statuses(editor) == ["suggested"] * 3
    assert [r.status for r in editor.relations()] == ["suggested"]


def test_accept_all_with_nothing_left_adds_no_undo_step(editor: Editor) -> None:
    editor.key(Qt.Key.Key_A, SHIFT)
    editor.key(Qt.Key.Key_A, SHIFT)
    assert editor.session.undo_stack.count() == 1


def test_a_suggested_relation_is_accepted_from_the_keyboard(editor: Editor) -> None:
    for _ in range(4):  # three spans, then the relation
        editor.key(Qt.Key.Key_Tab)
    assert isinstance(editor.view.selected(), Relation)
    editor.key(Qt.Key.Key_Return)
    assert [r.status for r in editor.relations()] == ["accepted"]


def test_accepting_a_relation_accepts_its_pending_ends_in_one_undo_step(
    editor: Editor, qtbot
) -> None:
    """A with a suggested relation selected left both spans suggested, so "reject the rest"
    on Ctrl+Enter rejected them, and the accepted relation with them."""
    [relation] = editor.relations()
    editor.view.viewport().repaint()
    with qtbot.waitSignal(editor.view.selection_changed):
        editor.click(editor.view.point_for_item(relation.id))
    editor.key(Qt.Key.Key_A)
    assert [r.status for r in editor.relations()] == ["accepted"]
    assert _statuses(editor) == ["accepted", "accepted", "suggested"]
    editor.session.undo_stack.undo()
    assert [r.status for r in editor.relations()] == ["suggested"]
    assert _statuses(editor) == ["suggested"] * 3
    # the undo selects what it took back, the relation (it selected one of its ends)
    assert editor.view.selected().id == relation.id
    editor.session.undo_stack.redo()
    assert editor.view.selected().id == relation.id


@pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_WARNINGS)
def test_drawing_a_relation_between_suggestions_accepts_them(editor: Editor, qtbot) -> None:
    editor.click_offset(23)  # Microsoft (ORG), suggested
    editor.key(Qt.Key.Key_R)
    editor.click_offset(36)  # Redmond (LOC), suggested
    qtbot.keyClick(editor.view.label_menu(), Qt.Key.Key_Return)  # located_in
    drawn = [r for r in editor.relations() if r.label == "located_in"]
    assert [r.status for r in drawn] == ["accepted"]
    assert _statuses(editor) == ["suggested", "accepted", "accepted"]
    editor.session.undo_stack.undo()
    assert _statuses(editor) == ["suggested"] * 3


def test_each_undo_and_redo_shows_what_the_store_holds(editor: Editor, qtbot) -> None:
    """Undo and redo apply their edit to the view's own copy (reading a long document back
    took 150 ms a key): after each, the view shows what a fresh read of the store shows."""

    def shown_afresh() -> list[str]:
        fresh = open_editor(qtbot, editor.project, editor.doc_id)
        return fresh.view.shown_item_ids()

    editor.click_offset(23)  # Microsoft
    editor.key(Qt.Key.Key_A)  # accept; Redmond is selected next
    editor.key(Qt.Key.Key_X)  # reject Redmond
    editor.key(Qt.Key.Key_A, SHIFT)  # Brad Smith and the relation
    stack = editor.session.undo_stack
    steps = stack.count()
    assert steps == 3
    for _ in range(steps):
        stack.undo()
        assert editor.view.shown_item_ids() == shown_afresh()
    assert _statuses(editor) == ["suggested"] * 3
    for _ in range(steps):
        stack.redo()
        assert editor.view.shown_item_ids() == shown_afresh()
    assert _statuses(editor) == ["accepted", "accepted", "rejected"]
    assert [r.status for r in editor.relations()] == ["accepted"]


def test_a_key_that_changes_nothing_says_why(editor: Editor, qtbot) -> None:
    """R with nothing selected, A on an accepted span and Shift+A with nothing pending did
    nothing and said nothing, as if the key were broken."""
    said: list[str] = []
    editor.session.noted.connect(said.append)
    editor.view.select(None)
    editor.key(Qt.Key.Key_A)
    editor.key("1")
    editor.view.apply_label("works_for")  # a click on a relation label in the palette
    editor.key(Qt.Key.Key_R)
    editor.key(Qt.Key.Key_A, SHIFT)  # three spans and a relation
    editor.key(Qt.Key.Key_A, SHIFT)
    editor.click_offset(23)
    editor.key(Qt.Key.Key_A)
    assert said == [
        "Nothing is selected: Tab selects the next suggestion",
        "PER: select a span (Tab), or drag over text, then the label key",
        "works_for labels a relation: select one (Tab) first",
        "Select the relation's head span first (Tab, or a click), then R",
        "Accepted 4 suggestions; Ctrl+Z takes them all back",
        "Nothing left to accept in this document",
        "Already accepted",
    ]


def test_space_or_moving_an_edge_that_cannot_act_says_why(editor: Editor) -> None:
    """Space and Shift+Right with nothing selected, and an edge that could move no further,
    did nothing and said nothing."""
    said: list[str] = []
    editor.session.noted.connect(said.append)
    editor.view.select(None)
    editor.key(Qt.Key.Key_Space)
    editor.key(Qt.Key.Key_Right, SHIFT)
    editor.click_offset(2)  # Brad Smith, at the start of the text
    editor.key(Qt.Key.Key_Left, CTRL | SHIFT)  # its start one token left
    editor.key(Qt.Key.Key_Left, SHIFT)  # its end one token left: Brad
    editor.key(Qt.Key.Key_Left, SHIFT)
    assert (editor.spans()[0].start, editor.spans()[0].end) == (0, 4)
    assert said == [
        "Nothing is selected: Tab selects the next suggestion",
        "Nothing is selected: Tab selects the next suggestion",
        "Already at the start of the text",
        "A span keeps at least one token",
    ]


def test_an_undo_selects_what_it_brought_back(editor: Editor) -> None:
    """After undoing a rejection or a deletion, nothing was selected: the next key (A, a
    label) had nothing to act on."""
    editor.click_offset(36)  # Redmond
    editor.key(Qt.Key.Key_X)
    editor.click_offset(2)  # move away, to Brad Smith
    editor.session.undo_stack.undo()
    assert editor.view.selected().id == editor.spans()[2].id  # Redmond again
    editor.key(Qt.Key.Key_A)  # the keys act on it at once
    assert _statuses(editor) == ["suggested", "suggested", "accepted"]
