"""What any input may hold, checked the same way for every format (docs/importing.md, "Limits").

Readers parse JSON with ``loads`` (strict JSON: no NaN or Infinity, numbers of at most 4,300
digits, at most ``MAX_DEPTH`` levels deep) and read lines with ``read_lines`` (at most
``MAX_LINE_BYTES``); the importer checks every record with ``check_text`` and ``check_value``.
Each problem is one ``FormatError`` naming the file and the place, before anything is stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from annotator.errors import FormatError

MAX_TEXT_CHARACTERS = 1_000_000
"""A document's text at most: spaCy's own ``nlp.max_length``, past which a pipeline refuses it."""
MAX_LINE_BYTES = 32 * 1024 * 1024
"""One JSON Lines record at most (a text of the largest size, its tokens and spans)."""
MAX_DEPTH = 100
"""Nesting of JSON arrays and objects at most (real files use under 10)."""
MAX_INFLATED_BYTES = 1024 * 1024 * 1024
"""A ``.spacy`` file's uncompressed content at most; larger corpora are split into several files."""

Where = str | int | None


def loads(text: str, path: Path, where: Where = None, check: bool = True) -> Any:
    """Strict JSON, or one line naming the place: ``where`` for a record, else (a whole file)
    the line the parser stopped at. ``check=False`` leaves ``check_value`` to the caller, who
    can name each record of a whole file."""
    try:
        if type(text) is str and not text.startswith("\ufeff"):
            value = _DECODER.decode(text)  # what json.loads(text, **hooks) does
        else:
            value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise FormatError(path, where, f"not valid JSON (nested over {MAX_DEPTH} levels)") from None
    except json.JSONDecodeError as error:
        reason = error.msg.removesuffix(" at")  # "Unterminated string starting at"
        if where is None:
            raise FormatError(
                path, error.lineno, f"not valid JSON ({reason} at column {error.colno})"
            ) from None
        raise FormatError(
            path, where, f"not valid JSON ({reason} at column {error.colno})"
        ) from None
    except ValueError as error:  # from the number parsers: NaN, Infinity, 4,300+ digits
        reason = str(error)
        if "integer string conversion" in reason:
            reason = "a number has more than 4,300 digits"
        raise FormatError(path, where, f"not valid JSON ({reason})") from None
    if check and (
        ("\\u" in text and _SURROGATE_ESCAPE.search(text)) or _brackets(text) > MAX_DEPTH
    ):
        check_value(value, path, where)  # only then: most records cannot break a rule
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _brackets(text: str) -> int:
    return text.count("[") + text.count("{")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:20]} is too large")
    return number


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
"""What ``json.loads`` with these hooks makes at each call (a decoder and its scanner), made
once; ``json.loads`` is still called for what it checks first (a BOM, bytes)."""


def check_value(value: Any, path: Path, where: Where, what: str = "the record") -> None:
    """Refuse what cannot be stored as strict JSON text: NaN or infinite numbers, unpaired
    surrogates (not encodable as UTF-8), values JSON has no type for, and nesting deeper than
    ``MAX_DEPTH`` (json.dumps checks the first three in C, much faster than a walk in Python)."""
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        bad = error.object[error.start]
        reason = f"holds an unpaired surrogate {bad!r} (not a character)"
    except ValueError:
        reason = "holds NaN or an infinite number, which JSON cannot store"
    except TypeError as error:
        reason = f"holds a value JSON cannot store ({error})"
    except RecursionError:
        reason = f"is nested over {MAX_DEPTH} levels deep"
    else:
        if _deeper_than(value, MAX_DEPTH):
            reason = f"is nested over {MAX_DEPTH} levels deep"
        else:
            return
    raise FormatError(path, where, f"{what} {reason}")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and dicts nest more than ``limit`` levels (level by level, no recursion)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def check_text(text: str, path: Path, where: Where) -> bytes:
    """Refuse a text too long to annotate, with a NUL (SQLite and spaCy stop there), or with
    an unpaired surrogate (it cannot be saved as UTF-8). Returns the text as UTF-8, which the
    check makes anyway and an import digests (``model.document.utf8_hash``)."""
    check_text_size(len(text), path, where)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise FormatError(
            path, where, f"the text holds a NUL character (at character {nul}, text line {line})"
        )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FormatError(
            path,
            where,
            f"the text holds an unpaired surrogate {text[error.start]!r} (not a character) "
            f"at character {error.start}",
        ) from None


def check_text_size(characters: int, path: Path, where: Where) -> None:
    """Refuse a text longer than ``MAX_TEXT_CHARACTERS`` (said before reading it, when known)."""
    if characters > MAX_TEXT_CHARACTERS:
        raise FormatError(
            path,
            where,
            f"the text has at least {characters:,} characters, more than the "
            f"{MAX_TEXT_CHARACTERS:,} a document may hold; cut it into parts "
            "(for plain text: --split paragraph)",
        )


def check_score(score: Any, path: Path, where: Where, what: str) -> float | None:
    """A score as a float; None when it is not a number; an error when it is not finite."""
    if isinstance(score, bool) or not isinstance(score, int | float):
        return None
    try:
        number = float(score)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise FormatError(path, where, f"{what}: score {str(score)[:20]} is not a finite number")
    return number


def is_offset(value: Any) -> bool:
    """A character or token offset: an ``int``, never a ``bool`` (``True`` is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def read_lines(handle: IO[bytes], path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each line, refusing one longer than ``MAX_LINE_BYTES`` before
    it is held whole in memory."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise FormatError(
                path,
                number,
                f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, the most one "
                "record may take",
            )
        yield number, raw
