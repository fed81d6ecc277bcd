"""The main window's menus, actions and shortcuts, and its help overlay."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from window_support import CTRL, OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.ui.launcher import Launcher

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


def _menu_titles(window) -> list[str]:
    return [action.text().replace("&", "") for action in window.menuBar().actions()]


def _shortcut(window, name: str) -> list[str]:
    action = window.actions_.actions[name]
    return [s.toString() for s in action.shortcuts()]


def test_menus_and_their_shortcuts(
    qtbot, launcher: Launcher, project_file: Callable[..., Path]
) -> None:
    window = open_window(qtbot, launcher, project_file())
    assert _menu_titles(window) == ["File", "Edit", "Document", "Suggest", "View", "Help"]
    expected = {
        "new": ["Ctrl+N"],
        "open": ["Ctrl+O"],
        "import": ["Ctrl+I"],
        "export": ["Ctrl+E"],
        "save": ["Ctrl+S"],
        "quit": ["Ctrl+Q"],
        "undo": ["Ctrl+Z"],
        "redo": ["Ctrl+Shift+Z", "Ctrl+Y"],
        "done_next": ["Ctrl+Return", "Ctrl+Enter"],
        "previous": ["Alt+Left", "Ctrl+PgUp"],
        "next": ["Alt+Right", "Ctrl+PgDown"],
        "shortcuts": ["F1", "Ctrl+/"],
    }
    for name, keys in expected.items():
        assert _shortcut(window, name) == keys, name
    for name in ("skip", "suggest_all", "suggest_new", "schema", "about"):
        assert name in window.actions_.actions
    assert window.actions_.recent_menu.title() == "Open &recent"
    # the Edit menu carries the document view's editing actions
    edit_menu = window.actions_.menus[1]
    for action in window.view.actions():
        assert action in edit_menu.actions()


def test_no_two_actions_share_a_shortcut(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file())
    keys = Counter()
    actions = {a for menu in window.actions_.menus for a in menu.actions()}
    for action in actions:
        for sequence in action.shortcuts():
            keys[sequence.toString()] += 1
    assert [key for key, count in keys.items() if count > 1] == []


def test_ctrl_s_is_harmless_and_says_all_is_saved(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file())
    qtbot.keyClick(window.view, Qt.Key.Key_S, CTRL)
    assert "All changes are saved" in window.statusBar().currentMessage()


def test_help_overlay_lists_every_shortcut(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file())
    qtbot.keyClick(window.view, Qt.Key.Key_F1)
    overlay = window.help_overlay
    assert overlay.isVisible()
    listed = {keys for _, keys, _ in overlay.rows}
    every_action = {a for menu in window.actions_.menus for a in menu.actions()}
    for action in every_action:
        if action.shortcuts() and action.isVisible():  # not Reopen for writing: writable
            native = [
                s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()
            ]
            assert " / ".join(native) in listed, action.text()
    assert ("Labels", "1", "Label PER") in overlay.rows
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()


def test_a_narrow_overlay_shows_whole_shortcuts_not_cut_ones(qtbot) -> None:
    """At 800 pixels the overlay cut its keys mid-way: "Ctrl+Return / Ctrl+E…"."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QWidget

    from annotator.ui.help_overlay import fitted_keys

    metrics = QFontMetrics(QWidget().font())
    keys = "Ctrl+Return / Ctrl+Enter"
    assert fitted_keys(keys, metrics, metrics.horizontalAdvance(keys) + 4) == keys
    narrow = metrics.horizontalAdvance("Ctrl+Return / Ctrl+E")
    assert fitted_keys(keys, metrics, narrow) == "Ctrl+Return"
