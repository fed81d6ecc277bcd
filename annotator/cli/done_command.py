"""``annotator done``: mark documents done, deciding their pending suggestions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import app, console, reports_errors
from annotator.cli.document_ids import parse_document_ids
from annotator.errors import AnnotatorError
from annotator.wording import counted


class Pending(StrEnum):
    accept = "accept"
    reject = "reject"


def parse_ids(values: list[str]) -> tuple[int, ...]:
    """Document ids, repeated, comma-separated or as ranges (as ``suggest --docs`` takes
    them)."""
    ids = parse_document_ids(values)
    if ids is None:
        raise AnnotatorError(f"DOC takes document ids (1 2, 1,2 or 1-6), not {' '.join(values)!r}")
    return ids


@app.command()
@reports_errors
def done(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    docs: Annotated[
        list[str],
        typer.Argument(
            help="Document ids: repeat, separate with commas, or give a range (1-6).",
            metavar="DOC",
        ),
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
    message = f"marked {counted(len(report.marked), 'document')} done"
    if report.accepted or report.rejected:
        message += (
            f" (accepted {report.accepted}, rejected {counted(report.rejected, 'suggestion')})"
        )
    if report.already_done:
        message += f"; already done: {', '.join(map(str, report.already_done))}"
    console.print(message, highlight=False, soft_wrap=True)
