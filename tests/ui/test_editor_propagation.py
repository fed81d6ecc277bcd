"""Propagation from the document view: an accepted span is suggested at its other mentions,
searched in the background and stored on the UI thread."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest
from editor_support import open_editor, suggested_span
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator import edits
from annotator.model import Document, Span
from annotator.services import suggesting
from annotator.services.suggesting import PropagatedDocument
from annotator.store import Project
from annotator.ui.launcher import Launcher

OTHER_TEXT = "Microsoft recrute. Microsoft paie."
OTHER_TOKENS = ((0, 9), (10, 17), (17, 18), (19, 28), (29, 33), (33, 34))


def _described(project: Project, doc_id: int) -> list[tuple[int, int, str, str, str]]:
    return [(s.start, s.end, s.label, s.origin, s.status) for s in project.spans(doc_id)]


def _microsoft_twice(qtbot, project: Project):
    """An editor on "Microsoft" twice, the first a suggestion, selected."""
    text = "Microsoft paie. Microsoft recrute."
    tokens = ((0, 9), (10, 14), (14, 15), (16, 25), (26, 33), (33, 34))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
    project.add_spans([suggested_span(doc_id, 0, 9, "ORG")])
    editor = open_editor(qtbot, project, doc_id)
    editor.click_offset(3)
    return editor


def test_accepting_a_suggestion_proposes_its_string_elsewhere_in_the_document(
    qtbot, project: Project
) -> None:
    editor = _microsoft_twice(qtbot, project)
    with qtbot.waitSignal(editor.view.propagated, timeout=10_000) as signal:
        editor.key(Qt.Key.Key_A)
    assert signal.args == [1]
    assert [(s.start, s.status, s.origin) for s in editor.spans()] == [
        (0, "accepted", "model:fr_core_news_md@3.8.0"),
        (16, "suggested", "propagation"),
    ]
    shown = set(editor.view.shown_item_ids())
    assert {s.id for s in editor.spans()} <= shown  # the new suggestion shows at once


def test_a_created_span_is_propagated_to_other_documents_in_the_background(
    qtbot, project: Project, doc_id: int
) -> None:
    other, _ = project.add_document(Document(text=OTHER_TEXT, tokens=OTHER_TOKENS))
    editor = open_editor(qtbot, project, doc_id)
    editor.drag(21, 29)
    with qtbot.waitSignal(editor.view.propagated, timeout=10_000) as signal:
        editor.key("2")
    assert signal.args == [2]
    assert _described(project, other) == [
        (0, 9, "ORG", "propagation", "suggested"),
        (19, 28, "ORG", "propagation", "suggested"),
    ]


def _write_while_searching(
    monkeypatch: pytest.MonkeyPatch, writer: Project, spans: list[Span]
) -> None:
    """Each search, in the worker, is followed by someone marking one of ``spans``, before the
    UI thread stores what the search found."""
    search = suggesting.compute_propagation

    def search_then_write(
        connection: Project, span: Span, doc_ids: Collection[int] | None = None
    ) -> list[PropagatedDocument]:
        found = search(connection, span, doc_ids)
        if spans:
            writer.apply(edits.add_span(spans.pop(0)))
        return found

    monkeypatch.setattr(suggesting, "compute_propagation", search_then_write)


def test_a_document_changed_while_searched_is_searched_again(
    qtbot, project: Project, doc_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    other, _ = project.add_document(Document(text=OTHER_TEXT, tokens=OTHER_TOKENS))
    far, _ = project.add_document(Document(text="Microsoft.", tokens=((0, 9), (9, 10))))
    editor = open_editor(qtbot, project, doc_id)
    with project.worker_connection() as writer:
        _write_while_searching(
            monkeypatch, writer, [Span(doc_id=other, start=0, end=9, label="ORG")]
        )
        added: list[int] = []
        editor.view.propagated.connect(added.append)
        editor.drag(21, 29)
        editor.key("2")
        qtbot.waitUntil(lambda: len(added) == 2, timeout=10_000)
    assert added == [1, 1]  # "far", then "other" searched again
    assert _described(project, far) == [(0, 9, "ORG", "propagation", "suggested")]
    assert _described(project, other) == [
        (0, 9, "ORG", "human", "accepted"),
        (19, 28, "ORG", "propagation", "suggested"),
    ]


def test_a_document_changed_during_both_searches_keeps_its_state(
    qtbot, project: Project, doc_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found places are stored only in documents whose revision has not moved since."""
    other, _ = project.add_document(Document(text=OTHER_TEXT, tokens=OTHER_TOKENS))
    far, _ = project.add_document(Document(text="Microsoft.", tokens=((0, 9), (9, 10))))
    editor = open_editor(qtbot, project, doc_id)
    marks = [
        Span(doc_id=other, start=0, end=9, label="ORG"),
        Span(doc_id=other, start=19, end=28, label="PER"),
    ]
    runner = editor.view.propagation()
    with project.worker_connection() as writer:
        _write_while_searching(monkeypatch, writer, marks)
        editor.drag(21, 29)
        with qtbot.waitSignal(runner.skipped, timeout=10_000) as skipped:
            editor.key("2")
    assert skipped.args == [1]
    assert not runner.busy()
    assert _described(project, far) == [(0, 9, "ORG", "propagation", "suggested")]
    assert _described(project, other) == [
        (0, 9, "ORG", "human", "accepted"),
        (19, 28, "PER", "human", "accepted"),
    ]


@pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
def test_closing_the_window_right_after_an_accept_raises_nothing(
    qtbot, launcher: Launcher, project_file
) -> None:
    path: Path = project_file(300)
    window = open_window(qtbot, launcher, path)
    runner = window.view.propagation()
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Alice Martin", accepted
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Acme", suggested
    qtbot.keyClick(window.view, Qt.Key.Key_A)  # accept: the search starts
    assert runner.busy()
    window.close()
    qtbot.wait(300)  # whatever the worker queued is delivered now, to a closed project
    assert not runner.busy()
    with Project.open(path) as reopened:  # closed cleanly: the writer lock is free
        accepted = [s for s in reopened.spans(1) if s.status == "accepted"]
        assert [s.label for s in accepted] == ["PER", "ORG"]


def test_wait_searches_and_stores_what_is_queued(qtbot, project: Project, doc_id: int) -> None:
    other, _ = project.add_document(Document(text=OTHER_TEXT, tokens=OTHER_TOKENS))
    editor = open_editor(qtbot, project, doc_id)
    editor.drag(21, 29)
    editor.key("2")
    runner = editor.view.propagation()
    assert runner.wait()
    assert not runner.busy()
    assert [s.origin for s in project.spans(other)] == ["propagation"] * 2


def test_the_search_waits_for_the_keys_to_rest(qtbot, project: Project) -> None:
    """A burst of keys is not slowed by a search in the worker: it starts once they rest."""
    from annotator.ui.editor.propagation import QUIET_MS

    editor = _microsoft_twice(qtbot, project)
    editor.key(Qt.Key.Key_A)
    for _ in range(6):  # keys keep coming, each well inside the quiet time
        qtbot.wait(QUIET_MS // 3)
        editor.key(Qt.Key.Key_Escape)
        assert [s.origin for s in editor.spans()] == ["model:fr_core_news_md@3.8.0"]
    with qtbot.waitSignal(editor.view.propagated, timeout=10_000) as signal:
        pass  # the keys rest: the search runs and its suggestion is stored
    assert signal.args == [1]


def test_rejecting_a_string_more_often_than_accepting_withdraws_its_pending_propagation(
    qtbot, project: Project
) -> None:
    text = "Microsoft paie. Microsoft recrute. Microsoft part."
    tokens = ((0, 9), (10, 14), (14, 15), (16, 25), (26, 33), (33, 34), (35, 44), (45, 49))
    source, _ = project.add_document(Document(text=OTHER_TEXT, tokens=OTHER_TOKENS))
    opened, _ = project.add_document(Document(text=text, tokens=tokens))
    other, _ = project.add_document(Document(text="Et Microsoft.", tokens=((0, 2), (3, 12))))
    project.add_spans(
        [
            Span(doc_id=source, start=start, end=start + 9, label="ORG", status="accepted")
            for start in (0, 19)
        ]
    )
    pending = [
        suggested_span(doc_id, start, start + 9, "ORG").model_copy(update={"origin": "propagation"})
        for doc_id, start in ((opened, 0), (opened, 16), (opened, 35), (other, 3))
    ]
    project.add_spans(pending)
    editor = open_editor(qtbot, project, opened)
    runner = editor.view.propagation()
    editor.view.select(pending[0].id)
    editor.key(Qt.Key.Key_X)  # two for, one against: the others stay
    assert runner.wait()
    assert [s.status for s in editor.spans()] == ["rejected", "suggested", "suggested"]
    editor.view.select(pending[1].id)
    editor.key(Qt.Key.Key_X)  # two for, two against: the pending ones go
    assert runner.wait()
    assert [s.status for s in editor.spans()] == ["rejected", "rejected"]
    assert pending[2].id not in editor.view.shown_item_ids()
    assert project.spans(other) == []
