"""Who annotates in this project: a name asked once, kept in the project's settings.

Every edit in the log, and the Prodigy export, carry it; ``annotator merge`` tells the team's
versions apart by it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from annotator.errors import AnnotatorError
from annotator.services.team import set_annotator
from annotator.ui.plain_text import warn
from annotator.ui.session import ProjectSession


def ask_annotator_name(session: ProjectSession, parent: QWidget) -> QInputDialog:
    """Open (without blocking) a dialog for the annotator's name; returns it for tests."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("annotator-name-dialog")
    dialog.setWindowTitle("Annotator name")
    dialog.setLabelText(
        "Your name in this project (letters, digits, _ . -).\n"
        "Every edit you make is recorded with it."
    )
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setTextValue(session.project.settings.annotator or "")
    dialog.textValueSelected.connect(lambda name: _on_name_chosen(session, parent, name))
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog


def _on_name_chosen(session: ProjectSession, parent: QWidget, name: str) -> None:
    try:
        set_annotator(session.project, name)
    except AnnotatorError as error:
        warn(parent, "Annotator name", str(error))
