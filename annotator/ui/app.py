"""Starting the window: the QApplication, its identity for QSettings, and error handling.

An ``AnnotatorError`` that reaches the event loop becomes a message box with its one-line
message; any other exception is logged with its traceback and shown as a short message, so the
window never disappears on a bug.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import traceback
from importlib import metadata
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication

from annotator.errors import AnnotatorError
from annotator.store import Project
from annotator.ui.background_pass import wait_for_detached
from annotator.ui.collector import MainThreadCollector
from annotator.ui.icons import icon
from annotator.ui.launcher import Launcher
from annotator.ui.plain_text import critical, warn
from annotator.ui.probe import install_probe

log = logging.getLogger(__name__)


def application_version() -> str:
    """The installed distribution's version (robust to how the package was installed)."""
    try:
        return metadata.version("annotator")
    except metadata.PackageNotFoundError:
        return "unknown"


APPLICATION_NAME = "annotator"
ORGANISATION_NAME = "annotator"
ORGANISATION_DOMAIN = "annotator.local"
GIL_SWITCH_SECONDS = 0.0005
"""How long a worker thread (a propagation search, a suggestion run) may keep the GIL while
the UI thread waits for it: Python's default, 5 ms, is paid again at each of the hundreds of
Qt calls a keystroke's paint makes, and doubled the key-to-paint time of a long document."""


def make_application() -> QApplication:
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION_NAME)
    app.setApplicationDisplayName("annotator")
    app.setOrganizationName(ORGANISATION_NAME)
    app.setOrganizationDomain(ORGANISATION_DOMAIN)
    app.setApplicationVersion(application_version())
    app.setWindowIcon(icon("annotator"))
    app.setDesktopFileName("annotator")
    return app


def show_unexpected(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """``sys.excepthook`` while the window runs."""
    if issubclass(kind, KeyboardInterrupt):
        QApplication.quit()
        return
    parent = QApplication.activeWindow()
    if isinstance(error, AnnotatorError):
        warn(parent, "annotator", str(error))
        return
    if isinstance(error, sqlite3.DatabaseError):  # a damaged page of a big file, read only now
        project = getattr(parent, "project_path", None)
        where = f"{project}: " if project is not None else ""
        warn(parent, "annotator", f"{where}the project file cannot be used: {error}")
        return
    log.error("".join(traceback.format_exception(kind, error, trace)))
    critical(
        parent,
        "annotator: unexpected error",
        f"{kind.__name__}: {error}\n\nYour edits so far are saved in the project file. "
        "The details were written to the terminal.",
    )


def require_display() -> None:
    """Refuse in one line, when there is no screen, before Qt aborts with a page of errors."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise AnnotatorError(
            "no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            "the other commands (import, suggest, stats, export) work without one"
        )


def run_gui(path: Path | None, read_only: bool = False) -> int:
    """``annotator [PATH]``: the window on PATH, on the last project, or the welcome screen."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        require_display()
    except AnnotatorError:
        if path is not None:  # a wrong path is named first: no screen would show it
            Project.check_file(path)
        raise
    app = make_application()
    collector = MainThreadCollector(app)  # never a Qt object deleted by a worker thread
    launcher = Launcher()
    previous_hook = sys.excepthook
    sys.excepthook = show_unexpected
    try:
        if not launcher.start(path, read_only=read_only):
            return 1
        install_probe(launcher)
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        wait_for_detached()  # a tokenizer still loading after its window closed
        collector.stop()
