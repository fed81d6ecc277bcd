"""Relation rules: spaCy ``Matcher`` token patterns (trigger words) and ``DependencyMatcher``
patterns between entity spans, read from JSON rule files.

A rule file::

    {"lang": "fr", "rules": [
      {"id": "fr_person_title_of_org", "label": "works_for",
       "head_labels": ["PER"], "child_labels": ["ORG"], "score": 0.8,
       "tokens": [[{"SLOT": "head"}, {"ORTH": ","}, {"LOWER": {"IN": ["pdg", "président"]}},
                   {"LOWER": {"IN": ["de", "du", "d'"]}}, {"SLOT": "child"}]],
       "dependency": [[{"RIGHT_ID": "head", "RIGHT_ATTRS": {"ENT_TYPE": "PER"}}, ...]]}
    ]}

In ``tokens`` patterns, ``{"SLOT": "head"}`` / ``{"SLOT": "child"}`` stand for one whole
entity span; in ``dependency`` patterns the nodes named ``head`` and ``child`` must fall in
entity spans. The spans are the document's suggested and accepted spans (set as ``doc.ents``,
so ``ENT_TYPE`` tests their schema label). A relation is proposed only when the schema allows
its label between the two spans' labels.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from spacy.matcher import DependencyMatcher, Matcher
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.vocab import Vocab

from annotator.errors import FormatError
from annotator.model import LabelSchema, Relation, Span

ROLES = ("head", "child")


@dataclass(frozen=True)
class RelationRule:
    id: str
    label: str
    source: str
    head_labels: tuple[str, ...] = ()
    child_labels: tuple[str, ...] = ()
    score: float | None = None
    tokens: tuple[Any, ...] = ()
    dependency: tuple[Any, ...] = ()

    @property
    def origin(self) -> str:
        return f"rule:{self.id}"


def read_rule_file(path: str | Path | Traversable) -> list[RelationRule]:
    """Read and check a rule file; a ``FormatError`` names the file and the rule."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FormatError(name, None, f"cannot read rule file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise FormatError(name, None, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(name, error.lineno, f"not valid JSON ({error.msg})") from None
    entries = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise FormatError(name, None, 'expected an object with a "rules" list')
    rules = [_parse_rule(name, index, entry) for index, entry in enumerate(entries, start=1)]
    ids = [rule.id for rule in rules]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise FormatError(name, None, f"rule id used twice: {', '.join(twice)}")
    return rules


def _patterns(value: Any) -> tuple[Any, ...]:
    """One pattern (a list of objects) or several (a list of such lists)."""
    if not value:
        return ()
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return (value,)
    return tuple(value) if isinstance(value, list) else (value,)


def _parse_rule(name: str, index: int, entry: Any) -> RelationRule:
    where = f"rule {index}"
    if not isinstance(entry, dict):
        raise FormatError(name, where, "a rule must be a JSON object")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip() or any(c.isspace() for c in rule_id):
        raise FormatError(name, where, 'missing "id" (a string without spaces)')
    where = f"rule {index} {rule_id}"
    label = entry.get("label")
    if not isinstance(label, str) or not label:
        raise FormatError(name, where, 'missing "label" (the relation label it proposes)')
    labels = {}
    for key in ("head_labels", "child_labels"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FormatError(name, where, f'"{key}" must be a list of entity labels')
        labels[key] = tuple(value)
    score = entry.get("score")
    if score is not None and not (isinstance(score, int | float) and 0 <= score <= 1):
        raise FormatError(name, where, '"score" must be a number from 0 to 1')
    tokens = _patterns(entry.get("tokens"))
    dependency = _patterns(entry.get("dependency"))
    if not tokens and not dependency:
        raise FormatError(name, where, 'needs "tokens" and/or "dependency" patterns')
    rule = RelationRule(
        id=rule_id,
        label=label,
        source=name,
        score=None if score is None else float(score),
        tokens=tokens,
        dependency=dependency,
        **labels,
    )
    _check_patterns(rule, where)
    return rule


def _check_patterns(rule: RelationRule, where: str) -> None:
    """Let spaCy validate the patterns now, so that a bad file fails before any model runs."""
    vocab = Vocab()
    try:
        _token_matcher(vocab, [rule])
        _dependency_matcher(vocab, [rule])
    except (ValueError, KeyError, TypeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise FormatError(rule.source, where, f"invalid pattern: {reason}") from None


def _expand_slots(rule: RelationRule, pattern: list[dict[str, Any]]) -> tuple[list, dict[int, str]]:
    """Replace each ``{"SLOT": role}`` by "one entity": a B token then any I tokens."""
    expanded: list[dict[str, Any]] = []
    roles: dict[int, str] = {}
    seen = set()
    for token in pattern:
        if not isinstance(token, dict):
            raise ValueError("each token of a pattern must be an object")
        role = token.get("SLOT")
        if role is None:
            expanded.append(token)
            continue
        if role not in ROLES or role in seen or len(token) != 1:
            raise ValueError('a slot is {"SLOT": "head"} or {"SLOT": "child"}, each once')
        seen.add(role)
        labels = rule.head_labels if role == "head" else rule.child_labels
        first: dict[str, Any] = {"ENT_IOB": "B"}
        if labels:
            first["ENT_TYPE"] = {"IN": list(labels)}
        roles[len(expanded)] = role
        expanded.append(first)
        roles[len(expanded)] = role
        expanded.append({"ENT_IOB": "I", "OP": "*"})
    if seen != set(ROLES):
        raise ValueError('a token pattern needs both {"SLOT": "head"} and {"SLOT": "child"}')
    return expanded, roles


def _token_matcher(vocab: Vocab, rules: Iterable[RelationRule]) -> tuple[Matcher, dict]:
    matcher = Matcher(vocab, validate=True)
    slots: dict[tuple[str, int], dict[int, str]] = {}
    for rule in rules:
        for number, pattern in enumerate(rule.tokens):
            if not isinstance(pattern, list):
                raise ValueError("a token pattern must be a list of objects")
            expanded, roles = _expand_slots(rule, pattern)
            key = f"{rule.id}#{number}"
            matcher.add(key, [expanded])
            slots[(rule.id, number)] = roles
    return matcher, slots


def _dependency_matcher(vocab: Vocab, rules: Iterable[RelationRule]) -> DependencyMatcher:
    matcher = DependencyMatcher(vocab, validate=True)
    for rule in rules:
        for number, pattern in enumerate(rule.dependency):
            if not isinstance(pattern, list) or not all(isinstance(n, dict) for n in pattern):
                raise ValueError("a dependency pattern must be a list of objects")
            names = {node.get("RIGHT_ID") for node in pattern}
            if not set(ROLES) <= names:
                raise ValueError('a dependency pattern needs nodes "head" and "child"')
            matcher.add(f"{rule.id}#{number}", [pattern])
    return matcher


@dataclass
class RelationSuggester:
    """Runs every usable rule on parsed documents; rules the schema cannot take are set aside."""

    vocab: Vocab
    rules: list[RelationRule]
    schema: LabelSchema
    skipped: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        usable = []
        for rule in self.rules:
            relation = self.schema.relation(rule.label)
            if relation is None:
                self.skipped[rule.id] = f"relation label {rule.label} is not in the schema"
                continue
            usable.append(rule)
        self.by_id = {rule.id: rule for rule in usable}
        self.token_matcher, self.slots = _token_matcher(self.vocab, usable)
        self.dependency_matcher = _dependency_matcher(self.vocab, usable)
        self.has_token_rules = any(rule.tokens for rule in usable)
        self.has_dependency_rules = any(rule.dependency for rule in usable)
        self.dependency_rules_unused = False

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(rule.origin for rule in self.by_id.values())

    def __call__(self, doc: Doc, doc_id: int, spans: list[Span]) -> list[Relation]:
        """Relations between ``spans`` (the document's candidate entity spans) found in ``doc``."""
        if not self.by_id or len(spans) < 2:
            return []
        chosen = _set_entities(doc, spans)
        if not chosen:
            return []
        by_token: dict[int, Span] = {}
        by_range: dict[tuple[int, int], Span] = {}
        for entity, span in chosen:
            by_range[(entity.start, entity.end)] = span
            for index in range(entity.start, entity.end):
                by_token[index] = span
        found: dict[tuple[str, str, str], Relation] = {}
        if self.has_token_rules:
            for match_id, start, _end, alignment in self.token_matcher(doc, with_alignments=True):
                rule_id, number = self.vocab.strings[match_id].rsplit("#", 1)
                roles = self.slots[(rule_id, int(number))]
                ends = _slot_spans(start, alignment, roles, by_range)
                if ends:
                    self._propose(found, self.by_id[rule_id], doc_id, *ends)
        if self.has_dependency_rules:
            if not doc.has_annotation("DEP"):
                self.dependency_rules_unused = True
            else:
                for match_id, token_ids in self.dependency_matcher(doc):
                    rule_id, number = self.vocab.strings[match_id].rsplit("#", 1)
                    rule = self.by_id[rule_id]
                    pattern = rule.dependency[int(number)]
                    names = [node["RIGHT_ID"] for node in pattern]
                    tokens = dict(zip(names, token_ids, strict=True))
                    head = by_token.get(tokens["head"])
                    child = by_token.get(tokens["child"])
                    if head is not None and child is not None:
                        self._propose(found, rule, doc_id, head, child)
        return list(found.values())

    def _propose(
        self,
        found: dict[tuple[str, str, str], Relation],
        rule: RelationRule,
        doc_id: int,
        head: Span,
        child: Span,
    ) -> None:
        if head.id == child.id:
            return
        if rule.head_labels and head.label not in rule.head_labels:
            return
        if rule.child_labels and child.label not in rule.child_labels:
            return
        relation_label = self.schema.relation(rule.label)
        if relation_label is None or not relation_label.allows(head.label, child.label):
            return
        key = (head.id, child.id, rule.label)
        if key in found:
            return
        found[key] = Relation(
            doc_id=doc_id,
            head=head.id,
            child=child.id,
            label=rule.label,
            origin=rule.origin,
            status="suggested",
            score=rule.score,
        )


def _slot_spans(
    start: int,
    alignment: list[int],
    roles: dict[int, str],
    by_range: dict[tuple[int, int], Span],
) -> tuple[Span, Span] | None:
    """The spans the slots matched, when each slot covers one whole entity exactly."""
    covered: dict[str, list[int]] = {}
    for offset, element in enumerate(alignment):
        role = roles.get(element)
        if role is not None:
            covered.setdefault(role, []).append(start + offset)
    ends = []
    for role in ROLES:
        tokens = covered.get(role)
        span = by_range.get((tokens[0], tokens[-1] + 1)) if tokens else None
        if span is None:
            return None
        ends.append(span)
    return ends[0], ends[1]


def _set_entities(doc: Doc, spans: list[Span]) -> list[tuple[SpacySpan, Span]]:
    """Make ``doc.ents`` the non-overlapping candidates: accepted first, then longest first."""
    ranked = sorted(spans, key=lambda s: (s.status != "accepted", s.start - s.end, s.start))
    taken = bytearray(len(doc))
    chosen = []
    for span in ranked:
        entity = doc.char_span(span.start, span.end, label=span.label)
        if entity is None or any(taken[entity.start : entity.end]):
            continue
        taken[entity.start : entity.end] = b"\x01" * (entity.end - entity.start)
        chosen.append((entity, span))
    chosen.sort(key=lambda pair: pair[0].start)
    doc.ents = [entity for entity, _ in chosen]
    return chosen
