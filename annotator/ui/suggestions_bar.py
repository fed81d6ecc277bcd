"""The bar over the document view of a project that has no suggestions yet.

A fresh project opens with plain text; the bar says so and runs the project's default
suggestions (its spaCy pipeline and the relation rules of its language) on Enter, without the
Suggest dialog, so the first minute does not start with a hunt through the menus. It is not
modal: a click in the text or Escape leaves it, and the keys work in the view as usual.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class SuggestionsBar(QFrame):
    run_requested = Signal()  # Enter or "Suggest now"
    dismissed = Signal()  # Escape or "Not now"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestions-bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#suggestions-bar { background: #fff6d6; border: 1px solid #e8d48a; }"
            "#suggestions-bar QLabel { color: #3d3a2a; }"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.run_button = QPushButton("Suggest now (Enter)")
        self.run_button.setObjectName("suggestions-bar-run")
        self.later_button = QPushButton("Not now")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.run_button)
        layout.addWidget(self.later_button)
        self.run_button.clicked.connect(self.run_requested.emit)
        self.later_button.clicked.connect(self._dismiss)
        for keys, handler in (
            (("Return", "Enter"), self.run_requested.emit),
            (("Escape",), self._dismiss),
        ):
            action = QAction(self)
            action.setShortcuts([QKeySequence(key) for key in keys])
            # only while the bar has the keyboard: Enter in the text still accepts
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(handler)
            self.addAction(action)
        self.hide()

    def offer(self, documents: int, model: str) -> None:
        """Show the offer for ``documents`` new documents and take the keyboard."""
        noun = "document" if documents == 1 else "documents"
        self.message.setText(
            f"<b>No suggestions yet.</b> Press <b>Enter</b> to pre-annotate the {documents} new "
            f"{noun} with {model} and the relation rules, in the background "
            "(<b>Ctrl+G</b> chooses the pipeline and rules first)."
        )
        self.show()
        self.run_button.setFocus()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
