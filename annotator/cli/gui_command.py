"""``annotator gui [PATH]`` (also ``annotator PATH`` and ``annotator`` alone): the window."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import app, reports_errors


@app.command()
@reports_errors
def gui(
    project: Annotated[
        Path | None,
        typer.Argument(
            help="Project file to open (default: the last one, else a welcome screen).",
            readable=False,
        ),
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only", help="Open the project read-only: to look, while another writes it."
        ),
    ] = False,
) -> None:
    """Open the annotation window."""
    from annotator.ui.app import run_gui  # Qt loads only for the window

    sys.exit(run_gui(project, read_only=read_only))
