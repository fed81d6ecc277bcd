"""A refused edit says so where the eyes are, on the key, not only in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from annotator.ui.session import ProjectSession

SHOWN_MS = 3000


class RefusalNotice(QLabel):
    """A note over the top of the document view while an edit was just refused.

    In a read-only window every editing key lands here: the text does not change, so without
    this the key would look ignored.
    """

    def __init__(self, view: QWidget, session: ProjectSession) -> None:
        super().__init__(view)
        self.setObjectName("editor.refusal_notice")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel { background: #fdecea; color: #7b1c12; border: 1px solid #c0392b;"
            " border-radius: 5px; padding: 6px 10px; font-weight: 600; }"
        )
        self._timer = QTimer(self, singleShot=True, interval=SHOWN_MS)
        self._timer.timeout.connect(self.hide)
        session.edit_failed.connect(self._on_edit_failed)
        self.hide()

    def _on_edit_failed(self, message: str) -> None:
        read_only = "read-only" in message
        self.setText("Read-only: nothing was changed." if read_only else f"Not changed: {message}")
        parent = self.parentWidget()
        width = min(
            parent.width() - 40, max(260, self.fontMetrics().horizontalAdvance(self.text()) + 40)
        )
        self.setFixedWidth(width)
        self.adjustSize()
        self.move(QPoint((parent.width() - width) // 2, 12))
        self.raise_()
        self.show()
        QApplication.beep()
        self._timer.start()
