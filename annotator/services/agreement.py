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
disagreement. The spans and relations are counted in SQL, grouped by who made them; the tokens
are tagged a batch of documents at a time: memory stays flat however large the corpus. The
tests check alpha against the ``krippendorff`` package.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, permutations, zip_longest
from pathlib import Path
from typing import Any

import numpy

from annotator.io.offset_arrays import flat_offsets, token_counts
from annotator.model.document import StoredOffsets, TokenOffsets
from annotator.services.team import open_team, team_tables
from annotator.store import team_counts
from annotator.store.team_tables import TeamTables, private_connection

NONE = "-"
SpanKey = tuple[int, int, str]


def f1(true_positives: float, predicted: int, gold: int) -> float | None:
    """2TP / (|A| + |B|); None when both are empty: nothing was compared (printed ``-``,
    not a perfect 1.000 for a pair that drew no relation)."""
    total = predicted + gold
    return None if total == 0 else 2.0 * true_positives / total


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


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
        """The tag code of each token; of spans sharing tokens the longer (then earlier) is
        tagged and the other left out whole, as spaCy's ``filter_spans`` keeps one."""
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
        other (``bio_of_rows``)."""
        listed = [
            (index, span) for index, (_s, _e, spans) in enumerate(documents) for span in spans
        ]
        labels = [span[2] for _index, span in listed]
        begin, inside = (
            numpy.array([self.label_codes(label) for label in labels], dtype=numpy.int64)
            .reshape(-1, 2)
            .T
        )
        rows = numpy.array(
            [(index, start, end) for index, (start, end, _label) in listed], dtype=numpy.int64
        ).reshape(-1, 3)
        return self.bio_of_rows(
            numpy.array([len(starts) for starts, _e, _s in documents], dtype=numpy.int64),
            numpy.concatenate([[], *(starts for starts, _e, _s in documents)]).astype(numpy.int64),
            numpy.concatenate([[], *(ends for _s, ends, _sp in documents)]).astype(numpy.int64),
            rows,
            begin,
            inside,
            labels,
        )

    def bio_of_rows(
        self,
        counts: numpy.ndarray,
        starts: numpy.ndarray,
        ends: numpy.ndarray,
        spans: numpy.ndarray,
        begin: numpy.ndarray,
        inside: numpy.ndarray,
        labels: Sequence[str],
    ) -> numpy.ndarray:
        """``bio_of_edges`` of several documents in a few numpy calls instead of a dozen per
        document: ``counts`` tokens each, whose ``starts`` and ``ends`` follow each other, and
        ``spans`` as rows (document, start, end) with their B and I codes and labels. Each
        document's offsets are shifted past the last one's, so that tokens and spans of
        different documents never meet. If spans share a token, each document is tagged on
        its own."""
        stride = int(max(ends.max(initial=0), spans[:, 2].max(initial=0))) + 1
        shift = numpy.repeat(numpy.arange(len(counts), dtype=numpy.int64), counts) * stride
        token_starts, token_ends = starts + shift, ends + shift
        firsts = numpy.searchsorted(token_ends, spans[:, 1] + spans[:, 0] * stride, side="right")
        lasts = numpy.searchsorted(token_starts, spans[:, 2] + spans[:, 0] * stride, side="left")
        tags = self.laid(len(starts), firsts, lasts, begin, inside)
        if tags is not None:
            return tags
        tagged = [numpy.zeros(0, dtype=numpy.int64)]
        for document, end in enumerate(numpy.cumsum(counts)):
            first = end - counts[document]
            own = numpy.flatnonzero(spans[:, 0] == document)
            tagged.append(
                self.bio_of_edges(
                    starts[first:end],
                    ends[first:end],
                    {(int(spans[i, 1]), int(spans[i, 2]), labels[i]) for i in own},
                )
            )
        return numpy.concatenate(tagged)

    def _laid(
        self, count: int, firsts: numpy.ndarray, lasts: numpy.ndarray, labels: Sequence[str]
    ) -> numpy.ndarray | None:
        """``laid`` for spans given with their labels."""
        known = self.of_label
        for label in set(labels).difference(known):
            self.label_codes(label)
        begin, inside = numpy.array([known[label] for label in labels], dtype=numpy.int64).T
        return self.laid(count, firsts, lasts, begin, inside)

    @staticmethod
    def laid(
        count: int,
        firsts: numpy.ndarray,
        lasts: numpy.ndarray,
        begin: numpy.ndarray,
        inside: numpy.ndarray,
    ) -> numpy.ndarray | None:
        """The tags of ``count`` tokens with the spans over tokens ``[firsts, lasts)`` whose B
        and I codes are ``begin`` and ``inside``, laid in one go (B at each first, I by a
        running sum of +code at first + 1 and -code at last), or None if two spans share a
        token."""
        covering = firsts < lasts  # spans over no token tag nothing
        by_first = numpy.argsort(firsts[covering], kind="stable")
        first, last = firsts[covering][by_first], lasts[covering][by_first]
        if not numpy.all(first[1:] >= last[:-1]):
            return None
        begin, inside = begin[covering][by_first], inside[covering][by_first]
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

    def kappa(self) -> float | None:
        """(observed - expected) / (1 - expected); None without tokens, or when both gave every
        token the same tag (every token ``O``): 0 / 0, where 1.0 would claim an agreement
        nobody showed (scikit-learn's ``cohen_kappa_score`` gives nan)."""
        if self.total == 0:
            return None
        observed = self.agreed / self.total
        size = min(len(self.first), len(self.second))
        expected = int(numpy.dot(self.first[:size], self.second[:size])) / (self.total * self.total)
        if expected == 1.0:
            return None
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
        # o_ck += m_uc * (m_uk - [c == k]) / (m_u - 1), summed over units u: the pairs (c, k)
        # of tags two different coders gave a unit, counted by ``bincount`` coder pair by pair
        pairs = numpy.zeros(width * width, dtype=numpy.int64)
        for first, second in permutations(tags_by_annotator, 2):
            pairs += numpy.bincount(first * width + second, minlength=width * width)
        pairs = pairs.reshape(width, width)
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
        """1 - D_o / D_e; None without any unit, or when every tag is the same (the
        ``krippendorff`` package refuses: "more than one value in the domain")."""
        matrix = self.matrix
        n_c = matrix.sum(axis=1)
        n = float(n_c.sum())
        if n == 0:
            return None
        disagreement = n - float(numpy.trace(matrix))
        expected = n * n - float(numpy.dot(n_c, n_c))
        if expected == 0:
            return None
        return 1.0 - (n - 1) * disagreement / expected


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

    def figures(self) -> dict[str, Any]:
        per_label = {}
        for label in sorted(self.of_first.keys() | self.of_second.keys()):
            tp, n_a, n_b = self.both[label], self.of_first[label], self.of_second[label]
            matched = 2 * tp + self.overlapping_first[label] + self.overlapping_second[label]
            per_label[label] = {
                "exact_f1": _rounded(f1(tp, n_a, n_b)),
                "overlap_f1": _rounded(f1(matched / 2.0, n_a, n_b)),
                "first": n_a,
                "second": n_b,
            }
        tp, n_a, n_b = self.both.total(), self.of_first.total(), self.of_second.total()
        matched = 2 * tp + self.overlapping_first.total() + self.overlapping_second.total()
        return {
            "annotators": [self.first, self.second],
            "documents": self.documents,
            "span_exact_f1": _rounded(f1(tp, n_a, n_b)),
            "span_overlap_f1": _rounded(f1(matched / 2.0, n_a, n_b)),
            "per_label": per_label,
            "relation_f1": _rounded(f1(*self.relations)),
            "token_kappa": _rounded(self.tokens.kappa()),
        }


@dataclass
class Confusion:
    """The confusion table of labels, added up over pairs: the places where both have the
    same label, and the others (``-`` where one has no span)."""

    same: Counter[str] = field(default_factory=Counter)
    cells: Counter[tuple[str, str]] = field(default_factory=Counter)

    def table(self) -> dict[str, dict[str, int]]:
        rows: dict[str, Counter[str]] = defaultdict(Counter)
        for label, count in self.same.items():
            rows[label][label] += count
        for (row, column), count in self.cells.items():
            rows[row][column] += count
        return {row: dict(sorted(columns.items())) for row, columns in sorted(rows.items())}


_TOKEN_BATCH = 500  # documents whose tokens are tagged and counted together


def agreement(
    paths: Sequence[str | Path], label_map: dict[str, str] | None = None
) -> dict[str, Any]:
    """Every figure of ``annotator agreement``, as plain data (the CLI prints or dumps it).

    The files are gathered in temporary tables (``store.team_tables``) where SQL groups the
    spans and relations by who made them (``store.team_counts``): the pairs' figures add up
    a few hundred rows; only the tokens' tags are made document by document, in numpy."""
    with open_team(paths, label_map) as team:
        names = [m.name for m in team.members]
        pairs = [
            (first, second, PairTally(names[first], names[second]))
            for first, second in combinations(range(len(names)), 2)
        ]
        conn = private_connection()
        try:
            tables = team_tables(conn, team)
            tables.gather(status="done", accepted_only=True, tokens=True)
            tables.group_relations()
            documents = _count_documents(tables, pairs)
            _count_relations(tables, pairs)
            confusion = _confusion(tables, pairs)
            coincidences = Coincidences()
            spans: Counter[tuple[str, int, int, int]] = Counter()
            tokens = _count_tokens(tables, pairs, coincidences, spans)
            _count_spans(((*key, count) for key, count in spans.items()), pairs)
        finally:
            conn.close()
        alpha = coincidences.alpha()
        notes = [*team.notes, *_comparison_notes(names, pairs, documents)]
        if tokens and alpha is None:
            notes.append(
                "every token compared has the same tag (no entity in the documents done by "
                "two or more): kappa and alpha measure nothing there, shown as -"
            )
        return {
            "annotators": names,
            "documents": documents,
            "tokens": tokens,
            "pairs": [tally.figures() for _a, _b, tally in pairs if tally.documents],
            "krippendorff_alpha": None if alpha is None else round(alpha, 4),
            "confusion": confusion.table(),
            "notes": notes,
        }


def _comparison_notes(names: list[str], pairs: Pairs, documents: int) -> list[str]:
    """Why a figure is missing: no document done by two annotators, or an annotator who
    shares none with the others (another corpus, or a share with no overlap)."""
    if not documents:
        return [
            "no document is done by two or more annotators: nothing to compare (agreement "
            "measures the documents two or more annotators marked done; do the files come "
            "from one split with an --overlap?)"
        ]
    alone = [
        name
        for index, name in enumerate(names)
        if not any(tally.documents for a, b, tally in pairs if index in (a, b))
    ]
    return [f"{name} shares no done document with the others: left out" for name in alone]


Pairs = list[tuple[int, int, PairTally]]  # file indexes (bits of the masks) and their tally


def _both(members: int, first: int, second: int) -> bool:
    return bool(members >> first & 1 and members >> second & 1)


def _count_documents(tables: TeamTables, pairs: Pairs) -> int:
    total = 0
    for members, count in team_counts.shared_documents(tables):
        total += count
        for first, second, tally in pairs:
            if _both(members, first, second):
                tally.documents += count
    return total


def _count_spans(rows: Iterable[tuple[str, int, int, int, int]], pairs: Pairs) -> None:
    """Each pair's spans by label: of each, in common, and overlapping (not in common), from
    rows (label, made by, members, overlapping, versions)."""
    for label, made_by, members, overlapping, count in rows:
        for first, second, tally in pairs:
            if not _both(members, first, second):
                continue
            mine, theirs = made_by >> first & 1, made_by >> second & 1
            if mine:
                tally.of_first[label] += count
            if theirs:
                tally.of_second[label] += count
            if mine and theirs:
                tally.both[label] += count
            elif mine and overlapping >> second & 1:
                tally.overlapping_first[label] += count
            elif theirs and overlapping >> first & 1:
                tally.overlapping_second[label] += count


def _count_relations(tables: TeamTables, pairs: Pairs) -> None:
    for made_by, members, count in team_counts.relation_counts(tables):
        for first, second, tally in pairs:
            if _both(members, first, second):
                mine, theirs = made_by >> first & 1, made_by >> second & 1
                tally.relations[0] += count * (mine and theirs)
                tally.relations[1] += count * mine
                tally.relations[2] += count * theirs


def _confusion(tables: TeamTables, pairs: Pairs) -> Confusion:
    confusion = Confusion()
    for labels, members, places in team_counts.offsets_labels(tables):
        for first, second, _tally in pairs:
            if not _both(members, first, second):
                continue
            # each one's labels at these offsets: two of one annotator's (PER and MISC on the
            # same words) both count, where only the last did and the other was lost
            mine = {label for label, made_by in labels if made_by >> first & 1}
            theirs = {label for label, made_by in labels if made_by >> second & 1}
            for label in mine & theirs:
                confusion.same[label] += places
            for cell in zip_longest(sorted(mine - theirs), sorted(theirs - mine), fillvalue=NONE):
                confusion.cells[cell] += places
    return confusion


def _count_tokens(
    tables: TeamTables,
    pairs: Pairs,
    coincidences: Coincidences,
    spans: Counter[tuple[str, int, int, int]],
) -> int:
    """Kappa's counts and the coincidences, a batch of documents (that the same annotators
    finished) at a time: each annotator's BIO tags of all their tokens in a few numpy calls;
    and the versions by (label, made by, members, overlapping) in ``spans``. Returns how many
    tokens the shared documents have."""
    codes = TagCodes()
    labels = team_counts.labels(tables)
    begin, inside = (
        (
            numpy.array(column, dtype=numpy.int64)
            for column in zip(*map(codes.label_codes, labels), strict=True)
        )
        if labels
        else (numpy.zeros(0, dtype=numpy.int64),) * 2
    )
    total = 0
    label_index = {label: index for index, label in enumerate(labels)}
    batches = team_counts.token_batches(tables, label_index, _TOKEN_BATCH)
    for members, offsets, versions in batches:
        batch = _TokenBatch(offsets, versions)
        total += len(batch.starts)
        coders = [m for m in range(len(tables.files)) if members >> m & 1]
        tags = {m: batch.tags(codes, m, begin, inside, labels) for m in coders}
        coincidences.add([tags[m] for m in coders])
        for first, second, tally in pairs:
            if first in tags and second in tags:
                tally.tokens.add(tags[first], tags[second])
        _count_versions(batch, coders, members, labels, spans)
    return total


def _count_versions(
    batch: _TokenBatch,
    coders: list[int],
    members: int,
    labels: list[str],
    spans: Counter[tuple[str, int, int, int]],
) -> None:
    """The batch's versions by (label, made by, overlapping) into ``spans``: one number per
    version when the masks fit in 62 bits, as ``unique`` sorts numbers much quicker than rows."""
    width = len(labels).bit_length() + 2 * (max(coders) + 1)
    columns = [batch.rows[:, 3], batch.rows[:, 4], batch.overlapping(coders)]
    if width <= 62:
        shift = max(coders) + 1
        found, counts = numpy.unique(
            (columns[0] << 2 * shift) | (columns[1] << shift) | columns[2], return_counts=True
        )
        mask = (1 << shift) - 1
        rows = [(key >> 2 * shift, key >> shift & mask, key & mask) for key in found.tolist()]
    else:
        found, counts = numpy.unique(numpy.column_stack(columns), axis=0, return_counts=True)
        rows = found.tolist()
    for (label, made_by, overlapping), count in zip(rows, counts.tolist(), strict=True):
        spans[(labels[label], made_by, members, overlapping)] += count


class _TokenBatch:
    """The tokens and versions of a batch of documents, as arrays read from the strings SQL
    made (``team_counts.token_batches``)."""

    def __init__(self, offsets: list[StoredOffsets], versions: str) -> None:
        self.counts = token_counts(offsets)
        flat = flat_offsets(offsets, self.counts)
        self.starts, self.ends = flat[0::2], flat[1::2]
        self.rows = _numbers(versions).reshape(-1, 5)  # document, start, end, label, made by

    def tags(
        self,
        codes: TagCodes,
        member: int,
        begin: numpy.ndarray,
        inside: numpy.ndarray,
        labels: list[str],
    ) -> numpy.ndarray:
        """The BIO tag codes ``member`` gives every token of the batch."""
        own = self.rows[(self.rows[:, 4] >> member) & 1 == 1]
        label_of = own[:, 3]
        return codes.bio_of_rows(
            self.counts,
            self.starts,
            self.ends,
            own[:, :3],
            begin[label_of],
            inside[label_of],
            [labels[index] for index in label_of.tolist()],
        )

    def overlapping(self, coders: list[int]) -> numpy.ndarray:
        """For each version, the mask of the ``coders`` who have a span of its label in its
        document sharing characters with it: the spans of a coder that start at or before
        its start reach past it (a running maximum of their ends), or one starts after its
        start and before its end. Offsets are shifted by document and label, so that spans
        of different groups never meet."""
        rows = self.rows
        stride = int(rows[:, 2].max(initial=0)) + 1
        base = (rows[:, 0] * (int(rows[:, 3].max(initial=0)) + 1) + rows[:, 3]) * stride
        starts, ends = rows[:, 1] + base, rows[:, 2] + base
        found = numpy.zeros(len(rows), dtype=numpy.int64)
        for coder in coders:
            own = (rows[:, 4] >> coder) & 1 == 1
            order = numpy.argsort(starts[own], kind="stable")
            own_starts, reach = starts[own][order], numpy.maximum.accumulate(ends[own][order])
            upto = numpy.searchsorted(own_starts, starts, side="right")  # start <= this start
            before_end = numpy.searchsorted(own_starts, ends, side="left")  # start < this end
            reached = numpy.zeros(len(rows), dtype=bool)
            some = upto > 0
            reached[some] = reach[upto[some] - 1] > starts[some]
            found |= (reached | (before_end > upto)).astype(numpy.int64) << coder
        return found


def _numbers(text: str) -> numpy.ndarray:
    """Integers separated by commas (``1,2,3``), read by numpy."""
    if not text:
        return numpy.zeros(0, dtype=numpy.int64)
    return numpy.fromstring(text, dtype=numpy.int64, sep=",")
