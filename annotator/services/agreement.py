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
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy

from annotator.model.document import TokenOffsets
from annotator.services.team import Team, open_team, side_by_side

NONE = "-"
SpanKey = tuple[int, int, str]
RelationKey = tuple[SpanKey, SpanKey, str]


@dataclass
class Annotations:
    """One annotator's accepted spans and relations on one document."""

    spans: set[SpanKey] = field(default_factory=set)
    relations: set[RelationKey] = field(default_factory=set)


@dataclass
class SharedDocument:
    tokens: TokenOffsets
    by_annotator: dict[str, Annotations]


def f1(true_positives: float, predicted: int, gold: int) -> float:
    """2TP / (|A| + |B|): 1.0 when both are empty (nothing to disagree on)."""
    total = predicted + gold
    return 1.0 if total == 0 else 2.0 * true_positives / total


class TagCodes:
    """BIO tags as small integers, shared by every document and annotator of one measure."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"O": 0}

    def code(self, tag: str) -> int:
        return self.codes.setdefault(tag, len(self.codes))

    def bio(self, tokens: TokenOffsets, spans: set[SpanKey]) -> numpy.ndarray:
        """The tag code of each token; a token in two spans takes the longer (then earlier)."""
        tags = numpy.zeros(len(tokens), dtype=numpy.int64)
        if not spans or not tokens:
            return tags
        ordered = sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0], s[2]))
        bounds = numpy.asarray(tokens, dtype=numpy.int64)
        firsts = numpy.searchsorted(bounds[:, 1], [s[0] for s in ordered], side="right")
        lasts = numpy.searchsorted(bounds[:, 0], [s[1] for s in ordered], side="left")
        for (_start, _end, label), first, last in zip(
            ordered, firsts.tolist(), lasts.tolist(), strict=True
        ):
            if first >= last or (last - first > 1 and tags[first:last].any()) or tags[first]:
                continue  # no token, or a longer span has these tokens
            tags[first] = self.code("B-" + label)
            if last - first > 1:
                tags[first + 1 : last] = self.code("I-" + label)
        return tags


def bio_tags(tokens: TokenOffsets, spans: set[SpanKey]) -> list[str]:
    """The BIO tags of ``tokens`` as strings (for reading; the measures use codes)."""
    codes = TagCodes()
    values = codes.bio(tokens, spans)
    names = {code: tag for tag, code in codes.codes.items()}
    return [names[int(value)] for value in values]


@dataclass
class KappaCounts:
    """What Cohen's kappa needs: agreements and each side's tag counts."""

    total: int = 0
    agreed: int = 0
    first: Counter[int] = field(default_factory=Counter)
    second: Counter[int] = field(default_factory=Counter)

    def add(self, first: numpy.ndarray, second: numpy.ndarray) -> None:
        self.total += len(first)
        self.agreed += int(numpy.count_nonzero(first == second))
        for counter, tags in ((self.first, first), (self.second, second)):
            for code, count in enumerate(numpy.bincount(tags).tolist()):
                if count:
                    counter[code] += count

    def kappa(self) -> float:
        """(observed - expected) / (1 - expected); 1.0 when both are constant and equal."""
        if self.total == 0:
            return 1.0
        observed = self.agreed / self.total
        expected = sum(self.first[tag] * self.second[tag] for tag in self.first) / (
            self.total * self.total
        )
        if expected == 1.0:
            return 1.0 if observed == 1.0 else 0.0
        return (observed - expected) / (1.0 - expected)


@dataclass
class Coincidences:
    """Krippendorff's coincidence matrix for nominal data (each token a unit)."""

    matrix: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))

    def add(self, tags_by_annotator: Sequence[numpy.ndarray]) -> None:
        """One document: the tag codes each of its annotators gave its tokens."""
        coders = len(tags_by_annotator)
        if coders < 2 or len(tags_by_annotator[0]) == 0:
            return
        width = int(max(tags.max() for tags in tags_by_annotator)) + 1
        counts = numpy.zeros((len(tags_by_annotator[0]), width))
        rows = numpy.arange(len(tags_by_annotator[0]))
        for tags in tags_by_annotator:
            counts[rows, tags] += 1  # one tag per row and coder: no index repeats
        # o_ck += m_uc * (m_uk - [c == k]) / (m_u - 1), summed over units u
        pairs = counts.T @ counts - numpy.diag(counts.sum(axis=0))
        for c, k in zip(*numpy.nonzero(pairs), strict=True):
            self.matrix[(int(c), int(k))] += float(pairs[c, k]) / (coders - 1)

    def alpha(self) -> float | None:
        """1 - D_o / D_e; None without any unit, 1.0 when every tag is the same."""
        n_c: Counter[int] = Counter()
        for (c, _k), value in self.matrix.items():
            n_c[c] += value
        n = sum(n_c.values())
        if n == 0:
            return None
        disagreement = sum(v for (c, k), v in self.matrix.items() if c != k)
        expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
        if expected == 0:
            return 1.0
        return 1.0 - (n - 1) * disagreement / expected


def _overlap_matches(spans: set[SpanKey], others: set[SpanKey]) -> int:
    """How many of ``spans`` share characters with one of ``others`` of the same label."""
    return len(spans & others) + sum(
        any(
            label == o_label and start < o_end and o_start < end
            for o_start, o_end, o_label in others
        )
        for start, end, label in spans - others
    )


@dataclass
class PairTally:
    """Everything one pair of annotators is measured on, added up document by document."""

    first: str
    second: str
    documents: int = 0
    exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    overlap: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    relations: list[int] = field(default_factory=lambda: [0, 0, 0])
    tokens: KappaCounts = field(default_factory=KappaCounts)

    def add(
        self, a: Annotations, b: Annotations, tags_a: numpy.ndarray, tags_b: numpy.ndarray
    ) -> None:
        self.documents += 1
        for label in {s[2] for s in a.spans | b.spans}:
            spans_a = {s for s in a.spans if s[2] == label}
            spans_b = {s for s in b.spans if s[2] == label}
            row = self.exact[label]  # true positives, |first|, |second|
            row[0] += len(spans_a & spans_b)
            row[1] += len(spans_a)
            row[2] += len(spans_b)
            loose = self.overlap[label]  # matched of first, |first|, matched of second, |second|
            loose[0] += _overlap_matches(spans_a, spans_b)
            loose[1] += len(spans_a)
            loose[2] += _overlap_matches(spans_b, spans_a)
            loose[3] += len(spans_b)
        self.relations[0] += len(a.relations & b.relations)
        self.relations[1] += len(a.relations)
        self.relations[2] += len(b.relations)
        self.tokens.add(tags_a, tags_b)

    def figures(self) -> dict[str, Any]:
        per_label = {}
        for label in sorted(self.exact):
            tp, n_a, n_b = self.exact[label]
            matched_a, total_a, matched_b, total_b = self.overlap[label]
            per_label[label] = {
                "exact_f1": round(f1(tp, n_a, n_b), 4),
                "overlap_f1": round(f1((matched_a + matched_b) / 2.0, total_a, total_b), 4),
                "first": n_a,
                "second": n_b,
            }
        tp = sum(row[0] for row in self.exact.values())
        n_a = sum(row[1] for row in self.exact.values())
        n_b = sum(row[2] for row in self.exact.values())
        matched = sum(row[0] + row[2] for row in self.overlap.values())
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
    for _digest, entries in side_by_side(team, status="done"):
        if len(entries) < 2:
            continue
        by_annotator = {
            member.name: Annotations(
                spans={
                    (s, e, label)
                    for _digest, s, e, label, status in decisions.spans
                    if status == "accepted"
                },
                relations={
                    (head, child, label)
                    for head, child, label, status in decisions.relations
                    if status == "accepted"
                },
            )
            for member, decisions in entries
        }
        tokens = tuple(map(tuple, json.loads(entries[0][1].tokens_json)))
        yield SharedDocument(tokens, by_annotator)


def _add_confusion(table: dict[str, Counter[str]], a: Annotations, b: Annotations) -> None:
    first = {(s, e): label for s, e, label in a.spans}
    second = {(s, e): label for s, e, label in b.spans}
    for where in first.keys() | second.keys():
        table[first.get(where, NONE)][second.get(where, NONE)] += 1


def agreement(
    paths: Sequence[str | Path], label_map: dict[str, str] | None = None
) -> dict[str, Any]:
    """Every figure of ``annotator agreement``, as plain data (the CLI prints or dumps it)."""
    with open_team(paths, label_map) as team:
        names = [m.name for m in team.members]
        pairs = {(a, b): PairTally(a, b) for a, b in combinations(names, 2)}
        codes = TagCodes()
        coincidences = Coincidences()
        table: dict[str, Counter[str]] = defaultdict(Counter)
        documents = tokens = 0
        for document in shared_documents(team):
            documents += 1
            tokens += len(document.tokens)
            tags = {
                name: codes.bio(document.tokens, annotations.spans)
                for name, annotations in document.by_annotator.items()
            }
            coincidences.add(list(tags.values()))
            for (a, b), tally in pairs.items():
                if a in tags and b in tags:
                    first, second = document.by_annotator[a], document.by_annotator[b]
                    tally.add(first, second, tags[a], tags[b])
                    _add_confusion(table, first, second)
        alpha = coincidences.alpha()
        return {
            "annotators": names,
            "documents": documents,
            "tokens": tokens,
            "pairs": [tally.figures() for tally in pairs.values() if tally.documents],
            "krippendorff_alpha": None if alpha is None else round(alpha, 4),
            "confusion": {row: dict(sorted(cols.items())) for row, cols in sorted(table.items())},
            "notes": team.notes,
        }
