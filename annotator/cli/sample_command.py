"""``annotator sample``: choose which documents of a large pool to annotate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import app, console, reports_errors
from annotator.wording import counted


@app.command()
@reports_errors
def sample(
    project: Annotated[Path, typer.Argument(help="Project file (the pool).", readable=False)],
    n: Annotated[int, typer.Option("--n", help="How many documents to pick.")] = 500,
    strategy: Annotated[
        str, typer.Option(help="random | uncertain | diverse | rare-labels")
    ] = "random",
    seed: Annotated[int, typer.Option(help="The same seed picks the same documents.")] = 0,
    into: Annotated[
        Path | None,
        typer.Option(
            help="New project for the picked documents and their suggestions (default: rank "
            "them in PROJECT, for the document list to sort by).",
            readable=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Pipeline whose vectors --strategy diverse uses (default: the project's)."
        ),
    ] = None,
) -> None:
    """Pick documents to annotate: random, uncertain, diverse or rare-labels."""
    from annotator.services.sampling import SampleOptions, sample_project_file  # numpy

    options = SampleOptions(n=n, strategy=strategy, seed=seed, into=into, model=model)
    with console.status("Sampling..."):
        report = sample_project_file(project, options)
    where = f"into {report.into}" if report.into else f"ranked first in {project}"
    console.print(
        f"{len(report.chosen):,} of {counted(report.pool, 'document')} by {report.strategy} "
        f"(seed {seed}), {where}",
        highlight=False,
        soft_wrap=True,
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
