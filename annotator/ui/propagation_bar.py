"""The question over the document view when an accepted span would spread too far.

Accepting a common word in a long document can find thousands of other mentions; the
propagation runner holds such a result (``PropagationRunner.held``) and this bar asks whether
to add them. It never takes the keyboard: the annotator goes on with Tab and A meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from annotator.ui.editor.propagation import PropagationRunner


class PropagationBar(QFrame):
    def __init__(self, runner: PropagationRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("propagation-bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#propagation-bar { background: #eef4ff; border: 1px solid #b8cbef; }")
        self._runner = runner
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.add_button = QPushButton("Add them")
        self.drop_button = QPushButton("Not these")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.message, 1)
        for button in (self.add_button, self.drop_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay in the text
            layout.addWidget(button)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.drop_button.clicked.connect(self._on_drop_clicked)
        runner.held.connect(self.offer)
        runner.held_dropped.connect(self.hide)
        self.hide()

    def offer(self, text: str, label: str, found: int, documents: int) -> None:
        where = "this document" if documents == 1 else f"{documents:,} documents"
        self.message.setText(
            f"Accepting “{text}” as {label} would add <b>{found:,}</b> suggestions in {where}. "
            "Add them?"
        )
        self.show()

    def _on_add_clicked(self) -> None:
        self.hide()
        self._runner.store_held()

    def _on_drop_clicked(self) -> None:
        self.hide()
        self._runner.drop_held()
