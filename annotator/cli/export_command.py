"""``annotator export``: write a project as spaCy DocBin, Prodigy JSONL or another format."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from annotator.cli.app import app, console, error_console, reports_errors
from annotator.errors import AnnotatorError

if TYPE_CHECKING:
    from rich.console import Console

    from annotator.io.records import ExportReport

PROGRESS_FROM = 500  # documents: below this an export is too quick for a bar
FILES_SHOWN = 10  # files listed after an export, unless --verbose
WARNINGS_SHOWN = 20


@app.command()
@reports_errors
def export(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="spacy, prodigy, annotator, brat, doccano, conll, conll-biluo, labelstudio.",
        ),
    ] = "spacy",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File, or folder for spacy/brat and split exports; - writes a one-file "
            "format to standard output (default: exports/<project>-<format>).",
            readable=False,
        ),
    ] = None,
    status: Annotated[
        str, typer.Option(help="done: finished documents only; all: every document.")
    ] = "done",
    spans: Annotated[
        str, typer.Option(help="accepted: accepted annotations; all: pending suggestions too.")
    ] = "accepted",
    split: Annotated[
        str | None,
        typer.Option(help="Fractions train,dev[,test] by document, e.g. 0.8,0.2 (spacy: 0.8,0.2)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split shuffle.")] = 0,
    misaligned: Annotated[
        str,
        typer.Option(help="Spans off token boundaries: expand, contract or skip (each is named)."),
    ] = "expand",
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every warning, not the first 20.")
    ] = False,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Open the project read-only (also done by itself when it is open elsewhere "
            "or not writable); the export is then not in its edit log.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing file that no export wrote (never the project, an SQLite "
            "file, or files in a folder export's folder).",
        ),
    ] = False,
) -> None:
    """Export documents and annotations for spaCy, Prodigy or another tool."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from annotator.services import exporting  # loads spaCy: only when exporting

    fractions = exporting.parse_split(split)
    to_stream = output == Path("-")  # standard output: the report goes to stderr
    target = output or exporting.default_output(project, format, fractions)
    shown = error_console if to_stream else console
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=shown,
        transient=True,
        disable=not shown.is_terminal,  # piped: no bar, and no blank line where it was
    )
    task = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if total < PROGRESS_FROM:
            return
        if task is None:
            bar.start()
            task = bar.add_task(f"Exporting {format}", total=total)
        bar.update(task, completed=done)

    options = {
        "format": format,
        "status": status,
        "spans": spans,
        "split": fractions,
        "seed": seed,
        "misaligned": misaligned,
        "force": force,
        "progress": progress,
        "read_only": read_only,
    }
    try:
        if to_stream:
            report = exporting.export_to_stream(project, _standard_output(), **options)
        else:
            report = exporting.export_project_file(project, output=target, **options)
    except BrokenPipeError:  # the reader stopped (``| head``): as any command in a pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        raise typer.Exit(0) from None
    finally:
        if task is not None:
            bar.stop()
    _print_report(report, verbose, shown)


def _standard_output() -> BinaryIO:
    if sys.stdout is None:  # started with standard output closed (>&-)
        raise AnnotatorError("standard output is closed: give --output a file")
    sys.stdout.flush()
    return sys.stdout.buffer


def _print_report(report: ExportReport, verbose: bool, console: Console = console) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_row("documents", str(report.documents))
    table.add_row("spans", str(report.spans))
    table.add_row("relations", str(report.relations))
    for key, value in sorted(report.counts.items()):
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    listed = 0
    for file in report.files:  # a brat export writes two files a document: a few of them
        summary = report.summaries.get(file)
        if summary is None and listed >= FILES_SHOWN and not verbose:
            continue
        listed += summary is None
        described = f": {summary.describe()}" if summary else ""
        console.print(f"wrote {file}{described}", highlight=False, soft_wrap=True)
    unlisted = sum(1 for file in report.files if file not in report.summaries) - listed
    if unlisted > 0:
        console.print(f"... and {unlisted:,} more files (--verbose lists them all)")
    shown = report.warnings if verbose else report.warnings[:WARNINGS_SHOWN]
    for warning in shown:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    hidden = len(report.warnings) - len(shown)
    if hidden:
        console.print(f"... and {hidden} more warnings (--verbose lists them all)")
