"""The relation rules shipped for each language (``resources/rules/<lang>_news.json``).

Found without importing spaCy: the window plans a run on its UI thread, which never imports
spaCy (seconds of a frozen window, and a second thread importing it at the same moment
breaks both imports: ``io.tokenize.import_spacy``).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def default_rules_file(lang: str) -> Traversable | None:
    """The rules shipped for a language, if any."""
    candidate = resources.files("annotator.resources").joinpath("rules", f"{lang}_news.json")
    return candidate if candidate.is_file() else None
