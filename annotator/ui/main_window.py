"""The main window: wires the document view, the docks, the menus and the status bar together.

It holds no annotation state of its own: the session holds the project and the undo stack, the
view holds its selection, the store holds the truth. Project-level requests (new, open) go out
as signals to the application, which owns the windows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QVBoxLayout, QWidget

from annotator.errors import AnnotatorError, NotFoundError
from annotator.services import propagation_process
from annotator.store.listing import (
    awaiting_first_suggestions,
    neighbour_document,
    status_counts,
)
from annotator.store.pool import neighbour_by_priority
from annotator.ui import jobs
from annotator.ui.background_index import BackgroundIndexer
from annotator.ui.background_tokens import BackgroundTokenizer
from annotator.ui.document_list import DocumentListPanel
from annotator.ui.editor.document_view import DocumentView
from annotator.ui.editor.refusal_notice import RefusalNotice
from annotator.ui.help_overlay import HelpOverlay, shortcut_rows
from annotator.ui.icons import icon
from annotator.ui.inspector import Inspector
from annotator.ui.label_palette import LabelPalette
from annotator.ui.menus import WindowActions
from annotator.ui.outside_changes import OutsideChanges
from annotator.ui.preferences import Preferences
from annotator.ui.propagation_bar import PropagationBar
from annotator.ui.session import ProjectSession
from annotator.ui.status_bar import StatusBar
from annotator.ui.suggestions_bar import SuggestionsBar
from annotator.ui.training import AutoRetrainer
from annotator.ui.workers import Task, TaskRunner

# Keys of the session state kept in the project file.
STATE_SCROLL = "scroll_position"
STATE_SELECTION = "selection"
STATE_VIEW_DOCUMENT = "view_document"  # the document the two above belong to


class MainWindow(QMainWindow):
    new_project_requested = Signal()
    open_project_requested = Signal(object)  # a Path, or None to ask for one
    sample_requested = Signal()
    closed = Signal(object)  # the window itself, once its project state is saved

    def __init__(
        self,
        session: ProjectSession,
        preferences: Preferences | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.preferences = preferences or Preferences()
        self.setObjectName("main-window")
        self.setWindowIcon(icon("annotator"))
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )

        self.view = DocumentView(session, self)
        self.view.setObjectName("document-view")
        self.view.propagation().search_in(propagation_process.SHARED)
        self.suggestions_bar = SuggestionsBar()
        self.propagation_bar = PropagationBar(self.view.propagation())
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.suggestions_bar)
        centre_layout.addWidget(self.propagation_bar)
        centre_layout.addWidget(self.view, 1)
        self.setCentralWidget(centre)
        self.refusal_notice = RefusalNotice(self.view, session)

        self.document_list = DocumentListPanel(session)
        self.palette_panel = LabelPalette(session)
        self.inspector = Inspector(session)
        self.documents_dock = self._dock("Documents", self.document_list, "documents-dock")
        self.labels_dock = self._dock("Labels", self.palette_panel, "labels-dock")
        self.inspector_dock = self._dock("Inspector", self.inspector, "inspector-dock")
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.documents_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.labels_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)
        self.resizeDocks([self.documents_dock], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.labels_dock], [220], Qt.Orientation.Horizontal)

        self.status = StatusBar(session)
        self.setStatusBar(self.status)
        self.tasks = TaskRunner(self.status.task_progress, self)
        self.tokenizer = BackgroundTokenizer(session.project, self)
        self.status.addPermanentWidget(self.tokenizer.label)
        self.indexer = BackgroundIndexer(session.project, self)
        self.status.addPermanentWidget(self.indexer.label)
        self.help_overlay = HelpOverlay(self)
        self.actions_ = WindowActions(self)
        self.retrainer = AutoRetrainer(self)

        self.tasks.task_started.connect(self._on_task_started)
        self.tasks.task_ended.connect(self._on_task_ended)
        self.tasks.task_ended.connect(lambda _task: self.tokenizer.start())  # new documents
        self.tasks.task_ended.connect(lambda _task: self.indexer.start())
        self._edits_held = False

        self.document_list.document_activated.connect(self._on_document_activated)
        self.document_list.filter_confirmed.connect(self._on_filter_confirmed)
        self.document_list.model.read_failed.connect(self.status.show_failure)
        # a click in the list opens the document and gives the keyboard back to the view;
        # arrow keys in the list keep it there, to walk the list
        self.document_list.table.clicked.connect(self._on_list_clicked)
        self.document_list.table.activated.connect(self._on_list_clicked)
        self.palette_panel.label_chosen.connect(self.view.apply_label)
        self.view.selection_changed.connect(self.inspector.show_item)
        self.view.selection_changed.connect(self._on_selection_changed)
        self.view.propagated.connect(self._on_propagated)
        self.view.propagation_withdrawn.connect(self._on_propagated)
        self.suggestions_bar.run_requested.connect(lambda: jobs.suggest_new_documents(self))
        self.suggestions_bar.dismissed.connect(self.view.setFocus)
        session.document_opened.connect(self._on_document_opened)
        session.document_status_changed.connect(self._on_document_status_changed)

        self.outside_changes = OutsideChanges(session.project, self)
        self.outside_changes.changed.connect(self._on_outside_changes_changed)
        self.outside_changes.writer_left.connect(self._on_outside_changes_writer_left)

        self._state_timer = QTimer(self, singleShot=True, interval=400)
        self._state_timer.timeout.connect(self.save_view_state)
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._state_timer.start())

        self.setAcceptDrops(True)  # files dropped on the window are offered for import
        self._dock_heights_pending = False
        self._restore_window()
        self._update_title()
        self.tokenizer.start()
        self.indexer.start()

    # -- building -----------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState find docks by name
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return dock

    def _update_title(self) -> None:
        project = self.session.project
        suffix = " (read-only)" if project.read_only else ""
        self.setWindowTitle(f"{project.path.name}{suffix} — annotator")
        self.setWindowFilePath(str(project.path))

    # -- session state: document, scroll, selection ------------------------------------------

    def restore_session(self) -> None:
        """Open the last document at its scroll position and selection (or the first one);
        after a new ``annotator sample`` shown first, the sample's first unfinished one."""
        project = self.session.project
        doc_id = project.get_state("last_document")
        try:
            if doc_id is not None:
                project.document_status(int(doc_id))
        except (NotFoundError, ValueError, TypeError):
            doc_id = None
        if self.document_list.opens_new_sample():
            first = neighbour_by_priority(project, None, unfinished_only=True)
            self.document_list.mark_sample_seen()
            if first is not None and first != doc_id:
                doc_id = first
                project.set_state(STATE_SCROLL, None)  # they were the other document's
                project.set_state(STATE_SELECTION, None)
        if doc_id is None:
            doc_id = neighbour_document(project, None)  # the first, without listing them all
        if doc_id is None:
            self.show_message(
                "This project has no documents yet: File ▸ Import files… (Ctrl+I), or drop "
                "files on the window.",
                0,
            )
            return
        scroll = project.get_state(STATE_SCROLL)
        selection = project.get_state(STATE_SELECTION)
        if project.get_state(STATE_VIEW_DOCUMENT, doc_id) != doc_id:  # saved for another one,
            scroll = selection = None  # then a kill before this one's were saved
        self.session.open_document(int(doc_id))
        self.offer_suggestions()
        # the view lays its document out on open; restore position and selection after that
        if isinstance(selection, str):
            self.view.select(selection)
        if isinstance(scroll, int):
            self.view.set_scroll_position(scroll)

    def save_view_state(self) -> None:
        if (
            self.session.current_doc_id is None
            or self.session.project.read_only
            or self._edits_held
        ):
            return
        selected = self.view.selected()
        project = self.session.project
        try:
            with project.transaction():
                project.set_state(STATE_VIEW_DOCUMENT, self.session.current_doc_id)
                project.set_state(STATE_SCROLL, int(self.view.scroll_position()))
                project.set_state(STATE_SELECTION, selected.id if selected else None)
        except AnnotatorError as error:
            self.status.showMessage(str(error), 5000)

    def _on_document_activated(self, doc_id: int) -> None:
        self.save_view_state()
        self.session.open_document(doc_id)

    def _on_list_clicked(self, _index: object) -> None:
        self.view.setFocus()

    def _on_filter_confirmed(self) -> None:
        self.view.setFocus()

    def find_documents(self) -> None:
        """Ctrl+F: the document list's text filter, its dock shown if it was hidden."""
        self.documents_dock.show()
        self.documents_dock.raise_()
        self.document_list.focus_filter()

    def _on_outside_changes_changed(self) -> None:
        """Another window or command wrote the project this window reads: show its edits."""
        self.session.project.reload()
        self.document_list.reload()
        self.status.refresh()
        if self.session.current_doc_id is not None:
            self.session.annotations_changed.emit(self.session.current_doc_id)

    def _on_outside_changes_writer_left(self) -> None:
        """The window that held the project for writing closed: this one may write it now."""
        self.actions_.actions["reopen_writable"].setEnabled(True)
        self.show_message(
            f"{self.project_path.name} is no longer open for writing elsewhere: "
            "File ▸ Reopen for writing (Ctrl+Shift+W) to edit it here",
            0,
        )

    def _on_document_opened(self, _doc_id: int) -> None:
        self.inspector.show_item(self.view.selected())

    def _on_document_status_changed(self, _doc_id: int, _status: str) -> None:
        """The offer counts the new documents: one fewer once one is worked on or done."""
        if not self.suggestions_bar.isHidden():
            waiting = status_counts(self.session.project).get("new", 0)
            if waiting:
                self.suggestions_bar.set_documents(waiting)
            else:
                self.suggestions_bar.hide()

    def _on_propagated(self, added: int) -> None:
        """Suggestions were added to (or withdrawn from) other documents: their rows in the
        list count them now."""
        if added:
            self.document_list.model.refresh_rows()
            self.document_list.update_progress()

    def _on_selection_changed(self, _item: object) -> None:
        self._state_timer.start()

    # -- the first suggestions -----------------------------------------------------------------

    def offer_suggestions(self) -> None:
        """Offer (in the bar over the text) to suggest, when no suggestion run was ever stored."""
        project = self.session.project
        waiting = 0 if project.read_only else awaiting_first_suggestions(project)
        if waiting and not self.tasks.busy():
            self.suggestions_bar.offer(waiting, project.settings.default_model)
        else:
            self.suggestions_bar.hide()

    # -- background work that writes: the window holds its own writes meanwhile -------------

    HELD_ACTIONS = (
        "undo",
        "redo",
        "done_next",
        "skip",
        "previous",
        "next",
        "schema",
        "ask_pending",
    )

    def _on_task_started(self, task: Task) -> None:
        if self.suggestions_bar.isVisible():
            self.suggestions_bar.hide()
            self.view.setFocus()
        if task.writes:
            self.tokenizer.suspend()  # their commits would refuse the job's transaction
            self.indexer.suspend()
            self.view.wait_for_tokens()
            self.hold_edits(True)

    def _on_task_ended(self, task: Task) -> None:
        if task.writes:
            self.hold_edits(False)

    def hold_edits(self, held: bool) -> None:
        """While an import holds the project's write transaction, editing and moving wait, so
        the window never blocks on the database; reading and scrolling stay."""
        self._edits_held = held
        for widget in (self.view, self.document_list, self.palette_panel):
            widget.setEnabled(not held)
        for name in self.HELD_ACTIONS:
            self.actions_.actions[name].setEnabled(not held)
        for action in self.view.actions():  # also reachable from the Edit menu
            action.setEnabled(not held)
        if not held:
            stack = self.session.undo_stack
            self.actions_.actions["undo"].setEnabled(stack.canUndo())
            self.actions_.actions["redo"].setEnabled(stack.canRedo())
            self.view.setFocus()

    @property
    def edits_held(self) -> bool:
        return self._edits_held

    # -- window layout ------------------------------------------------------------------------

    def _restore_window(self) -> None:
        geometry = self.preferences.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = self.preferences.window_state()
        if state is None or not self.restoreState(state):
            self._default_dock_heights()

    def _default_dock_heights(self) -> None:
        """The palette as tall as its buttons (at most half the height), the inspector the
        rest: at 1280x800 it shows every field of a span without scrolling (split evenly, it
        had 175 pixels and scrolled Score and Status out of sight). Sized once shown, when
        the docks have their heights (``resizeDocks`` shares what they have in proportion)."""
        self._dock_heights_pending = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dock_heights_pending:
            self._dock_heights_pending = False
            self.layout().activate()
            labels, inspector = self.labels_dock, self.inspector_dock
            available = labels.height() + inspector.height()
            title = labels.height() - labels.widget().height()  # the dock's title bar
            height = min(self.palette_panel.content_height() + title, available // 2)
            self.resizeDocks(
                [labels, inspector], [height, available - height], Qt.Orientation.Vertical
            )

    def save_layout(self) -> None:
        """Window geometry and dock layout, for the next window (QSettings)."""
        self.preferences.save_window(self.saveGeometry(), self.saveState())

    def show_help(self) -> None:
        groups = [(menu.title().replace("&", ""), menu.actions()) for menu in self.actions_.menus]
        schema = self.session.project.schema
        label_rows = [
            ("Labels", label.key, f"Label {label.name}")
            for label in (*schema.entities, *schema.relations)
            if label.key
        ]
        rows = shortcut_rows(groups)
        shown = {(keys, what) for _, keys, what in rows}
        rows += [row for row in label_rows if (row[1], row[2]) not in shown]
        self.help_overlay.show_rows(rows)

    def show_message(self, message: str, milliseconds: int = 5000) -> None:
        self.status.showMessage(message, milliseconds)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            jobs.import_files(self, sources=paths)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.outside_changes.stop()
        self.tasks.cancel_and_wait()
        self.tokenizer.close()
        self.indexer.close()
        self.view.close_tokens()
        self.save_view_state()
        self.save_layout()
        super().closeEvent(event)
        if event.isAccepted():
            self.document_list.model.stop_listing()  # its project is closed next
            self.closed.emit(self)

    @property
    def project_path(self) -> Path:
        return self.session.project.path
