"""The tokens an import left for later, made off the UI thread while the window is open.

An import stores documents without tokens (``services.tokenizing``). The document the
annotator opens is tokenized on the spot by the view (a few milliseconds once the tokenizer is
loaded); this worker loads the tokenizer as soon as the project opens, then makes the tokens of
every other document on its own connection, a batch at a time (``background_pass``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from annotator.services import tokenizing
from annotator.store import Project
from annotator.ui.background_pass import BackgroundPass


class BackgroundTokenizer(BackgroundPass):
    """Runs ``tokenizing.ensure_tokens`` over the whole project in one worker thread."""

    activity = "Tokenizing"
    tooltip = "Making the tokens an import left for later (documents open at once anyway)"

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(project, "status-tokenizing", parent)
        self.lang = project.settings.lang  # read here: the worker does not use this connection

    def has_work(self) -> bool:
        """Some document has no tokens. A project whose documents all have tokens loads no
        tokenizer (seconds of a core, and closing the window would wait for the load)."""
        return self.project.has_untokenized()

    def prepare(self) -> None:
        """Load the tokenizer: seconds of spaCy's import, which closing does not wait for."""
        tokenizing.load_tokenizer(self.lang)

    def work(self) -> int:
        """Tokenize what has no tokens yet."""
        if self.project.read_only or self.stopping():  # read-only: as each document opens
            return 0
        with self.project.worker_connection() as connection:
            return tokenizing.ensure_tokens(
                connection, progress=self.progressed.emit, cancel=self.stopping
            )
