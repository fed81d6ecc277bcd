"""The welcome screen shown when no project is open: New, Open, the sample corpus, recents."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.icons import icon
from annotator.ui.plain_text import plain_label, tooltip


class WelcomeWindow(QWidget):
    new_project_requested = Signal()
    open_project_requested = Signal(object)  # a Path, or None to ask for one
    sample_requested = Signal()

    def __init__(
        self,
        recent: list[Path],
        sample_available: bool,
        notice: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """``notice``: a line above the rest (the last project is gone)."""
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setWindowTitle("annotator")
        self.setWindowIcon(icon("annotator"))
        self.resize(640, 440)

        logo = QLabel()
        logo.setPixmap(icon("annotator").pixmap(QSize(72, 72)))
        title = QLabel("annotator")
        title.setStyleSheet("font-size: 26px; font-weight: 700;")
        tagline = QLabel(
            "Correct suggested entities and relations at keyboard speed.\n"
            "Every edit is saved as you make it."
        )
        tagline.setStyleSheet("color: #5f6670;")
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(tagline)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addSpacing(12)
        top.addLayout(heading, 1)

        self.new_button = QPushButton("New project…")
        self.open_button = QPushButton("Open project…")
        self.sample_button = QPushButton("Open the sample corpus")
        self.sample_button.setEnabled(sample_available)
        if not sample_available:
            self.sample_button.setToolTip("The sample corpus (seeds/) is not installed here")
        for button in (self.new_button, self.open_button, self.sample_button):
            button.setMinimumHeight(36)
        self.new_button.clicked.connect(self.new_project_requested.emit)
        self.open_button.clicked.connect(lambda: self.open_project_requested.emit(None))
        self.sample_button.clicked.connect(self.sample_requested.emit)
        buttons = QVBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)

        self.recent = QListWidget()
        self.recent.setObjectName("welcome-recent")
        for path in recent:
            item = QListWidgetItem(icon("annotator"), f"{path.name}\n{path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(tooltip(str(path)))
            self.recent.addItem(item)
        self.recent.itemActivated.connect(
            lambda item: self.open_project_requested.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
        )
        recent_box = QVBoxLayout()
        recent_box.addWidget(QLabel("Recent projects" if recent else "No recent projects yet"))
        recent_box.addWidget(self.recent, 1)
        self.recent.setVisible(bool(recent))
        if not recent:
            hint = QLabel(
                "Start with the sample corpus: a French news article to correct, with "
                "entities and relations suggested by spaCy."
            )
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #5f6670;")
            recent_box.addWidget(hint)
            recent_box.addStretch(1)

        body = QHBoxLayout()
        body.addLayout(buttons, 2)
        body.addSpacing(16)
        body.addLayout(recent_box, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(18)
        layout.addLayout(top)
        if notice:
            label = plain_label(notice)
            label.setObjectName("welcome-notice")
            label.setWordWrap(True)
            label.setStyleSheet("color: #a15c00;")
            layout.addWidget(label)
        layout.addLayout(body, 1)
