"""Work an import left for later, done over the whole project in a worker thread while the
window is open (``background_tokens``, ``background_index``).

The pass works on a connection of its own, a batch at a time, each batch in a short
transaction of its own, so an edit never waits longer than one batch's write. Its progress is
a field of the status bar. It stops while a background job writes (an import), when the window
closes (what it committed stays), and runs again when the job ends, or next time the project
opens.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QLabel

from annotator.errors import AnnotatorError, Cancelled
from annotator.store import Project

log = logging.getLogger(__name__)

_DETACHED: list[QThreadPool] = []  # pools whose thread ends after its window (see ``detach``)


def detach(pool: QThreadPool) -> None:
    """Let ``pool``'s thread end on its own, after the window: it is loading spaCy's tokenizer
    (seconds, which cannot be interrupted) and touches nothing of the project afterwards, so
    closing the window need not wait for it (Ctrl+Q took 2.6 s after opening a fresh import).
    The pool leaves its owner, whose deletion would wait for it; ``wait_for_detached`` ends
    it before the process exits."""
    pool.setParent(None)
    _DETACHED.append(pool)


def wait_for_detached() -> None:
    """Before the program exits (Python must not finalize under a thread still loading)."""
    while _DETACHED:
        _DETACHED.pop().waitForDone()


def prepare_unless_stopped(
    preparing: threading.Event, stopped: Callable[[], bool], prepare: Callable[[], None]
) -> bool:
    """In a worker: ``prepare`` with ``preparing`` set, so that a close seeing it set detaches
    the worker instead of waiting for it (``close_pool``); False when stopped before or during
    it (the worker then leaves at once, touching nothing). ``preparing`` is set before the
    stop is read: a close that did not see it set waits, and finds the worker leaving."""
    preparing.set()
    try:
        if stopped():
            return False
        prepare()
    finally:
        preparing.clear()
    return not stopped()


def close_pool(pool: QThreadPool, preparing: threading.Event) -> None:
    """After the stop is set: wait for the worker, unless it is in its preparation, which
    cannot be interrupted and touches nothing of the project (``detach``)."""
    if preparing.is_set():
        detach(pool)
    else:
        pool.waitForDone()


class BackgroundPass(QObject):
    """Runs ``work`` in one worker thread, one pass at a time; subclasses say what."""

    progressed = Signal(int, int)  # documents done so far, of how many
    finished = Signal(int)  # documents done by the pass
    failed = Signal(str)

    activity = "working"  # "Tokenizing": the status bar's text, and the log's
    tooltip = ""

    def __init__(self, project: Project, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.label = QLabel()  # the status bar's field, shown while a pass has work
        self.label.setObjectName(name)
        self.label.setContentsMargins(6, 0, 6, 0)
        self.label.hide()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._stop = threading.Event()
        self._preparing = threading.Event()  # the worker is in ``prepare``
        self._closed = False
        self.progressed.connect(self._on_progressed)
        self.finished.connect(self._on_finished)
        self.failed.connect(self._on_failed)
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.close)

    def has_work(self) -> bool:
        """Whether a pass would find anything to do (asked on the UI thread: keep it quick)."""
        raise NotImplementedError

    def prepare(self) -> None:
        """In the worker thread, before ``work``: slow set-up that touches nothing of the
        project (loading a tokenizer); closing does not wait for it."""

    def work(self) -> int:
        """The pass, in the worker thread; returns how many documents it did."""
        raise NotImplementedError

    def start(self) -> None:
        """Start a pass when there is work, unless one runs (a pass finds its work itself)."""
        if self._closed or self._pool.activeThreadCount() or not self.has_work():
            return
        self._pool.start(_Pass(self))

    def wait(self, milliseconds: int = -1) -> bool:
        """Until the pass is done (tests); False on a time-out."""
        return self._pool.waitForDone(milliseconds)

    def suspend(self) -> None:
        """Stop a running pass and wait for it; ``start`` runs it again. A job that writes
        through a connection of its own (an import) reads, then writes, in one transaction,
        which SQLite refuses ("database is locked") when the pass commits in between."""
        self._stop.set()
        self._pool.waitForDone()
        self._stop.clear()

    def close(self) -> None:
        """Stop the pass and wait for it, before the project closes; nothing runs afterwards.
        A pass still in ``prepare`` is not waited for: it stops once prepared, before it
        touches the project (``detach``)."""
        self._closed = True
        self._stop.set()  # first: a worker past ``prepare`` then sees it
        close_pool(self._pool, self._preparing)

    def stopping(self) -> bool:
        return self._stop.is_set()

    def _on_progressed(self, done: int, total: int) -> None:
        if total:
            self.label.setText(f"{self.activity} {done:,} / {total:,}")
            self.label.setToolTip(self.tooltip)
            self.label.show()

    def _on_finished(self, _done: int) -> None:
        self.label.hide()

    def _on_failed(self, message: str) -> None:
        self.label.hide()
        log.warning("%s in the background stopped: %s", self.activity, message)


class _Pass(QRunnable):
    """The worker's half: the owner's ``work``, its errors reported, never raised."""

    def __init__(self, owner: BackgroundPass) -> None:
        super().__init__()
        self._owner = owner

    def run(self) -> None:
        owner = self._owner
        try:
            if not prepare_unless_stopped(owner._preparing, owner.stopping, owner.prepare):
                return  # closed meanwhile (perhaps not waited for)
            owner.finished.emit(owner.work())
        except Cancelled:
            return
        except (AnnotatorError, sqlite3.Error) as error:  # e.g. an import held the file
            if owner._closed:  # nobody to tell (its window may be gone)
                return
            owner.failed.emit(str(error))
        except Exception as error:  # a bug: the window goes on
            log.exception("%s in the background failed", owner.activity)
            owner.failed.emit(f"unexpected error: {type(error).__name__}: {error}")
