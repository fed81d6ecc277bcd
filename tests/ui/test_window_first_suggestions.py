"""A project without suggestions offers them in a bar over the text: Enter runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS

from annotator.model import Document, ProjectSettings
from annotator.services import suggesting
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


def _fresh_project(tmp_path: Path, documents: int = 3) -> Path:
    """New documents, never suggested; the project's suggester is a pattern file (no model)."""
    patterns = tmp_path / "places.jsonl"
    patterns.write_text(json.dumps({"label": "LOC", "pattern": "Paris."}) + "\n", encoding="utf-8")
    path = tmp_path / "fresh.annotator"
    settings = ProjectSettings(model="blank", patterns=(str(patterns),))
    with Project.create(path, settings=settings) as project:
        for number in range(documents):
            text = f"Article {number} : Alice Martin rejoint Acme à Paris."
            project.add_document(Document(text=text, tokens=_whitespace_tokens(text)))
    return path


def _whitespace_tokens(text: str) -> tuple[tuple[int, int], ...]:
    tokens, position = [], 0
    for word in text.split(" "):
        tokens.append((position, position + len(word)))
        position += len(word) + 1
    return tuple(tokens)


def _opened(qtbot, launcher, path: Path):
    assert launcher.open_project(path)
    window = launcher.window
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_enter_in_the_bar_runs_the_suggestions_and_they_show(qtbot, launcher, tmp_path) -> None:
    window = _opened(qtbot, launcher, _fresh_project(tmp_path))
    bar = window.suggestions_bar
    assert bar.isVisible()
    assert "No suggestions yet" in bar.message.text() and "3 new documents" in bar.message.text()
    qtbot.waitUntil(lambda: bar.isAncestorOf(window.focusWidget()))  # it has the keyboard
    assert window.view.shown_item_ids() == []

    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.tasks.busy(), timeout=60_000)

    assert bar.isHidden()
    project = window.session.project
    shown = window.view.shown_item_ids()
    assert len(shown) == 1
    (span,) = project.spans(window.session.current_doc_id)
    assert (span.id, span.label, span.status) == (shown[0], "LOC", "suggested")
    assert window.view.hasFocus()  # back to the text: Tab and A work at once


def test_escape_dismisses_the_bar_and_gives_the_text_the_keys(qtbot, launcher, tmp_path) -> None:
    window = _opened(qtbot, launcher, _fresh_project(tmp_path))
    qtbot.waitUntil(lambda: window.suggestions_bar.isAncestorOf(window.focusWidget()))
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Escape)
    assert window.suggestions_bar.isHidden()
    assert window.view.hasFocus()
    assert not window.tasks.busy()
    qtbot.keyClick(window.view, Qt.Key.Key_Return)  # Enter in the text is no suggestion run
    assert not window.tasks.busy()


def test_no_bar_once_suggestions_ran(qtbot, launcher, tmp_path) -> None:
    path = _fresh_project(tmp_path)
    with Project.open(path) as project:
        suggesting.run_suggestions(project, suggesting.SuggestOptions(docs="all"))
    window = _opened(qtbot, launcher, path)
    assert window.suggestions_bar.isHidden()


def test_no_bar_on_a_read_only_project(qtbot, launcher, tmp_path) -> None:
    path = _fresh_project(tmp_path)
    launcher._ask_read_only = lambda _parent, _message: True
    with Project.open(path):  # another writer holds it
        window = _opened(qtbot, launcher, path)
        assert window.session.project.read_only
        assert window.suggestions_bar.isHidden()
        window.close()
