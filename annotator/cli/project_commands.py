"""``annotator new`` and ``annotator stats``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from annotator.cli.app import app, console, reports_errors
from annotator.wording import counted

if TYPE_CHECKING:
    from rich.table import Table


@app.command()
@reports_errors
def new(
    project: Annotated[
        Path, typer.Argument(help="Project file to create, e.g. corpus.annotator.", readable=False)
    ],
    lang: Annotated[str, typer.Option(help="Language of the texts (spaCy code).")] = "fr",
    model: Annotated[
        str | None,
        typer.Option(
            help="spaCy pipeline for suggestions (default: by language, fr_core_news_md)."
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(help="Label schema JSON (default: PER, ORG, LOC, MISC).", readable=False),
    ] = None,
    annotator: Annotated[
        str | None, typer.Option(help="Who annotates in this project (kept in its settings).")
    ] = None,
) -> None:
    """Create an empty project file."""
    from annotator.services import projects

    with projects.new_project(
        project, lang=lang, model=model, schema_file=schema, annotator=annotator
    ) as created:
        labels = ", ".join(created.schema.entity_names) or "none yet"
        note = projects.missing_model_note(created.settings)
        lang = created.settings.lang
    console.print(f"Created {project} (lang {lang}; labels {labels})", soft_wrap=True)
    if note:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


@app.command()
@reports_errors
def stats(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (keys in docs/stats.md).")
    ] = False,
) -> None:
    """Documents by status; spans and relations by status, label and origin; suggester quality."""
    from annotator.services import projects

    figures = projects.stats(project)
    if as_json:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    _print_stats(figures)


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    from rich.table import Table

    # as wide as its title at least: a one-row table ("new  1") would fold "by status"
    table = Table(
        title=title, title_justify="left", show_header=False, box=None, min_width=len(title)
    )
    table.add_column(overflow="fold")
    table.add_column(justify="right")
    for key, value in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(key, str(value))
    return table


# The suggester table: figures in fixed columns under one header, each origin (a model, a
# pattern file path, a rule) on a line of its own above them, so 80 columns are enough.
SUGGESTER_COLUMNS = (("pending", 9), ("accepted", 10), ("rejected", 10), ("after edit", 12))
SUGGESTER_HEADER = (
    f"  {'kind':<10}"
    + "".join(f"{name:>{width}}" for name, width in SUGGESTER_COLUMNS)
    + f"{'precision':>11}"
)


def _suggester_lines(origins: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    lines = [SUGGESTER_HEADER]
    for origin, kinds in sorted(origins.items()):
        lines.append(origin)
        for kind, row in kinds.items():
            precision = "-" if row["precision"] is None else f"{row['precision']:.1%}"
            figures = (
                row["suggested"],
                row["accepted"],
                row["rejected"],
                row["accepted_after_edit"],
            )
            cells = "".join(
                f"{value:>{width}}"
                for value, (_, width) in zip(figures, SUGGESTER_COLUMNS, strict=True)
            )
            lines.append(f"  {kind:<10}{cells}{precision:>11}")
    return lines


def _print_stats(figures: dict[str, Any]) -> None:
    documents, spans, relations = figures["documents"], figures["spans"], figures["relations"]
    console.print(f"[bold]{figures['project']}[/]", highlight=False, soft_wrap=True)
    console.print(f"Documents: {documents['total']}")
    if documents["by_status"]:  # an empty table printed its title over a line of spaces
        console.print(_counts_table("  by status", documents["by_status"]))
    if "in_dispute" in documents:  # a merged project
        console.print(
            f"  in dispute: {documents['in_dispute']} (the list's In dispute filter, Ctrl+D)"
        )
    alignment = f"{spans['misaligned']} not on token boundaries"
    if spans["untokenized_documents"]:
        untokenized = spans["untokenized_documents"]
        alignment = (
            f"{alignment}; not known yet for {counted(untokenized, 'document')} whose tokens "
            "are made when opened or exported, or now by annotator tokenize"
        )
    console.print(f"Spans: {spans['total']} ({alignment})")
    for key in ("by_status", "by_label", "by_origin"):
        if spans[key]:
            console.print(_counts_table(f"  {key.replace('_', ' ')}", spans[key]))
    console.print(f"Relations: {relations['total']}")
    for key in ("by_status", "by_label", "by_origin"):
        if relations[key]:
            console.print(_counts_table(f"  {key.replace('_', ' ')}", relations[key]))
    if figures["origins"]:
        console.print("[bold]Suggesters[/]")
        for line in _suggester_lines(figures["origins"]):
            console.print(line, highlight=False, soft_wrap=True, markup=False)
        console.print(
            "after edit: accepted once relabelled or resized; precision: over done documents",
            highlight=False,
        )
    from annotator.cli.evaluate_command import print_suggester_figures, print_versions

    print_suggester_figures(figures.get("suggesters", []))
    print_versions(figures.get("models", []))
