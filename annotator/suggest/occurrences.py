"""Plain-Python string search for propagation: no spaCy, so the GUI can call it at once.

A string the annotator accepted with a label is proposed at its other occurrences, on token
boundaries; ``AcceptedStrings`` remembers how often each (string, label) was accepted and
rejected, which decides whether it propagates at all and gives the score of its suggestions.
``free_places`` keeps propagation out of the spans already there ("Trump" is not proposed
inside "Donald Trump"). Both the suggestion run and the window's propagation use them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from annotator.model import Span, TokenBoundaries
from annotator.model.validation import SortedBoundaries

PROPAGATION = "propagation"
"""The origin of propagated suggestions."""

MIN_PROPAGATED_LENGTH = 3
"""Shorter strings ("AI", "M.", "de") are too ambiguous to propose everywhere they occur."""

COMMON_WORD_SHARE = 0.5
"""A capitalised word written in lower case at least this many times for each capitalised
occurrence is a common word ("Est" and "est", "Chambre" and "chambre"): its capital comes
from a sentence start, a title or a longer name, so it is not proposed on its own."""

MIN_CONTEXT_SPANS = 3
"""How many accepted spans a word must have come before for ``LabelContexts`` to trust it."""

CONTEXT_SHARE = 0.1
"""Under this share of a word's accepted followers with a label, that label after the word is
unlike what people accepted there ("M." before PER 45 times, before ORG once)."""


@dataclass
class LabelContexts:
    """word -> label -> how many accepted spans came right after that word (lower case).

    Learned from the person's own acceptances, so it holds for any language and corpus: where
    the word before an occurrence was followed by another label nearly every time ("M. Briand"
    proposed as ORG where "M." came before 45 accepted PER), the proposal's context is unlike
    the one its string was accepted in, and it is not proposed there.
    """

    before: dict[str, dict[str, int]] = field(default_factory=dict)
    opening: dict[str, int] = field(default_factory=dict)
    """word -> how many accepted spans it opened in lower case ("rue" of "rue de Vannes")."""

    def add(self, left: str, opening: str, label: str, count: int = 1) -> None:
        """Count an accepted span with ``label`` whose text before it is ``left`` and that
        starts with ``opening``."""
        word = word_before(left)
        if word is not None:
            labels = self.before.setdefault(word, {})
            labels[label] = labels.get(label, 0) + count
        first = _opening_word(opening)
        if first is not None:
            self.opening[first] = self.opening.get(first, 0) + count

    def inside_a_longer_name(self, text: str, start: int) -> bool:
        """Whether the word before ``text[start:]``, through link words ("rue du Morbihan"),
        makes a frame (``makes_a_frame``): people mark the longer name there, with that word."""
        words = _words_before(text, start)
        while words and words[-1].lower() in _LINKS:
            words.pop()
        return bool(words) and self.makes_a_frame(words[-1].lower())

    def makes_a_frame(self, word: str) -> bool:
        """Whether ``word`` opened accepted spans more often than it came before one, at least
        ``MIN_CONTEXT_SPANS`` times."""
        opened = self.opening.get(word, 0)
        return opened >= MIN_CONTEXT_SPANS and opened > sum(self.before.get(word, {}).values())

    def unlike(self, text: str, start: int, label: str) -> bool:
        """Whether the word before ``text[start:]`` points to another label than ``label``
        (``labels_after``)."""
        word = word_before(text[max(0, start - _CONTEXT) : start])
        labels = self.labels_after(word) if word is not None else None
        return labels is not None and label not in labels

    def labels_after(self, word: str) -> frozenset[str] | None:
        """The labels that may follow ``word``: each at least ``CONTEXT_SHARE`` of the accepted
        spans it came before; ``None`` (any) under ``MIN_CONTEXT_SPANS`` of them."""
        labels = self.before.get(word, {})
        seen = sum(labels.values())
        if seen < MIN_CONTEXT_SPANS:
            return None
        return frozenset(label for label, n in labels.items() if n >= CONTEXT_SHARE * seen)

    def changed_by(self, left: str, opening: str, label: str) -> list[str]:
        """The words whose verdict (``makes_a_frame``, ``labels_after``) the accepted span
        (``left``, ``opening``, ``label``), counted in already, changed: suggestions proposed
        after them before it may no longer fit."""
        changed = []
        for word in dict.fromkeys((word_before(left), _opening_word(opening))):
            if word is None:
                continue
            without = LabelContexts(
                {word: dict(self.before.get(word, {}))}, {word: self.opening.get(word, 0)}
            )
            without.add(left, opening, label, -1)
            if (without.makes_a_frame(word), without.labels_after(word)) != (
                self.makes_a_frame(word),
                self.labels_after(word),
            ):
                changed.append(word)
        return changed


def _opening_word(opening: str) -> str | None:
    """The first word of a span when it is in lower case ("rue" of "rue de Vannes")."""
    first = opening.split(maxsplit=1)[0] if opening.strip() else ""
    return first if first.isalpha() and first.islower() else None


def word_before(left: str) -> str | None:
    """The word that ends ``left`` on its line, in lower case, when there is a space between
    them and it has a letter ("M.", "de", "madame"); ``None`` for punctuation or a line start."""
    line = left[left.rfind("\n") + 1 :]
    if not line.endswith(" "):
        return None
    words = line.split()
    if not words or not any(character.isalpha() for character in words[-1]):
        return None
    return words[-1].lower()


@dataclass
class AcceptedStrings:
    """text -> label -> [accepted, rejected] counts over the corpus.

    The evidence against proposing a string with a label is its rejections with that label,
    its acceptances with another one, and the places a person left it unmarked in a finished
    document (``unmarked``): where "France" was accepted as LOC ten times and as ORG twice,
    an ORG suggestion for "France" is wrong ten times out of twelve.
    """

    counts: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    word_counts: Mapping[str, int] = field(default_factory=dict)
    """Whole-word occurrences over the corpus of the ``common_word_forms`` of the strings."""
    unmarked: dict[str, int] = field(default_factory=dict)
    """text -> its occurrences in done documents that no decided span covers: there it is no
    entity (in a done document every token outside an accepted span is ``O``)."""
    contexts: LabelContexts = field(default_factory=LabelContexts)
    """The words before the accepted spans of the corpus: see ``LabelContexts``."""

    def add(self, text: str, label: str, status: str, count: int = 1) -> None:
        entry = self.counts.setdefault(text, {}).setdefault(label, [0, 0])
        if status == "accepted":
            entry[0] += count
        elif status == "rejected":
            entry[1] += count

    def decisions(self, text: str, label: str) -> tuple[int, int]:
        """(for, against) proposing ``text`` with ``label``; see the class docstring."""
        labels = self.counts.get(text, {})
        accepted, rejected = labels.get(label, (0, 0))
        elsewhere = sum(counts[0] for other, counts in labels.items() if other != label)
        return accepted, rejected + elsewhere + self.unmarked.get(text, 0)

    def accepted(self) -> Iterator[tuple[str, str]]:
        """The (text, label) pairs that propagate: see ``propagates``."""
        return (
            (text, label)
            for text, labels in self.counts.items()
            for label in labels
            if self.propagates(text, label)
        )

    def propagates(self, text: str, label: str) -> bool:
        """Accepted more often than decided against (a string right half the time is wrong
        as often as right), long enough, and not a common word (see ``is_common_word``)."""
        accepted, against = self.decisions(text, label)
        return (
            accepted > against
            and len(text.strip()) >= MIN_PROPAGATED_LENGTH
            and not self.is_common_word(text)
        )

    def is_common_word(self, text: str) -> bool:
        """A capitalised word that the corpus also writes in lower case often enough
        (``COMMON_WORD_SHARE``); needs ``word_counts`` for ``common_word_forms(text)``."""
        forms = common_word_forms(text)
        if not forms:
            return False
        capitalised, lower = (self.word_counts.get(form, 0) for form in forms)
        return lower > 0 and lower >= COMMON_WORD_SHARE * capitalised

    def score(self, text: str, label: str) -> float:
        """The string's measured acceptance rate with this label, Laplace-smoothed:
        (for + 1) / (for + against + 2), so one acceptance alone gives 0.67."""
        accepted, against = self.decisions(text, label)
        return round((accepted + 1) / (accepted + against + 2), 4)

    def fits(self, text: str, start: int, label: str) -> bool:
        """Whether proposing ``label`` at ``text[start:]`` suits its context (``LabelContexts``):
        not after a word that comes before other labels, nor inside a longer name's frame."""
        return not (
            self.contexts.unlike(text, start, label)
            or self.contexts.inside_a_longer_name(text, start)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.accepted())


def common_word_forms(text: str) -> tuple[str, str] | None:
    """(the word, its lower case) for a one-word string with a capital ("Chambre", "ETAT"),
    whose frequencies ``AcceptedStrings.is_common_word`` compares; ``None`` for the others."""
    if not text.isalpha() or text.islower():
        return None
    return text, text.lower()


def _is_word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def on_word_boundaries(text: str, start: int, end: int) -> bool:
    """Fallback when a document has no tokens: no letter or digit glued on either side."""
    before_ok = start == 0 or not (
        _is_word_character(text[start - 1]) and _is_word_character(text[start])
    )
    after_ok = end == len(text) or not (
        _is_word_character(text[end - 1]) and _is_word_character(text[end])
    )
    return before_ok and after_ok


_LINKS = frozenset({"de", "du", "des", "d'", "d’", "la", "le", "les", "l'", "l’"})
"""Words inside names: "Banque de France", "Chantier de la Loire", "Etat du Maine"."""
_SENTENCE_END = tuple(".!?…:;")
_CONTEXT = 80


def _words_before(text: str, start: int) -> list[str] | None:
    """The words before ``start`` on its line, or ``None`` when something other than a space
    touches it ("l'Etat": the elision does not make "Etat" part of a name)."""
    left = text[max(text.rfind("\n", 0, start) + 1, start - _CONTEXT) : start]
    if left and not left.endswith(" "):
        return None
    return left.split()


def _words_after(text: str, end: int) -> list[str] | None:
    line_end = text.find("\n", end)
    right = text[end : min(len(text) if line_end == -1 else line_end, end + _CONTEXT)]
    if right and not right.startswith(" "):
        return None
    return right.split()


def _is_name_word(word: str, in_capitals: bool = False) -> bool:
    """Capitalised and ending with a letter: "Guillaume", "Maine,", not "M." nor "p.". Next to
    a name not in capitals, a word in capitals is a heading's ("CENTRE DE Vannes", "DEPOTS
    Rennes"): a name keeps one case for all its words."""
    word = word.rstrip(',;:)»"”')
    return word[:1].isupper() and word[-1:].isalpha() and (in_capitals or not _in_capitals(word))


def _in_capitals(word: str) -> bool:
    """Two letters or more, all capitals: "RENNES", "DE", not "M." nor "Paris"."""
    letters = [character for character in word if character.isalpha()]
    return len(letters) >= 2 and word.isupper()


def _ends_sentence(word: str) -> bool:
    """A word closing a sentence; a short abbreviation ("M.", "p.", "St.") does not."""
    abbreviation = word.endswith(".") and len(word) <= 3 and word[:-1].isalpha()
    return word.endswith(_SENTENCE_END) and not abbreviation


def _name_word_before(words: list[str], in_capitals: bool = False) -> bool:
    """Whether a capitalised word comes before, through link words; a capitalised link word
    counts too ("Le Havre"). A capital that merely opens a sentence (or the line) does not."""
    index = len(words) - 1
    while (
        index >= 0
        and words[index].lower() in _LINKS
        and not _is_name_word(words[index], in_capitals)
    ):
        index -= 1
    if index < 0 or not _is_name_word(words[index], in_capitals):
        return False
    return index > 0 and not _ends_sentence(words[index - 1])


def _name_word_after(words: list[str], in_capitals: bool = False) -> bool:
    index = 0
    while index < len(words) and words[index].lower() in _LINKS:
        index += 1
    return index < len(words) and _is_name_word(words[index], in_capitals)


def _opens_sentence(words: list[str] | None) -> bool:
    return words is not None and (not words or _ends_sentence(words[-1]))


def part_of_a_longer_name(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` looks like a piece of something longer nobody marked yet.

    - hyphenated to a capitalised word ("ETAT-CIVIL", "Jean-Paul"; not "WSJ-like");
    - next to a capitalised word, possibly through "de", "du", "de la"... ("Guillaume
      Holtein", "Banque de France", "Etat du Maine"); a capital that merely opens a sentence
      and initials such as "M." do not count;
    - a one-word string opening a sentence while the same word appears in lower case in the
      text ("Est-ce", "Nord" when "nord" is written too): the capital may be the sentence's.
    """
    if start > 1 and text[start - 1] == "-" and _last_word(text, start - 1)[:1].isupper():
        return True
    if end + 1 < len(text) and text[end] == "-" and text[end + 1].isupper():
        return True
    before = _words_before(text, start)
    after = _words_after(text, end)
    needle = text[start:end]
    in_capitals = _in_capitals(needle)
    if (before and _name_word_before(before, in_capitals)) or (
        after and _name_word_after(after, in_capitals)
    ):
        return True
    if _opens_sentence(before) and needle.isalpha() and not needle.islower():
        return _written_as_a_word(text, needle.lower())
    return False


def _last_word(text: str, end: int) -> str:
    """The last word of ``text[:end]`` as ``str.split`` cuts it, without splitting it all."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _written_as_a_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` with no word character glued on either side (a
    regular expression over a whole long document is one long call, which holds the GIL)."""
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        if (start == 0 or not _is_word_character(text[start - 1])) and (
            end == len(text) or not _is_word_character(text[end])
        ):
            return True
        start = text.find(word, start + 1)
    return False


def find_occurrences(
    text: str, needle: str, boundaries: TokenBoundaries | SortedBoundaries | None = None
) -> Iterable[tuple[int, int]]:
    """(start, end) of every occurrence of ``needle`` in ``text`` on token boundaries.

    With ``boundaries`` from the document's tokens, an occurrence must start at a token start
    and end at a token end; without tokens, it must not cut a word.
    """
    if not needle:
        return
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        if boundaries is not None and not boundaries.empty:
            if boundaries.aligned(start, end):
                yield start, end
        elif on_word_boundaries(text, start, end):
            yield start, end
        start = text.find(needle, start + 1)


def free_places(candidates: Sequence[Span], spans: Iterable[Span]) -> list[Span]:
    """The propagated ``candidates`` that do not clash with ``spans`` (already there, any
    status) nor with a longer or better-scored candidate, in text order.

    A candidate clashes with a span it overlaps when that span is accepted, longer (the
    candidate would sit inside or across it), or of the same label (nested or crossing). A
    span on exactly the same characters with another status is left to the caller (a
    rejected one is counted, an identical one is not added twice). Of candidates on the same
    characters with different labels, the best-scored one is kept; on a tie, none.
    """
    there = sorted(spans, key=lambda s: s.start)
    starts = [s.start for s in there]
    longest = max((s.end - s.start for s in there), default=0)
    kept: list[Span] = []  # by start; they do not overlap, so their ends are in order too
    kept_starts: list[int] = []
    for candidate in sorted(
        _best_label_per_place(candidates), key=lambda s: (s.start - s.end, s.start)
    ):
        # only the spans starting less than ``longest`` before it can overlap it
        near = there[
            bisect_right(starts, candidate.start - longest) : bisect_left(starts, candidate.end)
        ]
        if any(_clashes(candidate, other) for other in near) or _overlaps_kept(
            candidate, kept, kept_starts
        ):
            continue
        index = bisect_left(kept_starts, candidate.start)
        kept.insert(index, candidate)
        kept_starts.insert(index, candidate.start)
    return sorted(kept, key=lambda s: (s.start, s.end, s.label))


def _overlaps_kept(candidate: Span, kept: Sequence[Span], kept_starts: Sequence[int]) -> bool:
    """Whether ``candidate`` overlaps one of ``kept`` (in text order, not overlapping): only
    the last one starting before it and the first one starting with or after it can."""
    index = bisect_left(kept_starts, candidate.start)
    return (index < len(kept) and kept[index].start < candidate.end) or (
        index > 0 and kept[index - 1].end > candidate.start
    )


def _best_label_per_place(candidates: Iterable[Span]) -> list[Span]:
    by_place: dict[tuple[int, int], list[Span]] = {}
    for candidate in candidates:
        by_place.setdefault((candidate.start, candidate.end), []).append(candidate)
    best = []
    for rivals in by_place.values():
        rivals.sort(key=lambda s: -(s.score or 0.0))
        if len(rivals) == 1 or (rivals[0].score or 0.0) > (rivals[1].score or 0.0):
            best.append(rivals[0])
    return best


def _overlap(first: Span, second: Span) -> bool:
    return first.start < second.end and second.start < first.end


def _clashes(candidate: Span, other: Span) -> bool:
    if not _overlap(candidate, other):
        return False
    if other.status == "accepted":
        return True
    if (other.start, other.end) == (candidate.start, candidate.end):
        return False
    if other.end - other.start > candidate.end - candidate.start:
        return True
    return other.label == candidate.label
