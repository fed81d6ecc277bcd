"""Relation patterns learned from accepted relations (``model.learned``), kept in the project
file's ``learned_patterns`` table; the decisions on their suggestions give their precision.

A pattern's id is made from its content by the learner, so learning the same pattern twice,
in two runs, keeps one row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from annotator.model.learned import LEARNED_ORIGIN_PREFIX, LearnedPattern, RelationExample
from annotator.store.project import Project


def learned_patterns(project: Project) -> list[LearnedPattern]:
    """Every stored pattern with the decisions on its suggestions, oldest first."""
    decisions: dict[tuple[str, str], int] = {}
    rows = project.db.execute(
        "SELECT origin, status, count(*) FROM relations "
        "WHERE origin LIKE ? AND status IN ('accepted', 'rejected') GROUP BY 1, 2",
        [LEARNED_ORIGIN_PREFIX + "%"],
    )
    for origin, status, count in rows:
        decisions[(origin, status)] = count
    if not project.db["learned_patterns"].exists():
        return []  # a read-only connection on a file not upgraded yet
    patterns = []
    for pattern_id, label, head_label, child_label, pattern in project.db.execute(
        "SELECT id, label, head_label, child_label, pattern FROM learned_patterns "
        "ORDER BY created_at, id"
    ):
        origin = LEARNED_ORIGIN_PREFIX + pattern_id
        patterns.append(
            LearnedPattern(
                id=pattern_id,
                label=label,
                head_label=head_label,
                child_label=child_label,
                pattern=tuple(json.loads(pattern)),
                accepted=decisions.get((origin, "accepted"), 0),
                rejected=decisions.get((origin, "rejected"), 0),
            )
        )
    return patterns


def save_learned_patterns(project: Project, patterns: Iterable[LearnedPattern]) -> int:
    """Store the patterns not stored yet (by id); how many were new."""
    rows = [
        {
            "id": p.id,
            "label": p.label,
            "head_label": p.head_label,
            "child_label": p.child_label,
            "pattern": json.dumps(list(p.pattern), ensure_ascii=False, sort_keys=True),
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        for p in patterns
    ]
    if not rows:
        return 0
    with project.transaction():
        before = project.db["learned_patterns"].count
        project.db["learned_patterns"].insert_all(rows, ignore=True)
        return project.db["learned_patterns"].count - before


def relation_examples(project: Project) -> list[RelationExample]:
    """Every accepted relation, with the passage of its document around its two ends."""
    rows = project.db.execute(
        """
        SELECT d.text, r.label, h.start, h.end, h.label, c.start, c.end, c.label
        FROM relations r
        JOIN spans h ON h.id = r.head
        JOIN spans c ON c.id = r.child
        JOIN documents d ON d.id = r.doc_id
        WHERE r.status = 'accepted'
        ORDER BY r.doc_id, h.start, c.start
        """
    )
    examples = []
    for text, label, h_start, h_end, h_label, c_start, c_end, c_label in rows:
        begin, end = _passage(text, min(h_start, c_start), max(h_end, c_end))
        examples.append(
            RelationExample(
                text=text[begin:end],
                label=label,
                head=(h_start - begin, h_end - begin, h_label),
                child=(c_start - begin, c_end - begin, c_label),
            )
        )
    return examples


_PASSAGE_MARGIN = 300


def _passage(text: str, start: int, end: int) -> tuple[int, int]:
    """The lines around ``[start, end)``, at most ``_PASSAGE_MARGIN`` characters beyond it:
    enough for the parser to see the sentence, without a whole article per relation."""
    begin = max(text.rfind("\n", 0, start) + 1, start - _PASSAGE_MARGIN)
    stop = text.find("\n", end)
    stop = min(len(text) if stop == -1 else stop, end + _PASSAGE_MARGIN)
    return begin, stop
