"""User data is shown as the characters it holds, never rendered as HTML (issue 13, markup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QHelpEvent, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QApplication, QLabel, QToolTip
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.model import Document, Span
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)

PROJECT_NAME = "<img src=red.png><b>bold.annotator"
TEXT = "<b>Acme</b> & <i>Bob</i> signent."
ORIGIN = "pattern:<b>bold</b>.jsonl"


def shown(text: str, text_format: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What Qt shows for ``text``: rich text when the format (or Qt's guess) says so."""
    rich = text_format == Qt.TextFormat.RichText or (
        text_format == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


@pytest.fixture
def markup_project(tmp_path: Path) -> Path:
    path = tmp_path / PROJECT_NAME
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text=TEXT, tokens=((0, 11), (12, 13), (14, 24))))
        project.insert_span(
            Span(doc_id=doc_id, start=3, end=7, label="ORG", status="suggested", origin=ORIGIN)
        )
    return path


def test_status_bar_shows_the_project_name_literally(qtbot, launcher, markup_project) -> None:
    window = open_window(qtbot, launcher, markup_project)
    label = window.status.project_label
    assert shown(label.text(), label.textFormat()) == PROJECT_NAME
    assert shown(label.toolTip()) == str(markup_project)


def test_every_label_in_the_window_shows_user_text_literally(
    qtbot, launcher, markup_project
) -> None:
    window = open_window(qtbot, launcher, markup_project)
    window.view.select(window.session.project.spans(1)[0].id)
    for label in window.findChildren(QLabel):  # those showing the project's name or text
        for user_data in ("<img src=red.png>", "<b>Acme</b>"):
            if user_data in label.text():
                assert user_data in shown(label.text(), label.textFormat()), label.objectName()


def test_document_list_tooltip_shows_the_text_literally(qtbot, launcher, markup_project) -> None:
    window = open_window(qtbot, launcher, markup_project)
    model = window.document_list.model
    tip = model.data(model.index(0, model.TITLE, QModelIndex()), Qt.ItemDataRole.ToolTipRole)
    assert "<b>Acme</b> & <i>Bob</i>" in shown(tip)


def test_span_hover_tooltip_shows_the_text_literally(qtbot, launcher, markup_project) -> None:
    window = open_window(qtbot, launcher, markup_project)
    view = window.view
    point = view.point_for_offset(4)
    event = QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(lambda: QToolTip.isVisible())
    assert ORIGIN in shown(QToolTip.text())
