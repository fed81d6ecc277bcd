"""``annotator import`` (read files into a project, with a progress bar and a report) and
``annotator tokenize`` (make the tokens an import leaves for later)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotator.cli.app import app, console, reports_errors
from annotator.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from rich.progress import TaskID

    from annotator.services.importing import ImportReport

FORMATS_HELP = (
    "auto (tell by content), text, jsonl, prodigy, spacy, annotator, brat, doccano, conll, "
    "labelstudio."
)


@app.command("import")
@reports_errors
def import_(
    project: Annotated[
        Path,
        typer.Argument(
            help="Project file; created (with --lang) when it does not exist.",
            metavar="PROJECT",
            readable=False,
        ),
    ],
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Files or folders to import (.txt folders are read recursively).",
            metavar="SOURCE",
            show_default=False,
            readable=False,
        ),
    ],
    format: Annotated[str, typer.Option("--format", "-f", help=FORMATS_HELP)] = "auto",
    split: Annotated[
        str,
        typer.Option(help="Plain text only: one document per file (none), paragraph or sentence."),
    ] = "none",
    lang: Annotated[
        str | None,
        typer.Option(help="Language of a project created by this command (default fr)."),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="doccano and Label Studio: leave out (and list in the document's meta) a region "
            "whose offsets run past its text or whose text does not match, instead of refusing "
            "the import.",
        ),
    ] = False,
    text_key: Annotated[
        str | None,
        typer.Option(
            "--text-key",
            help="doccano and Label Studio: the field that holds the text, when a record has "
            "several string fields.",
        ),
    ] = None,
    tokenize: Annotated[
        bool,
        typer.Option(
            "--tokenize",
            help="Make the new documents' tokens right after the import commits (else they are "
            "made when first needed, or by annotator tokenize).",
        ),
    ] = False,
) -> None:
    """Import texts and annotations; one transaction: a bad record keeps nothing."""
    from annotator.services import importing  # loads spaCy: only when importing

    with _progress_bars("Importing", "Tokenizing") as (progress, tokenizing):
        report, created = importing.import_into_file(
            project,
            sources,
            format=format,
            split=split,
            lang=lang,
            progress=progress,
            skip_invalid=skip_invalid,
            text_key=text_key,
            tokenize_after=tokenizing if tokenize else None,
        )
    if created:
        console.print(f"Created {project}", highlight=False, soft_wrap=True)
    _print_report(report)


@app.command()
@reports_errors
def tokenize(
    project: Annotated[
        Path, typer.Argument(help="Project file.", metavar="PROJECT", readable=False)
    ],
) -> None:
    """Make the tokens of every document that has none yet (an import leaves them for later)."""
    from annotator.services.tokenizing import ensure_tokens
    from annotator.store import Project

    with Project.open(project) as opened, _progress_bars("Tokenizing") as (progress,):
        done = ensure_tokens(opened, progress=progress)
        misaligned = opened.count_misaligned()
    console.print(
        f"Tokenized {counted(done, 'document')}; {counted(misaligned, 'span')} "
        "not on token boundaries",
        highlight=False,
    )


@contextmanager
def _progress_bars(*titles: str) -> Iterator[list[Callable[[int, int | None], None]]]:
    """Transient bars of ``done`` out of ``total`` and the rate, one per title, each shown
    from its first report on; yields their update functions."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from annotator.cli.progress_columns import RateColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # piped: no bar, and no blank line where it was
    )
    tasks: dict[str, TaskID] = {}

    def updater(title: str) -> Callable[[int, int | None], None]:
        def progress(done: int, total: int | None) -> None:
            if title not in tasks:
                if not tasks:  # started with the first progress: none, no blank line left
                    bar.start()
                tasks[title] = bar.add_task(title, total=total)
            bar.update(tasks[title], completed=done, total=total)

        return progress

    try:
        yield [updater(title) for title in titles]
    finally:
        if tasks:
            bar.stop()


def _print_report(report: ImportReport) -> None:
    from rich.table import Table

    from annotator.services.importing import describe_places

    table = Table(title="Imported", title_justify="left")
    table.add_column("source", overflow="fold", min_width=16)
    table.add_column("format")
    for column in ("records", "new", "dup.", "merged", "spans", "rels"):
        table.add_column(column, justify="right")
    names = [Path(source.source).name or source.source for source in report.sources]
    alike = len(set(names)) < len(names)  # two 1.json of two folders: their paths tell them apart
    for name, source in zip(names, report.sources, strict=True):
        table.add_row(
            source.source if alike else name,
            source.format,
            *(
                str(value)
                for value in (
                    source.records,
                    source.documents,
                    source.duplicates,
                    source.repeated,
                    source.spans,
                    source.relations,
                )
            ),
        )
    if len(report.sources) > 1:
        table.add_row(
            "total",
            "",
            *(
                str(value)
                for value in (
                    report.records,
                    report.documents,
                    report.duplicates,
                    report.repeated,
                    report.spans,
                    report.relations,
                )
            ),
            style="bold",
        )
    console.print(table)
    rate = report.records / report.seconds if report.seconds else 0.0
    console.print(f"{report.seconds:.2f} s ({rate:,.0f} records/s)", highlight=False)
    if report.spans_by_status:
        console.print("spans: " + _counts(report.spans_by_status), highlight=False)
    if report.relations_by_status:
        console.print("relations: " + _counts(report.relations_by_status), highlight=False)
    if report.misaligned:
        console.print(
            f"[yellow]{counted(report.misaligned, 'span')} not on token boundaries[/] (kept and "
            "flagged; the window shows them, exports snap them)",
            highlight=False,
        )
    if report.duplicates:
        console.print(
            f"{counted(report.duplicates, 'duplicate text')}: already in the project, not imported "
            "again (their annotations were left out), e.g.:",
            highlight=False,
        )
        for example in report.duplicate_examples:
            console.print(f"  {example}", highlight=False, soft_wrap=True)
    for source, places in report.repeated_places.items():
        console.print(
            f"{counted(len(places), 'duplicate record')} merged into the first with the same text "
            f"({Path(source).name or source}: {describe_places(places)}); their annotations "
            "were added to that document",
            highlight=False,
            soft_wrap=True,
        )
    if report.empty:
        console.print(
            f"{counted(report.empty, 'record')} with an empty or blank text "
            f"{'was' if report.empty == 1 else 'were'} left out"
        )
    if report.labels_added:
        console.print("entity labels added to the schema: " + ", ".join(report.labels_added))
    for label, pairs in report.relation_pairs_added.items():
        verb = "added" if label in report.relation_labels_added else "now also allows"
        if len(pairs) > _PAIRS_SHOWN:
            shown = f"{len(pairs)} (head, child) label pairs (see the schema editor)"
        else:
            shown = ", ".join(f"{head} -> {child}" for head, child in pairs)
        console.print(f"relation label {label} {verb}: {shown}", highlight=False)
    for encoding, files in sorted(report.encodings.items()):
        one = len(files) == 1
        console.print(
            f"[yellow]{counted(len(files), 'file')} {'was' if one else 'were'} not UTF-8 and "
            f"{'was' if one else 'were'} decoded as {encoding}[/] "
            f"(a guess: check {'it' if one else 'them'}): {', '.join(files)}",
            highlight=False,
            soft_wrap=True,
        )
    for note in report.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


_PAIRS_SHOWN = 4


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
