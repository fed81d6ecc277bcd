"""A project without suggestions offers them in a bar over the text: Enter runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_support import CTRL, OFFSCREEN_WINDOW_WARNINGS, answer_next_dialog

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
        texts = [
            f"Article {number} : Alice Martin rejoint Acme à Paris." for number in range(documents)
        ]
        project.add_documents_bulk(
            [Document(text=text, tokens=_whitespace_tokens(text)) for text in texts]
        )
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


def test_the_bar_says_what_works_where_the_keyboard_is(qtbot, launcher, tmp_path) -> None:
    """Enter runs it only while the bar has the keyboard; with the keys in the text it says
    the button and Ctrl+G, which work from there; its count follows the documents done."""
    window = _opened(qtbot, launcher, _fresh_project(tmp_path, documents=1_001))
    bar = window.suggestions_bar
    qtbot.waitUntil(lambda: bar.isAncestorOf(window.focusWidget()))
    assert "Press <b>Enter</b>" in bar.message.text()
    assert "1,001 new documents" in bar.message.text()

    view = window.view
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.viewport().rect().center()
    )
    qtbot.waitUntil(view.hasFocus)
    assert bar.isVisible()
    assert "Enter" not in bar.message.text() and "Enter" not in bar.run_button.text()
    assert "<b>Ctrl+G</b>" in bar.message.text()

    qtbot.keyClick(view, Qt.Key.Key_Return, CTRL)  # document 1 done: one new document fewer
    assert window.session.current_doc_id == 2
    assert "1,000 new documents" in bar.message.text()
    qtbot.waitUntil(
        lambda: window.status.review_label.text().endswith(" 1,000 documents unfinished")
    )
    assert window.document_list.progress.text() == "1 / 1,001 done"

    answer_next_dialog(qtbot, Qt.Key.Key_Return)  # the Suggest dialog, as it opens
    qtbot.keyClick(view, Qt.Key.Key_G, CTRL)  # from the text: what the bar says works
    qtbot.waitUntil(lambda: not window.tasks.busy(), timeout=60_000)
    assert bar.isHidden()
    assert [span.label for span in window.session.project.spans(2)] == ["LOC"]


def test_escape_dismisses_the_bar_and_gives_the_text_the_keys(qtbot, launcher, tmp_path) -> None:
    window = _opened(qtbot, launcher, _fresh_project(tmp_path))
    qtbot.waitUntil(lambda: window.suggestions_bar.isAncestorOf(window.focusWidget()))
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Escape)
    assert window.suggestions_bar.isHidden()
    assert window.view.hasFocus()
    assert not window.tasks.busy()
    qtbot.keyClick(window.view, Qt.Key.Key_Return)  # Enter in the text is no suggestion run
    assert not window.tasks.busy()


def test_enter_on_not_now_dismisses_the_bar_and_runs_nothing(qtbot, launcher, tmp_path) -> None:
    """Tab to "Not now" then Enter started the suggestion run: the bar's Enter ran it
    whichever of its buttons had the keyboard."""
    window = _opened(qtbot, launcher, _fresh_project(tmp_path))
    bar = window.suggestions_bar
    qtbot.waitUntil(lambda: bar.run_button.hasFocus())
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
    assert bar.later_button.hasFocus()
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    assert bar.isHidden()
    assert not window.tasks.busy()
    assert window.session.project.spans(window.session.current_doc_id) == []


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
