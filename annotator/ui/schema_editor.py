"""The schema editor: add, rename, recolour and set keys for labels; relation label pairs.

The dialog edits a draft. Each row remembers the name it started with, so a rename is sent to
``session.set_schema`` as a rename and the label's annotations follow it. Anything the schema
refuses (a duplicate key, a label still in use being removed) is shown in the dialog, which
stays open, and the project is left unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.model import EntityLabel, LabelSchema, RelationLabel
from annotator.model.parsing import one_line
from annotator.ui.editor.style import text_colour_on
from annotator.ui.plain_text import plain_label
from annotator.ui.session import ProjectSession

ORIGINAL_NAME = Qt.ItemDataRole.UserRole + 1
ROW_KEY = Qt.ItemDataRole.UserRole + 2  # a relation row's key into the dialog's pair sets
NAME, COLOUR, KEY, DIRECTED = range(4)


class _LabelTable(QTableWidget):
    """Name, colour, key (and directed, for relations); the colour cell opens a colour picker."""

    def __init__(self, relations: bool) -> None:
        headers = ["Name", "Colour", "Key"] + (["Directed"] if relations else [])
        super().__init__(0, len(headers))
        self.relations = relations
        self.setHorizontalHeaderLabels(headers)
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(headers)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.cellDoubleClicked.connect(self._on_cell_double_clicked)

    def add_row(
        self, name: str, colour: str, key: str | None, directed: bool = True, original: str = ""
    ) -> int:
        row = self.rowCount()
        self.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(ORIGINAL_NAME, original)
        self.setItem(row, NAME, name_item)
        colour_item = QTableWidgetItem()
        colour_item.setFlags(colour_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        colour_item.setToolTip("Double-click to change the colour")
        self.setItem(row, COLOUR, colour_item)
        self.set_colour(row, colour)
        self.setItem(row, KEY, QTableWidgetItem(key or ""))
        if self.relations:
            directed_item = QTableWidgetItem()
            directed_item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsSelectable
            )
            directed_item.setCheckState(
                Qt.CheckState.Checked if directed else Qt.CheckState.Unchecked
            )
            self.setItem(row, DIRECTED, directed_item)
        return row

    def set_colour(self, row: int, colour: str) -> None:
        item = self.item(row, COLOUR)
        item.setText(colour)
        item.setBackground(QColor(colour))
        item.setForeground(QColor(text_colour_on(colour)))

    def name(self, row: int) -> str:
        return self.item(row, NAME).text().strip()

    def original(self, row: int) -> str:
        return self.item(row, NAME).data(ORIGINAL_NAME) or ""

    def colour(self, row: int) -> str:
        return self.item(row, COLOUR).text()

    def key(self, row: int) -> str | None:
        return self.item(row, KEY).text().strip() or None

    def directed(self, row: int) -> bool:
        return self.item(row, DIRECTED).checkState() == Qt.CheckState.Checked

    def _on_cell_double_clicked(self, row: int, column: int) -> None:
        if column != COLOUR:
            return
        chosen = QColorDialog.getColor(QColor(self.colour(row)), self, "Label colour")
        if chosen.isValid():
            self.set_colour(row, chosen.name())


class SchemaEditor(QDialog):
    """``accept()`` applies the schema; a refusal keeps the dialog open with the reason."""

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Label schema")
        self.resize(720, 620)
        self._session = session
        schema = session.project.schema
        # allowed pairs of each relation row, keyed by ROW_KEY
        self._pairs: dict[int, set[tuple[str, str]]] = {}
        self._next_key = 0

        self.entities = _LabelTable(relations=False)
        self.entities.setObjectName("schema-entities")
        for label in schema.entities:
            self.entities.add_row(label.name, label.color, label.key, original=label.name)
        self.relations = _LabelTable(relations=True)
        self.relations.setObjectName("schema-relations")
        for label in schema.relations:
            row = self.relations.add_row(
                label.name, label.color, label.key, label.directed, original=label.name
            )
            self._pairs[self._row_key(row)] = set(label.allowed)

        self.pairs = QTableWidget()
        self.pairs.setObjectName("schema-pairs")
        self.pairs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.pairs_title = plain_label()  # names user labels
        self.error = plain_label()
        self.error.setObjectName("schema-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(_section("Entity labels"))
        layout.addWidget(self.entities, 2)
        layout.addLayout(self._row_buttons(self.entities, self._add_entity))
        layout.addWidget(_section("Relation labels"))
        layout.addWidget(self.relations, 2)
        layout.addLayout(self._row_buttons(self.relations, self._add_relation))
        layout.addWidget(self.pairs_title)
        layout.addWidget(self.pairs, 2)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.relations.currentCellChanged.connect(lambda *_: self._show_pairs())
        self.entities.itemChanged.connect(lambda *_: self._show_pairs())
        self.pairs.itemChanged.connect(self._on_pair_changed)
        if self.relations.rowCount():
            self.relations.setCurrentCell(0, NAME)
        self._show_pairs()

    # -- building the schema ------------------------------------------------------------------

    def draft(self) -> tuple[LabelSchema, dict[str, str], dict[str, str]]:
        """The schema as edited, and the entity and relation renames (old -> new)."""
        entity_renames = self._renames(self.entities)
        entities = tuple(
            EntityLabel(
                name=self.entities.name(row),
                color=self.entities.colour(row),
                key=self.entities.key(row),
            )
            for row in range(self.entities.rowCount())
        )
        names = {
            self.entities.original(row) or self.entities.name(row): self.entities.name(row)
            for row in range(self.entities.rowCount())
        }
        relations = []
        for row in range(self.relations.rowCount()):
            pairs = self._pairs.get(self._row_key(row), set())
            allowed = tuple(
                sorted((names[h], names[c]) for h, c in pairs if h in names and c in names)
            )
            relations.append(
                RelationLabel(
                    name=self.relations.name(row),
                    color=self.relations.colour(row),
                    key=self.relations.key(row),
                    directed=self.relations.directed(row),
                    allowed=allowed,
                )
            )
        schema = LabelSchema(entities=entities, relations=tuple(relations))
        return schema, entity_renames, self._renames(self.relations)

    def accept(self) -> None:
        import pydantic

        try:
            schema, entity_renames, relation_renames = self.draft()
            self._session.set_schema(schema, entity_renames, relation_renames)
        except pydantic.ValidationError as error:
            self.error.setText(one_line(error))
            return
        except AnnotatorError as error:
            self.error.setText(str(error))
            return
        super().accept()

    @staticmethod
    def _renames(table: _LabelTable) -> dict[str, str]:
        return {
            table.original(row): table.name(row)
            for row in range(table.rowCount())
            if table.original(row) and table.original(row) != table.name(row)
        }

    # -- rows and pairs -----------------------------------------------------------------------

    def _row_buttons(self, table: _LabelTable, add: object) -> QHBoxLayout:
        row = QHBoxLayout()
        add_button = QPushButton("Add")
        remove_button = QPushButton("Remove")
        add_button.setObjectName(f"{table.objectName()}-add")
        remove_button.setObjectName(f"{table.objectName()}-remove")
        add_button.clicked.connect(add)
        remove_button.clicked.connect(lambda: self._remove(table))
        row.addWidget(add_button)
        row.addWidget(remove_button)
        row.addStretch(1)
        return row

    def _row_key(self, row: int) -> int:
        item = self.relations.item(row, NAME)
        key = item.data(ROW_KEY)
        if key is None:
            self._next_key += 1
            key = self._next_key
            item.setData(ROW_KEY, key)
        return key

    def _add_entity(self) -> None:
        row = self.entities.add_row(f"LABEL{self.entities.rowCount() + 1}", "#a0a0a0", None)
        self.entities.setCurrentCell(row, NAME)
        self.entities.editItem(self.entities.item(row, NAME))

    def _add_relation(self) -> None:
        row = self.relations.add_row(f"relation{self.relations.rowCount() + 1}", "#606060", None)
        self._pairs[self._row_key(row)] = set()
        self.relations.setCurrentCell(row, NAME)
        self.relations.editItem(self.relations.item(row, NAME))

    def _remove(self, table: _LabelTable) -> None:
        row = table.currentRow()
        if row >= 0:
            table.removeRow(row)
            self._show_pairs()

    def _entity_keys(self) -> list[tuple[str, str]]:
        """(key in pair sets, shown name) of each entity row: the original name when it has one."""
        return [
            (self.entities.original(row) or self.entities.name(row), self.entities.name(row))
            for row in range(self.entities.rowCount())
        ]

    def _show_pairs(self) -> None:
        row = self.relations.currentRow()
        self.pairs.blockSignals(True)
        self.pairs.clear()
        if row < 0:
            self.pairs_title.setText("Select a relation label to choose its (head, child) pairs.")
            self.pairs.setRowCount(0)
            self.pairs.setColumnCount(0)
            self.pairs.blockSignals(False)
            return
        name = self.relations.name(row)
        self.pairs_title.setText(
            f"Pairs allowed for “{name}” (rows: head label, columns: child label; "
            "none ticked allows every pair)"
        )
        pairs = self._pairs.setdefault(self._row_key(row), set())
        labels = self._entity_keys()
        self.pairs.setRowCount(len(labels))
        self.pairs.setColumnCount(len(labels))
        self.pairs.setVerticalHeaderLabels([shown for _, shown in labels])
        self.pairs.setHorizontalHeaderLabels([shown for _, shown in labels])
        for r, (head, _) in enumerate(labels):
            for c, (child, _) in enumerate(labels):
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if (head, child) in pairs else Qt.CheckState.Unchecked
                )
                item.setData(ORIGINAL_NAME, (head, child))
                self.pairs.setItem(r, c, item)
        self.pairs.blockSignals(False)

    def _on_pair_changed(self, item: QTableWidgetItem) -> None:
        row = self.relations.currentRow()
        if row < 0:
            return
        pairs = self._pairs.setdefault(self._row_key(row), set())
        pair = tuple(item.data(ORIGINAL_NAME))
        if item.checkState() == Qt.CheckState.Checked:
            pairs.add(pair)  # type: ignore[arg-type]
        else:
            pairs.discard(pair)  # type: ignore[arg-type]


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 700; margin-top: 4px;")
    return label
