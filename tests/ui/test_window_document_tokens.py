"""A document an import left without tokens opens at once; its tokens are made in a worker.
A gesture that needs them sooner waits for them and is then made, never refused (the first
opening after an import held the window for seconds while spaCy's French tokenizer loaded
on the UI thread)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, focus_window, open_window

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


@pytest.fixture
def held_worker(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The worker makes the tokens (``ensure_tokens``; read-only, ``made_tokens``) only once
    the event is set, as spaCy's first load would make it wait."""
    release = threading.Event()
    for name in ("ensure_tokens", "made_tokens"):
        real = getattr(tokenizing, name)

        def slow(project, doc_ids=None, real=real, **options):
            if threading.current_thread() is not threading.main_thread():
                release.wait(30)
            return real(project, doc_ids, **options)

        monkeypatch.setattr(tokenizing, name, slow)
    return release


def _opened(qtbot, launcher, path: Path, read_only: bool):
    if not read_only:
        return open_window(qtbot, launcher, path)
    assert launcher.open_project(path, read_only=True)
    window = launcher.window
    assert window is not None and window.session.project.read_only
    return focus_window(qtbot, window)


@pytest.mark.parametrize("read_only", [False, True])
def test_the_document_opens_before_its_tokens_are_made(
    qtbot, launcher, tmp_path: Path, held_worker: threading.Event, read_only: bool
) -> None:
    """Read-only, the window made them on the UI thread: seconds the first time, while spaCy's
    tokenizer loaded. Its worker makes them now, and the window keeps them in memory: the file
    is not written."""
    path = _imported(tmp_path)
    window = _opened(qtbot, launcher, path, read_only)
    view, project = window.view, window.session.project
    assert view.doc_id() == 1 and view.tokens_pending()
    held_worker.set()
    qtbot.waitUntil(lambda: not view.tokens_pending(), timeout=30_000)
    assert project.tokens(1)[:2] == ((0, 4), (5, 11))
    if read_only:
        with Project.open(path, read_only=True) as reopened, pytest.raises(TokensMissingError):
            reopened.tokens(1)


@pytest.mark.parametrize("read_only", [False, True])
def test_a_key_pressed_before_the_tokens_land_waits_for_them_and_is_made(
    qtbot, launcher, tmp_path: Path, held_worker: threading.Event, read_only: bool
) -> None:
    """The key waits before its edit is built: an edit built from the spans as they were
    before the tokens set their alignment flags was refused now and then, as changed
    meanwhile (seen once in a clean clone under load). Read-only, the edit is then refused."""
    window = _opened(qtbot, launcher, _imported(tmp_path), read_only)
    view, project = window.view, window.session.project
    assert view.tokens_pending()
    threading.Timer(0.3, held_worker.set).start()  # the UI thread waits in the key
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert not view.tokens_pending() and view.selected() is not None
    qtbot.keyClick(view, Qt.Key.Key_A)
    status = "suggested" if read_only else "accepted"
    assert [s.status for s in project.spans(1)] == [status], window.statusBar().currentMessage()
    assert project.tokens(1)[:2] == ((0, 4), (5, 11))


def test_closing_while_the_tokens_are_made_waits_and_reports_nothing_late(
    qtbot, launcher, tmp_path: Path, held_worker: threading.Event
) -> None:
    """The worker's signal, queued while the window closed, used to reach a closed project:
    a modal error box, and Ctrl+Q did not quit."""
    window = open_window(qtbot, launcher, _imported(tmp_path))
    assert window.view.tokens_pending()
    threading.Timer(0.3, held_worker.set).start()
    window.close()
    qtbot.wait(200)  # the queued signals are delivered (an error would fail the test)
    with Project.open(tmp_path / "p.annotator", read_only=True) as project:
        assert project.tokens(1)[:2] == ((0, 4), (5, 11))


def test_when_the_worker_fails_the_view_makes_the_tokens_itself(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_tokens = tokenizing.ensure_tokens

    def locked_in_worker(project, doc_ids=None, **options):
        if threading.current_thread() is not threading.main_thread():
            raise sqlite3.OperationalError("database is locked")
        return ensure_tokens(project, doc_ids, **options)

    monkeypatch.setattr(tokenizing, "ensure_tokens", locked_in_worker)
    window = open_window(qtbot, launcher, _imported(tmp_path))
    view, project = window.view, window.session.project
    qtbot.waitUntil(lambda: "could not be made" in window.statusBar().currentMessage())
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert [s.status for s in project.spans(1)] == ["accepted"]
    assert project.tokens(1)[:2] == ((0, 4), (5, 11))


def test_ctrl_q_does_not_wait_for_the_tokenizer_to_load(
    qtbot, launcher, tmp_path, monkeypatch
) -> None:
    """Opened just after an import, the window loads spaCy's tokenizer in the background;
    Ctrl+Q then closes at once (it waited for the load: 2.6 s for French the first time), and
    the workers stop once it is loaded, without touching the project."""
    from annotator.services.importing import import_into_file
    from annotator.ui.background_pass import wait_for_detached

    loaded = threading.Event()  # the load lasts until the test says (or 3 s): not a race
    timer = threading.Timer(3.0, loaded.set)
    timer.start()
    real_load = tokenizing.load_tokenizer

    def slow_load(lang: str) -> None:
        loaded.wait()
        real_load(lang)

    monkeypatch.setattr(tokenizing, "load_tokenizer", slow_load)
    source = tmp_path / "a.txt"
    source.write_text(TEXT, "utf-8")
    path = tmp_path / "imported.annotator"
    import_into_file(path, [source])
    window = open_window(qtbot, launcher, path)
    qtbot.waitUntil(window.tokenizer._preparing.is_set)  # loading, in its worker
    qtbot.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert launcher.window is None
    assert not loaded.is_set()  # closed before the load ended (it waited for it: 3 s)
    loaded.set()
    timer.cancel()
    wait_for_detached()  # as the program does before it exits
    with Project.open(path, read_only=True) as project:
        assert project.has_untokenized()  # the workers stopped before they touched it
