"""Background work: progress, cancel, results on the UI thread, the window never blocked."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QThread, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.errors import AnnotatorError
from annotator.services import importing
from annotator.store import Project
from annotator.ui import jobs
from annotator.ui.dialogs import ImportChoice, ImportDialog
from annotator.ui.workers import Task, TaskContext, TaskProgress, TaskRunner

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


class Ticks:
    """A UI-thread timer: it only ticks while the event loop is free."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


def test_a_task_reports_progress_and_its_result_on_the_ui_thread(qtbot) -> None:
    ui_thread = QThread.currentThread()
    seen: list[tuple[int, int, str]] = []
    threads: list[bool] = []

    def work(context: TaskContext) -> str:
        threads.append(QThread.currentThread() is not ui_thread)
        for done in range(1, 6):
            time.sleep(0.01)
            context.progress(done, 5, "step")
        return "finished"

    task = Task("Counting", work)
    task.progressed.connect(lambda *args: seen.append(args))
    ticks = Ticks()
    with qtbot.waitSignal(task.succeeded, timeout=5000) as result:
        task.start()
    assert result.args == ["finished"]
    assert threads == [True]
    qtbot.waitUntil(lambda: len(seen) == 5)
    assert seen[-1] == (5, 5, "step")
    assert ticks.count > 1  # the UI thread kept running while the work did
    ticks.timer.stop()


def test_cancel_stops_the_work_and_says_so(qtbot) -> None:
    started = threading.Event()

    def work(context: TaskContext) -> None:
        started.set()
        while not context.cancelled():
            time.sleep(0.005)

    progress = TaskProgress()
    qtbot.addWidget(progress)
    runner = TaskRunner(progress)
    task = runner.run("Waiting", work)
    assert not progress.isHidden()
    assert progress.cancel_button.isEnabled()
    started.wait(5)
    with qtbot.waitSignal(task.cancelled, timeout=5000) as signal:
        progress.cancel_button.click()
    assert signal.args == ["cancelled"]
    assert not runner.busy()
    assert progress.isHidden()


def test_errors_come_back_as_one_line(qtbot) -> None:
    def work(_context: TaskContext) -> None:
        raise AnnotatorError("corpus.jsonl:3: not valid JSON")

    task = Task("Import", work)
    with qtbot.waitSignal(task.failed, timeout=5000) as signal:
        task.start()
    assert signal.args == ["corpus.jsonl:3: not valid JSON"]


def test_one_task_at_a_time(qtbot) -> None:
    release = threading.Event()
    progress = TaskProgress()
    qtbot.addWidget(progress)
    runner = TaskRunner(progress)
    first = runner.run("First", lambda context: release.wait(5))
    with pytest.raises(AnnotatorError, match="First is still running"):
        runner.run("Second", lambda context: None)
    with qtbot.waitSignal(first.ended, timeout=5000):
        release.set()
    assert not runner.busy()


def _text_files(folder: Path, count: int) -> Path:
    folder.mkdir()
    for number in range(count):
        (folder / f"{number:04}.txt").write_text(
            f"Article {number}. Marie Curie travaille à Paris pour l'institut {number}.",
            encoding="utf-8",
        )
    return folder


@pytest.fixture(params=["read here", "read apart"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """An import's records read in the window's process, or in the reading process as for a
    large file (``importing.READ_APART_FROM``)."""
    if request.param == "read apart":
        monkeypatch.setattr(importing, "READ_APART_FROM", 0)
        monkeypatch.setattr(importing, "usable_cores", lambda: 2)
    return request.param


def test_the_window_imports_in_the_background(
    qtbot, launcher, project_file, tmp_path, monkeypatch, reading
) -> None:
    path = project_file(2)
    folder = _text_files(tmp_path / "articles", 40)
    window = open_window(qtbot, launcher, path)
    monkeypatch.setattr(ImportDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    jobs.import_files(window, sources=[folder])
    task = window.tasks.current
    assert task is not None and task.writes
    reports: list[tuple[int, int]] = []
    task.progressed.connect(lambda done, total, _message: reports.append((done, total)))
    assert window.edits_held and not window.view.isEnabled()
    assert not window.actions_.actions["done_next"].isEnabled()
    assert not any(action.isEnabled() for action in window.view.actions())
    assert window.status.task_progress.isVisible()
    resets: list[bool] = []
    window.document_list.model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    assert all(action.isEnabled() for action in window.view.actions())
    assert reports and reports[-1] == (40, 40)
    assert resets == [True]  # the list is read again once, not once per listener
    assert window.status.review_label.text().endswith("42 documents unfinished")
    assert not window.edits_held and window.view.isEnabled()
    assert window.document_list.model.rowCount() == 42
    assert "Imported 40 new documents" in window.statusBar().currentMessage()
    with Project.open(path, read_only=True) as project:
        assert project.count_documents() == 42


def test_a_cancelled_import_keeps_nothing(qtbot, launcher, project_file, tmp_path, reading) -> None:
    path = project_file(2)
    folder = _text_files(tmp_path / "articles", 3000)
    window = open_window(qtbot, launcher, path)
    progressed: list[int] = []
    jobs.start_import(window, ImportChoice(sources=[folder], format="auto", split="none"))
    task = window.tasks.current
    assert task is not None
    task.progressed.connect(lambda done, total, _message: progressed.append(done))
    with qtbot.waitSignal(task.ended, timeout=60_000):
        window.status.task_progress.cancel_button.click()
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.document_list.model.rowCount() == 2
    with Project.open(path, read_only=True) as project:
        assert project.count_documents() == 2


def test_files_dropped_on_the_window_are_offered_for_import(
    qtbot, launcher, project_file, tmp_path, monkeypatch
) -> None:
    window = open_window(qtbot, launcher, project_file(1))
    folder = _text_files(tmp_path / "dropped", 2)
    offered: list[list[str]] = []

    def cancel(dialog: ImportDialog) -> QDialog.DialogCode:
        offered.append([dialog.sources.item(i).text() for i in range(dialog.sources.count())])
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ImportDialog, "exec", cancel)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(folder))])
    position = QPointF(window.rect().center())
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        position.toPoint(), actions, data, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        position, actions, data, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, drop)
    assert offered == [[str(folder)]]
    assert not window.tasks.busy()  # cancelled in the dialog: nothing runs


def test_labels_an_import_adds_reach_the_palette(qtbot, launcher, project_file, tmp_path) -> None:
    path = project_file(1)
    source = tmp_path / "tasks.jsonl"
    record = {
        "text": "Marie Curie rejoint Acme.",
        "spans": [{"start": 20, "end": 24, "label": "COMPANY"}],
        "answer": "accept",
    }
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    window = open_window(qtbot, launcher, path)
    jobs.start_import(window, ImportChoice(sources=[source], format="auto", split="none"))
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    assert "new labels: COMPANY" in window.statusBar().currentMessage()
    qtbot.waitUntil(window.palette_panel.button("COMPANY").isVisible)
    assert window.document_list.model.rowCount() == 2
