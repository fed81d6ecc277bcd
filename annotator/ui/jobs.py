"""Import, export and suggestion runs from the window, as background tasks.

Each job asks its dialog on the UI thread, captures what the work needs, and hands a plain
function to the window's ``TaskRunner``. Import and export work through a second connection to
the project (``project.worker_connection()``). Suggestions are computed in the thread and stored
on the UI thread, document by document, only where the document has not changed meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QMessageBox

from annotator.errors import AnnotatorError
from annotator.ui.dialogs import ExportDialog
from annotator.ui.workers import Progress

if TYPE_CHECKING:
    from annotator.io.records import ExportReport
    from annotator.ui.main_window import MainWindow


def _refuse_if_busy(window: MainWindow) -> bool:
    if window.tasks.busy():
        window.show_message(
            f"{window.tasks.current.title} is still running; wait for it or cancel it first"
        )
        return True
    return False


def _start(window: MainWindow, title: str, work: Any, on_result: Any) -> None:
    try:
        task = window.tasks.run(title, work)
    except AnnotatorError as error:
        window.show_message(str(error))
        return
    task.succeeded.connect(on_result)
    task.failed.connect(lambda message: _show_failure(window, title, message))
    task.cancelled.connect(lambda message: window.show_message(f"{title}: {message}", 8000))


def _show_failure(window: MainWindow, title: str, message: str) -> None:
    window.show_message(f"{title} failed: {message}", 10000)
    QMessageBox.warning(window, f"{title} failed", message)


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
        exporting.export_options(
            format=choice.format,
            output=output,
            status=choice.status,
            spans=choice.spans,
            split=split,
            misaligned=choice.misaligned,
        )
    except AnnotatorError as error:
        QMessageBox.warning(window, "Export", str(error))
        return
    read_only = project.read_only

    def work(progress: Progress, cancelled: Any) -> ExportReport:
        with project.worker_connection(read_only=read_only) as connection:
            return exporting.export_project(
                connection,
                format=choice.format,
                output=output,
                status=choice.status,
                spans=choice.spans,
                split=split,
                misaligned=choice.misaligned,
                progress=lambda done, total: progress(done, total, ""),
                cancel=cancelled,
            )

    def on_result(report: ExportReport) -> None:
        files = ", ".join(report.files) or str(output)
        window.show_message(
            f"Exported {report.documents} documents ({report.spans} spans, "
            f"{report.relations} relations) to {files}",
            15000,
        )
        if report.warnings:
            box = QMessageBox(window)
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle("Export finished with notes")
            box.setText(
                f"Exported {report.documents} documents to {files}.\n"
                f"{len(report.warnings)} note(s) about what was adjusted or left out."
            )
            box.setDetailedText("\n".join(report.warnings))
            box.open()

    _start(window, f"Export {choice.format}", work, on_result)
