"""Documents an import left without tokens: tokenized on open, the rest in the background."""

from __future__ import annotations

from pathlib import Path

import pytest
from editor_support import open_editor
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.io import tokenize
from annotator.services.importing import import_sources
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)

TEXT = "L'équipe de Brad Smith (Microsoft) a dit."  # French tokens: L' équipe de Brad ...


def _import_texts(project: Project, folder: Path, texts: list[str]) -> None:
    folder.mkdir()
    for number, text in enumerate(texts):
        (folder / f"{number:03}.txt").write_text(text, encoding="utf-8")
    import_sources(project, [folder])


def test_opening_an_untokenized_document_snaps_a_new_span_to_its_tokens(
    qtbot, project: Project, tmp_path: Path
) -> None:
    _import_texts(project, tmp_path / "texts", [TEXT])
    assert project.untokenized_ids() == [1]
    editor = open_editor(qtbot, project, 1)
    editor.drag(3, 14)  # from inside "équipe" to inside "Brad"
    assert editor.view.text_selection() == (2, 16)  # "équipe de Brad": after "L'"
    editor.key("1")  # PER
    [span] = editor.spans()
    assert (span.start, span.end, span.label) == (2, 16, "PER")
    assert project.untokenized_ids() == []
    assert project.tokens(1) == next(tokenize.tokenize("fr", [TEXT]))
    assert project.misaligned_span_ids(1) == []


def test_the_window_tokenizes_the_other_documents_in_the_background(
    qtbot, launcher, tmp_path: Path
) -> None:
    path = tmp_path / "lazy.annotator"
    texts = [f"Dépêche {number} : {TEXT}" for number in range(30)]
    with Project.create(path) as project:
        _import_texts(project, tmp_path / "texts", texts)
    window = open_window(qtbot, launcher, path)
    assert window.tokenizer.wait(60_000)
    qtbot.waitUntil(lambda: not window.tokenizer.label.isVisible())
    project = window.session.project
    assert project.untokenized_ids() == []
    assert project.tokens(30) == next(tokenize.tokenize("fr", [texts[29]]))
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.session.current_doc_id == 2  # next document
