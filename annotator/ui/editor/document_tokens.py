"""The open document's tokens, made in a worker thread when an import left them for later.

Making them loads spaCy's tokenizer the first time (seconds for French) and then tokenizes the
text (about a second for 100,000 tokens): on the UI thread that held the window at the first
opening after an import. The view shows the text at once; ``tokenized`` says when the tokens
are stored, and a gesture that needs them sooner waits for them (``wait``).

A read-only project cannot store them: its worker makes them through a read-only connection,
and the view's own connection keeps them in memory (``hold``), as ``Project.store_tokens``
does for a read-only project.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

from annotator.errors import AnnotatorError
from annotator.services import tokenizing
from annotator.store import Project
from annotator.ui.background_pass import close_pool, prepare_unless_stopped

log = logging.getLogger(__name__)


class DocumentTokenizer(QObject):
    """Makes one document's tokens at a time, through a connection of its own."""

    tokenized = Signal(int)  # the document's tokens are stored (read-only: ready to ``hold``)
    failed = Signal(str)

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.closed = False  # the project is closing: what the worker reports is not read
        self.lang = project.settings.lang  # read here: the worker does not use this connection
        self._preparing = threading.Event()  # the worker loads the tokenizer
        self._made: dict[int, list[tokenizing.TokenRow]] = {}  # read-only: not stored yet
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.close)

    def start(self, doc_id: int) -> None:
        """Make ``doc_id``'s tokens in the worker (``tokenized`` or ``failed`` follows)."""
        if not self.closed:
            self._pool.start(_Tokenize(self, doc_id))

    def hold(self, doc_id: int) -> None:
        """Keep in the project's own connection the tokens of ``doc_id`` that the worker made
        for a read-only project (UI thread; nothing to do for a writable one, whose worker
        stored them)."""
        rows = self._made.pop(doc_id, None)
        if rows:
            self.project.store_tokens(rows)

    def wait(self) -> None:
        """Until the tokens under way are stored (a gesture needs them, or a job that writes
        is about to start). The worker's signals are still queued when this returns."""
        self._pool.waitForDone()

    def close(self) -> None:
        """Wait for the worker before the project closes, unless it is still loading the
        tokenizer: then it stops once loaded, before it opens the project (``detach``). Its
        signals, queued for the UI thread, arrive after the project is closed: ``closed``
        says to drop them."""
        self.closed = True  # first: a worker done loading then sees it
        close_pool(self._pool, self._preparing)


class _Tokenize(QRunnable):
    def __init__(self, owner: DocumentTokenizer, doc_id: int) -> None:
        super().__init__()
        self._owner = owner
        self._doc_id = doc_id

    def run(self) -> None:
        owner = self._owner
        try:
            if not prepare_unless_stopped(
                owner._preparing,
                lambda: owner.closed,
                lambda: tokenizing.load_tokenizer(owner.lang),  # seconds the first time
            ):
                return
            if owner.project.read_only:  # made here, kept by the view's connection (``hold``)
                with owner.project.worker_connection(read_only=True) as connection:
                    owner._made[self._doc_id] = tokenizing.made_tokens(connection, [self._doc_id])
            else:
                with owner.project.worker_connection() as connection:
                    tokenizing.ensure_tokens(connection, [self._doc_id])
        except (AnnotatorError, sqlite3.Error) as error:
            if owner.closed:  # nobody to tell (its window may be gone)
                return
            owner.failed.emit(f"the document's tokens could not be made: {error}")
            return
        except Exception as error:  # a bug: the view makes them itself when it needs them
            if owner.closed:
                return
            log.exception("making the open document's tokens failed")
            owner.failed.emit(f"unexpected error making the tokens: {error}")
            return
        if not owner.closed:  # its window may be gone: "Signal source has been deleted"
            owner.tokenized.emit(self._doc_id)
