"""Opening projects: which window shows, what happens when a project cannot be opened.

The launcher owns the windows. It opens a project (offering read-only when another window or
process is writing it, opening it read-only and saying why when this user may not write it),
makes its session and main window, restores the session, and replaces
the window when another project is opened. Problems are message boxes, never tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from annotator.errors import AnnotatorError, ProjectLockedError, ProjectNotWritableError
from annotator.store import Project
from annotator.ui.main_window import MainWindow
from annotator.ui.plain_text import critical, message_box
from annotator.ui.preferences import Preferences
from annotator.ui.session import ProjectSession
from annotator.ui.welcome import WelcomeWindow
from annotator.ui.workers import Task, TaskContext

PROJECT_FILTER = "Annotator projects (*.annotator);;All files (*)"
SAMPLE_NAME = "sample.annotator"


def sample_sources() -> Path | None:
    """The sample corpus: ``seeds/`` beside the package (a checkout or an editable install)."""
    candidate = Path(__file__).resolve().parents[2] / "seeds"
    return candidate if candidate.is_dir() and any(candidate.glob("*.txt")) else None


def user_data_dir() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or Path.home() / ".annotator")


class Launcher(QObject):
    def __init__(
        self,
        preferences: Preferences | None = None,
        ask_read_only: Callable[[QWidget | None, str], bool] | None = None,
    ) -> None:
        super().__init__()
        self.preferences = preferences or Preferences()
        self._ask_read_only = ask_read_only or _ask_read_only
        self.window: MainWindow | None = None
        self.welcome: WelcomeWindow | None = None
        self._sample_task: Task | None = None

    # -- windows ------------------------------------------------------------------------------

    def start(self, path: Path | None, read_only: bool = False) -> bool:
        """``annotator PATH`` opens PATH; ``annotator`` the last project, else the welcome."""
        if path is not None:
            return self.open_project(path, read_only=read_only)
        last = self.preferences.last_project()
        if last is not None and not last.is_file():  # said, not an older project instead
            self.show_welcome(
                f"The last project, {last}, is not there any more (moved, renamed or deleted): "
                "open it where it is now with Open project…"
            )
            return True
        if last is not None and self.open_project(last, quiet_if_locked=False):
            return True
        self.show_welcome()
        return True

    def show_welcome(self, notice: str = "") -> None:
        if self.welcome is None:
            self.welcome = WelcomeWindow(
                self.preferences.recent_projects(), sample_sources() is not None, notice
            )
            self.welcome.new_project_requested.connect(self.new_project)
            self.welcome.open_project_requested.connect(self.open_project_or_ask)
            self.welcome.sample_requested.connect(self.open_sample)
        self.welcome.show()
        self.welcome.raise_()

    def _parent(self) -> QWidget | None:
        return self.window or self.welcome

    # -- opening ------------------------------------------------------------------------------

    def open_project_or_ask(self, path: Path | None) -> bool:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self._parent(), "Open project", str(self._start_folder()), PROJECT_FILTER
            )
            if not chosen:
                return False
            path = Path(chosen)
        return self.open_project(path)

    def open_project(
        self, path: Path, quiet_if_locked: bool = False, read_only: bool = False
    ) -> bool:
        """Open ``path`` in the window (replacing any open project). ``False`` when it was not
        opened; the user has been told why."""
        path = Path(path).expanduser()
        if self.window is not None and _same_file(self.window.project_path, path):
            if not read_only and self.window.session.project.read_only:
                with suppress(AnnotatorError):  # free for writing now: opened so
                    self._show_project(Project.open(path))
                    return True
            self.window.raise_()
            self.window.activateWindow()
            return True
        why_read_only = ""
        try:
            project = Project.open(path, read_only=read_only)
        except ProjectNotWritableError as error:
            try:
                project = Project.open(path, read_only=True)
            except AnnotatorError as second:
                self._error("Cannot open the project", str(second))
                return False
            why_read_only = f"Opened read-only: {error}"
        except ProjectLockedError as error:
            if quiet_if_locked or not self._ask_read_only(self._parent(), str(error)):
                return False
            try:
                project = Project.open(path, read_only=True)
            except AnnotatorError as second:
                self._error("Cannot open the project", str(second))
                return False
        except AnnotatorError as error:
            self._error("Cannot open the project", str(error))
            return False
        self._show_project(project)
        if why_read_only and self.window is not None:
            self.window.show_message(why_read_only, 0)  # stays until another message
        return True

    def _show_project(self, project: Project) -> None:
        previous = self.window
        if previous is not None:
            previous.save_layout()  # the new window opens with the same layout
        session = ProjectSession(project)
        window = MainWindow(session, self.preferences)
        window.new_project_requested.connect(self.new_project)
        window.open_project_requested.connect(self.open_project_or_ask)
        window.sample_requested.connect(self.open_sample)
        window.closed.connect(self._on_window_closed)
        self.window = window
        window.show()
        window.restore_session()
        if previous is not None:
            # closed once the new one shows, so the application never sees its last window go
            previous.close()  # saves its state and closes its project
        if not project.read_only:
            self.preferences.add_recent(project.path)
        if self.welcome is not None:
            welcome, self.welcome = self.welcome, None
            welcome.close()
            welcome.deleteLater()

    def _on_window_closed(self, window: MainWindow) -> None:
        window.session.undo_stack.clear()
        window.session.close()
        if self.window is window:
            self.window = None
        # deleted once its close has returned: its timers and connections go with it
        window.deleteLater()

    # -- new project and the sample -----------------------------------------------------------

    def new_project(self) -> bool:
        chosen, _ = QFileDialog.getSaveFileName(
            self._parent(),
            "New project",
            str(self._start_folder() / "corpus.annotator"),
            PROJECT_FILTER,
        )
        if not chosen:
            return False
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".annotator")
        return self.create_and_open(path)

    def create_and_open(self, path: Path) -> bool:
        from annotator.services.projects import new_project

        try:
            new_project(path).close()
        except AnnotatorError as error:
            self._error("Cannot create the project", str(error))
            return False
        return self.open_project(path)

    def open_sample(self) -> None:
        """The sample corpus, imported once into a project in the user data folder."""
        target = user_data_dir() / SAMPLE_NAME
        if target.is_file():
            self.open_project(target)
            return
        sources = sample_sources()
        if sources is None:
            self._error("No sample corpus", "The sample corpus (seeds/) is not installed here.")
            return
        if self._sample_task is not None:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)

        def work(context: TaskContext) -> Path:
            from annotator.services.importing import import_sources
            from annotator.services.projects import new_project

            with new_project(partial) as project:
                import_sources(
                    project,
                    [sources],
                    progress=lambda done, total: context.progress(done, total),
                    cancel=context.cancelled,
                )
            partial.replace(target)
            return target

        dialog = QProgressDialog("Importing the sample corpus…", "Cancel", 0, 0, self._parent())
        dialog.setWindowTitle("Sample corpus")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        task = Task("Import the sample corpus", work)  # owned here in Python
        self._sample_task = task
        dialog.canceled.connect(task.cancel)
        task.succeeded.connect(self._on_sample_imported)
        task.failed.connect(lambda message: self._error("Cannot import the sample", message))
        task.ended.connect(dialog.reset)
        task.ended.connect(lambda: partial.unlink(missing_ok=True))
        task.ended.connect(self._on_sample_ended)
        task.start()

    def _on_sample_imported(self, path: Path) -> None:
        """Open the sample and pre-annotate it at once, in the background with its progress in
        the status bar: the article appears with its suggestions, as the welcome promises."""
        if not self.open_project(Path(path)) or self.window is None:
            return
        from annotator.ui import jobs

        if jobs.suggest_new_documents(self.window) is not None:
            self.window.suggestions_bar.hide()
            self.window.view.setFocus()
            self.window.show_message(
                "The sample article is imported; suggesting its entities and relations with "
                "the project's spaCy pipeline and relation rules…",
                20000,
            )

    def _on_sample_ended(self) -> None:
        task, self._sample_task = self._sample_task, None
        if task is not None:
            task.deleteLater()  # once back in the event loop: never during its own ``ended``

    # -- helpers ------------------------------------------------------------------------------

    def _start_folder(self) -> Path:
        last = self.preferences.last_project()
        return last.parent if last is not None and last.parent.is_dir() else Path.home()

    def _error(self, title: str, message: str) -> None:
        critical(self._parent(), title, message)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _ask_read_only(parent: QWidget | None, message: str) -> bool:
    box = message_box(
        parent,
        QMessageBox.Icon.Warning,
        "Project in use",
        "This project is open for writing in another window or process.",
        informative=f"{message}\n\nYou can open it read-only: you will see the annotations "
        "but cannot change them.",
    )
    read_only = box.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(read_only)
    box.exec()
    return box.clickedButton() is read_only
