"""A project file too big for ``quick_check`` on open (a pool of a million documents) opens
even when a page is damaged; the window says so, naming the file, when the page is read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from project_files import project_with_a_damaged_page
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

import annotator.store.project as store_project
import annotator.ui.app as app_module
from annotator.ui.document_list_model import UNREADABLE_TITLE
from annotator.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def _open_damaged(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, MainWindow, list[str], list[str]]:
    """The window on a file too big to be checked on opening, with a damaged page (documents
    151 and 152), at document 140; the messages the window would show in a dialog, and the
    unexpected errors it would show."""
    path = project_with_a_damaged_page(tmp_path / "pool.annotator", last_document=140)
    monkeypatch.setattr(store_project, "QUICK_CHECK_MAX_BYTES", path.stat().st_size - 1)
    shown: list[str] = []
    unexpected: list[str] = []
    monkeypatch.setattr(app_module, "warn", lambda _parent, _title, text: shown.append(text))
    monkeypatch.setattr(app_module, "critical", lambda _p, _t, text: unexpected.append(text))
    monkeypatch.setattr(sys, "excepthook", app_module.show_unexpected)  # as run_gui does
    return path, open_window(qtbot, launcher, path), shown, unexpected


def test_a_damaged_page_read_in_the_window_is_one_message_naming_the_file(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, window, shown, unexpected = _open_damaged(qtbot, launcher, tmp_path, monkeypatch)
    assert window.session.current_doc_id == 140
    for _ in range(12):  # up to 152: past the damaged page
        qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)
    expected = f"{path}: the project file cannot be used: database disk image is malformed"
    assert shown and not unexpected
    assert set(shown) == {expected}
    assert window.isVisible()


def test_a_damaged_page_in_the_document_list_is_reported_once_and_the_list_stays_usable(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, window, shown, unexpected = _open_damaged(qtbot, launcher, tmp_path, monkeypatch)
    table = window.document_list.table
    model = window.document_list.model
    expected = f"{path}: the project file cannot be used: database disk image is malformed"

    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_End, CTRL)  # the last rows share a page with the damaged one
    qtbot.waitUntil(lambda: window.status.currentMessage() == expected)
    window.status.clearMessage()
    for _ in range(4):  # each paint of those rows: no new message, no dialog
        qtbot.keyClick(table, Qt.Key.Key_Home, CTRL)
        qtbot.keyClick(table, Qt.Key.Key_End, CTRL)
        qtbot.wait(20)
    assert window.status.currentMessage() == ""
    assert shown == unexpected == []  # no dialog

    def title(doc_id: int) -> str:
        row = model.row_of(doc_id)
        assert row is not None
        return str(model.index(row, model.TITLE).data())

    assert title(151) == title(152) == UNREADABLE_TITLE  # the rows on the damaged page
    assert title(150).startswith("texte numéro 0149")  # its neighbours are read
    assert title(153).startswith("texte numéro 0152")
    assert window.session.current_doc_id == 200  # Ctrl+End opened the last document
    assert window.isVisible()
