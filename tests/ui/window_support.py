"""Helpers for the window's tests: projects with many documents, an open main window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from annotator.model import Document, Span
from annotator.store import Project
from annotator.ui.launcher import Launcher
from annotator.ui.main_window import MainWindow

# The offscreen platform cannot resize a native window to its size hints, and says so.
OFFSCREEN_WINDOW_WARNINGS = "This plugin does not support (propagateSizeHints|raise)"
NO_MODIFIER = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def add_documents(project: Project, count: int, spans_every: int = 3) -> list[int]:
    """``count`` short documents; every ``spans_every``-th gets an accepted PER span and a
    suggested ORG span. Whitespace tokens."""
    ids = []
    with project.transaction():
        for number in range(count):
            text = f"Document {number} : Alice Martin rejoint Acme à Paris."
            tokens = tuple((m_start, m_start + len(word)) for m_start, word in _words(text))
            doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
            ids.append(doc_id)
            if number % spans_every == 0:
                start = text.index("Alice")
                project.insert_span(Span(doc_id=doc_id, start=start, end=start + 12, label="PER"))
                acme = text.index("Acme")
                project.insert_span(
                    Span(
                        doc_id=doc_id,
                        start=acme,
                        end=acme + 4,
                        label="ORG",
                        status="suggested",
                        origin="model:test@1",
                        score=0.8,
                    )
                )
    return ids


def _words(text: str) -> Iterator[tuple[int, str]]:
    position = 0
    for word in text.split(" "):
        yield position, word
        position += len(word) + 1


def open_window(qtbot: QtBot, launcher: Launcher, path: Path) -> MainWindow:
    """Open ``path`` as ``annotator PATH`` would, and wait until the window is shown."""
    assert launcher.open_project(path)
    window = launcher.window
    assert window is not None
    focus_window(qtbot, window)
    return window


def focus_window(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """Wait until ``window`` is shown, active and its document view has the keyboard."""
    qtbot.waitExposed(window)
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    return window


def answer_next_dialog(qtbot: QtBot, *keys: str | Qt.Key, tries: int = 200) -> None:
    """Type ``keys`` into the next modal dialog once it shows: ``exec()`` blocks the test, so
    the keys are sent from the event loop the dialog runs."""

    def press(left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible() or not dialog.isActiveWindow():
            if dialog is not None and dialog.isVisible():
                dialog.activateWindow()  # as the window system would: keys go to the dialog
            if left:
                QTimer.singleShot(10, lambda: press(left - 1))
            return
        for key in keys:
            qtbot.keyClick(dialog, key)
        parent = dialog.parentWidget()
        if parent is not None and not dialog.isVisible():
            parent.window().activateWindow()  # the window system gives the keyboard back

    QTimer.singleShot(0, lambda: press(tries))
