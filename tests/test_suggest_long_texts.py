"""Texts over spaCy's max_length are suggested in pieces, with offsets kept exact."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from suggest_helpers import pattern_suggester, write_patterns

from annotator.suggest.long_texts import pieces
from annotator.suggest.results import DocumentInput
from annotator.suggest.suggester import Suggester

PARAGRAPH = (
    "Marie Curie est née à Varsovie. Elle a travaillé à Paris avec Pierre Curie !\n"
    "Le laboratoire de Paris était petit.\n\n"
)


def test_pieces_are_contiguous_below_the_limit_and_cut_where_text_allows() -> None:
    text = PARAGRAPH * 20 + "x" * 250 + " fin."
    bounds = pieces(text, 200)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    assert all(end == next_start for (_, end), (next_start, _) in pairwise(bounds))
    assert all(0 < end - start <= 200 for start, end in bounds)
    # a paragraph break ends the first piece; a word is never cut where whitespace exists
    assert text[: bounds[0][1]].endswith("\n\n")
    # a window without whitespace is cut hard, at the limit
    last = [text[start:end] for start, end in bounds[-3:]]
    assert last == [PARAGRAPH, "x" * 200, "x" * 50 + " fin."]


def test_sentence_then_whitespace_when_no_paragraph_fits() -> None:
    text = "Une phrase. Une autre phrase sans fin ici"
    assert pieces(text, 20) == [(0, 12), (12, 29), (29, 41)]


@pytest.fixture
def suggester(tmp_path: Path) -> Suggester:
    patterns = write_patterns(
        tmp_path / "places.jsonl",
        [
            '{"label": "LOC", "pattern": "Paris"}',
            '{"label": "LOC", "pattern": "Varsovie"}',
            '{"label": "PER", "pattern": [{"LOWER": "marie"}, {"LOWER": "curie"}]}',
        ],
    )
    return pattern_suggester("fr", [patterns])


def test_a_text_over_max_length_is_suggested_in_pieces_at_exact_offsets(
    suggester: Suggester,
) -> None:
    text = PARAGRAPH * 40  # about 6,000 characters
    suggester.pipeline.nlp.max_length = 500
    short = DocumentInput(doc_id=2, text="Paris.")
    long_result, short_result = suggester.suggest([DocumentInput(doc_id=1, text=text), short])
    found = sorted((s.start, s.end, s.label) for s in long_result.spans)
    expected = sorted(
        [(at, at + 5, "LOC") for at in _all(text, "Paris")]
        + [(at, at + 8, "LOC") for at in _all(text, "Varsovie")]
        + [(at, at + 11, "PER") for at in _all(text, "Marie Curie")]
    )
    assert found == expected
    assert [(s.start, s.end) for s in short_result.spans] == [(0, 5)]


def test_the_same_suggestions_as_in_one_piece(suggester: Suggester) -> None:
    text = PARAGRAPH * 10
    whole = suggester.suggest([DocumentInput(doc_id=1, text=text)])
    suggester.pipeline.nlp.max_length = 150
    pieced = suggester.suggest([DocumentInput(doc_id=1, text=text)])
    [first], [second] = list(whole), list(pieced)
    assert sorted((s.start, s.end, s.label) for s in first.spans) == sorted(
        (s.start, s.end, s.label) for s in second.spans
    )


def _all(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at != -1:
        found.append(at)
        at = text.find(word, at + 1)
    return found
