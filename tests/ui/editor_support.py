"""Helpers for the document view tests: an open view on one document, and real mouse drags."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from annotator.model import Relation, Span
from annotator.store import Project
from annotator.ui.editor import DocumentView
from annotator.ui.session import ProjectSession

NO_MODIFIER = Qt.KeyboardModifier.NoModifier
# The offscreen platform cannot raise a popup or grab the keyboard for it, and says so.
OFFSCREEN_POPUP_WARNINGS = "This plugin does not support (raise|grabbing the keyboard)"


@dataclass
class Editor:
    view: DocumentView
    session: ProjectSession
    project: Project
    doc_id: int
    qtbot: QtBot

    def key(self, key: Qt.Key | str, modifier: Qt.KeyboardModifier = NO_MODIFIER) -> None:
        self.qtbot.keyClick(self.view, key, modifier)

    def drag(self, first: int, last: int, modifier: Qt.KeyboardModifier = NO_MODIFIER) -> None:
        """Press on character ``first``, move, release on character ``last``."""
        viewport = self.view.viewport()
        start = self.view.point_for_offset(first)
        end = self.view.point_for_offset(last)
        self.qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, start)
        middle = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
        self.qtbot.mouseMove(viewport, middle)
        self.qtbot.mouseMove(viewport, end)
        self.qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, end)

    def drag_points(self, start: QPoint, end: QPoint) -> None:
        viewport = self.view.viewport()
        self.qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, NO_MODIFIER, start)
        self.qtbot.mouseMove(viewport, QPoint((start.x() + end.x()) // 2, start.y() + 1))
        self.qtbot.mouseMove(viewport, end)
        self.qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, NO_MODIFIER, end)

    def click(self, point: QPoint) -> None:
        self.qtbot.mouseClick(self.view.viewport(), Qt.MouseButton.LeftButton, NO_MODIFIER, point)

    def click_offset(self, offset: int) -> None:
        self.click(self.view.point_for_offset(offset))

    def spans(self, status: str | None = None) -> list[Span]:
        return self.project.spans(self.doc_id, status)

    def relations(self) -> list[Relation]:
        return self.project.relations(self.doc_id)


def suggested_span(doc_id: int, start: int, end: int, label: str) -> Span:
    """A pending suggestion of a spaCy model, as a suggestion run stores it."""
    return Span(
        doc_id=doc_id,
        start=start,
        end=end,
        label=label,
        status="suggested",
        origin="model:fr_core_news_md@3.8.0",
        score=0.9,
    )


def open_editor(qtbot: QtBot, project: Project, doc_id: int) -> Editor:
    session = ProjectSession(project)
    view = DocumentView(session)
    qtbot.addWidget(view)
    view.resize(720, 420)
    view.show()
    qtbot.waitExposed(view)
    session.open_document(doc_id)
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    return Editor(view, session, project, doc_id, qtbot)
