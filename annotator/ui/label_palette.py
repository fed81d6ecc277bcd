"""The label palette dock: the schema's entity and relation labels, with colours and keys.

Clicking a label emits ``label_chosen``; the window hands it to the document view, which does
what pressing the label's key would do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.model import LabelSchema
from annotator.ui.editor.style import text_colour_on
from annotator.ui.plain_text import tooltip
from annotator.ui.session import ProjectSession


class LabelButton(QPushButton):
    def __init__(self, name: str, colour: str, key: str | None, kind: str) -> None:
        shown_key = f"   {key}" if key else ""
        super().__init__(f"{name}{shown_key}")
        self.label_name = name
        self.kind = kind
        self.setObjectName(f"label-{kind}-{name}")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the document view
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        tip = f"{'Entity' if kind == 'entity' else 'Relation'} label {name}"
        self.setToolTip(tooltip(f"{tip} (key {key})" if key else tip))
        fore = text_colour_on(colour)
        if kind == "entity":
            style = (
                f"QPushButton {{ background: {colour}; color: {fore}; border: none;"
                " border-radius: 5px; padding: 5px 10px; text-align: left; font-weight: 600; }"
                f"QPushButton:hover {{ background: {QColor(colour).lighter(115).name()}; }}"
                f"QPushButton:pressed {{ background: {QColor(colour).darker(115).name()}; }}"
            )
        else:
            style = (
                f"QPushButton {{ background: transparent; color: palette(text);"
                f" border: 2px solid {colour}; border-radius: 5px; padding: 4px 9px;"
                " text-align: left; font-weight: 600; }"
                f"QPushButton:hover {{ background: {QColor(colour).lighter(170).name()}; }}"
            )
        self.setStyleSheet(style)


class LabelPalette(QWidget):
    label_chosen = Signal(str)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self._layout.setSpacing(5)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self._content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.buttons: dict[tuple[str, str], LabelButton] = {}
        session.schema_changed.connect(self._on_schema_changed)
        self._build(session.project.schema)

    def content_height(self) -> int:
        """The height its buttons need, unscrolled: what the default layout gives it."""
        return self._content.sizeHint().height()

    def button(self, name: str, kind: str = "entity") -> LabelButton:
        return self.buttons[(kind, name)]

    def _on_schema_changed(self) -> None:
        self._build(self._session.project.schema)

    def _build(self, schema: LabelSchema) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons.clear()
        self._layout.addWidget(_heading("Entities"))
        for label in schema.entities:
            self._add(LabelButton(label.name, label.color, label.key, "entity"))
        if schema.relations:
            self._layout.addSpacing(6)
            self._layout.addWidget(_heading("Relations"))
            for relation in schema.relations:
                self._add(LabelButton(relation.name, relation.color, relation.key, "relation"))
        self._layout.addStretch(1)

    def _add(self, button: LabelButton) -> None:
        button.clicked.connect(lambda: self.label_chosen.emit(button.label_name))
        self.buttons[(button.kind, button.label_name)] = button
        self._layout.addWidget(button)


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setStyleSheet(
        "color: palette(mid); font-size: 10px; font-weight: 700; letter-spacing: 1px;"
    )
    return label
