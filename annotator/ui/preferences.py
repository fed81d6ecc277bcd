"""What the application remembers between runs (QSettings): recent projects, window layout.

What belongs to a project (last document, scroll position, selection) is kept in the project
file itself (``project.set_state``), so it travels with the file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


class Preferences:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings or QSettings()

    def recent_projects(self) -> list[Path]:
        """Most recent first; files that no longer exist are left out."""
        return [path for path in self._stored_recent() if path.is_file()]

    def _stored_recent(self) -> list[Path]:
        stored = self._settings.value("recent_projects", [], type=list) or []
        return [Path(p) for p in stored if isinstance(p, str)]

    def add_recent(self, path: Path) -> None:
        path = path.resolve()
        recent = [p for p in self.recent_projects() if p.resolve() != path]
        self._settings.setValue("recent_projects", [str(p) for p in [path, *recent][:MAX_RECENT]])
        self._settings.sync()

    def last_project(self) -> Path | None:
        """The project opened last, there or not (moved, renamed or deleted since)."""
        stored = self._stored_recent()
        return stored[0] if stored else None

    def window_geometry(self) -> QByteArray | None:
        value = self._settings.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self._settings.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._settings.setValue("window/geometry", geometry)
        self._settings.setValue("window/state", state)
        self._settings.sync()
