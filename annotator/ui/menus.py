"""The window's menus and their actions, each with its shortcut (shown in menus and in the
help overlay). Handlers are the window's parts; nothing here holds state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from annotator.ui import done_dialog, jobs, training
from annotator.ui.annotator_name import ask_annotator_name
from annotator.ui.icons import icon
from annotator.ui.plain_text import tooltip
from annotator.ui.review import ReviewActions
from annotator.ui.schema_editor import SchemaEditor
from annotator.ui.session import REDO_KEYS, UNDO_KEYS
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.ui.main_window import MainWindow


class WindowActions:
    """Builds the menu bar of ``window``; ``actions[name]`` for tests and the help overlay."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.menus: list[QMenu] = []
        bar = window.menuBar()
        session = window.session

        file_menu = self._menu(bar.addMenu("&File"))
        self._add(
            file_menu,
            "new",
            "&New project…",
            window.new_project_requested.emit,
            QKeySequence.StandardKey.New,
        )
        self._add(
            file_menu,
            "open",
            "&Open project…",
            lambda: window.open_project_requested.emit(None),
            QKeySequence.StandardKey.Open,
        )
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recent-menu")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        reopen = self._add(
            file_menu,
            "reopen_writable",
            "Reopen for &writing",
            lambda: window.open_project_requested.emit(window.project_path),
            "Ctrl+Shift+W",
        )
        reopen.setVisible(session.project.read_only)  # enabled once nobody else writes it
        reopen.setEnabled(session.project.read_only and not session.project.writer_elsewhere())
        file_menu.addSeparator()
        self._add(
            file_menu, "import", "&Import files…", lambda: jobs.import_files(window), "Ctrl+I"
        )
        self._add(file_menu, "export", "&Export…", lambda: jobs.export_project(window), "Ctrl+E")
        file_menu.addSeparator()
        self._add(
            file_menu, "save", "&Save (automatic)", self._on_save, QKeySequence.StandardKey.Save
        )
        self._add(file_menu, "quit", "&Quit", self._on_quit, "Ctrl+Q")

        edit_menu = self._menu(bar.addMenu("&Edit"))
        undo = session.undo_stack.createUndoAction(window, "&Undo")
        undo.setShortcuts([QKeySequence(key) for key in UNDO_KEYS])
        redo = session.undo_stack.createRedoAction(window, "&Redo")
        redo.setShortcuts([QKeySequence(key) for key in REDO_KEYS])
        for name, action in (("undo", undo), ("redo", redo)):
            action.setObjectName(f"action-{name}")
            edit_menu.addAction(action)
            self.actions[name] = action
        view_actions = list(window.view.actions())
        if view_actions:
            edit_menu.addSeparator()
            for action in view_actions:
                edit_menu.addAction(action)
        edit_menu.addSeparator()
        self._add(edit_menu, "schema", "Label &schema…", self._on_schema, "Ctrl+Shift+L")
        self._add(
            edit_menu,
            "annotator_name",
            "Annotator &name…",
            lambda: ask_annotator_name(session, window),
        )

        document_menu = self._menu(bar.addMenu("&Document"))
        self._add(
            document_menu,
            "done_next",
            "Mark &done and next",
            self._on_done_next,
            "Ctrl+Return",
            "Ctrl+Enter",
        )
        self._add(
            document_menu, "skip", "&Skip", self._on_skip, "Ctrl+Shift+Return", "Ctrl+Shift+Enter"
        )
        self._add(
            document_menu,
            "ask_pending",
            "Ask again about pending suggestions",
            self._on_ask_pending,
        )
        document_menu.addSeparator()
        self._add(
            document_menu,
            "previous",
            "&Previous document",
            self._on_previous,
            "Alt+Left",
            "Ctrl+PgUp",
        )
        self._add(
            document_menu, "next", "&Next document", self._on_next, "Alt+Right", "Ctrl+PgDown"
        )

        suggest_menu = self._menu(bar.addMenu("&Suggest"))
        self._add(
            suggest_menu,
            "suggest_all",
            "Run on &all documents…",
            lambda: jobs.suggest(window, only_new=False),
            "Ctrl+Shift+G",
        )
        self._add(
            suggest_menu,
            "suggest_new",
            "Run on &new documents…",
            lambda: jobs.suggest(window, only_new=True),
            "Ctrl+G",
        )
        suggest_menu.addSeparator()
        self._add(
            suggest_menu, "train", "&Train a model…", lambda: training.train(window), "Ctrl+T"
        )
        self._add(
            suggest_menu,
            "figures",
            "Suggester &figures…",
            lambda: training.show_figures(window),
            "Ctrl+Shift+F",
        )

        view_menu = self._menu(bar.addMenu("&View"))
        for dock, key in (
            (window.documents_dock, "Ctrl+1"),
            (window.labels_dock, "Ctrl+2"),
            (window.inspector_dock, "Ctrl+3"),
        ):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(key))
            toggle.setText(f"Show {dock.windowTitle().lower()}")
            view_menu.addAction(toggle)
            self.actions[dock.objectName()] = toggle
        self._add(view_menu, "find_documents", "&Find documents…", window.find_documents, "Ctrl+F")
        view_menu.addSeparator()
        shortcuts = self._add(
            view_menu, "shortcuts", "&Keyboard shortcuts", window.show_help, "F1", "Ctrl+/"
        )

        if session.project.settings.review_of:  # a merged project, to review
            self.review = ReviewActions(window, self._menu(bar.addMenu("&Review")))
            self.actions.update(self.review.actions)

        help_menu = self._menu(bar.addMenu("&Help"))
        help_menu.addAction(shortcuts)
        self._add(help_menu, "about", "&About annotator", self._on_about)

        self.actions["new"].setIcon(icon("annotator"))

    # -- helpers ------------------------------------------------------------------------------

    def _menu(self, menu: QMenu) -> QMenu:
        self.menus.append(menu)
        return menu

    def _add(
        self,
        menu: QMenu,
        name: str,
        text: str,
        handler: Callable[[], object],
        *shortcuts: str | QKeySequence.StandardKey,
    ) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(f"action-{name}")
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.triggered.connect(lambda _checked=False: handler())
        menu.addAction(action)
        self.actions[name] = action
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.window.preferences.recent_projects()
        for path in recent:
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(tooltip(str(path)))
            action.setStatusTip(str(path))
            action.triggered.connect(
                lambda _checked=False, p=path: self.window.open_project_requested.emit(Path(p))
            )
        if not recent:
            empty = self.recent_menu.addAction("No recent projects")
            empty.setEnabled(False)

    # -- handlers -----------------------------------------------------------------------------

    def _on_save(self) -> None:
        self.window.show_message("All changes are saved: every edit is in the project file.")

    def _on_quit(self) -> None:
        """The main window first: it saves its layout while its floating docks still show
        (closed before it, a floating dock was saved hidden), then any other window."""
        if not self.window.close():
            return
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.closeAllWindows()

    def _on_schema(self) -> None:
        SchemaEditor(self.window.session, self.window).exec()

    def _on_done_next(self) -> None:
        session = self.window.session
        waiting, _conflicts = session.pending_suggestions()
        remembered = session.project.settings.pending_on_done != "ask"
        go_on, pending = done_dialog.choose_pending(session, self.window)
        if not go_on:
            return
        doc_id = session.current_doc_id
        moved = session.mark_done_and_next(pending)
        done = doc_id is not None and session.project.document_status(doc_id) == "done"
        if done and pending is not None and remembered:  # no dialog said it: the bar does
            decided = "accepted" if pending == "accept" else "rejected"
            self.window.show_message(
                f"Document {doc_id} done: {counted(waiting, 'pending suggestion')} {decided}, "
                "as remembered (Document ▸ Ask again about pending suggestions)",
                10_000,
            )
        if not moved and (doc_id is None or done):
            self._say_no_more()  # done, and nothing left to open (a refusal was reported)

    def _on_ask_pending(self) -> None:
        done_dialog.remember_choice(self.window.session, None)
        self.window.show_message(
            "Marking a document done asks again what to do with its pending suggestions."
        )

    def _on_skip(self) -> None:
        if not self.window.session.skip_document():
            self._say_no_more()

    def _on_previous(self) -> None:
        self.window.save_view_state()
        if not self.window.session.previous_document():
            self.window.show_message("This is the first document.")

    def _on_next(self) -> None:
        self.window.save_view_state()
        if not self.window.session.next_document():
            self.window.show_message("This is the last document.")

    def _say_no_more(self) -> None:
        if self.window.session.project.read_only:
            return  # the refused edit already said why
        self.window.show_message("No unfinished document left. Everything is done.", 8000)
        self.window.document_list.update_progress()

    def _on_about(self) -> None:
        QMessageBox.about(
            self.window,
            "About annotator",
            f"<b>annotator {QApplication.applicationVersion()}</b><p>Correct suggested entities "
            "and relations at keyboard speed, and export spaCy training data.</p><p>Every edit "
            "is saved in the project file as it happens.</p>",
        )
