"""``annotator done``: mark documents done, deciding their pending suggestions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import app, console, reports_errors
from annotator.errors import AnnotatorError


class Pending(StrEnum):
    accept = "accept"
    reject = "reject"


def parse_ids(values: list[str]) -> tuple[int, ...]:
    """Document ids, repeated or comma-separated (as ``suggest --docs`` takes them)."""
    words = [word for value in values for word in value.replace(",", " ").split()]
    try:
        return tuple(int(word) for word in words)
    except ValueError:
        raise AnnotatorError(f"DOC takes document ids, not {' '.join(values)!r}") from None


@app.command()
@reports_errors
def done(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    docs: Annotated[
        list[str],
        typer.Argument(help="Document ids (repeat or separate with commas).", metavar="DOC"),
    ],
    pending: Annotated[
        Pending | None,
        typer.Option(
            help="What to do with pending suggestions first: accept or reject the rest "
            "(needed when a document has any)."
        ),
    ] = None,
) -> None:
    """Mark documents done; pending suggestions are accepted or rejected first (--pending)."""
    from annotator.services.finishing import mark_done_in_file  # the store: only when run

    report = mark_done_in_file(project, parse_ids(docs), pending.value if pending else None)
    message = f"marked {len(report.marked)} document(s) done"
    if report.accepted or report.rejected:
        message += f" (accepted {report.accepted}, rejected {report.rejected} suggestion(s))"
    if report.already_done:
        message += f"; already done: {', '.join(map(str, report.already_done))}"
    console.print(message, highlight=False, soft_wrap=True)
