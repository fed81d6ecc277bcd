"""``annotator evaluate``: how each suggester did on the done documents, and the model's curve."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from annotator.cli.app import app, console, reports_errors
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.services.evaluating import Evaluation


@app.command()
@reports_errors
def evaluate(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    model: Annotated[
        str | None,
        typer.Option(
            help="Also run this pipeline (project, project@N, a package or a folder) over the "
            "done documents and score it."
        ),
    ] = None,
    curve: Annotated[
        bool,
        typer.Option(help="Train on 25/50/75/100% of the done documents; F1 on a fixed dev part."),
    ] = False,
    base: Annotated[
        str | None, typer.Option(help="--curve: pipeline to fine-tune (default: the project's).")
    ] = None,
    max_steps: Annotated[int, typer.Option(help="--curve: training steps per point.")] = 300,
    dev: Annotated[float, typer.Option(help="--curve: share of done documents for dev.")] = 0.2,
    seed: Annotated[int, typer.Option(help="--curve: seed of the shuffle.")] = 0,
) -> None:
    """P/R/F per label of every suggester (model versions, patterns, propagation, rules)."""
    from annotator.services.evaluating import evaluate_project_file  # spaCy: only when run
    from annotator.services.training import TrainOptions

    options = TrainOptions(base=base, max_steps=max_steps, dev=dev, seed=seed) if curve else None

    def progress(done: int, total: int) -> None:
        if done == 0 and not as_json:  # said once the curve's documents are checked
            console.print(
                f"Training {total} models, one per point of the curve; this takes a while..."
            )

    evaluation = evaluate_project_file(project, model=model, curve=options, progress=progress)
    if as_json:
        typer.echo(json.dumps(evaluation.to_dict(), indent=2, ensure_ascii=False))
        return
    print_evaluation(evaluation)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _figures_table(title: str, rows: list[tuple[str, str, dict[str, Any]]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE)
    for column in ("suggester", "label", "P", "R", "F", "right", "wrong", "missed"):
        table.add_column(column, justify="left" if column in ("suggester", "label") else "right")
    for origin, label, figures in rows:
        table.add_row(
            origin,
            label,
            _percent(figures["p"]),
            _percent(figures["r"]),
            _percent(figures["f"]),
            str(figures["tp"]),
            str(figures["fp"]),
            str(figures["fn"]),
        )
    return table


def _rows(
    entries: list[tuple[str, dict[str, Any] | None]],
) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for origin, figures in entries:
        if figures is None:
            continue
        rows.append((origin, "all", figures))
        rows += [(origin, label, per) for label, per in figures["per_label"].items()]
    return rows


def print_evaluation(evaluation: Evaluation) -> None:
    console.print(
        f"[bold]{evaluation.project}[/]: {counted(evaluation.done_documents, 'done document')}"
    )
    print_suggester_figures([dataclasses.asdict(s) for s in evaluation.suggesters])
    print_versions(evaluation.models)
    if evaluation.model is not None:
        console.print(
            _figures_table(
                f"{evaluation.model['model']} run over the done documents"
                + (
                    f" ({evaluation.model['left_out']:,} it was trained on left out)"
                    if evaluation.model.get("left_out")
                    else ""
                ),
                _rows([(evaluation.model["origin"], evaluation.model)]),
            )
        )
    if evaluation.curve is not None:
        table = Table(title="Learning curve (fixed dev part)", title_justify="left", box=box.SIMPLE)
        for column in ("share", "documents", "F"):
            table.add_column(column, justify="right")
        for row in evaluation.curve:
            table.add_row(f"{row['fraction']:.0%}", str(row["documents"]), _percent(row["f"]))
        console.print(table)


def print_suggester_figures(suggesters: list[dict[str, Any]]) -> None:
    """The P/R/F tables of ``evaluate`` (and ``stats``), from ``SuggesterFigures`` dicts."""
    spans = _rows([(s["origin"], s["spans"]) for s in suggesters])
    relations = _rows([(s["origin"], s["relations"]) for s in suggesters])
    if spans:
        table = _figures_table("Entities, by suggester", spans)
        table.caption = (
            "over the done documents where the suggester proposed something; right: accepted "
            "as proposed; wrong: rejected, corrected or left pending; missed: accepted spans it "
            "did not propose"
        )
        table.caption_justify = "left"
        console.print(table)
    if relations:
        console.print(_figures_table("Relations, by suggester", relations))
    if not spans and not relations:
        console.print("No suggestion in a done document yet.")


def print_versions(models: list[dict[str, Any]]) -> None:
    """The trained versions, their dev figures, and which one ``--model project`` is."""
    from annotator.services.model_versions import (
        PROJECT_MODEL,
        ModelRecord,
        best_of,
        compared_figures,
    )

    if models:
        records = [ModelRecord.model_validate(record) for record in models]
        table = Table(title="Trained versions (dev part)", title_justify="left", box=box.SIMPLE)
        columns = ("version", "base", "train", "partial", "dev", "steps", "s", "dev F")
        for column in (*columns, "against the best before"):
            table.add_column(column, justify="left" if column == "base" else "right")
        for record in records:
            table.add_row(
                str(record.version),
                record.base,
                str(len(record.train_documents)),
                str(len(record.partial_documents)),
                str(len(record.dev_documents)),
                str(record.steps),
                f"{record.seconds:.0f}",
                _percent(record.scores.get("ents_f")),
                compared_figures(record),
            )
        console.print(table)
        best = best_of(records)
        assert best is not None
        console.print(f"--model {PROJECT_MODEL} is version {best.version}", highlight=False)
