"""Screenshots of the real window on the sample corpus, for the README and docs/

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Makes the sample exactly as ``python3 dev.py run`` does on a fresh checkout (``seeds/``
imported, then ``annotator suggest`` with the project's pipeline and relation rules), opens the
real window on it offscreen as a first start does (its default size and layout, nothing
selected) and grabs it (``QWidget.grab``):

- ``window.png``: the window as a fresh run shows it, the article with its suggestions;
- ``shortcuts.png``: the keyboard shortcuts overlay (F1);
- ``schema.png``: the schema editor;
- ``welcome.png``: the welcome screen of a first start (no recent project yet).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from annotator.ui.app import make_application
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences
from annotator.ui.schema_editor import SchemaEditor
from annotator.ui.welcome import WelcomeWindow

ROOT = Path(__file__).resolve().parents[1]


def make_sample(path: Path) -> None:
    """``dev.py``'s own sample making, with this interpreter."""
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    dev.make_sample(sys.executable, path)


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        make_sample(path)

        launcher = Launcher(Preferences())
        launcher.open_project(path)
        window = launcher.window
        assert window is not None
        window.activateWindow()
        QApplication.processEvents()
        window.status.refresh()
        assert window.view.shown_item_ids(), "the sample has no suggestions"
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

        welcome = WelcomeWindow([], sample_available=True)
        welcome.show()
        save(welcome, args.out / "welcome.png")
        welcome.close()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
