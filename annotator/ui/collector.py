"""Python's cyclic garbage collector runs on the UI thread only, while the window is up.

The collector runs in whichever thread happens to allocate when its threshold is passed: a
worker thread (propagation, suggestions, training) as often as not. A Qt object caught in a
reference cycle (a closed dialog, a finished task) is then deleted from a thread that does not
own it, and the process dies with a segmentation fault. So automatic collection is turned off
and a timer collects on the UI thread, as often as the thresholds ask.

A full collection walks every object the process holds: tens of milliseconds with a
100,000-token document open, more on a loaded machine. Landing between a key and its paint, it
would make that key miss its frame. So a full collection waits until no key or click came for
``IDLE_MS``; the young generations, which are cheap, are collected meanwhile.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

INTERVAL_MS = 500
IDLE_MS = 1_000

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.Wheel,
    }
)


class MainThreadCollector(QObject):
    """Turns automatic collection off; collects from the UI thread's event loop instead."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._last_input = 0.0
        gc.disable()
        application = QCoreApplication.instance()
        if application is not None:
            application.installEventFilter(self)
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self._on_timeout)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Notes when the person last pressed a key or clicked; never consumes the event."""
        if event.type() in _INPUT_EVENTS:
            self._last_input = time.monotonic()
        return False

    def _on_timeout(self) -> None:
        """Collect the generations whose counts passed their thresholds (what gc would do),
        the oldest one only once the person is idle."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        idle = (time.monotonic() - self._last_input) * 1000 >= IDLE_MS
        for generation in (2, 1, 0) if idle else (1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Back to automatic collection (after the window closed)."""
        self._timer.stop()
        application = QCoreApplication.instance()
        if application is not None:
            application.removeEventFilter(self)
        gc.collect()
        if self._was_enabled:
            gc.enable()
