"""Propagation's search in a process of its own, for the window.

A search of a long document is a few hundred milliseconds of Python. Run in a thread of the
window's process it shares the GIL with the UI thread, which then waits for it at each of the
hundreds of Qt and SQLite calls a keystroke's paint makes (a release and a take-back each): an
accept that paints in 18 ms alone took 40-90 ms while a search ran. In a process of its own
the search shares nothing with the keys but the file, which it reads read-only, as the thread
did (one connection per search, so it sees every edit committed before it starts).

One process serves every window of the program; it is started at the first search (spawned:
importing the store and the search takes about 0.3 s, once) and ignores Ctrl+C, which the
window's process handles. Only ``compute_propagation``'s answer comes back; storing it stays
on the UI thread (``suggesting.store_propagation``).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from annotator.errors import AnnotatorError, Cancelled
from annotator.model import Span
from annotator.services import suggesting
from annotator.services.suggesting import PropagatedDocument
from annotator.store import Project

POLL_SECONDS = 0.05
"""How often a waiting search asks whether it was abandoned (the window closing)."""

PIECE = 200
"""Spans unpickled at a time in the window's process (about 3 ms), between keys."""

_Encoded = tuple[int, int, list[bytes], list[bytes]]
"""A ``PropagatedDocument`` on its way back: doc_id, revision, its spans' and withdrawn
spans' pickled pieces."""


def _start() -> None:
    """In the search process, first: Ctrl+C in a terminal is for the window's process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _search(path: Path, span: Span, doc_ids: Collection[int] | None) -> list[_Encoded]:
    """In the search process: ``compute_propagation`` on a read-only connection of its own,
    each document's spans pickled a piece at a time (see ``_decoded``)."""
    try:
        with Project.reader(path) as project:
            planned = suggesting.compute_propagation(project, span, doc_ids)
    except AnnotatorError as error:  # a subclass may not rebuild from pickle: keep its line
        raise AnnotatorError(str(error)) from None
    return [
        (document.doc_id, document.revision, _pieces(document.spans), _pieces(document.withdrawn))
        for document in planned
    ]


def _pieces(spans: tuple[Span, ...]) -> list[bytes]:
    return [
        pickle.dumps(spans[first : first + PIECE], pickle.HIGHEST_PROTOCOL)
        for first in range(0, len(spans), PIECE)
    ]


def _decoded(encoded: list[_Encoded], pause: Callable[[], None]) -> list[PropagatedDocument]:
    """The search's answer, unpickled a piece at a time with ``pause()`` before each: in the
    window's process this is Python in a worker thread again (a few thousand spans: tens of
    ms), which must not run while a key is handled."""

    def spans(pieces: list[bytes]) -> tuple[Span, ...]:
        decoded: list[Span] = []
        for piece in pieces:
            pause()
            decoded += pickle.loads(piece)
        return tuple(decoded)

    return [
        PropagatedDocument(doc_id, revision, spans(found), spans(withdrawn))
        for doc_id, revision, found, withdrawn in encoded
    ]


class SearchProcess:
    """A process that runs propagation searches one at a time (``search`` blocks: call it
    from a worker thread). Started at the first search; started again after it died."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def search(
        self,
        path: Path,
        span: Span,
        doc_ids: Collection[int] | None = None,
        pause: Callable[[], None] = lambda: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[PropagatedDocument]:
        """What ``compute_propagation`` finds for ``span`` in the project file at ``path``;
        ``pause()`` is called between pieces of the answer's unpickling (see ``_decoded``).

        Once ``cancelled()`` says so (the window is closing and would drop the answer), the
        search is abandoned within ``POLL_SECONDS``: the process is stopped (it only reads)
        and ``Cancelled`` raised, so closing does not wait for a search of a long document
        (3.4 s on 100,000 tokens, the process's start included); the next search starts a
        new process."""
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                )
            executor = self._executor
        try:
            future = executor.submit(_search, path, span, doc_ids)
            while True:
                try:
                    encoded = future.result(timeout=POLL_SECONDS)
                    break
                except TimeoutError:
                    if cancelled():
                        self._stop(executor)
                        raise Cancelled("propagation search abandoned") from None
        except BrokenProcessPool as error:
            with self._lock:
                if self._executor is executor:
                    self._executor = None  # the next search starts a new process
            raise AnnotatorError(f"the propagation search process stopped ({error})") from None
        return _decoded(encoded, pause)

    def _stop(self, executor: ProcessPoolExecutor) -> None:
        """Stop ``executor``'s process now, its search with it (a reader: nothing to undo)."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        terminate = getattr(executor, "terminate_workers", None)  # Python 3.14
        if terminate is not None:
            terminate()
            return
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)

    def running(self) -> bool:
        """Whether the process was started (and not closed since)."""
        return self._executor is not None

    def close(self, wait: bool = False) -> None:
        """Stop the process once its search is done (a later search starts a new one);
        ``wait`` for it to have ended."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)


SHARED = SearchProcess()
"""The program's search process, for every window (started at the first search)."""
