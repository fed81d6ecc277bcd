"""The open project as the window sees it: the store, the undo stack and the current document.

Every widget edits through ``ProjectSession.push(edit)``: the edit is wrapped in a
``QUndoCommand``, applied to the store (one committed transaction) and announced with
``annotations_changed``. Undo and redo apply the edit's inverse the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator.edits import Edit
from annotator.errors import AnnotatorError
from annotator.model import LabelSchema
from annotator.store import Project


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
