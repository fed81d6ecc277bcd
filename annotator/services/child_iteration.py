"""Running a generator in a second Python process and reading what it yields, as it yields it.

A bulk job whose first half is pure computation (an import reads and checks records, then
writes them to the store) uses the machine's second core this way: the child reads the
files while this process writes. The child is a new interpreter (``python -m`` this module),
not a fork: the window and the command line both run threads, which a fork would copy in
whatever state they were in. Nor is it multiprocessing's "spawn" (as the propagation process
and the suggest pool are started): that runs the parent's main script again in the child, and
``annotator``'s imports the whole CLI (typer, rich: half a second) before the first record.

What passes between the two is pickled: the target, then the argument, then the items in
batches. A child may be started before its argument is known (``child_started``): it imports its
target's module meanwhile, so that the interpreter's start-up is not waited for when the work
is ready. The first batch is small, so that the parent has something to do at once; the pipe
holds about one batch, so the child is never far ahead and memory stays flat. An error
raised in the child is raised again here, as itself (the same type and one-line message), after
the items it yielded before it; a child that dies gives one line with its exit code and the last
line it wrote to stderr. Leaving the ``with`` block, for any reason, stops the child.
"""

from __future__ import annotations

import gc
import importlib
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from annotator.errors import AnnotatorError

BATCH_ITEMS = 250
"""Items sent at once: one pickle, one write and one read per batch, not per item."""
FIRST_BATCH_ITEMS = 25
"""Items of the first batch, which the parent waits for: an import's first records reached the
command 0.14 to 0.23 s after it was ready to write them, against 0.32 to 0.39 s in a batch of
250."""
QUEUED_BATCHES = 4
"""Batches the child computes ahead of the parent at most."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextmanager
def iterate_in_child(target: str, argument: Any) -> Iterator[Iterator[Any]]:
    """The items of ``function(argument)``, ``target`` being ``"module:function"``, computed
    in a child process; ``argument`` and the items must pickle. The child is stopped when the
    block ends, whether its items were all read or not."""
    with child_started(target) as child:
        yield child.items(argument)


class StartedChild:
    """A child process that has its target and waits for its argument (``child_started``)."""

    def __init__(self, process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._stdin: IO[bytes] = process.stdin
        self._stdout: IO[bytes] = process.stdout
        self._errors = errors
        self._given = False

    def items(self, argument: Any) -> Iterator[Any]:
        """The items of the target's function of ``argument``, as the child yields them (once
        per child)."""
        if self._given:
            raise RuntimeError("a child process computes one argument's items")
        self._given = True
        try:
            pickle.dump(argument, self._stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._stdin.close()
        except BrokenPipeError:
            pass  # it stopped at start-up: said when its output ends
        return _items(self._process, self._stdout, self._errors)

    def stop(self) -> None:
        """Kill it if it still runs, and wait for it."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def _send_target(self, target: str) -> None:
        with suppress(BrokenPipeError):  # it stopped at start-up: said when its output ends
            pickle.dump(target, self._stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._stdin.flush()

    def _close(self) -> None:
        self.stop()
        self._stdout.close()
        with suppress(BrokenPipeError):
            self._stdin.close()


@contextmanager
def child_started(target: str) -> Iterator[StartedChild]:
    """A child process for ``target`` (``"module:function"``), started now: it imports the
    module while the caller gets the argument ready (``StartedChild.items``). Stopped when the
    block ends, whether it was given its argument or not."""
    package_root = str(Path(__file__).resolve().parents[2])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, environment.get("PYTHONPATH")])
    )
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=environment,
        )
        started = StartedChild(child, errors)
        try:
            started._send_target(target)
            yield started
        finally:
            started._close()


def _items(child: subprocess.Popen[bytes], output: IO[bytes], errors: IO[bytes]) -> Iterator[Any]:
    while True:
        try:
            kind, payload = pickle.load(output)
        except (EOFError, pickle.UnpicklingError):
            raise AnnotatorError(_stopped(child, errors)) from None
        if kind == "items":
            yield from payload
        elif kind == "error":
            raise payload
        else:
            return


def _stopped(child: subprocess.Popen[bytes], errors: IO[bytes]) -> str:
    """One line on a child that ended without saying it was done."""
    code = child.wait()
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode(errors="replace").splitlines()]
    last = next((line for line in reversed(lines) if line), "")
    detail = f": {last}" if last else ""
    return f"the reading process stopped (exit code {code}){detail}"


def _serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """The child's side: read the target and import its module, then read the argument (none:
    the parent did not need this child after all), send the items in batches, then
    ``("done", None)``, or the items before an error and then the error.

    A thread writes the pickled batches, so that the next batch is computed while the parent
    reads the last one (a write blocks until the parent has read nearly all of it); at most
    ``QUEUED_BATCHES`` wait for it."""
    target = pickle.load(source)
    module, name = target.split(":")
    function: Callable[[Any], Iterator[Any]] = getattr(importlib.import_module(module), name)
    try:
        argument = pickle.load(source)
    except EOFError:  # closed without an argument: not needed
        return
    gc.disable()  # records make no cycles (see ``registry.collector_paused``); it only scans
    outgoing: queue.Queue[bytes | None] = queue.Queue(QUEUED_BATCHES)
    writer = threading.Thread(target=_write_all, args=(outgoing, sink), daemon=True)
    writer.start()

    def send(kind: str, payload: Any) -> None:
        outgoing.put(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))

    batch: list[Any] = []
    size = FIRST_BATCH_ITEMS
    try:
        for item in function(argument):
            batch.append(item)
            if len(batch) >= size:
                send("items", batch)
                batch = []
                size = BATCH_ITEMS
    except Exception as error:  # raised again in the parent, as itself
        send("items", batch)
        send("error", _portable(error))
    else:
        send("items", batch)
        send("done", None)
    outgoing.put(None)
    writer.join()


def _write_all(outgoing: queue.Queue[bytes | None], sink: IO[bytes]) -> None:
    try:
        while (blob := outgoing.get()) is not None:
            sink.write(blob)
            sink.flush()
    except OSError:  # the parent is gone (or stopped reading): so is the work's purpose
        os._exit(1)


def _portable(error: Exception) -> Exception:
    """``error`` if it comes back whole from a pickle, else an ``AnnotatorError`` with its
    type and message."""
    try:
        pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return AnnotatorError(f"{type(error).__name__}: {error}")
    return error


def main() -> None:
    """``python -m annotator.services.child_iteration``: serve one target on stdin/stdout.
    Anything the target prints goes to stderr, so that stdout carries pickles only."""
    sink = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with suppress(BrokenPipeError):  # the parent stopped reading: nothing more to do
        try:
            _serve(sys.stdin.buffer, sink)
        finally:
            sink.close()


if __name__ == "__main__":
    main()
