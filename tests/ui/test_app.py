"""Starting the app: ``annotator [gui] [PATH]``, error dialogs, the welcome screen's sample."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.cli import main
from annotator.errors import AnnotatorError
from annotator.store import Project
from annotator.ui import app as app_module
from annotator.ui import jobs
from annotator.ui import launcher as launcher_module
from annotator.ui.dialogs import ExportDialog
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], None),
        (["corpus.annotator"], Path("corpus.annotator")),
        (["gui", "corpus.annotator"], Path("corpus.annotator")),
    ],
)
def test_annotator_alone_a_path_or_gui_open_the_window(monkeypatch, argv, expected) -> None:
    opened: list[Path | None] = []

    def fake_run_gui(path: Path | None, read_only: bool = False) -> int:
        opened.append(path)
        return 0

    monkeypatch.setattr(app_module, "run_gui", fake_run_gui)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert opened == [expected]


def test_run_gui_on_a_missing_project_says_so_and_returns_1(qapp, monkeypatch, tmp_path) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        launcher_module, "critical", lambda _parent, _title, message: shown.append(message)
    )
    assert app_module.run_gui(tmp_path / "nowhere.annotator") == 1
    assert shown == [f"{tmp_path / 'nowhere.annotator'}: no such project file"]


def test_errors_reaching_the_event_loop_become_message_boxes(qapp, monkeypatch) -> None:
    warnings: list[str] = []
    criticals: list[str] = []
    monkeypatch.setattr(app_module, "warn", lambda _p, _t, message: warnings.append(message))
    monkeypatch.setattr(app_module, "critical", lambda _p, _t, message: criticals.append(message))
    error = AnnotatorError("corpus.jsonl:3: not valid JSON")
    app_module.show_unexpected(AnnotatorError, error, None)
    assert warnings == ["corpus.jsonl:3: not valid JSON"]
    app_module.show_unexpected(KeyError, KeyError("span"), None)
    assert criticals[0].startswith("KeyError: 'span'")
    assert "edits so far are saved" in criticals[0]


def test_the_sample_corpus_is_imported_once_then_opened_with_its_suggestions(
    qtbot, monkeypatch, tmp_path
) -> None:
    from functools import partial

    from annotator.services import suggesting

    # the real suggestion job; the small French pipeline loads faster than the project's md
    monkeypatch.setattr(
        suggesting, "SuggestOptions", partial(suggesting.SuggestOptions, model="fr_core_news_sm")
    )
    monkeypatch.setattr(launcher_module, "user_data_dir", lambda: tmp_path / "data")
    launcher = Launcher(Preferences())
    launcher.show_welcome()
    assert launcher.welcome is not None and launcher.welcome.sample_button.isEnabled()
    launcher.welcome.sample_button.click()
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=60_000)
    window = launcher.window
    try:
        sample = tmp_path / "data" / "sample.annotator"
        assert window.project_path == sample
        assert window.session.current_doc_id == 1
        assert window.session.project.document(1, tokens=False).text.startswith(
            "Microsoft demandera"
        )
        assert launcher.welcome is None
        assert not (tmp_path / "data" / "sample.annotator.partial").exists()
        # the suggestions run in the background, their progress in the status bar
        assert window.tasks.busy() and window.status.task_progress.isVisible()
        assert window.suggestions_bar.isHidden()
        qtbot.waitUntil(lambda: not window.tasks.busy(), timeout=120_000)
        texts = {
            window.session.project.document(1).text[s.start : s.end]
            for s in window.session.project.spans(1, status="suggested")
        }
        assert "Brad Smith" in texts
        assert len(window.view.shown_item_ids()) >= 10  # the view shows them
        assert window.session.project.relations(1)  # and the relation rules ran
    finally:
        window.close()
    launcher.open_sample()  # the second time it is simply opened
    assert launcher.window is not None and launcher.window.project_path == sample
    assert launcher.window.suggestions_bar.isHidden()  # it has its suggestions
    launcher.window.close()


def test_export_from_the_window_runs_in_the_background(
    qtbot, launcher, project_file, monkeypatch, tmp_path
) -> None:
    path = project_file(3)
    window = open_window(qtbot, launcher, path)
    output = tmp_path / "out.jsonl"
    monkeypatch.setattr(ExportDialog, "exec", lambda self: QDialog.DialogCode.Accepted)

    def choose(self) -> None:
        self.format.setCurrentText("annotator")
        self.output.setText(str(output))
        self.status.setCurrentIndex(self.status.findData("all"))

    original_choice = ExportDialog.choice
    monkeypatch.setattr(
        ExportDialog, "choice", lambda self: (choose(self), original_choice(self))[1]
    )
    jobs.export_project(window)
    task = window.tasks.current
    assert task is not None
    with qtbot.waitSignal(task.ended, timeout=60_000):
        pass
    assert output.is_file()
    assert len(output.read_text(encoding="utf-8").splitlines()) == 3
    assert "Exported 3 documents" in window.statusBar().currentMessage()
    with Project.open(path, read_only=True) as project:
        assert any(entry["kind"] == "export" for entry in project.edit_log())


def test_the_app_takes_the_gil_back_from_workers_quickly(qapp) -> None:
    """A propagation search in a worker must not add 5 ms to each Qt call of a keystroke."""
    import sys

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # Python's default
        app_module.make_application()
        assert sys.getswitchinterval() == pytest.approx(app_module.GIL_SWITCH_SECONDS)
        assert app_module.GIL_SWITCH_SECONDS <= 0.001
    finally:
        sys.setswitchinterval(before)


def test_a_modal_box_nobody_closes_is_closed_and_named(qtbot, modal_watch) -> None:
    """The UI tests' guard (``conftest.modal_watch``): a test that hangs on a message box
    fails with its text instead."""
    modal_watch.patience = 0.3
    box = QMessageBox(QMessageBox.Icon.Warning, "Import failed", "the reading process stopped")
    started = time.monotonic()
    box.exec()
    assert time.monotonic() - started < 5
    assert modal_watch.closed == ["'Import failed': the reading process stopped"]
    modal_watch.closed.clear()  # seen: the test passes


def test_a_message_box_shows_its_informative_text_as_written(qapp) -> None:
    """On PySide6 6.11 the "Project in use" box showed "<p>/tmp/p.annotator: ...</p>" with
    "&lt;" escapes: its informative label took the box's plain format, then got HTML."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QMessageBox

    from annotator.ui.plain_text import message_box

    informative = "/tmp/<b>a</b> & b.annotator: in use\n\nOpen it read-only."
    box = message_box(None, QMessageBox.Icon.Warning, "Project in use", "In use.", informative)
    label = box.findChild(QLabel, "qt_msgbox_informativelabel")
    assert label is not None
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == informative
    box.deleteLater()
