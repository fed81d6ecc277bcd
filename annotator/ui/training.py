"""Training from the window: the Train… job, retraining on its own, and the suggester figures.

Training is a background task like any other (progress and Cancel in the status bar). The
plan is captured on the UI thread; the worker writes the DocBins through its own read-only
connection and runs spaCy's training; the new version is recorded on the UI thread. Then the
window offers to suggest with it (or, when it retrained on its own, does so): the new version
replaces the pending model suggestions and never touches a decided span.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.services import evaluating, model_versions, suggesting, training
from annotator.ui.jobs import _can_write, _installed_models, _start, start_suggestions
from annotator.ui.workers import TaskContext
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.suggest.training import TrainingResult
    from annotator.ui.main_window import MainWindow


class TrainDialog(QDialog):
    """Base pipeline, steps, and how often the window retrains on its own."""

    def __init__(
        self, models: list[str], base: str, retrain_every: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model on the corrections")
        self.base = QComboBox()
        self.base.setEditable(True)
        self.base.addItems(models)
        self.base.setCurrentText(base)
        self.steps = QSpinBox()
        self.steps.setRange(10, 100_000)
        self.steps.setValue(training.TrainOptions().max_steps)
        self.retrain_every = QSpinBox()
        self.retrain_every.setRange(0, 10_000)
        self.retrain_every.setSpecialValueText("never")
        self.retrain_every.setValue(retrain_every)
        self.retrain_every.setSuffix(" done documents")
        form = QFormLayout()
        form.addRow("Fine-tune:", self.base)
        form.addRow("Steps:", self.steps)
        form.addRow("Retrain on its own every:", self.retrain_every)
        note = QLabel(
            "Trains on the done documents (a fifth kept for dev) and on the decisions in "
            "unfinished ones. The new version is kept beside the project."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)


def train(window: MainWindow) -> None:
    """Train… : ask, remember the retrain setting, then train in the background."""
    if not _can_write(window, "a model version cannot be kept"):
        return
    project = window.session.project
    settings = project.settings
    dialog = TrainDialog(
        _installed_models(settings.default_model),
        settings.default_model,
        settings.retrain_every,
        window,
    )
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    every = dialog.retrain_every.value()
    if every != settings.retrain_every:
        project.set_settings(settings.model_copy(update={"retrain_every": every}))
    options = training.TrainOptions(
        base=dialog.base.currentText().strip() or None, max_steps=dialog.steps.value()
    )
    start_training(window, options)


def start_training(
    window: MainWindow, options: training.TrainOptions, automatic: bool = False
) -> TrainingRun | None:
    project = window.session.project
    try:
        plan = training.plan_training(project, options)
    except AnnotatorError as error:
        if automatic:
            window.show_message(f"Not retrained: {error}", 8000)
        else:
            QMessageBox.warning(window, "Train", str(error))
        return None
    run = TrainingRun(window, plan, automatic)
    _start(window, f"Train version {plan.version}", run.work, run.on_finished)
    return run


class TrainingRun:
    """One training: DocBins and spaCy in the worker, the new version recorded on the UI
    thread."""

    def __init__(self, window: MainWindow, plan: training.TrainingPlan, automatic: bool) -> None:
        self.window = window
        self.plan = plan
        self.automatic = automatic
        self.project = window.session.project  # captured on the UI thread, for the worker
        self.record: model_versions.ModelRecord | None = None

    def work(self, context: TaskContext) -> TrainingResult:
        context.progress(0, 0, "writing the training data")
        with self.project.worker_connection(read_only=True) as connection:
            training.write_training_data(connection, self.plan)
        context.progress(0, 0, f"loading {self.plan.base}")
        return training.train_model(
            self.plan,
            progress=lambda done, total: context.progress(done, total, "steps"),
            cancel=context.cancelled,
        )

    def on_finished(self, result: TrainingResult) -> None:
        self.record = record = training.keep_model(self.project, self.plan, result)
        summary = (
            f"Model version {record.version} trained on "
            f"{counted(len(record.train_documents), 'done document')}: dev F1 {record.f1:.1%}; "
            f"{model_versions.comparison_note(self.project, record)}"
        )
        self.window.show_message(summary, 15000)
        # once this task has ended: the window runs one task at a time
        QTimer.singleShot(0, lambda: self._offer(record, summary))

    def _offer(self, record: model_versions.ModelRecord, summary: str) -> None:
        if self.automatic:
            best = model_versions.best_model(self.project)
            if best is not None and best.version == record.version:  # else the best stays
                resuggest(self.window, record.version)
            return
        answer = QMessageBox.question(
            self.window,
            "Model trained",
            f"{summary}.\n\nSuggest with it for the unfinished documents now? Its suggestions "
            "replace the pending ones of earlier models; decided spans stay as they are.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            resuggest(self.window, record.version)


def resuggest(window: MainWindow, version: int) -> None:
    """Suggest with model version ``version`` for every unfinished document."""
    project = window.session.project
    try:
        plan = suggesting.plan_suggestions(
            project,
            suggesting.SuggestOptions(model=f"{model_versions.PROJECT_MODEL}@{version}"),
            read_evidence=False,  # the run reads it in its worker
        )
    except AnnotatorError as error:
        window.show_message(f"Suggestions not started: {error}", 10000)
        return
    if plan.doc_ids:
        start_suggestions(window, plan)


AUTOMATIC = training.TrainOptions()
"""What the window trains with when it retrains on its own: the project's model, 300 steps."""


class AutoRetrainer(QObject):
    """Trains a new version on its own every ``retrain_every`` done documents (a project
    setting; off by default), then re-suggests the unfinished documents with it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        window.session.document_status_changed.connect(self._on_document_status_changed)

    def _on_document_status_changed(self, _doc_id: int, status: str) -> None:
        project = self._window.session.project
        every = project.settings.retrain_every
        if status != "done" or not every or project.read_only or self._window.tasks.busy():
            return
        records = model_versions.model_records(project)
        trained_on = (
            len(records[-1].train_documents) + len(records[-1].dev_documents) if records else 0
        )
        if project.count_documents("done") - trained_on >= every:
            start_training(self._window, AUTOMATIC, automatic=True)


class SuggesterFigures(QDialog):
    """``annotator evaluate`` in the window: each suggester's P/R/F on the done documents,
    and each trained version's dev figures."""

    COLUMNS = ("suggester", "documents", "P", "R", "F", "relations P", "relations R")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Suggester figures")
        self.resize(760, 480)
        project = window.session.project
        figures = evaluating.evaluate_suggesters(project)
        self.suggesters = self._table(
            self.COLUMNS,
            [
                (
                    entry.origin,
                    str(entry.documents),
                    *_prf(entry.spans),
                    *_prf(entry.relations)[:2],
                )
                for entry in figures
            ],
        )
        records = model_versions.model_records(project)
        self.versions = self._table(
            (
                "version",
                "base",
                "train",
                "dev",
                "steps",
                "seconds",
                "dev F1",
                "against the best before",
            ),
            [
                (
                    str(r.version),
                    r.base,
                    str(len(r.train_documents)),
                    str(len(r.dev_documents)),
                    str(r.steps),
                    f"{r.seconds:.0f}",
                    f"{r.f1:.1%}",
                    model_versions.compared_figures(r),
                )
                for r in records
            ],
        )
        best = model_versions.best_of(records)
        layout = QVBoxLayout(self)
        done = project.count_documents("done")
        layout.addWidget(
            QLabel(
                f"Over {counted(done, 'done document')}: what each suggester proposed against what "
                "was accepted, where it proposed something."
            )
        )
        layout.addWidget(self.suggesters)
        layout.addWidget(
            QLabel(
                "Trained model versions (figures on their dev part)"
                + (f"; the model 'project' is version {best.version}:" if best else ":")
            )
        )
        layout.addWidget(self.versions)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _table(self, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> QTableWidget:
        table = QTableWidget(len(rows), len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                table.setItem(row, column, QTableWidgetItem(value))
        table.resizeColumnsToContents()
        return table


def _prf(figures: dict[str, object] | None) -> tuple[str, str, str]:
    if figures is None:
        return ("-", "-", "-")
    return tuple(f"{float(figures[key]):.1%}" for key in ("p", "r", "f"))  # type: ignore[arg-type, return-value]


def show_figures(window: MainWindow) -> None:
    SuggesterFigures(window).open()
