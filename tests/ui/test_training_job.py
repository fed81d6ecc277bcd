"""Training from the window: Train… (Ctrl+T) runs in the background with progress and Cancel,
offers to suggest with the new version, retrains on its own when asked; the suggester figures
and the inspector show what each suggester is worth."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox
from window_support import (
    CTRL,
    OFFSCREEN_WINDOW_WARNINGS,
    answer_next_dialog,
    focus_window,
    open_window,
)

from annotator import edits
from annotator.services.model_versions import model_records
from annotator.services.training import TrainOptions
from annotator.store import Project
from annotator.ui import training
from annotator.ui.training import SuggesterFigures, TrainDialog

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
SMALL = "fr_core_news_sm"


def _project(project_file, done: tuple[int, ...], retrain_every: int = 0) -> Path:
    """Seven documents; 1, 4 and 7 hold an accepted PER and a pending ORG of model:test@1."""
    path = project_file(7)
    with Project.open(path) as project:
        for doc_id in done:
            project.set_document_status(doc_id, "done")
        if retrain_every:
            project.set_settings(project.settings.model_copy(update={"retrain_every": 2}))
    return path


def _accept_train_dialog(monkeypatch, steps: int = 10) -> list[TrainDialog]:
    shown: list[TrainDialog] = []

    def accept(dialog: TrainDialog) -> QDialog.DialogCode:
        shown.append(dialog)
        dialog.base.setCurrentText(SMALL)
        dialog.steps.setValue(steps)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(TrainDialog, "exec", accept)
    return shown


def _wait_for_task(qtbot, window, title_start: str) -> None:
    """Until a task whose title starts so has run (it may start a moment later)."""

    def started() -> bool:
        task = window.tasks.current
        return task is not None and task.title.startswith(title_start)

    qtbot.waitUntil(started, timeout=10_000)
    task = window.tasks.current
    with qtbot.waitSignal(task.ended, timeout=240_000):
        pass


def _pending_model_origins(project: Project, doc_id: int) -> set[str]:
    return {
        s.origin for s in project.spans(doc_id, status="suggested") if s.origin.startswith("model:")
    }


@pytest.mark.slow
def test_ctrl_t_trains_then_offers_to_suggest_with_the_new_version(
    qtbot, launcher, project_file, monkeypatch
) -> None:
    path = _project(project_file, done=(1, 2, 3, 4))
    shown = _accept_train_dialog(monkeypatch)
    asked: list[str] = []

    def say_yes(_parent, _title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", say_yes)
    window = open_window(qtbot, launcher, path)
    qtbot.keyClick(window, Qt.Key.Key_T, CTRL)
    assert shown
    assert window.status.task_progress.isVisible()
    _wait_for_task(qtbot, window, "Train version 1")
    project = window.session.project
    [record] = model_records(project)
    assert record.base == SMALL and Path(record.path) == path.with_suffix(".models") / "1"
    _wait_for_task(qtbot, window, "Suggest")
    assert asked and "Model version 1" in asked[0]
    # the pending suggestion of the earlier model is gone from the unfinished document;
    # the accepted span stays as it was
    assert "model:test@1" not in _pending_model_origins(project, 7)
    assert [(s.label, s.status, s.origin) for s in project.spans(7, status="accepted")] == [
        ("PER", "accepted", "human")
    ]


def test_cancel_stops_training_and_keeps_no_version(
    qtbot, launcher, project_file, monkeypatch
) -> None:
    path = _project(project_file, done=(1, 2, 3, 4))
    _accept_train_dialog(monkeypatch, steps=5000)
    window = open_window(qtbot, launcher, path)
    window.actions_.actions["train"].trigger()
    task = window.tasks.current
    assert task is not None
    cancel = window.status.task_progress.cancel_button
    with qtbot.waitSignal(task.ended, timeout=240_000):
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert model_records(window.session.project) == []
    folder = path.with_suffix(".models")
    assert not folder.exists() or list(folder.iterdir()) == []
    assert "cancel" in window.statusBar().currentMessage().lower()


@pytest.mark.slow
def test_the_window_retrains_every_n_done_documents_and_resuggests(
    qtbot, launcher, project_file, monkeypatch
) -> None:
    path = _project(project_file, done=(), retrain_every=2)
    monkeypatch.setattr(training, "AUTOMATIC", TrainOptions(base=SMALL, max_steps=10))
    window = open_window(qtbot, launcher, path)
    project = window.session.project
    assert window.session.current_doc_id == 1
    decided_before = project.spans(1, status="accepted")
    answer_next_dialog(qtbot, "r")  # pending suggestions: reject the rest
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)  # done: 1 of 2
    assert window.tasks.current is None
    focus_window(qtbot, window)  # the keyboard back from the closed dialog
    answer_next_dialog(qtbot, "r")
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)  # done: 2 -> trains on its own
    _wait_for_task(qtbot, window, "Train version 1")
    _wait_for_task(qtbot, window, "Suggest")
    assert len(model_records(project)) == 1
    assert project.spans(1, status="accepted") == decided_before
    for doc_id in project.document_ids(("new", "suggested", "in_progress")):
        assert "model:test@1" not in _pending_model_origins(project, doc_id)


def test_suggester_figures_and_the_inspector_show_measured_precision(
    qtbot, launcher, project_file
) -> None:
    path = _project(project_file, done=())
    with Project.open(path) as project:
        # document 1: its model:test@1 ORG accepted; document 4: rejected; both done
        for doc_id, decide in ((1, edits.accept_span), (4, edits.reject_span)):
            [org] = project.spans(doc_id, status="suggested")
            project.apply(decide(org))
            project.set_document_status(doc_id, "done")
    window = open_window(qtbot, launcher, path)
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.findChild(SuggesterFigures)
    assert dialog is not None and dialog.isVisible()
    table = dialog.suggesters
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "model:test@1")
    assert table.item(row, 2).text() == "50.0%"  # P: one right of two
    dialog.close()
    window.session.open_document(7)
    [pending] = window.session.project.spans(7, status="suggested")
    window.view.select(pending.id)
    assert window.inspector.value("origin") == "model:test@1 (spaCy model)"
    precision = window.inspector.fields["precision"]
    assert precision.isVisible() and precision.text().startswith("50% of its suggestions")


def test_suggester_figures_say_which_version_is_the_best_and_why(
    qtbot, launcher, project_file
) -> None:
    """Its table showed each version's dev F1 alone, measured on different documents: version
    1's 90% pointed at it, though version 2 beat it on the documents neither was trained on."""
    from annotator.services.model_versions import MODELS_STATE

    path = _project(project_file, done=())
    records = []
    for version, f1, compared in ((1, 0.9, {}), (2, 0.8, {"compared_with": 1})):
        if compared:
            compared.update(compared_documents=[4, 5], compared_f1=0.7, compared_own_f1=0.75)
        records.append(
            {
                "version": version, "path": str(path.with_suffix(".models") / str(version)),
                "base": SMALL, "origin": f"model:test@{version}", "components": ["ner"],
                "train_documents": [1], "dev_documents": [4, 5], "partial_documents": [],
                "steps": 10, "seconds": 1.0, "trained_at": "2026-01-01T00:00:00+00:00",
                "scores": {"ents_f": f1}, "per_label": {}, **compared,
            }
        )  # fmt: skip
    with Project.open(path) as project:
        project.set_state(MODELS_STATE, records)
    window = open_window(qtbot, launcher, path)
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.findChild(SuggesterFigures)
    assert dialog is not None and dialog.isVisible()
    table = dialog.versions
    assert [table.item(row, 7).text() for row in range(table.rowCount())] == [
        "—",
        "75.0% vs 70.0% (version 1, 2 documents)",
    ]
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("the model 'project' is version 2" in text for text in labels)
    dialog.close()
