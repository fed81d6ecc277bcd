"""``annotator split``, ``annotator merge`` and ``annotator agreement``: working as a team."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from annotator.cli.app import app, console, reports_errors
from annotator.wording import counted

MAP_HELP = "Map a label of a later project onto the first one's, OLD=NEW (repeatable)."


@app.command()
@reports_errors
def split(
    base: Annotated[Path, typer.Argument(help="Project to share out.", readable=False)],
    annotators: Annotated[
        str, typer.Option(help="Comma-separated annotator names, e.g. alice,bob,chloe.")
    ],
    overlap: Annotated[
        float, typer.Option(help="Fraction of documents every annotator gets, for agreement.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the shuffle (same seed, same shares).")] = 0,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the new projects (default: BASE's folder).", readable=False),
    ] = None,
) -> None:
    """Make one project per annotator from BASE, sharing its documents out with an overlap."""
    from annotator.services import team

    report = team.split_project(base, annotators.split(","), overlap, seed, out_dir)
    for name, path in report.projects.items():
        console.print(f"{path}: {counted(report.documents[name], 'document')} for {name}")
    console.print(f"{counted(report.shared, 'document')} go to everyone (overlap {overlap:.0%})")
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)


@app.command()
@reports_errors
def name(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    annotator: Annotated[
        str | None,
        typer.Argument(help="Who annotates in it (letters, digits, _ . -); none: print it."),
    ] = None,
) -> None:
    """Print or set who annotates in PROJECT: the edit log's actor, told apart by merge."""
    from annotator.services import team
    from annotator.store import Project

    if annotator is None:
        with Project.open(project, read_only=True) as opened:
            console.print(opened.settings.annotator or "(none: edits are logged as user)")
        return
    with Project.open(project) as opened:
        team.set_annotator(opened, annotator)
    console.print(f"{project}: annotator {annotator.strip()}", highlight=False, soft_wrap=True)


@app.command()
@reports_errors
def merge(
    output: Annotated[
        Path, typer.Argument(help="Merged project to create, for review.", readable=False)
    ],
    projects: Annotated[
        list[Path], typer.Argument(help="The annotators' project files.", readable=False)
    ],
    label_map: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
) -> None:
    """Gather the annotators' decisions per document (matched by text) in a new project."""
    from annotator.services import team

    report = team.merge_projects(output, projects, team.parse_label_map(label_map or []))
    console.print(f"Created {report.output}", highlight=False, soft_wrap=True)
    console.print(
        f"{counted(report.documents, 'document')} from {', '.join(report.annotators)}; "
        f"{report.shared} shared, {report.disputed} in dispute; "
        f"{report.versions} span versions, {report.relations} relation versions",
        soft_wrap=True,
    )
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)


@app.command()
@reports_errors
def agreement(
    projects: Annotated[
        list[Path], typer.Argument(help="The annotators' project files.", readable=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    label_map: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
) -> None:
    """Agreement on the documents two or more annotators marked done."""
    from annotator.services import agreement as measuring
    from annotator.services import team

    figures = measuring.agreement(projects, team.parse_label_map(label_map or []))
    if as_json:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    _print_agreement(figures)


def _figure(value: float | None) -> str:
    """A figure to 3 places; ``-`` where nothing was compared."""
    return "-" if value is None else f"{value:.3f}"


def _print_agreement(figures: dict[str, Any]) -> None:
    alpha = figures["krippendorff_alpha"]
    console.print(
        f"{counted(figures['documents'], 'document')} done by two or more of "
        f"{', '.join(figures['annotators'])} ({figures['tokens']} tokens)"
    )
    console.print(f"Krippendorff's alpha on tokens: {_figure(alpha)}")
    if not figures["pairs"]:  # nothing compared: the notes say why, no empty tables
        for note in figures["notes"]:
            console.print(f"note: {note}", highlight=False)
        return
    pairs = Table(box=box.SIMPLE, title="Pairs", title_justify="left")
    for column in ("pair", "docs", "exact F1", "overlap F1", "relation F1", "kappa"):
        pairs.add_column(column, justify="left" if column == "pair" else "right")
    for pair in figures["pairs"]:
        pairs.add_row(
            " / ".join(pair["annotators"]),
            str(pair["documents"]),
            _figure(pair["span_exact_f1"]),
            _figure(pair["span_overlap_f1"]),
            _figure(pair["relation_f1"]),
            _figure(pair["token_kappa"]),
        )
    console.print(pairs)
    # one row per label and pair, and per pair of labels, so that any number of labels fits
    # in 80 columns (a column per label did not)
    labels = Table(box=box.SIMPLE, title="Span F1 by label", title_justify="left")
    for column in ("label", "pair", "exact F1", "overlap F1"):
        labels.add_column(column, justify="right" if column.endswith("F1") else "left")
    names = sorted({label for pair in figures["pairs"] for label in pair["per_label"]})
    for name in names:
        for pair in figures["pairs"]:
            row = pair["per_label"].get(name)
            if row is not None:
                labels.add_row(
                    name,
                    " / ".join(pair["annotators"]),
                    _figure(row["exact_f1"]),
                    _figure(row["overlap_f1"]),
                )
    if names:  # no entity anywhere: no empty table
        console.print(labels)
    confusion = figures["confusion"]
    if confusion:
        table = Table(
            box=box.SIMPLE,
            title="Labels of spans with the same offsets",
            title_justify="left",
        )
        table.add_column("earlier annotator's label")
        table.add_column("later annotator's label")
        table.add_column("spans", justify="right")
        for row, counts in confusion.items():
            for column, count in sorted(counts.items()):
                if count:
                    table.add_row(row, column, str(count))
        console.print(table)
    for note in figures["notes"]:
        console.print(f"note: {note}", highlight=False)
