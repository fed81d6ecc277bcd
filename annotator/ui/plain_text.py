"""User data shown as text, never as HTML.

Qt guesses the format of what a label, a tooltip or a message box shows: when
``Qt.mightBeRichText`` says yes, it renders HTML. A project called
``<img src=red.png><b>bold.annotator`` would then show an image, and a document starting with
``<b>`` would lose characters. Everything that shows a name, a text, a label or an error message
goes through this module, so it shows exactly the characters it holds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it literally (Qt's tooltips always guess the format)."""
    if not text:
        return ""
    return GuiQt.convertFromPlainText(text, GuiQt.WhiteSpaceMode.WhiteSpaceNormal)


BREAK_AFTER = ":@_/"  # where an identifier (an origin, a label) may wrap
ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """``text`` with a zero-width space after each ``:``, ``@``, ``_`` and ``/``, for display
    only: a word-wrapped label breaks ``model:fr_core_news_md@3.7.0`` there instead of cutting
    it off at the edge (Qt wraps only at spaces). The full text belongs in the tooltip."""
    for mark in BREAK_AFTER:
        text = text.replace(mark, mark + ZERO_WIDTH_SPACE)
    return text


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that never renders its text as HTML."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    informative: str = "",
    detailed: str = "",
) -> QMessageBox:
    """A message box whose texts are all plain (the window title always is)."""
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if informative:
        # the informative label follows the box's text format only in some Qt versions
        # (6.11 does, and showed the HTML of an escaped text): plain on every one
        box.setInformativeText(informative)
        label = box.findChild(QLabel, "qt_msgbox_informativelabel")
        if label is not None:
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setText(informative)
        else:  # a Qt without that label: rich text that shows ``informative`` as it is
            box.setInformativeText(tooltip(informative))
    if detailed:
        box.setDetailedText(detailed)  # a plain-text edit already
    return box


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A modal warning with ``text`` shown literally."""
    message_box(parent, QMessageBox.Icon.Warning, title, text).exec()


def critical(parent: QWidget | None, title: str, text: str) -> None:
    """A modal error with ``text`` shown literally."""
    message_box(parent, QMessageBox.Icon.Critical, title, text).exec()
