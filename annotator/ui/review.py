"""Review of a merged project: take one annotator's version, accept what everyone agreed on.

A merged project (``annotator merge``) holds each annotator's version as a pending suggestion
whose origin names who made it (``annotator:alice+bob``); the view shows those names on the
tag. Taking a version accepts it and rejects the versions it competes with, in one undo step;
everything else (undo, autosave, session restore, export) is the ordinary project's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from annotator import edits
from annotator.model import Span
from annotator.model.span import annotators_of
from annotator.store.listing import IN_DISPUTE
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.ui.main_window import MainWindow


class ReviewActions:
    """The Review menu; only a merged project (``settings.review_of``) gets one."""

    def __init__(self, window: MainWindow, menu: QMenu) -> None:
        self.window = window
        self.menu = menu
        self.actions: dict[str, QAction] = {}
        self._add("take_version", "&Take this version", self._on_take_version, "T", view=True)
        self._add(
            "accept_agreements",
            "Accept &agreements in this document",
            self._on_accept_agreements,
            "Shift+T",
            view=True,
        )
        self._add(
            "accept_all_agreements",
            "Accept agreements in &every document",
            self._on_accept_all_agreements,
            "Ctrl+Shift+T",
        )
        menu.addSeparator()
        self._add("show_disputes", "Show documents in &dispute", self._on_show_disputes, "Ctrl+D")

    def _add(
        self, name: str, text: str, handler: Callable[[], None], key: str, view: bool = False
    ) -> None:
        action = QAction(text, self.window.view if view else self.window)
        action.setObjectName(f"action-{name}")
        action.setShortcut(QKeySequence(key))
        if view:  # like the view's own editing keys: only while it has the keyboard
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.window.view.addAction(action)
        action.triggered.connect(lambda _checked=False: handler())
        self.menu.addAction(action)
        self.actions[name] = action

    # -- handlers -----------------------------------------------------------------------------

    def _on_take_version(self) -> None:
        session = self.window.session
        version = self.window.view.selected()
        if not isinstance(version, Span) or not annotators_of(version.origin):
            self.window.show_message("Select an annotator's version first (Tab), then press T.")
            return
        project = session.project
        group = edits.take_version(
            version, project.spans(version.doc_id), project.relations(version.doc_id)
        )
        if group.edits:
            session.push(group)

    def _on_accept_agreements(self) -> None:
        doc_id = self.window.session.current_doc_id
        if doc_id is None:
            return
        accepted = self._accept_agreements(doc_id)
        self.window.show_message(
            f"{counted(accepted, 'agreed version')} accepted in this document."
        )

    def _on_accept_all_agreements(self) -> None:
        session = self.window.session
        stack = session.undo_stack
        stack.beginMacro("accept agreements in every document")
        try:
            accepted = sum(self._accept_agreements(i) for i in session.project.document_ids())
        finally:
            stack.endMacro()
        self.window.document_list.model.refresh_rows()
        self.window.show_message(
            f"{counted(accepted, 'agreed version')} accepted; Ctrl+Z takes them all back."
        )

    def _accept_agreements(self, doc_id: int) -> int:
        project = self.window.session.project
        group = edits.accept_agreements(project.spans(doc_id), project.relations(doc_id))
        if group.edits and self.window.session.push(group):
            return len(group.edits)
        return 0

    def _on_show_disputes(self) -> None:
        self.window.document_list.show_status(IN_DISPUTE)
