"""Propagation's search in a worker works a piece at a time (no long call holding the GIL)
and finds what the whole-text forms found: tokens, words, names, free places."""

from __future__ import annotations

import json
import random
import re

import pytest

from annotator.model import Document, Span, TokenBoundaries, is_aligned
from annotator.model.document import DECODED_PIECE, decode_offsets
from annotator.model.validation import SortedBoundaries
from annotator.store import Project
from annotator.store.search import words_in
from annotator.suggest.occurrences import _best_label_per_place as best_label_per_place
from annotator.suggest.occurrences import _clashes as clashes
from annotator.suggest.occurrences import _last_word as last_word
from annotator.suggest.occurrences import _overlap as overlap
from annotator.suggest.occurrences import _written_as_a_word as written_as_a_word
from annotator.suggest.occurrences import free_places

WORDS = ("Paris", "paris", "Est", "est", "de", "la", "Jean-Paul", "M.", "ETAT-CIVIL", "l'Etat")


def _tokens(count: int, seed: int = 1) -> tuple[tuple[int, int], ...]:
    chooser = random.Random(seed)
    tokens, position = [], 0
    for _ in range(count):
        position += chooser.randint(0, 2)
        length = chooser.randint(1, 12)
        tokens.append((position, position + length))
        position += length
    return tuple(tokens)


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])  # ours, json.dumps' default
def test_long_token_offsets_decode_in_pieces_to_the_same_pairs(
    separators: tuple[str, str],
) -> None:
    tokens = _tokens(20_000)
    stored = json.dumps(tokens, separators=separators)
    assert len(stored) > 5 * DECODED_PIECE  # several pieces
    assert decode_offsets(stored) == tuple(tuple(pair) for pair in json.loads(stored))
    assert decode_offsets("[[0,4]]") == ((0, 4),)
    assert decode_offsets("[]") == decode_offsets(None) == ()


def test_damaged_token_offsets_still_fail_to_decode() -> None:
    with pytest.raises(ValueError):
        decode_offsets("[[0,4],[5]]")


def test_binary_search_answers_as_the_boundary_sets() -> None:
    tokens = _tokens(500)
    sets, searched = TokenBoundaries(tokens), SortedBoundaries(tokens)
    last = tokens[-1][1]
    for start in range(last + 2):
        for end in range(start + 1, min(start + 30, last + 3)):
            expected = sets.aligned(start, end)
            assert searched.aligned(start, end) == expected, (start, end)
            assert is_aligned(start, end, tokens) == expected, (start, end)
    assert SortedBoundaries(()).empty and SortedBoundaries(()).aligned(3, 7)


def test_words_are_found_across_pieces_as_one_findall_finds_them() -> None:
    chooser = random.Random(2)
    text = " ".join(
        chooser.choice(WORDS) + chooser.choice(["", ",", ".\n", "_x"]) for _ in range(40_000)
    )
    assert len(text) > 4 * 32_768
    assert list(words_in(text)) == re.findall(r"\w+", text)
    assert list(words_in("")) == []
    assert list(words_in("x" * 70_000)) == ["x" * 70_000]  # one word longer than a piece


def test_longer_names_are_found_without_reading_the_whole_text() -> None:
    """The word before a hyphen and the lower-case form are found near the place, as
    splitting the text before it and a regular expression over it found them."""
    chooser = random.Random(3)
    pieces = ("Paris", "paris", "Est", "est", "-", " - ", ". ", " de ", "Jean", "_", "\n", "é")
    for _ in range(500):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 14)))
        for end in range(len(text) + 1):
            words = text[:end].split()
            assert last_word(text, end) == (words[-1] if words else ""), (text, end)
        for word in ("paris", "est", "de", "é"):
            pattern = rf"(?<!\w){re.escape(word)}(?!\w)"
            assert written_as_a_word(text, word) == (re.search(pattern, text) is not None)


def _free_places_by_scanning(candidates: list[Span], spans: list[Span]) -> list[Span]:
    """``free_places`` as it was: every candidate against every span and every kept one."""
    kept: list[Span] = []
    for candidate in sorted(
        best_label_per_place(candidates), key=lambda s: (s.start - s.end, s.start)
    ):
        if any(clashes(candidate, other) for other in spans) or any(
            overlap(candidate, other) for other in kept
        ):
            continue
        kept.append(candidate)
    return sorted(kept, key=lambda s: (s.start, s.end, s.label))


def _random_span(chooser: random.Random, status: str) -> Span:
    start = chooser.randint(0, 300)
    return Span(
        doc_id=1,
        start=start,
        end=start + chooser.choice([1, 2, 3, 5, 8, 40]),
        label=chooser.choice(["PER", "LOC"]),
        status=status,
        score=chooser.choice([0.5, 0.6, 0.7]),
    )


def test_free_places_by_nearby_spans_keeps_what_scanning_them_all_kept() -> None:
    chooser = random.Random(4)
    for _ in range(200):
        spans = [
            _random_span(chooser, chooser.choice(["accepted", "suggested", "rejected"]))
            for _ in range(chooser.randint(0, 25))
        ]
        candidates = [_random_span(chooser, "suggested") for _ in range(chooser.randint(0, 40))]
        assert free_places(candidates, spans) == _free_places_by_scanning(candidates, spans)


@pytest.mark.parametrize("spans", [2, 40])  # few for its tokens: binary search; many: sets
def test_spans_stored_in_bulk_are_flagged_misaligned_either_way(
    project: Project, spans: int
) -> None:
    text = " ".join(["mot"] * 100)
    tokens = tuple((4 * n, 4 * n + 3) for n in range(100))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
    made = [
        Span(doc_id=doc_id, start=4 * n, end=4 * n + (3 if n % 2 else 2), label="PER")
        for n in range(spans)
    ]
    project.add_spans_bulk(made)
    assert sorted(project.misaligned_span_ids(doc_id)) == sorted(s.id for s in made[0::2])
