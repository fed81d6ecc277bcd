"""The tokens an import left for later, made off the UI thread while the window is open.

An import stores documents without tokens (``services.tokenizing``). The document the
annotator opens is tokenized on the spot by the view (a few milliseconds once the tokenizer is
loaded); this worker loads the tokenizer as soon as the project opens, then makes the tokens of
every other document on its own connection, a batch at a time, each batch in a short
transaction of its own, so an edit never waits longer than one batch's write. Its progress is
a field of the status bar. It stops when the window closes (what it committed stays) and runs
again when a background job (an import) ends.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QLabel

from annotator.errors import AnnotatorError, Cancelled
from annotator.services import tokenizing
from annotator.store import Project

log = logging.getLogger(__name__)


class BackgroundTokenizer(QObject):
    """Runs ``tokenizing.ensure_tokens`` over the whole project in one worker thread."""

    progressed = Signal(int, int)  # documents tokenized so far, of how many
    finished = Signal(int)  # documents tokenized by the pass
    failed = Signal(str)

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.lang = project.settings.lang  # read here: the worker does not use this connection
        self.label = QLabel()  # the status bar's field, shown while a pass has work
        self.label.setObjectName("status-tokenizing")
        self.label.setContentsMargins(6, 0, 6, 0)
        self.label.hide()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._stop = threading.Event()
        self._closed = False
        self.progressed.connect(self._on_progressed)
        self.finished.connect(self._on_finished)
        self.failed.connect(self._on_failed)
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.close)

    def start(self) -> None:
        """Start a pass when some document has no tokens, unless one runs (a pass finds the
        documents without tokens itself). A project whose documents all have tokens loads no
        tokenizer (seconds of a core, and closing the window would wait for the load)."""
        if self._closed or self._pool.activeThreadCount() or not self.project.has_untokenized():
            return
        self._pool.start(_Pass(self))

    def wait(self, milliseconds: int = -1) -> bool:
        """Until the pass is done (tests); False on a time-out."""
        return self._pool.waitForDone(milliseconds)

    def close(self) -> None:
        """Stop the pass and wait for it, before the project closes; nothing runs afterwards."""
        self._closed = True
        self._stop.set()
        self._pool.waitForDone()

    def stopping(self) -> bool:
        return self._stop.is_set()

    def _on_progressed(self, done: int, total: int) -> None:
        if total:
            self.label.setText(f"Tokenizing {done:,} / {total:,}")
            self.label.setToolTip(
                "Making the tokens an import left for later (documents open at once anyway)"
            )
            self.label.show()

    def _on_finished(self, _done: int) -> None:
        self.label.hide()

    def _on_failed(self, message: str) -> None:
        self.label.hide()
        log.warning("tokenizing in the background stopped: %s", message)


class _Pass(QRunnable):
    """The worker's half: load the tokenizer, then tokenize what has no tokens yet."""

    def __init__(self, owner: BackgroundTokenizer) -> None:
        super().__init__()
        self._owner = owner

    def run(self) -> None:
        owner = self._owner
        try:
            tokenizing.load_tokenizer(owner.lang)
            if owner.project.read_only or owner.stopping():  # read-only: made on open instead
                return
            with owner.project.worker_connection() as connection:
                done = tokenizing.ensure_tokens(
                    connection, progress=owner.progressed.emit, cancel=owner.stopping
                )
            owner.finished.emit(done)
        except Cancelled:
            return
        except (AnnotatorError, sqlite3.Error) as error:  # e.g. an import held the file
            owner.failed.emit(str(error))
        except Exception as error:  # a bug: the window goes on; the documents open anyway
            log.exception("tokenizing in the background failed")
            owner.failed.emit(f"unexpected error: {type(error).__name__}: {error}")
