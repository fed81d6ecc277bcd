"""A rich progress column for documents or records per second, kept out of the command modules
so that ``rich.progress`` loads only when a command shows a bar (``--help`` stays quick)."""

from __future__ import annotations

from rich.progress import ProgressColumn, Task
from rich.text import Text


class RateColumn(ProgressColumn):
    """``1,234 docs/s`` from rich's own speed estimate; ``empty`` while there is none yet."""

    def __init__(self, digits: int = 0, empty: str = "", style: str = "progress.data.speed"):
        super().__init__()
        self._digits = digits
        self._empty = empty
        self._style = style

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text(self._empty, style=self._style)
        return Text(f"{speed:,.{self._digits}f} docs/s", style=self._style)
