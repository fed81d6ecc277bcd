"""Forms that gather what a background job needs: export, import and suggestion runs.

Each dialog only collects choices and returns them as plain values; ``annotator.ui.jobs``
runs the work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def _path_row(edit: QLineEdit, browse: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(browse)
    return row


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


# -- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportChoice:
    format: str
    output: Path
    status: str
    spans: str
    split: str
    misaligned: str


class ExportDialog(QDialog):
    def __init__(
        self,
        formats: list[str],
        default_output: Callable[[str], Path],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        self._default_output = default_output
        self._output_edited = False
        self.format = QComboBox()
        self.format.addItems(formats)
        if "spacy" in formats:
            self.format.setCurrentText("spacy")
        self.output = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.status = QComboBox()
        self.status.addItem("Finished documents (done)", "done")
        self.status.addItem("Every document", "all")
        self.spans = QComboBox()
        self.spans.addItem("Accepted annotations", "accepted")
        self.spans.addItem("Accepted and pending suggestions", "all")
        self.split = QLineEdit()
        self.split.setPlaceholderText("e.g. 0.8,0.2 (train, dev); empty: the format's default")
        self.misaligned = QComboBox()
        for value, text in (
            ("expand", "Expand to the enclosing tokens"),
            ("contract", "Contract to the tokens inside"),
            ("skip", "Leave them out"),
        ):
            self.misaligned.addItem(text, value)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Write to:", _path_row(self.output, browse))
        form.addRow("Documents:", self.status)
        form.addRow("Annotations:", self.spans)
        form.addRow("Split:", self.split)
        form.addRow("Spans off token boundaries:", self.misaligned)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Export"))
        self.format.currentTextChanged.connect(self._on_format_changed)
        self.output.textEdited.connect(lambda _t: setattr(self, "_output_edited", True))
        self._on_format_changed(self.format.currentText())

    def choice(self) -> ExportChoice:
        return ExportChoice(
            format=self.format.currentText(),
            output=Path(self.output.text().strip()),
            status=self.status.currentData(),
            spans=self.spans.currentData(),
            split=self.split.text().strip(),
            misaligned=self.misaligned.currentData(),
        )

    def _on_format_changed(self, format: str) -> None:
        if not self._output_edited:
            self.output.setText(str(self._default_output(format)))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text())
        if path:
            self.output.setText(path)
            self._output_edited = True


# -- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportChoice:
    sources: list[Path]
    format: str
    split: str


class ImportDialog(QDialog):
    def __init__(
        self,
        formats: list[str],
        splits: list[tuple[str, str]],
        start_folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import files")
        self.setMinimumWidth(560)
        self._start_folder = start_folder
        self.sources = QListWidget()
        self.sources.setMinimumHeight(120)
        add_files = QPushButton("Add files…")
        add_folder = QPushButton("Add folder…")
        clear = QPushButton("Clear")
        add_files.clicked.connect(self._add_files)
        add_folder.clicked.connect(self._add_folder)
        clear.clicked.connect(self.sources.clear)
        self.format = QComboBox()
        self.format.addItem("Recognise each file (auto)", "auto")
        for name in formats:
            self.format.addItem(name, name)
        self.split = QComboBox()
        for value, text in splits:
            self.split.addItem(text, value)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(add_files)
        buttons_row.addWidget(add_folder)
        buttons_row.addWidget(clear)
        buttons_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        if splits:
            form.addRow("Cut texts into:", self.split)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Files and folders to import:"))
        layout.addWidget(self.sources)
        layout.addLayout(buttons_row)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Import"))

    def add_sources(self, paths: list[Path]) -> None:
        present = {self.sources.item(i).text() for i in range(self.sources.count())}
        for path in paths:
            if str(path) not in present:
                self.sources.addItem(str(path))

    def choice(self) -> ImportChoice:
        return ImportChoice(
            sources=[Path(self.sources.item(i).text()) for i in range(self.sources.count())],
            format=self.format.currentData(),
            split=self.split.currentData() or "none",
        )

    def _add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Files to import", str(self._start_folder))
        self.add_sources([Path(p) for p in paths])

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to import", str(self._start_folder))
        if folder:
            self.add_sources([Path(folder)])


# -- suggestions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestChoice:
    model: str
    patterns: list[Path] = field(default_factory=list)
    rules: list[Path] = field(default_factory=list)
    default_rules: bool = True
    only_new: bool = False


class SuggestDialog(QDialog):
    """Model, pattern files and relation rule files for a suggestion run."""

    def __init__(
        self,
        models: list[str],
        default_model: str,
        patterns: list[Path],
        rules: list[Path],
        only_new: bool,
        start_folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run suggestions")
        self.setMinimumWidth(560)
        self._start_folder = start_folder
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(models)
        self.model.setCurrentText(default_model)
        self.model.setToolTip(
            "An installed spaCy pipeline, a pipeline folder, or 'blank' for patterns and rules only"
        )
        self.patterns = QListWidget()
        self.patterns.setMaximumHeight(90)
        self.patterns.addItems([str(p) for p in patterns])
        self.rules = QListWidget()
        self.rules.setMaximumHeight(90)
        self.rules.addItems([str(p) for p in rules])
        self.default_rules = QCheckBox("Also the built-in relation rules of the project's language")
        self.default_rules.setChecked(True)
        self.scope = QComboBox()
        self.scope.addItem("Documents not suggested yet (new)", True)
        self.scope.addItem("All unfinished documents", False)
        self.scope.setCurrentIndex(0 if only_new else 1)
        form = QFormLayout()
        form.addRow("Model:", self.model)
        form.addRow(
            "Pattern files:", self._list_with_buttons(self.patterns, "Pattern files (JSONL)")
        )
        form.addRow("Relation rules:", self._list_with_buttons(self.rules, "Relation rule files"))
        form.addRow("", self.default_rules)
        form.addRow("Run on:", self.scope)
        note = QLabel(
            "Suggestions never touch what you accepted, rejected or edited. Pending suggestions "
            "from the same model, files and rules are replaced."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(_buttons(self, "Run"))

    def _list_with_buttons(self, listing: QListWidget, title: str) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(listing)
        row = QHBoxLayout()
        add = QPushButton("Add…")
        remove = QPushButton("Remove")
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)

        def on_add() -> None:
            paths, _ = QFileDialog.getOpenFileNames(self, title, str(self._start_folder))
            listing.addItems(paths)

        add.clicked.connect(on_add)
        remove.clicked.connect(lambda: listing.takeItem(listing.currentRow()))
        return box

    def choice(self) -> SuggestChoice:
        return SuggestChoice(
            model=self.model.currentText().strip(),
            patterns=[Path(self.patterns.item(i).text()) for i in range(self.patterns.count())],
            rules=[Path(self.rules.item(i).text()) for i in range(self.rules.count())],
            default_rules=self.default_rules.isChecked(),
            only_new=bool(self.scope.currentData()),
        )
