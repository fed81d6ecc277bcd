"""Prodigy / spaCy EntityRuler pattern files, matched by spaCy's ``SpanRuler``.

One JSON object a line: ``{"label": "ORG", "pattern": "Apple"}`` (a string: exact text) or
``{"label": "ORG", "pattern": [{"LOWER": "apple"}]}`` (a token pattern, any ``Matcher`` key).
A line that is not such an object is a ``FormatError`` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.schemas import validate_token_pattern
from spacy.tokens import Token

from annotator.errors import FormatError
from annotator.suggest.pipelines import LoadedPipeline

# Token attributes a pattern may test that only some pipeline component sets.
_NEEDS = {
    "POS": "token.pos",
    "TAG": "token.tag",
    "MORPH": "token.morph",
    "LEMMA": "token.lemma",
    "DEP": "token.dep",
    "SENT_START": "token.is_sent_start",
    "IS_SENT_START": "token.is_sent_start",
    "ENT_TYPE": "doc.ents",
    "ENT_IOB": "doc.ents",
    "ENT_ID": "doc.ents",
    "ENT_KB_ID": "doc.ents",
}


@dataclass
class PatternFile:
    """The patterns of one file (checked line by line when read) and the origin they go with."""

    path: Path
    patterns: list[dict[str, Any]]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"pattern:{self.path.name}"


def read_pattern_file(path: str | Path) -> PatternFile:
    """Read and check every line; the first bad one raises ``FormatError(path, line, reason)``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FormatError(path, None, f"cannot read pattern file ({error.strerror})") from None
    patterns: list[dict[str, Any]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError:
            raise FormatError(path, number, "not UTF-8 text") from None
        if not text:
            continue
        patterns.append(_parse_pattern_line(path, number, text))
    return PatternFile(path=path, patterns=patterns)


def _parse_pattern_line(path: Path, number: int, text: str) -> dict[str, Any]:
    try:
        entry = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(path, number, f"not valid JSON ({error.msg})") from None
    if not isinstance(entry, dict):
        raise FormatError(path, number, "a pattern line must be a JSON object")
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        raise FormatError(path, number, 'missing "label" (a non-empty string)')
    pattern = entry.get("pattern")
    if isinstance(pattern, str):
        if not pattern.strip():
            raise FormatError(path, number, '"pattern" is an empty string')
    elif isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern):
        problems = validate_token_pattern(pattern)
        if problems:
            raise FormatError(path, number, f"invalid token pattern: {problems[0]}")
    else:
        raise FormatError(
            path, number, '"pattern" must be a string or a non-empty list of token objects'
        )
    cleaned: dict[str, Any] = {"label": label, "pattern": pattern}
    if isinstance(entry.get("id"), str):
        cleaned["id"] = entry["id"]
    return cleaned


def needed_attributes(pattern: str | list[dict[str, Any]]) -> set[str]:
    """The pipeline attributes (``token.pos``...) a pattern needs to match at all."""
    if isinstance(pattern, str):
        return set()
    return {_NEEDS[key.upper()] for token in pattern for key in token if key.upper() in _NEEDS}


def _extension_names(pattern: str | list[dict[str, Any]]) -> Iterator[str]:
    if isinstance(pattern, list):
        for token in pattern:
            extensions = token.get("_")
            if isinstance(extensions, dict):
                yield from extensions


def add_pattern_rulers(
    pipeline: LoadedPipeline, files: list[PatternFile]
) -> list[tuple[str, str | None]]:
    """Add one ``span_ruler`` per file at the end of the pipeline; returns (origin, spans key)s.

    Patterns testing an attribute no component of the pipeline sets (``POS`` on a blank
    pipeline) could never match and would make spaCy refuse the document: they are left out
    and counted in ``PatternFile.skipped``. Custom ``_`` attributes the pipeline lacks are
    registered (default ``None``) so that such patterns load.
    """
    keys: list[tuple[str, str | None]] = []
    for index, pattern_file in enumerate(files):
        usable = []
        pattern_file.skipped.clear()
        for entry in pattern_file.patterns:
            needed = needed_attributes(entry["pattern"])
            missing = sorted(a for a in needed if not pipeline.assigns(a))
            if missing:
                reason = f"needs {', '.join(missing)}, which {pipeline.name} does not set"
                pattern_file.skipped[reason] = pattern_file.skipped.get(reason, 0) + 1
                continue
            for name in _extension_names(entry["pattern"]):
                if not Token.has_extension(name):
                    Token.set_extension(name, default=None)
            usable.append(entry)
        if not usable:
            keys.append((pattern_file.origin, None))
            continue
        key = f"annotator_patterns_{index}"
        ruler = pipeline.nlp.add_pipe(
            "span_ruler",
            name=key,
            config={"spans_key": key, "annotate_ents": False, "validate": True},
        )
        ruler.add_patterns(usable)
        keys.append((pattern_file.origin, key))
    return keys
