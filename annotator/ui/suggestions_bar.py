"""The bar over the document view of a project that has no suggestions yet.

A fresh project opens with plain text; the bar says so and runs the project's default
suggestions (its spaCy pipeline and the relation rules of its language) on Enter, without the
Suggest dialog, so the first minute does not start with a hunt through the menus. It is not
modal: a click in the text or Escape leaves it, and the keys work in the view as usual. Enter
runs it only while the bar has the keyboard (in the text, Enter accepts a suggestion), so what
the bar says follows the focus: "Press Enter" while it has it, the button and the window-wide
Ctrl+G otherwise.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
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
        self._documents = 0
        self._model = ""
        self._has_keys = False  # Enter runs it only then
        for button in (self.run_button, self.later_button):
            button.installEventFilter(self)  # the text follows where the keyboard is
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.run_button)
        layout.addWidget(self.later_button)
        self.run_button.clicked.connect(self.run_requested.emit)
        self.later_button.clicked.connect(self._dismiss)
        for keys, handler in (
            (("Return", "Enter"), self._on_enter_pressed),
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
        self._documents = documents
        self._model = model
        self._show_text()
        self.show()
        self.run_button.setFocus()

    def set_documents(self, documents: int) -> None:
        """The count of new documents changed (one was opened, marked done, skipped)."""
        if documents != self._documents:
            self._documents = documents
            self._show_text()

    @property
    def documents(self) -> int:
        return self._documents

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._has_keys = event.type() == QEvent.Type.FocusIn
            self._show_text()
        return super().eventFilter(watched, event)

    def _show_text(self) -> None:
        documents = self._documents
        noun = "document" if documents == 1 else "documents"
        what = (
            f"the {documents:,} new {noun} with {self._model} and the relation rules, "
            "in the background"
        )
        if self._has_keys:
            self.message.setText(
                f"<b>No suggestions yet.</b> Press <b>Enter</b> to pre-annotate {what} "
                "(<b>Ctrl+G</b> chooses the pipeline and rules first)."
            )
            self.run_button.setText("Suggest now (Enter)")
        else:  # Enter belongs to the text now: say what works from there
            self.message.setText(
                f"<b>No suggestions yet.</b> <b>Suggest now</b> pre-annotates {what}; "
                "<b>Ctrl+G</b> chooses the pipeline and rules first."
            )
            self.run_button.setText("Suggest now")

    def _on_enter_pressed(self) -> None:
        """Enter presses the button that has the keyboard: on "Not now" it ran the
        suggestions."""
        if self.later_button.hasFocus():
            self._dismiss()
        else:
            self.run_requested.emit()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
