"""Cutting a text into blocks that are laid out one at a time, and Qt's UTF-16 offsets.

A block is a paragraph (text between newlines); a paragraph longer than ``MAX_BLOCK``
characters is cut at a space so that no single layout is expensive. Offsets in the store are
code points; Qt counts UTF-16 units, so characters outside the BMP need a mapping.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

MAX_BLOCK = 3000
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class BlockRange:
    start: int
    end: int  # exclusive, without the newline
    ends_paragraph: bool


def split_blocks(text: str, max_block: int = MAX_BLOCK) -> list[BlockRange]:
    blocks: list[BlockRange] = []
    position = 0
    length = len(text)
    while position <= length:
        newline = text.find("\n", position)
        paragraph_end = length if newline < 0 else newline
        end = paragraph_end
        if end > position and text[end - 1] == "\r":
            end -= 1
        start = position
        while end - start > max_block:
            cut = text.rfind(" ", start + max_block // 2, start + max_block)
            cut = start + max_block if cut < 0 else cut + 1
            blocks.append(BlockRange(start, cut, False))
            start = cut
        blocks.append(BlockRange(start, end, True))
        if newline < 0:
            break
        position = newline + 1
    return blocks


class Utf16Map:
    """Converts code-point offsets of one block to UTF-16 offsets and back."""

    def __init__(self, text: str) -> None:
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]
        self._astral_utf16 = [position + index for index, position in enumerate(self._astral)]

    def to_utf16(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset + bisect_left(self._astral, offset)

    def from_utf16(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset - bisect_left(self._astral_utf16, offset)
