"""Suggesting on Ray: the same ``Suggester`` in a pool of Ray actors, one model load per actor.

The project file stays on the machine that runs ``annotator suggest``: documents are read
there, shipped to the actors a batch at a time (a bounded number in flight, so memory stays
flat on any pool size), and the results come back in submission order to the one writer,
which stores them under the same rules as the local engine. A batch is either committed whole
or not at all. An actor whose process dies is started again once by Ray, which runs its
batches again (``max_restarts``, ``max_task_retries``): the run goes on (its constructor takes
no argument, so the restart does not depend on Ray's object store: see ``SuggestActor``). An
actor lost for good stops the run with one line, and loses only batches not yet committed.

Ray is an optional extra (``pip install annotator[ray]``); it is imported when a run starts.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from annotator.errors import AnnotatorError
from annotator.suggest.results import DocumentInput, DocumentSuggestions

if TYPE_CHECKING:
    from annotator.suggest.suggester import Suggester, SuggesterSummary

INSTALL_HINT = "--engine ray needs Ray; install it with: pip install 'annotator[ray]'"
NAMESPACE = "annotator"
WORKER_PREFIX = "annotator-suggest-"  # named actors, so a person (or a test) can find one
IN_FLIGHT_PER_WORKER = 2
CONNECT_SECONDS = 5.0
"""How long ``check_address`` waits for a cluster's port to accept a connection."""


def import_ray() -> Any:
    """The ``ray`` module, or one line saying how to install it."""
    try:
        import ray
    except ImportError:
        raise AnnotatorError(INSTALL_HINT) from None
    return ray


def check_address(address: str | None, timeout: float = CONNECT_SECONDS) -> None:
    """For ``HOST:PORT`` or ``ray://HOST:PORT``: something must accept a connection there,
    else one line naming the address. ``ray.init`` itself waits for a cluster that is not
    there for many minutes, deaf to Ctrl+C, with the project locked. Other forms (``auto``)
    are left to Ray."""
    if not address:
        return
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        why = "no answer" if isinstance(error, TimeoutError) else error.strerror or str(error)
        raise AnnotatorError(
            f"cannot join the Ray cluster at {address}: nothing answers there ({why}); "
            "is its head started (ray start --head) and the port right?"
        ) from None


class SuggestWorker:
    """Runs in a Ray actor: builds the suggester once (loads the model), then takes batches."""

    def __init__(self, factory: Callable[[], Suggester]) -> None:
        self.suggester = factory()

    def suggest(self, batch: list[DocumentInput]) -> tuple[list[DocumentSuggestions], list[str]]:
        results = list(self.suggester.suggest(batch, batch_size=len(batch)))
        return results, list(self.suggester.notes)


class SuggestActor:
    """The Ray actor: a ``SuggestWorker`` built on its first batch, from the factory the
    batch carries by reference.

    Its constructor takes nothing. Ray restarts an actor by running its constructor again with
    the same arguments, and an argument Ray keeps in its object store (any over 100 KiB, which
    a pool's plan is) is freed about a second after the first start: the restart then fails
    (``ReferenceCountingAssertionError``, ray-project/ray#53727) and the run stops. The factory
    is ``ray.put`` by the driver, which holds it for the whole run, and each batch carries it in
    a list (so Ray passes the reference, not the value): a restarted actor fetches it again."""

    def __init__(self) -> None:
        self.worker: SuggestWorker | None = None

    def summary(self, factory: list[Any]) -> SuggesterSummary:
        """Build the suggester (load the model) now; what it suggests with."""
        return self._worker(factory).suggester.summary()

    def suggest(
        self, batch: list[DocumentInput], factory: list[Any]
    ) -> tuple[list[DocumentSuggestions], list[str]]:
        return self._worker(factory).suggest(batch)

    def _worker(self, factory: list[Any]) -> SuggestWorker:
        try:
            if self.worker is None:
                import ray

                self.worker = SuggestWorker(ray.get(factory[0]))
            return self.worker
        except AnnotatorError as error:  # e.g. a model missing on this node
            # as a plain AnnotatorError: one whose __init__ takes other arguments than the
            # message (FormatError) cannot be rebuilt by the driver, which then shows a
            # traceback instead of the one line
            raise AnnotatorError(str(error)) from None


class RayEngine:
    """A pool of ``SuggestActor`` actors on a local Ray (no ``address``) or a cluster."""

    def __init__(
        self,
        factory: Callable[[], Suggester],
        address: str | None = None,
        num_cpus: int | None = None,
    ) -> None:
        ray = import_ray()
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            check_address(address)
            try:
                with _warnings_quieted(address is None):
                    ray.init(
                        address=address,
                        num_cpus=num_cpus if address is None else None,
                        namespace=NAMESPACE,
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                    )
            except (ConnectionError, RuntimeError, ValueError) as error:
                what = f"join the Ray cluster at {address}" if address else "start a local Ray"
                first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
                raise AnnotatorError(f"cannot {what} ({first})") from None
        workers = num_cpus or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1)(SuggestActor)
        run = uuid.uuid4().hex[:8]
        self._factory = [ray.put(factory)]  # held by this process until close()
        self.workers = [
            actor.options(name=f"{WORKER_PREFIX}{run}-{number}", namespace=NAMESPACE).remote()
            for number in range(workers)
        ]
        self.notes: list[str] = []
        self._running: deque[Any] = deque()
        """The batches submitted to an actor and not yet returned, oldest first."""

    def summary(self) -> SuggesterSummary:
        """The suggester's summary, from the actors, which all build their suggester (load the
        model) at once: the driver loads none. It loaded one of its own before, and the actors
        began theirs only after it (Ray ran 30 % over two local processes; the goal is 15 %)."""
        refs = [worker.summary.remote(self._factory) for worker in self.workers]
        with self._one_line_errors(" while loading the model"):
            return self._ray.get(refs)[0]

    @contextlib.contextmanager
    def _one_line_errors(self, when: str) -> Iterator[None]:
        """An actor lost for good, or a user's error raised on one (a model missing on that
        node), as one line."""
        try:
            yield
        except self._ray.exceptions.RayActorError as error:
            raise AnnotatorError(
                f"a Ray worker was lost{when} ({type(error).__name__}); every batch stored "
                "before stays: run again with --docs new to suggest only what is left"
            ) from None
        except self._ray.exceptions.RayTaskError as error:
            if isinstance(error.cause, AnnotatorError):
                raise AnnotatorError(str(error.cause)) from None
            raise

    def suggest(
        self,
        inputs: Iterable[DocumentInput],
        batch_size: int = 64,
        cancel: Callable[[], bool] | None = None,
    ) -> Iterator[list[DocumentSuggestions]]:
        """Batches of suggestions in input order. On cancel, batches still running are dropped."""
        from ray.util import ActorPool

        pool = ActorPool(self.workers)
        factory = self._factory
        source = iter(inputs)
        in_flight = 0
        limit = IN_FLIGHT_PER_WORKER * len(self.workers)

        def call(worker: Any, docs: list[DocumentInput]) -> Any:
            ref = worker.suggest.remote(docs, factory)
            self._running.append(ref)  # the pool calls in submission order, as it returns
            return ref

        def submit() -> bool:
            batch = list(islice(source, batch_size))
            if batch:
                pool.submit(call, batch)
            return bool(batch)

        while in_flight < limit and submit():
            in_flight += 1
        while in_flight:
            with self._one_line_errors(""):
                results, notes = pool.get_next()
                self._running.popleft()
            in_flight -= 1
            self.notes += [note for note in notes if note not in self.notes]
            yield results
            if cancel is not None and cancel():
                return
            if submit():
                in_flight += 1

    def close(self) -> None:
        """Stop the actors, and the local Ray this engine started.

        The batches still running (a stop, Ctrl+C) are cancelled first: an actor killed, or
        shut down, with a batch running made Ray print "Task ... will be retried" or "Failed
        to push error to driver" lines for each. ``ray.shutdown`` ends the actors this
        engine's Ray owns; in a Ray someone else started, they are killed."""
        for ref in self._running:
            with contextlib.suppress(Exception):
                self._ray.cancel(ref)
        self._running.clear()
        if not self._started:
            for worker in self.workers:
                with contextlib.suppress(Exception):
                    self._ray.kill(worker)
        self.workers = []
        self._factory = []
        if self._started:
            self._ray.shutdown()


@contextlib.contextmanager
def _warnings_quieted(quiet: bool) -> Iterator[None]:
    """Ray's errors only, while it starts a local Ray for this run: its warnings there (e.g.
    that token authentication is on, with a token it made itself) are no news to a person
    who asked for a local run. Through the driver's ``ray`` logger, whose level ``ray.init``'s
    ``logging_level`` would set were Ray to configure logging (``configure_logging=False``)."""
    logger = logging.getLogger("ray")
    level = logger.level
    if quiet:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
