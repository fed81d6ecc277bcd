"""Making, selecting, relabelling and deleting relations in the document view."""

from __future__ import annotations

import pytest
from editor_support import OFFSCREEN_POPUP_WARNINGS, Editor, open_editor
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from annotator.model import Relation, Span
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_WARNINGS)


@pytest.fixture
def spans(project: Project, doc_id: int) -> list[Span]:
    made = [
        Span(doc_id=doc_id, start=0, end=10, label="PER"),
        Span(doc_id=doc_id, start=21, end=30, label="ORG"),
        Span(doc_id=doc_id, start=34, end=41, label="LOC"),
    ]
    project.add_spans(made)
    return made


@pytest.fixture
def editor(qtbot, project: Project, doc_id: int, spans: list[Span]) -> Editor:
    return open_editor(qtbot, project, doc_id)


def _menu_labels(editor: Editor) -> list[str]:
    menu = editor.view.label_menu()
    assert menu is not None, "the label popup is not open"
    return [a.data() for a in menu.actions() if a.data()]


def test_r_then_tab_and_enter_pick_the_child_then_a_key_picks_the_label(
    editor: Editor, spans: list[Span], qtbot
) -> None:
    editor.view.select(spans[0].id)
    editor.key(Qt.Key.Key_R)
    assert editor.view.mode().value == "pick_child"
    editor.key(Qt.Key.Key_Tab)  # the first candidate is the next span (ORG): Tab moves to LOC
    editor.key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)  # back to ORG
    editor.key(Qt.Key.Key_Return)
    assert _menu_labels(editor) == ["works_for", "member_of"]  # only what PER -> ORG allows
    qtbot.keyClick(editor.view.label_menu(), "m")
    [relation] = editor.relations()
    assert (relation.head, relation.child, relation.label, relation.status) == (
        spans[0].id,
        spans[1].id,
        "member_of",
        "accepted",
    )
    assert editor.view.selected() == relation
    editor.session.undo_stack.undo()
    assert editor.relations() == []


def test_r_then_a_click_picks_the_child(editor: Editor, spans: list[Span], qtbot) -> None:
    editor.view.select(spans[1].id)  # ORG
    editor.key(Qt.Key.Key_R)
    editor.click_offset(36)  # Redmond (LOC)
    assert _menu_labels(editor) == ["located_in"]
    qtbot.keyClick(editor.view.label_menu(), Qt.Key.Key_Return)
    [relation] = editor.relations()
    assert (relation.head, relation.child, relation.label) == (
        spans[1].id,
        spans[2].id,
        "located_in",
    )


def test_escape_cancels_relation_mode(editor: Editor, spans: list[Span]) -> None:
    editor.view.select(spans[0].id)
    editor.key(Qt.Key.Key_R)
    editor.key(Qt.Key.Key_Escape)
    assert editor.view.mode().value == "normal"
    editor.key(Qt.Key.Key_Return)
    assert editor.relations() == []
    assert editor.view.label_menu() is None


def test_a_pair_no_label_allows_is_refused_with_a_message(
    editor: Editor, spans: list[Span], qtbot
) -> None:
    editor.view.select(spans[2].id)  # LOC -> PER: nothing allows it
    editor.key(Qt.Key.Key_R)
    with qtbot.waitSignal(editor.session.edit_failed) as signal:
        editor.click_offset(2)
    assert "LOC" in signal.args[0]
    assert editor.view.label_menu() is None
    assert editor.relations() == []


def test_dragging_from_a_span_tag_to_another_span_makes_a_relation(
    editor: Editor, spans: list[Span], qtbot
) -> None:
    start = editor.view.point_for_item(spans[0].id)  # the PER tag
    editor.drag_points(start, editor.view.point_for_offset(25))
    assert editor.view.text_selection() is None
    assert _menu_labels(editor) == ["works_for", "member_of"]
    qtbot.keyClick(editor.view.label_menu(), "w")
    assert [(r.head, r.child, r.label) for r in editor.relations()] == [
        (spans[0].id, spans[1].id, "works_for")
    ]


def test_ctrl_drag_from_span_text_makes_a_relation(
    editor: Editor, spans: list[Span], qtbot
) -> None:
    viewport = editor.view.viewport()
    start = editor.view.point_for_offset(3)
    end = editor.view.point_for_offset(36)
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, ctrl, start)
    qtbot.mouseMove(viewport, end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, ctrl, end)
    assert _menu_labels(editor) == ["located_in"]


def test_a_relation_is_selected_by_clicking_its_arc_then_relabelled_and_deleted(
    editor: Editor, project: Project, spans: list[Span], qtbot
) -> None:
    relation = Relation(
        doc_id=editor.doc_id, head=spans[0].id, child=spans[1].id, label="works_for"
    )
    project.add_relations([relation])
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.view.viewport().repaint()
    with qtbot.waitSignal(editor.view.selection_changed) as signal:
        editor.click(editor.view.point_for_item(relation.id))
    assert signal.args[0] == relation
    editor.key("m")  # a relation label key relabels the selected relation
    assert [r.label for r in editor.relations()] == ["member_of"]
    assert editor.view.selected().id == relation.id
    editor.key("l")  # located_in does not allow PER -> ORG: refused, nothing changes
    assert [r.label for r in editor.relations()] == ["member_of"]
    editor.key(Qt.Key.Key_Delete)
    assert editor.relations() == []
    assert len(editor.spans()) == 3
    editor.session.undo_stack.undo()
    assert [r.label for r in editor.relations()] == ["member_of"]


def test_relations_follow_spans_in_tab_order(
    editor: Editor, project: Project, spans: list[Span]
) -> None:
    relation = Relation(
        doc_id=editor.doc_id, head=spans[1].id, child=spans[2].id, label="located_in"
    )
    project.add_relations([relation])
    editor.session.annotations_changed.emit(editor.doc_id)
    order = []
    for _ in range(4):
        editor.key(Qt.Key.Key_Tab)
        order.append(editor.view.selected().id)
    assert order == [spans[0].id, spans[1].id, spans[2].id, relation.id]


def test_space_on_a_relation_offers_only_its_allowed_labels(
    editor: Editor, project: Project, spans: list[Span], qtbot
) -> None:
    relation = Relation(
        doc_id=editor.doc_id, head=spans[0].id, child=spans[1].id, label="works_for"
    )
    project.add_relations([relation])
    editor.session.annotations_changed.emit(editor.doc_id)
    editor.view.select(relation.id)
    editor.key(Qt.Key.Key_Space)
    assert _menu_labels(editor) == ["works_for", "member_of"]
    qtbot.keyClick(editor.view.label_menu(), "m")
    assert [r.label for r in editor.relations()] == ["member_of"]


def test_tab_in_relation_mode_visits_only_children_the_schema_allows(
    editor: Editor, spans: list[Span], qtbot
) -> None:
    editor.view.select(spans[1].id)  # ORG: ORG -> LOC (located_in) only; ORG -> PER: nothing
    editor.key(Qt.Key.Key_R)
    visited = set()
    for _ in range(3):
        editor.key(Qt.Key.Key_Tab)
        visited.add(editor.view.pick_candidate())
    assert visited == {spans[2].id}


def test_r_on_a_span_no_relation_can_start_from_says_so(
    qtbot, project: Project, doc_id: int
) -> None:
    loc = Span(doc_id=doc_id, start=34, end=41, label="LOC")
    per = Span(doc_id=doc_id, start=0, end=10, label="PER")
    project.add_spans([loc, per])
    editor = open_editor(qtbot, project, doc_id)
    editor.view.select(loc.id)  # LOC -> PER: no label allows it
    with qtbot.waitSignal(editor.session.edit_failed):
        editor.key(Qt.Key.Key_R)
    assert editor.view.mode().value == "normal"


def test_the_relation_mode_banner_hides_no_text(editor: Editor, spans: list[Span]) -> None:
    view = editor.view
    first_line = view.viewport().mapTo(view, view.point_for_offset(2))  # "Brad", the head
    view.select(spans[0].id)
    editor.key(Qt.Key.Key_R)
    banner = view.findChild(QLabel, "editor.mode_banner")
    assert banner is not None and banner.isVisible()
    assert "Enter takes the marked child span" in banner.text()
    head = view.viewport().mapTo(view, view.point_for_offset(2))
    assert not banner.geometry().contains(head)
    assert head.y() >= first_line.y()  # the text moved down, below the banner
    assert banner.geometry().bottom() < view.viewport().geometry().top()
    editor.key(Qt.Key.Key_Escape)
    assert not banner.isVisible()
    assert view.viewport().mapTo(view, view.point_for_offset(2)) == first_line
