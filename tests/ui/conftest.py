"""Fixtures for the window's tests; every Qt warning in these tests fails the test."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot
from window_support import add_documents

from annotator.store import Project
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences

# The same names as ``tests/conftest.py``: with pytest's default import mode both files are
# the module ``conftest``, and tests elsewhere do ``from conftest import ROOT`` whichever loaded
# last.
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
SEEDS = ROOT / "seeds"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))


@pytest.fixture(autouse=True)
def collected_on_the_main_thread(qapp) -> Iterator[None]:
    """As the window does (``MainThreadCollector``): no cyclic collection in worker threads,
    where deleting a Qt object left by an earlier test crashes the process."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture(autouse=True)
def detached_threads_ended() -> Iterator[None]:
    """A tokenizer a closed window left loading ends before the next test (as ``run_gui``
    waits for it before the program exits)."""
    yield
    from annotator.ui.background_pass import wait_for_detached

    wait_for_detached()


@dataclass
class ModalWatch:
    """Modal dialogs left waiting for a click, closed after ``patience`` seconds."""

    patience: float = 60.0
    closed: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def modal_watch(qapp) -> Iterator[ModalWatch]:
    """A modal dialog nobody closes (a failure the window shows the user, which the test did
    not expect) is closed after a minute and fails the test, naming its text, instead of
    waiting for a click until CI's time runs out."""
    watch = ModalWatch()
    shown_since: dict[int, float] = {}

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            shown_since.clear()
            return
        since = shown_since.setdefault(id(dialog), time.monotonic())
        if time.monotonic() - since >= watch.patience:
            text = dialog.text() if isinstance(dialog, QMessageBox) else ""
            watch.closed.append(f"{dialog.windowTitle()!r}: {text}")
            shown_since.pop(id(dialog))
            dialog.done(QDialog.DialogCode.Rejected)

    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(look)
    timer.start()
    yield watch
    timer.stop()
    assert not watch.closed, f"a modal dialog waited for a click: {watch.closed}"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Iterator[Path]:
    """QSettings (recent projects, window layout) in a folder of the test's own."""
    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("annotator-tests")
    QCoreApplication.setApplicationName("annotator-tests")
    yield folder


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """Create a project file with ``count`` documents; closed after the test."""
    opened: list[Project] = []

    def make(count: int = 10, name: str = "ui.annotator") -> Project:
        project = Project.create(tmp_path / name)
        add_documents(project, count)
        opened.append(project)
        return project

    yield make
    for project in opened:
        project.close()  # closing twice is harmless


@pytest.fixture
def launcher(qtbot: QtBot) -> Iterator[Launcher]:
    """The application's launcher; any window it opens is closed after the test."""
    created = Launcher(Preferences())
    yield created
    if created.window is not None:
        created.window.close()
    if created.welcome is not None:
        created.welcome.close()


@pytest.fixture
def project_file(tmp_path: Path) -> Callable[..., Path]:
    """A closed project file with ``count`` documents (see ``add_documents``)."""

    def make(count: int = 5, name: str = "window.annotator") -> Path:
        path = tmp_path / name
        with Project.create(path) as project:
            add_documents(project, count)
        return path

    return make
