"""The view's editing commands as ``QAction``s: one table gives the menus, the help overlay and
the shortcuts. Shortcuts are active only while the view (or its viewport) has the focus, so
Delete or Enter typed in another widget never edits annotations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str  # objectName, e.g. "editor.accept"
    text: str
    keys: tuple[str, ...]
    tip: str


ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "editor.accept",
        "&Accept suggestion",
        ("Return", "Enter", "A"),
        "Accept the selected suggestion (in relation mode: pick the child span)",
    ),
    ActionSpec(
        "editor.reject",
        "&Reject suggestion",
        ("Backspace", "X"),
        "Reject the selected suggestion; it is hidden (undo brings it back)",
    ),
    ActionSpec(
        "editor.accept_all",
        "Accept a&ll suggestions",
        ("Shift+A",),
        "Accept every remaining suggestion of this document as one undo step",
    ),
    ActionSpec(
        "editor.delete",
        "&Delete span or relation",
        ("Delete",),
        "Delete the selected span (with its relations) or relation",
    ),
    ActionSpec(
        "editor.new_relation",
        "New r&elation from span",
        ("R",),
        "Start a relation at the selected span, then pick the child and its label",
    ),
    ActionSpec(
        "editor.choose_label",
        "Choose label\u2026",
        ("Space",),
        "Pick a label from a list for the selection",
    ),
    ActionSpec(
        "editor.end_right",
        "Move span end right",
        ("Shift+Right",),
        "Move the end of the selected span (or text selection) one token right",
    ),
    ActionSpec(
        "editor.end_left",
        "Move span end left",
        ("Shift+Left",),
        "Move the end of the selected span (or text selection) one token left",
    ),
    ActionSpec(
        "editor.start_left",
        "Move span start left",
        ("Ctrl+Shift+Left",),
        "Move the start of the selected span (or text selection) one token left",
    ),
    ActionSpec(
        "editor.start_right",
        "Move span start right",
        ("Ctrl+Shift+Right",),
        "Move the start of the selected span (or text selection) one token right",
    ),
    ActionSpec(
        "editor.next_item",
        "Select next span or relation",
        ("Tab",),
        "Select the next span, then the relations (in relation mode: next child)",
    ),
    ActionSpec(
        "editor.previous_item",
        "Select previous span or relation",
        ("Shift+Tab",),
        "Select the previous span or relation (in relation mode: previous child)",
    ),
    ActionSpec(
        "editor.next_token",
        "Select next token",
        ("Right",),
        "Select the token after the selection, to make a span by keyboard",
    ),
    ActionSpec(
        "editor.previous_token",
        "Select previous token",
        ("Left",),
        "Select the token before the selection",
    ),
    ActionSpec(
        "editor.cancel",
        "Cancel",
        ("Escape",),
        "Cancel relation mode, then the text selection, then the selection",
    ),
)


def build_actions(view: QWidget, handlers: dict[str, Callable[[], None]]) -> None:
    """Make the actions, attach them to ``view`` (its ``actions()``, in this order; found by
    name with ``findChild``) and connect each to its handler."""
    for spec in ACTION_SPECS:
        action = QAction(spec.text, view)
        action.setObjectName(spec.name)
        action.setShortcuts([QKeySequence(key) for key in spec.keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(spec.tip)
        action.setStatusTip(spec.tip)
        action.triggered.connect(handlers[spec.name])
        view.addAction(action)
