"""Making and editing spans in the document view with real mouse and key events.

Document: "Brad Smith works for Microsoft in Redmond." with whitespace tokens
Brad(0,4) Smith(5,10) works(11,16) for(17,20) Microsoft(21,30) in(31,33) Redmond(34,41) .(41,42)
"""

from __future__ import annotations

import pytest
from editor_support import OFFSCREEN_POPUP_WARNINGS, Editor, open_editor
from PySide6.QtCore import Qt

from annotator.model import Document, Relation, Span
from annotator.store import Project
from annotator.ui.editor.editor_actions import ACTION_SPECS

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def editor(qtbot, project: Project, doc_id: int) -> Editor:
    return open_editor(qtbot, project, doc_id)


def _offsets(spans: list[Span]) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in spans]


def test_drag_snaps_to_tokens_and_a_label_key_creates_the_span(editor: Editor) -> None:
    editor.drag(1, 7)  # from inside "Brad" to inside "Smith"
    assert editor.view.text_selection() == (0, 10)
    editor.key("1")  # PER
    [span] = editor.spans()
    assert (span.start, span.end, span.label, span.origin, span.status) == (
        0,
        10,
        "PER",
        "human",
        "accepted",
    )
    assert editor.view.selected() == span
    assert editor.view.text_selection() is None


def test_drag_backwards_and_over_spaces_still_snaps(editor: Editor) -> None:
    editor.drag(29, 20)  # from the end of "Microsoft" back to the space before it
    assert editor.view.text_selection() == (21, 30)


def test_alt_drag_keeps_character_precision(editor: Editor) -> None:
    editor.drag(22, 25, ALT)
    assert editor.view.text_selection() == (22, 26)
    editor.key("2")
    [span] = editor.spans()
    assert (span.start, span.end, span.label) == (22, 26, "ORG")
    assert editor.project.misaligned_span_ids(editor.doc_id) == [span.id]


def test_alt_drag_over_spaces_makes_no_span_of_them(editor: Editor) -> None:
    """Character precision took the spaces at a selection's ends: an Alt+drag from the space
    before "Microsoft" made the ORG " Microsoft", and one over a space alone a span of it."""
    editor.drag(20, 29, ALT)  # " Microsoft" ("works for Microsoft": the space at 20)
    assert editor.view.text_selection() == (21, 30)
    editor.drag(20, 20, ALT)  # the space alone
    assert editor.view.text_selection() is None
    editor.key("2")
    assert editor.spans() == []


def test_undo_and_redo_a_created_span(editor: Editor) -> None:
    editor.drag(21, 29)
    editor.key("2")
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]
    editor.session.undo_stack.undo()
    assert editor.spans() == []
    assert editor.view.selected() is None
    editor.session.undo_stack.redo()
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]


def test_click_selects_and_label_key_relabels(editor: Editor, qtbot) -> None:
    span = Span(doc_id=editor.doc_id, start=21, end=30, label="PER")
    editor.project.add_spans([span])
    editor.session.annotations_changed.emit(editor.doc_id)
    with qtbot.waitSignal(editor.view.selection_changed) as signal:
        editor.click_offset(24)
    assert signal.args[0].id == span.id
    editor.key("2")
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]
    assert editor.view.selected().label == "ORG"
    editor.session.undo_stack.undo()
    assert _offsets(editor.spans()) == [(21, 30, "PER")]


def test_clicking_plain_text_clears_the_selection(editor: Editor) -> None:
    editor.project.add_spans([Span(doc_id=editor.doc_id, start=0, end=4, label="PER")])
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.click_offset(2)
    assert editor.view.selected() is not None
    editor.click_offset(13)
    assert editor.view.selected() is None


def test_tab_and_shift_tab_cycle_through_spans(editor: Editor) -> None:
    spans = [
        Span(doc_id=editor.doc_id, start=0, end=10, label="PER"),
        Span(doc_id=editor.doc_id, start=21, end=30, label="ORG"),
        Span(doc_id=editor.doc_id, start=34, end=41, label="LOC"),
    ]
    editor.project.add_spans(spans)
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.key(Qt.Key.Key_Tab)
    assert editor.view.selected().id == spans[0].id
    editor.key(Qt.Key.Key_Tab)
    assert editor.view.selected().id == spans[1].id
    editor.key(Qt.Key.Key_Backtab, SHIFT)
    assert editor.view.selected().id == spans[0].id
    editor.key(Qt.Key.Key_Backtab, SHIFT)  # wraps around
    assert editor.view.selected().id == spans[2].id


def test_delete_removes_the_span_with_its_relations_and_undo_restores_both(
    editor: Editor,
) -> None:
    head = Span(doc_id=editor.doc_id, start=0, end=10, label="PER")
    child = Span(doc_id=editor.doc_id, start=21, end=30, label="ORG")
    editor.project.add_spans([head, child])
    relation = Relation(doc_id=editor.doc_id, head=head.id, child=child.id, label="works_for")
    editor.project.add_relations([relation])
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.view.select(head.id)
    editor.key(Qt.Key.Key_Delete)
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]
    assert editor.relations() == []
    assert editor.view.selected().id == child.id  # the next item stays selected
    editor.session.undo_stack.undo()
    assert len(editor.spans()) == 2
    assert editor.relations() == [relation]


def test_shift_arrows_move_the_end_and_ctrl_shift_arrows_the_start(editor: Editor) -> None:
    span = Span(doc_id=editor.doc_id, start=21, end=30, label="ORG")
    editor.project.add_spans([span])
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.view.select(span.id)
    editor.key(Qt.Key.Key_Right, SHIFT)
    assert _offsets(editor.spans()) == [(21, 33, "ORG")]
    editor.key(Qt.Key.Key_Left, SHIFT)
    editor.key(Qt.Key.Key_Left, SHIFT)  # cannot shrink below one token
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]
    editor.key(Qt.Key.Key_Left, CTRL_SHIFT)
    assert _offsets(editor.spans()) == [(17, 30, "ORG")]
    editor.key(Qt.Key.Key_Right, CTRL_SHIFT)
    editor.key(Qt.Key.Key_Right, CTRL_SHIFT)
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]
    assert editor.view.selected().id == span.id
    editor.session.undo_stack.undo()
    assert _offsets(editor.spans()) == [(17, 30, "ORG")]


def test_a_span_is_made_by_keyboard_alone(editor: Editor) -> None:
    editor.key(Qt.Key.Key_Right)  # the first token
    assert editor.view.text_selection() == (0, 4)
    editor.key(Qt.Key.Key_Right, SHIFT)  # extend to the next token
    assert editor.view.text_selection() == (0, 10)
    editor.key("1")
    editor.key(Qt.Key.Key_Right)  # the token after the new span
    assert editor.view.text_selection() == (11, 16)
    editor.key(Qt.Key.Key_Right)
    editor.key(Qt.Key.Key_Right)
    editor.key("2")
    assert _offsets(editor.spans()) == [(0, 10, "PER"), (21, 30, "ORG")]


def test_escape_clears_the_text_selection_then_the_selection(editor: Editor) -> None:
    editor.drag(0, 3)
    editor.key(Qt.Key.Key_Escape)
    assert editor.view.text_selection() is None
    editor.key("1")
    assert editor.spans() == []


def test_apply_label_is_what_a_palette_click_does(editor: Editor) -> None:
    editor.drag(34, 40)
    editor.view.apply_label("LOC")
    [span] = editor.spans()
    assert (span.start, span.end, span.label) == (34, 41, "LOC")
    editor.view.apply_label("MISC")
    assert _offsets(editor.spans()) == [(34, 41, "MISC")]
    editor.view.apply_label("NOT_A_LABEL")
    assert _offsets(editor.spans()) == [(34, 41, "MISC")]


@pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_WARNINGS)
def test_space_opens_a_label_popup_whose_key_picks_the_label(editor: Editor, qtbot) -> None:
    editor.drag(0, 9)
    with qtbot.waitSignal(editor.view.label_requested):
        editor.key(Qt.Key.Key_Space)
    menu = editor.view.label_menu()
    assert menu is not None
    names = [a.data() for a in menu.actions() if a.data()]
    assert names == ["PER", "ORG", "LOC", "MISC"]
    qtbot.keyClick(menu, "3")
    assert _offsets(editor.spans()) == [(0, 10, "LOC")]


def test_a_refused_edit_leaves_the_view_and_store_unchanged(editor: Editor, qtbot) -> None:
    head = Span(doc_id=editor.doc_id, start=0, end=10, label="PER")
    child = Span(doc_id=editor.doc_id, start=21, end=30, label="ORG")
    editor.project.add_spans([head, child])
    editor.project.add_relations(
        [Relation(doc_id=editor.doc_id, head=head.id, child=child.id, label="works_for")]
    )
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.view.select(head.id)
    with qtbot.waitSignal(editor.session.edit_failed):
        editor.key("3")  # LOC: works_for does not allow LOC -> ORG, the store refuses
    assert _offsets(editor.spans()) == [(0, 10, "PER"), (21, 30, "ORG")]
    assert editor.view.selected() == head
    assert editor.session.undo_stack.count() == 0


def test_shortcuts_do_nothing_without_focus_in_the_view(editor: Editor, qtbot) -> None:
    from PySide6.QtWidgets import QLineEdit

    span = Span(doc_id=editor.doc_id, start=0, end=4, label="PER")
    editor.project.add_spans([span])
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.view.select(span.id)
    other = QLineEdit()
    qtbot.addWidget(other)
    other.show()
    other.setFocus()
    qtbot.keyClick(other, Qt.Key.Key_Delete)
    assert len(editor.spans()) == 1


def test_every_action_has_a_shortcut_and_a_tip(editor: Editor) -> None:
    actions = editor.view.actions()
    assert len(actions) >= 15
    assert [a.objectName() for a in actions] == [spec.name for spec in ACTION_SPECS]  # menu order
    for action in actions:
        assert action.shortcuts(), action.text()
        assert action.toolTip()
    assert editor.view.action("editor.accept_all").shortcut().toString() == "Shift+A"


def test_double_click_selects_the_token_under_the_pointer(editor: Editor, qtbot) -> None:
    viewport = editor.view.viewport()
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=editor.view.point_for_offset(24))
    assert editor.view.text_selection() == (21, 30)
    editor.key("2")
    assert _offsets(editor.spans()) == [(21, 30, "ORG")]


def test_an_empty_document_opens_and_ignores_keys(qtbot, project: Project) -> None:
    empty, _ = project.add_document(Document(text=""))
    editor = open_editor(qtbot, project, empty)
    editor.view.viewport().repaint()
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Tab, Qt.Key.Key_A, Qt.Key.Key_Delete):
        editor.key(key)
    editor.key("1")
    assert editor.spans() == []
    assert editor.view.scroll_position() == 0


def test_a_read_only_project_refuses_edits_without_crashing(
    qtbot, project: Project, doc_id: int
) -> None:
    path = project.path
    project.close()
    with Project.open(path, read_only=True) as read_only:
        editor = open_editor(qtbot, read_only, doc_id)
        editor.drag(0, 8)
        with qtbot.waitSignal(editor.session.edit_failed) as signal:
            editor.key("1")
        assert "read-only" in signal.args[0]
        assert editor.spans() == []
        assert editor.view.text_selection() == (0, 10)  # kept, nothing else changed


@pytest.mark.parametrize("change", ['"end" = 400', "start = -3", '"end" = start'])
def test_a_span_outside_the_text_can_be_reached_and_deleted(editor: Editor, change: str) -> None:
    """What an export that refuses such a span (from a crafted file) tells the user to do."""
    outside = Span(doc_id=editor.doc_id, start=21, end=30, label="ORG")
    editor.project.add_spans([outside])
    editor.project.db.execute(f"UPDATE spans SET {change} WHERE id = ?", [outside.id])
    editor.project.db.commit()
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.key(Qt.Key.Key_Tab)
    assert editor.view.selected().id == outside.id
    editor.key(Qt.Key.Key_Delete)
    assert editor.spans() == []


def test_an_empty_span_from_a_crafted_file_is_deleted_and_not_put_back_by_undo(
    editor: Editor, qtbot, tmp_path
) -> None:
    """Deleting it raised the model's own check (start before end) as the edit was made. Its
    undo is refused as the store refuses any such span, and the step leaves the stack; the
    edit log's entries for it do not stop a later export that reads the decisions."""
    from annotator.services.exporting import export_project

    empty = Span(doc_id=editor.doc_id, start=21, end=30, label="ORG")
    editor.project.add_spans([empty])
    editor.project.db.execute('UPDATE spans SET "end" = start WHERE id = ?', [empty.id])
    editor.project.db.commit()
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.key(Qt.Key.Key_Tab)
    editor.key(Qt.Key.Key_Delete)
    assert editor.spans() == []
    with qtbot.waitSignal(editor.session.edit_failed) as failed:
        editor.session.undo_stack.undo()
    assert failed.args == [
        "span [21, 21) of document 1 needs two integer offsets, the start before the end, "
        "within its text (42 characters)"
    ]
    assert editor.spans() == [] and editor.session.undo_stack.count() == 0
    report = export_project(editor.project, "spacy", tmp_path / "out", status="all")
    assert report.documents == 1
