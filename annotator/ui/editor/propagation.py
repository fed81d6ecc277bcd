"""Spreading an accepted span to its other mentions, off the UI thread.

``annotator.services.suggesting.propagate_from(project, span)`` searches every open document
for the span's string, which takes long on a big corpus; a keystroke must not wait for it. It
runs here on a worker connection to the same project file, one request at a time, and the
view refreshes when it reports back. When the service is not installed, nothing runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import suppress

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRunnable, QThreadPool, Signal

from annotator.errors import AnnotatorError
from annotator.model import Span
from annotator.store import Project

SERVICE_MODULE = "annotator.services.suggesting"


def find_propagate() -> Callable[[Project, Span], object] | None:
    """The service's ``propagate_from`` if it exists (it is written separately)."""
    try:
        module = importlib.import_module(SERVICE_MODULE)
    except ImportError:
        return None
    return getattr(module, "propagate_from", None)


class _Job(QRunnable):
    def __init__(self, runner: PropagationRunner, span: Span, needle: str) -> None:
        super().__init__()
        self._runner = runner
        self._span = span
        self._needle = needle

    def run(self) -> None:
        propagate = find_propagate()
        added, message = 0, ""
        if propagate is not None:
            try:
                connection = self._runner.project.worker_connection()
                try:
                    result = propagate(connection, self._span)
                    added = result if isinstance(result, int) else 0
                finally:
                    connection.close()
            except AnnotatorError as error:
                message = str(error)
            except Exception as error:
                message = f"Propagation failed: {error}"
        span = self._span
        with suppress(RuntimeError):  # the view went away meanwhile: nobody to tell
            self._runner.job_done.emit(span.doc_id, added, message, self._needle, span.label)


class PropagationRunner(QObject):
    """Queues propagation requests; ``finished(doc_id, added)`` arrives on the UI thread."""

    job_done = Signal(int, int, str, str, str)  # internal, from the worker thread
    finished = Signal(int, int)  # doc_id of the accepted span, suggestions added
    failed = Signal(str)

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pending: set[tuple[str, str]] = set()
        self.enabled = True
        self.job_done.connect(self._on_job_done)
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.wait)

    @staticmethod
    def available() -> bool:
        return find_propagate() is not None

    def request(self, span: Span, text: str) -> bool:
        """Propagate ``span`` (whose document text is ``text``); identical requests that are
        still waiting are merged. Returns whether a job was queued."""
        if not self.enabled or span.status != "accepted" or self.project.read_only:
            return False
        if not self.available():
            return False
        key = (text[span.start : span.end], span.label)
        if key in self._pending:
            return False
        self._pending.add(key)
        job = _Job(self, span, key[0])
        job.setAutoDelete(True)
        self._pool.start(job)
        return True

    def set_enabled(self, enabled: bool) -> None:
        """Switch propagation on or off (e.g. from a View menu toggle)."""
        self.enabled = enabled

    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, milliseconds: int = -1) -> bool:
        """Block until queued jobs are done (for closing the project and for tests)."""
        return self._pool.waitForDone(milliseconds)

    def watch_window(self, window: QObject) -> None:
        """Finish queued jobs when ``window`` closes, before its project is closed."""
        window.removeEventFilter(self)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.wait()
        return False

    def _on_job_done(self, doc_id: int, added: int, message: str, needle: str, label: str) -> None:
        self._pending.discard((needle, label))
        if message:
            self.failed.emit(message)
        self.finished.emit(doc_id, added)
