"""The text index an import left for later: caught up in the background while the window is
open, the text filter answering the same meanwhile."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.services import indexing
from annotator.services.importing import import_sources
from annotator.store import Project
from annotator.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)

DOCUMENTS = 30
LYON = list(range(1, DOCUMENTS + 1, 3))  # every third text, from the first


def _imported(tmp_path: Path, documents: int = DOCUMENTS) -> Path:
    """A project whose imported texts (every third in Lyon) are not in the index yet."""
    folder = tmp_path / "texts"
    folder.mkdir()
    for number in range(documents):
        city = "Lyon" if number % 3 == 0 else "Paris"
        (folder / f"{number:03}.txt").write_text(f"Dépêche {number} de {city}.", "utf-8")
    path = tmp_path / "imported.annotator"
    with Project.create(path) as project:
        import_sources(project, [folder])
        assert project.count_unindexed() == documents
    return path


def _filter(qtbot, window, text: str) -> list[int]:
    panel = window.document_list
    panel.text_filter.setFocus()
    panel.text_filter.clear()
    qtbot.keyClicks(panel.text_filter, text)
    qtbot.waitUntil(lambda: panel.model.rowCount() < DOCUMENTS)
    qtbot.waitUntil(lambda: not panel.model.is_listing())
    return [panel.model.doc_id_at(row) for row in range(panel.model.rowCount())]


def test_the_window_indexes_an_import_in_the_background(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "BATCH_DOCUMENTS", 7)
    window = open_window(qtbot, launcher, _imported(tmp_path))
    assert window.indexer.wait(60_000)
    qtbot.waitUntil(lambda: not window.indexer.label.isVisible())
    assert window.indexer.label.text() == "Indexing texts 30 / 30"  # what the status bar said
    assert window.session.project.text_index_from() is None
    assert _filter(qtbot, window, "Lyon") == LYON


def test_the_filter_answers_the_same_before_the_index_is_built(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Project, "index_texts", _never)
    window = open_window(qtbot, launcher, _imported(tmp_path))
    assert window.session.project.count_unindexed() == DOCUMENTS
    assert _filter(qtbot, window, "lyon") == LYON


def _never(_project: Project, limit: int | None = None) -> int:
    return 0


def test_closing_the_window_stops_the_pass_and_the_next_opening_resumes_it(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "BATCH_DOCUMENTS", 5)
    index_texts = Project.index_texts
    calls: list[int] = []
    windows: list[MainWindow] = []

    def slowed(project: Project, limit: int | None = None) -> int:
        calls.append(1)
        if len(calls) == 2:  # the second batch waits until the window closes
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (windows and windows[0].indexer.stopping()):
                time.sleep(0.01)
        return index_texts(project, limit)

    monkeypatch.setattr(Project, "index_texts", slowed)
    path = _imported(tmp_path)
    window = open_window(qtbot, launcher, path)
    windows.append(window)
    qtbot.waitUntil(lambda: len(calls) == 2)
    window.close()  # stops the pass: the batch under way commits, no other starts
    qtbot.waitUntil(lambda: launcher.window is None or not window.isVisible())
    assert len(calls) == 2
    with Project.open(path) as project:
        assert project.count_unindexed() == DOCUMENTS - 10
    monkeypatch.setattr(Project, "index_texts", index_texts)
    window = open_window(qtbot, launcher, path)
    assert window.indexer.wait(60_000)
    assert window.session.project.text_index_from() is None
    assert _filter(qtbot, window, "Lyon") == LYON


def test_an_import_started_while_the_index_catches_up_is_not_refused(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass commits batch after batch on its own connection; an import in the window reads,
    then writes, in one transaction, which SQLite refuses ("database is locked") when another
    connection committed in between. The window stops the pass while the import runs."""
    from annotator.ui import jobs
    from annotator.ui.dialogs import ImportChoice

    monkeypatch.setattr(indexing, "BATCH_DOCUMENTS", 1)
    index_texts = Project.index_texts

    def slowed(project: Project, limit: int | None = None) -> int:
        time.sleep(0.002)  # a long pass of small commits, as a large import leaves
        return index_texts(project, limit)

    monkeypatch.setattr(Project, "index_texts", slowed)
    window = open_window(qtbot, launcher, _imported(tmp_path, 2000))
    assert not window.indexer.wait(100)  # the pass runs
    more = tmp_path / "more"
    more.mkdir()
    for number in range(200):
        (more / f"{number:03}.txt").write_text(f"Brève {number} de Nantes.", "utf-8")
    failures: list[str] = []
    monkeypatch.setattr(jobs, "_show_failure", lambda _w, _t, message: failures.append(message))
    jobs.start_import(window, ImportChoice(sources=[more], format="auto", split="none"))
    qtbot.waitUntil(lambda: not window.tasks.busy(), timeout=60_000)
    assert failures == []
    assert window.session.project.count_documents() == 2000 + 200
    assert window.indexer.wait(60_000)  # started again once the import ended
    assert window.session.project.text_index_from() is None
