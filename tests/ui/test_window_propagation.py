"""The window's propagation searches in a process of its own, never in a thread of the
window's process (whose GIL the keys need), and its answer waits for the keys to rest."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.services import propagation_process, suggesting
from annotator.ui.editor.propagation import KEY_PAUSE_MS


@pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
def test_the_window_searches_in_its_own_process(
    qtbot, launcher, project_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_here(*_arguments: object) -> list:
        raise AssertionError("searched in the window's process")

    monkeypatch.setattr(suggesting, "compute_propagation", not_here)  # this process only
    window = open_window(qtbot, launcher, project_file(30))  # a suggested "Acme" in 10
    failures: list[str] = []
    window.view.propagation().failed.connect(failures.append)
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Alice Martin", accepted
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Acme", suggested
    with qtbot.waitSignal(window.view.propagated, timeout=30_000) as blocker:
        qtbot.keyClick(window.view, Qt.Key.Key_A)  # accept: "Acme" is proposed elsewhere
    assert failures == []
    assert blocker.args == [20]  # the 20 documents without a suggestion there
    assert propagation_process.SHARED.running()
    spans = window.session.project.spans(2)
    assert [(s.label, s.origin, s.status) for s in spans] == [("ORG", "propagation", "suggested")]


@pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
def test_the_answer_is_taken_in_once_the_keys_rest(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file(3))
    runner = window.view.propagation()
    [alice] = window.session.project.spans(1, status="accepted")
    assert runner.search(alice, None)  # "Alice Martin" in documents 2 and 3; process started
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    pressed = time.monotonic()
    found = runner.search(alice, None)  # quick, but its answer waits for the keys to rest
    assert (time.monotonic() - pressed) * 1000 >= KEY_PAUSE_MS - 5
    assert [document.doc_id for document in found] == [2, 3]


@pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
def test_ctrl_q_does_not_wait_for_a_search(qtbot, launcher, tmp_path) -> None:
    """Accepting a word of a 100,000-token document starts a search of seconds; Ctrl+Q right
    then closes at once (it waited for the search: 3.4 s), the accept stored, the search's
    process stopped (the next search starts another)."""
    import re

    from annotator.model import Document, Span
    from annotator.store import Project

    path = tmp_path / "long.annotator"
    text = " ".join(["Alice Martin rejoint Acme à Paris."] * 16_000)  # 112,000 tokens
    tokens = tuple((m.start(), m.end()) for m in re.finditer(r"\S+", text))
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
        acme = text.index("Acme")
        suggestion = Span(
            doc_id=doc_id,
            start=acme,
            end=acme + 4,
            label="ORG",
            status="suggested",
            origin="model:test@1",
        )
        project.insert_span(suggestion)
    window = open_window(qtbot, launcher, path)
    runner = window.view.propagation()
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # the suggested "Acme"
    qtbot.keyClick(window.view, Qt.Key.Key_A)  # accepted: its other mentions are searched
    qtbot.waitUntil(runner.searching)
    started = time.monotonic()
    qtbot.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    closed_in = time.monotonic() - started
    assert launcher.window is None
    assert not propagation_process.SHARED.running()  # abandoned, not waited for
    assert closed_in < 1.0
    with Project.open(path, read_only=True) as project:
        assert project.span(suggestion.id).status == "accepted"
