"""Relation patterns learned from accepted relations.

The dependency path between the two ends of an accepted relation (from each span's root token
up to their lowest common ancestor) becomes a ``DependencyMatcher`` pattern: the words on the
path are generalised to their lemma and dependency label, the two ends to their entity label.
"Brad Smith, président de Microsoft" gives ``head(PER) >appos président >nmod child(ORG)``,
which also finds "Lisa Su, présidente d'AMD". Each pattern runs as a relation rule with the
origin ``rule:learned:<id>`` and its measured precision as score, until that precision is too
low (``LearnedPattern.dropped``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc, Token

from annotator.model.learned import (
    LEARNED_MIN_DECISIONS,
    LEARNED_MIN_PRECISION,
    LearnedPattern,
    RelationExample,
)
from annotator.suggest.relations import RelationRule

MAX_PATH_EDGES = 4
"""Longer paths are too particular to one sentence to be worth a pattern."""


def dependency_path_pattern(doc: Doc, example: RelationExample) -> list[dict[str, Any]] | None:
    """The pattern for ``example`` in its parsed passage ``doc``, or ``None`` when the two ends
    are not on token boundaries, share a root, sit in different sentences, or are too far
    apart in the tree."""
    head = doc.char_span(example.head[0], example.head[1], alignment_mode="expand")
    child = doc.char_span(example.child[0], example.child[1], alignment_mode="expand")
    if head is None or child is None:
        return None
    if head.start < child.end and child.start < head.end:
        return None
    ends = {head.root.i: ("head", example.head[2]), child.root.i: ("child", example.child[2])}
    up_from_head = [head.root, *head.root.ancestors]
    up_from_child = [child.root, *child.root.ancestors]
    above_child = {token.i for token in up_from_child}
    common = next((token for token in up_from_head if token.i in above_child), None)
    if common is None:
        return None
    below_common = [
        up_from_head[: [t.i for t in up_from_head].index(common.i)],
        up_from_child[: [t.i for t in up_from_child].index(common.i)],
    ]
    if sum(len(path) for path in below_common) > MAX_PATH_EDGES:
        return None

    def attributes(token: Token, with_dep: bool) -> dict[str, Any]:
        end = ends.get(token.i)
        found: dict[str, Any] = {"ENT_TYPE": end[1]} if end else {"LEMMA": token.lemma_}
        if with_dep:
            found["DEP"] = token.dep_
        return found

    anchor = ends[common.i][0] if common.i in ends else "n0"
    nodes = [{"RIGHT_ID": anchor, "RIGHT_ATTRS": attributes(common, False)}]
    for path in below_common:
        parent = anchor
        for token in reversed(path):
            name = ends[token.i][0] if token.i in ends else f"n{len(nodes)}"
            nodes.append(
                {
                    "LEFT_ID": parent,
                    "REL_OP": ">",
                    "RIGHT_ID": name,
                    "RIGHT_ATTRS": attributes(token, True),
                }
            )
            parent = name
    return nodes


def learn_patterns(nlp: Language, examples: Sequence[RelationExample]) -> list[LearnedPattern]:
    """One pattern per distinct dependency path among ``examples`` (parsed with ``nlp``)."""
    learned: dict[str, LearnedPattern] = {}
    docs = nlp.pipe((example.text for example in examples), batch_size=64)
    for doc, example in zip(docs, examples, strict=True):
        pattern = dependency_path_pattern(doc, example)
        if pattern is None or not _valid(nlp, pattern):
            continue
        key = json.dumps(
            [example.label, example.head[2], example.child[2], pattern],
            sort_keys=True,
            ensure_ascii=False,
        )
        pattern_id = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        learned.setdefault(
            pattern_id,
            LearnedPattern(
                id=pattern_id,
                label=example.label,
                head_label=example.head[2],
                child_label=example.child[2],
                pattern=tuple(pattern),
            ),
        )
    return list(learned.values())


def _valid(nlp: Language, pattern: list[dict[str, Any]]) -> bool:
    matcher = DependencyMatcher(nlp.vocab, validate=True)
    try:
        matcher.add("learned", [pattern])
    except (ValueError, KeyError, TypeError):
        return False
    return True


def as_rule(pattern: LearnedPattern) -> RelationRule:
    """A learned pattern as a relation rule; its origin is ``rule:learned:<id>``."""
    return RelationRule(
        id=pattern.origin.removeprefix("rule:"),
        label=pattern.label,
        source="learned",
        head_labels=(pattern.head_label,),
        child_labels=(pattern.child_label,),
        score=pattern.score,
        dependency=(list(pattern.pattern),),
    )


@dataclass
class Learning:
    """The learned patterns of one run: stored ones (with their decisions) and new ones."""

    stored: Sequence[LearnedPattern] = ()
    new: list[LearnedPattern] = field(default_factory=list)

    @classmethod
    def run(
        cls, nlp: Language, stored: Iterable[LearnedPattern], examples: Sequence[RelationExample]
    ) -> Learning:
        known = list(stored)
        ids = {pattern.id for pattern in known}
        fresh = [p for p in learn_patterns(nlp, examples) if p.id not in ids]
        return cls(stored=known, new=fresh)

    @property
    def used(self) -> list[LearnedPattern]:
        return [p for p in [*self.stored, *self.new] if not p.dropped]

    @property
    def dropped(self) -> list[LearnedPattern]:
        return [p for p in self.stored if p.dropped]

    def rules(self) -> list[RelationRule]:
        return [as_rule(pattern) for pattern in self.used]

    def describe(self) -> str:
        """The report line: how many learned patterns ran, were new, were dropped."""
        line = f"learned relation patterns: {len(self.used)} used ({len(self.new)} new)"
        if self.dropped:
            line += (
                f", {len(self.dropped)} dropped (under {LEARNED_MIN_PRECISION:.0%} of at least "
                f"{LEARNED_MIN_DECISIONS} decisions accepted)"
            )
        return line
