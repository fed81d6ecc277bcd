"""A read-only window follows the edits another window or command commits to its project."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.store import Project

POLL_MS = 1000


class OutsideChanges(QObject):
    """Polls the project's ``data_version`` once a second while the window is read-only:
    another process holds it for writing, and its edits showed only once a document was left
    and opened again (its list row and the progress never). Also says when that writer has
    let the project go, so that the window could now write it."""

    changed = Signal()  # another connection committed since the last poll
    writer_left = Signal()  # the project was held for writing elsewhere, and is no longer

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self._version: int | None = None
        self._writer_seen = False
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        if project.read_only:
            self._version = self._read()
            self._writer_seen = bool(project.writer_elsewhere())
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _read(self) -> int | None:
        try:
            return self._project.data_version()
        except sqlite3.Error:  # closed, or busy a moment: the next poll asks again
            return None

    def _on_timer_timeout(self) -> None:
        version = self._read()
        if version is not None and self._version is not None and version != self._version:
            self.changed.emit()
        if version is not None:
            self._version = version
        writer = self._project.writer_elsewhere()
        if writer is False and self._writer_seen:
            self.writer_left.emit()
        if writer is not None:
            self._writer_seen = writer
