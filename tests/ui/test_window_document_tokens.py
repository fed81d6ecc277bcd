"""A document an import left without tokens opens at once; its tokens are made in a worker,
and its edits wait for them (the first opening after an import held the window for seconds
while spaCy's French tokenizer loaded on the UI thread)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.errors import TokensMissingError
from annotator.model import Span
from annotator.services import tokenizing
from annotator.services.importing import import_sources
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)

TEXT = "Jean Moulin est né à Béziers en 1899."


def _imported(tmp_path: Path) -> Path:
    """A project whose one imported text has no tokens yet, and a suggestion on "Béziers"."""
    source = tmp_path / "a.txt"
    source.write_text(TEXT, "utf-8")
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        import_sources(project, [source])
        project.add_spans([Span(doc_id=1, start=21, end=28, label="LOC", status="suggested")])
        with pytest.raises(TokensMissingError):
            project.tokens(1)
    return path


def test_a_document_without_tokens_opens_before_they_are_made_and_holds_its_edits(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    ensure_tokens = tokenizing.ensure_tokens

    def slow(project, doc_ids=None, **options):  # as spaCy's first load, until released
        release.wait(30)
        return ensure_tokens(project, doc_ids, **options)

    monkeypatch.setattr(tokenizing, "ensure_tokens", slow)
    window = open_window(qtbot, launcher, _imported(tmp_path))  # does not wait for the tokens
    view, project = window.view, window.session.project
    assert view.doc_id() == 1 and view.tokens_pending()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert "tokens are still being made; nothing was changed" in window.statusBar().currentMessage()
    assert [s.status for s in project.spans(1)] == ["suggested"]
    release.set()
    qtbot.waitUntil(lambda: not view.tokens_pending(), timeout=30_000)
    assert project.tokens(1)[:2] == ((0, 4), (5, 11))
    assert view.selected() is not None, window.statusBar().currentMessage()
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert [s.status for s in project.spans(1)] == ["accepted"]
