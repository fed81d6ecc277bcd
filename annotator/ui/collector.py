"""Python's cyclic garbage collector runs on the UI thread only, while the window is up.

The collector runs in whichever thread happens to allocate when its threshold is passed: a
worker thread (propagation, suggestions, training) as often as not. A Qt object caught in a
reference cycle (a closed dialog, a finished task) is then deleted from a thread that does not
own it, and the process dies with a segmentation fault. So automatic collection is turned off
and a timer collects on the UI thread, as often as the thresholds ask.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Turns automatic collection off; collects from the UI thread's event loop instead."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self._on_timeout)
        self._timer.start()

    def _on_timeout(self) -> None:
        """Collect the generations whose counts passed their thresholds (what gc would do)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Back to automatic collection (after the window closed)."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
