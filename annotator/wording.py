"""Counts in the words of the messages every layer writes (core: imports nothing)."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """``1 document``, ``2 documents``, ``1,500 documents``: a count with its noun."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
