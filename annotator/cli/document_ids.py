"""Document ids as commands take them: repeated, comma-separated, or ranges (``1-6``)."""

from __future__ import annotations

MAX_RANGE = 10_000_000  # ids a range may name: a typo (1-99999999999) is not a loop for hours


def parse_document_ids(values: list[str]) -> tuple[int, ...] | None:
    """``["1", "3,5", "8-10"]`` -> ``(1, 3, 5, 8, 9, 10)``; None when a word is not an id or
    a range of ids (the caller says what it takes)."""
    ids: list[int] = []
    for word in (word for value in values for word in value.replace(",", " ").split()):
        first, dash, last = word.partition("-")
        if not dash:
            if not word.isdecimal():
                return None
            ids.append(int(word))
            continue
        if not (first.isdecimal() and last.isdecimal()):
            return None
        low, high = int(first), int(last)
        if low > high or high - low >= MAX_RANGE:
            return None
        ids.extend(range(low, high + 1))
    return tuple(ids)
