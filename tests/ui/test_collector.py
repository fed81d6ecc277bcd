"""While the window runs, cyclic garbage is collected on the UI thread, never in a worker."""

from __future__ import annotations

import gc
import threading

from annotator.ui.collector import MainThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        FINALIZED.append(threading.current_thread().name)


FINALIZED: list[str] = []
KEPT: list[list] = []


def test_cycles_are_collected_by_the_ui_threads_timer(qtbot) -> None:
    gc.enable()
    collector = MainThreadCollector()
    try:
        assert not gc.isenabled()
        FINALIZED.clear()

        def worker() -> None:  # allocates far past the thresholds: no collection here
            for _ in range(5):
                _Cycle()
            KEPT.extend([] for _ in range(5_000))  # past generation 0's threshold

        thread = threading.Thread(target=worker, name="worker")
        thread.start()
        thread.join()
        assert FINALIZED == []
        qtbot.waitUntil(lambda: len(FINALIZED) == 5, timeout=5_000)
        assert set(FINALIZED) == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()
