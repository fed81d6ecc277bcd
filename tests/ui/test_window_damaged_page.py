"""A project file too big for ``quick_check`` on open (a pool of a million documents) opens
even when a page is damaged; the window says so, naming the file, when the page is read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

import annotator.store.project as store_project
import annotator.ui.app as app_module
from annotator.model import Document
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
PAGE = 4096
ALT = Qt.KeyboardModifier.AltModifier


def test_a_damaged_page_read_in_the_window_is_one_message_naming_the_file(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pool.annotator"
    with Project.create(path) as project:
        for n in range(200):
            project.add_document(Document(text=f"texte numéro {n:04d} " * 100))
        project.set_state("last_document", 140)
        project.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = data.index("texte numéro 0150".encode()) // PAGE  # document 151
    data[page * PAGE : (page + 1) * PAGE] = b"\xff" * PAGE
    path.write_bytes(bytes(data))
    monkeypatch.setattr(store_project, "QUICK_CHECK_MAX_BYTES", path.stat().st_size - 1)
    shown: list[str] = []
    unexpected: list[str] = []
    monkeypatch.setattr(app_module, "warn", lambda _parent, _title, text: shown.append(text))
    monkeypatch.setattr(app_module, "critical", lambda _p, _t, text: unexpected.append(text))
    monkeypatch.setattr(sys, "excepthook", app_module.show_unexpected)  # as run_gui does
    window = open_window(qtbot, launcher, path)
    assert window.session.current_doc_id == 140
    # the document list would read the page too, at each paint (one message each): not shown
    window.documents_dock.hide()
    for _ in range(12):  # up to 152: past the damaged page
        qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)
    expected = f"{path}: the project file cannot be used: database disk image is malformed"
    assert shown and not unexpected
    assert set(shown) == {expected}
    assert window.isVisible()
