"""The strip that says which mode the view is in, above the text rather than over it."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

PICK_CHILD_TEXT = (
    "New relation: Enter takes the marked child span, Tab marks the next one, a click any; "
    "Esc cancels"
)


class ModeBanner(QLabel):
    """Shown in the scroll area's top margin: the viewport shrinks, so no line is covered."""

    def __init__(self, area: QAbstractScrollArea) -> None:
        super().__init__(area)
        self._area = area
        self.setObjectName("editor.mode_banner")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setStyleSheet(
            "QLabel { background: palette(window); color: palette(window-text);"
            " border-bottom: 2px solid #e67e22; padding: 3px 8px; }"
        )
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self._area.setViewportMargins(0, self.sizeHint().height(), 0, 0)
        self.place()
        self.show()

    def clear(self) -> None:
        if self.isHidden():
            return
        self.hide()
        self._area.setViewportMargins(0, 0, 0, 0)

    def place(self) -> None:
        """Over the margin: as wide as the viewport, as high as the margin it made."""
        frame = self._area.frameWidth()
        viewport = self._area.viewport().geometry()
        self.setGeometry(QRect(frame, frame, viewport.width(), self.sizeHint().height()))
