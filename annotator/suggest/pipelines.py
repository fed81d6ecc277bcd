"""Loading the spaCy pipeline that suggests entities, with an error that says what to install."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from annotator.errors import ModelNotFoundError
from annotator.suggest.results import MODEL_PREFIX

BLANK = "blank"


@dataclass
class LoadedPipeline:
    """A pipeline and the origin its entities are stored with (``None``: it has no NER)."""

    nlp: Language
    name: str  # package@version, as in the origin: which version of the project's model ran
    origin: str | None

    def assigns(self, attribute: str) -> bool:
        """Whether a component sets ``attribute`` (e.g. ``token.pos``, ``token.dep``)."""
        return any(
            attribute in self.nlp.get_pipe_meta(name).assigns for name in self.nlp.pipe_names
        )

    @property
    def owned_prefix(self) -> str | None:
        """``model:``: every model is one suggester ("the model"), so a run replaces the stale
        suggestions of any model and version, and two never pile up on the same tokens."""
        return None if self.origin is None else MODEL_PREFIX


def load_pipeline(name: str, lang: str) -> LoadedPipeline:
    """Load ``name`` (an installed package, a path, or ``blank`` for ``spacy.blank(lang)``).

    Raises ``ModelNotFoundError`` naming the package to install when it is missing.
    """
    if name == BLANK:
        try:
            nlp = spacy.blank(lang)
        except (ImportError, KeyError) as error:
            raise ModelNotFoundError(f"spaCy has no language {lang!r} ({error})") from None
        return LoadedPipeline(nlp=nlp, name=f"{BLANK}:{lang}", origin=None)
    looks_like_path = "/" in name or "\\" in name or name.startswith(".")
    try:
        nlp = spacy.load(name)
    except OSError as error:
        if looks_like_path or Path(name).exists():
            raise ModelNotFoundError(
                f"{name}: not a spaCy pipeline folder ({str(error).splitlines()[0]})"
            ) from None
        raise ModelNotFoundError(
            f"spaCy pipeline {name!r} is not installed; install it with: pip install {name} "
            f"(or python -m spacy download {name}), or choose another pipeline"
        ) from None
    except (ImportError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise ModelNotFoundError(
            f"{name}: cannot load this spaCy pipeline ({first_line})"
        ) from None
    meta = nlp.meta
    package = f"{meta.get('lang', lang)}_{meta.get('name', 'pipeline')}"
    makes_entities = any(
        "doc.ents" in nlp.get_pipe_meta(component).assigns for component in nlp.pipe_names
    )
    version = meta.get("version", "0.0.0")
    origin = f"{MODEL_PREFIX}{package}@{version}" if makes_entities else None
    return LoadedPipeline(nlp=nlp, name=f"{package}@{version}", origin=origin)
