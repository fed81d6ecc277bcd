"""The open project as the window sees it: the store, the undo stack and the current document.

Every widget edits through ``ProjectSession.push(edit)``: the edit is wrapped in a
``QUndoCommand``, applied to the store (one committed transaction) and announced with
``annotations_changed``. Undo and redo apply the edit's inverse the same way. An edit that
cannot be applied (refused, or the database stayed busy) is reported with ``edit_failed`` and
changes nothing; an undo step that can no longer be applied leaves the stack.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import suppress

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator.edits import (
    Edit,
    PendingChoice,
    build_validators,
    conflicting_suggestions,
    finish_document,
    pending_count,
    set_document_status,
    status_changes,
    with_work_started,
)
from annotator.errors import AnnotatorError
from annotator.model import LabelSchema
from annotator.store import Project
from annotator.store.listing import neighbour_document
from annotator.store.pool import neighbour_by_priority

CHECKPOINT_AFTER_MS = 2000
"""How long after the last edit its -wal file is folded into the project file."""
UNDO_KEYS = ("Ctrl+Z",)
REDO_KEYS = ("Ctrl+Shift+Z", "Ctrl+Y")


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
        elsewhere = self._session.reveal(self._edit)
        if self._apply_or_drop(self._edit, undoing=False):
            self._session.say_replayed(self._edit, "Redid", elsewhere)

    def undo(self) -> None:
        elsewhere = self._session.reveal(self._edit)
        if self._apply_or_drop(self._edit.inverse(), undoing=True):
            self._session.say_replayed(self._edit, "Undid", elsewhere)

    def _apply_or_drop(self, edit: Edit, undoing: bool) -> bool:
        """A step that no longer fits the project (its span changed meanwhile) is reported and
        made obsolete, so the stack drops it instead of getting out of step with the store."""
        if self._session._apply(edit, replayed=True, undoing=undoing):
            return True
        self.setObsolete(True)
        return False


class ProjectSession(QObject):
    """Signals are emitted after the store has committed."""

    annotations_changed = Signal(int)  # doc_id
    document_status_changed = Signal(int, str)  # doc_id, new status
    document_opened = Signal(int)  # doc_id
    schema_changed = Signal()
    edit_failed = Signal(str)  # one-line message for the status bar
    noted = Signal(str)  # a one-line message for the status bar that is not a failure
    # an undo or redo's edit, just committed (then announced), and whether it undoes a step
    edit_replayed = Signal(object, bool)
    order_changed = Signal(bool)  # the document list's order: True for "Sample first"

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.undo_stack = QUndoStack(self)
        self.current_doc_id: int | None = None
        self._sample_first = False
        # the edits folded into the project file itself a moment after the keys stop, and as
        # another document opens (``Project.checkpoint``): the file alone then holds them
        self._checkpoint_timer = QTimer(self, singleShot=True, interval=CHECKPOINT_AFTER_MS)
        self._checkpoint_timer.timeout.connect(self._checkpoint)
        self._checkpointing: threading.Thread | None = None
        self.annotations_changed.connect(lambda _doc_id: self._checkpoint_timer.start())
        build_validators()  # once per process: not at the first accept

    def close(self) -> None:
        """Close the project (which folds its ``-wal`` file in); nothing is written after."""
        self._checkpoint_timer.stop()
        if self._checkpointing is not None:
            self._checkpointing.join()
        self.project.close()

    def _checkpoint(self) -> None:
        """``Project.checkpoint`` on a connection of its own, in a thread: on the UI thread
        it cost a key pressed meanwhile up to 130 ms (a 100,000-token document's rows)."""
        if self.project.read_only or (
            self._checkpointing is not None and self._checkpointing.is_alive()
        ):
            return
        project = self.project

        def fold() -> None:
            # moved, busy: the next one will
            with suppress(AnnotatorError, sqlite3.Error), project.worker_connection() as worker:
                worker.checkpoint()

        self._checkpointing = threading.Thread(target=fold, name="checkpoint", daemon=True)
        self._checkpointing.start()

    @property
    def sample_first(self) -> bool:
        """The document list's order is "Sample first": moves, and the position the status
        bar shows, follow the ranks of ``annotator sample``."""
        return self._sample_first

    @sample_first.setter
    def sample_first(self, value: bool) -> None:
        if value != self._sample_first:
            self._sample_first = value
            self.order_changed.emit(value)

    def reveal(self, edit: Edit) -> bool:
        """Before an undo or redo of an edit in another document, open that document (and
        ``say_replayed`` names it): done out of sight, it changed work the annotator could not
        see, and a second Ctrl+Z, pressed because the first seemed to do nothing, unwound
        more. Whether it opened another document."""
        doc_id = edit.doc_id
        if doc_id == self.current_doc_id:
            return False
        try:
            self.project.document_status(doc_id)
        except AnnotatorError:
            return False  # gone: the step is refused, and reported, as it is applied
        self.open_document(doc_id)
        return True

    def say_replayed(self, edit: Edit, verb: str, elsewhere: bool) -> None:
        """After an undo or redo: what it did (and in which document, when it opened one)."""
        where = f" in document {edit.doc_id}" if elsewhere else ""
        self.noted.emit(f"{verb} {edit.description}{where}")

    def open_document(self, doc_id: int) -> None:
        self.current_doc_id = doc_id
        self.project.set_state("last_document", doc_id)
        self._checkpoint_timer.stop()
        self._checkpoint()
        self.document_opened.emit(doc_id)

    # -- moving between documents (id order, or the sample's ranks first) ---------------------

    def next_document(self) -> bool:
        """Open the next document; ``False`` at the last one."""
        return self._open_neighbour(forward=True)

    def previous_document(self) -> bool:
        return self._open_neighbour(forward=False)

    def mark_done_and_next(self, pending: PendingChoice | None = None) -> bool:
        """Mark the current document done, first accepting or rejecting (``pending``) what is
        still pending, as one undo step; then open the next unfinished one. A refusal (pending
        suggestions and no choice, or two labels on the same tokens) is reported, and nothing
        changes."""
        doc_id = self.current_doc_id
        if doc_id is None:
            return False
        project = self.project
        try:
            edit = finish_document(
                doc_id,
                project.document_status(doc_id),
                project.spans(doc_id),
                project.relations(doc_id),
                pending,
            )
        except AnnotatorError as error:
            self.edit_failed.emit(str(error))
            return False
        if edit is not None and not self.push(edit):
            return False
        return self._open_neighbour(forward=True, unfinished_only=True)

    def pending_suggestions(self) -> tuple[int, int]:
        """(pending suggestions, those among them in conflict) of the current document."""
        doc_id = self.current_doc_id
        if doc_id is None:
            return 0, 0
        spans = self.project.spans(doc_id)
        return pending_count(spans, self.project.relations(doc_id)), len(
            conflicting_suggestions(spans)
        )

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
        neighbour = neighbour_by_priority if self.sample_first else neighbour_document
        target = neighbour(self.project, self.current_doc_id, forward, unfinished_only)
        if target is None or target == self.current_doc_id:
            return False
        self.open_document(target)
        return True

    def push(self, edit: Edit) -> bool:
        """Apply ``edit`` as one undo step; on a refused edit, report it and change nothing.

        The first edit of a document still ``new`` or ``suggested`` also sets it
        ``in_progress``, in the same step.
        """
        with suppress(AnnotatorError):  # a missing document: the edit is refused below
            edit = with_work_started(edit, self.project.document_status(edit.doc_id))
        if not self._apply(edit):
            return False
        self.undo_stack.push(EditCommand(self, edit))
        return True

    def _apply(self, edit: Edit, replayed: bool = False, undoing: bool = False) -> bool:
        """``False`` (reported with ``edit_failed``, nothing changed) when the edit is refused
        or the database stays busy past its timeout (another writer holds it). An undo or
        redo (``replayed``) is announced with its edit first, so that the view applies it to
        its own copy instead of reading the document back."""
        try:
            self.project.apply(edit)
        except AnnotatorError as error:
            self.edit_failed.emit(str(error))
            return False
        except sqlite3.OperationalError as error:
            self.edit_failed.emit(f"{self.project.path}: {error}; edit not saved")
            return False
        if replayed:
            self.edit_replayed.emit(edit, undoing)
        self.annotations_changed.emit(edit.doc_id)
        self._say_if_moved()
        for change in status_changes(edit):
            self.document_status_changed.emit(change.document, change.after)
        return True

    def _say_if_moved(self) -> None:
        """The project file renamed or moved while open: the edits go on (they reach the file
        wherever it went), but the background work stops; said after each edit, which clears
        the status bar's notes (a stat of the file; the search for its new place only then)."""
        try:
            self.project.check_in_place()
        except AnnotatorError as error:
            self.edit_failed.emit(str(error))

    def set_schema(
        self,
        schema: LabelSchema,
        entity_renames: dict[str, str] | None = None,
        relation_renames: dict[str, str] | None = None,
    ) -> None:
        """Replace the schema (not an undo step); renamed labels keep their annotations.

        After a rename the recorded edits name labels that are gone, so the undo history ends.
        """
        self.project.set_schema(schema, entity_renames, relation_renames)
        if entity_renames or relation_renames:
            self.undo_stack.clear()
        self.schema_changed.emit()
