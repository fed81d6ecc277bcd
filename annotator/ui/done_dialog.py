"""Marking a document done while suggestions are still pending: ask once what to do with them.

A done document means "what is left is wrong", so its pending suggestions are accepted or
rejected first (in the same undo step as the status change), or the person goes back to them.
The answer can be remembered in the project settings (``ProjectSettings.pending_on_done``);
Document ▸ Ask again about pending suggestions forgets it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.edits import PendingChoice
from annotator.errors import AnnotatorError
from annotator.ui.session import ProjectSession


class PendingDialog(QDialog):
    """A: accept the rest, R: reject the rest, Escape or B: go back; M ticks "remember"."""

    def __init__(self, pending: int, conflicts: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pending-dialog")
        self.setWindowTitle("Pending suggestions")
        self.choice: PendingChoice | None = None
        plural = "s are" if pending != 1 else " is"
        text = (
            f"{pending} suggestion{plural} still pending in this document. A done document "
            "means that what is left is wrong: accept the rest, reject the rest, or go back."
        )
        if conflicts:
            text += (
                f"\n\n{conflicts} of them put two labels on the same tokens, or compete with "
                "other annotators' versions: decide those first to accept the rest."
            )
        message = QLabel(text)
        message.setWordWrap(True)
        self.accept_button = QPushButton("&Accept the rest (A)")
        self.reject_button = QPushButton("&Reject the rest (R)")
        self.back_button = QPushButton("Go &back (Esc)")
        self.accept_button.setEnabled(not conflicts)
        self.remember = QCheckBox("Re&member this choice for this project (M)")
        buttons = QHBoxLayout()
        for button in (self.accept_button, self.reject_button, self.back_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(self.remember)
        layout.addLayout(buttons)

        self.accept_button.clicked.connect(lambda: self._choose("accept"))
        self.reject_button.clicked.connect(lambda: self._choose("reject"))
        self.back_button.clicked.connect(self.reject)
        self._keys = {
            Qt.Key.Key_A: self.accept_button.click,
            Qt.Key.Key_R: self.reject_button.click,
            Qt.Key.Key_B: self.back_button.click,
            Qt.Key.Key_M: self.remember.toggle,
        }

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Plain letter keys answer (the focused button leaves them to the dialog)."""
        handler = self._keys.get(Qt.Key(event.key()))
        if handler is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            handler()
            event.accept()
            return
        super().keyPressEvent(event)

    def _choose(self, choice: PendingChoice) -> None:
        self.choice = choice
        self.accept()


def choose_pending(session: ProjectSession, parent: QWidget) -> tuple[bool, PendingChoice | None]:
    """(go on, what to do with the current document's pending suggestions): nothing to ask
    when none are pending; the remembered choice when there is one; else ask."""
    pending, conflicts = session.pending_suggestions()
    if not pending:
        return True, None
    if session.project.read_only:  # nothing can change: say so instead of asking
        session.edit_failed.emit(
            f"{session.project.path}: opened read-only; the document cannot be marked done"
        )
        return False, None
    settings = session.project.settings
    if settings.pending_on_done != "ask":
        return True, settings.pending_on_done
    dialog = PendingDialog(pending, conflicts, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
        return False, None
    if dialog.remember.isChecked():
        remember_choice(session, dialog.choice)
    return True, dialog.choice


def remember_choice(session: ProjectSession, choice: PendingChoice | None) -> None:
    """Store the choice in the project settings (``None``: ask again); a read-only project
    says why it cannot."""
    settings = session.project.settings
    try:
        session.project.set_settings(
            settings.model_copy(update={"pending_on_done": choice or "ask"})
        )
    except AnnotatorError as error:
        session.edit_failed.emit(str(error))
