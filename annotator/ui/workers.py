"""Slow work off the UI thread: a function run in a ``QThread``, with progress and Cancel.

Request -> result: the caller captures everything the work needs on the UI thread and passes
a plain function ``work(context) -> result``. It runs in its own thread (with its own database
connection when it touches the project: ``project.worker_connection()``), reports progress and
partial results (``context.deliver``) through queued signals, and its result comes back on the
UI thread, where the caller applies it. The window never waits for it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from annotator.errors import AnnotatorError, Cancelled
from annotator.ui.plain_text import plain_label

log = logging.getLogger(__name__)


class TaskContext:
    """What a piece of work gets: report progress, ask whether to stop, hand over a part."""

    def __init__(self, runner: _Runner, stop: threading.Event) -> None:
        self._runner = runner
        self._stop = stop

    def progress(self, done: int, total: int | None = 0, message: str = "") -> None:
        """``total`` 0 or None when unknown."""
        self._runner.progressed.emit(int(done), int(total or 0), str(message))

    def cancelled(self) -> bool:
        return self._stop.is_set()

    def deliver(self, part: object) -> None:
        """Hand a partial result to the UI thread (``Task.delivered``), e.g. a batch to store."""
        self._runner.delivered.emit(part)


Work = Callable[[TaskContext], Any]


class _Runner(QObject):
    """Lives in the worker thread; everything it emits reaches the UI thread queued."""

    progressed = Signal(int, int, str)
    delivered = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)
    done = Signal()

    def __init__(self, work: Work, stop: threading.Event) -> None:
        super().__init__()
        self._work = work
        self._stop = stop

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(TaskContext(self, self._stop))
        except Cancelled as error:
            self.cancelled.emit(str(error) or "cancelled")
        except AnnotatorError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug: keep the window alive, say what happened
            log.error("background work failed:\n%s", traceback.format_exc())
            self.failed.emit(f"unexpected error: {type(error).__name__}: {error}")
        else:
            if self._stop.is_set():
                self.cancelled.emit("cancelled")
            else:
                self.succeeded.emit(result)
        finally:
            self.done.emit()


class Task(QObject):
    """One piece of background work. Signals arrive on the UI thread; ``ended`` comes last."""

    progressed = Signal(int, int, str)
    delivered = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)
    ended = Signal()

    def __init__(
        self, title: str, work: Work, parent: QObject | None = None, writes: bool = False
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.writes = writes  # holds the project's write transaction while it runs
        self._stop = threading.Event()
        self._thread = QThread(self)
        self._thread.setObjectName(f"task: {title}")
        self._runner = _Runner(work, self._stop)
        self._runner.moveToThread(self._thread)
        self._thread.finished.connect(self._runner.deleteLater)
        self._thread.started.connect(self._runner.run)
        # quit the thread's event loop as soon as the work returns, so wait() never hangs
        self._runner.done.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        queued = Qt.ConnectionType.QueuedConnection
        self._runner.progressed.connect(self.progressed, queued)
        self._runner.delivered.connect(self.delivered, queued)
        self._runner.succeeded.connect(self._on_succeeded, queued)
        self._runner.failed.connect(self._on_failed, queued)
        self._runner.cancelled.connect(self._on_cancelled, queued)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Ask the work to stop at its next check; what it committed before stays."""
        self._stop.set()

    def wait(self, milliseconds: int | None = None) -> bool:
        """Block until the thread is done, by default however long that takes (only when
        closing the window: a model load cannot be interrupted). ``False`` on a time-out."""
        if milliseconds is None:
            return self._thread.wait()
        return self._thread.wait(milliseconds)

    def _on_succeeded(self, result: object) -> None:
        self._end()
        self.succeeded.emit(result)
        self.ended.emit()

    def _on_failed(self, message: str) -> None:
        self._end()
        self.failed.emit(message)
        self.ended.emit()

    def _on_cancelled(self, message: str) -> None:
        self._end()
        self.cancelled.emit(message)
        self.ended.emit()

    def _end(self) -> None:
        """The work has returned; its thread is quitting: let it finish before ``ended``."""
        self._thread.wait()


class TaskProgress(QWidget):
    """The status-bar strip shown while a task runs: what, how far, and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = plain_label()  # task titles and messages name user files
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setAccessibleName("Background work progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the background work; what it finished stays")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._task: Task | None = None
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.hide()

    def follow(self, task: Task) -> None:
        self._task = task
        self.label.setText(task.title)
        self.bar.setRange(0, 0)  # busy until the first report
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        task.progressed.connect(self._on_progressed)
        task.ended.connect(self._on_ended)
        self.show()

    def _on_progressed(self, done: int, total: int, message: str) -> None:
        """The text follows the last report: its message, or the title alone when it has
        none (a stage's message never outlives the stage)."""
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done:,} / {total:,}")
        if self._task is not None:
            title = self._task.title
            self.label.setText(f"{title}: {message}" if message else title)

    def _on_cancel_clicked(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _on_ended(self) -> None:
        self._task = None
        self.hide()


class TaskRunner(QObject):
    """Runs one background task at a time for the window and shows it in ``progress``."""

    task_started = Signal(object)
    task_ended = Signal(object)

    def __init__(self, progress: TaskProgress, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.progress = progress
        self.current: Task | None = None

    def busy(self) -> bool:
        return self.current is not None

    def run(self, title: str, work: Work, writes: bool = False) -> Task:
        """Start ``work``; refuses (``AnnotatorError``) while another task runs.

        ``writes``: the work keeps the project's write transaction open (an import), so the
        window holds its own writes until it ends (``task_started``/``task_ended`` tell it).
        """
        if self.current is not None:
            raise AnnotatorError(
                f"{self.current.title} is still running; wait for it or cancel it first"
            )
        task = Task(title, work, writes=writes)  # deleted (deleteLater) once it ended
        self.current = task
        task.ended.connect(self._on_ended)
        self.progress.follow(task)
        self.task_started.emit(task)
        task.start()
        return task

    def cancel_and_wait(self) -> None:
        """On close: stop the running task and wait for its thread.

        Its signals are blocked first, so results it already sent (queued, not yet delivered)
        are dropped instead of reaching a project that is about to close.
        """
        task = self.current
        if task is None:
            return
        task.blockSignals(True)
        task.cancel()
        if not task.wait():
            log.error("background work %r did not stop", task.title)

    def _on_ended(self) -> None:
        task = self.current
        if task is None:
            return
        self.current = None
        self.task_ended.emit(task)
        task.deleteLater()  # once back in the event loop: never during its own ``ended``
