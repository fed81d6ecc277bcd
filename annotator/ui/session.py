"""The open project as the window sees it: the store, the undo stack and the current document.

Every widget edits through ``ProjectSession.push(edit)``: the edit is wrapped in a
``QUndoCommand``, applied to the store (one committed transaction) and announced with
``annotations_changed``. Undo and redo apply the edit's inverse the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator.edits import Edit, set_document_status
from annotator.errors import AnnotatorError
from annotator.model import LabelSchema
from annotator.store import Project
from annotator.store.listing import neighbour_document


class EditCommand(QUndoCommand):
    """A core edit as an undo step, pushed after it was applied once (so a refused edit never
    reaches the stack); Qt's redo-on-push is therefore skipped the first time."""

    def __init__(self, session: ProjectSession, edit: Edit) -> None:
        super().__init__(edit.description)
        self._session = session
        self._edit = edit
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self._session._apply(self._edit)

    def undo(self) -> None:
        self._session._apply(self._edit.inverse())


class ProjectSession(QObject):
    """Signals are emitted after the store has committed."""

    annotations_changed = Signal(int)  # doc_id
    document_status_changed = Signal(int, str)  # doc_id, new status
    document_opened = Signal(int)  # doc_id
    schema_changed = Signal()
    edit_failed = Signal(str)  # one-line message for the status bar

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.undo_stack = QUndoStack(self)
        self.current_doc_id: int | None = None

    def open_document(self, doc_id: int) -> None:
        self.current_doc_id = doc_id
        self.project.set_state("last_document", doc_id)
        self.document_opened.emit(doc_id)

    # -- moving between documents (id order) -------------------------------------------------

    def next_document(self) -> bool:
        """Open the next document; ``False`` at the last one."""
        return self._open_neighbour(forward=True)

    def previous_document(self) -> bool:
        return self._open_neighbour(forward=False)

    def mark_done_and_next(self) -> bool:
        """Mark the current document done (one undo step), then open the next unfinished one."""
        return self._set_status_and_next("done")

    def skip_document(self) -> bool:
        """Mark the current document skipped (one undo step), then open the next unfinished one."""
        return self._set_status_and_next("skipped")

    def _set_status_and_next(self, status: str) -> bool:
        doc_id = self.current_doc_id
        if doc_id is None:
            return False
        before = self.project.document_status(doc_id)
        if before != status and not self.push(set_document_status(doc_id, before, status)):  # type: ignore[arg-type]
            return False
        return self._open_neighbour(forward=True, unfinished_only=True)

    def _open_neighbour(self, forward: bool, unfinished_only: bool = False) -> bool:
        target = neighbour_document(self.project, self.current_doc_id, forward, unfinished_only)
        if target is None or target == self.current_doc_id:
            return False
        self.open_document(target)
        return True

    def push(self, edit: Edit) -> bool:
        """Apply ``edit`` as one undo step; on a refused edit, report it and change nothing."""
        try:
            self._apply(edit)
        except AnnotatorError as error:
            self.edit_failed.emit(str(error))
            return False
        self.undo_stack.push(EditCommand(self, edit))
        return True

    def _apply(self, edit: Edit) -> None:
        self.project.apply(edit)
        self.annotations_changed.emit(edit.doc_id)
        if edit.kind == "set_document_status":
            self.document_status_changed.emit(edit.doc_id, edit.after)  # type: ignore[union-attr]

    def set_schema(
        self,
        schema: LabelSchema,
        entity_renames: dict[str, str] | None = None,
        relation_renames: dict[str, str] | None = None,
    ) -> None:
        """Replace the schema (not an undo step); renamed labels keep their annotations."""
        self.project.set_schema(schema, entity_renames, relation_renames)
        self.schema_changed.emit()
