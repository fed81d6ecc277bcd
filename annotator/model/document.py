"""A document: immutable text plus the token offsets used for snapping and export."""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from collections.abc import Iterable
from itertools import chain
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DocumentStatus = Literal["new", "suggested", "in_progress", "done", "skipped"]
DOCUMENT_STATUSES: tuple[str, ...] = ("new", "suggested", "in_progress", "done", "skipped")

TokenOffsets = tuple[tuple[int, int], ...]
"""(start, end) character offsets of each token, end exclusive, in text order."""


StoredOffsets = bytes | str
"""Token offsets as the project file keeps them (``encode_offsets``): bytes, or JSON text
where an earlier version stored them (``[[0,4],[5,10]]``, the bytes of ``json.dumps(tokens,
separators=(",", ":"))``), which the project keeps. Every reader takes both."""

OFFSET_TYPE = "I"
"""``array`` type of a stored offset: unsigned, 32 bits (a text holds at most a million
characters, ``io.limits``), little-endian in the file."""
assert array(OFFSET_TYPE).itemsize == 4  # on every platform Python builds for
_SWAP = sys.byteorder == "big"


def encode_offsets(starts: Iterable[int], ends: Iterable[int]) -> bytes:
    """Token offsets as the project file keeps them: each token's start and end, one after the
    other, as unsigned 32-bit little-endian integers. Read without parsing (numpy's
    ``frombuffer``, ``array``): the JSON text stored before took an export 0.3 CPU s to parse
    for 16 million offsets, and a third more room. Made from two columns without a tuple per
    token (the import's hot path). ``OverflowError`` for an offset below 0 or past 32 bits."""
    starts, ends = list(starts), list(ends)
    flat = [0] * (2 * len(starts))
    flat[0::2], flat[1::2] = starts, ends
    values = array(OFFSET_TYPE, flat)
    if _SWAP:
        values.byteswap()
    return values.tobytes()


def encode_tokens(tokens: TokenOffsets) -> bytes:
    """``encode_offsets`` of token pairs."""
    values = array(OFFSET_TYPE, chain.from_iterable(tokens))
    if _SWAP:
        values.byteswap()
    return values.tobytes()


def offset_values(offsets: bytes) -> array[int]:
    """Stored offsets (``encode_offsets``) as a flat array: start, end, start, end...
    ``ValueError`` when their length is not a whole number of pairs (a crafted file)."""
    if len(offsets) % 8:
        raise ValueError(f"stored token offsets of {len(offsets)} bytes are not whole pairs")
    values = array(OFFSET_TYPE, offsets)
    if _SWAP:
        values.byteswap()
    return values


def offsets_json(offsets: StoredOffsets) -> str:
    """Stored offsets as the JSON text of their pairs, ``[[0,4],[5,10]]`` (``json.dumps``
    with ``separators=(",", ":")``): as stored by an earlier version."""
    if isinstance(offsets, str):
        return offsets
    values = offset_values(offsets)
    if not values:
        return "[]"
    # one % for all: 2.5 times quicker than json.dumps of the pairs (the numbers' text is
    # most of the cost; an annotator JSONL export writes 16 million for 10,000 documents)
    return ("[" + "[%s,%s]," * (len(values) // 2 - 1) + "[%s,%s]]") % tuple(values)


DECODED_PIECE = 32_768
"""Characters of stored JSON offsets (about 2,500 tokens) decoded by one call of
``json.loads``."""


def decode_offsets(offsets: StoredOffsets | None) -> TokenOffsets:
    """Stored token offsets (``StoredOffsets``) as a tuple of pairs.

    JSON text is read flat and paired by ``zip``, 1.5 times quicker than converting each
    decoded pair, and a piece at a time: one ``json.loads`` of a 100,000-token document holds
    the GIL for tens of milliseconds, which a keystroke would wait for while a worker decodes.
    """
    if not offsets:
        return ()
    if not isinstance(offsets, str):
        values = offset_values(offsets)
        return tuple(zip(values[0::2], values[1::2], strict=True))
    pairs: list[tuple[int, int]] = []
    begin = 0
    while begin < len(offsets):
        cut = offsets.find("]", begin + DECODED_PIECE)  # the end of a pair, or of the list
        end = len(offsets) if cut == -1 else cut + 1
        numbers = offsets[begin:end].replace("[", "").replace("]", "").strip(", ")
        flat = json.loads(f"[{numbers}]")
        pairs += zip(flat[0::2], flat[1::2], strict=True)
        begin = end
    return tuple(pairs)


def text_hash(text: str) -> str:
    """Identity of a text, used to find the same text imported twice."""
    return utf8_hash(text.encode("utf-8"))


def utf8_hash(data: bytes) -> str:
    """``text_hash`` of a text given as UTF-8 (an import has it from its checks)."""
    return hashlib.sha1(data).hexdigest()


def check_tokens(tokens: TokenOffsets, text_length: int) -> None:
    """Raise ``ValueError`` for a token outside the text, empty or out of order."""
    previous_end = 0
    for index, (start, end) in enumerate(tokens):
        if not (previous_end <= start < end <= text_length):
            raise ValueError(
                f"token {index} ({start}, {end}) is outside the text, empty or out of order"
            )
        previous_end = end


class Document(BaseModel):
    """One text to annotate. ``id`` is given by the project store."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: int | None = None
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)
    status: DocumentStatus = "new"
    tokens: TokenOffsets = ()

    @model_validator(mode="after")
    def _tokens_inside_text(self) -> Document:
        check_tokens(self.tokens, len(self.text))
        return self

    @property
    def hash(self) -> str:
        return text_hash(self.text)

    @property
    def title(self) -> str:
        """What a list shows: the meta title if any, else the first words."""
        title = self.meta.get("title")
        if isinstance(title, str) and title.strip():
            return title.strip()
        first_line = self.text.strip().split("\n", 1)[0]
        return first_line[:80]
