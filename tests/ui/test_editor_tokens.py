"""Snapping and token steps of the view, checked against spaCy's own ``Doc.char_span``."""

from __future__ import annotations

import random

import pytest
import spacy

from annotator.model import is_aligned
from annotator.ui.editor.blocks import Utf16Map, split_blocks
from annotator.ui.editor.gestures import moved_range
from annotator.ui.editor.tokens import TokenIndex

TEXT = "L'équipe de Brad Smith (Microsoft) a dit: « la Chine » n'est pas l'AI de Deepseek."


@pytest.fixture(scope="module")
def doc() -> spacy.tokens.Doc:
    return spacy.blank("fr")(TEXT)


@pytest.fixture(scope="module")
def index(doc: spacy.tokens.Doc) -> TokenIndex:
    return TokenIndex(tuple((t.idx, t.idx + len(t)) for t in doc), TEXT)


def test_snapping_matches_spacy_char_span_expand(doc, index: TokenIndex) -> None:
    chooser = random.Random(5)
    for _ in range(400):
        start = chooser.randrange(0, len(TEXT))
        end = chooser.randrange(start + 1, len(TEXT) + 1)
        expected = doc.char_span(start, end, alignment_mode="expand")
        # spaCy answers an empty span over whitespace alone; the view makes no span there
        empty = expected is None or len(expected) == 0
        want = None if empty else (expected.start_char, expected.end_char)
        assert index.snap(start, end) == want, (start, end, TEXT[start:end])


def test_alignment_matches_spacy_strict(doc, index: TokenIndex) -> None:
    tokens = tuple((t.idx, t.idx + len(t)) for t in doc)
    for start in range(len(TEXT)):
        for end in range(start + 1, min(len(TEXT), start + 12) + 1):
            strict = doc.char_span(start, end, alignment_mode="strict") is not None
            assert index.aligned(start, end) == strict, (start, end)
            assert is_aligned(start, end, tokens) == strict, (start, end)
    assert is_aligned(3, 7, ())  # no tokens: characters


def test_moving_span_edges_by_one_token(index: TokenIndex) -> None:
    brad = TEXT.index("Brad")
    smith_end = brad + len("Brad Smith")
    assert moved_range(brad, brad + 4, "end", +1, index) == (brad, smith_end)
    assert moved_range(brad, smith_end, "end", -1, index) == (brad, brad + 4)
    assert moved_range(brad, brad + 4, "end", -1, index) is None  # never empty
    assert moved_range(brad, brad + 4, "start", +1, index) is None
    de = TEXT.index("de Brad")
    assert moved_range(brad, smith_end, "start", -1, index) == (de, smith_end)


def test_stepping_snapping_and_edges_skip_whitespace_tokens() -> None:
    """Right walked onto the paragraph break of "Article 0.\n\nMicrosoft", a label key made
    an entity of it, and Shift+Right grew "0." into "0.\n\n": the export trained both."""
    text = "Article 0.\n\nMicrosoft  a dit."
    doc = spacy.blank("fr")(text)
    assert [t.text for t in doc if t.is_space] == ["\n\n", " "]  # spaCy's whitespace tokens
    index = TokenIndex(tuple((t.idx, t.idx + len(t)) for t in doc), text)
    dot = text.index(".")
    microsoft = (text.index("Microsoft"), text.index("Microsoft") + len("Microsoft"))
    assert index.token_at(dot + 1) == microsoft  # Right after "."
    assert index.token_before(microsoft[0]) == (dot, dot + 1)  # Left from Microsoft
    zero = text.index("0")
    assert moved_range(zero, dot + 1, "end", +1, index) == (zero, microsoft[1])
    assert moved_range(*microsoft, "start", -1, index) == (dot, microsoft[1])
    assert index.snap(dot + 1, microsoft[0]) is None  # a drag over the break alone
    assert index.snap(microsoft[0], microsoft[1] + 2) == microsoft  # and the spaces after
    assert index.aligned(dot + 1, microsoft[0])  # still a token, as the store says


def test_without_tokens_the_view_works_in_characters() -> None:
    index = TokenIndex((), "0123456789")
    assert index.snap(2, 5) == (2, 5)
    assert index.aligned(2, 5)
    assert moved_range(2, 5, "end", +1, index) == (2, 6)


def test_blocks_cover_the_text_and_cut_long_paragraphs_at_spaces() -> None:
    text = "a\n\n" + " ".join(["mot"] * 2000) + "\r\nfin"
    blocks = split_blocks(text, max_block=500)
    assert all(b.end - b.start <= 500 for b in blocks)
    pieces = [text[b.start : b.end] for b in blocks]
    assert pieces[0] == "a" and pieces[1] == "" and pieces[-1] == "fin"
    assert all(not p.endswith("\r") for p in pieces)
    long_parts = [b for b in blocks if not b.ends_paragraph]
    assert long_parts and all(text[b.end - 1] == " " for b in long_parts)


def test_utf16_offsets_round_trip_around_emoji() -> None:
    text = "a😀b🎉c"
    mapping = Utf16Map(text)
    utf16 = [mapping.to_utf16(i) for i in range(len(text) + 1)]
    assert utf16 == [0, 1, 3, 4, 6, 7]
    assert [mapping.from_utf16(u) for u in utf16] == list(range(len(text) + 1))
