"""Spreading an accepted span to its other mentions: searched off the UI thread, stored on it.

Searching every open document for the span's string takes long on a big corpus, and a
keystroke must not wait for it. ``suggesting.compute_propagation`` runs on a read-only
connection in the window's search process (``search_in``; see
``services.propagation_process``: a thread of this process would share the GIL with the keys),
or in a worker thread when no process is given; a worker thread waits for the answer and
unpickles it between keys (``KEY_PAUSE_MS``). The result comes back to the UI thread, where
``suggesting.store_propagation`` writes it in one short transaction, skipping documents whose
revision moved meanwhile; those are searched once more (the annotator often edits the open
document while its acceptance is being propagated). One request at a time, from search to
store, so a request never reads what the previous one has not stored yet.

Searches start once the keyboard has been quiet for ``QUIET_MS`` (``hold_off`` is called at
each key): a search of a long document is a few hundred milliseconds of Python, which shares
the cores with the keys (and the GIL too, in a worker thread), so it waits for a pause in a
burst of keys.

A search that finds more than ``ASK_ABOVE`` new places (a common word accepted in a long
document) is not stored at once: it is held and announced with ``held``, and stored only if
the annotator says so (``store_held``); the keys work meanwhile, and the queue moves on.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, replace

from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEvent,
    QObject,
    QRunnable,
    QThreadPool,
    QTimer,
    Signal,
)

from annotator.errors import AnnotatorError
from annotator.model import Span
from annotator.services import suggesting
from annotator.services.propagation_process import SearchProcess
from annotator.services.suggesting import PropagatedDocument
from annotator.store import Project

Key = tuple[str, str, str]
"""(string, label, status) of a request: identical requests still waiting are merged."""

ASK_ABOVE = 500
"""More new suggestions than this from one accepted span are stored only when asked to."""

QUIET_MS = 250
"""How long the keys must rest before the next search starts."""

KEY_PAUSE_MS = 100
"""How long after a key the worker thread leaves the GIL to the UI thread, where it can."""


@dataclass(frozen=True)
class _Request:
    span: Span
    key: Key
    doc_ids: tuple[int, ...] | None = None  # a second search, in the documents changed meanwhile
    confirmed: bool = False  # the annotator asked for all of them: no second question


class _Job(QRunnable):
    """The read-only half, in the worker; its outcome is handed to the runner, then announced."""

    def __init__(self, runner: PropagationRunner, request: _Request) -> None:
        super().__init__()
        self._runner = runner
        self._request = request

    def run(self) -> None:
        planned: list[PropagatedDocument] = []
        message = ""
        try:
            planned = self._runner.search(self._request.span, self._request.doc_ids)
        except AnnotatorError as error:
            message = str(error)
        except Exception as error:  # the queue must move on whatever happened in the worker
            message = f"Propagation failed: {error}"
        with suppress(RuntimeError):  # the runner went away meanwhile: nobody to tell
            self._runner.hand_over(planned, message)


class PropagationRunner(QObject):
    """Queues propagation requests. ``finished(doc_id, added)`` arrives on the UI thread after
    each store (a second time when documents changed meanwhile were searched again);
    ``skipped(documents)`` when some changed during that second search too and were left."""

    computed = Signal()  # internal, from the worker thread: an outcome waits in ``_outcome``
    stored = Signal(object)  # {doc_id: the spans stored in it, or None}, before ``finished``
    finished = Signal(int, int)  # doc_id of the accepted span, suggestions added
    skipped = Signal(int)  # documents left alone: they changed while searched, twice
    failed = Signal(str)
    held = Signal(str, str, int, int)  # string, label, new suggestions, documents: store them?
    held_dropped = Signal()  # the held suggestions were dropped (asked to, or a newer one came)
    withdrawn = Signal(object)  # {doc_id}: pending propagated suggestions went, before finished

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.enabled = True
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._queue: deque[_Request] = deque()
        self._pending: set[Key] = set()
        self._running: _Request | None = None
        self._outcome: tuple[list[PropagatedDocument], str] | None = None
        self._held: tuple[_Request, list[PropagatedDocument]] | None = None
        self._closed = False
        self._process: SearchProcess | None = None
        self._last_key = 0.0
        self._quiet = QTimer(self, singleShot=True, interval=QUIET_MS)
        self._quiet.timeout.connect(self._start_next)
        self.computed.connect(self._on_computed)
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.close)

    def search_in(self, process: SearchProcess | None) -> None:
        """Search in ``process`` from now on (the window's: no GIL shared with the keys), or
        in the worker thread (None, the default)."""
        self._process = process

    def search(self, span: Span, doc_ids: tuple[int, ...] | None) -> list[PropagatedDocument]:
        """In the worker thread: what ``compute_propagation`` finds, on a read-only
        connection, here or in the search process."""
        if self._process is not None:
            self.project.check_in_place()
            return self._process.search(
                self.project.path, span, doc_ids, self._after_keys, lambda: self._closed
            )
        connection = self.project.worker_connection(read_only=True)
        try:
            return suggesting.compute_propagation(connection, span, doc_ids)
        finally:
            connection.close()

    def request(self, span: Span, text: str) -> bool:
        """Propagate ``span`` (whose document text is ``text``): accepted, it is proposed
        elsewhere; rejected, the pending suggestions of its string may be withdrawn (see
        ``compute_propagation``). Returns whether it was queued."""
        if self._closed or not self.enabled or span.status not in ("accepted", "rejected"):
            return False
        if self.project.read_only:
            return False
        key = (text[span.start : span.end], span.label, span.status)
        if key in self._pending:
            return False
        self._pending.add(key)
        self._queue.append(_Request(span, key))
        self._start_next()
        return True

    def hold_off(self) -> None:
        """A key was pressed: the next search waits until the keys rest (a running one goes
        on)."""
        self._last_key = time.monotonic()
        self._quiet.start()

    def _after_keys(self) -> None:
        """In the worker thread: wait until no key came for ``KEY_PAUSE_MS`` (the key's
        handling and paint have the GIL to themselves meanwhile)."""
        while not self._closed:
            waited = time.monotonic() - self._last_key
            if waited >= KEY_PAUSE_MS / 1000:
                return
            time.sleep(KEY_PAUSE_MS / 1000 - waited)

    def set_enabled(self, enabled: bool) -> None:
        """Switch propagation on or off (the editor benchmark measures the view without it)."""
        self.enabled = enabled

    def busy(self) -> bool:
        return bool(self._pending)

    def searching(self) -> bool:
        """Whether a search runs in the worker right now."""
        return self._running is not None

    def held_request(self) -> tuple[str, str, int] | None:
        """(string, label, new suggestions) waiting for the annotator's word, if any."""
        if self._held is None:
            return None
        request, planned = self._held
        return request.key[0], request.key[1], sum(len(d.spans) for d in planned)

    def store_held(self) -> None:
        """Store the held suggestions (documents changed since are searched once more)."""
        if self._held is None or self._closed:
            return
        (request, planned), self._held = self._held, None
        self._store(replace(request, confirmed=True), planned, "")

    def drop_held(self) -> None:
        if self._held is None:
            return
        (request, _planned), self._held = self._held, None
        self._pending.discard(request.key)
        self.held_dropped.emit()

    def wait(self, milliseconds: int = -1) -> bool:
        """Search and store every queued request now (tests, benchmarks); False on timeout."""
        deadline = QDeadlineTimer(milliseconds)
        self._quiet.stop()
        self._start_next()
        while self._running is not None:
            if not self._pool.waitForDone(deadline.remainingTime()):
                return False
            self._on_computed()
        return True

    def close(self) -> None:
        """Drop what is queued, wait for the worker and keep its outcome from reaching the
        project, which is closed next. Nothing runs afterwards. A search in the search
        process is abandoned, not waited for (``SearchProcess.search``): its answer would be
        dropped here anyway, and the accept that asked for it is committed already."""
        self._closed = True
        self.blockSignals(True)
        self._quiet.stop()
        self._queue.clear()
        self._pool.waitForDone()
        self._outcome = None
        self._held = None
        self._running = None
        self._pending.clear()

    def watch_window(self, window: QObject) -> None:
        """Close when ``window`` closes, before its project is closed."""
        window.removeEventFilter(self)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.close()
        return False

    def hand_over(self, planned: list[PropagatedDocument], message: str) -> None:
        """From the worker thread: keep the outcome, tell the UI thread."""
        self._outcome = (planned, message)
        self.computed.emit()

    def _start_next(self) -> None:
        if self._running is not None or not self._queue or self._closed:
            return
        if self._quiet.isActive():
            return  # started by the timer, once the keys rest
        self._running = self._queue.popleft()
        self._pool.start(_Job(self, self._running))

    def _on_computed(self) -> None:
        outcome, self._outcome = self._outcome, None
        if outcome is None or self._closed:  # already stored by ``wait``, or closed
            return
        planned, message = outcome
        request, self._running = self._running, None
        assert request is not None
        found = sum(len(document.spans) for document in planned)
        if found > ASK_ABOVE and not request.confirmed:
            self.drop_held()  # a newer question replaces an unanswered one
            self._held = (request, planned)
            self._start_next()
            self.held.emit(request.key[0], request.key[1], found, len(planned))
            return
        self._store(request, planned, message)

    def _store(self, request: _Request, planned: list[PropagatedDocument], message: str) -> None:
        """On the UI thread: store, queue a second search of documents changed meanwhile,
        announce."""
        added = withdrawn = 0
        changed: list[int] = []
        reread: set[int] = set()
        if planned:
            try:
                result = suggesting.store_propagation(self.project, planned)
            except (AnnotatorError, sqlite3.Error) as error:
                message = f"{self.project.path}: propagated suggestions not saved ({error})"
            else:
                added, changed, reread = result.added, result.changed, result.superseded_in
                withdrawn = result.withdrawn
        skipped = 0
        if changed and request.doc_ids is None:
            self._queue.appendleft(replace(request, doc_ids=tuple(changed)))
        else:
            self._pending.discard(request.key)
            skipped = len(changed)
        self._start_next()
        if message:
            self.failed.emit(message)
        if skipped:
            self.skipped.emit(skipped)
        left_out = set(changed)
        if added or withdrawn:
            self.stored.emit(  # None: suggestions were rejected or withdrawn there too, read it
                {
                    d.doc_id: None if d.doc_id in reread else d.spans
                    for d in planned
                    if d.doc_id not in left_out and (d.spans or d.withdrawn)
                }
            )
        if withdrawn:
            self.withdrawn.emit({d.doc_id for d in planned if d.withdrawn} - left_out)
        self.finished.emit(request.span.doc_id, added)
