"""What a label name may be: the one rule the schema, spans, relations and importers share.

A label is shown in lists, menus, the text's highlights and every report, and exported to
formats where it is one word (brat, CoNLL tags): so one printable word, and short. Without a
bound a 100,000-character label from a file committed at once and then took minutes to print.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

MAX_LABEL_LENGTH = 100


def label_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a label, or None when it can."""
    if not isinstance(name, str) or not name:
        return "a label must be a non-empty string"
    if len(name) > MAX_LABEL_LENGTH:
        return f"a label is at most {MAX_LABEL_LENGTH} characters (this one has {len(name):,})"
    if any(char.isspace() for char in name):
        return "a label is a single word (no spaces allowed)"
    if not name.isprintable():
        bad = next(char for char in name if not char.isprintable())
        return f"a label cannot hold the control or unpaired character {bad!r}"
    return None


def _valid_label(name: str) -> str:
    problem = label_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


LabelName = Annotated[str, AfterValidator(_valid_label)]
"""A ``str`` field that holds a label name (pydantic checks it with ``label_problem``)."""
