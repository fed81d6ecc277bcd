"""Inter-annotator agreement on the documents that two or more annotators finished.

- Span F1 per label and overall, for each pair of annotators: exact (same offsets and label)
  and overlapping (same label, characters in common). F1 is symmetric, so which annotator is
  "gold" does not matter.
- Cohen's kappa per pair and Krippendorff's alpha (nominal, all annotators at once) on the BIO
  tag of every token.
- Relation F1 per pair on (head span, child span, label).
- A confusion table of labels: spans with the same offsets, label by one annotator against the
  other's; ``-`` where the other has no span there.

Only documents an annotator marked done count for that annotator: unfinished work is not
disagreement. Every figure is added up one document at a time, so memory stays flat however
large the corpus; the tests check alpha against the ``krippendorff`` package.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate, combinations, groupby, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy

from annotator.model.document import TokenOffsets
from annotator.services.team import Team, open_team, side_by_side

NONE = "-"
_START, _END, _LABEL, _LABEL_START = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(2, 0)
_OFFSETS = itemgetter(0, 1)
_SPAN_KEY = itemgetter(1, 2, 3)  # (start, end, label) of a decided span's row
_RELATION_KEY = itemgetter(0, 1, 2)  # (head, child, label) of a decided relation's row
SpanKey = tuple[int, int, str]
RelationKey = tuple[SpanKey, SpanKey, str]


@dataclass
class Annotations:
    """One annotator's accepted spans and relations on one document."""

    spans: set[SpanKey] = field(default_factory=set)
    relations: set[RelationKey] = field(default_factory=set)

    @cached_property
    def reach(self) -> dict[str, tuple[list[int], list[int]]]:
        """For each label: its spans' starts in order, and the furthest end reached so far.
        A span overlaps one of them when the first that start before its end reach past its
        start: a bisection, not a scan."""
        found: dict[str, tuple[list[int], list[int]]] = {}
        for label, group in groupby(sorted(self.spans, key=_LABEL_START), key=_LABEL):
            spans = list(group)
            found[label] = (list(map(_START, spans)), list(accumulate(map(_END, spans), max)))
        return found

    @cached_property
    def by_offsets(self) -> dict[tuple[int, int], str]:
        """The label at each (start, end), for the confusion table."""
        return dict(zip(map(_OFFSETS, self.spans), map(_LABEL, self.spans), strict=True))


@dataclass
class SharedDocument:
    starts: numpy.ndarray  # of the tokens, as ``TokenOffsets`` read in two columns
    ends: numpy.ndarray
    by_annotator: dict[str, Annotations]


def token_edges(tokens_json: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Stored token offsets (``[[0,4],[5,10]]``) as two arrays, read flat: no pair tuples."""
    flat = numpy.array(
        json.loads("[" + tokens_json.replace("[", "").replace("]", "") + "]"), dtype=numpy.int64
    )
    return flat[0::2], flat[1::2]


def f1(true_positives: float, predicted: int, gold: int) -> float:
    """2TP / (|A| + |B|): 1.0 when both are empty (nothing to disagree on)."""
    total = predicted + gold
    return 1.0 if total == 0 else 2.0 * true_positives / total


class TagCodes:
    """BIO tags as small integers, shared by every document and annotator of one measure."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"O": 0}
        self.of_label: dict[str, tuple[int, int]] = {}  # label -> (B code, I code)

    def code(self, tag: str) -> int:
        return self.codes.setdefault(tag, len(self.codes))

    def label_codes(self, label: str) -> tuple[int, int]:
        found = self.of_label.get(label)
        if found is None:
            found = self.of_label[label] = (self.code("B-" + label), self.code("I-" + label))
        return found

    def bio(self, tokens: TokenOffsets, spans: set[SpanKey]) -> numpy.ndarray:
        """The tag code of each token; a token in two spans takes the longer (then earlier)."""
        if not tokens:
            return numpy.zeros(0, dtype=numpy.int64)
        bounds = numpy.asarray(tokens, dtype=numpy.int64)
        return self.bio_of_edges(bounds[:, 0], bounds[:, 1], spans)

    def bio_of_edges(
        self, starts: numpy.ndarray, ends: numpy.ndarray, spans: set[SpanKey]
    ) -> numpy.ndarray:
        """``bio`` for tokens given as their starts and ends: interval arithmetic on arrays.

        Each span covers tokens ``[first, last)`` (bisection over the token edges). When no
        two spans share a token, as in most documents, B and I codes are laid in one go
        (``_laid``); otherwise longer spans go first and a span over tokens already tagged is
        left out.
        """
        count = len(starts)
        if not spans or not count:
            return numpy.zeros(count, dtype=numpy.int64)
        listed = list(spans)
        span_starts, span_ends, labels = zip(*listed, strict=True)
        firsts = numpy.searchsorted(ends, span_starts, side="right")
        lasts = numpy.searchsorted(starts, span_ends, side="left")
        tags = self._laid(count, firsts, lasts, labels)
        if tags is not None:
            return tags
        tags = numpy.zeros(count, dtype=numpy.int64)
        order = sorted(
            range(len(listed)), key=lambda i: (-(span_ends[i] - span_starts[i]), listed[i])
        )
        for index in order:
            at, end = int(firsts[index]), int(lasts[index])
            if at >= end or tags[at:end].any():
                continue  # no token, or a longer span has these tokens
            begin, inside = self.of_label[labels[index]]
            tags[at] = begin
            tags[at + 1 : end] = inside
        return tags

    def bio_of_batch(
        self, documents: Sequence[tuple[numpy.ndarray, numpy.ndarray, set[SpanKey]]]
    ) -> numpy.ndarray:
        """``bio_of_edges`` of several documents (token starts, ends, spans), one after the
        other, in a few numpy calls instead of a dozen per document: each document's offsets
        are shifted past the last one's, so that tokens and spans of different documents
        never meet. If spans share a token somewhere, each document is tagged on its own."""
        bases = numpy.zeros(len(documents), dtype=numpy.int64)
        base = 0
        for index, (_starts, ends, spans) in enumerate(documents):
            bases[index] = base
            base += max(int(ends[-1]) if len(ends) else 0, max(map(_END, spans), default=0)) + 1
        token_counts = [len(starts) for starts, _ends, _spans in documents]
        count = sum(token_counts)
        listed = [span for _starts, _ends, spans in documents for span in spans]
        if not listed or not count:
            return numpy.zeros(count, dtype=numpy.int64)
        starts = numpy.concatenate([starts for starts, _ends, _spans in documents])
        ends = numpy.concatenate([ends for _starts, ends, _spans in documents])
        shifts = numpy.repeat(bases, token_counts)
        span_shifts = numpy.repeat(bases, [len(spans) for _starts, _ends, spans in documents])
        span_starts = numpy.fromiter(map(_START, listed), numpy.int64, len(listed)) + span_shifts
        span_ends = numpy.fromiter(map(_END, listed), numpy.int64, len(listed)) + span_shifts
        firsts = numpy.searchsorted(ends + shifts, span_starts, side="right")
        lasts = numpy.searchsorted(starts + shifts, span_ends, side="left")
        tags = self._laid(count, firsts, lasts, list(map(_LABEL, listed)))
        if tags is not None:
            return tags
        return numpy.concatenate([self.bio_of_edges(*document) for document in documents])

    def _laid(
        self, count: int, firsts: numpy.ndarray, lasts: numpy.ndarray, labels: Sequence[str]
    ) -> numpy.ndarray | None:
        """The tags of ``count`` tokens with the spans over tokens ``[firsts, lasts)``, laid
        in one go (B at each first, I by a running sum of +code at first + 1 and -code at
        last), or None if two spans share a token."""
        known = self.of_label
        for label in set(labels).difference(known):
            self.label_codes(label)
        covering = firsts < lasts  # spans over no token tag nothing
        by_first = numpy.argsort(firsts[covering], kind="stable")
        first, last = firsts[covering][by_first], lasts[covering][by_first]
        if not numpy.all(first[1:] >= last[:-1]):
            return None
        codes = numpy.array([known[label] for label in labels], dtype=numpy.int64)
        begin, inside = codes[covering][by_first].T
        running = numpy.zeros(count + 1, dtype=numpy.int64)
        running[first + 1] += inside
        running[last] -= inside  # no index twice: the spans share no token
        tags = numpy.cumsum(running)[:count]
        tags[first] = begin
        return tags


def bio_tags(tokens: TokenOffsets, spans: set[SpanKey]) -> list[str]:
    """The BIO tags of ``tokens`` as strings (for reading; the measures use codes)."""
    codes = TagCodes()
    values = codes.bio(tokens, spans)
    names = {code: tag for tag, code in codes.codes.items()}
    return [names[int(value)] for value in values]


def _padded_sum(total: numpy.ndarray, more: numpy.ndarray) -> numpy.ndarray:
    """``total + more`` for arrays indexed by tag code, the shorter padded with zeros."""
    if more.shape[0] > total.shape[0]:
        total, more = more.copy(), total
    total[tuple(slice(0, size) for size in more.shape)] += more
    return total


@dataclass
class KappaCounts:
    """What Cohen's kappa needs: agreements and each side's tag counts (by tag code)."""

    total: int = 0
    agreed: int = 0
    first: numpy.ndarray = field(default_factory=lambda: numpy.zeros(0, dtype=numpy.int64))
    second: numpy.ndarray = field(default_factory=lambda: numpy.zeros(0, dtype=numpy.int64))

    def add(self, first: numpy.ndarray, second: numpy.ndarray) -> None:
        self.total += len(first)
        self.agreed += int(numpy.count_nonzero(first == second))
        self.first = _padded_sum(self.first, numpy.bincount(first))
        self.second = _padded_sum(self.second, numpy.bincount(second))

    def kappa(self) -> float:
        """(observed - expected) / (1 - expected); 1.0 when both are constant and equal."""
        if self.total == 0:
            return 1.0
        observed = self.agreed / self.total
        size = min(len(self.first), len(self.second))
        expected = int(numpy.dot(self.first[:size], self.second[:size])) / (self.total * self.total)
        if expected == 1.0:
            return 1.0 if observed == 1.0 else 0.0
        return (observed - expected) / (1.0 - expected)


@dataclass
class Coincidences:
    """Krippendorff's coincidence matrix for nominal data (each token a unit), by tag code:
    whole counts by the number of coders of the units, divided only when alpha is taken."""

    by_coders: dict[int, numpy.ndarray] = field(default_factory=dict)

    def add(self, tags_by_annotator: Sequence[numpy.ndarray]) -> None:
        """Units (tokens) that the same coders tagged: the tag codes each one gave them."""
        coders = len(tags_by_annotator)
        if coders < 2 or len(tags_by_annotator[0]) == 0:
            return
        width = int(max(tags.max() for tags in tags_by_annotator)) + 1
        counts = numpy.zeros((len(tags_by_annotator[0]), width), dtype=numpy.int64)
        rows = numpy.arange(len(tags_by_annotator[0]))
        for tags in tags_by_annotator:
            counts[rows, tags] += 1  # one tag per row and coder: no index repeats
        # o_ck += m_uc * (m_uk - [c == k]) / (m_u - 1), summed over units u
        pairs = counts.T @ counts - numpy.diag(counts.sum(axis=0))
        self.by_coders[coders] = _padded_sum(
            self.by_coders.get(coders, numpy.zeros((0, 0), dtype=numpy.int64)), pairs
        )

    @property
    def matrix(self) -> numpy.ndarray:
        total = numpy.zeros((0, 0))
        for coders, pairs in self.by_coders.items():
            total = _padded_sum(total, pairs / (coders - 1))
        return total

    def alpha(self) -> float | None:
        """1 - D_o / D_e; None without any unit, 1.0 when every tag is the same."""
        matrix = self.matrix
        n_c = matrix.sum(axis=1)
        n = float(n_c.sum())
        if n == 0:
            return None
        disagreement = n - float(numpy.trace(matrix))
        expected = n * n - float(numpy.dot(n_c, n_c))
        if expected == 0:
            return 1.0
        return 1.0 - (n - 1) * disagreement / expected


def _overlaps(span: SpanKey, other: Annotations) -> bool:
    """Whether ``span`` shares characters with one of ``other``'s spans of its label."""
    start, end, label = span
    starts, ends = other.reach.get(label, _NOTHING)
    before = bisect_left(starts, end)  # the spans that start before this one ends
    return before > 0 and ends[before - 1] > start


_NOTHING: tuple[list[int], list[int]] = ([], [])


@dataclass
class PairTally:
    """Everything one pair of annotators is measured on, added up document by document."""

    first: str
    second: str
    documents: int = 0
    both: Counter[str] = field(default_factory=Counter)  # spans both have, by label
    of_first: Counter[str] = field(default_factory=Counter)  # the first's spans, by label
    of_second: Counter[str] = field(default_factory=Counter)
    overlapping_first: Counter[str] = field(default_factory=Counter)  # not both, overlapping
    overlapping_second: Counter[str] = field(default_factory=Counter)
    relations: list[int] = field(default_factory=lambda: [0, 0, 0])
    tokens: KappaCounts = field(default_factory=KappaCounts)

    def add(self, a: Annotations, b: Annotations) -> None:
        """One document's spans and relations (its tokens come in batches, ``TokenBatches``).

        Spans are counted by label in one go (``Counter.update``: no Python step per span);
        only those one of them has are compared one by one for the overlapping measure."""
        self.documents += 1
        common = a.spans & b.spans
        self.both.update(map(_LABEL, common))
        self.of_first.update(map(_LABEL, a.spans))
        self.of_second.update(map(_LABEL, b.spans))
        for span in a.spans - common:
            if _overlaps(span, b):
                self.overlapping_first[span[2]] += 1
        for span in b.spans - common:
            if _overlaps(span, a):
                self.overlapping_second[span[2]] += 1
        self.relations[0] += len(a.relations & b.relations)
        self.relations[1] += len(a.relations)
        self.relations[2] += len(b.relations)

    def figures(self) -> dict[str, Any]:
        per_label = {}
        for label in sorted(self.of_first.keys() | self.of_second.keys()):
            tp, n_a, n_b = self.both[label], self.of_first[label], self.of_second[label]
            matched = 2 * tp + self.overlapping_first[label] + self.overlapping_second[label]
            per_label[label] = {
                "exact_f1": round(f1(tp, n_a, n_b), 4),
                "overlap_f1": round(f1(matched / 2.0, n_a, n_b), 4),
                "first": n_a,
                "second": n_b,
            }
        tp, n_a, n_b = self.both.total(), self.of_first.total(), self.of_second.total()
        matched = 2 * tp + self.overlapping_first.total() + self.overlapping_second.total()
        return {
            "annotators": [self.first, self.second],
            "documents": self.documents,
            "span_exact_f1": round(f1(tp, n_a, n_b), 4),
            "span_overlap_f1": round(f1(matched / 2.0, n_a, n_b), 4),
            "per_label": per_label,
            "relation_f1": round(f1(*self.relations), 4),
            "token_kappa": round(self.tokens.kappa(), 4),
        }


def shared_documents(team: Team) -> Iterator[SharedDocument]:
    """Documents that two or more annotators marked done, one at a time, with each one's work."""
    for _digest, entries in side_by_side(team, status="done", accepted=True):
        if len(entries) < 2:
            continue
        by_annotator = {  # keys made by ``itemgetter``: no Python step per span
            member.name: Annotations(
                spans=set(map(_SPAN_KEY, decisions.spans)),
                relations=set(map(_RELATION_KEY, decisions.relations)),
            )
            for member, decisions in entries
        }
        yield SharedDocument(*token_edges(entries[0][1].tokens_json), by_annotator)


@dataclass
class Confusion:
    """The confusion table of labels, added up over pairs and documents by ``Counter.update``
    (no Python step per span): the cells where both have the same label, and the others."""

    same: Counter[str] = field(default_factory=Counter)
    cells: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, a: Annotations, b: Annotations) -> None:
        first, second = a.by_offsets, b.by_offsets
        same = first.items() & second.items()  # most spans
        self.same.update(map(itemgetter(1), same))
        apart = list((first.keys() | second.keys()).difference(map(itemgetter(0), same)))
        if apart:  # (label of the first, of the second) at each, counted in C
            self.cells.update(
                zip(
                    map(first.get, apart, repeat(NONE)),
                    map(second.get, apart, repeat(NONE)),
                    strict=True,
                )
            )

    def table(self) -> dict[str, dict[str, int]]:
        rows: dict[str, Counter[str]] = defaultdict(Counter)
        for label, count in self.same.items():
            rows[label][label] += count
        for (row, column), count in self.cells.items():
            rows[row][column] += count
        return {row: dict(sorted(columns.items())) for row, columns in sorted(rows.items())}


class TokenBatches:
    """Documents tagged, joined and counted a batch at a time (a few numpy calls for many
    documents, memory bounded by the batch): kappa and the coincidences only add up counts,
    so tokens of documents that the same annotators finished can be counted together."""

    def __init__(
        self, pairs: dict[tuple[str, str], PairTally], coincidences: Coincidences, codes: TagCodes
    ):
        self.pairs = pairs
        self.coincidences = coincidences
        self.codes = codes
        self.groups: dict[tuple[str, ...], list[SharedDocument]] = {}
        self.documents = 0

    def add(self, document: SharedDocument) -> None:
        """One document, with the spans of each annotator who finished it."""
        self.groups.setdefault(tuple(document.by_annotator), []).append(document)
        self.documents += 1
        if self.documents >= _TOKEN_BATCH:
            self.flush()

    def flush(self) -> None:
        for names, documents in self.groups.items():
            joined = {
                name: self.codes.bio_of_batch(
                    [(d.starts, d.ends, d.by_annotator[name].spans) for d in documents]
                )
                for name in names
            }
            self.coincidences.add(list(joined.values()))
            for (a, b), tally in self.pairs.items():
                if a in joined and b in joined:
                    tally.tokens.add(joined[a], joined[b])
        self.groups.clear()
        self.documents = 0


_TOKEN_BATCH = 500  # documents whose tokens are counted together


def agreement(
    paths: Sequence[str | Path], label_map: dict[str, str] | None = None
) -> dict[str, Any]:
    """Every figure of ``annotator agreement``, as plain data (the CLI prints or dumps it)."""
    with open_team(paths, label_map) as team:
        names = [m.name for m in team.members]
        pairs = {(a, b): PairTally(a, b) for a, b in combinations(names, 2)}
        codes = TagCodes()
        coincidences = Coincidences()
        batches = TokenBatches(pairs, coincidences, codes)
        confusion = Confusion()
        documents = tokens = 0
        for document in shared_documents(team):
            documents += 1
            tokens += len(document.starts)
            batches.add(document)
            for (a, b), tally in pairs.items():
                if a in document.by_annotator and b in document.by_annotator:
                    first, second = document.by_annotator[a], document.by_annotator[b]
                    tally.add(first, second)
                    confusion.add(first, second)
        batches.flush()
        alpha = coincidences.alpha()
        return {
            "annotators": names,
            "documents": documents,
            "tokens": tokens,
            "pairs": [tally.figures() for tally in pairs.values() if tally.documents],
            "krippendorff_alpha": None if alpha is None else round(alpha, 4),
            "confusion": confusion.table(),
            "notes": team.notes,
        }
