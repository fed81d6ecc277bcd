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


def test_a_full_collection_waits_until_no_key_came_for_a_while(qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    from annotator.ui import collector as collector_module

    field = QLineEdit()
    qtbot.addWidget(field)
    collected: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            collected.append(info["generation"])

    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.collect(1)
    gc.collect(1)  # the oldest generation is due from the first tick
    gc.callbacks.append(note)
    collector = MainThreadCollector()
    try:
        deadline = collector_module.INTERVAL_MS * 4
        for _ in range(deadline // 100):  # typing: a key every 100 ms for two seconds
            KEPT.extend([] for _ in range(10))
            qtbot.keyClick(field, Qt.Key.Key_A)
            qtbot.wait(100)
        assert collected, "young generations are collected while typing"
        assert 2 not in collected
        qtbot.waitUntil(lambda: 2 in collected, timeout=collector_module.IDLE_MS * 4)
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*thresholds)
        collector.stop()
