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

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
ALT = Qt.KeyboardModifier.AltModifier


def test_a_damaged_page_read_in_the_window_is_one_message_naming_the_file(
    qtbot, launcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project_with_a_damaged_page(tmp_path / "pool.annotator", last_document=140)
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
