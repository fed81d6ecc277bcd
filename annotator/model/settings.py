"""Per-project settings, stored in the project file."""

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


PendingOnDone = Literal["ask", "accept", "reject"]
"""What marking a document done does with its pending suggestions in the window."""


class ProjectSettings(BaseModel):
    """``label_map`` maps a model's entity labels onto the schema; unmapped labels are dropped.

    ``pending_on_done`` is the choice remembered in the window's "pending suggestions" dialog
    (``ask`` until someone ticks "remember"); the command line always takes ``--pending``.
    """

    model_config = ConfigDict(frozen=True)

    lang: str = Field(default="fr", min_length=2, max_length=8)
    model: str | None = None
    label_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_LABEL_MAP))
    spans_key: str = Field(default="sc", min_length=1)
    patterns: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    # who works in this project: every edit in the log, and exports, carry the name
    annotator: str | None = Field(default=None, min_length=1, max_length=64)
    # a merged project: the annotators whose versions it holds, for review
    review_of: tuple[str, ...] = ()
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
