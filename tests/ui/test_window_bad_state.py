"""A crafted session state (``last_document`` of 1e30) does not stop the window at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from window_support import OFFSCREEN_WINDOW_WARNINGS, add_documents, open_window

from annotator.store import Project
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


@pytest.mark.parametrize("stored", ["1e30", "{not json"])
def test_the_window_opens_the_first_document_when_the_last_one_is_nonsense(
    qtbot, tmp_path: Path, stored: str
) -> None:
    path = tmp_path / "state.annotator"
    with Project.create(path) as project:
        first, _second = add_documents(project, 2)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO state (key, value) VALUES ('last_document', ?)", [stored])
        conn.execute("INSERT INTO state (key, value) VALUES ('scroll_position', 'NaN')")
    conn.close()
    window = open_window(qtbot, Launcher(Preferences()), path)
    try:
        assert window.session.current_doc_id == first
        assert window.view.doc_id() == first
    finally:
        window.close()
