"""The text index an import left for later, caught up off the UI thread while the window is
open (``services.indexing``).

Until it has caught up, the document list's text filter scans the texts the index lacks: the
same answers, slower on a large import. Each batch is a short transaction of its own
(``background_pass``); closed midway, the pass goes on from its border the next time.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from annotator.services import indexing
from annotator.store import Project
from annotator.ui.background_pass import BackgroundPass


class BackgroundIndexer(BackgroundPass):
    """Runs ``indexing.ensure_text_index`` over the whole project in one worker thread."""

    activity = "Indexing texts"
    tooltip = "Adding the texts of an import to the text filter's index (it works meanwhile)"

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(project, "status-indexing", parent)

    def has_work(self) -> bool:
        """Some text is past the index's border (one row of ``meta``); a read-only project is
        left as it is (the filter scans)."""
        return not self.project.read_only and self.project.text_index_from() is not None

    def work(self) -> int:
        with self.project.worker_connection() as connection:
            return indexing.ensure_text_index(
                connection,
                progress=self.progressed.emit,
                cancel=self.stopping,
                batch=indexing.BATCH_DOCUMENTS,
            )
