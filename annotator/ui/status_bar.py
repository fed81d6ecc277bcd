"""The status bar: the project, where the annotator is, and what is left to review."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from annotator.store.listing import (
    UNFINISHED_STATUSES,
    document_position,
    pending_suggestions,
    status_counts,
)
from annotator.store.pool import position_by_priority
from annotator.ui.plain_text import tooltip
from annotator.ui.session import ProjectSession
from annotator.ui.workers import TaskProgress


class StatusBar(QStatusBar):
    """Permanent fields, left to right: project, position, left to review, background work."""

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.project_label = QLabel()
        self.position_label = QLabel()
        self.review_label = QLabel()
        self.task_progress = TaskProgress()
        for label in (self.project_label, self.position_label, self.review_label):
            label.setContentsMargins(6, 0, 6, 0)
            label.setTextFormat(Qt.TextFormat.PlainText)  # the project's name is user data
        self.project_label.setObjectName("status-project")
        self.position_label.setObjectName("status-position")
        self.review_label.setObjectName("status-review")
        self.addWidget(self.project_label)
        self.addPermanentWidget(self.task_progress)
        self.addPermanentWidget(self.review_label)
        self.addPermanentWidget(self.position_label)
        # counted after the repaint, coalesced, so a keystroke never waits for the counts
        self._timer = QTimer(self, singleShot=True, interval=60)
        self._timer.timeout.connect(self.refresh)
        session.document_opened.connect(self._schedule)
        session.annotations_changed.connect(self._schedule)
        session.document_status_changed.connect(self._schedule)
        session.order_changed.connect(self._schedule)
        session.edit_failed.connect(self._on_edit_failed)
        session.noted.connect(self._on_noted)
        # a note on a key (a refusal, "Already accepted") goes at the next edit, which would
        # otherwise show under it for 8 s
        self._note_shown = False
        session.annotations_changed.connect(self._on_annotations_changed)
        self.refresh()

    def refresh(self) -> None:
        project = self._session.project
        read_only = " (read-only)" if project.read_only else ""
        self.project_label.setText(f"{project.path.name}{read_only}")
        self.project_label.setToolTip(tooltip(str(project.path)))
        counts = status_counts(project)
        unfinished = sum(counts.get(status, 0) for status in UNFINISHED_STATUSES)
        doc_id = self._session.current_doc_id
        if doc_id is None:
            self.position_label.setText(f"– / {sum(counts.values()):,}")
            pending_text = ""
        else:
            in_order = position_by_priority if self._session.sample_first else document_position
            position, total = in_order(project, doc_id)
            self.position_label.setText(f"Document {position:,} / {total:,}")
            pending = pending_suggestions(project, doc_id)
            pending_text = f"{pending:,} suggestion{'s' if pending != 1 else ''} to review · "
        self.review_label.setText(
            f"{pending_text}{unfinished:,} document{'s' if unfinished != 1 else ''} unfinished"
        )

    def _schedule(self, *_args: object) -> None:
        self._timer.start()  # not connected directly: start(int) would take the doc id as msec

    def _on_edit_failed(self, message: str) -> None:
        self.showMessage(message, 8000)
        self._note_shown = True

    def _on_noted(self, message: str) -> None:
        self.showMessage(message, 8000)
        self._note_shown = True

    def _on_annotations_changed(self, _doc_id: int) -> None:
        if self._note_shown:
            self._note_shown = False
            self.clearMessage()

    def show_failure(self, message: str) -> None:
        """A failure that lasts (a damaged page of the file): shown until the next message."""
        self.showMessage(message)
