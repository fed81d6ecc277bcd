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
