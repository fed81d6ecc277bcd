"""Import, export and suggestion runs from the window, as background tasks.

Each job asks its dialog on the UI thread, captures what the work needs, and hands a plain
function to the window's ``TaskRunner``. Import and export work through a second connection to
the project (``project.worker_connection()``). Suggestions are computed in the thread and stored
on the UI thread, batch by batch, only where the document has not changed meanwhile.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QMessageBox

from annotator.errors import AnnotatorError
from annotator.services import tokenizing
from annotator.suggest.results import Tally
from annotator.ui.dialogs import ExportDialog, ImportChoice, ImportDialog, SuggestDialog
from annotator.ui.plain_text import message_box, warn
from annotator.ui.workers import TaskContext
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.io.records import ExportReport
    from annotator.services.importing import ImportReport
    from annotator.services.suggesting import SuggestPlan
    from annotator.suggest.results import DocumentSuggestions
    from annotator.suggest.suggester import Suggester
    from annotator.ui.main_window import MainWindow


def _refuse_if_busy(window: MainWindow) -> bool:
    if window.tasks.busy():
        window.show_message(
            f"{window.tasks.current.title} is still running; wait for it or cancel it first"
        )
        return True
    return False


def _can_write(window: MainWindow, refusal: str) -> bool:
    """No other task runs and the project is writable; otherwise say why (``refusal``)."""
    if _refuse_if_busy(window):
        return False
    if window.session.project.read_only:
        window.show_message(f"This project is open read-only; {refusal}.")
        return False
    return True


def _start(window: MainWindow, title: str, work: Any, on_result: Any, writes: bool = False) -> None:
    """Run ``work`` in the background. Each of these jobs may import spaCy (a reader or
    writer, a model, the trainer): it does first, one thread at a time
    (``tokenizing.import_spacy``), never beside the window's tokenizer thread importing it."""

    def after_spacy(context: TaskContext) -> Any:
        tokenizing.import_spacy()
        return work(context)

    try:
        task = window.tasks.run(title, after_spacy, writes=writes)
    except AnnotatorError as error:
        window.show_message(str(error))
        return
    task.succeeded.connect(on_result)
    task.failed.connect(lambda message: _show_failure(window, title, message))
    task.cancelled.connect(lambda message: window.show_message(f"{title}: {message}", 8000))


def _show_notes(window: MainWindow, title: str, text: str, notes: list[str]) -> None:
    """What a finished job adjusted or left out, one note a line under "Show Details"."""
    message_box(window, QMessageBox.Icon.Information, title, text, detailed="\n".join(notes)).open()


def _show_failure(window: MainWindow, title: str, message: str) -> None:
    window.show_message(f"{title} failed: {message}", 10000)
    warn(window, f"{title} failed", message)


# -- export --------------------------------------------------------------------------------


def export_project(window: MainWindow) -> None:
    from annotator.services import exporting

    if _refuse_if_busy(window):
        return
    project = window.session.project
    base = project.path.parent

    def default_output(format: str) -> Path:
        return base / exporting.default_output(project.path, format, None)

    dialog = ExportDialog(exporting.export_formats(), default_output, window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    choice = dialog.choice()
    try:
        split = exporting.parse_split(choice.split)
        output = choice.output if choice.output.is_absolute() else base / choice.output
        options = exporting.export_options(
            format=choice.format,
            output=output,
            status=choice.status,
            spans=choice.spans,
            split=split,
            misaligned=choice.misaligned,
        )
    except AnnotatorError as error:
        warn(window, "Export", str(error))
        return
    read_only = project.read_only

    def work(context: TaskContext) -> ExportReport:
        with project.worker_connection(read_only=read_only) as connection:
            return exporting.export_project(
                connection,
                **options.model_dump(),
                progress=lambda done, total: context.progress(done, total),
                cancel=context.cancelled,
            )

    def on_result(report: ExportReport) -> None:
        files = ", ".join(report.files) or str(output)
        window.show_message(
            f"Exported {report.documents} documents ({report.spans} spans, "
            f"{report.relations} relations) to {files}",
            15000,
        )
        if report.warnings:
            _show_notes(
                window,
                "Export finished with notes",
                f"Exported {report.documents} documents to {files}.\n"
                f"{counted(len(report.warnings), 'note')} about what was adjusted or left out.",
                report.warnings,
            )

    _start(window, f"Export {choice.format}", work, on_result)


# -- import --------------------------------------------------------------------------------

SPLIT_CHOICES = [
    ("none", "One document per file or record"),
    ("paragraph", "One document per paragraph (plain text)"),
    ("sentence", "One document per sentence (plain text)"),
]


def import_files(window: MainWindow, sources: list[Path] | None = None) -> None:
    """Ask for files (or take ``sources``), then import them in the background."""
    from annotator.services import importing

    if not _can_write(window, "nothing can be imported into it"):
        return
    project = window.session.project
    splits = [(value, text) for value, text in SPLIT_CHOICES if value in importing.SPLITS]
    dialog = ImportDialog(importing.known_formats(), splits, project.path.parent, window)
    if sources:
        dialog.add_sources(sources)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    choice = dialog.choice()
    if not choice.sources:
        window.show_message("Nothing to import: add files or folders first.")
        return
    start_import(window, choice)


def start_import(window: MainWindow, choice: ImportChoice) -> None:
    """Import ``choice`` through a second connection; the window holds its writes meanwhile."""
    from annotator.services import importing

    project = window.session.project

    def work(context: TaskContext) -> ImportReport:
        with project.worker_connection() as connection:
            return importing.import_sources(
                connection,
                choice.sources,
                format=choice.format,
                split=choice.split,
                progress=lambda done, total: context.progress(done, total, "records"),
                cancel=context.cancelled,
            )

    def on_result(report: ImportReport) -> None:
        project.reload()
        if report.labels_added or report.relation_labels_added or report.relation_pairs_added:
            # the schema grew: the palette, the list's filters and the view learn it
            window.session.schema_changed.emit()
        window.document_list.reload()
        window.status.refresh()
        if window.session.current_doc_id is None:
            window.restore_session()
        parts = [f"Imported {report.documents} new documents"]
        if report.duplicates:
            parts.append(f"{report.duplicates} already in the project")
        if report.spans or report.relations:
            parts.append(f"{report.spans} spans, {report.relations} relations")
        if report.labels_added:
            parts.append(f"new labels: {', '.join(report.labels_added)}")
        window.show_message("; ".join(parts), 15000)

    _start(window, "Import", work, on_result, writes=True)


# -- suggestions ---------------------------------------------------------------------------


def suggest(window: MainWindow, only_new: bool) -> None:
    """Ask for model, patterns and rules, then suggest in the background.

    The model runs in the worker thread over inputs it reads through its own connection,
    noting each document's revision as it reads it. Batches come back to the UI thread and
    are stored there, leaving out any document edited since it was read.
    """
    from annotator.services import suggesting

    if not _can_write(window, "suggestions cannot be stored"):
        return
    project = window.session.project
    settings = project.settings
    from annotator.services.model_versions import PROJECT_MODEL, model_records

    trained = [PROJECT_MODEL] if model_records(project) else []
    dialog = SuggestDialog(
        models=trained + _installed_models(settings.default_model),
        default_model=settings.default_model,
        patterns=[Path(p) for p in settings.patterns],
        rules=[Path(p) for p in settings.rules],
        only_new=only_new,
        start_folder=project.path.parent,
        parent=window,
    )
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    choice = dialog.choice()
    options = suggesting.SuggestOptions(
        model=choice.model or None,
        patterns=tuple(choice.patterns),
        rules=tuple(choice.rules),
        default_rules=choice.default_rules,
        docs="new" if choice.only_new else "all",
    )
    try:
        plan = suggesting.plan_suggestions(project, options, read_evidence=False)
    except AnnotatorError as error:
        warn(window, "Suggestions", str(error))
        return
    if not plan.doc_ids:
        window.show_message("No document to suggest for: every one is done, skipped or suggested.")
        return
    start_suggestions(window, plan)


def suggest_new_documents(window: MainWindow) -> SuggestionRun | None:
    """The project's default suggestions on its new documents, without the dialog (the
    first-run offer, and the sample corpus once imported)."""
    from annotator.services import suggesting

    if _refuse_if_busy(window):
        return None
    try:
        plan = suggesting.plan_suggestions(
            window.session.project, suggesting.SuggestOptions(docs="new"), read_evidence=False
        )
    except AnnotatorError as error:
        QMessageBox.warning(window, "Suggestions", str(error))
        return None
    if not plan.doc_ids:
        window.show_message("No new document to suggest for.")
        return None
    return start_suggestions(window, plan)


def start_suggestions(window: MainWindow, plan: SuggestPlan) -> SuggestionRun:
    run = SuggestionRun(window, plan)
    _start(window, f"Suggest ({plan.model})", run.work, run.on_finished)
    task = window.tasks.current
    if task is not None:
        task.delivered.connect(run.store_batch)
    return run


class SuggestionRun:
    """One suggestion run: computed in the worker, stored on the UI thread batch by batch."""

    def __init__(self, window: MainWindow, plan: SuggestPlan) -> None:
        self.window = window
        self.plan = plan
        self.project = window.session.project  # captured on the UI thread, for the worker
        self.stored = 0
        self.changed_meanwhile = 0  # documents left out: edited while their input was read
        self.superseded = 0  # suggestions left out: a person decided their tokens otherwise
        self.spans_added = 0
        self.relations_added = 0
        self.tally = Tally()  # what the suggesters dropped or skipped, over the stored batches
        self.notes: list[str] = []

    def work(self, context: TaskContext) -> tuple[list[str], Suggester]:
        """In the worker thread: load the model, read, compute; hand batches over."""
        from annotator.services import suggesting

        total = len(self.plan.doc_ids)
        context.progress(0, 0, "reading the project")
        with self.project.worker_connection(read_only=True) as connection:
            plan = suggesting.with_evidence(self.plan, connection)  # texts scanned: not on the UI
        context.progress(0, 0, "loading the model")
        suggester = suggesting.build_suggester(plan)
        # each report names the state: the strip's text follows it (it said "loading the
        # model" at 2,752 / 99,999 when these reports said nothing)
        context.progress(0, total, "suggesting")
        with self.project.worker_connection(read_only=True) as connection:
            inputs = suggesting.read_inputs(connection, self.plan.doc_ids)  # with revisions
            done = 0
            for batch in suggesting.compute_suggestions(
                suggester, inputs, batch_size=self.plan.batch_size, cancel=context.cancelled
            ):
                context.deliver(batch)
                done += len(batch)
                context.progress(done, total, "suggesting")
        return list(suggester.notes), suggester

    def store_batch(self, batch: list[DocumentSuggestions]) -> None:
        """On the UI thread: store results whose document has not moved since it was read."""
        from annotator.services import suggesting

        try:
            outcome = suggesting.store_suggestions(self.project, batch, skip_changed=True)
        except AnnotatorError as error:
            self.window.show_message(f"Suggestions not stored: {error}", 10000)
            return
        self.stored += outcome.documents
        self.changed_meanwhile += outcome.changed_meanwhile
        self.spans_added += outcome.spans_added
        self.relations_added += outcome.relations_added
        self.superseded += outcome.spans_superseded
        self.tally.add(outcome.tally)
        for result in batch:
            self.window.document_list.model.refresh_document(result.doc_id)
            if result.doc_id == self.window.session.current_doc_id:
                self.window.session.annotations_changed.emit(result.doc_id)

    def on_finished(self, result: tuple[list[str], Suggester]) -> None:
        from annotator.services import suggesting

        notes, suggester = result
        self.notes = notes
        try:
            suggesting.store_learned_patterns(self.project, suggester)
        except AnnotatorError as error:
            self.window.show_message(f"Learned relation patterns not stored: {error}", 10000)
        self.window.document_list.update_progress()
        self.window.status.refresh()
        message = (
            f"Suggestions stored for {counted(self.stored, 'document')}: "
            f"{counted(self.spans_added, 'span')}, {counted(self.relations_added, 'relation')}"
        )
        if self.superseded:
            message += (
                f"; {counted(self.superseded, 'suggestion')} left out where a person decided "
                "the same tokens with another label"
            )
        dropped = self.tally.dropped_labels()
        if dropped:
            message += f"; not in the schema, so not suggested: {dropped}"
        if self.changed_meanwhile:
            message += (
                f"; {counted(self.changed_meanwhile, 'document')} left out because they were "
                "edited meanwhile (run again to suggest for them)"
            )
        self.window.show_message(message, 15000)
        if notes:
            _show_notes(
                self.window,
                "Suggestions finished with notes",
                f"{message}.\n{counted(len(notes), 'note')} about what was left out.",
                notes,
            )


def _installed_models(default: str) -> list[str]:
    """spaCy pipelines installed as packages (by their distribution metadata; no spaCy)."""
    from importlib import metadata

    names = {default, "blank"}
    for distribution in metadata.distributions():
        name = (distribution.metadata["Name"] or "").replace("-", "_").lower()
        if _PIPELINE_NAME.match(name):
            names.add(name)
    return sorted(names, key=lambda n: (n != default, n))


_PIPELINE_NAME = re.compile(r"^[a-z]{2,3}_(core|dep|ent)_[a-z]+_(sm|md|lg|trf)$")
